use axum::Json;
use axum::extract::State;
use chrono::Utc;
use eom_shared::sync::{MAX_PUSH_BATCH, PullResponse, PushResponse, RawPushRequest};
use serde::Deserialize;

use super::{ApiJson, ApiQuery, blocking};
use crate::AppState;
use crate::auth::Observer;
use crate::error::ApiError;
use crate::ingest;

/// `POST /api/v1/sync/push`: one outcome per item, in order, committed before the answer.
pub async fn push(
    State(state): State<AppState>,
    Observer(observer): Observer,
    ApiJson(request): ApiJson<RawPushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    let count = request.submissions.len();
    if count > MAX_PUSH_BATCH {
        return Err(ApiError::PayloadTooLarge(format!(
            "a push may carry at most {MAX_PUSH_BATCH} submissions; this one has {count}"
        )));
    }
    let results = blocking(move || {
        Ok(ingest::push(
            state.store.as_ref(),
            &state.forms,
            &observer.id,
            Utc::now(),
            request.submissions,
        )?)
    })
    .await?;
    Ok(Json(PushResponse {
        results,
        server_time: Utc::now(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct PullQuery {
    since: Option<String>,
}

/// `GET /api/v1/sync/pull?since=<cursor>`: forms and stations changed since the cursor.
pub async fn pull(
    State(state): State<AppState>,
    Observer(_observer): Observer,
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
    let changes = blocking(move || Ok(state.store.catalog_changes(since)?)).await?;
    Ok(Json(PullResponse {
        cursor: changes.cursor.to_string(),
        server_time: Utc::now(),
        forms: changes.forms,
        stations: changes.stations,
    }))
}
