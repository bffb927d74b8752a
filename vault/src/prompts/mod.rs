//! Prompts, their versions, and the two pointers: the types callers see (`model`), the
//! operations (`operations`), and the transaction steps other modules compose (`steps`).

mod dependents;
pub(crate) mod model;
pub(crate) mod moves;
pub(crate) mod operations;
mod pointers;
mod ramps;
pub(crate) mod rollout_steps;
pub(crate) mod rollouts;
pub(crate) mod splits;
pub(crate) mod steps;

pub(crate) use model::PromptRow;
pub use model::{
    Channel, NewDraft, Offered, PointerMove, PromptState, PromptSummary, Rewrite, RollBack, offered,
};
pub use rollouts::NewRollout;
pub(crate) use steps::{label_order, tags_of};
