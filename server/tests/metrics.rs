//! `GET /metrics`: the Prometheus text an operator scrapes. Alone in its test binary, since
//! the metrics recorder is one per process.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TestApp, payload, voting};
use eom_shared::SubmissionId;
use tower::ServiceExt;

async fn scrape(app: &TestApp, token: Option<&str>) -> (StatusCode, String, String) {
    let mut request = Request::get("/metrics");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// The value of the series whose line starts with `series` (name and labels).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn operators_scrape_requests_outcomes_commits_and_checklists() {
    let app = TestApp::new();
    let first = payload(SubmissionId::new(), 1, voting("PEC-1", "good"));
    let second = payload(SubmissionId::new(), 1, voting("PEC-2", "bad"));
    assert_eq!(
        app.push(&[first.clone(), second]).await,
        ["accepted", "accepted"]
    );
    assert_eq!(app.push(&[first]).await, ["duplicate"]);

    let (status, content_type, text) = scrape(&app, Some(&app.coordinator)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    assert_eq!(
        value(&text, r#"eom_push_items_total{outcome="accepted"}"#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"eom_push_items_total{outcome="duplicate"}"#),
        Some(1.0)
    );
    assert_eq!(value(&text, r#"eom_checklists{stage="voting"}"#), Some(2.0));
    assert_eq!(value(&text, "eom_commit_duration_seconds_count"), Some(2.0));
    assert_eq!(value(&text, "eom_commit_items_sum"), Some(3.0));
    assert_eq!(value(&text, "eom_write_queue_depth"), Some(0.0));
    assert_eq!(
        value(
            &text,
            r#"eom_http_requests_total{method="POST",route="/api/v1/sync/push",status="200"}"#
        ),
        Some(2.0),
        "routes are counted by their template: {text}"
    );

    // The figures are the mission's: not for observers, not for anyone without a token.
    let (status, _, _) = scrape(&app, Some(&app.observer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = scrape(&app, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
