//! An XLSForm as ODK and Kobo missions keep their checklists (`data/observation_checklist.xlsx`,
//! made by `data/make_xlsform.py`: groups, skip logic, constraints, English and Russian)
//! imports to a form that validates answers exactly as the spreadsheet says; unsupported rows
//! are named with their sheet and row number (`data/unsupported.xlsx`).

use std::path::PathBuf;

use eom_server::forms::xlsform::{import, read_file};
use eom_shared::form::QuestionKind;
use eom_shared::validate::validate;
use eom_shared::{IssueKind, Stage};
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn answers(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().expect("object")
}

/// A complete, valid set of answers to the fixture.
fn complete() -> Value {
    json!({
        "arrival_time": "07:40",
        "observers_unrestricted": true,
        "ink_checked": true,
        "carousel_voting": false,
        "mobile_box_used": true,
        "mobile_requests": 12,
        "observers_followed": "allowed",
        "voters_in_queue": 0,
        "overall": "good"
    })
}

#[test]
fn an_observation_checklist_imports_and_validates_as_the_spreadsheet_says() {
    let sheets = read_file(&fixture("observation_checklist.xlsx")).expect("read");
    let imported = import(&sheets, None).expect("import");
    let form = &imported.form;
    assert_eq!(form.id.as_str(), "voting_kz");
    assert_eq!(form.version, 2_026_031_901);
    assert_eq!(form.stage, Stage::Voting, "from the settings sheet");
    assert_eq!(form.title.get("ru"), "Голосование (Казахстан)");
    assert_eq!(
        imported.skipped.len(),
        3,
        "start, deviceid and the note: {:?}",
        imported.skipped
    );
    let ids: Vec<&str> = form.questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "arrival_time",
            "observers_unrestricted",
            "access_restriction",
            "ink_checked",
            "carousel_voting",
            "mobile_box_used",
            "mobile_requests",
            "observers_followed",
            "voters_in_queue",
            "remarks",
            "overall"
        ]
    );
    let q = |id: &str| form.question(id).expect("question");
    assert_eq!(q("ink_checked").kind, QuestionKind::YesNo, "yes/no list");
    assert_eq!(q("overall").kind, QuestionKind::Assessment);
    assert_eq!(
        q("mobile_requests").kind,
        QuestionKind::Number {
            min: Some(0),
            max: Some(500)
        }
    );
    assert!(
        q("carousel_voting")
            .concern
            .as_ref()
            .is_some_and(|c| c.critical)
    );
    assert_eq!(
        q("access_restriction").label.get("ru"),
        "Как вас ограничивали?"
    );

    assert!(validate(form, &answers(complete())).is_valid());

    let kinds = |v: Value| -> Vec<(Option<String>, IssueKind)> {
        validate(form, &answers(v))
            .errors()
            .map(|i| (i.question.clone(), i.kind))
            .collect()
    };
    let mut over = complete();
    over["mobile_requests"] = json!(600);
    assert_eq!(
        kinds(over),
        [(Some("mobile_requests".into()), IssueKind::OutOfRange)],
        "the constraint's bound"
    );
    // The group's relevant: no mobile box, so its questions are not asked.
    let mut no_box = complete();
    no_box["mobile_box_used"] = json!(false);
    assert_eq!(
        kinds(no_box.clone()),
        [
            (Some("mobile_requests".into()), IssueKind::NotRelevant),
            (Some("observers_followed".into()), IssueKind::NotRelevant)
        ]
    );
    if let Some(a) = no_box.as_object_mut() {
        a.remove("mobile_requests");
        a.remove("observers_followed");
    }
    assert!(validate(form, &answers(no_box)).is_valid());
    // The skip logic: a restriction makes the required follow-up asked.
    let mut restricted = complete();
    restricted["observers_unrestricted"] = json!(false);
    assert_eq!(
        kinds(restricted),
        [(Some("access_restriction".into()), IssueKind::Required)]
    );
    let mut missing = complete();
    if let Some(a) = missing.as_object_mut() {
        a.remove("arrival_time");
    }
    assert_eq!(
        kinds(missing),
        [(Some("arrival_time".into()), IssueKind::Required)]
    );
}

#[test]
fn unsupported_rows_are_named_and_nothing_is_imported() {
    let sheets = read_file(&fixture("unsupported.xlsx")).expect("read");
    let error = import(&sheets, None).expect_err("unsupported rows");
    for expected in [
        "survey row 2 ('location'): type 'geopoint' is not supported",
        "survey row 4 ('total'): type 'calculate' is not supported",
        "survey row 6 ('minutes_late'): constraint",
    ] {
        assert!(error.contains(expected), "{expected} in {error}");
    }
    assert!(!error.contains("row 3"), "the supported rows pass: {error}");
}
