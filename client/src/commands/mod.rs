//! Client commands that grew beyond the dispatcher in `cli.rs`, one file per area: filling
//! and editing checklists through drafts (`drafts`), and answers files (`answers`).

pub mod answers;
pub mod drafts;
