//! The OpenAPI document at `GET /api/v1/openapi.json` describes exactly the routes the server
//! serves: every route of the API is in it with its method, and every path in it answers.

mod common;

use axum::http::StatusCode;
use common::{TestApp, payload, voting};
use eom_shared::SubmissionId;
use serde_json::Value;

const ROUTES: [(&str, &str); 33] = [
    ("get", "/api/v1/health"),
    ("get", "/api/v1/receipts/key"),
    ("post", "/api/v1/enrol"),
    ("get", "/api/v1/accounts"),
    ("post", "/api/v1/accounts"),
    ("post", "/api/v1/accounts/{id}/revoke"),
    ("post", "/api/v1/sync/push"),
    ("get", "/api/v1/sync/pull"),
    ("get", "/api/v1/sync/mine"),
    ("get", "/api/v1/submissions"),
    ("get", "/api/v1/submissions/{id}"),
    ("post", "/api/v1/submissions/{id}/review"),
    ("put", "/api/v1/submissions/{id}/attachments/{sha256}"),
    ("get", "/api/v1/submissions/{id}/attachments/{sha256}"),
    ("get", "/api/v1/reports/discrepancies"),
    ("get", "/api/v1/reports/summary"),
    ("get", "/api/v1/reports/assessments"),
    ("get", "/api/v1/reports/access"),
    ("get", "/api/v1/reports/findings"),
    ("get", "/api/v1/reports/coverage"),
    ("get", "/api/v1/reports/timeline"),
    ("get", "/api/v1/reports/statement"),
    ("get", "/api/v1/reports/protocols"),
    ("get", "/api/v1/reports/split"),
    ("get", "/api/v1/messages"),
    ("post", "/api/v1/messages"),
    ("post", "/api/v1/messages/read"),
    ("get", "/api/v1/teams"),
    ("get", "/api/v1/teams/{id}/calls"),
    ("post", "/api/v1/teams/{id}/calls"),
    ("post", "/api/v1/teams/{id}/code"),
    ("get", "/api/v1/export"),
    ("get", "/metrics"),
];

#[tokio::test]
async fn the_document_lists_every_route_and_every_listed_route_answers() {
    let app = TestApp::new();
    let (status, doc) = app.get("/api/v1/openapi.json", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{doc}"
    );
    assert_eq!(doc["info"]["version"], eom_shared::VERSION);
    let paths = doc["paths"].as_object().expect("paths");

    let mut listed: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|ops| ops.keys())
                .filter(|m| matches!(m.as_str(), "get" | "post" | "put" | "delete" | "patch"))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    listed.sort();
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(listed, expected, "the document and the routes differ");

    // Each operation documents its errors with the JSON error body, and the protected ones
    // name the bearer scheme.
    for (method, path) in &expected {
        let op = &paths[path.as_str()][method.as_str()];
        assert!(op["responses"]["200"].is_object(), "{method} {path}");
        assert!(op["responses"]["400"].is_object(), "{method} {path}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["PushRequest"].is_object());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());

    // Every documented path is served: as the administrator, none answers "no such endpoint".
    let id = SubmissionId::new();
    assert_eq!(
        app.push(&[payload(id, 1, voting("PEC-1", "good"))])
            .await
            .len(),
        1
    );
    for (method, path) in &expected {
        let concrete = path.replace("{id}", &id.to_string());
        let request = axum::http::Request::builder()
            .method(method.to_uppercase().as_str())
            .uri(&concrete)
            .header("authorization", format!("Bearer {}", app.admin))
            .header("content-type", "application/json")
            .body(axum::body::Body::from("{}"))
            .expect("request");
        let (status, body, _) = app.send_raw(request).await;
        let not_a_route = status == StatusCode::NOT_FOUND
            && body.get("message").and_then(Value::as_str)
                == Some("no such endpoint; see README.md for the API");
        assert!(
            !not_a_route && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {concrete}: {status}"
        );
    }
}
