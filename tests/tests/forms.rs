//! A mission adapts a form: exported, edited, installed as the next version (3: a new
//! database holds versions 1 and 2 of the default forms) with the real binary, received by a
//! laptop on its next sync while a checklist filled on the previous version is still queued;
//! both are accepted and counted under one form.

use eom_tests::{Laptop, Mission, voting_answers};
use serde_json::{Value, json};

#[test]
fn a_new_form_version_reaches_laptops_and_previous_version_checklists_still_count() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &mission.add_observer("Team V", "North"));
    let on_v2 = laptop.file("voting", "PEC-001", &voting_answers("good"));

    let dir = tempfile::tempdir().expect("temp dir");
    let exported = dir.path().join("voting.json");
    mission
        .admin(&[
            "forms",
            "export",
            "voting",
            "--output",
            exported.to_str().expect("utf-8"),
        ])
        .ok();
    let mut form: Value =
        serde_json::from_str(&std::fs::read_to_string(&exported).expect("read")).expect("json");
    assert_eq!(form["version"], 2);

    // Editing version 2 in place is refused: it is released.
    form["questions"][0]["label"]["en"] = json!("Time of arrival at the station");
    std::fs::write(&exported, form.to_string()).expect("write");
    let refused = mission.admin(&["forms", "install", exported.to_str().expect("utf-8")]);
    assert!(!refused.success());
    assert!(
        refused.stderr.contains("publish the change as version 3"),
        "{}",
        refused.stderr
    );

    form["version"] = json!(3);
    form["questions"].as_array_mut().expect("questions").insert(
        3,
        json!({"id": "ballots_taken_out", "type": "yes_no",
                   "label": {"en": "Did you see a voter take a ballot out of the station?",
                             "ru": "Видели ли вы, как избиратель выносит бюллетень с участка?"},
                   "concern": {"answers": [true], "critical": true}}),
    );
    std::fs::write(&exported, form.to_string()).expect("write");
    let installed = mission
        .admin(&["forms", "install", exported.to_str().expect("utf-8")])
        .ok();
    assert!(
        installed
            .stdout
            .contains("Published version 3 of form 'voting'"),
        "{}",
        installed.stdout
    );
    let listed = mission.admin(&["forms", "list", "--json"]).ok();
    let voting: Value = listed
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|f| f["id"] == "voting")
        .expect("voting listed");
    assert_eq!(voting["version"], 3);

    // The queued version-2 checklist is delivered and accepted; version 3 arrives.
    laptop.eom(&["sync"]).ok();
    let mut answers = voting_answers("bad");
    answers["ballots_taken_out"] = json!(true);
    let on_v3 = laptop.file("voting", "PEC-002", &answers);
    laptop.eom(&["sync"]).ok();

    let stored = mission.all_submissions();
    assert_eq!(stored.len(), 2, "{stored:?}");
    for (id, version) in [(&on_v2, 2), (&on_v3, 3)] {
        let (status, detail) = mission.get(
            &format!("/api/v1/submissions/{id}"),
            mission.coordinator_token(),
        );
        assert_eq!(status, 200, "{detail}");
        assert_eq!(detail["revisions"][0]["form_version"], version, "{detail}");
    }
    let summary = mission.summary_of("voting");
    assert_eq!(summary["checklists"], 2, "{summary}");
    assert_eq!(summary["negative"], 1, "{summary}");
}

#[test]
fn an_xlsform_is_imported_with_the_real_binary_and_reaches_a_laptop() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &mission.add_observer("Team X", "North"));
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../server/tests/data/observation_checklist.xlsx");
    let run = mission
        .admin(&["forms", "import", fixture.to_str().expect("utf-8")])
        .ok();
    assert!(
        run.stdout.contains("Left out survey row 4: note 'intro'"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Installed form 'voting_kz', version 2026031901."),
        "{}",
        run.stdout
    );
    let broken = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../server/tests/data/unsupported.xlsx");
    let refused = mission.admin(&["forms", "import", broken.to_str().expect("utf-8")]);
    assert!(!refused.success());
    assert!(
        refused.stderr.contains("survey row 2 ('location')"),
        "{}",
        refused.stderr
    );

    laptop.eom(&["sync"]).ok();
    let mut answers = json!({
        "arrival_time": "07:40", "observers_unrestricted": true, "ink_checked": true,
        "carousel_voting": true, "mobile_box_used": false, "overall": "bad"
    });
    let id = laptop.file("voting_kz", "PEC-001", &answers);
    laptop.eom(&["sync"]).ok();
    assert_eq!(mission.all_submissions().get(&id), Some(&1));
    let (_, findings) = mission.get("/api/v1/reports/findings", mission.coordinator_token());
    assert!(
        findings["critical"]
            .as_array()
            .expect("critical")
            .iter()
            .any(|f| f["question_id"] == "carousel_voting"),
        "{findings}"
    );
    answers["mobile_requests"] = json!(3);
    let refused = laptop.eom(&[
        "new",
        "voting_kz",
        "--station",
        "PEC-002",
        "--answers",
        laptop.answers_file(&answers).to_str().expect("utf-8"),
    ]);
    assert!(!refused.success(), "a question its group does not ask");
}
