use axum::Json;
use axum::extract::State;
use chrono::{Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{ApiQuery, blocking};
use crate::AppState;
use crate::auth::Coordinator;
use crate::error::ApiError;
use crate::reports::figures::{
    self, AccessFigure, AssessmentReport, CoverageReport, FindingsReport, TimelineHour,
};
use crate::reports::filter::FilterQuery;
use crate::reports::{self, Summary};
use crate::store::ReportFilter;

/// Most critical findings listed.
const CRITICAL_LIMIT: u32 = 100;
/// Most silent teams listed (the total is always given).
const SILENT_LIMIT: u32 = 200;
/// An observer counts as silent after this long without a checklist, unless asked otherwise.
pub const DEFAULT_SILENT_MINUTES: u32 = 90;

/// `GET /api/v1/reports/summary`: per form, checklists and negative overall assessments.
pub async fn summary(
    State(state): State<AppState>,
    Coordinator(_coordinator): Coordinator,
) -> Result<Json<Summary>, ApiError> {
    let tallies = blocking(move || Ok(state.store.form_tallies()?)).await?;
    Ok(Json(reports::summary(&tallies)))
}

#[derive(Debug, Serialize)]
pub struct Filtered<T> {
    pub filter: FilterEcho,
    #[serde(flatten)]
    pub report: T,
}

/// The filter a report was computed with, echoed so an export or quote says what it covers.
#[derive(Debug, Serialize)]
pub struct FilterEcho {
    pub region: Option<String>,
    pub form: Option<String>,
    pub from_hour: Option<String>,
    pub to_hour: Option<String>,
}

impl From<&ReportFilter> for FilterEcho {
    fn from(f: &ReportFilter) -> Self {
        Self {
            region: f.region.clone(),
            form: f.form.clone(),
            from_hour: f.from_hour.clone(),
            to_hour: f.to_hour.clone(),
        }
    }
}

/// Negative assessments and observer access, from one read of the running totals.
pub async fn assessment_and_access(
    state: &AppState,
    filter: &ReportFilter,
) -> Result<(AssessmentReport, Vec<AccessFigure>), ApiError> {
    let (store, f) = (state.store.clone(), filter.clone());
    let rows = blocking(move || Ok(store.assessment_rows(&f)?)).await?;
    Ok((figures::assessments(&rows), figures::access(&rows)))
}

/// `GET /api/v1/reports/assessments`: negative assessments per stage and region, with 95% CI.
pub async fn assessments(
    State(state): State<AppState>,
    Coordinator(_c): Coordinator,
    ApiQuery(query): ApiQuery<FilterQuery>,
) -> Result<Json<Filtered<AssessmentReport>>, ApiError> {
    let filter = query.to_filter()?;
    let (report, _) = assessment_and_access(&state, &filter).await?;
    Ok(Json(Filtered {
        filter: (&filter).into(),
        report,
    }))
}

#[derive(Debug, Serialize)]
pub struct AccessReport {
    pub figures: Vec<AccessFigure>,
}

/// `GET /api/v1/reports/access`: share of observations in which observers were restricted.
pub async fn access(
    State(state): State<AppState>,
    Coordinator(_c): Coordinator,
    ApiQuery(query): ApiQuery<FilterQuery>,
) -> Result<Json<Filtered<AccessReport>>, ApiError> {
    let filter = query.to_filter()?;
    let (_, figures) = assessment_and_access(&state, &filter).await?;
    Ok(Json(Filtered {
        filter: (&filter).into(),
        report: AccessReport { figures },
    }))
}

pub async fn findings_report(
    state: &AppState,
    filter: &ReportFilter,
    critical_limit: u32,
) -> Result<FindingsReport, ApiError> {
    let (store, f) = (state.store.clone(), filter.clone());
    let (rows, forms, critical) = blocking(move || {
        Ok((
            store.finding_rows(&f)?,
            store.latest_forms()?,
            store.critical_findings(&f, critical_limit)?,
        ))
    })
    .await?;
    Ok(figures::findings(&rows, &forms, critical))
}

/// `GET /api/v1/reports/findings`: per question with a concern, and the critical findings.
pub async fn findings(
    State(state): State<AppState>,
    Coordinator(_c): Coordinator,
    ApiQuery(query): ApiQuery<FilterQuery>,
) -> Result<Json<Filtered<FindingsReport>>, ApiError> {
    let filter = query.to_filter()?;
    let report = findings_report(&state, &filter, CRITICAL_LIMIT).await?;
    Ok(Json(Filtered {
        filter: (&filter).into(),
        report,
    }))
}

#[derive(Debug, Deserialize)]
pub struct CoverageQuery {
    #[serde(flatten)]
    filter: FilterQuery,
    /// Observers silent for longer than this many minutes are listed.
    silent_minutes: Option<u32>,
}

pub async fn coverage_report(
    state: &AppState,
    filter: &ReportFilter,
    silent_minutes: u32,
) -> Result<CoverageReport, ApiError> {
    let (store, f) = (state.store.clone(), filter.clone());
    let before = (Utc::now() - Duration::minutes(i64::from(silent_minutes)))
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    let (rows, silent) = blocking(move || {
        Ok((
            store.coverage(&f)?,
            store.silent_observers(&before, f.region.as_deref(), SILENT_LIMIT)?,
        ))
    })
    .await?;
    Ok(figures::coverage(&rows, silent_minutes, silent))
}

/// `GET /api/v1/reports/coverage?region=&form=&from=&to=&silent_minutes=`: stations visited
/// against the station list, and observers who have sent nothing for a while.
pub async fn coverage(
    State(state): State<AppState>,
    Coordinator(_c): Coordinator,
    ApiQuery(query): ApiQuery<CoverageQuery>,
) -> Result<Json<Filtered<CoverageReport>>, ApiError> {
    let filter = query.filter.to_filter()?;
    let minutes = query.silent_minutes.unwrap_or(DEFAULT_SILENT_MINUTES);
    let report = coverage_report(&state, &filter, minutes).await?;
    Ok(Json(Filtered {
        filter: (&filter).into(),
        report,
    }))
}

#[derive(Debug, Serialize)]
pub struct Timeline {
    pub hours: Vec<TimelineHour>,
}

/// `GET /api/v1/reports/timeline?region=&form=&from=&to=`: checklists received per hour, by
/// stage; the window selects hours of receipt.
pub async fn timeline(
    State(state): State<AppState>,
    Coordinator(_c): Coordinator,
    ApiQuery(query): ApiQuery<FilterQuery>,
) -> Result<Json<Filtered<Timeline>>, ApiError> {
    let filter = query.to_filter()?;
    let f = filter.clone();
    let rows = blocking(move || Ok(state.store.arrivals(&f)?)).await?;
    Ok(Json(Filtered {
        filter: (&filter).into(),
        report: Timeline {
            hours: figures::timeline(&rows),
        },
    }))
}

#[derive(Debug, Serialize)]
pub struct Statement {
    pub lines: Vec<String>,
}

/// `GET /api/v1/reports/statement`: the figures as sentences ready to quote.
pub async fn statement(
    State(state): State<AppState>,
    Coordinator(_c): Coordinator,
    ApiQuery(query): ApiQuery<FilterQuery>,
) -> Result<Json<Filtered<Statement>>, ApiError> {
    let filter = query.to_filter()?;
    let (assessment, access) = assessment_and_access(&state, &filter).await?;
    Ok(Json(Filtered {
        filter: (&filter).into(),
        report: Statement {
            lines: figures::statement(&assessment, &access),
        },
    }))
}
