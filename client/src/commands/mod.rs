//! Client commands that grew beyond the dispatcher in `cli.rs`, one file per area: filling
//! and editing checklists through drafts (`drafts`), answers files (`answers`), and setting up
//! the laptop (`setup`), checking the server's receipts (`receipts`), coordinators' messages
//! (`messages`), photos of checklists (`attach`).

pub mod answers;
pub mod attach;
pub mod drafts;
pub mod lock;
pub mod messages;
pub mod receipts;
pub mod setup;
