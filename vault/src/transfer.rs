//! Moving between databases: a whole database, or one workspace, written to a JSON document
//! and read into a new database of either kind, with every row and its id kept.
//!
//! The document holds what a workspace is: accounts (with their password hashes), members,
//! invitations, access tokens and API keys (their hashes), prompts, every version, pointer
//! moves, review requests, webhooks (with their secrets), their events, deliveries and
//! attempts, the activity log and the settings. It leaves out what is rebuilt or per server:
//! sessions (people sign in again), the cookie signing key, the search feed and the change
//! feed. Because ids are kept, an import goes into a database without workspaces.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::db::{Backend, Timestamp};
use crate::{Conflict, Result, Vault, VaultError};

/// The document's format; a reader refuses another, except format 1 (before labels), which
/// it reads as this one (its pointer moves named a `channel`: now their `label`).
const FORMAT: u32 = 2;

/// One table as it is moved: its columns (text ones named apart, so that a null is bound
/// with the right type on PostgreSQL), and which rows belong to workspace `$1`.
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    text: &'static [&'static str],
    of_workspace: &'static str,
}

/// In an order that inserts every row after the rows it refers to.
const TABLES: &[Table] = &[
    Table {
        name: "workspaces",
        columns: &["id", "name", "staging_enabled", "live_changes", "created_at"],
        text: &["name", "live_changes"],
        of_workspace: "id = $1",
    },
    Table {
        name: "accounts",
        columns: &["id", "email", "name", "password_hash", "created_at"],
        text: &["email", "name", "password_hash"],
        of_workspace: "id in (select account_id from members where workspace_id = $1)",
    },
    Table {
        name: "members",
        columns: &["id", "workspace_id", "account_id", "role", "joined_at", "last_seen_at", "removed_at"],
        text: &["role"],
        of_workspace: "workspace_id = $1",
    },
    Table {
        name: "invitations",
        columns: &[
            "id",
            "workspace_id",
            "email",
            "role",
            "token_hash",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "accepted_by",
            "revoked_at",
        ],
        text: &["email", "role", "token_hash"],
        of_workspace: "workspace_id = $1",
    },
    Table {
        name: "access_tokens",
        columns: &[
            "id",
            "account_id",
            "workspace_id",
            "name",
            "token_hash",
            "last_four",
            "created_at",
            "last_used_at",
            "revoked_at",
        ],
        text: &["name", "token_hash", "last_four"],
        of_workspace: "workspace_id = $1",
    },
    Table {
        name: "api_keys",
        columns: &[
            "id",
            "workspace_id",
            "kind",
            "name",
            "token_hash",
            "last_four",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
            "label",
        ],
        text: &["kind", "name", "token_hash", "last_four", "label"],
        of_workspace: "workspace_id = $1",
    },
    Table {
        name: "prompts",
        columns: &[
            "id",
            "workspace_id",
            "name",
            "last_number",
            "live_number",
            "staging_number",
            "created_at",
            "updated_at",
        ],
        text: &["name"],
        of_workspace: "workspace_id = $1",
    },
    Table {
        name: "prompt_tags",
        columns: &["prompt_id", "tag", "position"],
        text: &["tag"],
        of_workspace: "prompt_id in (select id from prompts where workspace_id = $1)",
    },
    Table {
        name: "labels",
        columns: &["id", "workspace_id", "name", "protected", "rule", "fallback", "created_at"],
        text: &["name", "rule", "fallback"],
        of_workspace: "workspace_id = $1",
    },
    Table {
        name: "versions",
        columns: &[
            "id",
            "prompt_id",
            "number",
            "status",
            "source",
            "message",
            "author_id",
            "created_at",
            "revision",
        ],
        text: &["status", "source", "message"],
        of_workspace: "prompt_id in (select id from prompts where workspace_id = $1)",
    },
    Table {
        name: "prompt_labels",
        columns: &["prompt_id", "label_id", "number"],
        text: &[],
        of_workspace: "prompt_id in (select id from prompts where workspace_id = $1)",
    },
    Table {
        name: "pointer_moves",
        columns: &[
            "id",
            "prompt_id",
            "label",
            "from_number",
            "to_number",
            "actor_id",
            "at",
            "event_id",
            "requested_by",
        ],
        text: &["label", "event_id"],
        of_workspace: "prompt_id in (select id from prompts where workspace_id = $1)",
    },
    Table {
        name: "requests",
        columns: &[
            "id",
            "workspace_id",
            "prompt_id",
            "action",
            "number",
            "note",
            "state",
            "requested_by",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "label",
        ],
        text: &["action", "note", "state", "decision_note", "label"],
        of_workspace: "workspace_id = $1",
    },
    Table {
        name: "webhooks",
        columns: &[
            "id",
            "workspace_id",
            "url",
            "events",
            "enabled",
            "secret",
            "consecutive_failures",
            "disabled_reason",
            "created_by",
            "created_at",
            "updated_at",
        ],
        text: &["url", "events", "secret", "disabled_reason"],
        of_workspace: "workspace_id = $1",
    },
    Table {
        name: "events",
        columns: &["id", "workspace_id", "type", "body", "created_at"],
        text: &["id", "type", "body"],
        of_workspace: "workspace_id = $1",
    },
    Table {
        name: "deliveries",
        columns: &["id", "event_id", "webhook_id", "state", "attempts", "next_attempt_at", "created_at"],
        text: &["event_id", "state"],
        of_workspace: "webhook_id in (select id from webhooks where workspace_id = $1)",
    },
    Table {
        name: "delivery_attempts",
        columns: &["id", "delivery_id", "attempt", "at", "status_code", "duration_ms", "error"],
        text: &["error"],
        of_workspace: "delivery_id in (select d.id from deliveries d join webhooks w on w.id = d.webhook_id \
                       where w.workspace_id = $1)",
    },
    Table {
        name: "activity",
        columns: &["id", "workspace_id", "at", "actor_id", "kind", "prompt", "details"],
        text: &["kind", "prompt", "details"],
        of_workspace: "workspace_id = $1",
    },
];

/// An exported database or workspace.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Export {
    pub promptvault_export: u32,
    pub exported_at: String,
    /// The workspaces it holds, by name.
    pub workspaces: Vec<String>,
    /// Table name → its rows, each an object of column → value (a number, a text or null).
    pub tables: serde_json::Map<String, Value>,
}

impl Vault {
    /// Every workspace, or the one named `workspace`, as an [`Export`]. Read in one
    /// transaction, so the document is one consistent moment of the database.
    pub async fn export(&self, workspace: Option<&str>) -> Result<Export> {
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let scope = match workspace {
            Some(name) => Some(
                sqlx::query_scalar::<_, i64>("select id from workspaces where name = $1 order by id limit 1")
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| VaultError::NotFound(format!("no workspace named {name}")))?,
            ),
            None => None,
        };
        let mut tables = serde_json::Map::new();
        for table in TABLES {
            tables.insert(table.name.to_owned(), Value::Array(rows_of(&mut tx, table, scope).await?));
        }
        let workspaces = tables["workspaces"]
            .as_array()
            .map(|rows| rows.iter().filter_map(|w| w["name"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        Ok(Export {
            promptvault_export: FORMAT,
            exported_at: Timestamp::now().to_rfc3339(),
            workspaces,
            tables,
        })
    }

    /// Reads an [`Export`] into this database, which must hold no workspace yet: all of it
    /// in one transaction, or nothing. Other instances on the database serve it at once.
    pub async fn import(&self, export: &Export) -> Result<()> {
        if !(1..=FORMAT).contains(&export.promptvault_export) {
            let message = format!(
                "this file is export format {}; this PromptVault reads formats 1 to {FORMAT}",
                export.promptvault_export
            );
            return Err(VaultError::invalid("file", message));
        }
        let mut tx = self.db.write.begin().await?;
        let existing: i64 = sqlx::query_scalar("select count(*) from workspaces").fetch_one(&mut *tx).await?;
        if existing > 0 {
            return Err(VaultError::conflict(
                Conflict::NotEmpty,
                "this database already holds workspaces; import into a new, empty database",
            ));
        }
        for table in TABLES {
            let rows = match export.tables.get(table.name) {
                Some(Value::Array(rows)) => rows.as_slice(),
                None => &[],
                Some(_) => {
                    return Err(VaultError::invalid("file", format!("{} is not a list of rows", table.name)));
                }
            };
            for row in rows {
                match upgraded(export.promptvault_export, table, row) {
                    Some(row) => insert_row(&mut tx, table, &row).await?,
                    None => insert_row(&mut tx, table, row).await?,
                }
            }
        }
        if self.db.backend == Backend::Postgres {
            restart_sequences(&mut tx).await?;
        }
        // Every instance on this database reads the imported prompts through the feed.
        sqlx::query("insert into changes (subject, subject_id) select 'prompt', id from prompts order by id")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.follow_changes().await;
        self.search_index.poke();
        Ok(())
    }
}

async fn rows_of(tx: &mut Transaction<'_, Any>, table: &Table, scope: Option<i64>) -> Result<Vec<Value>> {
    let filter = if scope.is_some() { format!(" where {}", table.of_workspace) } else { String::new() };
    let sql = format!("select {} from {}{filter} order by 1", table.columns.join(", "), table.name);
    let mut query = sqlx::query(AssertSqlSafe(sql));
    if let Some(id) = scope {
        query = query.bind(id);
    }
    let rows = query.fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|row| {
            let mut object = serde_json::Map::new();
            for &column in table.columns {
                let value = if table.text.contains(&column) {
                    row.try_get::<Option<String>, _>(column)?.map_or(Value::Null, Value::String)
                } else {
                    row.try_get::<Option<i64>, _>(column)?.map_or(Value::Null, Value::from)
                };
                object.insert(column.to_owned(), value);
            }
            Ok(Value::Object(object))
        })
        .collect()
}

/// A row of an older format as this format writes it, if it differs.
fn upgraded(format: u32, table: &Table, row: &Value) -> Option<Value> {
    let Value::Object(object) = row else { return None };
    if format == 1 && table.name == "pointer_moves" {
        let mut object = object.clone();
        let channel = object.remove("channel")?;
        object.insert("label".to_owned(), channel);
        return Some(Value::Object(object));
    }
    None
}

async fn insert_row(tx: &mut Transaction<'_, Any>, table: &Table, row: &Value) -> Result<()> {
    let bad = |what: String| VaultError::invalid("file", format!("a row of {}: {what}", table.name));
    let Value::Object(object) = row else { return Err(bad("not an object".into())) };
    if let Some(unknown) = object.keys().find(|key| !table.columns.contains(&key.as_str())) {
        return Err(bad(format!("unknown column {unknown}")));
    }
    let placeholders: Vec<String> = (1..=table.columns.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "insert into {} ({}) values ({})",
        table.name,
        table.columns.join(", "),
        placeholders.join(", ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for &column in table.columns {
        let value = object.get(column).unwrap_or(&Value::Null);
        query = if table.text.contains(&column) {
            match value {
                Value::Null => query.bind(None::<String>),
                Value::String(text) => query.bind(Some(text.clone())),
                _ => return Err(bad(format!("{column} should be a text"))),
            }
        } else {
            match value {
                Value::Null => query.bind(None::<i64>),
                Value::Number(n) if n.is_i64() => query.bind(n.as_i64()),
                _ => return Err(bad(format!("{column} should be an integer"))),
            }
        };
    }
    query.execute(&mut **tx).await.map_err(|error| bad(error.to_string()))?;
    Ok(())
}

/// PostgreSQL's id sequences start after the imported ids (SQLite follows by itself).
async fn restart_sequences(tx: &mut Transaction<'_, Any>) -> Result<()> {
    for table in TABLES.iter().filter(|t| t.name != "events" && t.columns.contains(&"id")) {
        let sql = format!(
            "select setval(pg_get_serial_sequence('{0}', 'id'), (select coalesce(max(id), 0) + 1 from {0}), false)",
            table.name
        );
        sqlx::query(AssertSqlSafe(sql)).execute(&mut **tx).await?;
    }
    Ok(())
}
