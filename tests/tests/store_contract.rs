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

/// Two stores on one SQLite file, as two server instances would be.
fn on_sqlite_pair(check: fn(&dyn Store, &dyn Store)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("eom.db");
    let a = SqliteStore::open(&path).expect("store opens");
    let b = SqliteStore::open(&path).expect("store opens again");
    check(&a, &b);
}

fn on_postgres_pair(test: &str, check: fn(&dyn Store, &dyn Store)) {
    let Some(pg) = Postgres::start_or_skip(test) else {
        return;
    };
    let url = pg.create_database();
    let a = PostgresStore::connect(&url).expect("store");
    let b = PostgresStore::connect(&url).expect("second store");
    check(&a, &b);
}

#[test]
fn sqlite_instances_on_one_file() {
    on_sqlite_pair(contract::concurrent_instances);
}

#[test]
fn postgres_instances_on_one_database() {
    on_postgres_pair(
        "postgres_instances_on_one_database",
        contract::concurrent_instances,
    );
}

/// A stored value a backend cannot read is an error, never a default (an unknown stage once
/// became `incident`).
#[test]
fn sqlite_corrupt_rows_are_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("eom.db");
    let store = SqliteStore::open(&path).expect("store opens");
    contract::corrupt_rows_are_errors(&store, &|id| {
        rusqlite::Connection::open(&path)
            .expect("open")
            .execute(
                "UPDATE submissions SET stage = 'closing' WHERE id = ?1",
                [id],
            )
            .expect("damage");
    });
}

#[test]
fn postgres_corrupt_rows_are_errors() {
    let Some(pg) = Postgres::start_or_skip("postgres_corrupt_rows_are_errors") else {
        return;
    };
    let url = pg.create_database();
    let store = PostgresStore::connect(&url).expect("store");
    let raw = pg.client(&url);
    contract::corrupt_rows_are_errors(&store, &|id| {
        raw.query(&format!(
            "UPDATE submissions SET stage = 'closing' WHERE id = '{id}'"
        ));
    });
}

/// The audit log catches rows and entries changed below the API, on both backends.
#[test]
fn sqlite_audit_log_catches_tampering() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("eom.db");
    let store = SqliteStore::open(&path).expect("store opens");
    contract::audit_log_catches_tampering(&store, &|sql| {
        rusqlite::Connection::open(&path)
            .expect("open")
            .execute_batch(sql)
            .expect("raw SQL");
    });
}

#[test]
fn postgres_audit_log_catches_tampering() {
    let Some(pg) = Postgres::start_or_skip("postgres_audit_log_catches_tampering") else {
        return;
    };
    let url = pg.create_database();
    let store = PostgresStore::connect(&url).expect("store");
    let raw = pg.client(&url);
    contract::audit_log_catches_tampering(&store, &|sql| {
        raw.query(sql);
    });
}

#[test]
fn sqlite_upgrade_recounts_the_totals() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("eom.db");
    let store = SqliteStore::open(&path).expect("store opens");
    contract::upgrade_recounts_the_totals(&store, &|sql| {
        rusqlite::Connection::open(&path)
            .expect("open")
            .execute_batch(sql)
            .expect("raw SQL");
    });
}

#[test]
fn postgres_upgrade_recounts_the_totals() {
    let Some(pg) = Postgres::start_or_skip("postgres_upgrade_recounts_the_totals") else {
        return;
    };
    let url = pg.create_database();
    let store = PostgresStore::connect(&url).expect("store");
    let raw = pg.client(&url);
    contract::upgrade_recounts_the_totals(&store, &|sql| {
        raw.query(sql);
    });
}

/// Migrations between every pair of backends.
#[test]
fn migrate_sqlite_to_postgres() {
    let Some(pg) = Postgres::start_or_skip("migrate_sqlite_to_postgres") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let from = SqliteStore::open(&dir.path().join("eom.db")).expect("store");
    let to = PostgresStore::connect(&pg.create_database()).expect("store");
    contract::migration_keeps_everything(&from, &to);
}

#[test]
fn migrate_postgres_to_sqlite() {
    let Some(pg) = Postgres::start_or_skip("migrate_postgres_to_sqlite") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let from = PostgresStore::connect(&pg.create_database()).expect("store");
    let to = SqliteStore::open(&dir.path().join("eom.db")).expect("store");
    contract::migration_keeps_everything(&from, &to);
}

#[test]
fn migrate_sqlite_to_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let from = SqliteStore::open(&dir.path().join("a.db")).expect("store");
    let to = SqliteStore::open(&dir.path().join("b.db")).expect("store");
    contract::migration_keeps_everything(&from, &to);
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
    split_by_station_attributes,
    checklists_by_failed_check,
    export_streams_latest_revisions,
    list_filters_and_pages,
    accounts_and_sessions,
    forms_are_versioned,
    server_keys_are_made_once,
    enrolment_codes_work_once,
    alert_outbox,
    messages_reach_their_audience,
    teams_and_calls,
    search_by_station_team_or_region,
    map_and_hours,
    results_compared_on_known_data,
    attachments_resume_and_dedupe,
);
