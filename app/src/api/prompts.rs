//! Prompts and their versions: the list, one prompt's overview and editor, and the
//! operations on versions and pointers.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{AppError, Marked, When};
pub use types::{Channel, ChatMessage, MessageRole, Offered, PromptType, Status};

/// One row of the prompts list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptRow {
    pub name: String,
    pub kind: PromptType,
    pub live: Option<String>,
    pub staging: Option<String>,
    pub versions: i64,
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
}

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
    pub versions: Vec<VersionRow>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionsPage {
    pub items: Vec<VersionRow>,
    pub next_cursor: Option<String>,
}

/// What the editor opens with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorContent {
    pub kind: PromptType,
    /// A text prompt's text.
    pub source: String,
    /// A chat prompt's messages and placeholders.
    pub messages: Vec<ChatMessage>,
    /// The config as JSON text, indented (empty for `{}`).
    pub config: String,
    pub message: String,
    pub mode: EditorMode,
    /// Viewers see the text but cannot save.
    pub can_edit: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EditorMode {
    /// Saving creates the next version; the text started from `based_on`.
    NewDraft { based_on: Option<i64>, rolled_back: bool },
    /// Saving rewrites draft `number`, if nobody changed it since `revision`.
    Rewrite { number: i64, revision: i64 },
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
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let now = vault::Timestamp::now();
    let prompts = ctx.vault.prompts(&actor).await.map_err(ssr::app_error)?;
    let settings = ctx.vault.settings(&actor).await.map_err(ssr::app_error)?;
    let rows = prompts
        .into_iter()
        .map(|p| PromptRow {
            name: p.state.name,
            kind: p.state.kind,
            live: p.state.live.map(|n| n.label()),
            staging: p.state.staging.map(|n| n.label()),
            versions: p.state.versions,
            updated: ssr::when(p.updated_at, now),
        })
        .collect();
    Ok(PromptList { staging_enabled: settings.staging_enabled, can_edit: actor.role.can_edit(), rows })
}

#[server]
pub async fn create_prompt(name: String, kind: Option<String>) -> Result<(), AppError> {
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let kind = vault::content::prompt_type(kind.as_deref()).map_err(ssr::app_error)?;
    let state = ctx
        .vault
        .create_prompt_of_type(&actor, &name, kind)
        .await
        .map_err(|e| ssr::refused_keeping(e, &[("name", &name)]))?;
    leptos_axum::redirect(&format!("/prompts/{}", state.name));
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
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let (state, settings) = prompt_state(&ctx, &actor, &name).await?;
    let page = history(&ctx, &actor, &name, q, before).await?;
    Ok(PromptOverview {
        name: state.name,
        live: state.live.map(vault::VersionNumber::get),
        staging: state.staging.map(vault::VersionNumber::get),
        staging_enabled: settings.staging_enabled,
        review: settings.live_changes == vault::LiveChanges::Review,
        can_edit: actor.role.can_edit(),
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
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    history(&ctx, &actor, &name, q, Some(cursor)).await
}

/// The prompt's pointers, and its workspace's settings (staging, who changes live).
#[cfg(feature = "ssr")]
async fn prompt_state(
    ctx: &ssr::ServerContext,
    actor: &vault::Actor,
    name: &str,
) -> Result<(vault::PromptState, vault::Settings), AppError> {
    let state = ctx.vault.prompt(actor, name).await.map_err(ssr::app_error)?;
    let settings = ctx.vault.settings(actor).await.map_err(ssr::app_error)?;
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
    let page = ctx.vault.history(actor, name, request).await.map_err(ssr::app_error)?;
    let now = vault::Timestamp::now();
    let items = page
        .items
        .into_iter()
        .map(|entry| {
            let offered = vault::offered(actor, &state, settings, entry.status, entry.number);
            version_row(entry, offered, now)
        })
        .collect();
    Ok(VersionsPage { items, next_cursor: page.next_cursor })
}

#[cfg(feature = "ssr")]
fn page_request(search: Option<String>, cursor: Option<String>) -> Result<vault::PageRequest, AppError> {
    let cursor = cursor.as_deref().map(vault::Cursor::parse).transpose().map_err(ssr::app_error)?;
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
    }
}

/// A version found by a search across the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub prompt: String,
    pub row: VersionRow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub items: Vec<SearchHit>,
    pub next_cursor: Option<String>,
}

/// Searches the messages and authors of every prompt's versions, newest first.
#[server]
pub async fn search_versions(q: String, cursor: Option<String>) -> Result<SearchResults, AppError> {
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let page = ctx.vault.search(&actor, page_request(Some(q), cursor)?).await.map_err(ssr::app_error)?;
    let now = vault::Timestamp::now();
    let items = page
        .items
        .into_iter()
        // Search results link to their prompt, where the actions are.
        .map(|f| SearchHit { prompt: f.prompt, row: version_row(f.entry, Offered::default(), now) })
        .collect();
    Ok(SearchResults { items, next_cursor: page.next_cursor })
}

/// The editor's text: draft `edit` to rewrite, or a new draft starting from version
/// `from`, or (neither) from the newest version.
#[server]
pub async fn load_editor(
    name: String,
    edit: Option<i64>,
    from: Option<i64>,
    rolled_back: bool,
) -> Result<EditorContent, AppError> {
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let number = |n: i64| vault::VersionNumber::new(n).map_err(ssr::app_error);
    let start = match edit.or(from) {
        Some(n) => Some(ctx.vault.version(&actor, &name, number(n)?).await.map_err(ssr::app_error)?),
        None => {
            let newest = vault::PageRequest { limit: Some(1), ..Default::default() };
            ctx.vault.versions(&actor, &name, newest).await.map_err(ssr::app_error)?.items.into_iter().next()
        }
    };
    let can_edit = actor.role.can_edit();
    let kind = ctx.vault.prompt(&actor, &name).await.map_err(ssr::app_error)?.kind;
    let (start, message, mode) = match start {
        Some(v) if edit.is_some() && v.status == Status::Draft => {
            let mode = EditorMode::Rewrite { number: v.number.get(), revision: v.revision };
            let message = v.message.clone();
            (Some(v), message, mode)
        }
        Some(v) => {
            let mode = EditorMode::NewDraft { based_on: Some(v.number.get()), rolled_back };
            (Some(v), String::new(), mode)
        }
        None => (None, String::new(), EditorMode::NewDraft { based_on: None, rolled_back: false }),
    };
    let (source, messages, config) = match start {
        Some(v) => {
            let config = if v.config.is_empty() {
                String::new()
            } else {
                serde_json::to_string_pretty(&v.config).unwrap_or_default()
            };
            match v.body {
                vault::Body::Text(text) => (text, Vec::new(), config),
                vault::Body::Chat(messages) => (String::new(), messages, config),
            }
        }
        // A new chat prompt starts with a system message to write.
        None if kind == PromptType::Chat => {
            (String::new(), vec![ChatMessage::new(MessageRole::System, "")], String::new())
        }
        None => (String::new(), Vec::new(), String::new()),
    };
    Ok(EditorContent { kind, source, messages, config, message, mode, can_edit })
}

/// What the editor's form sends: the text (a text prompt) or the messages as JSON (a chat
/// prompt), the config as JSON text, and the change message.
#[cfg(feature = "ssr")]
fn draft_parts(
    source: Option<String>,
    messages: Option<String>,
    config: &str,
) -> Result<(vault::DraftBody, Option<serde_json::Value>), vault::VaultError> {
    let body = match (source, messages) {
        (_, Some(messages)) => vault::content::chat_from_text(&messages)?,
        (source, None) => vault::DraftBody::Text(source.unwrap_or_default()),
    };
    let config = serde_json::Value::Object(vault::content::parse_config(config)?);
    Ok((body, Some(config)))
}

#[server]
pub async fn save_draft(
    name: String,
    source: Option<String>,
    messages: Option<String>,
    config: Option<String>,
    message: String,
) -> Result<(), AppError> {
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let config = config.unwrap_or_default();
    let typed = typed_fields(&source, &messages, &config, &message);
    let kept = |e| ssr::refused_keeping(e, &typed.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>());
    let (body, config) = draft_parts(source, messages, &config).map_err(kept)?;
    let draft = vault::NewDraft { body, config, message };
    let version = ctx.vault.save_draft(&actor, &name, draft).await.map_err(kept)?;
    leptos_axum::redirect(&format!("/prompts/{name}?edit={}", version.number.get()));
    Ok(())
}

/// What was typed, to give back when a save without WASM is refused.
#[cfg(feature = "ssr")]
fn typed_fields(
    source: &Option<String>,
    messages: &Option<String>,
    config: &str,
    message: &str,
) -> Vec<(&'static str, String)> {
    let mut typed = vec![("config", config.to_owned()), ("message", message.to_owned())];
    typed.extend(source.clone().map(|s| ("source", s)));
    typed.extend(messages.clone().map(|m| ("messages", m)));
    typed
}

#[server]
pub async fn rewrite_draft(
    name: String,
    number: i64,
    revision: i64,
    source: Option<String>,
    messages: Option<String>,
    config: Option<String>,
    message: String,
) -> Result<(), AppError> {
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let config = config.unwrap_or_default();
    let typed = typed_fields(&source, &messages, &config, &message);
    let kept = |e| ssr::refused_keeping(e, &typed.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>());
    let (body, config) = draft_parts(source, messages, &config).map_err(kept)?;
    let rewrite = vault::Rewrite {
        body: Some(body),
        config,
        message: Some(message),
        expected_revision: Some(revision),
    };
    let number = vault::VersionNumber::new(number).map_err(ssr::app_error)?;
    let version = ctx.vault.rewrite_draft(&actor, &name, number, rewrite).await.map_err(kept)?;
    leptos_axum::redirect(&format!("/prompts/{name}?edit={}&r={}", number.get(), version.revision));
    Ok(())
}

#[server]
pub async fn promote(name: String, number: i64, back: String) -> Result<(), AppError> {
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let number = vault::VersionNumber::new(number).map_err(ssr::app_error)?;
    ctx.vault.promote(&actor, &name, number).await.map_err(ssr::app_error)?;
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(())
}

/// Rolls live back and opens the editor on the rolled-back version's source.
#[server]
pub async fn roll_back(name: String, number: i64) -> Result<(), AppError> {
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let number = vault::VersionNumber::new(number).map_err(ssr::app_error)?;
    let rolled = ctx.vault.roll_back(&actor, &name, number).await.map_err(ssr::app_error)?;
    leptos_axum::redirect(&format!("/prompts/{name}?from={}&rolled_back=true", rolled.based_on.get()));
    Ok(())
}

/// Points staging at version `number`, or clears it when `number` is empty.
#[server]
pub async fn set_staging(name: String, number: String, back: String) -> Result<(), AppError> {
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let number = match number.trim() {
        "" => None,
        n => Some(vault::VersionNumber::parse(n).map_err(ssr::app_error)?),
    };
    ctx.vault.set_staging(&actor, &name, number).await.map_err(ssr::app_error)?;
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(())
}

#[server]
pub async fn delete_draft(name: String, number: i64, back: String) -> Result<(), AppError> {
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let number = vault::VersionNumber::new(number).map_err(ssr::app_error)?;
    ctx.vault.delete_draft(&actor, &name, number).await.map_err(ssr::app_error)?;
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(())
}

/// A diff as the diff view shows it (the vault's rows, in types the browser knows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffView {
    pub from: Option<i64>,
    pub to: i64,
    pub added: usize,
    pub removed: usize,
    /// A text prompt's lines (empty for a chat prompt).
    pub rows: Vec<DiffRowView>,
    /// A chat prompt's messages, paired in order; `None` for a text prompt.
    pub messages: Option<Vec<MessageChangeView>>,
    /// The config's keys whose values differ.
    pub config: Vec<ConfigChangeView>,
}

/// One entry of a chat prompt's diff (positions count from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageChangeView {
    Same {
        old: usize,
        new: usize,
        message: ChatMessage,
    },
    Added {
        new: usize,
        message: ChatMessage,
    },
    Removed {
        old: usize,
        message: ChatMessage,
    },
    /// A message whose role or content changed: its content's rows, words marked.
    Changed {
        old: usize,
        new: usize,
        old_role: MessageRole,
        new_role: MessageRole,
        rows: Vec<DiffRowView>,
    },
}

/// A config key added (`old` absent), removed (`new` absent) or changed; values as JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigChangeView {
    pub key: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffRowView {
    Same { old_line: usize, new_line: usize, text: String },
    Changed { old: Option<DiffSideView>, new: Option<DiffSideView> },
    Folded { old_line: usize, new_line: usize, lines: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSideView {
    pub line: usize,
    /// `(text, changed)` runs.
    pub segments: Vec<(String, bool)>,
    pub no_newline: bool,
}

/// The diff from `from` (by default the version before) to `to`.
#[server]
pub async fn load_diff(name: String, to: i64, from: Option<i64>) -> Result<DiffView, AppError> {
    use vault::diff::MessageChange;
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let number = |n: i64| vault::VersionNumber::new(n).map_err(ssr::app_error);
    let from = from.map(number).transpose()?;
    let compared = ctx.vault.diff(&actor, &name, from, number(to)?).await.map_err(ssr::app_error)?;
    let messages = compared.messages.map(|changes| {
        changes
            .into_iter()
            .map(|change| match change {
                MessageChange::Same { old_index, new_index, message } => {
                    MessageChangeView::Same { old: old_index + 1, new: new_index + 1, message }
                }
                MessageChange::Added { new_index, message } => {
                    MessageChangeView::Added { new: new_index + 1, message }
                }
                MessageChange::Removed { old_index, message } => {
                    MessageChangeView::Removed { old: old_index + 1, message }
                }
                MessageChange::Changed { old_index, new_index, old_role, new_role, diff } => {
                    MessageChangeView::Changed {
                        old: old_index + 1,
                        new: new_index + 1,
                        old_role,
                        new_role,
                        rows: diff_rows(diff.rows),
                    }
                }
            })
            .collect()
    });
    let json = |value: Option<serde_json::Value>| value.map(|v| v.to_string());
    let config = compared
        .config
        .into_iter()
        .map(|c| ConfigChangeView { key: c.key, old: json(c.old), new: json(c.new) })
        .collect();
    Ok(DiffView {
        from: compared.from.map(vault::VersionNumber::get),
        to: compared.to.get(),
        added: compared.diff.added,
        removed: compared.diff.removed,
        rows: diff_rows(compared.diff.rows),
        messages,
        config,
    })
}

/// The vault's side-by-side rows, in types the browser knows.
#[cfg(feature = "ssr")]
fn diff_rows(rows: Vec<vault::diff::DiffRow>) -> Vec<DiffRowView> {
    use vault::diff::{DiffRow, DiffSide};
    let side = |side: Option<DiffSide>| {
        side.map(|s| DiffSideView {
            line: s.line,
            segments: s.segments.into_iter().map(|seg| (seg.text, seg.changed)).collect(),
            no_newline: s.no_newline,
        })
    };
    rows.into_iter()
        .map(|row| match row {
            DiffRow::Same { old_line, new_line, text } => DiffRowView::Same { old_line, new_line, text },
            DiffRow::Changed { old, new } => DiffRowView::Changed { old: side(old), new: side(new) },
            DiffRow::Folded { old_line, new_line, lines } => {
                DiffRowView::Folded { old_line, new_line, lines }
            }
        })
        .collect()
}

/// One move of a pointer, as the Deployments timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRow {
    pub channel: Channel,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub actor: String,
    /// For a move that approved a request: who requested it (`actor` approved it).
    pub requested_by: Option<String>,
    pub at: When,
    pub event_id: String,
    /// "Roll back to this": the version this move made live may be rolled back to now.
    pub roll_back: bool,
}

/// The Deployments timeline: the pointer moves, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployments {
    pub moves: Vec<DeploymentRow>,
}

#[server]
pub async fn load_deployments(name: String) -> Result<Deployments, AppError> {
    let ctx = ssr::context()?;
    let actor = ssr::signed_in(&ctx).await?;
    let now = vault::Timestamp::now();
    let (state, settings) = prompt_state(&ctx, &actor, &name).await?;
    let moves = ctx.vault.deployments(&actor, &name).await.map_err(ssr::app_error)?;
    let moves = moves
        .into_iter()
        .map(|m| {
            // A version that was made live is published: may live go back to it?
            let roll_back = m
                .to
                .filter(|_| m.channel == Channel::Live)
                .is_some_and(|to| vault::offered(&actor, &state, settings, Status::Published, to).roll_back);
            DeploymentRow {
                channel: m.channel,
                from: m.from.map(vault::VersionNumber::get),
                to: m.to.map(vault::VersionNumber::get),
                actor: m.actor,
                requested_by: m.requested_by,
                at: ssr::when(m.at, now),
                event_id: m.event_id,
                roll_back,
            }
        })
        .collect();
    Ok(Deployments { moves })
}
