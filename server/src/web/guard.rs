//! What keeps another web site from acting with a coordinator's session: every
//! state-changing request must come from this server's own pages.
//!
//! Two independent checks. The browser's `Origin` (or `Sec-Fetch-Site`) must name this
//! server; and every form of a signed-in page carries a token derived from the session id,
//! which the other site cannot read (the cookie is HttpOnly and SameSite=Strict, and the
//! token is never stored). The token is derived rather than stored so that any server
//! instance on the same database can check it.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The name of the hidden form field.
pub const FIELD: &str = "csrf";

/// The form token of a session.
pub fn token_for(session: &str) -> String {
    eom_shared::sha256_hex(format!("eom csrf v1\n{session}").as_bytes())
}

/// Whether `given` is the `expected` token, compared in constant time.
pub fn verify(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Whether the browser says the request comes from this server's own pages. Clients that
/// send neither header (scripts, `curl`) pass; browsers send at least one on a POST.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    // `Origin: null` (a privacy setting, a sandboxed page) names no origin; the browser's own
    // `Sec-Fetch-Site` decides then, and without it the post is refused.
    if let Some(origin) = headers
        .get(header::ORIGIN)
        .filter(|o| o.as_bytes() != b"null")
    {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, rest)| rest.trim_end_matches('/'));
        return matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h));
    }
    match site {
        Some(site) => matches!(site, "same-origin" | "none"),
        None => !headers.contains_key(header::ORIGIN),
    }
}

/// Middleware for the dashboard: refuses a state-changing request from another origin.
pub async fn same_origin_only(request: Request, next: Next) -> Response {
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state && !same_origin(request.headers()) {
        tracing::warn!(path = %request.uri().path(), "refused a cross-origin form post");
        return refused();
    }
    next.run(request).await
}

/// The answer to a form post that failed either check.
pub fn refused() -> Response {
    ApiError::Forbidden(
        "this form did not come from the dashboard's own page; reload the page and try again"
            .to_owned(),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn tokens_belong_to_their_session() {
        let t = token_for("eom_abc");
        assert!(verify(&token_for("eom_abc"), &t));
        assert!(!verify(&token_for("eom_abd"), &t));
        assert!(!verify(&t, ""));
        assert!(!verify(&t, &t[..10]));
    }

    #[test]
    fn only_this_server_is_the_same_origin() {
        assert!(same_origin(&headers(&[
            ("host", "eom.example:8080"),
            ("origin", "https://eom.example:8080")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "eom.example:8080"),
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "eom.example"),
            ("origin", "null")
        ])));
        assert!(same_origin(&headers(&[
            ("host", "eom.example"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(same_origin(&headers(&[])));
    }
}
