//! The diff between two versions: their texts side by side, or, for chat prompts, message
//! by message; and what changed in their configs.

use std::time::Instant;

use serde::Serialize;
use similar::DiffTag;

use crate::access::Actor;
use crate::composition::Pin;
use crate::content::{Body, ChatMessage, Config};
use crate::diff::lines::{DEADLINE, Diff, side_by_side};
use crate::error::VaultError;
use crate::names::VersionNumber;
use crate::version::Version;
use crate::{Result, Vault};

/// What `Vault::diff` returns: which versions were compared, and how they differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionDiff {
    pub from: Option<VersionNumber>,
    pub to: VersionNumber,
    /// A text prompt's text, line by line; a chat prompt's messages, all counted (rows empty).
    pub diff: Diff,
    /// A chat prompt's messages, paired in order; `None` for a text prompt.
    pub messages: Option<Vec<MessageChange>>,
    /// The config's keys whose values differ, by key.
    pub config: Vec<ConfigChange>,
    /// The references whose included version differs.
    pub pins: Vec<PinChange>,
}

pub use types::diff::{ConfigChange, MessageChange, PinChange};

/// Diffs two chat prompts' messages: equal ones kept in order, a removed message paired with
/// an added one where both are messages (a changed message), the rest added or removed.
pub fn messages(old: &[ChatMessage], new: &[ChatMessage]) -> (Vec<MessageChange>, Diff) {
    let deadline = Instant::now() + DEADLINE;
    let ops = similar::capture_diff_slices_deadline(similar::Algorithm::Myers, old, new, Some(deadline));
    let mut changes = Vec::new();
    let mut counts = Diff { rows: Vec::new(), added: 0, removed: 0 };
    for op in ops {
        let (olds, news) = (op.old_range(), op.new_range());
        if op.tag() == DiffTag::Equal {
            for (old_index, new_index) in olds.zip(news) {
                changes.push(MessageChange::Same { old_index, new_index, message: new[new_index].clone() });
            }
            continue;
        }
        let paired = olds.len().min(news.len());
        for (old_index, new_index) in olds.clone().zip(news.clone()) {
            match (&old[old_index], &new[new_index]) {
                (
                    ChatMessage::Message { role: old_role, content: before },
                    ChatMessage::Message { role: new_role, content: after },
                ) => {
                    let diff = side_by_side(before, after);
                    counts.added += diff.added.max(1);
                    counts.removed += diff.removed.max(1);
                    changes.push(MessageChange::Changed {
                        old_index,
                        new_index,
                        old_role: old_role.clone(),
                        new_role: new_role.clone(),
                        diff,
                    });
                }
                (gone, came) => {
                    changes.push(MessageChange::Removed { old_index, message: gone.clone() });
                    changes.push(MessageChange::Added { new_index, message: came.clone() });
                    counts.added += 1;
                    counts.removed += 1;
                }
            }
        }
        for old_index in olds.skip(paired) {
            changes.push(MessageChange::Removed { old_index, message: old[old_index].clone() });
            counts.removed += 1;
        }
        for new_index in news.skip(paired) {
            changes.push(MessageChange::Added { new_index, message: new[new_index].clone() });
            counts.added += 1;
        }
    }
    (changes, counts)
}

/// The keys of two configs whose values differ, by key.
pub fn config(old: &Config, new: &Config) -> Vec<ConfigChange> {
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|key| old.get(*key) != new.get(*key))
        .map(|key| ConfigChange { key: key.clone(), old: old.get(key).cloned(), new: new.get(key).cloned() })
        .collect()
}

impl Vault {
    /// The diff from version `from` to version `to` of a prompt; `from` defaults to the
    /// version before `to` (the empty text when there is none).
    pub async fn diff(
        &self,
        actor: &Actor,
        name: &str,
        from: Option<VersionNumber>,
        to: VersionNumber,
    ) -> Result<VersionDiff> {
        let ((older, old_pins), (newer, new_pins)) = self.versions_to_compare(actor, name, from, to).await?;
        let pins = pin_changes(&old_pins, &new_pins);
        // The texts as they are served: the included prompts in place.
        let (older, newer) = (older.map(served), served(newer));
        let from = older.as_ref().map(|v| v.number);
        let old_config = older.as_ref().map(|v| v.config.clone()).unwrap_or_default();
        let config = config(&old_config, &newer.config);
        let (diff, messages) = bodies(older.map(|v| v.body), newer.body).await?;
        Ok(VersionDiff { from, to, diff, messages, config, pins })
    }
}

/// Two bodies compared, off the async threads (a diff of two long texts takes a while): a
/// text line by line, a chat message by message (the counts in `Diff`, its rows empty).
pub(crate) async fn bodies(old: Option<Body>, new: Body) -> Result<(Diff, Option<Vec<MessageChange>>)> {
    tokio::task::spawn_blocking(move || match (old, new) {
        (Some(Body::Text(old)), Body::Text(new)) => (side_by_side(&old, &new), None),
        (None, Body::Text(new)) => (side_by_side("", &new), None),
        (old, Body::Chat(new)) => {
            let old = match old {
                Some(Body::Chat(old)) => old,
                _ => Vec::new(),
            };
            let (changes, counts) = messages(&old, &new);
            (counts, Some(changes))
        }
        (Some(Body::Chat(_)), Body::Text(new)) => (side_by_side("", &new), None),
    })
    .await
    .map_err(VaultError::from)
}

/// The version with what it serves as its body.
fn served(version: Version) -> Version {
    match version.resolved {
        Some(resolved) => Version { body: resolved, resolved: None, ..version },
        None => version,
    }
}

/// The references whose included version differs between `old` and `new` (by reference,
/// in order); what each names is at most [`crate::references::MAX_REFERENCES`].
pub(crate) fn pin_changes(old: &[Pin], new: &[Pin]) -> Vec<PinChange> {
    let mut changes: std::collections::BTreeMap<&str, PinChange> = std::collections::BTreeMap::new();
    for (pins, older) in [(old, true), (new, false)] {
        for pin in pins {
            let change = changes.entry(&pin.reference).or_insert_with(|| PinChange {
                reference: pin.reference.clone(),
                prompt: pin.prompt.clone(),
                from: None,
                to: None,
            });
            let version = Some(types::label(pin.number));
            if older { change.from = version } else { change.to = version }
        }
    }
    changes.into_values().filter(|c| c.from != c.to).collect()
}
