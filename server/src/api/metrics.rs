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
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"), (status = 400, description = "The request is not valid; the body says what to do", body = eom_shared::ErrorBody), (status = 401, description = "No valid token", body = eom_shared::ErrorBody), (status = 403, description = "The token's role may not do this", body = eom_shared::ErrorBody), (status = 404, description = "Unknown, or outside a regional coordinator's region", body = eom_shared::ErrorBody), (status = 429, description = "Over the token's budget; see Retry-After", body = eom_shared::ErrorBody)),
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
