//! Runs the store contract (`src/contract.rs`) against every backend: SQLite in a temporary
//! file, PostgreSQL in a cluster these tests start themselves. Each check gets a fresh
//! database of its own.

use eom_server::store::{PostgresStore, SqliteStore, Store};
use eom_tests::contract;
use eom_tests::postgres::Postgres;

fn on_sqlite(check: fn(&dyn Store)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("eom.db")).expect("store opens");
    check(&store);
}

fn on_postgres(test: &str, check: fn(&dyn Store)) {
    let Some(pg) = Postgres::start_or_skip(test) else {
        return;
    };
    let store = PostgresStore::connect(&pg.create_database())
        .unwrap_or_else(|e| panic!("PostgreSQL store: {e}\n{}", pg.log()));
    check(&store);
}

macro_rules! contract_suite {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[test]
                fn $check() {
                    on_sqlite(contract::$check);
                }
            )*
        }

        mod postgres {
            use super::*;
            $(
                #[test]
                fn $check() {
                    on_postgres(concat!("postgres::", stringify!($check)), contract::$check);
                }
            )*
        }
    };
}

contract_suite!(
    ingest_outcomes,
    group_commit_decides_each_batch_in_order,
    pull_cursors,
    reports_on_known_data,
    review_flip,
    rebuild_matches_running_totals,
    export_streams_latest_revisions,
    list_filters_and_pages,
    accounts_and_sessions,
    forms_are_versioned,
);
