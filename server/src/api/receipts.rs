use axum::Json;
use axum::extract::State;
use eom_shared::receipt::ReceiptKey;

use crate::service::Service;

/// `GET /api/v1/receipts/key`: the public key push receipts are signed with. Public: anyone
/// holding a receipt may check it.
pub async fn key(State(service): State<Service>) -> Json<ReceiptKey> {
    Json(ReceiptKey::of(&service.receipts.verifying_key()))
}
