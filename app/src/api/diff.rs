//! The diff between two versions as the page shows it, and a prompt's deployments.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::prompts::prompt_state;
#[cfg(feature = "ssr")]
use super::ssr;
use super::{AppError, When};
#[cfg(feature = "ssr")]
use types::Status;
use types::{ChatMessage, MessageRole};

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
    let (ctx, actor) = ssr::acting().await?;
    let number = |n: i64| vault::VersionNumber::new(n).map_err(AppError::from);
    let from = from.map(number).transpose()?;
    let compared = ctx.vault.diff(&actor, &name, from, number(to)?).await?;
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
    pub deployment: types::PointerMoveJson,
    pub at: When,
    /// "Roll back to this": the version this move made live, when live may go back to it now.
    pub roll_back: Option<i64>,
}

/// The Deployments timeline: the pointer moves, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployments {
    pub moves: Vec<DeploymentRow>,
}

#[server]
pub async fn load_deployments(name: String) -> Result<Deployments, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let now = vault::Timestamp::now();
    let (state, settings) = prompt_state(&ctx, &actor, &name).await?;
    let moves = ctx.vault.deployments(&actor, &name).await?;
    let moves = moves
        .into_iter()
        .map(|m| {
            // A version that was made live is published: may live go back to it?
            let roll_back =
                m.to.filter(|&to| {
                    m.channel == types::Channel::Live
                        && vault::offered(&actor, &state, settings, Status::Published, to).roll_back
                })
                .map(vault::VersionNumber::get);
            DeploymentRow { at: ssr::when(m.at, now), roll_back, deployment: m.into() }
        })
        .collect();
    Ok(Deployments { moves })
}
