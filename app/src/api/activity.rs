//! The Activity page: the workspace's changes, newest first, filtered, a page at a time.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{AppError, When};

/// One change as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityRow {
    pub entry: types::ActivityJson,
    pub at: When,
    /// What happened, in words: "promoted v3 (live was v2)".
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub items: Vec<ActivityRow>,
    pub next_cursor: Option<String>,
}

/// The page of changes after `before` (the newest without), matching the filters given.
#[server]
pub async fn load_activity(
    prompt: Option<String>,
    member: Option<String>,
    kind: Option<String>,
    before: Option<String>,
) -> Result<ActivityPage, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let blank_is_none = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    let cursor = blank_is_none(before).as_deref().map(vault::Cursor::parse).transpose()?;
    let filter = vault::ActivityFilter {
        page: vault::PageRequest { cursor, ..Default::default() },
        prompt: blank_is_none(prompt),
        member: blank_is_none(member),
        kind: blank_is_none(kind).as_deref().map(types::ActivityKind::parse).transpose()?,
    };
    let page = ctx.vault.activity(&actor, filter).await?;
    let now = vault::Timestamp::now();
    let items = page
        .items
        .into_iter()
        .map(|entry| ActivityRow {
            at: ssr::when(entry.at, now),
            summary: summary(&entry),
            entry: entry.into(),
        })
        .collect();
    Ok(ActivityPage { items, next_cursor: page.next_cursor })
}

/// A change in words, from its kind and details.
#[cfg(feature = "ssr")]
fn summary(entry: &vault::ActivityEntry) -> String {
    use vault::ActivityKind as Kind;
    let detail = |key: &str| match &entry.details[key] {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => "nothing".to_owned(),
        other => other.to_string(),
    };
    match entry.kind {
        Kind::PromptCreated => "created the prompt".to_owned(),
        Kind::VersionSaved => format!("saved draft {}", detail("version")),
        Kind::VersionRewritten => format!("rewrote draft {}", detail("version")),
        Kind::DraftDeleted => format!("deleted draft {}", detail("version")),
        Kind::VersionPromoted => format!("promoted {} (live was {})", detail("to"), detail("from")),
        Kind::VersionRolledBack => format!("rolled live back from {} to {}", detail("from"), detail("to")),
        Kind::StagingChanged if entry.details["to"].is_null() => {
            format!("cleared staging (it was {})", detail("from"))
        }
        Kind::StagingChanged => format!("pointed staging at {}", detail("to")),
        Kind::SettingChanged => {
            match (entry.details["staging_enabled"].as_bool(), entry.details["live_changes"].as_str()) {
                (Some(true), _) => "enabled staging".to_owned(),
                (Some(false), _) => "disabled staging".to_owned(),
                (None, Some("review")) => "made every change to live go through review".to_owned(),
                (None, Some("admins")) => "let only admins and owners change live".to_owned(),
                (None, _) => "let editors change live".to_owned(),
            }
        }
        Kind::KeyCreated => {
            format!("created the {} API key \u{201c}{}\u{201d}", detail("kind"), detail("name"))
        }
        Kind::KeyRevoked => format!("revoked the API key \u{201c}{}\u{201d}", detail("name")),
        Kind::TokenCreated => format!("created the access token \u{201c}{}\u{201d}", detail("name")),
        Kind::TokenRevoked => format!("revoked the access token \u{201c}{}\u{201d}", detail("name")),
        Kind::WebhookCreated => format!("added webhook {}", detail("id")),
        Kind::WebhookChanged => format!("changed webhook {}", detail("id")),
        Kind::WebhookDeleted => format!("deleted webhook {}", detail("id")),
        Kind::WebhookSecretRotated => format!("gave webhook {} a new secret", detail("id")),
        Kind::WorkspaceCreated => format!("created the workspace \u{201c}{}\u{201d}", detail("name")),
        Kind::MemberInvited => format!("invited {} as {}", detail("email"), detail("role")),
        Kind::InvitationRevoked => format!("revoked the invitation of {}", detail("email")),
        Kind::MemberJoined => format!("joined as {}", detail("role")),
        Kind::MemberChanged => {
            format!("made {} {} (was {})", detail("name"), detail("to"), detail("from"))
        }
        Kind::MemberRemoved => format!("removed {} ({})", detail("name"), detail("role")),
        Kind::RequestOpened => format!("requested to {} {}", request_verb(entry), detail("version")),
        Kind::RequestApproved => {
            format!(
                "approved {}'s request to {} {}",
                detail("requested_by"),
                request_verb(entry),
                detail("version")
            )
        }
        Kind::RequestRejected => {
            format!(
                "rejected {}'s request to {} {}",
                detail("requested_by"),
                request_verb(entry),
                detail("version")
            )
        }
        Kind::RequestCancelled => {
            format!("cancelled the request to {} {}", request_verb(entry), detail("version"))
        }
        Kind::LabelCreated => format!("added the label {}", detail("label")),
        Kind::LabelChanged => format!("changed the rules of the label {}", detail("label")),
        Kind::LabelDeleted => {
            format!("deleted the label {} (it was on {} prompts)", detail("label"), detail("prompts"))
        }
        Kind::PromptTagged => match entry.details["tags"].as_array() {
            Some(tags) if !tags.is_empty() => {
                let tags: Vec<&str> = tags.iter().filter_map(|t| t.as_str()).collect();
                format!("tagged the prompt {}", tags.join(", "))
            }
            _ => "removed the prompt's tags".to_owned(),
        },
        Kind::LabelMoved if entry.details["to"].is_null() => {
            format!("took {} off {}", detail("label"), detail("from"))
        }
        Kind::LabelMoved => {
            format!("moved {} to {} (it was on {})", detail("label"), detail("to"), detail("from"))
        }
        Kind::RolloutStarted => format!(
            "started rolling {} out on {}: {} % of units (the rest on {})",
            detail("to"),
            detail("label"),
            detail("percent"),
            detail("from")
        ),
        Kind::RolloutChanged => {
            format!("set the rollout of {} on {} to {} %", detail("to"), detail("label"), detail("percent"))
        }
        Kind::RolloutCompleted => format!("completed the rollout: {} on {}", detail("to"), detail("label")),
        Kind::RolloutAborted => format!(
            "aborted the rollout of {} on {} ({}); it reads {} alone",
            detail("to"),
            detail("label"),
            detail("reason"),
            detail("from")
        ),
    }
}

/// "promote", "roll back to" or "move LABEL to", from a request's details.
#[cfg(feature = "ssr")]
fn request_verb(entry: &vault::ActivityEntry) -> String {
    match entry.details["action"].as_str() {
        Some("rollback") => "roll back to".to_owned(),
        Some("move") => format!("move {} to", entry.details["label"].as_str().unwrap_or("a label")),
        _ => "promote".to_owned(),
    }
}
