//! What the read model tells open streams (a prompt's or the keys' change), and how many
//! streams are open per key and per workspace, within their limits.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::broadcast;

use crate::Result;

/// Open streams allowed per API key unless configured.
pub const DEFAULT_STREAMS_PER_KEY: usize = 100;

/// Open streams allowed per workspace, over all its keys, unless configured.
pub const DEFAULT_STREAMS_PER_WORKSPACE: usize = 1_000;

/// Changes buffered per stream; one that falls further behind compares every prompt again.
pub(super) const BUFFERED: usize = 4096;

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
pub(crate) struct Updates(pub(super) broadcast::Sender<Update>);

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
    pub(super) open: Mutex<HashMap<Holder, usize>>,
    pub(crate) per_key: AtomicUsize,
    pub(crate) per_workspace: AtomicUsize,
}

/// Who holds a stream: each stream counts once for its key and once for its workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Holder {
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
pub(super) struct StreamSlot {
    pub(super) counts: Arc<StreamCounts>,
    pub(super) holders: [Holder; 2],
}

impl StreamCounts {
    pub(super) fn take(
        self: &Arc<Self>,
        key_id: i64,
        workspace_id: i64,
    ) -> Result<StreamSlot, StreamRefused> {
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
