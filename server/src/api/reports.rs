use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::ApiQuery;
use crate::auth::Coordinator;
use crate::error::ApiError;
use crate::reports::Summary;
use crate::reports::figures::{
    AccessFigure, AssessmentReport, CoverageReport, FindingsReport, ProtocolCheck, RestrictionKind,
    TimelineHour,
};
use crate::reports::filter::FilterQuery;
use crate::service::Service;
use crate::service::reports::{DEFAULT_SILENT_MINUTES, Filtered, SplitBy, SplitGroup};

/// Most critical findings listed.
const CRITICAL_LIMIT: u32 = 100;

/// `GET /api/v1/reports/summary`: per form, checklists and negative overall assessments.
#[utoipa::path(
    get,
    path = "/api/v1/reports/summary",
    tag = "reports",
    summary = "Per form: checklists and negative overall assessments",
    responses((status = 200, description = "The summary", body = Object), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn summary(
    State(service): State<Service>,
    coordinator: Coordinator,
) -> Result<Json<Summary>, ApiError> {
    Ok(Json(service.summary(&coordinator.scope()).await?))
}

/// `GET /api/v1/reports/assessments`: negative assessments per stage and region, with 95% CI.
#[utoipa::path(
    get,
    path = "/api/v1/reports/assessments",
    tag = "reports",
    summary = "Negative assessments per stage and region, with 95% intervals",
    params(crate::reports::filter::FilterQuery),
    responses((status = 200, description = "The report with the filter it was computed with", body = Object), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn assessments(
    State(service): State<Service>,
    coordinator: Coordinator,
    ApiQuery(query): ApiQuery<FilterQuery>,
) -> Result<Json<Filtered<AssessmentReport>>, ApiError> {
    let filter = coordinator.scope().reports(query.to_filter()?)?;
    let (report, _) = service.assessment_and_access(&filter).await?;
    Ok(Json(Filtered::new(&filter, report)))
}

#[derive(Debug, Serialize)]
pub struct AccessReport {
    pub figures: Vec<AccessFigure>,
    /// How observers were restricted: each kind, of the restricted observations that said how.
    pub kinds: Vec<RestrictionKind>,
}

/// `GET /api/v1/reports/access`: share of observations in which observers were restricted.
#[utoipa::path(
    get,
    path = "/api/v1/reports/access",
    tag = "reports",
    summary = "Share of observations in which observers were restricted",
    params(crate::reports::filter::FilterQuery),
    responses((status = 200, description = "The report with the filter it was computed with", body = Object), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn access(
    State(service): State<Service>,
    coordinator: Coordinator,
    ApiQuery(query): ApiQuery<FilterQuery>,
) -> Result<Json<Filtered<AccessReport>>, ApiError> {
    let filter = coordinator.scope().reports(query.to_filter()?)?;
    let (_, figures) = service.assessment_and_access(&filter).await?;
    let (_, kinds) = service.protocols_and_restrictions(&filter).await?;
    Ok(Json(Filtered::new(
        &filter,
        AccessReport { figures, kinds },
    )))
}

/// `GET /api/v1/reports/findings`: per question with a concern, and the critical findings.
#[utoipa::path(
    get,
    path = "/api/v1/reports/findings",
    tag = "reports",
    summary = "Per question with a concern, and the critical findings",
    params(crate::reports::filter::FilterQuery),
    responses((status = 200, description = "The report with the filter it was computed with", body = Object), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn findings(
    State(service): State<Service>,
    coordinator: Coordinator,
    ApiQuery(query): ApiQuery<FilterQuery>,
) -> Result<Json<Filtered<FindingsReport>>, ApiError> {
    let filter = coordinator.scope().reports(query.to_filter()?)?;
    let report = service.findings(&filter, CRITICAL_LIMIT).await?;
    Ok(Json(Filtered::new(&filter, report)))
}

#[derive(Debug, Deserialize)]
pub struct CoverageQuery {
    #[serde(flatten)]
    filter: FilterQuery,
    /// Observers silent for longer than this many minutes are listed.
    silent_minutes: Option<u32>,
}

/// `GET /api/v1/reports/coverage?region=&form=&from=&to=&silent_minutes=`: stations visited
/// against the station list, and observers who have sent nothing for a while.
#[utoipa::path(
    get,
    path = "/api/v1/reports/coverage",
    tag = "reports",
    summary = "Stations visited against the station list; silent teams",
    params(crate::reports::filter::FilterQuery, ("silent_minutes" = Option<u32>, Query, description = "Teams silent longer than this are listed (default 90)")),
    responses((status = 200, description = "The report with the filter it was computed with", body = Object), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn coverage(
    State(service): State<Service>,
    coordinator: Coordinator,
    ApiQuery(query): ApiQuery<CoverageQuery>,
) -> Result<Json<Filtered<CoverageReport>>, ApiError> {
    let filter = coordinator.scope().reports(query.filter.to_filter()?)?;
    let minutes = query.silent_minutes.unwrap_or(DEFAULT_SILENT_MINUTES);
    let report = service.coverage(&filter, minutes).await?;
    Ok(Json(Filtered::new(&filter, report)))
}

#[derive(Debug, Serialize)]
pub struct Timeline {
    pub hours: Vec<TimelineHour>,
}

/// `GET /api/v1/reports/timeline?region=&form=&from=&to=`: checklists received per hour, by
/// stage; the window selects hours of receipt.
#[utoipa::path(
    get,
    path = "/api/v1/reports/timeline",
    tag = "reports",
    summary = "Checklists received per hour, by stage",
    params(crate::reports::filter::FilterQuery),
    responses((status = 200, description = "The report with the filter it was computed with", body = Object), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn timeline(
    State(service): State<Service>,
    coordinator: Coordinator,
    ApiQuery(query): ApiQuery<FilterQuery>,
) -> Result<Json<Filtered<Timeline>>, ApiError> {
    let filter = coordinator.scope().reports(query.to_filter()?)?;
    let hours = service.timeline(&filter).await?;
    Ok(Json(Filtered::new(&filter, Timeline { hours })))
}

#[derive(Debug, Serialize)]
pub struct Protocols {
    pub checks: Vec<ProtocolCheck>,
}

/// `GET /api/v1/reports/protocols`: each arithmetic check of the protocols observers copied
/// (received = issued + cancelled, found = valid + invalid, ...), failed in how many of the
/// checklists where every figure it needs was copied.
#[utoipa::path(
    get,
    path = "/api/v1/reports/protocols",
    tag = "reports",
    summary = "Protocol checks: failed in N of M copied protocols",
    params(crate::reports::filter::FilterQuery),
    responses((status = 200, description = "The report with the filter it was computed with", body = Object), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn protocols(
    State(service): State<Service>,
    coordinator: Coordinator,
    ApiQuery(query): ApiQuery<FilterQuery>,
) -> Result<Json<Filtered<Protocols>>, ApiError> {
    let filter = coordinator.scope().reports(query.to_filter()?)?;
    let (checks, _) = service.protocols_and_restrictions(&filter).await?;
    Ok(Json(Filtered::new(&filter, Protocols { checks })))
}

/// `?by=area` (urban, rural) or `?by=kind` (regular, special, abroad).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SplitQuery {
    pub by: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Split {
    pub by: SplitBy,
    pub groups: Vec<SplitGroup>,
}

/// `GET /api/v1/reports/split?by=area`: the main figures side by side for urban and rural
/// stations (or per kind: regular, special, abroad), from the station list's attributes.
#[utoipa::path(
    get,
    path = "/api/v1/reports/split",
    tag = "reports",
    summary = "The main figures split by station area or kind",
    params(crate::reports::filter::FilterQuery, SplitQuery),
    responses((status = 200, description = "One group per value, with the filter", body = Object), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn split(
    State(service): State<Service>,
    coordinator: Coordinator,
    ApiQuery(query): ApiQuery<FilterQuery>,
    ApiQuery(split): ApiQuery<SplitQuery>,
) -> Result<Json<Filtered<Split>>, ApiError> {
    let by = SplitBy::parse(split.by.as_deref().unwrap_or_default())?;
    let filter = coordinator.scope().reports(query.to_filter()?)?;
    let groups = service.split(&filter, by).await?;
    Ok(Json(Filtered::new(&filter, Split { by, groups })))
}

#[derive(Debug, Serialize)]
pub struct Statement {
    /// The language the lines are written in.
    pub lang: &'static str,
    pub lines: Vec<String>,
}

/// `?lang=ru`: the statement's language (en, ru or kk; a regional tag such as `ru-KZ` is
/// read by its language; anything else gets English).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    pub lang: Option<String>,
}

/// `GET /api/v1/reports/statement`: the figures as sentences ready to quote.
#[utoipa::path(
    get,
    path = "/api/v1/reports/statement",
    tag = "reports",
    summary = "The figures as sentences ready to quote",
    params(crate::reports::filter::FilterQuery, LangQuery),
    responses((status = 200, description = "The report with the filter it was computed with", body = Object), super::TokenErrors),
    security(("bearer" = []))
)]
pub async fn statement(
    State(service): State<Service>,
    coordinator: Coordinator,
    ApiQuery(query): ApiQuery<FilterQuery>,
    ApiQuery(lang): ApiQuery<LangQuery>,
) -> Result<Json<Filtered<Statement>>, ApiError> {
    let filter = coordinator.scope().reports(query.to_filter()?)?;
    let lang = crate::reports::statement::language(lang.lang.as_deref());
    let lines = service.statement(&filter, lang).await?;
    Ok(Json(Filtered::new(&filter, Statement { lang, lines })))
}
