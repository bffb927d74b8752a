//! What applications report of their use of prompts (PRODUCT.md "Fleet", `POST /v1/reports`
//! with a read key), and what they are served: per minute, prompt, served version,
//! application and instance, the uses, the failures among them, and when the instance was
//! last seen with that version — its reports, and its reads and streams when it names
//! itself. Counted in memory and written every second ([`buffer`]), never on the read path;
//! kept for a bounded time (the server's `--usage-kept-days`, 7 by default). The rollouts'
//! guards read it ([`guards`]), and the fleet view ([`fleet`]).

mod buffer;
mod fleet;
mod guards;

use types::fleet::ReportJson;

use crate::db::Timestamp;
use crate::error::VaultError;
use crate::names::{PromptName, VersionNumber};
use crate::serving::model::ReadRefused;
use crate::{Result, Vault};
pub use buffer::{ClientId, MAX_CLIENT_NAME_BYTES};
pub(crate) use buffer::{Counts, UsageBuffer, UsageKey};

/// The most items one report carries.
pub const MAX_REPORT_ITEMS: usize = 500;
/// The most uses one item counts (a report covers seconds, not years).
const MAX_USES: u64 = 1_000_000_000;

impl Vault {
    /// Records a report made with read key `token`: each item's counts are added to its
    /// minute. Refused whole (nothing recorded) for an unknown or revoked key (401), an item
    /// naming a prompt the key's workspace does not have (404), a malformed report (422), or
    /// when more is pending than the server holds (429, see [`buffer::MAX_PENDING`]).
    pub async fn record_usage(&self, token: &str, report: &ReportJson) -> Result<()> {
        let workspace_id = self.serving.key_workspace(token).map_err(|refused| match refused {
            ReadRefused::Limited(retry_after) => VaultError::Limited { what: "reads", retry_after },
            _ => VaultError::Unauthorized("a report is made with a read key that is not revoked".into()),
        })?;
        let client = ClientId::new(&report.app, &report.instance)?;
        let numbers = checked(report)?;
        for item in &report.items {
            if !self.has_prompt(workspace_id, &item.prompt).await? {
                return Err(VaultError::NotFound(format!("no prompt named {}", item.prompt)));
            }
        }
        let now = Timestamp::now().0;
        let rows = report.items.iter().zip(numbers).map(|(item, number)| {
            let counts = Counts { uses: item.uses, failures: item.failures, last_seen: now };
            (UsageKey::new(workspace_id, &item.prompt, number.get(), &client, now), counts)
        });
        if !self.serving.usage.add_all(rows) {
            return Err(VaultError::Limited {
                what: "usage reports (more are waiting to be written than the server holds)",
                retry_after: std::time::Duration::from_secs(1),
            });
        }
        Ok(())
    }

    /// Notes that `client` was just served version `number` of prompt `name` by a read with
    /// key `token` (not counted as a use): the fleet sees an instance as soon as it fetches
    /// a version. Skipped when too much is pending.
    pub fn note_served(&self, token: &str, name: &str, number: VersionNumber, client: &ClientId) {
        if let Some(workspace_id) = self.serving.workspace_of(token) {
            let now = Timestamp::now().0;
            self.serving.usage.note(UsageKey::new(workspace_id, name, number.get(), client, now), now);
        }
    }

    /// Writes the usage counted in memory (the server does every second, and when it stops);
    /// how many rows.
    pub async fn flush_usage(&self) -> Result<usize> {
        self.serving.usage.write(&self.db).await
    }

    /// Whether workspace `workspace_id` has prompt `name`: memory first, then the database
    /// (a prompt made on another instance a moment ago).
    async fn has_prompt(&self, workspace_id: i64, name: &str) -> Result<bool> {
        if self.serving.knows_prompt(workspace_id, name) {
            return Ok(true);
        }
        let found: Option<i64> =
            sqlx::query_scalar("select id from prompts where workspace_id = $1 and name = $2")
                .bind(workspace_id)
                .bind(name)
                .fetch_optional(&self.db.read)
                .await?;
        Ok(found.is_some())
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

fn version_of(raw: &serde_json::Value) -> Result<VersionNumber> {
    let bad = || VaultError::invalid("items", format!("an item's version is v3 or 3, not {raw}"));
    match raw {
        serde_json::Value::Number(n) => n.as_i64().and_then(|n| VersionNumber::new(n).ok()).ok_or_else(bad),
        serde_json::Value::String(s) => VersionNumber::parse(s).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// Refuses a malformed report, naming what is wrong; each item's version.
fn checked(report: &ReportJson) -> Result<Vec<VersionNumber>> {
    if report.items.len() > MAX_REPORT_ITEMS {
        return Err(VaultError::invalid(
            "items",
            format!("a report carries at most {MAX_REPORT_ITEMS} items"),
        ));
    }
    report
        .items
        .iter()
        .map(|item| {
            PromptName::parse(&item.prompt)?;
            if item.failures > item.uses || item.uses > MAX_USES {
                return Err(VaultError::invalid(
                    "items",
                    format!(
                        "{}: failures are at most the uses, and the uses at most {MAX_USES}",
                        item.prompt
                    ),
                ));
            }
            version_of(&item.version)
        })
        .collect()
}
