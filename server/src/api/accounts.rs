//! Accounts, for administrators: list, create (observer or coordinator), revoke.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::auth::Admin;
use crate::error::ApiError;
use crate::service::Service;
use crate::service::accounts::CreatedView;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: String,
    pub name: String,
    pub role: &'static str,
    /// The account's region when it has exactly one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Every region of the account (a coordinator sees only these; none: the whole mission).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// `GET /api/v1/accounts`.
#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    tag = "accounts",
    summary = "Every account (administrators)",
    responses((status = 200, body = Vec<AccountView>), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn list(
    State(service): State<Service>,
    _admin: Admin,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    let accounts = service.accounts().await?;
    Ok(Json(
        accounts
            .into_iter()
            .map(|a| AccountView {
                region: a.only_region(),
                regions: a.regions(),
                id: a.id,
                name: a.name,
                role: a.role.as_str(),
                created_at: a.created_at,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewAccountRequest {
    pub name: String,
    pub role: String,
    /// An observer team's region, or a coordinator's one region.
    #[serde(default)]
    pub region: Option<String>,
    /// A coordinator's regions (with `region`, if both are given).
    #[serde(default)]
    pub regions: Vec<String>,
}

/// `POST /api/v1/accounts` `{"name": "Team 7", "role": "observer", "region": "North"}` or
/// `{"name": "East desk", "role": "coordinator", "regions": ["East", "North"]}`: the token
/// (and an observer's enrolment code) are in the answer, shown once.
#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    tag = "accounts",
    summary = "Creates an observer or coordinator account (administrators)",
    request_body = NewAccountRequest,
    responses((status = 200, body = crate::service::accounts::CreatedView), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn create(
    State(service): State<Service>,
    Admin(admin): Admin,
    ApiJson(request): ApiJson<NewAccountRequest>,
) -> Result<Json<CreatedView>, ApiError> {
    let created = service
        .add_account(
            admin.id.clone(),
            request.name,
            &request.role,
            request.region.into_iter().chain(request.regions).collect(),
        )
        .await?;
    tracing::info!(by = %admin.id, account = %created.id, role = created.role, "account created");
    Ok(Json(created))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RevokeRequest {
    #[serde(default)]
    pub new_token: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevokeView {
    pub revoked: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `POST /api/v1/accounts/{id}/revoke` `{"new_token": false}`: the old token stops working
/// at once (a lost or seized laptop); with `new_token`, the replacement is in the answer.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{id}/revoke",
    tag = "accounts",
    summary = "Revokes an account's token at once (administrators)",
    params(("id" = String, Path, description = "The account id")),
    request_body = RevokeRequest,
    responses((status = 200, body = RevokeView), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn revoke(
    State(service): State<Service>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RevokeRequest>,
) -> Result<Json<RevokeView>, ApiError> {
    let token = service
        .revoke(admin.id.clone(), id.clone(), request.new_token)
        .await?;
    tracing::info!(by = %admin.id, account = %id, "token revoked");
    Ok(Json(RevokeView { revoked: id, token }))
}
