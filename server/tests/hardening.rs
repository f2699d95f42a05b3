//! What the server does to protect itself and its users, in process over a real SQLite file:
//! browser security headers, JSON bodies on every error, a declared oversize body refused at
//! once, the `Bearer` scheme in any case, observation times in a window, per-token budgets,
//! spreadsheet-safe CSV, and critical findings ordered by arrival, not by a laptop's clock.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use common::{TestApp, payload, voting};
use eom_server::limits::{Budgets, Limiters};
use eom_shared::SubmissionId;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn raw(
    app: &TestApp,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = app.router.clone().oneshot(request).await.expect("answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, headers, body.to_vec())
}

#[tokio::test]
async fn every_answer_carries_the_browser_security_headers() {
    let app = TestApp::new();
    for path in ["/login", "/api/v1/health", "/api/v1/nowhere"] {
        let (_, headers, _) = raw(&app, Request::get(path).body(Body::empty()).expect("req")).await;
        let h = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(
            h("content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(
            h("content-security-policy").contains("default-src 'none'"),
            "{path}"
        );
        assert_eq!(h("x-frame-options"), "DENY", "{path}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(h("referrer-policy"), "same-origin", "{path}");
        assert_eq!(h("cache-control"), "no-store", "{path}");
    }
}

#[tokio::test]
async fn errors_made_below_the_handlers_have_json_bodies() {
    let app = TestApp::new();
    let (status, headers, body) = raw(
        &app,
        Request::delete("/api/v1/sync/push")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        headers.contains_key(header::ALLOW),
        "the Allow header is kept"
    );
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body["error"], "method_not_allowed");

    // A declared body over the limit is refused from its header, without reading it.
    let (status, _, body) = raw(
        &app,
        Request::post("/api/v1/sync/push")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.observer))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, "999999999")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body["error"], "payload_too_large");
}

#[tokio::test]
async fn the_bearer_scheme_is_read_in_any_case() {
    let app = TestApp::new();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let (status, _, _) = raw(
            &app,
            Request::get("/api/v1/sync/pull")
                .header(header::AUTHORIZATION, format!("{scheme} {}", app.observer))
                .body(Body::empty())
                .expect("req"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{scheme}");
    }
}

#[tokio::test]
async fn observation_times_outside_the_window_are_invalid_with_a_reason() {
    let app = TestApp::as_served();
    let at = |offset: Duration| {
        let mut c = voting("PEC-1", "good");
        c.observed_at = Utc::now() + offset;
        payload(SubmissionId::new(), 1, c)
    };
    let items = [
        at(Duration::zero()),
        at(Duration::days(-13)),
        at(Duration::days(-15)),
        at(Duration::hours(2)),
    ];
    let (status, body) = app
        .push_raw(&app.observer, json!({ "submissions": items }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        common::outcomes(&body),
        ["accepted", "accepted", "invalid", "invalid"]
    );
    for result in &body["results"].as_array().expect("results")[2..] {
        assert_eq!(result["issues"][0]["question"], "observed_at", "{result}");
        assert_eq!(result["issues"][0]["kind"], "out_of_range", "{result}");
    }
}

#[tokio::test]
async fn a_token_over_its_budget_gets_429_with_retry_after_and_others_do_not() {
    let app = TestApp::configured(|s| {
        s.limits = Arc::new(Limiters::new(Budgets {
            requests_per_second: 1,
            request_burst: 3,
            ..Budgets::default()
        }));
    });
    for _ in 0..3 {
        assert_eq!(
            app.get("/api/v1/sync/pull", &app.observer).await.0,
            StatusCode::OK
        );
    }
    let (status, headers, body) = raw(
        &app,
        Request::get("/api/v1/sync/pull")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.observer))
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u32 = headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=2).contains(&retry), "{retry}");
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body["retryable"], true);
    assert_eq!(
        app.get("/api/v1/sync/pull", &app.other_observer).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn csv_cells_that_would_run_as_formulas_are_neutralised() {
    let app = TestApp::new();
    let mut c = voting("PEC-1", "good");
    c.notes = "=HYPERLINK(\"http://evil.example\",\"open\")".to_owned();
    c.answers
        .insert("remarks".into(), json!("+cmd|' /C calc'!A0"));
    assert_eq!(
        app.push(&[payload(SubmissionId::new(), 1, c)]).await,
        ["accepted"]
    );
    let (status, _, csv) = raw(
        &app,
        Request::get("/api/v1/export?format=csv&form=voting")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.coordinator))
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let row = reader.records().next().expect("a row").expect("csv");
    assert!(
        row.iter()
            .any(|cell| cell == "'=HYPERLINK(\"http://evil.example\",\"open\")")
    );
    assert!(row.iter().any(|cell| cell == "'+cmd|' /C calc'!A0"));
    assert!(
        !row.iter()
            .any(|cell| cell.starts_with('=') || cell.starts_with('+'))
    );
}

#[tokio::test]
async fn critical_findings_are_listed_by_arrival_not_by_a_laptops_clock() {
    let app = TestApp::new();
    let stuffed = |station: &str, observed: chrono::DateTime<Utc>| {
        let mut c = voting(station, "bad");
        c.answers.insert("box_stuffing".into(), json!(true));
        c.observed_at = observed;
        payload(SubmissionId::new(), 1, c)
    };
    // A laptop whose clock says 2099 files first; a real finding arrives after it.
    let wrong_clock = stuffed("PEC-1", Utc::now() + Duration::days(365 * 70));
    let real = stuffed("PEC-2", Utc::now());
    assert_eq!(
        app.push(std::slice::from_ref(&wrong_clock)).await,
        ["accepted"]
    );
    assert_eq!(app.push(std::slice::from_ref(&real)).await, ["accepted"]);
    let (_, findings) = app.get("/api/v1/reports/findings", &app.coordinator).await;
    let ids: Vec<&str> = findings["critical"]
        .as_array()
        .expect("critical")
        .iter()
        .filter_map(|f| f["submission_id"].as_str())
        .collect();
    let real_id = real.id.to_string();
    let wrong_id = wrong_clock.id.to_string();
    assert_eq!(ids.first(), Some(&real_id.as_str()), "{findings}");
    assert!(ids.contains(&wrong_id.as_str()));
}

#[tokio::test]
async fn sessions_made_over_https_have_secure_cookies() {
    let app = TestApp::configured(|s| s.https = true);
    let (status, headers, _) = raw(
        &app,
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("token={}", app.coordinator)))
            .expect("req"),
    )
    .await;
    assert!(status.is_redirection());
    let cookie = headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
}
