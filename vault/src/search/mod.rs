//! Keyword search over versions' messages and authors, with tantivy.
//!
//! The index lives in the data directory and is only ever a copy: the database is the truth.
//! Writes reach the index through the `version_changes` feed (filled by triggers in the same
//! transaction as the write), which a background indexer applies in batches: one commit for
//! a burst of saves, since a tantivy commit costs tens of milliseconds. The indexer is woken
//! by this instance's writes and also polls, so it sees other instances' writes too.
//!
//! Each commit carries the last feed sequence number it applied. At start-up an index that
//! is missing, unreadable, of another schema, or ahead of the database is rebuilt from the
//! versions table; one that is behind catches up from the feed.
//!
//! `schema` is the index's shape, `indexer` keeps it current, `query` searches it.

mod indexer;
mod query;
mod schema;

pub(crate) use indexer::SearchIndex;
pub use query::Marks;
pub(crate) use query::{Highlighter, Scope};
