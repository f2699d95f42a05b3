//! Messages to observer teams: coordinators send and list them; laptops report which they
//! have shown (they receive them with every pull).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use eom_shared::sync::MessagesRead;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::auth::{Coordinator, Observer};
use crate::error::ApiError;
use crate::service::Service;
use crate::service::messages::Addressee;
use crate::store::{Audience, SentMessage};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewMessageRequest {
    pub body: String,
    /// Every team of this region.
    #[serde(default)]
    pub region: Option<String>,
    /// One team: its account id. Neither `region` nor `team`: every team.
    #[serde(default)]
    pub team: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReadView {
    pub team: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: uuid::Uuid,
    pub from: String,
    /// `all`, `region` or `team`.
    pub audience: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The team's account id and name, for a message to one team.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_name: Option<String>,
    pub body: String,
    pub sent_at: DateTime<Utc>,
    /// Observer teams it is addressed to.
    pub recipients: u64,
    /// Teams whose laptops have shown it.
    pub read: Vec<ReadView>,
}

impl From<SentMessage> for MessageView {
    fn from(m: SentMessage) -> Self {
        let (audience, region, team) = match m.audience {
            Audience::All => ("all", None, None),
            Audience::Region(r) => ("region", Some(r), None),
            Audience::Team(t) => ("team", None, Some(t)),
        };
        MessageView {
            id: m.id,
            from: m.from,
            audience,
            region,
            team,
            team_name: m.team.map(|(name, _)| name),
            body: m.body,
            sent_at: m.sent_at,
            recipients: m.recipients,
            read: m
                .read_by
                .into_iter()
                .map(|(team, at)| ReadView { team, at })
                .collect(),
        }
    }
}

/// `POST /api/v1/messages` `{"body": "...", "region": "North"}`: laptops of the teams it is
/// for receive it at their next pull.
#[utoipa::path(
    post,
    path = "/api/v1/messages",
    tag = "messages",
    summary = "Sends a message to every team, a region's teams, or one team (coordinators)",
    request_body = NewMessageRequest,
    responses((status = 200, body = MessageView), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn send(
    State(service): State<Service>,
    Coordinator(coordinator): Coordinator,
    ApiJson(request): ApiJson<NewMessageRequest>,
) -> Result<Json<MessageView>, ApiError> {
    let by = coordinator.id.clone();
    let sent = service
        .send_message(
            coordinator,
            Addressee {
                region: request.region,
                team: request.team,
            },
            &request.body,
        )
        .await?;
    tracing::info!(%by, message = %sent.id, recipients = sent.recipients, "message sent");
    Ok(Json(sent.into()))
}

/// `GET /api/v1/messages`: the newest messages, with who has read them.
#[utoipa::path(
    get,
    path = "/api/v1/messages",
    tag = "messages",
    summary = "Messages sent to teams, newest first, with read receipts (coordinators)",
    responses((status = 200, body = Vec<MessageView>), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn list(
    State(service): State<Service>,
    Coordinator(coordinator): Coordinator,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    let sent = service.sent_messages(coordinator).await?;
    Ok(Json(sent.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReadAnswer {
    /// Messages newly marked read (ones already marked, or not addressed to the team, are
    /// left as they are).
    pub marked: u64,
}

/// `POST /api/v1/messages/read` `{"ids": [...]}`: the laptop showed these messages.
#[utoipa::path(
    post,
    path = "/api/v1/messages/read",
    tag = "messages",
    summary = "Reports messages the laptop has shown its team (observers)",
    request_body = eom_shared::sync::MessagesRead,
    responses((status = 200, body = ReadAnswer), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn read(
    State(service): State<Service>,
    Observer(observer): Observer,
    ApiJson(request): ApiJson<MessagesRead>,
) -> Result<Json<ReadAnswer>, ApiError> {
    let marked = service.messages_read(observer, request.ids).await?;
    Ok(Json(ReadAnswer { marked }))
}
