use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use eom_shared::sync::{
    MAX_ITEM_BYTES, MAX_PUSH_BATCH, MineResponse, PullResponse, PushDecodeError, PushResponse,
    RawPushRequest,
};
use serde::Deserialize;

use super::{ApiBytes, ApiQuery};
use crate::auth::Observer;
use crate::error::ApiError;
use crate::service::{Service, ServiceError};

/// Bodies up to this size (after decompression) are decoded on the request's own task.
const INLINE_DECODE_MAX_BYTES: usize = 32 * 1024;

/// `POST /api/v1/sync/push`: one outcome per item, in order, committed before the answer.
///
/// A large body is decoded on the blocking pool, with the item count and each item's size
/// checked while decoding: a compressed body that expands to millions of values costs its
/// sender a 413, not the server's async workers and memory. A small one (a checklist or a few,
/// as phones and single pushes send) decodes in microseconds on the request's own task,
/// cheaper than the hop to the pool and back at thousands of pushes a second.
#[utoipa::path(
    post,
    path = "/api/v1/sync/push",
    tag = "sync",
    summary = "Pushes checklists: one outcome per item, in order, committed before the answer",
    request_body = eom_shared::sync::PushRequest,
    responses((status = 200, body = eom_shared::sync::PushResponse), super::TokenErrors, (status = 413, description = "More than 1000 items, an item over 256 KiB, or a body over 16 MiB", body = eom_shared::ErrorBody), (status = 415, description = "Not JSON", body = eom_shared::ErrorBody), (status = 503, description = "The write queue is full; see Retry-After", body = eom_shared::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn push(
    State(service): State<Service>,
    Observer(observer): Observer,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<Json<PushResponse>, ApiError> {
    require_json(&headers)?;
    service.limits.bytes(&observer.id, body.len())?;
    let decoded = if body.len() <= INLINE_DECODE_MAX_BYTES {
        RawPushRequest::from_slice(&body)
    } else {
        tokio::task::spawn_blocking(move || RawPushRequest::from_slice(&body))
            .await
            .map_err(|e| ApiError::Internal(ServiceError::from(e)))?
    };
    let request = decoded.map_err(|e| match e {
        PushDecodeError::TooMany => ApiError::PayloadTooLarge(format!(
            "a push may carry at most {MAX_PUSH_BATCH} submissions"
        )),
        PushDecodeError::ItemTooLarge => ApiError::PayloadTooLarge(format!(
            "one submission in this push is larger than {} KiB; no checklist within the limits is",
            MAX_ITEM_BYTES / 1024
        )),
        PushDecodeError::Malformed(message) => ApiError::bad_request(
            format!("the push body is not valid: {message}"),
            "send a JSON object {\"submissions\": [...]} with 'Content-Type: application/json'",
        ),
    })?;
    Ok(Json(service.push(observer, request.submissions).await?))
}

/// Refuses a body that does not say it is JSON, as `axum::Json` does.
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim();
            mime.eq_ignore_ascii_case("application/json")
                || (mime.len() > 5
                    && mime[..mime.len() - 5].contains('/')
                    && mime.to_ascii_lowercase().ends_with("+json"))
        });
    if is_json {
        Ok(())
    } else {
        Err(ApiError::Status {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: "the push body must be JSON".to_owned(),
            hint: Some("send 'Content-Type: application/json'".to_owned()),
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct PullQuery {
    since: Option<String>,
}

/// `GET /api/v1/sync/pull?since=<cursor>`: forms and stations changed since the cursor.
#[utoipa::path(
    get,
    path = "/api/v1/sync/pull",
    tag = "sync",
    summary = "Forms, stations and reviews changed since the cursor",
    params(("since" = Option<String>, Query, description = "The cursor of the previous pull")),
    responses((status = 200, body = eom_shared::sync::PullResponse), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn pull(
    State(service): State<Service>,
    Observer(observer): Observer,
    headers: axum::http::HeaderMap,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    // `eom/0.1.0`: the laptop's version, for the coordinators' team list.
    let client_version = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|ua| ua.strip_prefix("eom/"))
        .map(|v| {
            v.chars()
                .take(32)
                .filter(|c| c.is_ascii_graphic())
                .collect::<String>()
        })
        .filter(|v| !v.is_empty());
    let since = match query.since.as_deref().map(str::trim) {
        None | Some("") => 0,
        // Cursors are database sequence numbers: they never exceed i64::MAX.
        Some(raw) => raw.parse::<u64>().ok().filter(|c| i64::try_from(*c).is_ok()).ok_or_else(|| {
            ApiError::bad_request(
                format!("'{raw}' is not a pull cursor"),
                "pass the cursor from the previous pull, or leave 'since' out to pull everything",
            )
        })?,
    };
    Ok(Json(service.pull(observer, since, client_version).await?))
}

#[derive(Debug, Deserialize)]
pub struct MineQuery {
    page: Option<u32>,
}

/// `GET /api/v1/sync/mine?page=N`: the observer's own checklists, latest revisions with their
/// content and the last review, page by page (`eom restore` on a new laptop).
#[utoipa::path(
    get,
    path = "/api/v1/sync/mine",
    tag = "sync",
    summary = "The observer's own checklists, page by page (eom restore)",
    params(("page" = Option<u32>, Query, description = "From 1")),
    responses((status = 200, body = eom_shared::sync::MineResponse), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn mine(
    State(service): State<Service>,
    Observer(observer): Observer,
    ApiQuery(query): ApiQuery<MineQuery>,
) -> Result<Json<MineResponse>, ApiError> {
    Ok(Json(service.mine(observer, query.page.unwrap_or(1)).await?))
}
