//! Long histories: pages of versions, newest first, with keyset cursors (never OFFSET, so
//! the 2,000th page costs what the first does), and keyword search over messages and
//! authors, per prompt and across the workspace.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::access::Actor;
use crate::content::{self, PromptType};
use crate::db::Timestamp;
use crate::names::VersionNumber;
use crate::pages::{Cursor, Page, PageRequest};
use crate::prompts::steps::find_prompt;
use crate::search::{Highlighter, Marks, Scope};
use crate::version::{
    Named, Status, VERSION_COLUMNS, Version, VersionJson, number_from_db, status_from_db, version_from_row,
};
use crate::{Result, Vault};

/// A version as a history list shows it: everything but its source, and the words a
/// search matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub number: VersionNumber,
    pub status: Status,
    /// The prompt's type.
    pub kind: PromptType,
    /// The version's `{{variables}}`.
    pub variables: Vec<String>,
    pub message: String,
    pub author: String,
    pub author_email: String,
    pub created_at: Timestamp,
    /// Empty unless the page was a search.
    pub marks: Marks,
    /// What a published version includes, pinned when it was published (`tone v4`), in
    /// the order of its references; empty in search results.
    pub pins: Vec<String>,
}

impl HistoryEntry {
    /// The version JSON without the source or config (history entries carry neither).
    pub fn to_json(&self) -> VersionJson {
        Named {
            number: self.number,
            status: self.status,
            kind: self.kind,
            variables: self.variables.clone(),
            message: &self.message,
            author: &self.author,
            created_at: self.created_at,
        }
        .into_json()
    }
}

impl Found {
    /// The search hit JSON: the version without its source, and its prompt.
    pub fn to_json(&self) -> types::SearchHit {
        types::SearchHit { prompt: self.prompt.clone(), version: self.entry.to_json() }
    }
}

impl From<Found> for types::SearchHit {
    fn from(found: Found) -> Self {
        found.to_json()
    }
}

/// A workspace-wide search result: a version and the prompt it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    pub prompt: String,
    pub entry: HistoryEntry,
}

const ENTRY_COLUMNS: &str = "v.id, v.number, v.status, v.variables, v.message, v.created_at, \
     m.name as author, m.email as author_email, (select kind from prompts where id = v.prompt_id) as kind";

/// The rows of one page, in order, and what the page needs beyond them.
struct Rows {
    rows: Vec<AnyRow>,
    next_cursor: Option<String>,
    highlighter: Option<Highlighter>,
}

/// A page of versions with their content carries at most this many bytes of sources and
/// configs (as stored: a character may be up to four), and at least one version whatever its size: two hundred sources of a
/// megabyte would otherwise make one answer of 200 MB. A page cut short says so with its
/// `next_cursor`, like any other.
pub const MAX_PAGE_CONTENT: i64 = 4 * 1024 * 1024;

/// What a page of versions weighs before it is read: each version's content size.
const SIZE_COLUMNS: &str = "v.prompt_id, v.number, cast(octet_length(v.source) + coalesce(octet_length(v.config), 0) as bigint) as size";

impl Vault {
    /// One page of a prompt's history, newest first, every version with its source (the
    /// management API's shape), at most [`MAX_PAGE_CONTENT`] of content. With `search`,
    /// only the versions that match.
    pub async fn versions(&self, actor: &Actor, name: &str, page: PageRequest) -> Result<Page<Version>> {
        let sized = self.prompt_rows(actor, name, &page, SIZE_COLUMNS).await?;
        let (mut numbers, mut total, mut cut) = (Vec::new(), 0i64, false);
        for row in &sized.rows {
            let size: i64 = row.try_get::<Option<i64>, _>("size")?.unwrap_or(0);
            if !numbers.is_empty() && total.saturating_add(size) > MAX_PAGE_CONTENT {
                cut = true;
                break;
            }
            total = total.saturating_add(size);
            numbers.push(row.try_get::<i64, _>("number")?);
        }
        let Some(first) = sized.rows.first() else {
            return Ok(Page { items: Vec::new(), next_cursor: sized.next_cursor });
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "select {VERSION_COLUMNS} from versions v join accounts m on m.id = v.author_id \
             where v.prompt_id = $1 and v.number in ({}) order by v.number desc",
            placeholders(2, numbers.len())
        )))
        .bind(first.try_get::<i64, _>("prompt_id")?)
        .bind_all(&numbers)
        .fetch_all(&self.db.read)
        .await?;
        let items = rows.iter().map(version_from_row).collect::<Result<_>>()?;
        let next_cursor = if cut { next_cursor(true, &numbers) } else { sized.next_cursor };
        Ok(Page { items, next_cursor })
    }

    /// One page of a prompt's history as the dashboard lists it: no sources (a source may
    /// be 1 MiB), and the matched words of a search.
    pub async fn history(&self, actor: &Actor, name: &str, page: PageRequest) -> Result<Page<HistoryEntry>> {
        let found = self.prompt_rows(actor, name, &page, ENTRY_COLUMNS).await?;
        let mut items: Vec<HistoryEntry> = found
            .rows
            .iter()
            .map(|row| entry_from_row(row, found.highlighter.as_ref()))
            .collect::<Result<_>>()?;
        let ids: Vec<i64> = found.rows.iter().map(|row| row.try_get("id")).collect::<Result<_, _>>()?;
        let mut pins = self.pins_of(&ids).await?;
        for (item, id) in items.iter_mut().zip(&ids) {
            item.pins = pins.remove(id).unwrap_or_default();
        }
        Ok(Page { items, next_cursor: found.next_cursor })
    }

    /// Searches every version of the caller's workspace, newest first. Never another
    /// workspace's: the index is filtered by workspace, and so is the database read.
    pub async fn search(&self, actor: &Actor, page: PageRequest) -> Result<Page<Found>> {
        let limit = page.limit()?;
        let Some(text) = page.search() else {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        };
        let scope =
            Scope::Workspace { workspace_id: actor.workspace_id, before: page.cursor.map(Cursor::get) };
        let hits = self.search_index.search(scope, text, limit as usize).await?;
        let rows = if hits.keys.is_empty() {
            Vec::new()
        } else {
            sqlx::query(AssertSqlSafe(format!(
                "select p.name as prompt, {ENTRY_COLUMNS} from versions v \
                 join prompts p on p.id = v.prompt_id join accounts m on m.id = v.author_id \
                 where p.workspace_id = $1 and v.id in ({}) order by v.id desc",
                placeholders(2, hits.keys.len())
            )))
            .bind(actor.workspace_id)
            .bind_all(&hits.keys)
            .fetch_all(&self.db.read)
            .await?
        };
        let items = rows
            .iter()
            .map(|row| {
                Ok(Found {
                    prompt: row.try_get("prompt")?,
                    entry: entry_from_row(row, Some(&hits.highlighter))?,
                })
            })
            .collect::<Result<_>>()?;
        let next_cursor = next_cursor(hits.more, &hits.keys);
        Ok(Page { items, next_cursor })
    }

    /// Waits until every version saved so far is searchable. Searches do not wait (a save
    /// is searchable within a fraction of a second); tests and the benchmark do.
    pub async fn search_caught_up(&self) -> Result<()> {
        self.search_index.caught_up(&self.db).await
    }

    /// The rows of one page of a prompt's history, with `columns` selected.
    async fn prompt_rows(
        &self,
        actor: &Actor,
        name: &str,
        page: &PageRequest,
        columns: &str,
    ) -> Result<Rows> {
        let limit = page.limit()?;
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let prompt = find_prompt(&mut tx, actor, name).await?;
        let before = page.cursor.map(Cursor::get);
        let Some(text) = page.search() else {
            let mut rows = sqlx::query(AssertSqlSafe(format!(
                "select {columns} from versions v join accounts m on m.id = v.author_id \
                 where v.prompt_id = $1 and v.number < $2 order by v.number desc limit $3"
            )))
            .bind(prompt.id)
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit + 1)
            .fetch_all(&mut *tx)
            .await?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let numbers = rows.iter().map(|r| r.try_get("number")).collect::<Result<Vec<i64>, _>>()?;
            return Ok(Rows { next_cursor: next_cursor(more, &numbers), rows, highlighter: None });
        };
        let scope = Scope::Prompt { prompt_id: prompt.id, before };
        let hits = self.search_index.search(scope, text, limit as usize).await?;
        let rows = if hits.keys.is_empty() {
            Vec::new()
        } else {
            sqlx::query(AssertSqlSafe(format!(
                "select {columns} from versions v join accounts m on m.id = v.author_id \
                 where v.prompt_id = $1 and v.number in ({}) order by v.number desc",
                placeholders(2, hits.keys.len())
            )))
            .bind(prompt.id)
            .bind_all(&hits.keys)
            .fetch_all(&mut *tx)
            .await?
        };
        Ok(Rows {
            rows,
            next_cursor: next_cursor(hits.more, &hits.keys),
            highlighter: Some(hits.highlighter),
        })
    }
}

fn entry_from_row(row: &AnyRow, highlighter: Option<&Highlighter>) -> Result<HistoryEntry> {
    let message: String = row.try_get("message")?;
    let author: String = row.try_get("author")?;
    let author_email: String = row.try_get("author_email")?;
    let marks = highlighter.map(|h| h.marks(&message, &author, &author_email)).unwrap_or_default();
    Ok(HistoryEntry {
        number: number_from_db(row.try_get("number")?)?,
        status: status_from_db(&row.try_get::<String, _>("status")?)?,
        kind: content::kind_from_db(&row.try_get::<String, _>("kind")?)?,
        variables: content::variables_from_db(row.try_get::<Option<String>, _>("variables")?.as_deref()),
        message,
        author,
        author_email,
        created_at: Timestamp(row.try_get("created_at")?),
        marks,
        pins: Vec::new(),
    })
}

impl Vault {
    /// What each of the versions `ids` pins, as `tone v4`, by version id (one query).
    async fn pins_of(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, Vec<String>>> {
        let mut pins: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(pins);
        }
        let rows = sqlx::query(AssertSqlSafe(format!(
            "select vp.version_id, p.name, iv.number from version_pins vp join versions iv on iv.id = vp.included_id \
             join prompts p on p.id = iv.prompt_id where vp.version_id in ({}) order by vp.reference",
            placeholders(1, ids.len())
        )))
        .bind_all(ids)
        .fetch_all(&self.db.read)
        .await?;
        for row in &rows {
            let name: String = row.try_get("name")?;
            let number = number_from_db(row.try_get("number")?)?;
            pins.entry(row.try_get("version_id")?).or_default().push(format!("{name} {number}"));
        }
        Ok(pins)
    }
}

/// The cursor after the page ending with `keys`' last, when more follow.
fn next_cursor(more: bool, keys: &[i64]) -> Option<String> {
    if more { keys.last().map(|&k| Cursor::new(k).encode()) } else { None }
}

/// `$first, $first+1, …`: `count` numbered placeholders.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// Binds a list of values in order, for an `in (…)` list.
trait BindAll<'q> {
    fn bind_all(self, values: &'q [i64]) -> Self;
}

impl<'q> BindAll<'q> for sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    fn bind_all(self, values: &'q [i64]) -> Self {
        values.iter().fold(self, |query, value| query.bind(*value))
    }
}
