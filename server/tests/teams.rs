//! Following teams up through the API: the team list with minutes silent, the call log
//! (who called, when, what came of it), bad input answered with what to do.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{TestApp, payload, voting};
use eom_shared::SubmissionId;
use serde_json::{Value, json};

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let (status, body, _) = app.send(request).await;
    (status, body)
}

fn team<'a>(teams: &'a Value, name: &str) -> &'a Value {
    teams
        .as_array()
        .expect("teams")
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no team {name} in {teams}"))
}

#[tokio::test]
async fn calls_to_a_silent_team_are_logged_and_the_list_says_how_long_it_is_silent() {
    let app = TestApp::new();
    let (status, teams) = app.get("/api/v1/teams", &app.coordinator).await;
    assert_eq!(status, StatusCode::OK, "{teams}");
    let team1 = team(&teams, "Team 1");
    assert_eq!(team1["silent_minutes"], Value::Null, "nothing received yet");
    assert_eq!(team1["checklists"], 0);
    let id = team1["id"].as_str().expect("id").to_owned();

    let calls = format!("/api/v1/teams/{id}/calls");
    let (status, log) = post(
        &app,
        &calls,
        &app.coordinator,
        json!({"outcome": "no_answer"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let (status, log) = post(
        &app,
        &calls,
        &app.coordinator,
        json!({"outcome": "problem", "note": "Kept outside PEC-1 since 14:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    assert_eq!(log.as_array().map(Vec::len), Some(2));
    assert_eq!(log[0]["outcome"], "problem", "latest first");
    assert_eq!(log[0]["note"], "Kept outside PEC-1 since 14:00");
    assert_eq!(log[1]["outcome"], "no_answer");

    let (status, wrong) = post(&app, &calls, &app.coordinator, json!({"outcome": "maybe"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        wrong["hint"]
            .as_str()
            .is_some_and(|h| h.contains("no_answer")),
        "{wrong}"
    );
    let (status, _) = post(
        &app,
        &calls,
        &app.coordinator,
        json!({"outcome": "reached", "note": "x".repeat(1001)}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A South coordinator cannot see or call a North team.
    let (status, _) = post(
        &app,
        &calls,
        &app.south_coordinator,
        json!({"outcome": "reached"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, south_view) = app.get("/api/v1/teams", &app.south_coordinator).await;
    assert!(
        south_view
            .as_array()
            .expect("teams")
            .iter()
            .all(|t| t["region"] != "North"),
        "{south_view}"
    );

    // A checklist arrives: the team is no longer silent.
    let pushed = app
        .push(&[payload(SubmissionId::new(), 1, voting("PEC-1", "good"))])
        .await;
    assert_eq!(pushed, ["accepted"]);
    let (_, teams) = app.get("/api/v1/teams", &app.coordinator).await;
    let team1 = team(&teams, "Team 1");
    assert_eq!(team1["silent_minutes"], 0);
    assert_eq!(team1["checklists"], 1);
    assert_eq!(team1["last_call"]["outcome"], "problem");
    assert_eq!(team1["last_call"]["caller"], "Core team");
}
