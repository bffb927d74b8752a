//! What applications report of their use of prompts (PRODUCT.md "Fleet", `POST /v1/reports`
//! with a read key): per minute, prompt, served version, application and instance, the uses
//! and the failures among them, kept for a bounded time (the server's `--usage-kept-days`, 7 by default). The rollouts' guards read it: a
//! running rollout whose new version fails more often than its old one by more than the
//! guard's margin, once the new version has the guard's minimum of uses, is aborted by the
//! server, saying why. Never on the read path: a report is its own request.

use std::collections::{BTreeMap, HashMap};

use sqlx::Row;
use types::fleet::{FleetItemJson, FleetJson, FleetVersionJson, ReportJson, StaleInstanceJson};
use types::rollouts::GuardJson;

use crate::access::{Actor, Permission};
use crate::db::Timestamp;
use crate::error::VaultError;
use crate::names::{PromptName, VersionNumber};
use crate::serving::model::ReadRefused;
use crate::version::number_from_db;
use crate::{Result, Vault};

/// The most items one report carries.
pub const MAX_REPORT_ITEMS: usize = 500;
/// The most bytes of an application's name or an instance id.
pub const MAX_CLIENT_NAME_BYTES: usize = 100;
/// The most uses one item counts (a report covers seconds, not years).
const MAX_USES: u64 = 1_000_000_000;

impl Vault {
    /// Records a report made with read key `token`: each item's counts are added to its
    /// minute. Refused whole (nothing recorded) for an unknown or revoked key (401), an item
    /// naming a prompt the key's workspace does not have (404), or a malformed report (422).
    pub async fn record_usage(&self, token: &str, report: &ReportJson) -> Result<()> {
        let workspace_id = self.serving.key_workspace(token).map_err(|refused| match refused {
            ReadRefused::Limited(retry_after) => VaultError::Limited { what: "reads", retry_after },
            _ => VaultError::Unauthorized("a report is made with a read key that is not revoked".into()),
        })?;
        checked(report)?;
        let minute = Timestamp::now().0 / 60_000 * 60_000;
        let mut tx = self.db.write.begin().await?;
        let mut prompts: HashMap<&str, i64> = HashMap::new();
        for item in &report.items {
            let id = match prompts.get(item.prompt.as_str()) {
                Some(&id) => id,
                None => {
                    let id: i64 =
                        sqlx::query_scalar("select id from prompts where workspace_id = $1 and name = $2")
                            .bind(workspace_id)
                            .bind(&item.prompt)
                            .fetch_optional(&mut *tx)
                            .await?
                            .ok_or_else(|| {
                                VaultError::NotFound(format!("no prompt named {}", item.prompt))
                            })?;
                    prompts.insert(&item.prompt, id);
                    id
                }
            };
            sqlx::query(
                "insert into usage_minutes (prompt_id, number, app, instance, minute, uses, failures) \
                 values ($1, $2, $3, $4, $5, $6, $7) on conflict (prompt_id, number, app, instance, minute) \
                 do update set uses = usage_minutes.uses + excluded.uses, failures = usage_minutes.failures + excluded.failures",
            )
            .bind(id)
            .bind(version_of(&item.version)?.get())
            .bind(&report.app)
            .bind(&report.instance)
            .bind(minute)
            .bind(i64::try_from(item.uses).unwrap_or(i64::MAX))
            .bind(i64::try_from(item.failures).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Aborts every running rollout whose guard trips (see the module's words); how many.
    pub async fn check_guards(&self) -> Result<usize> {
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

    /// What is being served, from the reports of the last hour: for each prompt that was used
    /// (or prompt `only`) and each of its labels (or label `label`), the label's version, the
    /// versions used with their instances (last 5 minutes), uses (last 5 and 60) and failures
    /// (last 60), and the instances whose latest use (last 5 minutes) is of a version older
    /// than the label's. The reports name versions, not labels: a prompt's versions in use
    /// are listed under each of its labels.
    pub async fn fleet(&self, actor: &Actor, only: Option<&str>, label: Option<&str>) -> Result<FleetJson> {
        actor.require(Permission::Read)?;
        let now = Timestamp::now().0 / 60_000 * 60_000;
        let (hour, five) = (now - 59 * 60_000, now - 4 * 60_000);
        let only = only.map(PromptName::parse).transpose()?;
        let label = label.map(crate::names::LabelName::parse).transpose()?;
        let rows = sqlx::query(
            "select p.name, u.number, \
             count(distinct case when u.minute >= $3 then u.app || ' ' || u.instance end) as instances, \
             cast(sum(case when u.minute >= $3 then u.uses else 0 end) as bigint) as uses_5m, \
             cast(sum(u.uses) as bigint) as uses_60m, cast(sum(u.failures) as bigint) as failures_60m \
             from usage_minutes u join prompts p on p.id = u.prompt_id \
             where p.workspace_id = $1 and u.minute >= $2 and ($4 = '' or p.name = $4) \
             group by p.name, u.number order by p.name, u.number desc",
        )
        .bind(actor.workspace_id)
        .bind(hour)
        .bind(five)
        .bind(only.as_ref().map_or("", PromptName::as_str))
        .fetch_all(&self.db.read)
        .await?;
        let count = |row: &sqlx::any::AnyRow, column: &str| -> Result<u64> {
            Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0))
        };
        let mut versions: BTreeMap<String, Vec<FleetVersionJson>> = BTreeMap::new();
        for row in &rows {
            versions.entry(row.try_get("name")?).or_default().push(FleetVersionJson {
                version: number_from_db(row.try_get("number")?)?.label(),
                instances: count(row, "instances")?,
                uses_5m: count(row, "uses_5m")?,
                uses_60m: count(row, "uses_60m")?,
                failures_60m: count(row, "failures_60m")?,
            });
        }
        let latest = self.latest_uses(actor.workspace_id, five, only.as_ref()).await?;
        if let Some(name) = &only {
            versions.entry(name.to_string()).or_default();
        }
        let mut items = Vec::new();
        for (name, used) in versions {
            let state = self.prompt(actor, &name).await?;
            for (pointer, at) in &state.labels {
                if label.as_ref().is_some_and(|wanted| wanted != pointer) {
                    continue;
                }
                let stale = latest
                    .iter()
                    .filter(|(prompt, _, _, number, _)| *prompt == name && *number < at.get())
                    .map(|(_, app, instance, number, minute)| StaleInstanceJson {
                        app: app.clone(),
                        instance: instance.clone(),
                        version: types::label(*number),
                        last_seen: Timestamp(*minute).to_rfc3339(),
                    })
                    .collect();
                items.push(FleetItemJson {
                    prompt: name.clone(),
                    label: pointer.to_string(),
                    version: Some(at.label()),
                    versions: used.clone(),
                    stale,
                });
            }
        }
        Ok(FleetJson { items })
    }

    /// Per prompt and instance reporting since `since`: its latest minute and the newest
    /// version it used then.
    async fn latest_uses(
        &self,
        workspace_id: i64,
        since: i64,
        only: Option<&PromptName>,
    ) -> Result<Vec<(String, String, String, i64, i64)>> {
        let rows = sqlx::query(
            "select p.name, u.app, u.instance, u.number, u.minute from usage_minutes u \
             join prompts p on p.id = u.prompt_id \
             where p.workspace_id = $1 and u.minute >= $2 and ($3 = '' or p.name = $3)",
        )
        .bind(workspace_id)
        .bind(since)
        .bind(only.map_or("", PromptName::as_str))
        .fetch_all(&self.db.read)
        .await?;
        let mut latest: HashMap<(String, String, String), (i64, i64)> = HashMap::new();
        for row in &rows {
            let key = (row.try_get("name")?, row.try_get("app")?, row.try_get("instance")?);
            let seen = (row.try_get::<i64, _>("minute")?, row.try_get::<i64, _>("number")?);
            let entry = latest.entry(key).or_insert(seen);
            *entry = (*entry).max(seen);
        }
        let mut latest: Vec<_> = latest
            .into_iter()
            .map(|((name, app, instance), (minute, number))| (name, app, instance, number, minute))
            .collect();
        latest.sort();
        Ok(latest)
    }

    /// Deletes the reports older than `kept_for`.
    pub async fn prune_usage(&self, kept_for: std::time::Duration) -> Result<()> {
        let before = Timestamp::now().0 - i64::try_from(kept_for.as_millis()).unwrap_or(i64::MAX);
        sqlx::query("delete from usage_minutes where minute < $1")
            .bind(before)
            .execute(&self.db.write)
            .await?;
        Ok(())
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

fn version_of(raw: &serde_json::Value) -> Result<VersionNumber> {
    let bad = || VaultError::invalid("items", format!("an item's version is v3 or 3, not {raw}"));
    match raw {
        serde_json::Value::Number(n) => n.as_i64().and_then(|n| VersionNumber::new(n).ok()).ok_or_else(bad),
        serde_json::Value::String(s) => VersionNumber::parse(s).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// Refuses a malformed report, naming what is wrong.
fn checked(report: &ReportJson) -> Result<()> {
    for (field, value) in [("app", &report.app), ("instance", &report.instance)] {
        if value.is_empty() || value.len() > MAX_CLIENT_NAME_BYTES || value.chars().any(char::is_control) {
            return Err(VaultError::invalid(
                field,
                format!("{field} is 1 to {MAX_CLIENT_NAME_BYTES} bytes of printable text"),
            ));
        }
    }
    if report.items.len() > MAX_REPORT_ITEMS {
        return Err(VaultError::invalid(
            "items",
            format!("a report carries at most {MAX_REPORT_ITEMS} items"),
        ));
    }
    for item in &report.items {
        PromptName::parse(&item.prompt)?;
        version_of(&item.version)?;
        if item.failures > item.uses || item.uses > MAX_USES {
            return Err(VaultError::invalid(
                "items",
                format!("{}: failures are at most the uses, and the uses at most {MAX_USES}", item.prompt),
            ));
        }
    }
    Ok(())
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
