use axum::Json;
use axum::extract::State;
use eom_shared::receipt::ReceiptKey;

use crate::service::Service;

/// `GET /api/v1/receipts/key`: the public key push receipts are signed with. Public: anyone
/// holding a receipt may check it.
#[utoipa::path(
    get,
    path = "/api/v1/receipts/key",
    tag = "receipts",
    summary = "The public key push receipts are signed with",
    responses((status = 200, body = eom_shared::receipt::ReceiptKey), super::PublicErrors)
)]
pub async fn key(State(service): State<Service>) -> Json<ReceiptKey> {
    Json(ReceiptKey::of(&service.receipts.verifying_key()))
}
