//! The HTTP API under `/api/v1`: one module per area. Handlers parse, authorize, call the
//! service layer, and present the result as JSON; no SQL and no rules here.

mod accounts;
mod enrol;
mod export;
mod health;
mod metrics;
mod receipts;
mod reports;
mod submissions;
mod sync;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts};
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::service::Service;

/// The API's routes; [`crate::routes::app`] adds them to the dashboard's.
pub fn router() -> Router<Service> {
    Router::new()
        .route("/api/v1/health", get(health::health))
        .route("/api/v1/receipts/key", get(receipts::key))
        .route("/api/v1/enrol", post(enrol::enrol))
        .route(
            "/api/v1/accounts",
            get(accounts::list).post(accounts::create),
        )
        .route("/api/v1/accounts/{id}/revoke", post(accounts::revoke))
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
        .route("/metrics", get(metrics::metrics))
}

/// `axum::Json`, with rejections turned into the API's JSON error body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// A whole request body (after gzip decompression, within the body limit), with rejections
/// turned into the API's JSON error body.
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Ok(Self(axum::body::Bytes::from_request(request, state).await?))
    }
}

/// `axum::extract::Query`, with rejections turned into the API's JSON error body.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);
