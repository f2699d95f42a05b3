use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::ApiQuery;
use crate::auth::Coordinator;
use crate::error::ApiError;
use crate::http::download;
use crate::reports::export::ExportFormat;
use crate::reports::filter::SubmissionQuery;
use crate::service::Service;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    /// The language of an XLSX file's labels: en, ru or kk.
    lang: Option<String>,
    #[serde(flatten)]
    filter: SubmissionQuery,
}

/// `GET /api/v1/export?format=csv|xlsx|jsonl&form=...&region=...`: the latest revision of each
/// matching checklist, streamed.
#[utoipa::path(
    get,
    path = "/api/v1/export",
    tag = "export",
    summary = "The latest revision of each matching checklist, streamed",
    params(("format" = Option<String>, Query, description = "csv (default), csv-excel (BOM and ';', for Excel in any locale), xlsx (a sheet per form, labels in lang, real times) or jsonl; csv needs form="), ("lang" = Option<String>, Query, description = "en (default), ru or kk: the labels of an XLSX file"), crate::reports::filter::SubmissionQuery),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn export(
    State(service): State<Service>,
    coordinator: Coordinator,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let raw_format = query.format.as_deref().unwrap_or("csv");
    let format = ExportFormat::parse(raw_format).ok_or_else(|| {
        ApiError::bad_request(
            format!("'{raw_format}' is not an export format"),
            "use format=csv, csv-excel, xlsx or jsonl",
        )
    })?;
    let filter = coordinator.scope().submissions(query.filter.to_filter()?)?;
    let filter = service
        .searching(filter, query.filter.search.as_deref())
        .await?;
    let lang = query.lang.as_deref().unwrap_or("en");
    Ok(download(service.export(format, filter, lang).await?))
}
