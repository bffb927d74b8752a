//! Langfuse's public prompt API, writes and lists (the reads are served from memory, in
//! `serving`), and Langfuse's shapes of PromptVault's values.

pub(crate) mod export;
mod list;
mod wire;
mod writes;

pub use export::{LangfuseVersion, check_langfuse_export};
pub use list::LangfuseListQuery;
pub(crate) use wire::{draft_body, prompt_json};
pub use writes::{LangfuseCreate, LangfuseDelete};
