//! The comparison of copied protocols with published results.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::ApiQuery;
use crate::auth::Coordinator;
use crate::error::ApiError;
use crate::results::compare::DiscrepancyReport;
use crate::service::Service;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiscrepancyQuery {
    /// Only this region's stations.
    pub region: Option<String>,
    /// Texts (check messages, candidate names, the statement line) in en, ru or kk.
    pub lang: Option<String>,
    /// json (default) or csv (a row per finding).
    pub format: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Discrepancies {
    /// Whether contests were imported (without them there is nothing to compare).
    pub contests: bool,
    /// "In N of M polling stations where observers copied the protocol, the published results
    /// differed", once results were published.
    pub statement: Option<String>,
    #[serde(flatten)]
    pub report: Option<DiscrepancyReport>,
}

/// `GET /api/v1/reports/discrepancies`: the protocols observers copied against the newest
/// published results, line by line.
#[utoipa::path(
    get,
    path = "/api/v1/reports/discrepancies",
    tag = "reports",
    summary = "Copied protocols against published results: discrepancies, unpublished stations, copies that disagree, published figures that do not add up, totals per region and candidate",
    params(DiscrepancyQuery),
    responses((status = 200, description = "The report (JSON), or a CSV table with format=csv", body = Object), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn discrepancies(
    State(service): State<Service>,
    coordinator: Coordinator,
    ApiQuery(query): ApiQuery<DiscrepancyQuery>,
) -> Result<Response, ApiError> {
    let csv = match query.format.as_deref().unwrap_or("json") {
        "json" => false,
        "csv" => true,
        other => {
            return Err(ApiError::bad_request(
                format!("'{other}' is not a format of this report"),
                "use format=json or format=csv",
            ));
        }
    };
    let lang = crate::reports::statement::language(query.lang.as_deref());
    let report = service
        .discrepancies(&coordinator.scope(), query.region, lang)
        .await?;
    if csv {
        let body = crate::results::table::csv(&report.unwrap_or_default())
            .map_err(|e| ApiError::Internal(crate::service::ServiceError::Write(e.into())))?;
        return Ok(crate::http::csv_download(body, "eom-discrepancies.csv"));
    }
    let statement = report
        .as_ref()
        .filter(|r| r.publication.is_some())
        .map(|r| crate::results::statement_line(r, lang));
    Ok(axum::Json(Discrepancies {
        contests: report.is_some(),
        statement,
        report,
    })
    .into_response())
}
