//! Fuzzing on the stable toolchain: proptest drives the push decoder and the shared form
//! validation with arbitrary bytes, arbitrary JSON, and valid checklists with one field
//! replaced by an arbitrary value. The properties: nothing panics; a decoded push is answered
//! item by item, in order, one result per item; an item answered `invalid` says why; a
//! checklist that validates has no errors.
//!
//! The README's test command runs the default number of cases; `.ci/run` runs many more
//! (`PROPTEST_CASES`). (`cargo fuzz` needs a nightly toolchain a fresh machine lacks.)

mod common;

use std::sync::Arc;

use chrono::Utc;
use common::{payload, voting};
use eom_server::ingest::{Arrival, FormCache};
use eom_server::open_store;
use eom_shared::limits::ObservationWindow;
use eom_shared::sync::{PushOutcome, RawPushRequest};
use eom_shared::{SubmissionId, validate_submission};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("00000000-0000-0000-0000-000000000000")),
        Just(json!("9999-12-31T23:59:59Z")),
        Just(json!(u64::MAX)),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A valid voting checklist with one field (or answer) replaced by an arbitrary value.
fn mutated_item() -> impl Strategy<Value = Value> {
    let fields = prop_oneof![
        Just("id".to_owned()),
        Just("revision".to_owned()),
        Just("form_id".to_owned()),
        Just("form_version".to_owned()),
        Just("station".to_owned()),
        Just("observed_at".to_owned()),
        Just("notes".to_owned()),
        Just("content_hash".to_owned()),
        Just("answers".to_owned()),
        Just("answers.overall".to_owned()),
        Just("answers.box_stuffing".to_owned()),
        Just("answers.remarks".to_owned()),
        Just("answers.arrival_time".to_owned()),
        ".{0,12}".prop_map(|k| format!("answers.{k}")),
    ];
    (fields, any_json()).prop_map(|(field, value)| {
        let mut content = voting("PEC-1", "good");
        content.observed_at = Utc::now();
        let mut item =
            serde_json::to_value(payload(SubmissionId::new(), 1, content)).unwrap_or(Value::Null);
        match field.strip_prefix("answers.") {
            Some(answer) => item["answers"][answer] = value,
            None => item[field.as_str()] = value,
        }
        item
    })
}

struct Fixture {
    store: Arc<eom_server::store::SqliteStore>,
    forms: FormCache,
    observer: String,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(open_store(&dir.path().join("eom.db")).expect("store"));
    let csv = dir.path().join("stations.csv");
    std::fs::write(&csv, common::STATIONS).expect("csv");
    eom_server::admin::import_stations_csv(store.as_ref(), &csv).expect("stations");
    let observer = eom_server::admin::create_account(
        store.as_ref(),
        "Team F",
        eom_server::store::Role::Observer,
        &[],
        eom_server::audit::OPERATOR,
    )
    .expect("account")
    .account
    .id;
    Fixture {
        store,
        forms: FormCache::default(),
        observer,
        _dir: dir,
    }
}

/// Decodes a push body and stores it as the server does; checks the answer's shape.
fn check_push(f: &Fixture, body: &[u8]) -> Result<(), TestCaseError> {
    let Ok(request) = RawPushRequest::from_slice(body) else {
        return Ok(());
    };
    let count = request.submissions.len();
    let arrival = Arrival::now(ObservationWindow::default());
    let results = eom_server::ingest::push(
        f.store.as_ref(),
        &f.forms,
        &f.observer,
        &arrival,
        request.submissions,
    )
    .map_err(|e| TestCaseError::fail(format!("storage error: {e}")))?;
    prop_assert_eq!(results.len(), count, "one result per item, in order");
    for r in &results {
        if r.outcome == PushOutcome::Invalid {
            prop_assert!(!r.issues.is_empty(), "an invalid item says why");
        } else {
            prop_assert!(
                r.id.is_some() && r.revision.is_some(),
                "a stored item is named"
            );
        }
    }
    Ok(())
}

proptest! {
    // Cases from PROPTEST_CASES (256 by default); failures are shown, not written to files.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let f = fixture();
        check_push(&f, &bytes)?;
    }

    #[test]
    fn arbitrary_json_items_are_answered_one_by_one(items in prop::collection::vec(any_json(), 0..6)) {
        let f = fixture();
        check_push(&f, json!({ "submissions": items }).to_string().as_bytes())?;
    }

    #[test]
    fn mutated_checklists_are_answered_and_never_panic(items in prop::collection::vec(mutated_item(), 1..6)) {
        let f = fixture();
        check_push(&f, json!({ "submissions": items }).to_string().as_bytes())?;
    }

    #[test]
    fn validation_never_panics_and_agrees_with_itself(answers in prop::collection::btree_map(".{0,16}", any_json(), 0..12), notes in ".{0,64}") {
        let forms = eom_shared::default_forms::default_forms().expect("forms");
        let mut content = voting("PEC-1", "good");
        content.answers = answers.into_iter().collect();
        content.notes = notes;
        content.observed_at = Utc::now();
        for form in &forms {
            let v = validate_submission(form, &content, &ObservationWindow::default(), Utc::now());
            prop_assert_eq!(v.is_valid(), v.errors().next().is_none());
        }
    }
}
