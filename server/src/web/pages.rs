//! The dashboard's pages: Overview, Regions, Findings, Map and the export links. Every
//! figure comes from the same functions as the JSON API, so the two always agree; every word
//! comes from the catalogues, in the viewer's language.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use eom_shared::{Area, Stage, StationKind};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{live_mark, page, share_cells, share_headers, silent_for, tr, when};
use super::{Session, Viewer};
use crate::error::{ApiError, chain};
use crate::http::download;
use crate::reports::export::ExportFormat;
use crate::reports::filter::{FilterQuery, SubmissionQuery};
use crate::reports::statement;
use crate::service::Service;
use crate::service::reports::{DEFAULT_SILENT_MINUTES, SplitBy, SplitGroup};
use crate::store::CriticalFinding;

/// Errors on a page are shown as a page with the error's status, not as JSON; internal
/// details are logged and masked as the API masks them.
pub fn error_response(user: Option<&Viewer>, e: ApiError) -> Response {
    if let ApiError::Internal(cause) = &e {
        tracing::error!(error = %chain(cause), "internal error on a page");
    }
    let lang = user.map_or("en", |u| u.lang);
    let body = page(
        &tr(lang, "dash.error.title"),
        user,
        html! { section { p class="error" { (e.public_message()) } } },
    );
    (e.status(), body).into_response()
}

/// The page, or the error that kept it from being made.
pub fn render(title: &str, user: &Viewer, body: Result<Markup, ApiError>) -> Response {
    match body {
        Ok(b) => page(title, Some(user), b).into_response(),
        Err(e) => error_response(Some(user), e),
    }
}

/// A stage's name in the viewer's language.
pub fn stage_label(lang: &str, stage: Stage) -> String {
    tr(lang, &format!("dash.stage.{}", stage.as_str()))
}

fn area_label(lang: &str, area: Area) -> String {
    tr(lang, &format!("dash.area.{}", area.as_str()))
}

fn kind_label(lang: &str, kind: StationKind) -> String {
    tr(lang, &format!("dash.kind.{}", kind.as_str()))
}

/// "8 of 50" in the viewer's language.
fn of(lang: &str, part: u64, whole: u64) -> String {
    rust_i18n::t!("dash.of", part = part, whole = whole, locale = lang).into_owned()
}

/// The figures side by side for urban and rural stations, or per kind.
fn split_section(lang: &str, title: &str, by: SplitBy, groups: &[SplitGroup]) -> Markup {
    let name = |value: &str| match by {
        SplitBy::Area => Area::parse(value).map_or_else(|_| String::new(), |a| area_label(lang, a)),
        SplitBy::Kind => {
            StationKind::parse(value).map_or_else(|_| String::new(), |k| kind_label(lang, k))
        }
    };
    html! {
        section data-split=(match by { SplitBy::Area => "area", SplitBy::Kind => "kind" }) {
            h2 { (title) }
            table {
                thead { tr { th { (tr(lang, "dash.col.stations")) } th { (tr(lang, "dash.col.stage")) }
                             th { (tr(lang, "dash.split.negative_checklists")) }
                             th { (tr(lang, "dash.split.negative_stations")) } th { (tr(lang, "dash.split.visited")) } } }
                tbody {
                    @for g in groups {
                        @for s in g.negative.iter().filter(|s| s.negative.whole > 0) {
                            @let c = g.coverage.iter().find(|c| c.stage == s.stage);
                            tr data-value=(g.value) data-stage=(s.stage.as_str()) {
                                td { (name(g.value)) } td { (stage_label(lang, s.stage)) }
                                td class="negative" { (of(lang, s.negative.part, s.negative.whole)) }
                                td class="stations" {
                                    @if let Some(c) = c { (of(lang, c.assessed_negatively.part, c.assessed_negatively.whole)) }
                                }
                                td { @if let Some(c) = c { (of(lang, c.visited.part, c.visited.whole)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn filter_form(
    lang: &str,
    zone: Option<&str>,
    action: &str,
    q: &FilterQuery,
    regions: &[String],
    forms: &[String],
    titles: &HashMap<String, String>,
) -> Markup {
    let selected = |current: &Option<String>, value: &str| current.as_deref() == Some(value);
    html! {
        form class="filters" method="get" action=(action) {
            div { label for="region" { (tr(lang, "dash.filter.region")) }
                select id="region" name="region" {
                    option value="" { (tr(lang, "dash.filter.all_regions")) }
                    @for r in regions { option value=(r) selected[selected(&q.region, r)] { (r) } }
                }
            }
            div { label for="area" { (tr(lang, "dash.filter.area")) }
                select id="area" name="area" {
                    option value="" { (tr(lang, "dash.filter.all_areas")) }
                    @for a in Area::ALL {
                        option value=(a.as_str()) selected[selected(&q.area, a.as_str())] { (area_label(lang, a)) }
                    }
                }
            }
            div { label for="kind" { (tr(lang, "dash.filter.kind")) }
                select id="kind" name="kind" {
                    option value="" { (tr(lang, "dash.filter.all_kinds")) }
                    @for k in StationKind::ALL {
                        option value=(k.as_str()) selected[selected(&q.kind, k.as_str())] { (kind_label(lang, k)) }
                    }
                }
            }
            div { label for="form" { (tr(lang, "dash.filter.form")) }
                select id="form" name="form" {
                    option value="" { (tr(lang, "dash.filter.all_forms")) }
                    @for f in forms { option value=(f) selected[selected(&q.form, f)] { (titles.get(f).map_or(f.as_str(), String::as_str)) } }
                }
            }
            div { label for="from" { (rust_i18n::t!("dash.filter.from", zone = zone.unwrap_or("UTC"), locale = lang)) }
                input id="from" name="from" type="datetime-local" value=(q.from.clone().unwrap_or_default()); }
            div { label for="to" { (tr(lang, "dash.filter.to")) }
                input id="to" name="to" type="datetime-local" value=(q.to.clone().unwrap_or_default()); }
            button type="submit" { (tr(lang, "dash.filter.apply")) }
        }
    }
}

pub async fn overview(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<FilterQuery>,
) -> Response {
    render(
        &tr(user.lang, "dash.nav.overview"),
        &user,
        overview_body(&service, &user, &q).await,
    )
}

/// Silent teams listed on the overview (the rest are on the Teams page).
const SILENT_SHOWN: usize = 25;
/// Critical findings listed per stage on the overview.
const CRITICAL_PER_STAGE: u32 = 5;

async fn overview_body(
    service: &Service,
    user: &Viewer,
    q: &FilterQuery,
) -> Result<Markup, ApiError> {
    let l = user.lang;
    let scope = user.scope();
    let filter = scope.reports(q.in_zone(service.time_zone.as_deref()).to_filter()?)?;
    let (regions, forms) = service.regions_and_forms(&scope).await?;
    let titles = service.form_titles(l).await?;
    let (assessment, access) = service.assessment_and_access(&filter).await?;
    let coverage = service.coverage(&filter, DEFAULT_SILENT_MINUTES).await?;
    let critical = service
        .critical_by_stage(&filter, CRITICAL_PER_STAGE)
        .await?;
    let labels = service.question_labels(l).await?;
    let silent_ids: Vec<String> = coverage
        .silent_observers
        .iter()
        .take(SILENT_SHOWN)
        .map(|o| o.id.clone())
        .collect();
    let contacts: HashMap<String, crate::store::Team> = service
        .teams_by_id(&user.account, silent_ids)
        .await?
        .into_iter()
        .map(|t| (t.account.id.clone(), t))
        .collect();
    let zone = service.time_zone.clone();
    let zone = zone.as_deref();
    let now = chrono::Utc::now();
    let (arrivals, observed) = service.hourly(&filter).await?;
    // The statement from the figures this page already read, not a second read of them.
    let (protocols, restrictions) = service.protocols_and_restrictions(&filter).await?;
    let lines = statement::lines(
        &statement::Figures {
            assessment: &assessment,
            access: &access,
            coverage: &coverage.totals,
            protocols: &protocols,
            restrictions: &restrictions,
        },
        l,
    );
    let finding_row = |f: &CriticalFinding| {
        html! {
            tr {
                td { a href=(format!("/checklists/{}", f.submission_id)) {
                    (labels.get(&(f.form_id.to_string(), f.question_id.clone())).cloned().unwrap_or_else(|| f.question_id.clone())) } }
                td { (f.station) " · " (f.region) }
                td class="muted" { (when(f.observed_at, zone)) }
                td { (f.observer_name) }
            }
        }
    };
    Ok(html! {
        (live_mark(l, zone))
        (filter_form(l, zone, "/", q, &regions, &forms, &titles))
        section id="statement" {
            h2 { (tr(l, "dash.overview.statement")) }
            @if lines.is_empty() { p class="muted" { (tr(l, "dash.none_yet")) } }
            ul class="statement" { @for line in &lines { li { (line) } } }
        }
        section id="critical" {
            h2 { (tr(l, "dash.overview.critical")) }
            @if critical.is_empty() { p class="muted" { (tr(l, "dash.none")) } }
            @for (stage, findings) in &critical {
                h3 data-stage=(stage.as_str()) { (stage_label(l, *stage)) }
                table data-stage=(stage.as_str()) { tbody { @for f in findings { (finding_row(f)) } } }
            }
        }
        section id="timeline" {
            h2 { (tr(l, "dash.overview.per_hour")) }
            (super::charts::timeline(l, &arrivals, &observed, zone))
        }
        section id="assessments" {
            h2 { (tr(l, "dash.overview.negative")) }
            table {
                thead { tr { th { (tr(l, "dash.col.stage")) } (share_headers(l, &tr(l, "dash.share.negative"))) } }
                tbody {
                    @for s in &assessment.stages {
                        tr data-stage=(s.stage.as_str()) { td { (stage_label(l, s.stage)) } (share_cells(l, &s.negative)) }
                    }
                }
            }
        }
        section id="access" {
            h2 { (tr(l, "dash.overview.restricted")) }
            table {
                thead { tr { th { (tr(l, "dash.col.stage")) } (share_headers(l, &tr(l, "dash.share.restricted"))) } }
                tbody {
                    @for a in access.iter().filter(|a| a.region.is_none()) {
                        tr data-stage=(a.stage.map_or("all", Stage::as_str)) {
                            td { (a.stage.map_or_else(|| tr(l, "dash.all_observations"), |s| stage_label(l, s))) }
                            (share_cells(l, &a.restricted))
                        }
                    }
                }
            }
        }
        section id="coverage" {
            h2 { (tr(l, "dash.overview.coverage")) }
            table {
                thead { tr { th { (tr(l, "dash.col.stage")) } (share_headers(l, &tr(l, "dash.share.visited"))) } }
                tbody {
                    @for c in &coverage.totals {
                        tr data-stage=(c.stage.as_str()) { td { (stage_label(l, c.stage)) } (share_cells(l, &c.visited)) }
                    }
                }
            }
        }
        section id="silent" {
            h2 { (tr(l, "dash.overview.silent")) span class="muted" { " (" (rust_i18n::t!("dash.overview.silent_after", minutes = coverage.silent_after_minutes, locale = l)) ")" } }
            @if coverage.silent_observers.is_empty() { p class="muted" { (tr(l, "dash.none")) } }
            table {
                tbody {
                    @for o in coverage.silent_observers.iter().take(SILENT_SHOWN) {
                        @let contact = contacts.get(&o.id);
                        tr data-id=(o.id) {
                            td { a href=(format!("/teams/{}", o.id)) { (o.name) } }
                            td { (o.region.clone().unwrap_or_default()) }
                            td class="silent" { (silent_for(l, o.last_received_at, now)) }
                            td { @if let Some(phone) = contact.map(|c| c.phone.as_str()).filter(|p| !p.is_empty()) { (phone) } }
                            td class="muted" { (super::teams::last_call_text(l, contact.and_then(|c| c.last_call.as_ref()), zone)) }
                        }
                    }
                }
            }
            @if coverage.silent_total > SILENT_SHOWN as u64 {
                p class="muted" { (rust_i18n::t!("dash.overview.more", count = coverage.silent_total - SILENT_SHOWN as u64, locale = l)) " " a href="/teams" { (tr(l, "dash.nav.teams")) } }
            }
        }
    })
}

pub async fn regions(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<FilterQuery>,
) -> Response {
    let l = user.lang;
    let body = async {
        let filter = user.scope().reports(q.in_zone(service.time_zone.as_deref()).to_filter()?)?;
        let (regions, forms) = service.regions_and_forms(&user.scope()).await?;
        let titles = service.form_titles(l).await?;
        let (assessment, access) = service.assessment_and_access(&filter).await?;
        let coverage = service.coverage(&filter, DEFAULT_SILENT_MINUTES).await?;
        let by_area = service.split(&filter, SplitBy::Area).await?;
        let by_kind = service.split(&filter, SplitBy::Kind).await?;
        Ok::<_, ApiError>(html! {
            (live_mark(l, service.time_zone.as_deref()))
            (filter_form(l, service.time_zone.as_deref(), "/regions", &q, &regions, &forms, &titles))
            (split_section(l, &tr(l, "dash.regions.by_area"), SplitBy::Area, &by_area))
            (split_section(l, &tr(l, "dash.regions.by_kind"), SplitBy::Kind, &by_kind))
            section {
                h2 { (tr(l, "dash.regions.negative")) }
                table {
                    thead { tr { th { (tr(l, "dash.col.region")) } th { (tr(l, "dash.col.stage")) } (share_headers(l, &tr(l, "dash.share.negative"))) } }
                    tbody {
                        @for r in &assessment.regions {
                            tr data-region=(r.region) data-stage=(r.stage.as_str()) {
                                td { (r.region) } td { (stage_label(l, r.stage)) } (share_cells(l, &r.negative))
                            }
                        }
                    }
                }
            }
            section {
                h2 { (tr(l, "dash.regions.restricted")) }
                table {
                    thead { tr { th { (tr(l, "dash.col.region")) } th { (tr(l, "dash.col.stage")) } (share_headers(l, &tr(l, "dash.share.restricted"))) } }
                    tbody {
                        @for a in access.iter().filter(|a| a.region.is_some()) {
                            tr { td { (a.region.clone().unwrap_or_default()) }
                                 td { (a.stage.map_or_else(|| tr(l, "dash.all_observations"), |s| stage_label(l, s))) } (share_cells(l, &a.restricted)) }
                        }
                    }
                }
            }
            section {
                h2 { (tr(l, "dash.regions.coverage")) }
                table {
                    thead { tr { th { (tr(l, "dash.col.region")) } th { (tr(l, "dash.col.stage")) } (share_headers(l, &tr(l, "dash.share.visited"))) } }
                    tbody {
                        @for c in &coverage.regions {
                            tr { td { (c.region) } td { (stage_label(l, c.stage)) } (share_cells(l, &c.visited)) }
                        }
                    }
                }
            }
        })
    }
    .await;
    render(&tr(l, "dash.nav.regions"), &user, body)
}

pub async fn findings(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<FilterQuery>,
) -> Response {
    let l = user.lang;
    let body = async {
        let filter = user.scope().reports(q.in_zone(service.time_zone.as_deref()).to_filter()?)?;
        let (regions, forms) = service.regions_and_forms(&user.scope()).await?;
        let titles = service.form_titles(l).await?;
        let labels = service.question_labels(l).await?;
        let checks = service.check_labels(l).await?;
        let report = service.findings(&filter, 100).await?;
        let (protocols, _) = service.protocols_and_restrictions(&filter).await?;
        let title = |id: &str| titles.get(id).cloned().unwrap_or_else(|| id.to_owned());
        Ok::<_, ApiError>(html! {
            (live_mark(l, service.time_zone.as_deref()))
            (filter_form(l, service.time_zone.as_deref(), "/findings", &q, &regions, &forms, &titles))
            section #protocols {
                h2 { (tr(l, "dash.findings.protocols")) }
                @if protocols.is_empty() { p class="muted" { (tr(l, "dash.findings.no_protocols")) } }
                table {
                    thead { tr { th { (tr(l, "dash.filter.form")) } th { (tr(l, "dash.findings.check")) } (share_headers(l, &tr(l, "dash.share.failed"))) th {} } }
                    tbody {
                        @for p in &protocols {
                            tr data-check=(format!("{}.{}", p.form_id, p.check_id)) {
                                td { (title(&p.form_id)) }
                                td { (checks.get(&(p.form_id.clone(), p.check_id.clone())).cloned().unwrap_or_else(|| p.label.clone())) br; span class="muted" { (p.relation) } }
                                (share_cells(l, &p.failed))
                                td { @if p.failed.part > 0 {
                                    a href=(format!("/checklists?{}", serde_urlencoded::to_string([("form", p.form_id.as_str()), ("failed_check", p.check_id.as_str())]).unwrap_or_default())) { (tr(l, "dash.findings.stations")) }
                                } }
                            }
                        }
                    }
                }
            }
            section {
                h2 { (tr(l, "dash.findings.questions")) }
                table {
                    thead { tr { th { (tr(l, "dash.filter.form")) } th { (tr(l, "dash.findings.question")) } (share_headers(l, &tr(l, "dash.share.seen"))) } }
                    tbody {
                        @for f in &report.questions {
                            tr data-question=(format!("{}.{}", f.form_id, f.question_id)) {
                                td { (title(&f.form_id)) }
                                td { (labels.get(&(f.form_id.clone(), f.question_id.clone())).cloned().unwrap_or_else(|| f.label.clone()))
                                     @if f.critical { " " span class="tag rejected" { (tr(l, "dash.critical")) } } }
                                (share_cells(l, &f.concern))
                            }
                        }
                    }
                }
            }
        })
    }
    .await;
    render(&tr(l, "dash.nav.findings"), &user, body)
}

#[derive(Debug, Deserialize)]
pub struct ExportPageQuery {
    format: Option<String>,
    #[serde(flatten)]
    filter: SubmissionQuery,
}

pub async fn export(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<ExportPageQuery>,
) -> Response {
    let result = async {
        let format =
            ExportFormat::parse(q.format.as_deref().unwrap_or("csv")).ok_or_else(|| {
                ApiError::bad_request("unknown export format", "use csv, csv-excel, xlsx or jsonl")
            })?;
        let filter = user.scope().submissions(q.filter.to_filter()?)?;
        let filter = service
            .searching(filter, q.filter.search.as_deref())
            .await?;
        Ok::<_, ApiError>(download(service.export(format, filter, user.lang).await?))
    }
    .await;
    result.unwrap_or_else(|e| error_response(Some(&user), e))
}

pub async fn map(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<FilterQuery>,
) -> Response {
    let l = user.lang;
    let body = async {
        let scope = user.scope();
        let filter = scope.reports(q.in_zone(service.time_zone.as_deref()).to_filter()?)?;
        let (regions, forms) = service.regions_and_forms(&scope).await?;
        let titles = service.form_titles(l).await?;
        let marks = service.station_marks(&filter).await?;
        Ok::<_, ApiError>(html! {
            (live_mark(l, service.time_zone.as_deref()))
            (filter_form(l, service.time_zone.as_deref(), "/map", &q, &regions, &forms, &titles))
            section #map { (super::charts::map(l, &marks)) }
        })
    }
    .await;
    render(&tr(l, "dash.map.title"), &user, body)
}
