//! Usage reports: the client counts, per prompt and served version, how many times the
//! application used it and how many of those failed ([`crate::Client::record_use`]), in
//! memory, and sends the counts every few seconds (`POST /v1/reports`) under its application
//! name and instance id. The server's rollout guards read them. A report that fails is kept
//! and added to the next one, up to a bound.

use std::collections::HashMap;
use std::sync::{Mutex, Weak};
use std::time::Duration;

use types::fleet::{ReportItemJson, ReportJson};

use crate::Inner;

/// How often the counts are sent.
pub(crate) const REPORT_EVERY: Duration = Duration::from_secs(5);
/// The most prompt versions counted between two reports (a report carries at most 500).
const MAX_COUNTED: usize = 500;

/// Uses and failures per (prompt, version) since the last report.
#[derive(Default)]
pub(crate) struct Counts(Mutex<HashMap<(String, String), (u64, u64)>>);

impl Counts {
    pub(crate) fn add(&self, prompt: &str, version: &str, failed: bool) {
        let mut counts = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (prompt.to_owned(), version.to_owned());
        if !counts.contains_key(&key) && counts.len() >= MAX_COUNTED {
            return;
        }
        let entry = counts.entry(key).or_default();
        entry.0 = entry.0.saturating_add(1);
        entry.1 = entry.1.saturating_add(u64::from(failed));
    }

    fn take(&self) -> HashMap<(String, String), (u64, u64)> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Puts back what could not be sent, within the bound.
    fn restore(&self, unsent: HashMap<(String, String), (u64, u64)>) {
        let mut counts = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (key, (uses, failures)) in unsent {
            if !counts.contains_key(&key) && counts.len() >= MAX_COUNTED {
                continue;
            }
            let entry = counts.entry(key).or_default();
            entry.0 = entry.0.saturating_add(uses);
            entry.1 = entry.1.saturating_add(failures);
        }
    }
}

/// The client's application name and instance id.
#[derive(Clone)]
pub(crate) struct Identity {
    pub(crate) app: String,
    pub(crate) instance: String,
}

impl Identity {
    /// `app`, and an instance id made now: random enough to tell this process from others.
    pub(crate) fn new(app: String) -> Identity {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
        );
        hasher.write_u32(std::process::id());
        Identity { app, instance: format!("i-{:016x}", hasher.finish()) }
    }
}

/// Sends the counts of `inner` now; `false` when they could not be sent (they are kept).
pub(crate) async fn send(inner: &Inner) -> bool {
    let Some(identity) = inner.identity.clone() else { return true };
    let counts = inner.usage.take();
    if counts.is_empty() {
        return true;
    }
    let report = ReportJson {
        app: identity.app,
        instance: identity.instance,
        items: counts
            .iter()
            .map(|((prompt, version), &(uses, failures))| ReportItemJson {
                prompt: prompt.clone(),
                version: serde_json::Value::String(version.clone()),
                uses,
                failures,
            })
            .collect(),
    };
    let url = format!("{}/v1/reports", inner.base_url);
    let sent = inner.http.post(url).bearer_auth(&inner.key).json(&report).send().await;
    match sent {
        Ok(response) if response.status().is_success() => true,
        // Refused as a whole (a prompt deleted, a revoked key): sending it again would not help.
        Ok(response) if response.status().is_client_error() && response.status().as_u16() != 429 => {
            tracing::warn!(status = %response.status(), "the usage report was refused; its counts are dropped");
            true
        }
        _ => {
            inner.usage.restore(counts);
            false
        }
    }
}

/// Sends the counts every [`REPORT_EVERY`] while the client lives.
pub(crate) struct Reporter(tokio::task::JoinHandle<()>);

impl Drop for Reporter {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(crate) fn report(inner: Weak<Inner>) -> Reporter {
    Reporter(tokio::spawn(async move {
        let mut every = tokio::time::interval(REPORT_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let Some(inner) = inner.upgrade() else { return };
            send(&inner).await;
        }
    }))
}
