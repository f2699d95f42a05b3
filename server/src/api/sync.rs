use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use eom_shared::submission::{ContentHash, SubmissionContent, SubmissionPayload};
use eom_shared::sync::{
    Feedback, MAX_PUSH_BATCH, MineItem, MineResponse, PullResponse, PushResponse, RawPushRequest,
};
use eom_shared::{FormId, StationCode};
use serde::Deserialize;

use super::{ApiJson, ApiQuery, blocking};
use crate::AppState;
use crate::auth::Observer;
use crate::error::ApiError;
use crate::ingest;
use crate::ingest::writer::QueueFull;
use crate::store::{IngestBatch, StoreError, SubmissionFilter};

/// Batches up to this size are validated on the request's own task.
const INLINE_PREPARE_MAX: usize = 4;

/// What an overloaded server asks clients to wait before retrying.
const RETRY_AFTER_SECS: u32 = 1;

/// How long a push waits for its commit before the client is told to retry. The data may
/// still be committed afterwards: the retry is then answered `duplicate`.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

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
    let store = state.store.clone();
    let forms = state.forms.clone();
    let mut prepared = if count <= INLINE_PREPARE_MAX {
        // A few checklists validate in microseconds (their forms are cached): cheaper here
        // than a hop to the blocking pool, which matters at thousands of single pushes a second.
        ingest::prepare(store.as_ref(), &forms, request.submissions)?
    } else {
        blocking(move || {
            Ok(ingest::prepare(
                store.as_ref(),
                &forms,
                request.submissions,
            )?)
        })
        .await?
    };
    let results = if prepared.items().is_empty() {
        ingest::finish(prepared, Vec::new(), Vec::new())
    } else {
        let batch = IngestBatch {
            observer_id: observer.id,
            items: prepared.take_items(),
        };
        let answer = state.writer.submit(batch).map_err(|QueueFull| {
            tracing::warn!("write queue full: answering 503");
            ApiError::Overloaded {
                retry_after_secs: RETRY_AFTER_SECS,
            }
        })?;
        let stored = tokio::time::timeout(WRITE_TIMEOUT, answer)
            .await
            .map_err(|_| ApiError::Overloaded {
                retry_after_secs: RETRY_AFTER_SECS,
            })?
            .map_err(|_| ApiError::Internal("the writer thread stopped".into()))?;
        let (items, decisions) = stored?;
        ingest::finish(prepared, items, decisions)
    };
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
    let time_zone = state.time_zone.as_deref().map(str::to_owned);
    let changes = blocking(move || Ok(state.store.catalog_changes(since, &observer.id)?)).await?;
    Ok(Json(PullResponse {
        cursor: changes.cursor.to_string(),
        server_time: Utc::now(),
        forms: changes.forms,
        stations: changes.stations,
        feedback: changes.feedback,
        time_zone,
    }))
}

#[derive(Debug, Deserialize)]
pub struct MineQuery {
    page: Option<u32>,
}

/// Checklists per page of `mine`.
const MINE_PER_PAGE: u32 = 100;

/// `GET /api/v1/sync/mine?page=N`: the observer's own checklists, latest revisions with their
/// content and the last review, page by page (`eom restore` on a new laptop).
pub async fn mine(
    State(state): State<AppState>,
    Observer(observer): Observer,
    ApiQuery(query): ApiQuery<MineQuery>,
) -> Result<Json<MineResponse>, ApiError> {
    let page = query.page.unwrap_or(1).max(1);
    blocking(move || {
        let filter = SubmissionFilter {
            observer: Some(observer.id.clone()),
            ..SubmissionFilter::default()
        };
        let listed = state.store.list_submissions(&filter, page, MINE_PER_PAGE)?;
        let mut items = Vec::with_capacity(listed.items.len());
        for summary in &listed.items {
            let Some(detail) = state.store.submission(summary.id)? else {
                continue;
            };
            let Some(latest) = detail
                .revisions
                .iter()
                .find(|r| r.revision == summary.revision)
            else {
                continue;
            };
            let corrupt = |what: &str| {
                StoreError::Database(format!("checklist {}: unreadable {what}", summary.id))
            };
            let content = SubmissionContent {
                form_id: FormId::parse(&latest.form_id).map_err(|_| corrupt("form id"))?,
                form_version: latest.form_version,
                station: StationCode::parse(&latest.station).map_err(|_| corrupt("station"))?,
                observed_at: DateTime::parse_from_rfc3339(&latest.observed_at)
                    .map_err(|_| corrupt("time"))?
                    .with_timezone(&Utc),
                answers: latest
                    .answers
                    .as_object()
                    .cloned()
                    .ok_or_else(|| corrupt("answers"))?,
                notes: latest.notes.clone(),
            };
            let review = detail.reviews.last().and_then(|r| {
                Some(Feedback {
                    submission_id: summary.id,
                    revision: r.revision,
                    status: r.status,
                    comment: r.comment.clone(),
                    reviewer: r.reviewer.clone(),
                    at: DateTime::parse_from_rfc3339(&r.at)
                        .ok()?
                        .with_timezone(&Utc),
                })
            });
            items.push(MineItem {
                submission: SubmissionPayload {
                    id: summary.id,
                    revision: summary.revision,
                    content_hash: ContentHash(latest.content_hash.clone()),
                    content,
                },
                review,
            });
        }
        Ok::<_, ApiError>(MineResponse {
            items,
            page,
            per_page: MINE_PER_PAGE,
            total: listed.total,
        })
    })
    .await
    .map(Json)
}
