//! Prompts as callers see them (their state, a row of the list, a pointer move), what a
//! new draft or a rewrite carries, and the rules that need no database: which rollbacks
//! are possible, and what the dashboard offers.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::access::{Actor, ChangeRight, Permission};
use crate::content::{DraftBody, PromptType};
use crate::db::Timestamp;
use crate::error::{Conflict, VaultError};
use crate::names::{LabelName, VersionNumber};
use crate::settings::Settings;
use crate::version::{Status, Version};

pub use types::{Channel, Offered};

/// A prompt's pointers as callers see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptState {
    pub name: String,
    /// `text` or `chat`, for ever.
    #[serde(rename = "type")]
    pub kind: PromptType,
    pub live: Option<VersionNumber>,
    /// `None` while unset, and while staging is disabled in the workspace's settings (then
    /// test keys read live).
    pub staging: Option<VersionNumber>,
    /// Where each label points: live and staging (as above) and the workspace's own.
    pub labels: BTreeMap<LabelName, VersionNumber>,
    /// The prompt's tags, in their order.
    pub tags: Vec<String>,
    /// How many versions exist (deleted drafts are gone).
    pub versions: i64,
    /// The drafts an open request asks to promote: frozen until it is decided, so that what
    /// is approved is exactly what the reviewer saw.
    pub under_review: Vec<VersionNumber>,
}

/// One row of the prompts list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptSummary {
    pub state: PromptState,
    pub updated_at: Timestamp,
}

/// A new draft: its text or messages (as the prompt's type wants), its config (`{}` when
/// `None`) and its change message.
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub body: DraftBody,
    pub config: Option<serde_json::Value>,
    pub message: String,
}

impl NewDraft {
    /// A text prompt's draft.
    pub fn text(source: impl Into<String>, message: impl Into<String>) -> NewDraft {
        NewDraft { body: DraftBody::Text(source.into()), config: None, message: message.into() }
    }

    /// A chat prompt's draft: its messages as JSON.
    pub fn chat(messages: serde_json::Value, message: impl Into<String>) -> NewDraft {
        NewDraft { body: DraftBody::Chat(messages), config: None, message: message.into() }
    }

    pub fn with_config(self, config: serde_json::Value) -> NewDraft {
        NewDraft { config: Some(config), ..self }
    }
}

/// A rewrite of a draft: what is given replaces what was. `expected_revision` makes it
/// conditional: when someone else rewrote the draft since, the rewrite is refused as stale.
#[derive(Debug, Clone, Default)]
pub struct Rewrite {
    pub body: Option<DraftBody>,
    pub config: Option<serde_json::Value>,
    pub message: Option<String>,
    pub expected_revision: Option<i64>,
}

/// What a rollback returns: the new state, and the version rolled back to, for the editor
/// to continue from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollBack {
    pub state: PromptState,
    pub based_on: VersionNumber,
    pub version: Version,
}

/// One move of a label (live and staging too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PointerMove {
    pub label: LabelName,
    pub from: Option<VersionNumber>,
    pub to: Option<VersionNumber>,
    pub actor: String,
    /// For a move that approved a request: who requested it (`actor` approved it).
    pub requested_by: Option<String>,
    pub at: Timestamp,
    pub event_id: String,
}

impl PointerMove {
    /// For a move of live or staging, which.
    pub fn channel(&self) -> Option<Channel> {
        Channel::parse(self.label.as_str())
    }
}

/// A prompt's row, as the operations need it.
pub(crate) struct PromptRow {
    pub id: i64,
    pub name: String,
    pub kind: PromptType,
    pub live: Option<VersionNumber>,
    pub staging: Option<VersionNumber>,
}

/// Every label's version: live and staging (`staging` is `None` while disabled) with the
/// workspace's own labels, `own`.
pub(crate) fn with_built_ins(
    live: Option<VersionNumber>,
    staging: Option<VersionNumber>,
    mut own: BTreeMap<LabelName, VersionNumber>,
) -> BTreeMap<LabelName, VersionNumber> {
    own.extend(live.map(|n| (LabelName::live(), n)));
    own.extend(staging.map(|n| (LabelName::staging(), n)));
    own
}

/// Moves one pointer and records the move (who, when, from, to) in the same transaction.
/// The member whose request a pointer move applies (its approver is the actor).
#[derive(Debug, Clone)]
pub(crate) struct Requester {
    pub account_id: i64,
    pub name: String,
    pub email: String,
}

/// Why live cannot be rolled back to version `number`, if it cannot: rollback goes to a
/// published version older than live (forward is a promote).
pub(crate) fn roll_back_refusal(
    prompt: &str,
    live: Option<VersionNumber>,
    status: Status,
    number: VersionNumber,
) -> Option<VaultError> {
    let Some(live) = live else {
        let message = format!("{prompt} has no live version to roll back from");
        return Some(VaultError::conflict(Conflict::NothingLive, message));
    };
    if status == Status::Draft {
        let message =
            format!("{number} is a draft; roll back only to a published version (promote a draft instead)");
        return Some(VaultError::conflict(Conflict::NotPublished, message));
    }
    if number >= live {
        let message = format!(
            "roll back to a version older than the live {live}; to move live forward, promote {number}"
        );
        return Some(VaultError::conflict(Conflict::NotOlder, message));
    }
    None
}

/// What the rules let `actor` do with version `number` (of `status`) of `prompt` right now:
/// the actions the dashboard offers. The operations refuse everything else.
pub fn offered(
    actor: &Actor,
    prompt: &PromptState,
    settings: Settings,
    status: Status,
    number: VersionNumber,
) -> Offered {
    let staging_enabled = settings.staging_enabled;
    let may_edit = actor.may(Permission::EditPrompts);
    // Under review, promote and rollback are offered as requests.
    let live_right = actor.live_right(settings.live_changes).ok();
    let may_change_live = live_right.is_some();
    let draft = status == Status::Draft;
    // A draft under an open request is frozen until the request is decided (deleting it
    // makes the request stale).
    let frozen = prompt.under_review.contains(&number);
    let roll_back = roll_back_refusal(&prompt.name, prompt.live, status, number).is_none();
    let staged = prompt.staging == Some(number);
    Offered {
        edit: may_edit && draft && !frozen,
        delete: may_edit && draft,
        // Older published versions are offered a rollback instead, which says what it does.
        promote: may_change_live && prompt.live != Some(number) && !roll_back,
        roll_back: may_change_live && roll_back,
        stage: may_edit && staging_enabled && !staged,
        unstage: may_edit && staging_enabled && staged,
        by_request: live_right == Some(ChangeRight::ByRequest),
    }
}
