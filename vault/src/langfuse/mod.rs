//! Langfuse's public prompt API, writes and lists (the reads are served from memory, in
//! `serving`), and Langfuse's shapes of PromptVault's values.

mod list;
mod wire;
mod writes;

pub use list::LangfuseListQuery;
pub(crate) use wire::{draft_body, prompt_json};
pub use writes::{LangfuseCreate, LangfuseDelete};
