use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

use super::{ApiJson, ApiQuery};
use crate::auth::Coordinator;
use crate::error::ApiError;
use crate::http::parse_id;
use crate::reports::filter::SubmissionQuery;
use crate::service::Service;
use crate::views::{self, ReviewView, SubmissionDetailView, SubmissionPageView};

const DEFAULT_PER_PAGE: u32 = 50;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    filter: SubmissionQuery,
    page: Option<u32>,
    per_page: Option<u32>,
}

/// `GET /api/v1/submissions`: latest revisions, newest first, filtered and paginated.
#[utoipa::path(
    get,
    path = "/api/v1/submissions",
    tag = "submissions",
    summary = "Latest revision of each checklist, newest first",
    params(crate::reports::filter::SubmissionQuery, ("page" = Option<u32>, Query, description = "From 1"), ("per_page" = Option<u32>, Query, description = "1 to 500, default 50")),
    responses((status = 200, body = crate::views::SubmissionPageView), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn list(
    State(service): State<Service>,
    coordinator: Coordinator,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<SubmissionPageView>, ApiError> {
    let filter = coordinator.scope().submissions(query.filter.to_filter()?)?;
    let filter = service
        .searching(filter, query.filter.search.as_deref())
        .await?;
    let page = service
        .list_submissions(
            filter,
            query.page.unwrap_or(1),
            query.per_page.unwrap_or(DEFAULT_PER_PAGE),
        )
        .await?;
    Ok(Json(page.into()))
}

/// `GET /api/v1/submissions/{id}`: every revision of one checklist, conflicts and reviews.
#[utoipa::path(
    get,
    path = "/api/v1/submissions/{id}",
    tag = "submissions",
    summary = "One checklist: every revision, conflicts and reviews",
    params(("id" = String, Path, description = "The checklist id (a UUID)")),
    responses((status = 200, body = crate::views::SubmissionDetailView), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn detail(
    State(service): State<Service>,
    coordinator: Coordinator,
    Path(raw_id): Path<String>,
) -> Result<Json<SubmissionDetailView>, ApiError> {
    let id = parse_id(&raw_id)?;
    Ok(Json(
        service.submission(id, &coordinator.scope()).await?.into(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReviewRequest {
    pub status: String,
    #[serde(default)]
    pub comment: String,
}

/// `POST /api/v1/submissions/{id}/review` `{"status": "flagged", "comment": "..."}`.
#[utoipa::path(
    post,
    path = "/api/v1/submissions/{id}/review",
    tag = "submissions",
    summary = "Reviews a checklist; answers the review history",
    params(("id" = String, Path, description = "The checklist id (a UUID)")),
    request_body = ReviewRequest,
    responses((status = 200, body = Vec<crate::views::ReviewView>), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn review(
    State(service): State<Service>,
    coordinator: Coordinator,
    Path(raw_id): Path<String>,
    ApiJson(request): ApiJson<ReviewRequest>,
) -> Result<Json<Vec<ReviewView>>, ApiError> {
    let id = parse_id(&raw_id)?;
    let scope = coordinator.scope();
    let reviews = service
        .review(
            coordinator.0.id,
            &scope,
            id,
            &request.status,
            &request.comment,
        )
        .await?;
    Ok(Json(views::all(reviews)))
}
