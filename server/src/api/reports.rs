use axum::Json;
use axum::extract::State;

use super::blocking;
use crate::AppState;
use crate::auth::Coordinator;
use crate::error::ApiError;
use crate::reports::{self, Summary};

/// `GET /api/v1/reports/summary`: per form, checklists and negative overall assessments.
pub async fn summary(
    State(state): State<AppState>,
    Coordinator(_coordinator): Coordinator,
) -> Result<Json<Summary>, ApiError> {
    let tallies = blocking(move || Ok(state.store.form_tallies()?)).await?;
    Ok(Json(reports::summary(&tallies)))
}
