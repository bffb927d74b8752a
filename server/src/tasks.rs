//! The server's background work: the rollouts' ramps and guards, writing the usage counted
//! in memory, and the API keys' last use.

use vault::Vault;

/// Every few seconds: takes the rollouts' due ramp steps (with several instances each step
/// is taken once, by whichever gets to it first) and aborts the rollouts whose guard trips;
/// hourly, deletes old usage reports.
pub(crate) async fn advance_rollouts(vault: Vault, usage_kept_for: std::time::Duration) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks: u64 = 0;
    loop {
        every.tick().await;
        if let Err(error) = vault.advance_rollouts().await {
            tracing::warn!(%error, "could not advance the rollouts' ramps");
        }
        if let Err(error) = vault.check_guards().await {
            tracing::warn!(%error, "could not check the rollouts' guards");
        }
        ticks += 1;
        // About once an hour, reports past their keeping are deleted.
        if ticks.is_multiple_of(720)
            && let Err(error) = vault.prune_usage(usage_kept_for).await
        {
            tracing::warn!(%error, "could not prune the usage reports");
        }
    }
}

/// Writes the usage counted in memory every second: a promote shows on the fleet view within
/// a second or two of the clients' reads, and thousands of reports a second cost one write.
/// When `stop` turns true it writes what is left, and ends.
pub(crate) async fn write_usage(vault: Vault, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let last = tokio::select! {
            _ = every.tick() => false,
            _ = stop.changed() => true,
        };
        if let Err(error) = vault.flush_usage().await {
            tracing::warn!(%error, "could not write the usage reports (kept for the next try)");
        }
        if last {
            return;
        }
    }
}

/// Records the API keys' "last used" every few seconds, so reads never write.
pub(crate) async fn flush_key_usage(vault: Vault) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(10));
    loop {
        every.tick().await;
        if let Err(error) = vault.flush_key_usage().await {
            tracing::warn!(%error, "could not record the API keys' last use");
        }
        vault.forget_old_attempts();
    }
}
