//! Diffs: two texts side by side (`lines`), and two versions (`versions`): their texts or
//! messages, and their configs.

mod lines;
mod versions;

pub use lines::{Diff, DiffRow, DiffSide, Segment, side_by_side};
pub use versions::{ConfigChange, MessageChange, VersionDiff, config, messages};
pub(crate) use versions::{bodies, pin_changes};
