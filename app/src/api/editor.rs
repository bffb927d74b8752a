//! The editor (a draft's content, saving and rewriting it) and the operations on versions
//! and pointers: promote, roll back, stage, delete.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;
#[cfg(feature = "ssr")]
use types::MessageRole;
use types::{ChatMessage, PromptType};

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

/// The editor's text: draft `edit` to rewrite, or a new draft starting from version
/// `from`, or (neither) from the newest version.
#[server]
pub async fn load_editor(
    name: String,
    edit: Option<i64>,
    from: Option<i64>,
    rolled_back: bool,
) -> Result<EditorContent, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let number = |n: i64| vault::VersionNumber::new(n).map_err(AppError::from);
    let start = match edit.or(from) {
        Some(n) => Some(ctx.vault.version(&actor, &name, number(n)?).await?),
        None => {
            let newest = vault::PageRequest { limit: Some(1), ..Default::default() };
            ctx.vault.versions(&actor, &name, newest).await?.items.into_iter().next()
        }
    };
    let can_edit = actor.can_edit();
    let state = ctx.vault.prompt(&actor, &name).await?;
    let settings = ctx.vault.settings(&actor).await?;
    let kind = state.kind;
    // A version is rewritten in place when the vault offers its editing (a draft, not under
    // review, for a member who edits); otherwise the editor starts a new draft from it.
    let rewrite = |v: &vault::Version| vault::offered(&actor, &state, settings, v.status, v.number).edit;
    let (start, message, mode) = match start {
        Some(v) if edit.is_some() && rewrite(&v) => {
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

/// What was typed into the editor's form, to give back when a save without WASM is refused.
#[cfg(feature = "ssr")]
struct Typed(Vec<(&'static str, String)>);

#[cfg(feature = "ssr")]
impl Typed {
    /// The refusal, keeping what was typed.
    fn keeping(&self, error: vault::VaultError) -> AppError {
        let fields: Vec<(&str, &str)> = self.0.iter().map(|(k, v)| (*k, v.as_str())).collect();
        ssr::refused_keeping(error, &fields)
    }
}

/// What the editor's form sends, decoded: the text (a text prompt) or the messages as JSON
/// (a chat prompt) become the draft's body, the config's JSON text its config; and what was
/// typed, kept for a refusal.
#[cfg(feature = "ssr")]
fn read_form(
    source: Option<String>,
    messages: Option<String>,
    config: Option<String>,
    message: &str,
) -> Result<(Typed, vault::DraftBody, Option<serde_json::Value>), AppError> {
    let config = config.unwrap_or_default();
    let mut typed = vec![("config", config.clone()), ("message", message.to_owned())];
    typed.extend(source.clone().map(|s| ("source", s)));
    typed.extend(messages.clone().map(|m| ("messages", m)));
    let typed = Typed(typed);
    let parts = || -> Result<_, vault::VaultError> {
        let body = match (source, messages) {
            (_, Some(messages)) => vault::content::chat_from_text(&messages)?,
            (source, None) => vault::DraftBody::Text(source.unwrap_or_default()),
        };
        Ok((body, serde_json::Value::Object(vault::content::parse_config(&config)?)))
    };
    match parts() {
        Ok((body, config)) => Ok((typed, body, Some(config))),
        Err(error) => Err(typed.keeping(error)),
    }
}

#[server]
pub async fn save_draft(
    name: String,
    source: Option<String>,
    messages: Option<String>,
    config: Option<String>,
    message: String,
) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let (typed, body, config) = read_form(source, messages, config, &message)?;
    let draft = vault::NewDraft { body, config, message };
    let version = ctx.vault.save_draft(&actor, &name, draft).await.map_err(|e| typed.keeping(e))?;
    leptos_axum::redirect(&format!("{}?edit={}", types::prompt_page(&name), version.number.get()));
    Ok(())
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
    let (ctx, actor) = ssr::acting().await?;
    let (typed, body, config) = read_form(source, messages, config, &message)?;
    let rewrite = vault::Rewrite {
        body: Some(body),
        config,
        message: Some(message),
        expected_revision: Some(revision),
    };
    let number = vault::VersionNumber::new(number)?;
    let version =
        ctx.vault.rewrite_draft(&actor, &name, number, rewrite).await.map_err(|e| typed.keeping(e))?;
    leptos_axum::redirect(&format!(
        "{}?edit={}&r={}",
        types::prompt_page(&name),
        number.get(),
        version.revision
    ));
    Ok(())
}

#[server]
pub async fn promote(name: String, number: i64, back: String) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let number = vault::VersionNumber::new(number)?;
    ctx.vault.promote(&actor, &name, number).await?;
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(())
}

/// Rolls live back and opens the editor on the rolled-back version's source.
#[server]
pub async fn roll_back(name: String, number: i64) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let number = vault::VersionNumber::new(number)?;
    let rolled = ctx.vault.roll_back(&actor, &name, number).await?;
    leptos_axum::redirect(&format!(
        "{}?from={}&rolled_back=true",
        types::prompt_page(&name),
        rolled.based_on.get()
    ));
    Ok(())
}

/// Points staging at version `number`, or clears it when `number` is empty.
#[server]
pub async fn set_staging(name: String, number: String, back: String) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let number = match number.trim() {
        "" => None,
        n => Some(vault::VersionNumber::parse(n)?),
    };
    ctx.vault.set_staging(&actor, &name, number).await?;
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(())
}

#[server]
pub async fn delete_draft(name: String, number: i64, back: String) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let number = vault::VersionNumber::new(number)?;
    ctx.vault.delete_draft(&actor, &name, number).await?;
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(())
}
