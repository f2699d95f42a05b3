//! Observer teams for the core team: contacts and last contact, the follow-up call log, and
//! new enrolment codes (administrators).

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::auth::{Admin, Coordinator};
use crate::error::ApiError;
use crate::service::Service;
use crate::service::teams::silent_minutes;
use crate::store::{CallRecord, Team};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallView {
    pub caller: String,
    pub at: DateTime<Utc>,
    /// `reached`, `no_answer` or `problem`.
    pub outcome: &'static str,
    pub note: String,
}

impl From<CallRecord> for CallView {
    fn from(c: CallRecord) -> Self {
        CallView {
            caller: c.caller,
            at: c.at,
            outcome: c.outcome.as_str(),
            note: c.note,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TeamView {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub phone: String,
    pub stations: Vec<String>,
    pub checklists: u64,
    pub last_received_at: Option<DateTime<Utc>>,
    /// Minutes since the last checklist arrived; `null` when none ever did.
    pub silent_minutes: Option<i64>,
    pub last_call: Option<CallView>,
    /// The version of eom the team's laptop last pulled with (empty: not known yet).
    pub client_version: String,
}

impl TeamView {
    fn of(t: Team, now: DateTime<Utc>) -> Self {
        TeamView {
            region: t.account.only_region(),
            id: t.account.id,
            name: t.account.name,
            phone: t.phone,
            stations: t.stations,
            checklists: t.checklists,
            silent_minutes: silent_minutes(t.last_received_at, now),
            last_received_at: t.last_received_at,
            last_call: t.last_call.map(Into::into),
            client_version: t.client_version,
        }
    }
}

/// `GET /api/v1/teams`: every team in view, with contacts and last contact.
#[utoipa::path(
    get,
    path = "/api/v1/teams",
    tag = "teams",
    summary = "Observer teams with phone, stations, checklists, minutes silent and last call (coordinators)",
    responses((status = 200, body = Vec<TeamView>), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn list(
    State(service): State<Service>,
    Coordinator(viewer): Coordinator,
) -> Result<Json<Vec<TeamView>>, ApiError> {
    let now = Utc::now();
    let teams = service.teams(&viewer).await?;
    Ok(Json(
        teams.into_iter().map(|t| TeamView::of(t, now)).collect(),
    ))
}

/// `GET /api/v1/teams/{id}/calls`: the team's follow-up calls, latest first.
#[utoipa::path(
    get,
    path = "/api/v1/teams/{id}/calls",
    tag = "teams",
    summary = "A team's follow-up calls, latest first (coordinators)",
    params(("id" = String, Path, description = "The team's account id")),
    responses((status = 200, body = Vec<CallView>), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn calls(
    State(service): State<Service>,
    Coordinator(viewer): Coordinator,
    Path(id): Path<String>,
) -> Result<Json<Vec<CallView>>, ApiError> {
    let (_, calls) = service.team(&viewer, id).await?;
    Ok(Json(calls.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewCallRequest {
    /// `reached`, `no_answer` or `problem`.
    pub outcome: String,
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/teams/{id}/calls` `{"outcome": "no_answer", "note": "..."}`: logs a call
/// by the caller to the team, now.
#[utoipa::path(
    post,
    path = "/api/v1/teams/{id}/calls",
    tag = "teams",
    summary = "Logs a follow-up call to a team (coordinators)",
    params(("id" = String, Path, description = "The team's account id")),
    request_body = NewCallRequest,
    responses((status = 200, body = Vec<CallView>), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn log_call(
    State(service): State<Service>,
    Coordinator(viewer): Coordinator,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<NewCallRequest>,
) -> Result<Json<Vec<CallView>>, ApiError> {
    service
        .record_call(&viewer, id.clone(), &request.outcome, &request.note)
        .await?;
    let (_, calls) = service.team(&viewer, id).await?;
    Ok(Json(calls.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CodeView {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/v1/teams/{id}/code`: a new one-time enrolment code for the team, shown once.
#[utoipa::path(
    post,
    path = "/api/v1/teams/{id}/code",
    tag = "teams",
    summary = "Issues a new one-time enrolment code for a team (administrators)",
    params(("id" = String, Path, description = "The team's account id")),
    responses((status = 200, body = CodeView), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn new_code(
    State(service): State<Service>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<Json<CodeView>, ApiError> {
    let (code, expires_at) = service.new_enrolment_code(id.clone()).await?;
    tracing::info!(by = %admin.id, team = %id, "new enrolment code issued");
    Ok(Json(CodeView { code, expires_at }))
}
