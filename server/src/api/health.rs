use axum::Json;
use eom_shared::sync::HealthResponse;

/// Names the service, so a captive portal answering 200 is never mistaken for the server.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "health",
    summary = "Names the service (tells it from a captive portal)",
    responses((status = 200, body = eom_shared::sync::HealthResponse), super::PublicErrors)
)]
pub async fn health() -> Json<HealthResponse> {
    Json(HealthResponse {
        service: eom_shared::SERVICE_NAME.to_owned(),
        version: eom_shared::VERSION.to_owned(),
        api: "v1".to_owned(),
    })
}
