//! The rollouts' automatic stop: a running rollout whose new version fails more often than
//! its old one by more than the guard's margin, once the new version has the guard's minimum
//! of uses, is aborted by the server, saying why.

use sqlx::Row;
use types::rollouts::GuardJson;

use crate::error::VaultError;
use crate::{Result, Vault};

impl Vault {
    /// Aborts every running rollout whose guard trips (see the module's words); how many.
    pub async fn check_guards(&self) -> Result<usize> {
        // What the other instances counted is written every second; this instance's, now.
        self.flush_usage().await?;
        let rows = sqlx::query(
            "select r.prompt_id, p.name, p.workspace_id, r.label, r.from_number, r.to_number, r.guard, \
             r.started_at, r.started_by from rollouts r join prompts p on p.id = r.prompt_id \
             where r.state = 'running' and r.guard is not null",
        )
        .fetch_all(&self.db.read)
        .await?;
        let mut aborted = 0;
        for row in &rows {
            let guard: GuardJson = serde_json::from_str(&row.try_get::<String, _>("guard")?)
                .map_err(|e| VaultError::Internal(format!("unreadable guard: {e}").into()))?;
            let prompt_id: i64 = row.try_get("prompt_id")?;
            let since: i64 = row.try_get("started_at")?;
            let count = |number: i64| self.uses_since(prompt_id, number, since);
            let (old, new) =
                (count(row.try_get("from_number")?).await?, count(row.try_get("to_number")?).await?);
            let Some(why) = trips(&guard, old, new) else { continue };
            let Some((actor, _)) = crate::members::actor_in(
                &self.db.read,
                row.try_get("started_by")?,
                row.try_get("workspace_id")?,
            )
            .await?
            else {
                continue;
            };
            let (name, label): (String, String) = (row.try_get("name")?, row.try_get("label")?);
            match self.abort_rollout(&actor, &name, &label, &why).await {
                Ok(_) => aborted += 1,
                // Ended meanwhile (by a person, or another instance's check).
                Err(VaultError::NotFound(_)) => {}
                // One rollout that cannot be stopped (its starter may no longer move the
                // label) does not keep the others' guards from being checked.
                Err(error) => {
                    tracing::warn!(prompt = name, label, %error, "a tripped guard could not abort its rollout")
                }
            }
        }
        Ok(aborted)
    }

    /// Uses and failures of version `number` of prompt `prompt_id` reported since `since`.
    async fn uses_since(&self, prompt_id: i64, number: i64, since: i64) -> Result<(u64, u64)> {
        let row = sqlx::query(
            // A sum of bigints is a numeric on PostgreSQL: cast back.
            "select cast(coalesce(sum(uses), 0) as bigint) as uses, cast(coalesce(sum(failures), 0) as bigint) as failures \
             from usage_minutes where prompt_id = $1 and number = $2 and minute >= $3",
        )
        .bind(prompt_id)
        .bind(number)
        .bind(since / 60_000 * 60_000)
        .fetch_one(&self.db.read)
        .await?;
        let count =
            |column: &str| -> Result<u64> { Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0)) };
        Ok((count("uses")?, count("failures")?))
    }
}

/// Why `guard` trips for the old version's `(uses, failures)` against the new one's, or
/// `None`: the new version has at least `min_uses`, and its failure rate exceeds the old
/// one's by more than `max_failure_increase` (an old version without uses counts as never
/// failing).
pub(crate) fn trips(guard: &GuardJson, old: (u64, u64), new: (u64, u64)) -> Option<String> {
    if new.0 < guard.min_uses || new.0 == 0 {
        return None;
    }
    let rate = |(uses, failures): (u64, u64)| if uses == 0 { 0.0 } else { failures as f64 / uses as f64 };
    let (old_rate, new_rate) = (rate(old), rate(new));
    (new_rate - old_rate > guard.max_failure_increase).then(|| {
        format!(
            "the guard stopped it: the new version failed {:.2} % of {} uses, the old {:.2} % of {}, more than {:.2} points apart",
            new_rate * 100.0,
            new.0,
            old_rate * 100.0,
            old.0,
            guard.max_failure_increase * 100.0
        )
    })
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_trips_at_the_right_sample_and_not_before() {
        let guard = GuardJson { max_failure_increase: 0.02, min_uses: 500 };
        assert_eq!(trips(&guard, (1000, 10), (499, 100)), None, "too few uses of the new version yet");
        assert!(trips(&guard, (1000, 10), (500, 100)).is_some_and(|why| why.contains("20.00 % of 500 uses")));
        assert_eq!(trips(&guard, (1000, 10), (500, 15)), None, "3 % against 1 %: two points, not more");
        assert!(trips(&guard, (1000, 10), (500, 16)).is_some(), "3.2 % against 1 %");
        assert!(trips(&guard, (0, 0), (500, 11)).is_some(), "an old version without uses never failed");
    }
}
