use axum::Json;
use axum::extract::{Path, State};
use eom_shared::SubmissionId;
use serde::Deserialize;

use super::{ApiQuery, blocking};
use crate::AppState;
use crate::auth::Coordinator;
use crate::error::ApiError;
use crate::store::{SubmissionDetail, SubmissionFilter, SubmissionPage};

const DEFAULT_PER_PAGE: u32 = 50;
const MAX_PER_PAGE: u32 = 500;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    form: Option<String>,
    station: Option<String>,
    region: Option<String>,
    observer: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

/// `GET /api/v1/submissions`: latest revisions, newest first, filtered and paginated.
pub async fn list(
    State(state): State<AppState>,
    Coordinator(_coordinator): Coordinator,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<SubmissionPage>, ApiError> {
    let page = query.page.unwrap_or(1);
    if page == 0 {
        return Err(ApiError::bad_request(
            "page numbers start at 1",
            "use page=1 for the first page",
        ));
    }
    let per_page = query.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(ApiError::bad_request(
            format!("per_page must be between 1 and {MAX_PER_PAGE}"),
            format!("leave it out for {DEFAULT_PER_PAGE} per page"),
        ));
    }
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let filter = SubmissionFilter {
        form: nonempty(query.form),
        station: nonempty(query.station),
        region: nonempty(query.region),
        observer: nonempty(query.observer),
    };
    let result =
        blocking(move || Ok(state.store.list_submissions(&filter, page, per_page)?)).await?;
    Ok(Json(result))
}

/// `GET /api/v1/submissions/{id}`: every revision of one checklist, and any conflicts.
pub async fn detail(
    State(state): State<AppState>,
    Coordinator(_coordinator): Coordinator,
    Path(raw_id): Path<String>,
) -> Result<Json<SubmissionDetail>, ApiError> {
    let id = SubmissionId::parse(&raw_id)
        .map_err(|m| ApiError::bad_request(m, "take the id from GET /api/v1/submissions"))?;
    let detail = blocking(move || Ok(state.store.submission(id)?)).await?;
    detail
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no checklist with id {id}")))
}
