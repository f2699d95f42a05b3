use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::auth::Coordinator;
use crate::error::ApiError;
use crate::service::Service;

/// `GET /metrics`: Prometheus text format, for a coordinator's token (the counts are the
/// mission's; scrape with `authorization: {credentials: <token>}`).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operators",
    summary = "Prometheus metrics (coordinators of the whole mission)",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn metrics(
    State(service): State<Service>,
    coordinator: Coordinator,
) -> Result<Response, ApiError> {
    coordinator.scope().require_all()?;
    let text = service.metrics().await?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
