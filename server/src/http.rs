//! What the API and the dashboard share at the HTTP level: the composed application, and
//! streamed downloads.

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::map_response;
use axum::response::Response;
use tokio_stream::wrappers::ReceiverStream;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::service::Service;
use crate::service::export::Download;

/// Longest a request may take from its first byte to its answer.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

/// Largest request body accepted, after gzip decompression.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The whole HTTP application, routers composed in this one place; tests drive it with
/// `tower::ServiceExt::oneshot`.
pub fn app(service: Service) -> Router {
    // Installs the metrics recorder before the first request is counted.
    crate::telemetry::handle();
    Router::new()
        .merge(crate::web::router())
        .merge(crate::api::router())
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
        .layer(axum::middleware::from_fn(crate::telemetry::track))
        .layer(TraceLayer::new_for_http())
        .with_state(service)
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

/// A streamed file as an attachment.
pub fn download(file: Download) -> Response {
    let mut response = Response::new(Body::from_stream(ReceiverStream::new(file.chunks)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.file_name))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// A checklist id from a path.
pub fn parse_id(raw: &str) -> Result<eom_shared::SubmissionId, ApiError> {
    eom_shared::SubmissionId::parse(raw)
        .map_err(|m| ApiError::bad_request(m, "take the id from GET /api/v1/submissions"))
}
