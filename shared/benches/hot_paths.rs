//! The per-checklist work on both sides of the wire: validation and canonical hashing.

use criterion::{Criterion, criterion_group, criterion_main};
use eom_shared::default_forms::default_forms;
use eom_shared::submission::SubmissionContent;
use eom_shared::{FormId, StationCode, validate};
use serde_json::{Map, Value, json};
use std::hint::black_box;

fn counting_answers() -> Map<String, Value> {
    json!({
        "arrival_time": "20:00", "observers_unrestricted": true, "could_see": true,
        "unauthorized_present": false, "unused_cancelled_first": true, "signatures_counted": true,
        "seals_intact": true, "each_ballot_shown": true, "validity_consistent": true,
        "ballots_misattributed": false, "figures_in_ink": true, "protocol_completed": true,
        "protocol_presigned": false, "copy_to_observers": true, "protocol_posted": true,
        "protocol_copied": true, "voters_main_list": 1800, "voters_additional_list": 40,
        "ballots_received": 1840, "ballots_issued_station": 1150, "ballots_issued_mobile": 30,
        "ballots_issued_early": 0, "ballots_cancelled": 660, "ballots_in_stationary_boxes": 1150,
        "ballots_in_mobile_boxes": 30, "invalid_ballots": 25, "valid_ballots": 1155,
        "votes_1": 800, "votes_2": 255, "votes_3": 100, "overall": "good"
    })
    .as_object()
    .cloned()
    .expect("an object")
}

fn benches(c: &mut Criterion) {
    // A bench whose setup fails must fail, not report nothing.
    let forms = default_forms().expect("the default forms load");
    let counting = forms
        .iter()
        .find(|f| f.id.as_str() == "counting")
        .expect("a counting form");
    let answers = counting_answers();
    assert!(
        validate(counting, &answers).is_valid(),
        "the benchmark's checklist must be valid"
    );
    c.bench_function(
        "validate counting checklist (39 questions, 7 checks)",
        |b| b.iter(|| validate(black_box(counting), black_box(&answers))),
    );
    let form_id = FormId::parse("counting").expect("a form id");
    let station = StationCode::parse("PEC-00001").expect("a station code");
    let content = SubmissionContent {
        form_id,
        form_version: 1,
        station,
        observed_at: chrono::Utc::now(),
        answers,
        notes: String::new(),
    };
    c.bench_function("canonical JSON + SHA-256 of a counting checklist", |b| {
        b.iter(|| black_box(&content).content_hash())
    });
}

criterion_group!(hot_paths, benches);
criterion_main!(hot_paths);
