//! The local store on a real SQLite file, and the `eom` binary working with no server at all.

use std::process::Command;

use chrono::Utc;
use eom_client::store::{LocalStore, State};
use eom_shared::default_forms::default_forms;
use eom_shared::submission::SubmissionContent;
use eom_shared::sync::{PushOutcome, PushResult};
use eom_shared::{FormId, Issue, IssueKind, Station, StationCode, StationLevel};
use serde_json::{Map, json};

fn content(overall: &str) -> SubmissionContent {
    let mut answers = Map::new();
    answers.insert("overall".into(), json!(overall));
    SubmissionContent {
        form_id: FormId::parse("voting").expect("id"),
        form_version: 1,
        station: StationCode::parse("PEC-1").expect("code"),
        observed_at: Utc::now(),
        answers,
        notes: String::new(),
    }
}

const PASSPHRASE: &str = "a test passphrase";

fn key(home: &std::path::Path) -> eom_client::vault::Key {
    eom_client::vault::derive(home, PASSPHRASE).expect("key")
}

fn result(outcome: PushOutcome, issues: Vec<Issue>) -> PushResult {
    PushResult {
        id: None,
        revision: None,
        outcome,
        issues,
        receipt: None,
    }
}

#[test]
fn saved_checklists_survive_reopening_and_keep_every_revision() {
    let home = tempfile::tempdir().expect("dir");
    let id = {
        let mut store = LocalStore::open(home.path(), &key(home.path())).expect("open");
        let entry = store.create(content("good")).expect("create");
        assert_eq!((entry.revision, entry.state), (1, State::Queued));
        store.edit(entry.id, content("bad")).expect("edit");
        entry.id
    };
    let store = LocalStore::open(home.path(), &key(home.path())).expect("reopen");
    let entry = store.get(id).expect("read").expect("present");
    assert_eq!(entry.revision, 2);
    assert_eq!(entry.content.answers["overall"], "bad");
    assert_eq!(entry.content_hash, entry.content.content_hash());
    assert_eq!(store.revision_count(id).expect("count"), 2);
    assert_eq!(store.find(&id.to_string()[..8]).expect("prefix").id, id);
}

#[test]
fn outcomes_move_states_only_for_the_revision_that_was_sent() {
    let home = tempfile::tempdir().expect("dir");
    let mut store = LocalStore::open(home.path(), &key(home.path())).expect("open");
    let delivered = store.create(content("good")).expect("a");
    let rejected = store.create(content("good")).expect("b");
    let conflicted = store.create(content("good")).expect("c");
    let edited = store.create(content("good")).expect("d");
    let sent: Vec<_> = [&delivered, &rejected, &conflicted, &edited]
        .iter()
        .map(|e| e.payload())
        .collect();
    // The observer edits one checklist while the push is in flight.
    store.edit(edited.id, content("very_bad")).expect("edit");

    let problem = Issue::error(Some("overall"), IssueKind::Required, "needed".into());
    let applied = store
        .apply_outcomes(
            &sent,
            &[
                result(PushOutcome::Accepted, vec![]),
                result(PushOutcome::Invalid, vec![problem.clone()]),
                result(PushOutcome::Conflict, vec![]),
                result(PushOutcome::Accepted, vec![]),
            ],
        )
        .expect("apply");
    assert_eq!(applied.superseded, vec![edited.id]);

    let state = |id| store.get(id).expect("read").expect("present").state;
    assert_eq!(state(delivered.id), State::Delivered);
    assert_eq!(state(rejected.id), State::Rejected);
    assert_eq!(state(conflicted.id), State::Conflict);
    assert_eq!(
        state(edited.id),
        State::Queued,
        "revision 2 still has to go"
    );
    assert_eq!(
        store
            .get(rejected.id)
            .expect("read")
            .expect("present")
            .issues,
        vec![problem]
    );
    assert_eq!(store.queued_ids().expect("queued"), vec![edited.id]);
    let status = store.status().expect("status");
    assert_eq!(
        (
            status.queued,
            status.delivered,
            status.rejected,
            status.conflict
        ),
        (1, 1, 1, 1)
    );

    // Fixing a rejected checklist queues a new revision.
    let fixed = store.edit(rejected.id, content("good")).expect("fix");
    assert_eq!((fixed.revision, fixed.state), (2, State::Queued));
    assert!(fixed.issues.is_empty());
}

#[test]
fn a_pull_replaces_the_catalog_and_cursor_together() {
    let home = tempfile::tempdir().expect("dir");
    let mut store = LocalStore::open(home.path(), &key(home.path())).expect("open");
    let station = Station {
        code: StationCode::parse("PEC-1").expect("code"),
        name: "School 1".into(),
        region: "North".into(),
        district: String::new(),
        level: StationLevel::Pec,
        registered_voters: None,
        area: None,
        kind: Default::default(),
        coordinates: None,
    };
    store
        .save_catalog(&default_forms().expect("forms"), &[station], &[], "7")
        .expect("save");
    assert_eq!(store.forms().expect("forms").len(), 5);
    assert_eq!(
        store.setting("pull_cursor").expect("cursor").as_deref(),
        Some("7")
    );
    assert_eq!(store.stations(Some("north")).expect("search").len(), 1);
    assert!(store.stations(Some("south")).expect("search").is_empty());
}

fn eom(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_eom"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env("EOM_PASSPHRASE", PASSPHRASE)
        .env_remove("EOM_KEY_CACHE_DIR")
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .expect("eom runs")
}

#[test]
fn the_binary_guides_a_new_user_without_a_server() {
    let home = tempfile::tempdir().expect("dir");
    let out = eom(home.path(), &["sync"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("eom setup --server"), "{err}");

    let out = eom(
        home.path(),
        &[
            "setup",
            "--server",
            "127.0.0.1:9",
            "--token",
            "eom_x",
            "--no-check",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = eom(home.path(), &["new", "voting", "--station", "PEC-1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("eom pull"), "{err}");

    let out = eom(home.path(), &["status", "--json"]);
    assert!(out.status.success());
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(status["queued"], 0);
    assert_eq!(status["server"], "http://127.0.0.1:9/");
    assert!(status["last_sync_at"].is_null());
}
