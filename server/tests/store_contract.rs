//! Runs the store contract (`contract/mod.rs`) against every backend: each check on a fresh
//! database of its own.

mod contract;

use eom_server::store::{SqliteStore, Store};

/// A fresh SQLite database in a temporary folder, removed when the guard drops.
fn sqlite() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("eom.db")).expect("store opens");
    (store, dir)
}

macro_rules! contract_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            fn run(check: fn(&dyn Store)) {
                let (store, _guard) = $make();
                check(&store);
            }

            #[test]
            fn ingest_outcomes() {
                run(contract::ingest_outcomes);
            }

            #[test]
            fn group_commit_decides_each_batch_in_order() {
                run(contract::group_commit_decides_each_batch_in_order);
            }

            #[test]
            fn pull_cursors() {
                run(contract::pull_cursors);
            }

            #[test]
            fn reports_on_known_data() {
                run(contract::reports_on_known_data);
            }

            #[test]
            fn review_flip() {
                run(contract::review_flip);
            }

            #[test]
            fn rebuild_matches_running_totals() {
                run(contract::rebuild_matches_running_totals);
            }

            #[test]
            fn export_streams_latest_revisions() {
                run(contract::export_streams_latest_revisions);
            }

            #[test]
            fn list_filters_and_pages() {
                run(contract::list_filters_and_pages);
            }

            #[test]
            fn accounts_and_sessions() {
                run(contract::accounts_and_sessions);
            }

            #[test]
            fn forms_are_versioned() {
                run(contract::forms_are_versioned);
            }
        }
    };
}

contract_suite!(sqlite_backend, sqlite);
