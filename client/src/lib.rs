//! `eom`, the observer's client: fills checklists offline into a local SQLite store and
//! delivers them to `eom-server` whenever a connection appears. `main.rs` is a thin wrapper
//! over [`cli::run`].

pub mod cli;
pub mod clock;
pub mod commands;
pub mod home;
pub mod language;
pub mod messages;
pub mod prompt;
pub mod remote;
pub mod search;
pub mod store;
pub mod sync;
pub mod terminal;
pub mod ui;
pub mod vault;

// The message catalogues (`client/locales/*.yml`): every word the observer reads in `eom ui`.
rust_i18n::i18n!("locales", fallback = "en");
