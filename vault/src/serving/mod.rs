//! SDK reads: API keys and the in-memory read model behind `GET /v1/prompts/{name}`.
//!
//! Reads are the hot path, so they never touch the database: the model holds, per prompt
//! and key kind, the response bytes and their ETag, ready to send (`rendering`), and every
//! API key by the hash of its token (`keys`). Every operation that changes what a key reads
//! (promote, rollback, staging, a rewrite of a staged draft, the staging setting, a
//! revocation) rebuilds the affected entries before it returns (`model`), so the next read
//! already serves the new state, and open streams are told (`updates`, `stream`). MCP
//! (`agents`) and the Langfuse API (`langfuse`) read the same model.

mod agents;
mod bundle;
mod clients;
pub(crate) mod entry;
mod fallbacks;
mod keys;
mod langfuse;
pub(crate) mod model;
mod refresh;
mod rendering;
mod stream;
mod updates;

pub use agents::{
    AgentMessages, AgentPrompt, AgentRefused, AgentRole, MAX_AGENT_ARGUMENT_BYTES, MAX_AGENT_ARGUMENTS,
};
pub use keys::{ApiKey, KeyKind, NewApiKey};
pub use langfuse::LangfuseRefused;
pub(crate) use model::ReadModel;
pub use model::ReadRefused;
pub use rendering::Bundle;
pub use rendering::Served;
pub use stream::{Resume, StreamEvent, Subscription, prompt_filter};
pub use updates::{DEFAULT_STREAMS_PER_KEY, DEFAULT_STREAMS_PER_WORKSPACE, StreamRefused};
