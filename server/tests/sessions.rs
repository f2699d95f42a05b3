//! Dashboard sessions, in process over a real SQLite file: the cookie's flags, sign-out that
//! ends the session on the server (an old cookie replayed is refused), revocation of the
//! token ending its sessions, and expiry.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use common::TestApp;
use eom_server::admin;
use eom_server::auth::{generate_token, hash_token};
use eom_server::store::{Role, Store};
use tower::ServiceExt;

/// Sends a request and returns the status, the `Location` and the `Set-Cookie` headers.
async fn send(app: &TestApp, request: Request<Body>) -> (StatusCode, String, String) {
    let response = app
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let header_text = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    (
        response.status(),
        header_text(header::LOCATION),
        header_text(header::SET_COOKIE),
    )
}

async fn sign_in(app: &TestApp, token: &str) -> (StatusCode, String, String) {
    send(
        app,
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("token={token}")))
            .expect("request"),
    )
    .await
}

/// The session cookie's `name=value` from a `Set-Cookie` header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .expect("a cookie")
        .trim()
        .to_owned()
}

async fn overview(app: &TestApp, cookie: &str) -> (StatusCode, String) {
    let (status, location, _) = send(
        app,
        Request::get("/")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    (status, location)
}

fn logout(cookie: &str, csrf: &str) -> Request<Body> {
    Request::post("/logout")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={csrf}")))
        .expect("request")
}

/// The form token a signed-in page carries in its hidden `csrf` field.
async fn page_token(app: &TestApp, cookie: &str, path: &str) -> String {
    let response = app
        .router
        .clone()
        .oneshot(
            Request::get(path)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("router answers");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let html = String::from_utf8_lossy(&bytes);
    let at = html
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no form token on {path}: {html}"));
    html[at + 19..]
        .split('"')
        .next()
        .expect("a value")
        .to_owned()
}

fn is_sign_in_redirect((status, location): &(StatusCode, String)) -> bool {
    status.is_redirection() && location.starts_with("/login")
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_strict_and_never_the_token() {
    let app = TestApp::new();
    let (status, location, set_cookie) = sign_in(&app, &app.coordinator).await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(location, "/");
    let attributes: Vec<String> = set_cookie
        .split(';')
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for wanted in ["httponly", "samesite=strict", "path=/", "max-age=43200"] {
        assert!(
            attributes.iter().any(|a| a == wanted),
            "{wanted} missing from {set_cookie}"
        );
    }
    assert!(
        !set_cookie.contains(&app.coordinator),
        "the token never goes into the cookie"
    );
    let (status, _) = overview(&app, &cookie_pair(&set_cookie)).await;
    assert_eq!(status, StatusCode::OK);

    // Observers and unknown tokens get no session.
    for token in [app.observer.as_str(), "eom_wrong"] {
        let (status, location, set_cookie) = sign_in(&app, token).await;
        assert!(status.is_redirection());
        assert!(location.contains("failed"), "{location}");
        assert!(set_cookie.is_empty(), "{set_cookie}");
    }
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let app = TestApp::new();
    let (_, _, set_cookie) = sign_in(&app, &app.coordinator).await;
    let cookie = cookie_pair(&set_cookie);
    assert_eq!(overview(&app, &cookie).await.0, StatusCode::OK);

    // Without the page's token the post is refused and the session lives on.
    let (status, _, _) = send(&app, logout(&cookie, "")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(overview(&app, &cookie).await.0, StatusCode::OK);

    let token = page_token(&app, &cookie, "/").await;
    let (status, location, cleared) = send(&app, logout(&cookie, &token)).await;
    assert!(status.is_redirection());
    assert_eq!(location, "/login");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // A browser (or an attacker) that kept the old cookie gets nothing.
    assert!(is_sign_in_redirect(&overview(&app, &cookie).await));
}

#[tokio::test]
async fn revoking_the_token_ends_its_sessions() {
    let app = TestApp::new();
    let (_, _, set_cookie) = sign_in(&app, &app.coordinator).await;
    let cookie = cookie_pair(&set_cookie);
    assert_eq!(overview(&app, &cookie).await.0, StatusCode::OK);

    let account = app
        .store
        .list_accounts()
        .expect("accounts")
        .into_iter()
        .find(|a| a.role == Role::Coordinator)
        .expect("the coordinator");
    admin::replace_token(
        app.store.as_ref(),
        &account.id,
        false,
        eom_server::audit::OPERATOR,
    )
    .expect("revoke");
    assert!(is_sign_in_redirect(&overview(&app, &cookie).await));
}

#[tokio::test]
async fn an_expired_session_is_refused_and_a_live_one_is_not() {
    let app = TestApp::new();
    let account = app
        .store
        .list_accounts()
        .expect("accounts")
        .into_iter()
        .find(|a| a.role == Role::Coordinator)
        .expect("the coordinator");
    let expired = generate_token();
    app.store
        .create_session(
            &hash_token(&expired),
            &account.id,
            Utc::now() - Duration::seconds(1),
        )
        .expect("session");
    let live = generate_token();
    app.store
        .create_session(
            &hash_token(&live),
            &account.id,
            Utc::now() + Duration::minutes(5),
        )
        .expect("session");

    let refused = overview(&app, &format!("eom_session={expired}")).await;
    assert!(is_sign_in_redirect(&refused), "{refused:?}");
    assert!(refused.1.contains("expired"), "{refused:?}");
    assert_eq!(
        overview(&app, &format!("eom_session={live}")).await.0,
        StatusCode::OK
    );
}

/// Another site cannot act with a coordinator's session: a review posted from another origin,
/// or without the page's token, or with another session's token, changes nothing.
#[tokio::test]
async fn cross_site_form_posts_are_refused() {
    let app = TestApp::new();
    let id = eom_shared::SubmissionId::new();
    assert_eq!(
        app.push(&[common::payload(id, 1, common::voting("PEC-1", "good"))])
            .await,
        ["accepted"]
    );
    let (_, _, set_cookie) = sign_in(&app, &app.coordinator).await;
    let cookie = cookie_pair(&set_cookie);
    let path = format!("/checklists/{id}");
    let token = page_token(&app, &cookie, &path).await;
    let (_, _, other) = sign_in(&app, &app.coordinator).await;
    let others_token = page_token(&app, &cookie_pair(&other), "/").await;
    assert_ne!(token, others_token, "each session has its own token");

    let review = |origin: Option<&str>, csrf: &str| {
        let mut request = Request::post(format!("/checklists/{id}/review"))
            .header(header::COOKIE, &cookie)
            .header(header::HOST, "eom.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request
            .body(Body::from(format!(
                "status=rejected&comment=forged&csrf={csrf}"
            )))
            .expect("request")
    };
    for (origin, csrf) in [
        (Some("https://evil.example"), token.as_str()),
        (Some("http://eom.example"), ""),
        (Some("http://eom.example"), others_token.as_str()),
        (None, "0000"),
    ] {
        let (status, _, _) = send(&app, review(origin, csrf)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?} {csrf}");
    }
    let (_, detail) = app
        .get(&format!("/api/v1/submissions/{id}"), &app.coordinator)
        .await;
    assert_eq!(detail["review_status"], "none", "{detail}");

    // From the page itself, the same review goes through.
    let (status, location, _) = send(&app, review(Some("http://eom.example"), &token)).await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(location, path);
    let (_, detail) = app
        .get(&format!("/api/v1/submissions/{id}"), &app.coordinator)
        .await;
    assert_eq!(detail["review_status"], "rejected", "{detail}");
}
