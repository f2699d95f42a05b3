//! The HTTP API under `/api/v1`: one module per area. Handlers parse, authorize, call the
//! domain, and map the result to HTTP; no SQL here.

pub(crate) mod export;
mod health;
pub(crate) mod reports;
pub(crate) mod submissions;
mod sync;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::map_response;
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::error::ApiError;

/// Longest a request may take from its first byte to its answer.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

/// Largest request body accepted, after gzip decompression.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The whole HTTP application; tests drive it with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(crate::web::router())
        .route("/api/v1/health", get(health::health))
        .route("/api/v1/sync/push", post(sync::push))
        .route("/api/v1/sync/pull", get(sync::pull))
        .route("/api/v1/sync/mine", get(sync::mine))
        .route("/api/v1/submissions", get(submissions::list))
        .route("/api/v1/submissions/{id}", get(submissions::detail))
        .route("/api/v1/submissions/{id}/review", post(submissions::review))
        .route("/api/v1/reports/summary", get(reports::summary))
        .route("/api/v1/reports/assessments", get(reports::assessments))
        .route("/api/v1/reports/access", get(reports::access))
        .route("/api/v1/reports/findings", get(reports::findings))
        .route("/api/v1/reports/coverage", get(reports::coverage))
        .route("/api/v1/reports/timeline", get(reports::timeline))
        .route("/api/v1/reports/statement", get(reports::statement))
        .route("/api/v1/export", get(export::export))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A client that trickles its request (a dying mobile link, or a slowloris) must not
        // hold a connection and a task for ever; it gets 408 and retries.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(RequestDecompressionLayer::new())
        .layer(map_response(add_version_header))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn add_version_header(mut response: Response) -> Response {
    response.headers_mut().insert(
        eom_shared::VERSION_HEADER,
        HeaderValue::from_static(eom_shared::VERSION),
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; see README.md for the API".into())
}

/// `axum::Json`, with rejections turned into the API's JSON error body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Query`, with rejections turned into the API's JSON error body.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Runs blocking storage work off the async executor.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f).await?
}
