//! The bad-input suite: hostile and broken requests, kept as data in
//! `tests/data/bad_inputs.json`, sent to the whole application over a real SQLite file. Each
//! must get its expected 4xx with a JSON error body (or, for a broken checklist inside a
//! push, `invalid`), none a 5xx or a panic; nothing stored may change; and the server must
//! still answer `/api/v1/health` afterwards.

mod common;

use std::io::Write;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use common::{TestApp, payload, voting};
use eom_server::limits::Limiters;
use eom_shared::SubmissionId;
use eom_shared::limits::ObservationWindow;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use tower::ServiceExt;

const CASES: &str = include_str!("data/bad_inputs.json");

/// `prefix + unit * count + suffix`.
fn repeated(spec: &Value) -> String {
    let text = |k: &str| spec[k].as_str().unwrap_or("").to_owned();
    let count = usize::try_from(spec["count"].as_u64().expect("count")).expect("count fits");
    format!(
        "{}{}{}",
        text("prefix"),
        text("unit").repeat(count),
        text("suffix")
    )
}

/// A valid voting checklist observed now, with the case's overrides applied.
fn item(overrides: &Value) -> Value {
    let mut content = voting("PEC-2", "good");
    content.observed_at = Utc::now();
    let mut value = serde_json::to_value(payload(SubmissionId::new(), 1, content)).expect("json");
    for (key, v) in overrides.as_object().expect("overrides") {
        let v =
            match v.get("$repeat") {
                Some(unit) => json!(unit.as_str().expect("unit").repeat(
                    usize::try_from(v["count"].as_u64().expect("count")).expect("count fits")
                )),
                None => v.clone(),
            };
        match key.strip_prefix("answers.") {
            Some(answer) => value["answers"][answer] = v,
            None => value[key] = v,
        }
    }
    json!({ "submissions": [value] })
}

fn body_of(case: &Value) -> Vec<u8> {
    let raw = if let Some(text) = case["body"].as_str() {
        text.as_bytes().to_vec()
    } else if let Some(hex) = case["body_hex"].as_str() {
        hex::decode(hex).expect("hex")
    } else if case.get("body_repeat").is_some() {
        repeated(&case["body_repeat"]).into_bytes()
    } else if let Some(overrides) = case.get("item") {
        item(overrides).to_string().into_bytes()
    } else {
        Vec::new()
    };
    if case["gzip"].as_bool() == Some(true) {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&raw).expect("gzip");
        gz.finish().expect("gzip")
    } else {
        raw
    }
}

/// What a coordinator and the database can see: must be the same before and after.
async fn snapshot(app: &TestApp) -> Value {
    let (_, list) = app.get("/api/v1/submissions", &app.coordinator).await;
    let (_, summary) = app.get("/api/v1/reports/summary", &app.coordinator).await;
    let accounts: Vec<String> = eom_server::store::Store::list_accounts(app.store.as_ref())
        .expect("accounts")
        .into_iter()
        .map(|a| format!("{} {} {:?}", a.id, a.name, a.role))
        .collect();
    json!({ "list": list, "summary": summary, "accounts": accounts })
}

#[tokio::test]
async fn every_bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let cases: Value = serde_json::from_str(CASES).expect("the suite is JSON");
    let cases = cases["cases"].as_array().expect("cases");
    assert!(cases.len() >= 60, "the suite has shrunk");

    // As served, but without the per-token budget: the suite sends faster than a laptop.
    let app = TestApp::configured(|s| s.limits = Arc::new(Limiters::unlimited()));
    let known = SubmissionId::new();
    let mut content = voting("PEC-1", "bad");
    content.observed_at = Utc::now();
    assert_eq!(app.push(&[payload(known, 1, content)]).await, ["accepted"]);
    let before = snapshot(&app).await;

    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let path = match case.get("path_repeat") {
            Some(spec) => repeated(spec),
            None => case["path"]
                .as_str()
                .expect("path")
                .replace("{known}", &known.to_string()),
        };
        let mut request = Request::builder()
            .method(case["method"].as_str().expect("method"))
            .uri(&path);
        request = match case["auth"].as_str().expect("auth") {
            "observer" => request.header(header::AUTHORIZATION, format!("Bearer {}", app.observer)),
            "coordinator" => {
                request.header(header::AUTHORIZATION, format!("Bearer {}", app.coordinator))
            }
            "garbage" => request.header(header::AUTHORIZATION, "Bearer eom_0123456789abcdef"),
            "basic" => request.header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz"),
            _ => request,
        };
        let body = body_of(case);
        if !body.is_empty() || case["method"] == "POST" {
            let content_type = case["content_type"].as_str().unwrap_or("application/json");
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        if case["gzip"].as_bool() == Some(true) {
            request = request.header(header::CONTENT_ENCODING, "gzip");
        }
        if let Some(headers) = case["headers"].as_object() {
            for (k, v) in headers {
                request = request.header(k.as_str(), v.as_str().expect("header value"));
            }
        }
        let request = request.body(Body::from(body)).expect("request");
        let response = app.router.clone().oneshot(request).await.expect("answers");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let answer: Option<Value> = serde_json::from_slice(&bytes).ok();
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();

        let ok = match &case["expect"] {
            Value::String(s) if s == "invalid" => {
                status == StatusCode::OK
                    && answer.as_ref().is_some_and(|a| {
                        a["results"].as_array().is_some_and(|r| {
                            !r.is_empty()
                                && r.iter().all(|x| {
                                    x["outcome"] == "invalid"
                                        && x["issues"].as_array().is_some_and(|i| !i.is_empty())
                                })
                        })
                    })
            }
            expected => {
                let expected = expected.as_u64().expect("a status or 'invalid'");
                u64::from(status.as_u16()) == expected
                    && answer.as_ref().is_some_and(|a| {
                        a["error"].as_str().is_some_and(|e| !e.is_empty())
                            && a["message"].as_str().is_some_and(|m| !m.is_empty())
                    })
            }
        };
        if !ok || status.is_server_error() {
            failures.push(format!(
                "{name}: expected {}, got {status}: {text}",
                case["expect"]
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));

    assert_eq!(
        snapshot(&app).await,
        before,
        "a bad input changed stored data"
    );
    let (status, health) = app.get("/api/v1/health", "").await;
    assert_eq!(status, StatusCode::OK, "{health}");
}

#[tokio::test]
async fn a_valid_item_built_like_the_suites_is_accepted() {
    // The suite's 'invalid' cases prove something only if the unaltered item is valid.
    let app = TestApp::as_served();
    let (status, body) = app.push_raw(&app.observer, item(&json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(common::outcomes(&body), ["accepted"], "{body}");
    // And the window is the default one, not the test fixtures' unbounded one.
    assert_ne!(ObservationWindow::default(), ObservationWindow::unbounded());
}
