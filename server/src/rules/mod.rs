//! The mission's counting rules, in one place and free of storage: what a checklist adds to
//! the figures, what counts as negative, rejected or critical, what a review does to the
//! totals, and how a pushed checklist relates to what is stored under its id.
//!
//! Every backend calls these functions and stores what they return; no backend decides any of
//! it in SQL. That is what lets SQLite and PostgreSQL give the same figures from the same
//! checklists, which the store contract suite (`server/tests/store_contract.rs`) holds them to.

pub mod contribution;
pub mod ingest;
pub mod tally;

pub use contribution::{Contribution, Finding, contribution};
pub use ingest::{Existing, Verdict, decide};
pub use tally::{Counted, Place, TallyDelta, counts, filed_at, hour_of, observed_levels};
