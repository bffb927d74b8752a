//! Prompts and their versions: the list, one prompt's overview and history, and search.
//! The editor and the operations on versions are in `editor`, diffs and deployments in
//! `diff`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{AppError, Marked, When};
pub use types::{Channel, ChatMessage, MessageRole, Offered, PromptType, Status};

/// One row of the prompts list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptRow {
    pub prompt: types::PromptJson,
    pub updated: When,
}

/// One row of a prompt's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRow {
    pub number: i64,
    pub label: String,
    pub status: Status,
    /// What the member may do with it now, as the vault decides.
    pub offered: Offered,
    pub message: Marked,
    pub author: Marked,
    /// Shown when a search matched it.
    pub author_email: Marked,
    pub created: When,
    /// What a published version includes, pinned when it was published (`tone v4`).
    pub pins: Vec<String>,
    /// Uses and failures the applications reported in the last week (see [`USAGE_DAYS`]).
    pub uses: u64,
    pub failures: u64,
}

/// The days of reports a version's uses are counted over.
pub const USAGE_DAYS: i64 = 7;

/// A prompt's pointers and the first page of its history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptOverview {
    pub name: String,
    pub live: Option<i64>,
    pub staging: Option<i64>,
    pub staging_enabled: bool,
    /// The workspace reviews changes to live: Promote and Roll back open a request.
    pub review: bool,
    pub can_edit: bool,
    /// The workspace's own labels, where each points on this prompt.
    pub labels: Vec<super::PromptLabel>,
    /// The prompt's tags.
    pub tags: Vec<String>,
    pub versions: Vec<VersionRow>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionsPage {
    pub items: Vec<VersionRow>,
    pub next_cursor: Option<String>,
}

#[cfg(feature = "ssr")]
const HISTORY_PAGE: i64 = 50;

/// The workspace's prompts, and whether staging (and so its column) is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptList {
    pub staging_enabled: bool,
    /// Editors and above create prompts.
    pub can_edit: bool,
    pub rows: Vec<PromptRow>,
}

#[server]
pub async fn list_prompts() -> Result<PromptList, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let now = vault::Timestamp::now();
    let prompts = ctx.vault.prompts(&actor).await?;
    let settings = ctx.vault.settings(&actor).await?;
    let rows = prompts
        .into_iter()
        .map(|p| PromptRow { updated: ssr::when(p.updated_at, now), prompt: p.into() })
        .collect();
    Ok(PromptList { staging_enabled: settings.staging_enabled, can_edit: actor.can_edit(), rows })
}

#[server]
pub async fn create_prompt(name: String, kind: Option<String>) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let kind = vault::content::prompt_type(kind.as_deref())?;
    let state = ctx
        .vault
        .create_prompt_of_type(&actor, &name, kind)
        .await
        .map_err(|e| ssr::refused_keeping(e, &[("name", &name)]))?;
    leptos_axum::redirect(&types::prompt_page(&state.name));
    Ok(())
}

/// The prompt's pointers and a page of its history: the newest, or the one after
/// `before`; only versions matching `q` when searching.
#[server]
pub async fn load_overview(
    name: String,
    q: Option<String>,
    before: Option<String>,
) -> Result<PromptOverview, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let (state, settings) = prompt_state(&ctx, &actor, &name).await?;
    let page = history(&ctx, &actor, &name, q, before).await?;
    let labels = super::labels::prompt_labels(&ctx, &actor, &state).await?;
    Ok(PromptOverview {
        labels,
        tags: state.tags.clone(),
        name: state.name,
        live: state.live.map(vault::VersionNumber::get),
        staging: state.staging.map(vault::VersionNumber::get),
        staging_enabled: settings.staging_enabled,
        review: matches!(actor.live_right(settings.live_changes), Ok(vault::ChangeRight::ByRequest)),
        can_edit: actor.can_edit(),
        versions: page.items,
        next_cursor: page.next_cursor,
    })
}

/// The page of history after `cursor` (of the search for `q`, if any).
#[server]
pub async fn more_versions(
    name: String,
    cursor: String,
    q: Option<String>,
) -> Result<VersionsPage, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    history(&ctx, &actor, &name, q, Some(cursor)).await
}

/// The prompt's pointers, and its workspace's settings (staging, who changes live).
#[cfg(feature = "ssr")]
pub(super) async fn prompt_state(
    ctx: &ssr::ServerContext,
    actor: &vault::Actor,
    name: &str,
) -> Result<(vault::PromptState, vault::Settings), AppError> {
    let state = ctx.vault.prompt(actor, name).await?;
    let settings = ctx.vault.settings(actor).await?;
    Ok((state, settings))
}

#[cfg(feature = "ssr")]
async fn history(
    ctx: &ssr::ServerContext,
    actor: &vault::Actor,
    name: &str,
    search: Option<String>,
    cursor: Option<String>,
) -> Result<VersionsPage, AppError> {
    let request = page_request(search, cursor)?;
    let (state, settings) = prompt_state(ctx, actor, name).await?;
    let page = ctx.vault.history(actor, name, request).await?;
    let now = vault::Timestamp::now();
    let usage =
        ctx.vault.version_usage(actor, name, vault::Timestamp(now.0 - USAGE_DAYS * 86_400_000)).await?;
    let items = page
        .items
        .into_iter()
        .map(|entry| {
            let offered = vault::offered(actor, &state, settings, entry.status, entry.number);
            let (uses, failures) = usage.get(&entry.number).copied().unwrap_or_default();
            VersionRow { uses, failures, ..version_row(entry, offered, now) }
        })
        .collect();
    Ok(VersionsPage { items, next_cursor: page.next_cursor })
}

#[cfg(feature = "ssr")]
fn page_request(search: Option<String>, cursor: Option<String>) -> Result<vault::PageRequest, AppError> {
    let cursor = cursor.as_deref().map(vault::Cursor::parse).transpose()?;
    Ok(vault::PageRequest { limit: Some(HISTORY_PAGE), cursor, search })
}

#[cfg(feature = "ssr")]
fn version_row(entry: vault::HistoryEntry, offered: Offered, now: vault::Timestamp) -> VersionRow {
    let marked = |text: String, marks: Vec<std::ops::Range<usize>>| Marked {
        text,
        marks: marks.into_iter().map(|r| (r.start, r.end)).collect(),
    };
    VersionRow {
        number: entry.number.get(),
        label: entry.number.label(),
        status: entry.status,
        offered,
        message: marked(entry.message, entry.marks.message),
        author: marked(entry.author, entry.marks.author),
        author_email: marked(entry.author_email, entry.marks.author_email),
        created: ssr::when(entry.created_at, now),
        pins: entry.pins,
        uses: 0,
        failures: 0,
    }
}

/// A version found by a search across the workspace, with what matched marked (the API's
/// `types::SearchHit` without the marks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundRow {
    pub prompt: String,
    pub row: VersionRow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub items: Vec<FoundRow>,
    pub next_cursor: Option<String>,
}

/// Searches the messages and authors of every prompt's versions, newest first.
#[server]
pub async fn search_versions(q: String, cursor: Option<String>) -> Result<SearchResults, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let page = ctx.vault.search(&actor, page_request(Some(q), cursor)?).await?;
    let now = vault::Timestamp::now();
    let items = page
        .items
        .into_iter()
        // Search results link to their prompt, where the actions are.
        .map(|f| FoundRow { prompt: f.prompt, row: version_row(f.entry, Offered::default(), now) })
        .collect();
    Ok(SearchResults { items, next_cursor: page.next_cursor })
}
