//! The HTTP API driven in-process with `tower::ServiceExt::oneshot`, over a real SQLite file.

mod common;

use std::io::Write;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{STATIONS, TestApp, outcomes, payload, voting};
use eom_server::store::{Role, SqliteStore, Store};
use eom_server::{admin, open_store};
use eom_shared::submission::SubmissionId;
use eom_shared::{FormId, StationCode};
use serde_json::{Map, Value, json};

#[tokio::test]
async fn health_names_the_service_and_every_answer_carries_the_version() {
    let app = TestApp::new();
    let (status, body, version) = app
        .send(
            Request::get("/api/v1/health")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["service"], "eom-server");
    assert_eq!(body["api"], "v1");
    assert_eq!(version.as_deref(), Some(eom_shared::VERSION));

    let (status, body, version) = app
        .send(
            Request::get("/nowhere")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
    assert!(version.is_some(), "errors carry the version header too");
}

#[tokio::test]
async fn tokens_and_roles_are_enforced() {
    let app = TestApp::new();
    let request = Request::post("/api/v1/sync/push")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"submissions": []}"#))
        .expect("request");
    let (status, body, _) = app.send(request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthorized");
    assert_eq!(body["retryable"], false);
    assert!(body["hint"].as_str().expect("hint").contains("Bearer"));

    let (status, _) = app.get("/api/v1/sync/pull", "eom_not-a-real-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = app
        .push_raw(&app.coordinator, json!({"submissions": []}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    for path in [
        "/api/v1/submissions",
        "/api/v1/reports/summary",
        "/api/v1/submissions/0193a1d2-0000-7000-8000-000000000000",
    ] {
        let (status, body) = app.get(path, &app.observer).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["error"], "forbidden");
    }
}

#[tokio::test]
async fn push_outcomes_follow_the_protocol() {
    let app = TestApp::new();
    let id = SubmissionId::new();
    let first = payload(id, 1, voting("PEC-1", "good"));
    assert_eq!(app.push(std::slice::from_ref(&first)).await, ["accepted"]);
    assert_eq!(app.push(std::slice::from_ref(&first)).await, ["duplicate"]);

    let second = payload(id, 2, voting("PEC-1", "bad"));
    assert_eq!(app.push(std::slice::from_ref(&second)).await, ["accepted"]);
    // the first revision again, after the second: the server already has a newer one.
    assert_eq!(app.push(&[first]).await, ["duplicate"]);

    // same (id, revision) with other content: a conflict, kept, not overwriting
    let clash = payload(id, 2, voting("PEC-1", "very_good"));
    assert_eq!(app.push(std::slice::from_ref(&clash)).await, ["conflict"]);
    assert_eq!(
        app.push(&[clash]).await,
        ["conflict"],
        "retrying a conflict is safe"
    );

    let (_, detail) = app
        .get(&format!("/api/v1/submissions/{id}"), &app.coordinator)
        .await;
    assert_eq!(detail["revision"], 2);
    assert_eq!(detail["overall"], "bad");
    assert_eq!(detail["revisions"].as_array().expect("revisions").len(), 2);
    assert_eq!(detail["revisions"][1]["answers"]["overall"], "bad");
    let conflicts = detail["conflicts"].as_array().expect("conflicts");
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["payload"]["answers"]["overall"], "very_good");
}

#[tokio::test]
async fn revisions_arriving_out_of_order_keep_the_newest() {
    let app = TestApp::new();
    let id = SubmissionId::new();
    assert_eq!(
        app.push(&[payload(id, 3, voting("PEC-1", "very_bad"))])
            .await,
        ["accepted"]
    );
    assert_eq!(
        app.push(&[payload(id, 2, voting("PEC-1", "good"))]).await,
        ["stale"]
    );
    let (_, detail) = app
        .get(&format!("/api/v1/submissions/{id}"), &app.coordinator)
        .await;
    assert_eq!(detail["revision"], 3);
    assert_eq!(detail["overall"], "very_bad");
    let kept: Vec<u64> = detail["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .map(|r| r["revision"].as_u64().expect("n"))
        .collect();
    assert_eq!(kept, [2, 3], "the late revision is kept in the history");
}

#[tokio::test]
async fn another_observer_cannot_overwrite_a_checklist() {
    let app = TestApp::new();
    let id = SubmissionId::new();
    assert_eq!(
        app.push(&[payload(id, 1, voting("PEC-1", "good"))]).await,
        ["accepted"]
    );
    let (status, body) = app
        .push_raw(
            &app.other_observer,
            json!({"submissions": [payload(id, 2, voting("PEC-1", "very_bad"))]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcomes(&body), ["conflict"]);
    let (_, detail) = app
        .get(&format!("/api/v1/submissions/{id}"), &app.coordinator)
        .await;
    assert_eq!(detail["revision"], 1);
    assert_eq!(detail["observer_name"], "Team 1");
}

#[tokio::test]
async fn one_bad_item_never_sinks_the_batch() {
    let app = TestApp::new();
    let good = payload(SubmissionId::new(), 1, voting("PEC-1", "good"));
    let mut missing = voting("PEC-2", "good");
    missing.answers.remove("identity_checked");
    let missing = payload(SubmissionId::new(), 1, missing);
    let unknown_station = payload(SubmissionId::new(), 1, voting("PEC-99", "good"));
    let mut old_form = voting("PEC-1", "good");
    old_form.form_version = 7;
    let old_form = payload(SubmissionId::new(), 1, old_form);
    let malformed =
        json!({"id": SubmissionId::new(), "revision": 1, "station": "no spaces allowed"});
    let good2 = payload(SubmissionId::new(), 1, voting("PEC-3", "bad"));

    let (status, body) = app
        .push_raw(
            &app.observer,
            json!({"submissions": [good, missing, unknown_station, old_form, malformed, good2]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        outcomes(&body),
        [
            "accepted", "invalid", "invalid", "invalid", "invalid", "accepted"
        ]
    );
    let r = &body["results"];
    assert_eq!(r[1]["issues"][0]["question"], "identity_checked");
    assert_eq!(r[1]["issues"][0]["kind"], "required");
    assert_eq!(r[2]["issues"][0]["kind"], "unknown_station");
    assert_eq!(r[3]["issues"][0]["kind"], "unknown_form");
    assert!(
        r[4]["issues"][0]["message"]
            .as_str()
            .expect("m")
            .contains("item 5")
    );
    assert!(
        r[4]["id"].is_string(),
        "the id of a malformed item is still reported"
    );

    let (_, summary) = app.get("/api/v1/reports/summary", &app.coordinator).await;
    assert_eq!(summary["total"], 2);
}

#[tokio::test]
async fn the_server_recomputes_the_hash() {
    let app = TestApp::new();
    let mut p = payload(SubmissionId::new(), 1, voting("PEC-1", "good"));
    let right = p.content_hash.clone();
    p.content_hash.0 = "0".repeat(64);
    assert_eq!(app.push(&[p.clone()]).await, ["accepted"]);
    let (_, detail) = app
        .get(&format!("/api/v1/submissions/{}", p.id), &app.coordinator)
        .await;
    assert_eq!(detail["revisions"][0]["content_hash"], right.0);
}

#[tokio::test]
async fn protocol_warnings_are_accepted_and_reported() {
    let app = TestApp::new();
    let forms = eom_shared::default_forms::default_forms().expect("forms");
    let counting = forms
        .iter()
        .find(|f| f.id.as_str() == "counting")
        .expect("counting");
    let mut answers = Map::new();
    for q in &counting.questions {
        if q.required && q.relevant.is_none() {
            let v = match &q.kind {
                eom_shared::QuestionKind::YesNo => json!(true),
                eom_shared::QuestionKind::Time => json!("20:00"),
                eom_shared::QuestionKind::Assessment => json!("bad"),
                _ => continue,
            };
            answers.insert(q.id.clone(), v);
        }
    }
    answers.insert("unauthorized_present".into(), json!(false));
    for (k, v) in [
        ("voters_main_list", 1000),
        ("voters_additional_list", 0),
        ("ballots_received", 1000),
        ("ballots_issued_station", 400),
        ("ballots_issued_mobile", 0),
        ("ballots_issued_early", 0),
        ("ballots_cancelled", 600),
        ("ballots_in_stationary_boxes", 450),
        ("ballots_in_mobile_boxes", 0),
        ("invalid_ballots", 0),
        ("valid_ballots", 450),
        ("votes_1", 450),
    ] {
        answers.insert(k.into(), json!(v));
    }
    let mut content = voting("PEC-1", "bad");
    content.form_id = FormId::parse("counting").expect("id");
    content.answers = answers;
    let (status, body) = app
        .push_raw(
            &app.observer,
            json!({"submissions": [payload(SubmissionId::new(), 1, content)]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcomes(&body), ["accepted"], "{body}");
    let issue = &body["results"][0]["issues"][0];
    assert_eq!(issue["severity"], "warning");
    assert_eq!(issue["check"], "found_within_issued");
}

#[tokio::test]
async fn bad_bodies_get_clear_json_errors() {
    let app = TestApp::new();
    let request = Request::post("/api/v1/sync/push")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.observer))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .expect("request");
    let (status, body, _) = app.send(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "bad_request");

    let many: Vec<Value> = (0..=eom_shared::sync::MAX_PUSH_BATCH)
        .map(|_| json!({}))
        .collect();
    let (status, body) = app
        .push_raw(&app.observer, json!({"submissions": many}))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body["message"]
            .as_str()
            .expect("m")
            .contains("at most 1000")
    );

    let (status, body) = app
        .get("/api/v1/sync/pull?since=yesterday", &app.observer)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().expect("m").contains("yesterday"));

    let (status, _) = app
        .get("/api/v1/submissions/not-a-uuid", &app.coordinator)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .get(
            &format!("/api/v1/submissions/{}", SubmissionId::new()),
            &app.coordinator,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get("/api/v1/submissions?per_page=0", &app.coordinator)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn gzip_request_bodies_are_accepted() {
    let app = TestApp::new();
    let p = payload(SubmissionId::new(), 1, voting("PEC-1", "good"));
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(json!({"submissions": [p]}).to_string().as_bytes())
        .expect("compress");
    let request = Request::post("/api/v1/sync/push")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.observer))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_ENCODING, "gzip")
        .body(Body::from(encoder.finish().expect("gzip")))
        .expect("request");
    let (status, body, _) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(outcomes(&body), ["accepted"]);
}

#[tokio::test]
async fn pull_returns_only_what_changed_since_the_cursor() {
    let app = TestApp::new();
    let (status, first) = app.get("/api/v1/sync/pull", &app.observer).await;
    assert_eq!(status, StatusCode::OK);
    // Five forms in two versions each.
    assert_eq!(first["forms"].as_array().expect("forms").len(), 10);
    assert_eq!(first["stations"].as_array().expect("stations").len(), 4);
    assert!(first["server_time"].is_string());
    let cursor = first["cursor"].as_str().expect("cursor");

    let (_, again) = app
        .get(&format!("/api/v1/sync/pull?since={cursor}"), &app.observer)
        .await;
    assert!(again["forms"].as_array().expect("forms").is_empty());
    assert!(again["stations"].as_array().expect("stations").is_empty());
    assert_eq!(again["cursor"], cursor);

    app.store
        .import_stations(&[eom_shared::Station {
            code: StationCode::parse("PEC-4").expect("code"),
            name: "Library".into(),
            region: "South".into(),
            district: "D8".into(),
            level: eom_shared::StationLevel::Pec,
            registered_voters: Some(700),
            area: None,
            kind: Default::default(),
            coordinates: None,
        }])
        .expect("import");
    let (_, later) = app
        .get(&format!("/api/v1/sync/pull?since={cursor}"), &app.observer)
        .await;
    let codes: Vec<&str> = later["stations"]
        .as_array()
        .expect("stations")
        .iter()
        .map(|s| s["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["PEC-4"]);
}

#[tokio::test]
async fn coordinators_list_filter_and_summarise() {
    let app = TestApp::new();
    let items = [
        payload(SubmissionId::new(), 1, voting("PEC-1", "good")),
        payload(SubmissionId::new(), 1, voting("PEC-2", "bad")),
        payload(SubmissionId::new(), 1, voting("PEC-3", "very_bad")),
        payload(SubmissionId::new(), 1, voting("PEC-3", "very_good")),
    ];
    assert_eq!(app.push(&items).await, ["accepted"; 4]);

    let (status, page) = app.get("/api/v1/submissions", &app.coordinator).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 4);

    let (_, south) = app
        .get("/api/v1/submissions?region=South", &app.coordinator)
        .await;
    assert_eq!(south["total"], 2);
    let (_, one) = app
        .get("/api/v1/submissions?station=PEC-2", &app.coordinator)
        .await;
    assert_eq!(one["items"][0]["id"], items[1].id.to_string());
    let (_, paged) = app
        .get("/api/v1/submissions?per_page=3&page=2", &app.coordinator)
        .await;
    assert_eq!(paged["items"].as_array().expect("items").len(), 1);
    let (_, none) = app
        .get("/api/v1/submissions?form=counting", &app.coordinator)
        .await;
    assert_eq!(none["total"], 0);

    let (status, summary) = app.get("/api/v1/reports/summary", &app.coordinator).await;
    assert_eq!(status, StatusCode::OK);
    let voting = summary["forms"]
        .as_array()
        .expect("forms")
        .iter()
        .find(|f| f["form_id"] == "voting")
        .expect("voting row");
    assert_eq!(voting["checklists"], 4);
    assert_eq!(voting["negative"], 2);
    assert_eq!(voting["negative_share"], 0.5);
}

#[test]
fn a_bad_station_row_is_reported_by_line_and_nothing_is_imported() {
    let dir = tempfile::tempdir().expect("dir");
    let store = open_store(&dir.path().join("eom.db")).expect("store");
    let csv = dir.path().join("stations.csv");
    std::fs::write(
        &csv,
        "code,name,region,district,level,registered_voters\nPEC-1,A,North,D,pec,10\nPEC-2,B,North,D,precinct,10\nPEC-3,C,North,D,pec,many\n",
    )
    .expect("write");
    let err = admin::import_stations_csv(&store, &csv).expect_err("bad rows");
    // The file, then why: each said once, as the command prints the chain.
    let text = std::iter::successors(Some(&err as &dyn std::error::Error), |e| e.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ");
    assert_eq!(text.matches("line 3").count(), 1, "{text}");
    assert!(
        text.contains("line 3") && text.contains("precinct"),
        "{text}"
    );
    assert!(text.contains("line 4") && text.contains("many"), "{text}");
    assert!(
        store
            .catalog_changes(0, "nobody")
            .expect("changes")
            .stations
            .is_empty()
    );

    std::fs::write(&csv, "code,name,region\nPEC-1,A,North\n").expect("write");
    let err = admin::import_stations_csv(&store, &csv).expect_err("bad header");
    let why = std::error::Error::source(&err).map(ToString::to_string);
    assert!(
        why.as_deref()
            .is_some_and(|w| w.contains("district, level, registered_voters")),
        "{why:?}"
    );

    // re-importing updates instead of duplicating
    std::fs::write(&csv, STATIONS).expect("write");
    let first = admin::import_stations_csv(&store, &csv).expect("import");
    assert_eq!((first.added, first.updated, first.unchanged), (4, 0, 0));
    std::fs::write(&csv, STATIONS.replace("School 2", "Gymnasium 2")).expect("write");
    let second = admin::import_stations_csv(&store, &csv).expect("import");
    assert_eq!((second.added, second.updated, second.unchanged), (0, 1, 3));
}

#[test]
fn accepted_data_is_on_disk_for_the_next_process() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("eom.db");
    let id = SubmissionId::new();
    {
        let store = open_store(&path).expect("store");
        let csv = dir.path().join("stations.csv");
        std::fs::write(&csv, STATIONS).expect("write");
        admin::import_stations_csv(&store, &csv).expect("import");
        let observer = admin::create_account(
            &store,
            "T",
            Role::Observer,
            &[],
            eom_server::audit::OPERATOR,
        )
        .expect("account");
        let results = eom_server::ingest::push(
            &store,
            &Default::default(),
            &observer.account.id,
            &eom_server::ingest::Arrival::now(eom_shared::limits::ObservationWindow::unbounded()),
            vec![serde_json::to_value(payload(id, 1, voting("PEC-1", "good"))).expect("json")],
        )
        .expect("push");
        assert_eq!(results[0].outcome, eom_shared::sync::PushOutcome::Accepted);
    }
    let reopened = SqliteStore::open(&path).expect("reopen");
    assert!(reopened.submission(id).expect("read").is_some());
}

/// `accepted` is a promise that the data is on disk: every connection, the writer's and the
/// readers', runs in WAL mode with `synchronous = FULL`, so a commit is fsynced before the
/// answer goes out. (The SIGKILL tests alone cannot see this: the page cache survives them.)
#[test]
fn every_connection_commits_durably() {
    let dir = tempfile::tempdir().expect("dir");
    let store = open_store(&dir.path().join("eom.db")).expect("store");
    for (journal, synchronous) in store.durability().expect("settings") {
        assert_eq!(journal, "wal");
        assert_eq!(synchronous, 2, "synchronous must be FULL (2)");
    }
}

#[tokio::test]
async fn a_checklist_must_be_filed_where_its_stage_is_observed() {
    let app = TestApp::new();
    let voting_at_commission = payload(SubmissionId::new(), 1, voting("TEC-N", "good"));
    let mut incident = voting("TEC-N", "good");
    incident.form_id = FormId::parse("incident").expect("id");
    incident.answers = json!({
        "incident_time": "10:00", "category": "pressure", "gravity": "serious",
        "critical_flag": false, "description": "Voters told how to vote",
        "witnessed_directly": true, "observers_unrestricted": true, "injuries": false,
        "reported_to_commission": false, "ongoing": false
    })
    .as_object()
    .cloned()
    .expect("object");
    let incident_at_commission = payload(SubmissionId::new(), 1, incident);
    let (status, body) = app
        .push_raw(
            &app.observer,
            json!({"submissions": [voting_at_commission, incident_at_commission]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let result = &body["results"][0];
    assert_eq!(result["outcome"], "invalid", "{body}");
    assert_eq!(result["issues"][0]["kind"], "wrong_station_level");
    assert!(
        result["issues"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("'TEC-N' is a territorial commission")),
        "{body}"
    );
    assert_eq!(
        body["results"][1]["outcome"], "accepted",
        "an incident may happen anywhere: {body}"
    );
}
