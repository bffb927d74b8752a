//! The activity log: every change in a workspace — who, when, what, and its details —
//! written in the change's own transaction (so there is no change without its entry, and no
//! entry without its change), and read newest first, a keyset page at a time, filtered by
//! prompt, member and kind.

use serde_json::Value;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::access::Actor;
use crate::db::Timestamp;
use crate::names::Email;
use crate::pages::{Cursor, Page, PageRequest};
use crate::{Result, Vault, VaultError};

/// What kind of change an entry records: a word of the API's vocabulary.
pub use types::ActivityKind;

/// One change, as the log shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityEntry {
    pub id: i64,
    pub at: Timestamp,
    /// The member's name.
    pub actor: String,
    pub kind: ActivityKind,
    /// The prompt the change concerns, if it concerns one.
    pub prompt: Option<String>,
    /// What changed, by kind: the version, the pointer's from and to, the setting's value,
    /// the key's or webhook's id and name (never a secret, nor a webhook's URL).
    pub details: Value,
}

/// Which entries to list: a page, and the filters.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub page: PageRequest,
    /// Only changes to this prompt (by name).
    pub prompt: Option<String>,
    /// Only changes made by the member with this email.
    pub member: Option<String>,
    /// Only changes of this kind.
    pub kind: Option<ActivityKind>,
}

/// Writes the entry of a change, in the change's transaction.
pub(crate) async fn record(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    kind: ActivityKind,
    prompt: Option<&str>,
    details: Value,
) -> Result<()> {
    sqlx::query(
        "insert into activity (workspace_id, at, actor_id, kind, prompt, details) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(actor.workspace_id)
    .bind(Timestamp::now().0)
    .bind(actor.account_id)
    .bind(kind.as_str())
    .bind(prompt)
    .bind(details.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Vault {
    /// The workspace's changes, newest first, a page at a time; any member may read them.
    pub async fn activity(&self, actor: &Actor, filter: ActivityFilter) -> Result<Page<ActivityEntry>> {
        let limit = filter.page.limit()?;
        let member = filter.member.as_deref().map(Email::parse).transpose()?;
        let before = filter.page.cursor.map_or(i64::MAX, Cursor::get);
        let rows = sqlx::query(AssertSqlSafe(
            "select a.id, a.at, a.kind, a.prompt, a.details, m.name as actor from activity a \
             join accounts m on m.id = a.actor_id \
             where a.workspace_id = $1 and a.id < $2 \
               and ($3 = '' or a.prompt = $3) and ($4 = '' or m.email = $4) and ($5 = '' or a.kind = $5) \
             order by a.id desc limit $6",
        ))
        .bind(actor.workspace_id)
        .bind(before)
        .bind(filter.prompt.as_deref().unwrap_or(""))
        .bind(member.as_ref().map_or("", Email::as_str))
        .bind(filter.kind.map_or("", ActivityKind::as_str))
        .bind(limit + 1)
        .fetch_all(&self.db.read)
        .await?;
        let mut items = rows.iter().map(entry_from_row).collect::<Result<Vec<_>>>()?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|last| Cursor::new(last.id).encode())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<ActivityEntry> {
    let kind: String = row.try_get("kind")?;
    let details: String = row.try_get("details")?;
    Ok(ActivityEntry {
        id: row.try_get("id")?,
        at: Timestamp(row.try_get("at")?),
        actor: row.try_get("actor")?,
        kind: ActivityKind::parse(&kind)
            .map_err(|_| VaultError::Internal(format!("unknown activity kind {kind:?}").into()))?,
        prompt: row.try_get("prompt")?,
        details: serde_json::from_str(&details).map_err(|e| VaultError::Internal(Box::new(e)))?,
    })
}
