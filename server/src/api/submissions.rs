use axum::Json;
use axum::extract::{Path, State};
use eom_shared::SubmissionId;
use eom_shared::sync::ReviewStatus;
use serde::Deserialize;

use super::{ApiJson, ApiQuery, blocking};
use crate::AppState;
use crate::auth::Coordinator;
use crate::error::ApiError;
use crate::reports::filter::parse_hour;
use crate::store::{NewReview, ReviewRecord, SubmissionDetail, SubmissionFilter, SubmissionPage};

const DEFAULT_PER_PAGE: u32 = 50;
const MAX_PER_PAGE: u32 = 500;

/// Filters for listing and exporting checklists.
#[derive(Debug, Default, Deserialize)]
pub struct SubmissionQuery {
    pub form: Option<String>,
    pub station: Option<String>,
    pub region: Option<String>,
    pub observer: Option<String>,
    /// Review status: none, verified, flagged, rejected.
    pub review: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

fn nonempty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl SubmissionQuery {
    pub fn into_filter(self) -> Result<SubmissionFilter, ApiError> {
        let review = nonempty(self.review)
            .map(|r| {
                ReviewStatus::parse(&r).ok_or_else(|| {
                    ApiError::bad_request(
                        format!("'{r}' is not a review status"),
                        "use none, verified, flagged or rejected",
                    )
                })
            })
            .transpose()?;
        let hour = |v: Option<String>| {
            nonempty(v)
                .map(|raw| {
                    parse_hour(&raw)
                        .map_err(|m| ApiError::bad_request(m, "leave it out for no limit"))
                })
                .transpose()
        };
        Ok(SubmissionFilter {
            form: nonempty(self.form),
            station: nonempty(self.station),
            region: nonempty(self.region),
            observer: nonempty(self.observer),
            review,
            from_hour: hour(self.from)?,
            to_hour: hour(self.to)?,
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    filter: SubmissionQuery,
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
    let filter = query.filter.into_filter()?;
    let result =
        blocking(move || Ok(state.store.list_submissions(&filter, page, per_page)?)).await?;
    Ok(Json(result))
}

pub fn parse_id(raw: &str) -> Result<SubmissionId, ApiError> {
    SubmissionId::parse(raw)
        .map_err(|m| ApiError::bad_request(m, "take the id from GET /api/v1/submissions"))
}

/// `GET /api/v1/submissions/{id}`: every revision of one checklist, conflicts and reviews.
pub async fn detail(
    State(state): State<AppState>,
    Coordinator(_coordinator): Coordinator,
    Path(raw_id): Path<String>,
) -> Result<Json<SubmissionDetail>, ApiError> {
    let id = parse_id(&raw_id)?;
    let detail = blocking(move || Ok(state.store.submission(id)?)).await?;
    detail
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no checklist with id {id}")))
}

#[derive(Debug, Deserialize)]
pub struct ReviewRequest {
    pub status: String,
    #[serde(default)]
    pub comment: String,
}

/// Checks a review and records it; shared by the API and the dashboard.
pub async fn record_review(
    state: AppState,
    reviewer_id: String,
    id: SubmissionId,
    request: ReviewRequest,
) -> Result<Vec<ReviewRecord>, ApiError> {
    let status = ReviewStatus::parse(request.status.trim()).ok_or_else(|| {
        ApiError::bad_request(
            format!("'{}' is not a review status", request.status),
            "use verified, flagged, rejected, or none to withdraw a review",
        )
    })?;
    let comment = request.comment.trim().to_owned();
    if matches!(status, ReviewStatus::Flagged | ReviewStatus::Rejected) && comment.is_empty() {
        return Err(ApiError::bad_request(
            format!("a checklist marked {} needs a comment", status.as_str()),
            "say what the observer should check or why it is left out; they will see it",
        ));
    }
    let review = NewReview {
        submission_id: id,
        status,
        comment,
        reviewer_id,
    };
    blocking(move || Ok(state.store.review(review)?))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no checklist with id {id}")))
}

/// `POST /api/v1/submissions/{id}/review` `{"status": "flagged", "comment": "..."}`.
pub async fn review(
    State(state): State<AppState>,
    Coordinator(coordinator): Coordinator,
    Path(raw_id): Path<String>,
    ApiJson(request): ApiJson<ReviewRequest>,
) -> Result<Json<Vec<ReviewRecord>>, ApiError> {
    let id = parse_id(&raw_id)?;
    Ok(Json(
        record_review(state, coordinator.id, id, request).await?,
    ))
}
