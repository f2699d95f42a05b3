//! Every report checked against data whose right answer is known by construction.

mod common;

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use common::{TestApp, payload, voting};
use eom_server::admin;
use eom_server::store::{Role, Store};
use eom_shared::FormId;
use eom_shared::submission::{SubmissionContent, SubmissionId, SubmissionPayload};
use serde_json::{Value, json};

/// A voting checklist observed on election day at `hour`:00 UTC.
fn voting_at(station: &str, overall: &str, hour: u32) -> SubmissionContent {
    let mut c = voting(station, overall);
    c.observed_at = Utc
        .with_ymd_and_hms(2026, 3, 19, hour, 30, 0)
        .single()
        .expect("time");
    c
}

fn counting_at(station: &str, overall: &str, hour: u32) -> SubmissionContent {
    let mut c = voting_at(station, overall, hour);
    c.form_id = FormId::parse("counting").expect("id");
    let answers = json!({
        "arrival_time": "20:00", "observers_unrestricted": true, "could_see": true,
        "unauthorized_present": false, "unused_cancelled_first": true, "signatures_counted": true,
        "seals_intact": true, "each_ballot_shown": true, "validity_consistent": true,
        "ballots_misattributed": false, "figures_in_ink": true, "protocol_completed": true,
        "protocol_presigned": false, "copy_to_observers": true, "protocol_posted": true,
        "protocol_copied": false, "overall": overall
    });
    c.answers = answers.as_object().cloned().expect("object");
    c
}

/// The known election day:
/// - North voting, 20 checklists at PEC-1/PEC-2: 5 negative (all at 08:30), 4 restricted;
/// - South voting, 30 at PEC-3: 3 negative (08:30), 2 with ballot box stuffing (critical);
/// - North counting, 10 at PEC-1: 6 negative.
///
/// Half of each group is observed in the morning, the other half in the afternoon.
struct Day {
    app: TestApp,
    north_voting: Vec<SubmissionPayload>,
    /// The two South voting checklists that saw ballot box stuffing.
    stuffing: Vec<SubmissionId>,
}

async fn known_day() -> Day {
    let app = TestApp::new();
    let mut north_voting = Vec::new();
    for i in 0..20 {
        let station = if i % 2 == 0 { "PEC-1" } else { "PEC-2" };
        let overall = match i {
            0 | 2 | 4 => "bad",
            1 | 3 => "very_bad",
            _ => "good",
        };
        let mut c = voting_at(station, overall, if i < 10 { 8 } else { 14 });
        if (5..9).contains(&i) {
            c.answers
                .insert("observers_unrestricted".into(), json!(false));
            c.answers
                .insert("access_restriction".into(), json!(["kept_far"]));
        }
        north_voting.push(payload(SubmissionId::new(), 1, c));
    }
    let mut south_voting = Vec::new();
    for i in 0..30 {
        let overall = if i < 3 { "very_bad" } else { "very_good" };
        let mut c = voting_at("PEC-3", overall, if i < 15 { 8 } else { 14 });
        if i == 20 || i == 21 {
            c.answers.insert("box_stuffing".into(), json!(true));
        }
        south_voting.push(payload(SubmissionId::new(), 1, c));
    }
    let counting: Vec<SubmissionPayload> = (0..10)
        .map(|i| {
            let overall = if i < 6 { "bad" } else { "good" };
            payload(
                SubmissionId::new(),
                1,
                counting_at("PEC-1", overall, if i < 5 { 20 } else { 21 }),
            )
        })
        .collect();
    for batch in [&north_voting, &south_voting, &counting] {
        assert!(app.push(batch).await.iter().all(|o| o == "accepted"));
    }
    let stuffing = vec![south_voting[20].id, south_voting[21].id];
    Day {
        app,
        north_voting,
        stuffing,
    }
}

fn stage<'a>(report: &'a Value, stage: &str) -> &'a Value {
    report["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["stage"] == stage)
        .unwrap_or_else(|| panic!("no {stage} in {report}"))
}

fn share(v: &Value) -> (u64, u64) {
    (
        v["part"].as_u64().expect("part"),
        v["whole"].as_u64().expect("whole"),
    )
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 5e-4)
}

#[tokio::test]
async fn assessments_per_stage_and_region_with_confidence_intervals() {
    let day = known_day().await;
    let (status, report) = day
        .app
        .get("/api/v1/reports/assessments", &day.app.coordinator)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let voting = &stage(&report, "voting")["negative"];
    assert_eq!(share(voting), (8, 50));
    assert!(close(&voting["share"], 0.16));
    // Wilson 95% interval of 8/50, computed independently: 0.0834 to 0.2851.
    assert!(close(&voting["ci_low"], 0.0834), "{voting}");
    assert!(close(&voting["ci_high"], 0.2851), "{voting}");
    assert_eq!(share(&stage(&report, "counting")["negative"]), (6, 10));
    assert_eq!(share(&stage(&report, "opening")["negative"]), (0, 0));
    assert!(stage(&report, "opening")["negative"]["share"].is_null());

    let regions: Vec<(String, String, (u64, u64))> = report["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .map(|r| {
            (
                r["region"].as_str().expect("region").to_owned(),
                r["stage"].as_str().expect("stage").to_owned(),
                share(&r["negative"]),
            )
        })
        .collect();
    assert_eq!(
        regions,
        [
            ("North".into(), "voting".into(), (5, 20)),
            ("North".into(), "counting".into(), (6, 10)),
            ("South".into(), "voting".into(), (3, 30)),
        ]
    );

    // Filters: region, form, time window.
    let (_, south) = day
        .app
        .get(
            "/api/v1/reports/assessments?region=South",
            &day.app.coordinator,
        )
        .await;
    assert_eq!(share(&stage(&south, "voting")["negative"]), (3, 30));
    assert_eq!(south["filter"]["region"], "South");
    let (_, counting_only) = day
        .app
        .get(
            "/api/v1/reports/assessments?form=counting",
            &day.app.coordinator,
        )
        .await;
    assert_eq!(share(&stage(&counting_only, "voting")["negative"]), (0, 0));
    let (_, afternoon) = day
        .app
        .get(
            "/api/v1/reports/assessments?from=2026-03-19T12:00&to=2026-03-19T18:00",
            &day.app.coordinator,
        )
        .await;
    assert_eq!(share(&stage(&afternoon, "voting")["negative"]), (0, 25));
    assert_eq!(share(&stage(&afternoon, "counting")["negative"]), (0, 0));
    let (status, bad) = day
        .app
        .get(
            "/api/v1/reports/assessments?from=noon",
            &day.app.coordinator,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["message"].as_str().expect("message").contains("noon"));
}

#[tokio::test]
async fn access_findings_and_statement_lines() {
    let day = known_day().await;
    let c = &day.app.coordinator;
    let (_, access) = day.app.get("/api/v1/reports/access", c).await;
    let figures = access["figures"].as_array().expect("figures");
    assert_eq!(share(&figures[0]["restricted"]), (4, 60), "overall first");
    let voting = figures
        .iter()
        .find(|f| f["region"].is_null() && f["stage"] == "voting")
        .expect("voting");
    assert_eq!(share(&voting["restricted"]), (4, 50));
    let north = figures
        .iter()
        .find(|f| f["region"] == "North" && f["stage"] == "voting")
        .expect("north voting");
    assert_eq!(share(&north["restricted"]), (4, 20));

    let (_, findings) = day.app.get("/api/v1/reports/findings", c).await;
    let stuffing = findings["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .find(|q| q["form_id"] == "voting" && q["question_id"] == "box_stuffing")
        .expect("box stuffing");
    assert_eq!(share(&stuffing["concern"]), (2, 50));
    assert_eq!(stuffing["critical"], true);
    assert_eq!(stuffing["label"], "Did you see ballot box stuffing?");
    let critical = findings["critical"].as_array().expect("critical");
    assert_eq!(critical.len(), 2);
    for f in critical {
        assert_eq!(
            (
                f["question_id"].as_str(),
                f["station"].as_str(),
                f["region"].as_str()
            ),
            (Some("box_stuffing"), Some("PEC-3"), Some("South"))
        );
        assert_eq!(f["observer_name"], "Team 1");
        assert!(
            f["observed_at"]
                .as_str()
                .expect("time")
                .starts_with("2026-03-19T14")
        );
    }

    let (_, statement) = day.app.get("/api/v1/reports/statement", c).await;
    let lines: Vec<&str> = statement["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l.as_str().expect("line"))
        .collect();
    // Counts in a statement's words; intervals stay in the other reports.
    // Ten counting checklists came from one station: counting is counted per station.
    assert_eq!(
        lines[..4],
        [
            "Voting was assessed negatively in 8 of 50 observations.",
            "Counting was assessed negatively in 1 of 1 polling station observed.",
            "Voting was observed in 3 of the 3 polling stations on the list.",
            "Counts were observed in 1 of the 3 polling stations on the list.",
        ]
    );
    assert!(
        lines.contains(&"During voting, observers were restricted in 4 of 50 observations."),
        "{lines:?}"
    );
    let (_, russian) = day.app.get("/api/v1/reports/statement?lang=ru-KZ", c).await;
    assert_eq!(russian["lang"], "ru");
    assert_eq!(
        russian["lines"][1],
        "Подсчёт голосов был оценён негативно в 1 из 1 наблюдавшегося участка."
    );
}

/// 60 counting checklists from 53 distinct stations (a second team at seven of them), 18 of
/// the stations assessed negatively, all of them urban: the statement counts stations, and
/// the urban/rural split puts every negative one in town.
#[tokio::test]
async fn statements_count_distinct_stations_and_reports_split_urban_and_rural() {
    let app = TestApp::new();
    let code = |i: usize| format!("C-{i:03}");
    let stations: Vec<eom_shared::Station> = (1..=60)
        .map(|i| eom_shared::Station {
            code: eom_shared::StationCode::parse(&code(i)).expect("code"),
            name: format!("School {i}"),
            region: "North".into(),
            district: String::new(),
            level: eom_shared::StationLevel::Pec,
            registered_voters: Some(1000),
            area: Some(if i <= 30 {
                eom_shared::Area::Urban
            } else {
                eom_shared::Area::Rural
            }),
            kind: eom_shared::StationKind::Regular,
            coordinates: None,
        })
        .collect();
    app.store.import_stations(&stations).expect("stations");
    let mut counts: Vec<SubmissionPayload> = (1..=53)
        .map(|i| {
            let overall = if i <= 18 { "bad" } else { "good" };
            payload(SubmissionId::new(), 1, counting_at(&code(i), overall, 20))
        })
        .collect();
    // A second team at stations 1 to 7 saw nothing wrong; those stations stay negative.
    counts.extend(
        (1..=7).map(|i| payload(SubmissionId::new(), 1, counting_at(&code(i), "good", 21))),
    );
    assert!(app.push(&counts).await.iter().all(|o| o == "accepted"));
    let c = &app.coordinator;

    let (_, statement) = app.get("/api/v1/reports/statement", c).await;
    assert_eq!(
        statement["lines"][0],
        "Counting was assessed negatively in 18 of 53 polling stations observed."
    );
    let (_, assessments) = app.get("/api/v1/reports/assessments", c).await;
    assert_eq!(
        share(&stage(&assessments, "counting")["negative"]),
        (18, 60),
        "the analyst's view still counts checklists"
    );
    let (_, russian) = app.get("/api/v1/reports/statement?lang=ru", c).await;
    assert_eq!(
        russian["lines"][0],
        "Подсчёт голосов был оценён негативно в 18 из 53 наблюдавшихся участков."
    );

    let (status, split) = app.get("/api/v1/reports/split?by=area", c).await;
    assert_eq!(status, StatusCode::OK, "{split}");
    let group = |value: &str| {
        split["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["value"] == value)
            .cloned()
            .unwrap_or_else(|| panic!("no {value} in {split}"))
    };
    let counting = |g: &Value, field: &str| {
        g[field]
            .as_array()
            .expect(field)
            .iter()
            .find(|s| s["stage"] == "counting")
            .cloned()
            .expect("counting")
    };
    let urban = group("urban");
    assert_eq!(share(&counting(&urban, "negative")["negative"]), (18, 37));
    assert_eq!(
        share(&counting(&urban, "coverage")["assessed_negatively"]),
        (18, 30)
    );
    assert_eq!(share(&counting(&urban, "coverage")["visited"]), (30, 30));
    let rural = group("rural");
    assert_eq!(share(&counting(&rural, "negative")["negative"]), (0, 23));
    assert_eq!(share(&counting(&rural, "coverage")["visited"]), (23, 30));

    let (_, rural_only) = app.get("/api/v1/reports/assessments?area=rural", c).await;
    assert_eq!(rural_only["filter"]["area"], "rural");
    assert_eq!(share(&stage(&rural_only, "counting")["negative"]), (0, 23));
    let (_, listed) = app
        .get("/api/v1/submissions?area=urban&per_page=5", c)
        .await;
    assert_eq!(listed["total"], 37);
    assert_eq!(listed["items"][0]["area"], "urban");

    for bad in [
        "/api/v1/reports/split?by=district",
        "/api/v1/reports/assessments?area=town",
    ] {
        let (status, body) = app.get(bad, c).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["hint"].as_str().is_some(), "{body}");
    }
}

#[tokio::test]
async fn coverage_silent_teams_and_timeline() {
    let day = known_day().await;
    admin::create_account(
        day.app.store.as_ref(),
        "Team silent",
        Role::Observer,
        &["South".to_owned()],
        eom_server::audit::OPERATOR,
    )
    .expect("account");
    let (_, coverage) = day
        .app
        .get("/api/v1/reports/coverage", &day.app.coordinator)
        .await;
    let find = |region: &str, stage: &str| {
        coverage["regions"]
            .as_array()
            .expect("regions")
            .iter()
            .find(|r| r["region"] == region && r["stage"] == stage)
            .map(|r| share(&r["visited"]))
            .unwrap_or_else(|| panic!("{region} {stage} in {coverage}"))
    };
    assert_eq!(find("North", "voting"), (2, 2));
    assert_eq!(find("North", "counting"), (1, 2));
    assert_eq!(find("North", "opening"), (0, 2));
    assert_eq!(
        find("North", "tabulation"),
        (0, 1),
        "the TEC counts for tabulation"
    );
    assert_eq!(find("South", "voting"), (1, 1));
    let silent: Vec<&str> = coverage["silent_observers"]
        .as_array()
        .expect("silent")
        .iter()
        .map(|o| o["name"].as_str().expect("name"))
        .collect();
    assert!(silent.contains(&"Team silent"), "{silent:?}");
    assert!(!silent.contains(&"Team 1"), "Team 1 just sent checklists");

    let c = &day.app.coordinator;
    let (_, counting_only) = day
        .app
        .get("/api/v1/reports/coverage?form=counting", c)
        .await;
    let visited = |report: &Value, region: &str, stage: &str| {
        report["regions"]
            .as_array()
            .expect("regions")
            .iter()
            .find(|r| r["region"] == region && r["stage"] == stage)
            .map(|r| share(&r["visited"]))
            .unwrap_or_else(|| panic!("{region} {stage} in {report}"))
    };
    assert_eq!(visited(&counting_only, "North", "counting"), (1, 2));
    assert_eq!(visited(&counting_only, "North", "voting"), (0, 2));
    let (_, evening) = day
        .app
        .get("/api/v1/reports/coverage?from=2026-03-19T18:00", c)
        .await;
    assert_eq!(
        visited(&evening, "North", "voting"),
        (0, 2),
        "no voting visits after 18:00"
    );
    assert_eq!(visited(&evening, "North", "counting"), (1, 2));
    let (_, south) = day
        .app
        .get("/api/v1/reports/coverage?region=South", c)
        .await;
    assert!(
        south["regions"]
            .as_array()
            .expect("regions")
            .iter()
            .all(|r| r["region"] == "South")
    );

    let total = |timeline: &Value| -> u64 {
        timeline["hours"]
            .as_array()
            .expect("hours")
            .iter()
            .map(|h| h["total"].as_u64().expect("total"))
            .sum()
    };
    let (_, timeline) = day.app.get("/api/v1/reports/timeline", c).await;
    assert_eq!(total(&timeline), 60);
    let (_, counting) = day
        .app
        .get("/api/v1/reports/timeline?form=counting", c)
        .await;
    assert_eq!(total(&counting), 10);
    let (_, south) = day
        .app
        .get("/api/v1/reports/timeline?region=South", c)
        .await;
    assert_eq!(total(&south), 30);
    let (_, long_ago) = day
        .app
        .get("/api/v1/reports/timeline?to=2000-01-01T00:00", c)
        .await;
    assert_eq!(
        total(&long_ago),
        0,
        "the window applies to the hour of receipt"
    );
}

#[tokio::test]
async fn rejected_checklists_leave_the_statistics_and_come_back() {
    let day = known_day().await;
    let c = &day.app.coordinator;
    let negative = &day.north_voting[0];
    let review = |status: &str, comment: &str| {
        Request::post(format!("/api/v1/submissions/{}/review", negative.id))
            .header(header::AUTHORIZATION, format!("Bearer {c}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"status": status, "comment": comment}).to_string(),
            ))
            .expect("request")
    };
    let (status, body, _) = day.app.send(review("rejected", "")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a rejection needs a reason: {body}"
    );

    let (status, history, _) = day
        .app
        .send(review("rejected", "The team was not at this station"))
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history[0]["status"], "rejected");
    assert_eq!(history[0]["reviewer"], "Core team");
    let (_, report) = day.app.get("/api/v1/reports/assessments", c).await;
    assert_eq!(share(&stage(&report, "voting")["negative"]), (7, 49));
    let (_, summary) = day.app.get("/api/v1/reports/summary", c).await;
    assert_eq!(summary["total"], 59);
    let (_, rejected) = day.app.get("/api/v1/submissions?review=rejected", c).await;
    assert_eq!(rejected["total"], 1);

    let (status, history, _) = day.app.send(review("none", "Checked with the team")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        history.as_array().expect("history").len(),
        2,
        "every change is kept"
    );
    let (_, report) = day.app.get("/api/v1/reports/assessments", c).await;
    assert_eq!(share(&stage(&report, "voting")["negative"]), (8, 50));

    // A new revision replaces the old one in every tally.
    let mut fixed = negative.content.clone();
    fixed.answers.insert("overall".into(), json!("good"));
    assert_eq!(
        day.app.push(&[payload(negative.id, 2, fixed)]).await,
        ["accepted"]
    );
    let (_, report) = day.app.get("/api/v1/reports/assessments", c).await;
    assert_eq!(share(&stage(&report, "voting")["negative"]), (7, 50));

    let (status, _, _) = day
        .app
        .send(
            Request::post(format!(
                "/api/v1/submissions/{}/review",
                SubmissionId::new()
            ))
            .header(header::AUTHORIZATION, format!("Bearer {c}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"status": "verified"}"#))
            .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_rejected_checklist_leaves_the_critical_findings_and_comes_back() {
    let day = known_day().await;
    let c = &day.app.coordinator;
    let critical_ids = |findings: &Value| -> Vec<String> {
        findings["critical"]
            .as_array()
            .expect("critical")
            .iter()
            .map(|f| f["submission_id"].as_str().expect("id").to_owned())
            .collect()
    };
    let (_, findings) = day.app.get("/api/v1/reports/findings", c).await;
    assert_eq!(critical_ids(&findings).len(), 2, "{findings}");

    let rejected = day.stuffing[0];
    let review = |status: &str| {
        Request::post(format!("/api/v1/submissions/{rejected}/review"))
            .header(header::AUTHORIZATION, format!("Bearer {c}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"status": status, "comment": "Team was elsewhere"}).to_string(),
            ))
            .expect("request")
    };
    let (status, body, _) = day.app.send(review("rejected")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, findings) = day.app.get("/api/v1/reports/findings", c).await;
    assert_eq!(
        critical_ids(&findings),
        [day.stuffing[1].to_string()],
        "a rejected checklist's critical finding is not listed: {findings}"
    );

    let (status, _, _) = day.app.send(review("none")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, findings) = day.app.get("/api/v1/reports/findings", c).await;
    let mut back = critical_ids(&findings);
    back.sort();
    let mut expected: Vec<String> = day.stuffing.iter().map(ToString::to_string).collect();
    expected.sort();
    assert_eq!(back, expected, "un-rejected, it is listed again");
}

#[tokio::test]
async fn observers_pull_the_feedback_on_their_own_checklists_only() {
    let day = known_day().await;
    let target = &day.north_voting[3];
    let (status, _, _) = day
        .app
        .send(
            Request::post(format!("/api/v1/submissions/{}/review", target.id))
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", day.app.coordinator),
                )
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"status": "flagged", "comment": "Please confirm the stamp count"})
                        .to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, mine) = day.app.get("/api/v1/sync/pull", &day.app.observer).await;
    let feedback = mine["feedback"].as_array().expect("feedback");
    assert_eq!(feedback.len(), 1);
    assert_eq!(feedback[0]["submission_id"], target.id.to_string());
    assert_eq!(feedback[0]["status"], "flagged");
    assert_eq!(feedback[0]["comment"], "Please confirm the stamp count");
    let (_, theirs) = day
        .app
        .get("/api/v1/sync/pull", &day.app.other_observer)
        .await;
    assert!(theirs["feedback"].as_array().expect("feedback").is_empty());
    let cursor = mine["cursor"].as_str().expect("cursor");
    let (_, again) = day
        .app
        .get(
            &format!("/api/v1/sync/pull?since={cursor}"),
            &day.app.observer,
        )
        .await;
    assert!(again["feedback"].as_array().expect("feedback").is_empty());
}

async fn download(app: &TestApp, path: &str) -> (StatusCode, Vec<u8>, Option<String>) {
    use tower::ServiceExt;
    let response = app
        .router
        .clone()
        .oneshot(
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {}", app.coordinator))
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("answer");
    let status = response.status();
    let kind = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, bytes.to_vec(), kind)
}

#[tokio::test]
async fn exports_in_csv_xlsx_and_json_lines() {
    let day = known_day().await;
    let (status, csv, kind) = download(&day.app, "/api/v1/export?format=csv&form=voting").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind.as_deref(), Some("text/csv; charset=utf-8"));
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let headers = reader.headers().expect("header").clone();
    assert_eq!(&headers[0], "id");
    assert!(
        headers
            .iter()
            .any(|h| h == "Did you see ballot box stuffing? [box_stuffing]")
    );
    let column = headers
        .iter()
        .position(|h| h.ends_with("[box_stuffing]"))
        .expect("column");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 50, "one row per voting checklist");
    assert_eq!(rows.iter().filter(|r| &r[column] == "yes").count(), 2);

    let (_, south, _) = download(
        &day.app,
        "/api/v1/export?format=csv&form=voting&region=South",
    )
    .await;
    assert_eq!(
        csv::Reader::from_reader(south.as_slice()).records().count(),
        30
    );

    // For Excel: a byte-order mark, ';' between fields, the same rows; the area column of
    // the station list is there.
    let (status, excel, kind) = download(
        &day.app,
        "/api/v1/export?format=csv-excel&form=voting&region=South",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind.as_deref(), Some("text/csv; charset=utf-8"));
    let body = excel
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .expect("a UTF-8 byte-order mark first");
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(body);
    let headers = reader.headers().expect("header").clone();
    assert_eq!(&headers[0], "id");
    assert!(headers.iter().any(|h| h == "area"), "{headers:?}");
    assert_eq!(reader.records().count(), 30);

    let (status, jsonl, _) = download(&day.app, "/api/v1/export?format=jsonl").await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<Value> = String::from_utf8(jsonl)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 60);
    assert!(lines.iter().all(|l| l["answers"]["overall"].is_string()));

    let (status, xlsx, kind) = download(&day.app, "/api/v1/export?format=xlsx&form=counting").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.expect("type").contains("spreadsheetml"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("a zip file");
    let mut sheet = String::new();
    archive
        .by_name("xl/worksheets/sheet1.xml")
        .expect("worksheet")
        .read_to_string(&mut sheet)
        .expect("read");
    assert_eq!(
        sheet.matches("<row ").count(),
        11,
        "header and ten checklists"
    );
    assert!(sheet.contains("Overall assessment of the counting [overall]"));
    for part in [
        "[Content_Types].xml",
        "xl/workbook.xml",
        "_rels/.rels",
        "xl/styles.xml",
    ] {
        assert!(archive.by_name(part).is_ok(), "{part}");
    }
    // The header: bold, frozen, with a filter over every column and row.
    assert!(sheet.contains(r#"state="frozen""#), "{sheet}");
    assert!(sheet.contains(r#"<c t="inlineStr" s="1"><is><t xml:space="preserve">id</t>"#));
    let columns = sheet.matches(r#" s="1">"#).count();
    assert!(columns > 26, "the filter's range runs past Z: {columns}");
    // Column letters as spreadsheets write them (27 is AA).
    let letters = |n: usize| {
        let (first, second) = ((n - 1) / 26, (n - 1) % 26);
        let letter = |i: usize| char::from(b'A' + u8::try_from(i).expect("letter"));
        if first == 0 {
            letter(second).to_string()
        } else {
            format!("{}{}", letter(first - 1), letter(second))
        }
    };
    assert!(
        sheet.ends_with(&format!(
            "</sheetData><autoFilter ref=\"A1:{}11\"/></worksheet>",
            letters(columns)
        )),
        "a filter over every column and the eleven rows"
    );
    // And a spreadsheet reader opens it.
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(
        download(&day.app, "/api/v1/export?format=xlsx&form=counting")
            .await
            .1,
    ))
    .expect("an XLSX calamine opens");
    let range = calamine::Reader::worksheet_range_at(&mut book, 0)
        .expect("a sheet")
        .expect("readable");
    assert_eq!(range.height(), 11);
    assert_eq!(range.width(), columns);

    // Times are spreadsheet times (the date-time style), not text.
    let first_row = sheet.split("<row r=\"2\">").nth(1).expect("a second row");
    assert!(first_row.contains(r#"<c s="2"><v>"#), "{first_row}");

    // Without a form: a sheet per form, in the language asked for.
    let (status, all, _) = download(&day.app, "/api/v1/export?format=xlsx&lang=ru").await;
    assert_eq!(status, StatusCode::OK);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(all)).expect("an XLSX calamine opens");
    let names = calamine::Reader::sheet_names(&book);
    assert_eq!(names.len(), 5, "a sheet per form: {names:?}");
    let voting = names
        .iter()
        .position(|n| n == "Голосование")
        .unwrap_or_else(|| panic!("the voting sheet by its Russian title: {names:?}"));
    let range = calamine::Reader::worksheet_range_at(&mut book, voting)
        .expect("a sheet")
        .expect("readable");
    assert_eq!(range.height(), 51, "header and fifty voting checklists");
    let header: Vec<String> = range
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(header.iter().any(|h| h == "участок"), "{header:?}");
    let overall = header
        .iter()
        .position(|h| h.ends_with("[overall]"))
        .expect("the overall column");
    let observed = header
        .iter()
        .position(|h| h.starts_with("время наблюдения"))
        .expect("the observation time column");
    let labels: std::collections::BTreeSet<String> = range
        .rows()
        .skip(1)
        .map(|r| r[overall].to_string())
        .collect();
    assert!(
        labels
            .iter()
            .all(|l| ["очень хорошо", "хорошо", "плохо", "очень плохо"].contains(&l.as_str())),
        "assessments by their Russian labels: {labels:?}"
    );
    assert!(
        range.rows().skip(1).all(|r| matches!(
            r[observed],
            calamine::Data::DateTime(_) | calamine::Data::Float(_)
        )),
        "observation times are spreadsheet times"
    );

    let (status, _, _) = download(&day.app, "/api/v1/export?format=csv").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "CSV needs a form");
    let (status, _, _) = download(&day.app, "/api/v1/export?format=pdf&form=voting").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Running totals against a count from scratch: after a random sequence of new checklists,
/// edits, out-of-order revisions, rejections and un-rejections, every figure equals what
/// counting the surviving latest revisions gives.
#[tokio::test]
async fn running_totals_always_equal_a_count_from_scratch() {
    use rand::{Rng, SeedableRng};
    use std::collections::HashMap;

    let app = TestApp::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    // id -> (latest content pushed, revision, rejected)
    let mut model: HashMap<SubmissionId, (SubmissionContent, u32, bool)> = HashMap::new();
    let stations = ["PEC-1", "PEC-2", "PEC-3"];
    let overalls = ["very_good", "good", "bad", "very_bad"];
    for step in 0..400 {
        let roll: f64 = rng.random();
        if model.is_empty() || roll < 0.5 {
            let mut c = voting_at(
                stations[rng.random_range(0..3)],
                overalls[rng.random_range(0..4)],
                rng.random_range(6..20),
            );
            if rng.random_bool(0.2) {
                c.answers
                    .insert("observers_unrestricted".into(), json!(false));
                c.answers
                    .insert("access_restriction".into(), json!(["kept_far"]));
            }
            if rng.random_bool(0.1) {
                c.answers.insert("box_stuffing".into(), json!(true));
            }
            let id = SubmissionId::new();
            assert_eq!(app.push(&[payload(id, 1, c.clone())]).await, ["accepted"]);
            model.insert(id, (c, 1, false));
            continue;
        }
        let ids: Vec<SubmissionId> = model.keys().copied().collect();
        let id = ids[rng.random_range(0..ids.len())];
        let (content, revision, rejected) = model.get(&id).cloned().expect("known");
        if roll < 0.75 {
            // An edit, sometimes skipping a revision number; the skipped one may come late.
            let mut edited = content.clone();
            edited
                .answers
                .insert("overall".into(), json!(overalls[rng.random_range(0..4)]));
            edited.station =
                eom_shared::StationCode::parse(stations[rng.random_range(0..3)]).expect("code");
            let next = revision + if rng.random_bool(0.3) { 2 } else { 1 };
            assert_eq!(
                app.push(&[payload(id, next, edited.clone())]).await,
                ["accepted"]
            );
            if next == revision + 2 {
                let late = payload(id, revision + 1, content.clone());
                assert_eq!(app.push(&[late]).await, ["stale"], "step {step}");
            }
            model.insert(id, (edited, next, rejected));
        } else {
            let status = if rejected { "none" } else { "rejected" };
            let (code, _, _) = app
                .send(
                    Request::post(format!("/api/v1/submissions/{id}/review"))
                        .header(header::AUTHORIZATION, format!("Bearer {}", app.coordinator))
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(
                            json!({"status": status, "comment": "check"}).to_string(),
                        ))
                        .expect("request"),
                )
                .await;
            assert_eq!(code, StatusCode::OK);
            model.insert(id, (content, revision, !rejected));
        }
    }

    let region = |station: &str| if station == "PEC-3" { "South" } else { "North" };
    let counted_expected = model.values().filter(|(_, _, rejected)| !rejected).count() as u64;
    let counted: Vec<&SubmissionContent> = model
        .values()
        .filter(|(_, _, rejected)| !rejected)
        .map(|(c, _, _)| c)
        .collect();
    let negative =
        |c: &SubmissionContent| matches!(c.answers["overall"].as_str(), Some("bad" | "very_bad"));
    let (_, report) = app
        .get("/api/v1/reports/assessments", &app.coordinator)
        .await;
    let expected = (
        counted.iter().filter(|c| negative(c)).count() as u64,
        counted.len() as u64,
    );
    assert_eq!(share(&stage(&report, "voting")["negative"]), expected);
    for name in ["North", "South"] {
        let mine: Vec<&&SubmissionContent> = counted
            .iter()
            .filter(|c| region(c.station.as_str()) == name)
            .collect();
        let row = report["regions"]
            .as_array()
            .expect("regions")
            .iter()
            .find(|r| r["region"] == name)
            .expect("region row");
        assert_eq!(
            share(&row["negative"]),
            (
                mine.iter().filter(|c| negative(c)).count() as u64,
                mine.len() as u64
            ),
            "{name}"
        );
    }
    let (_, access) = app.get("/api/v1/reports/access", &app.coordinator).await;
    let restricted = counted
        .iter()
        .filter(|c| c.answers["observers_unrestricted"] == json!(false))
        .count() as u64;
    assert_eq!(
        share(&access["figures"][0]["restricted"]),
        (restricted, counted.len() as u64)
    );
    let (_, findings) = app.get("/api/v1/reports/findings", &app.coordinator).await;
    let stuffing = findings["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .find(|q| q["question_id"] == "box_stuffing")
        .expect("row");
    let stuffed = counted
        .iter()
        .filter(|c| c.answers["box_stuffing"] == json!(true))
        .count() as u64;
    assert_eq!(share(&stuffing["concern"]), (stuffed, counted.len() as u64));
    let (_, coverage) = app.get("/api/v1/reports/coverage", &app.coordinator).await;
    let visited_north = ["PEC-1", "PEC-2"]
        .iter()
        .filter(|s| counted.iter().any(|c| c.station.as_str() == **s))
        .count() as u64;
    let north_voting = coverage["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .find(|r| r["region"] == "North" && r["stage"] == "voting")
        .expect("row");
    assert_eq!(share(&north_voting["visited"]).0, visited_north);

    // An operator's rebuild recomputes the same figures from the stored revisions, even after
    // the totals were damaged.
    let reports = [
        "/api/v1/reports/assessments",
        "/api/v1/reports/access",
        "/api/v1/reports/findings",
        "/api/v1/reports/coverage",
        "/api/v1/reports/timeline",
        "/api/v1/reports/summary",
    ];
    let mut before = Vec::new();
    for path in reports {
        before.push(app.get(path, &app.coordinator).await.1);
    }
    let damage = rusqlite::Connection::open(app.store.path()).expect("open");
    damage
        .execute_batch(
            "UPDATE tally_assessments SET negative = negative + 5;
             DELETE FROM tally_findings; DELETE FROM critical_findings;
             DELETE FROM tally_arrivals; DELETE FROM station_visits;",
        )
        .expect("damage the totals");
    let (_, damaged) = app
        .get("/api/v1/reports/assessments", &app.coordinator)
        .await;
    assert_ne!(damaged, before[0]);
    let counted = app
        .store
        .rebuild_tallies(&eom_server::rules::contribution)
        .expect("rebuild");
    assert_eq!(counted, counted_expected);
    for (path, expected) in reports.iter().zip(before) {
        let mut after = app.get(path, &app.coordinator).await.1;
        let mut expected = expected;
        // Silent teams depend on the clock, not the totals.
        for v in [&mut after, &mut expected] {
            if let Some(o) = v.as_object_mut() {
                o.remove("silent_observers");
            }
        }
        assert_eq!(after, expected, "{path} after the rebuild");
    }
}

#[tokio::test]
async fn not_observed_answers_leave_the_denominator() {
    let app = TestApp::new();
    let items: Vec<_> = ["no", "no", "no", "no", "yes", "yes"]
        .into_iter()
        .chain(["not_observed"; 4])
        .map(|answer| {
            let mut c = voting_at("PEC-1", "good", 9);
            c.answers
                .insert("mobile_box_procedure".into(), Value::from(answer));
            payload(SubmissionId::new(), 1, c)
        })
        .collect();
    assert_eq!(app.push(&items).await.len(), 10);
    let (_, findings) = app.get("/api/v1/reports/findings", &app.coordinator).await;
    let mobile = findings["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .find(|q| q["question_id"] == "mobile_box_procedure")
        .cloned()
        .expect("mobile box question");
    assert_eq!(
        share(&mobile["concern"]),
        (4, 6),
        "four not observed are in neither count: {mobile}"
    );
}

/// A counting checklist with the protocol copied; `received` is the protocol's ballots
/// received (1,100 adds up).
fn counting_with_protocol(station: &str, received: i64) -> SubmissionContent {
    let mut c = counting_at(station, "good", 20);
    let figures = json!({
        "protocol_copied": true, "voters_main_list": 1000, "voters_additional_list": 20,
        "ballots_received": received, "ballots_issued_station": 600, "ballots_issued_mobile": 20,
        "ballots_issued_early": 0, "ballots_cancelled": 480, "ballots_in_stationary_boxes": 600,
        "ballots_in_mobile_boxes": 20, "invalid_ballots": 10, "valid_ballots": 610,
        "votes_1": 400, "votes_2": 210
    });
    for (k, v) in figures.as_object().expect("object") {
        c.answers.insert(k.clone(), v.clone());
    }
    c
}

#[tokio::test]
async fn protocol_checks_are_counted_over_the_copied_protocols() {
    let app = TestApp::new();
    let mut items: Vec<_> = (0..10)
        .map(|i| {
            let received = if i < 3 { 1150 } else { 1100 };
            payload(
                SubmissionId::new(),
                1,
                counting_with_protocol("PEC-1", received),
            )
        })
        .collect();
    // Two counts where the protocol was not copied: in no denominator.
    items.extend((0..2).map(|_| payload(SubmissionId::new(), 1, counting_at("PEC-2", "good", 20))));
    let results = app.push(&items).await;
    assert!(results.iter().all(|r| r == "accepted"), "{results:?}");

    let (status, report) = app.get("/api/v1/reports/protocols", &app.coordinator).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let check = |id: &str| {
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["check_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id} in {report}"))
    };
    assert_eq!(share(&check("received_accounted_for")["failed"]), (3, 10));
    assert_eq!(
        share(&check("found_equals_valid_plus_invalid")["failed"]),
        (0, 10)
    );
    assert_eq!(share(&check("valid_equals_votes")["failed"]), (0, 10));
    // Where: the three checklists, with their stations.
    let (status, failed) = app
        .get(
            "/api/v1/submissions?failed_check=received_accounted_for",
            &app.coordinator,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{failed}");
    assert_eq!(failed["total"], 3, "{failed}");
    let mut ids: Vec<&str> = failed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id"))
        .collect();
    ids.sort_unstable();
    let mut expected: Vec<String> = items[..3].iter().map(|i| i.id.to_string()).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
    let (status, _) = app
        .get(
            "/api/v1/submissions?failed_check=valid_equals_votes",
            &app.coordinator,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .get("/api/v1/submissions?failed_check=a%20b", &app.coordinator)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (_, statement) = app.get("/api/v1/reports/statement", &app.coordinator).await;
    let lines: Vec<&str> = statement["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        lines.contains(
            &"Ballots received do not equal ballots issued plus cancelled in 3 of 10 counts observed where observers copied the figures."
        ),
        "{lines:?}"
    );
    // A rejected checklist leaves the count.
    let rejected = items[0].id;
    let (status, _, _) = app
        .send(
            Request::post(format!("/api/v1/submissions/{rejected}/review"))
                .header(header::AUTHORIZATION, format!("Bearer {}", app.coordinator))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"status": "rejected", "comment": "duplicate"}).to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, report) = app.get("/api/v1/reports/protocols", &app.coordinator).await;
    let failed = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check_id"] == "received_accounted_for")
        .map(|c| share(&c["failed"]));
    assert_eq!(failed, Some((2, 9)));
}

#[tokio::test]
async fn kinds_of_restriction_are_tallied_and_quoted() {
    let app = TestApp::new();
    let restricted = |kinds: Value| {
        let mut c = voting_at("PEC-1", "bad", 10);
        c.answers
            .insert("observers_unrestricted".into(), Value::Bool(false));
        c.answers.insert("access_restriction".into(), kinds);
        payload(SubmissionId::new(), 1, c)
    };
    let items = vec![
        restricted(json!(["kept_far"])),
        restricted(json!(["kept_far", "asked_to_leave"])),
        restricted(json!(["denied_entry"])),
        payload(SubmissionId::new(), 1, voting_at("PEC-2", "good", 10)),
    ];
    assert_eq!(app.push(&items).await, ["accepted"; 4]);
    let (_, access) = app.get("/api/v1/reports/access", &app.coordinator).await;
    let kind = |id: &str| {
        access["kinds"]
            .as_array()
            .expect("kinds")
            .iter()
            .find(|k| k["kind"] == id)
            .map(|k| share(&k["seen"]))
    };
    assert_eq!(kind("kept_far"), Some((2, 3)), "{access}");
    assert_eq!(kind("asked_to_leave"), Some((1, 3)));
    assert_eq!(kind("no_documents"), Some((0, 3)));
    let (_, statement) = app.get("/api/v1/reports/statement", &app.coordinator).await;
    assert!(
        statement["lines"].as_array().expect("lines").contains(&json!(
            "In the 3 restricted observations that said how: kept too far away to see (2), asked to leave (1), denied entry (1)."
        )),
        "{statement}"
    );
}

/// The counting protocol's main list against the voters the station list registers: failed
/// where the protocol lists more, held where fewer, not counted where the station list gives
/// no figure; a corrected station list recounts it.
#[tokio::test]
async fn the_protocols_voters_are_checked_against_the_station_list() {
    use rand::SeedableRng;
    let app = TestApp::new();
    let station = |code: &str, voters: Option<u32>| eom_shared::Station {
        code: eom_shared::StationCode::parse(code).expect("code"),
        name: format!("School {code}"),
        region: "North".into(),
        district: String::new(),
        level: eom_shared::StationLevel::Pec,
        registered_voters: voters,
        area: None,
        kind: eom_shared::StationKind::Regular,
        coordinates: None,
    };
    let list = vec![
        station("R-1", Some(1000)),
        station("R-2", Some(1000)),
        station("R-3", None),
    ];
    app.store.import_stations(&list).expect("stations");
    let form = app
        .store
        .form(&FormId::parse("counting").expect("id"), 2)
        .expect("read")
        .expect("version 2 of the counting form is installed");
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let observed = Utc
        .with_ymd_and_hms(2026, 3, 19, 20, 30, 0)
        .single()
        .expect("time");
    let checklists: Vec<SubmissionPayload> = [("R-1", 1200), ("R-2", 950), ("R-3", 5000)]
        .iter()
        .zip(&list)
        .map(|((code, on_list), s)| {
            let mut answers = eom_server::demo::answers(&form, s, 0.0, observed, &mut rng);
            answers.insert("protocol_copied".into(), json!(true));
            for (id, n) in [
                ("voters_main_list", *on_list),
                ("voters_additional_list", 0),
                ("ballots_received", 1000),
                ("ballots_issued_station", 600),
                ("ballots_issued_mobile", 0),
                ("ballots_issued_early", 0),
                ("ballots_cancelled", 400),
                ("ballots_in_stationary_boxes", 600),
                ("ballots_in_mobile_boxes", 0),
                ("invalid_ballots", 10),
                ("valid_ballots", 590),
                ("votes_1", 590),
            ] {
                answers.insert(id.into(), json!(n));
            }
            let content = SubmissionContent {
                form_id: form.id.clone(),
                form_version: 2,
                station: eom_shared::StationCode::parse(code).expect("code"),
                observed_at: observed,
                answers,
                notes: String::new(),
            };
            payload(SubmissionId::new(), 1, content)
        })
        .collect();
    assert_eq!(app.push(&checklists).await, ["accepted"; 3]);
    let c = &app.coordinator;
    let failed = |report: &Value| {
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|k| k["check_id"] == "main_list_within_register")
            .map(|k| share(&k["failed"]))
            .unwrap_or_else(|| panic!("no main_list_within_register in {report}"))
    };
    let (_, report) = app.get("/api/v1/reports/protocols", c).await;
    assert_eq!(
        failed(&report),
        (1, 2),
        "R-3 has no registered voters to check"
    );

    // The station list is corrected: R-2 registers 900 voters, so its 950 are too many.
    let mut corrected = list.clone();
    corrected[1].registered_voters = Some(900);
    let summary = app.store.import_stations(&corrected).expect("import");
    assert_eq!(summary.moved, 1);
    admin::recount_if_pending(app.store.as_ref()).expect("recount");
    let (_, report) = app.get("/api/v1/reports/protocols", c).await;
    assert_eq!(failed(&report), (2, 2));
}
