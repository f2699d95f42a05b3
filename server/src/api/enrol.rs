use axum::Json;
use axum::extract::State;
use eom_shared::sync::{EnrolRequest, EnrolResponse};

use super::ApiJson;
use crate::error::ApiError;
use crate::http::ClientAddr;
use crate::service::Service;

/// `POST /api/v1/enrol`: a one-time enrolment code for the observer's token. Attempts are
/// limited per address like dashboard sign-ins; failures are logged with the address.
#[utoipa::path(
    post,
    path = "/api/v1/enrol",
    tag = "accounts",
    summary = "Exchanges a one-time enrolment code for the observer's token",
    request_body = eom_shared::sync::EnrolRequest,
    responses((status = 200, body = eom_shared::sync::EnrolResponse), (status = 401, description = "Unknown, used or expired code", body = eom_shared::ErrorBody), super::PublicErrors)
)]
pub async fn enrol(
    State(service): State<Service>,
    ClientAddr(address): ClientAddr,
    ApiJson(request): ApiJson<EnrolRequest>,
) -> Result<Json<EnrolResponse>, ApiError> {
    if let Some(address) = address
        && let Err(over) = service.limits.sign_in(address)
    {
        tracing::warn!(%address, "too many enrolment attempts from this address");
        return Err(ApiError::TooManyRequests {
            who: "address",
            retry_after_secs: over.retry_after_secs(),
        });
    }
    match service.enrol(request.code).await? {
        Some((account, token)) => {
            tracing::info!(account = %account.id, "an observer enrolled with a code");
            Ok(Json(EnrolResponse {
                region: account.only_region(),
                token,
                name: account.name,
            }))
        }
        None => {
            let address = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
            tracing::warn!(%address, "failed enrolment");
            Err(ApiError::Unauthorized(
                "this enrolment code is unknown, already used or expired; ask your coordinator for a new one"
                    .to_owned(),
            ))
        }
    }
}
