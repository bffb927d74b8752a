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
use crate::transfer::tables::{TABLES, Table};
use crate::{Conflict, Result, Vault, VaultError};

/// The document's format; a reader refuses a newer one and reads the older ones as this one:
/// format 1 (before labels) named a pointer move's `channel` (now its `label`); formats 1
/// and 2 left out a version's config, variables and what it includes (format 3 carries
/// them, pins included); formats 1 to 3 had no rollouts, no requests for them and no tokens
/// made only to abort them (format 4).
const FORMAT: u32 = 4;

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
    if format < 3 && table.name == "versions" {
        // Before format 3 a version's config, variables and what it includes were left out:
        // an empty config, and no includes (there were none); the variables are found again
        // when the vault next opens.
        let mut object = object.clone();
        object.entry("config").or_insert_with(|| Value::String("{}".into()));
        object.entry("depth").or_insert_with(|| Value::from(0));
        return Some(Value::Object(object));
    }
    if format < 4 && table.name == "access_tokens" {
        // Every token was a member's token.
        let mut object = object.clone();
        object.entry("abort_only").or_insert_with(|| Value::from(0));
        return Some(Value::Object(object));
    }
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
