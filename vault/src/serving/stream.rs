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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use tokio::sync::broadcast;

use super::{KeyKind, PromptEntry, ReadModel, ReadRefused, TokenHash, hash_token};
use crate::names::PromptName;
use crate::{Result, Vault, VaultError};

/// Open streams allowed per API key unless configured.
pub const DEFAULT_STREAMS_PER_KEY: usize = 100;
/// Open streams allowed per workspace, over all its keys, unless configured.
pub const DEFAULT_STREAMS_PER_WORKSPACE: usize = 1_000;

/// Changes buffered per stream; one that falls further behind compares every prompt again.
const BUFFERED: usize = 4096;

/// What the read model tells open streams.
#[derive(Debug, Clone)]
pub(crate) enum Update {
    /// What prompt `name` of workspace `workspace_id` serves changed, for some kind of key.
    Prompt { workspace_id: i64, name: Arc<str> },
    /// A key was revoked, or the keys were read again.
    Keys,
    /// The server is stopping.
    Closing,
}

/// The read model's sender of [`Update`]s.
#[derive(Clone)]
pub(crate) struct Updates(broadcast::Sender<Update>);

impl Default for Updates {
    fn default() -> Self {
        Updates(broadcast::channel(BUFFERED).0)
    }
}

impl Updates {
    pub(crate) fn send(&self, update: Update) {
        // No receiver (no stream open) is not an error.
        let _ = self.0.send(update);
    }
}

/// Open streams per key and per workspace, and the limits: keys are cheap to make, so a
/// workspace's keys together are held to a share as well.
pub(crate) struct StreamCounts {
    open: Mutex<HashMap<Holder, usize>>,
    pub(crate) per_key: AtomicUsize,
    pub(crate) per_workspace: AtomicUsize,
}

/// Who holds a stream: each stream counts once for its key and once for its workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Holder {
    Key(i64),
    Workspace(i64),
}

impl Default for StreamCounts {
    fn default() -> Self {
        StreamCounts {
            open: Mutex::default(),
            per_key: DEFAULT_STREAMS_PER_KEY.into(),
            per_workspace: DEFAULT_STREAMS_PER_WORKSPACE.into(),
        }
    }
}

/// One open stream of a key, counted until dropped.
struct StreamSlot {
    counts: Arc<StreamCounts>,
    holders: [Holder; 2],
}

impl StreamCounts {
    fn take(self: &Arc<Self>, key_id: i64, workspace_id: i64) -> Result<StreamSlot, StreamRefused> {
        let per_key = self.per_key.load(Ordering::Relaxed);
        let per_workspace = self.per_workspace.load(Ordering::Relaxed);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let held = |holder| open.get(&holder).copied().unwrap_or(0);
        if held(Holder::Key(key_id)) >= per_key {
            return Err(StreamRefused::TooMany);
        }
        if held(Holder::Workspace(workspace_id)) >= per_workspace {
            return Err(StreamRefused::TooManyInWorkspace);
        }
        let holders = [Holder::Key(key_id), Holder::Workspace(workspace_id)];
        for holder in holders {
            *open.entry(holder).or_default() += 1;
        }
        Ok(StreamSlot { counts: self.clone(), holders })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock().unwrap_or_else(PoisonError::into_inner);
        for holder in self.holders {
            if let Some(count) = open.get_mut(&holder) {
                *count -= 1;
                if *count == 0 {
                    open.remove(&holder);
                }
            }
        }
    }
}

/// One event of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// What the key reads for prompt `name` now: the same bytes `GET /v1/prompts/{name}`
    /// answers.
    Prompt { id: i64, name: String, body: Bytes },
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

/// Why a stream was not opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamRefused {
    /// Missing, unknown or revoked key: 401.
    Unauthorized,
    /// A prompt asked for is not in the key's workspace: 404.
    UnknownPrompt(String),
    /// The key has as many streams open as allowed: 429.
    TooMany,
    /// The key's workspace has as many streams open as allowed, over all its keys: 429.
    TooManyInWorkspace,
    /// The key read more than its configured rate (opening a stream is a read): 429, to try
    /// again after this.
    Limited(std::time::Duration),
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
    kind: KeyKind,
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
        let (key_id, workspace_id, kind) = {
            let read = model.lock_read();
            let key = model.reader(&read, token).map_err(|refused| match refused {
                ReadRefused::Limited(wait) => StreamRefused::Limited(wait),
                _ => StreamRefused::Unauthorized,
            })?;
            (key.id, key.workspace_id, key.kind)
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
                        let (served, changed) = entry.view(kind);
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
            kind,
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

/// The names a `?prompts=a,b` filter gives, each a valid prompt name.
pub fn prompt_filter(raw: &str) -> Result<Vec<String>> {
    let names: Vec<String> = raw
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| PromptName::parse(name).map(|name| name.as_str().to_owned()))
        .collect::<Result<_>>()?;
    if names.len() > MAX_STREAM_PROMPTS {
        return Err(VaultError::invalid(
            "prompts",
            format!("a stream names at most {MAX_STREAM_PROMPTS} prompts"),
        ));
    }
    Ok(names)
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
        let mut events: Vec<StreamEvent> = Vec::new();
        for (prompt, entry) in prompts.iter().filter(|(prompt, _)| wanted(prompt)) {
            if let Some(event) = self.change(prompt, entry) {
                events.push(event);
            }
        }
        events.sort_by_key(StreamEvent::id);
        events
    }

    /// The event prompt `name` is due, if what the key reads differs from what the client
    /// holds; noted as held.
    fn change(&mut self, name: &str, entry: &PromptEntry) -> Option<StreamEvent> {
        let (served, changed) = entry.view(self.kind);
        let holds = self.held.get(name).and_then(Option::as_deref);
        let event = match (served, holds) {
            (Some(served), holds) if holds != Some(served.etag.as_str()) => {
                self.held.insert(name.to_owned(), Some(served.etag.clone()));
                StreamEvent::Prompt { id: changed, name: name.to_owned(), body: served.body.clone() }
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

impl PromptEntry {
    /// What a key of `kind` reads, and the revision at which that last changed.
    pub(crate) fn view(&self, kind: KeyKind) -> (Option<&Arc<super::Served>>, i64) {
        match kind {
            KeyKind::Live => (self.live.as_ref(), self.live_changed),
            KeyKind::Test => (self.staging.as_ref().or(self.live.as_ref()), self.test_changed),
        }
    }
}
