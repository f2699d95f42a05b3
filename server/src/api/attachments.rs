//! Attachments of checklists: photos of the protocol, sent in chunks by the team, read back
//! by coordinators.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use eom_shared::attachment::UploadState;
use serde::Deserialize;

use super::{ApiBytes, ApiQuery};
use crate::auth::{Coordinator, Observer};
use crate::error::ApiError;
use crate::http::parse_id;
use crate::service::Service;
use crate::service::attachments::IncomingChunk;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChunkQuery {
    /// The whole attachment's size in bytes.
    pub size: u64,
    /// Where this chunk's bytes start (the `received` of the last answer); 0 to begin.
    #[serde(default)]
    pub offset: u64,
    /// The file's name on the laptop, for the coordinator.
    #[serde(default)]
    pub name: String,
}

/// `PUT /api/v1/submissions/{id}/attachments/{sha256}?size=&offset=&name=`: one chunk.
#[utoipa::path(
    put,
    path = "/api/v1/submissions/{id}/attachments/{sha256}",
    tag = "sync",
    summary = "Sends one chunk of an attachment (the body, with the photo's Content-Type); answers how many bytes the server holds. An empty body asks without sending. A chunk not at that offset stores nothing: go on from the answer.",
    params(("id" = String, Path, description = "The checklist id"), ("sha256" = String, Path, description = "SHA-256 of the whole attachment, lower-case hex"), ChunkQuery),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = UploadState), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn upload(
    State(service): State<Service>,
    observer: Observer,
    Path((raw_id, sha256)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<ChunkQuery>,
    headers: HeaderMap,
    ApiBytes(bytes): ApiBytes,
) -> Result<Json<UploadState>, ApiError> {
    let submission_id = parse_id(&raw_id)?;
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let chunk = IncomingChunk {
        submission_id,
        sha256,
        size: query.size,
        name: query.name,
        mime,
        offset: query.offset,
        bytes,
    };
    Ok(Json(service.upload_chunk(&observer.0, chunk).await?))
}

/// `GET /api/v1/submissions/{id}/attachments/{sha256}`: the bytes of a complete attachment.
#[utoipa::path(
    get,
    path = "/api/v1/submissions/{id}/attachments/{sha256}",
    tag = "submissions",
    summary = "The bytes of a checklist's attachment, as the team sent them",
    params(("id" = String, Path, description = "The checklist id"), ("sha256" = String, Path, description = "As the checklist's detail lists it")),
    responses((status = 200, description = "The file, with its type", content_type = "application/octet-stream"), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn download(
    State(service): State<Service>,
    coordinator: Coordinator,
    Path((raw_id, sha256)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = parse_id(&raw_id)?;
    let (mime, bytes) = service.attachment(&coordinator.scope(), id, sha256).await?;
    Ok(crate::http::attachment_response(&mime, bytes))
}
