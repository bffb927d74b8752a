//! Live updates for applications (`GET /v1/stream`): what a read key reads, pushed to it
//! whenever that changes, instead of waiting for its next poll.
//!
//! The read model remembers, per prompt and key kind, the change-feed revision at which
//! what that kind reads last changed. That revision is the event id: it means the same on
//! every instance (they all follow one feed), so a client that reconnects with
//! `Last-Event-ID`, here or elsewhere, gets each prompt whose view changed after that id.
//! An instance that started later than the id knows only that everything changed when it
//! loaded, and sends everything: a full snapshot, never a gap.
//!
//! A subscription keeps what its client holds (the ETag sent last, per prompt) and, when
//! the read model says a prompt changed, sends the new view only if it differs from that:
//! a change that does not touch what this key reads sends nothing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use tokio::sync::broadcast;

use crate::error::VaultError;
use crate::names::{PromptName, VersionNumber};
use crate::serving::entry::{PromptEntry, Reading};
use crate::serving::keys::{TokenHash, hash_token};
use crate::serving::model::{ReadModel, ReadRefused};
use crate::serving::updates::{StreamRefused, StreamSlot, Update};
use crate::{Result, Vault};

/// One event of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// What the key reads for prompt `name` now: the same bytes `GET /v1/prompts/{name}`
    /// answers.
    Prompt { id: i64, name: String, version: VersionNumber, body: Bytes },
    /// The key reads nothing for prompt `name` any more (staging and live unset for it).
    Removed { id: i64, name: String },
}

impl StreamEvent {
    /// The event's id: the change-feed revision of the change it reports.
    pub fn id(&self) -> i64 {
        match self {
            StreamEvent::Prompt { id, .. } | StreamEvent::Removed { id, .. } => *id,
        }
    }
}

/// Where a client starts: with nothing, or after the event id it saw last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    Fresh,
    After(i64),
}

impl Resume {
    /// A `Last-Event-ID` header's value: an event id (a revision, 0 or more).
    pub fn parse(raw: Option<&str>) -> Result<Resume> {
        match raw.map(str::trim) {
            None | Some("") => Ok(Resume::Fresh),
            Some(raw) => raw.parse::<i64>().ok().filter(|id| *id >= 0).map(Resume::After).ok_or_else(|| {
                VaultError::invalid("Last-Event-ID", "Last-Event-ID is the id of an event this stream sent")
            }),
        }
    }
}

/// An open stream: what changes for one key, as events.
pub struct Subscription {
    model: ReadModel,
    token_hash: TokenHash,
    workspace_id: i64,
    /// The label the key reads (its fallback is looked up on each change: it may change).
    label: Arc<str>,
    only: Option<HashSet<String>>,
    updates: broadcast::Receiver<Update>,
    /// What the client holds, per prompt: the ETag of what it was sent last. A prompt not
    /// here, or `None`, is one it holds nothing for.
    held: HashMap<String, Option<String>>,
    _slot: StreamSlot,
}

impl Vault {
    /// Opens a stream for the key `token`, optionally of only the prompts named in `only`,
    /// and the events that bring its client up to date: every prompt the key reads when it
    /// starts fresh, or those changed after the id it resumes from.
    pub async fn subscribe(
        &self,
        token: &str,
        only: Option<Vec<String>>,
        resume: Resume,
    ) -> Result<(Subscription, Vec<StreamEvent>), StreamRefused> {
        if let Resume::After(id) = resume
            && id > self.revision()
        {
            // The client saw this id on an instance ahead of this one: catch up first, so that
            // what changed up to it is not taken for news, nor what came after for old.
            if let Err(error) = self.catch_up().await {
                tracing::warn!(%error, "could not catch up with the change feed for a resumed stream");
            }
        }
        let model = &self.serving;
        let token_hash = hash_token(token);
        // Listening before looking, so that no change falls between the two.
        let updates = model.updates.0.subscribe();
        let (key_id, workspace_id, reading) = {
            let read = model.lock_read();
            let key = model.reader(&read, token).map_err(|refused| match refused {
                ReadRefused::Limited(wait) => StreamRefused::Limited(wait),
                _ => StreamRefused::Unauthorized,
            })?;
            (key.id, key.workspace_id, read.reading(key))
        };
        if let Some(unknown) = self.first_unknown(workspace_id, only.as_deref().unwrap_or_default()).await {
            return Err(StreamRefused::UnknownPrompt(unknown));
        }
        let held = match resume {
            Resume::Fresh => HashMap::new(),
            Resume::After(id) => {
                let read = model.lock_read();
                read.prompts
                    .get(&workspace_id)
                    .into_iter()
                    .flatten()
                    .map(|(name, entry)| {
                        let (served, changed) = entry.view(&reading);
                        // Changed since: unknown to the client, so whatever is served now is news.
                        let held =
                            if changed > id { Some(String::new()) } else { served.map(|s| s.etag.clone()) };
                        (name.clone(), held)
                    })
                    .collect()
            }
        };
        let slot = model.streams.take(key_id, workspace_id)?;
        let only = only.map(|names| names.into_iter().collect());
        let mut subscription = Subscription {
            model: model.clone(),
            token_hash,
            workspace_id,
            label: reading.label,
            only,
            updates,
            held,
            _slot: slot,
        };
        let events = subscription.due(None);
        Ok((subscription, events))
    }

    /// The first of `names` that is no prompt of the workspace. Prompts that serve nothing
    /// yet are not in the read model, so the database says; when it cannot, the names pass
    /// (a stream of a prompt that does not exist just never sends anything).
    async fn first_unknown(&self, workspace_id: i64, names: &[String]) -> Option<String> {
        for name in names {
            let found =
                sqlx::query_scalar::<_, i64>("select id from prompts where workspace_id = $1 and name = $2")
                    .bind(workspace_id)
                    .bind(name)
                    .fetch_optional(&self.db.read)
                    .await;
            match found {
                Ok(Some(_)) => {}
                Ok(None) => return Some(name.clone()),
                Err(error) => {
                    tracing::warn!(%error, "could not check a stream's prompts");
                    return None;
                }
            }
        }
        None
    }

    /// At most `per_key` streams open at once per API key; more are refused (429).
    pub fn limit_streams_per_key(self, per_key: usize) -> Vault {
        self.serving.streams.per_key.store(per_key, Ordering::Relaxed);
        self
    }

    /// At most `per_workspace` streams open at once over all of a workspace's keys; more
    /// are refused (429).
    pub fn limit_streams_per_workspace(self, per_workspace: usize) -> Vault {
        self.serving.streams.per_workspace.store(per_workspace, Ordering::Relaxed);
        self
    }

    /// Ends every open stream: the server is stopping.
    pub fn end_streams(&self) {
        self.serving.updates.send(Update::Closing);
    }
}

/// The most prompts one stream may name.
pub const MAX_STREAM_PROMPTS: usize = 100;

/// The names a `?prompts=a,b` filter gives, each a valid prompt name. `raw` is the value as
/// the query carries it, still percent-encoded: it is split at its commas first and each
/// name decoded after (`+` a space, as in a form), so a name holding a comma is named with
/// `%2C`.
pub fn prompt_filter(raw: &str) -> Result<Vec<String>> {
    let listed: Vec<&str> = raw.split(',').map(str::trim).filter(|name| !name.is_empty()).collect();
    if listed.len() > MAX_STREAM_PROMPTS {
        return Err(VaultError::invalid(
            "prompts",
            format!("a stream names at most {MAX_STREAM_PROMPTS} prompts"),
        ));
    }
    listed
        .into_iter()
        .map(|encoded| {
            let spaced = encoded.replace('+', " ");
            let name = percent_encoding::percent_decode_str(&spaced).decode_utf8().map_err(|_| {
                VaultError::invalid("prompts", format!("{encoded} is not UTF-8 once decoded"))
            })?;
            PromptName::parse(&name).map(|name| name.as_str().to_owned())
        })
        .collect()
}

impl Subscription {
    /// The next events: `None` when the stream ends (the key was revoked, the server is
    /// stopping).
    pub async fn next(&mut self) -> Option<Vec<StreamEvent>> {
        loop {
            let events = match self.updates.recv().await {
                Ok(Update::Prompt { workspace_id, name }) if workspace_id == self.workspace_id => {
                    self.due(Some(&name))
                }
                Ok(Update::Prompt { .. }) => continue,
                Ok(Update::Keys) if self.key_revoked() => return None,
                Ok(Update::Keys) => continue,
                Ok(Update::Closing) | Err(broadcast::error::RecvError::Closed) => return None,
                // Fell behind: compare everything, which loses nothing.
                Err(broadcast::error::RecvError::Lagged(_)) => self.due(None),
            };
            if !events.is_empty() {
                return Some(events);
            }
        }
    }

    fn key_revoked(&self) -> bool {
        !self.model.lock_read().keys.contains_key(&self.token_hash)
    }

    /// The events that bring the client from what it holds to what the key reads now, for
    /// prompt `name` or every prompt of the stream, oldest change first (so that the last id
    /// a client saw covers everything before it).
    fn due(&mut self, name: Option<&str>) -> Vec<StreamEvent> {
        let model = self.model.clone();
        let read = model.lock_read();
        let Some(prompts) = read.prompts.get(&self.workspace_id) else { return Vec::new() };
        let only = self.only.clone();
        let wanted = |candidate: &str| {
            name.is_none_or(|name| name == candidate)
                && only.as_ref().is_none_or(|only| only.contains(candidate))
        };
        // The label's fallback as it is now: a change to it changes what the key reads.
        let reading = read.reading_of(self.workspace_id, &self.label);
        let mut events: Vec<StreamEvent> = Vec::new();
        for (prompt, entry) in prompts.iter().filter(|(prompt, _)| wanted(prompt)) {
            if let Some(event) = self.change(prompt, entry, &reading) {
                events.push(event);
            }
        }
        events.sort_by_key(StreamEvent::id);
        events
    }

    /// The event prompt `name` is due, if what the key reads differs from what the client
    /// holds; noted as held.
    fn change(&mut self, name: &str, entry: &PromptEntry, reading: &Reading) -> Option<StreamEvent> {
        let (served, changed) = entry.view(reading);
        let holds = self.held.get(name).and_then(Option::as_deref);
        let event = match (served, holds) {
            (Some(served), holds) if holds != Some(served.etag.as_str()) => {
                self.held.insert(name.to_owned(), Some(served.etag.clone()));
                let version = served.version.number;
                StreamEvent::Prompt { id: changed, name: name.to_owned(), version, body: served.body.clone() }
            }
            (None, Some(_)) => {
                self.held.insert(name.to_owned(), None);
                StreamEvent::Removed { id: changed, name: name.to_owned() }
            }
            _ => return None,
        };
        Some(event)
    }
}
