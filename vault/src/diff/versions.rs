//! The diff between two versions: their texts side by side, or, for chat prompts, message
//! by message; and what changed in their configs.

use std::time::Instant;

use serde::Serialize;
use similar::DiffTag;

use crate::access::Actor;
use crate::content::{Body, ChatMessage, Config};
use crate::diff::lines::{DEADLINE, Diff, side_by_side};
use crate::error::VaultError;
use crate::names::VersionNumber;
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
}

pub use types::diff::{ConfigChange, MessageChange};

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
        let (older, newer) = self.versions_to_compare(actor, name, from, to).await?;
        let from = older.as_ref().map(|v| v.number);
        let old_config = older.as_ref().map(|v| v.config.clone()).unwrap_or_default();
        let config = config(&old_config, &newer.config);
        let (diff, messages) =
            tokio::task::spawn_blocking(move || match (older.map(|v| v.body), newer.body) {
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
            .map_err(VaultError::from)?;
        Ok(VersionDiff { from, to, diff, messages, config })
    }
}
