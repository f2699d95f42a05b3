use axum::Json;
use axum::extract::State;
use eom_shared::sync::{MineResponse, PullResponse, PushResponse, RawPushRequest};
use serde::Deserialize;

use super::{ApiJson, ApiQuery};
use crate::auth::Observer;
use crate::error::ApiError;
use crate::service::Service;

/// `POST /api/v1/sync/push`: one outcome per item, in order, committed before the answer.
pub async fn push(
    State(service): State<Service>,
    Observer(observer): Observer,
    ApiJson(request): ApiJson<RawPushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    Ok(Json(service.push(observer, request.submissions).await?))
}

#[derive(Debug, Deserialize)]
pub struct PullQuery {
    since: Option<String>,
}

/// `GET /api/v1/sync/pull?since=<cursor>`: forms and stations changed since the cursor.
pub async fn pull(
    State(service): State<Service>,
    Observer(observer): Observer,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    let since = match query.since.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(raw) => raw.parse::<u64>().map_err(|_| {
            ApiError::bad_request(
                format!("'{raw}' is not a pull cursor"),
                "pass the cursor from the previous pull, or leave 'since' out to pull everything",
            )
        })?,
    };
    Ok(Json(service.pull(observer, since).await?))
}

#[derive(Debug, Deserialize)]
pub struct MineQuery {
    page: Option<u32>,
}

/// `GET /api/v1/sync/mine?page=N`: the observer's own checklists, latest revisions with their
/// content and the last review, page by page (`eom restore` on a new laptop).
pub async fn mine(
    State(service): State<Service>,
    Observer(observer): Observer,
    ApiQuery(query): ApiQuery<MineQuery>,
) -> Result<Json<MineResponse>, ApiError> {
    Ok(Json(service.mine(observer, query.page.unwrap_or(1)).await?))
}
