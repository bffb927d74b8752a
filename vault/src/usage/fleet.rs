//! The fleet view: what the applications serve, from what they reported and what they were
//! served (reads and streams that name their client), and a version's uses and failures.

use std::collections::{BTreeMap, HashMap};

use sqlx::Row;
use types::fleet::{FleetItemJson, FleetJson, FleetVersionJson, StaleInstanceJson};

use crate::access::{Actor, Permission};
use crate::db::Timestamp;
use crate::names::{PromptName, VersionNumber};
use crate::version::number_from_db;
use crate::{Result, Vault};

/// How recently an instance was seen with a version for the fleet to count it as serving it
/// now: three of the SDK's reports (every 5 s), so one lost report does not drop it.
pub const NOW: std::time::Duration = std::time::Duration::from_secs(15);

impl Vault {
    /// What is being served, from the reports of the last hour: for each prompt that was used
    /// (or prompt `only`) and each of its labels (or label `label`), the label's version, the
    /// versions used with their instances (last 5 minutes), uses (last 5 and 60) and failures
    /// (last 60), and the instances whose latest use (last 5 minutes) is of a version older
    /// than the label's. The reports name versions, not labels: a prompt's versions in use
    /// are listed under each of its labels.
    pub async fn fleet(&self, actor: &Actor, only: Option<&str>, label: Option<&str>) -> Result<FleetJson> {
        actor.require(Permission::Read)?;
        self.flush_usage().await?;
        let exact = Timestamp::now().0;
        let now = exact / 60_000 * 60_000;
        let (hour, five) = (now - 59 * 60_000, now - 4 * 60_000);
        let only = only.map(PromptName::parse).transpose()?;
        let label = label.map(crate::names::LabelName::parse).transpose()?;
        let rows = sqlx::query(
            "select p.name, u.number, \
             count(distinct case when u.minute >= $3 then u.app || ' ' || u.instance end) as instances, \
             count(distinct case when u.last_seen >= $5 then u.app || ' ' || u.instance end) as instances_now, \
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
        .bind(exact - NOW.as_millis() as i64)
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
                instances_now: count(row, "instances_now")?,
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

    /// Uses and failures of each version of prompt `name` reported since `since` (the
    /// versions tab's counts); versions without reports are absent.
    pub async fn version_usage(
        &self,
        actor: &Actor,
        name: &str,
        since: Timestamp,
    ) -> Result<BTreeMap<VersionNumber, (u64, u64)>> {
        actor.require(Permission::Read)?;
        self.flush_usage().await?;
        let name = PromptName::parse(name)?;
        let rows = sqlx::query(
            "select u.number, cast(sum(u.uses) as bigint) as uses, cast(sum(u.failures) as bigint) as failures \
             from usage_minutes u join prompts p on p.id = u.prompt_id \
             where p.workspace_id = $1 and p.name = $2 and u.minute >= $3 group by u.number",
        )
        .bind(actor.workspace_id)
        .bind(name.as_str())
        .bind(since.0 / 60_000 * 60_000)
        .fetch_all(&self.db.read)
        .await?;
        let mut usage = BTreeMap::new();
        for row in &rows {
            let count = |column: &str| -> Result<u64> {
                Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0))
            };
            usage.insert(number_from_db(row.try_get("number")?)?, (count("uses")?, count("failures")?));
        }
        Ok(usage)
    }
}
