//! The dashboard's pages. Every figure comes from the same functions as the JSON API, so the
//! two always agree.

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use eom_shared::sync::ReviewStatus;
use eom_shared::{Area, Stage, StationKind};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{live_mark, page, share_cells, share_headers, silent_for};
use super::{Session, Viewer};
use crate::error::{ApiError, chain};
use crate::http::{download, parse_id};
use crate::reports::export::ExportFormat;
use crate::reports::figures::stage_name;
use crate::reports::filter::{FilterQuery, SubmissionQuery};
use crate::reports::statement;
use crate::reports::timefmt;
use crate::service::Service;
use crate::service::reports::{DEFAULT_SILENT_MINUTES, SplitBy, SplitGroup};
use crate::service::scope::Scope;

/// Errors on a page are shown as a page with the error's status, not as JSON; internal
/// details are logged and masked as the API masks them.
pub fn error_response(user: Option<&Viewer>, e: ApiError) -> Response {
    if let ApiError::Internal(cause) = &e {
        tracing::error!(error = %chain(cause), "internal error on a page");
    }
    let body = page(
        "Something went wrong",
        user,
        html! { section { p class="error" { (e.public_message()) } } },
    );
    (e.status(), body).into_response()
}

/// The page, or the error that kept it from being made.
fn render(title: &str, user: &Viewer, body: Result<Markup, ApiError>) -> Response {
    match body {
        Ok(b) => page(title, Some(user), b).into_response(),
        Err(e) => error_response(Some(user), e),
    }
}

fn area_name(area: Area) -> &'static str {
    match area {
        Area::Urban => "Urban",
        Area::Rural => "Rural",
    }
}

fn kind_name(kind: StationKind) -> &'static str {
    match kind {
        StationKind::Regular => "Regular",
        StationKind::Special => "Special (hospital, prison, ...)",
        StationKind::Abroad => "Abroad",
    }
}

/// The figures side by side for urban and rural stations, or per kind.
fn split_section(title: &str, by: SplitBy, groups: &[SplitGroup]) -> Markup {
    let name = |value: &str| match by {
        SplitBy::Area => Area::parse(value).map_or("", area_name),
        SplitBy::Kind => StationKind::parse(value).map_or("", kind_name),
    };
    html! {
        section data-split=(match by { SplitBy::Area => "area", SplitBy::Kind => "kind" }) {
            h2 { (title) }
            table {
                thead { tr { th { "Stations" } th { "Stage" } th { "Assessed negatively (checklists)" }
                             th { "Assessed negatively (stations)" } th { "Stations visited" } } }
                tbody {
                    @for g in groups {
                        @for s in g.negative.iter().filter(|s| s.negative.whole > 0) {
                            @let c = g.coverage.iter().find(|c| c.stage == s.stage);
                            tr data-value=(g.value) data-stage=(s.stage.as_str()) {
                                td { (name(g.value)) } td { (stage_name(s.stage)) }
                                td class="negative" { (s.negative.part) " of " (s.negative.whole) }
                                td class="stations" {
                                    @if let Some(c) = c { (c.assessed_negatively.part) " of " (c.assessed_negatively.whole) }
                                }
                                td { @if let Some(c) = c { (c.visited.part) " of " (c.visited.whole) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn filter_form(action: &str, q: &FilterQuery, regions: &[String], forms: &[String]) -> Markup {
    let selected = |current: &Option<String>, value: &str| current.as_deref() == Some(value);
    html! {
        form class="filters" method="get" action=(action) {
            div { label for="region" { "Region" }
                select id="region" name="region" {
                    option value="" { "All regions" }
                    @for r in regions { option value=(r) selected[selected(&q.region, r)] { (r) } }
                }
            }
            div { label for="area" { "Area" }
                select id="area" name="area" {
                    option value="" { "Urban and rural" }
                    @for a in Area::ALL {
                        option value=(a.as_str()) selected[selected(&q.area, a.as_str())] { (area_name(a)) }
                    }
                }
            }
            div { label for="kind" { "Kind of station" }
                select id="kind" name="kind" {
                    option value="" { "All kinds" }
                    @for k in StationKind::ALL {
                        option value=(k.as_str()) selected[selected(&q.kind, k.as_str())] { (kind_name(k)) }
                    }
                }
            }
            div { label for="form" { "Form" }
                select id="form" name="form" {
                    option value="" { "All forms" }
                    @for f in forms { option value=(f) selected[selected(&q.form, f)] { (f) } }
                }
            }
            div { label for="from" { "Observed from (UTC)" }
                input id="from" name="from" type="datetime-local" value=(q.from.clone().unwrap_or_default()); }
            div { label for="to" { "to" }
                input id="to" name="to" type="datetime-local" value=(q.to.clone().unwrap_or_default()); }
            button type="submit" { "Apply" }
        }
    }
}

pub async fn overview(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<FilterQuery>,
) -> Response {
    render(
        "Overview",
        &user,
        overview_body(&service, &user.account, &user.scope(), &q).await,
    )
}

/// Silent teams listed on the overview (the rest are on the Teams page).
const SILENT_SHOWN: usize = 25;

async fn overview_body(
    service: &Service,
    viewer: &crate::store::Account,
    scope: &Scope,
    q: &FilterQuery,
) -> Result<Markup, ApiError> {
    let filter = scope.reports(q.to_filter()?)?;
    let (regions, forms) = service.regions_and_forms(scope).await?;
    let (assessment, access) = service.assessment_and_access(&filter).await?;
    let coverage = service.coverage(&filter, DEFAULT_SILENT_MINUTES).await?;
    let findings = service.findings(&filter, 10).await?;
    let silent_ids: Vec<String> = coverage
        .silent_observers
        .iter()
        .take(SILENT_SHOWN)
        .map(|o| o.id.clone())
        .collect();
    let contacts: std::collections::HashMap<String, crate::store::Team> = service
        .teams_by_id(viewer, silent_ids)
        .await?
        .into_iter()
        .map(|t| (t.account.id.clone(), t))
        .collect();
    let zone = service.time_zone.clone();
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
        "en",
    );
    Ok(html! {
        (live_mark(zone.as_deref()))
        (filter_form("/", q, &regions, &forms))
        section id="statement" {
            h2 { "Statement lines" }
            @if lines.is_empty() { p class="muted" { "No checklists yet." } }
            ul class="statement" { @for l in &lines { li { (l) } } }
        }
        section id="timeline" {
            h2 { "Per hour" }
            (super::charts::timeline(&arrivals, &observed, zone.as_deref()))
        }
        section id="assessments" {
            h2 { "Assessed negatively (bad or very bad), per stage" }
            table {
                thead { tr { th { "Stage" } (share_headers("negative")) } }
                tbody {
                    @for s in &assessment.stages {
                        tr data-stage=(s.stage.as_str()) { td { (stage_name(s.stage)) } (share_cells(&s.negative)) }
                    }
                }
            }
        }
        section id="access" {
            h2 { "Observers restricted" }
            table {
                thead { tr { th { "Stage" } (share_headers("restricted")) } }
                tbody {
                    @for a in access.iter().filter(|a| a.region.is_none()) {
                        tr data-stage=(a.stage.map_or("all", Stage::as_str)) {
                            td { (a.stage.map_or("All observations", stage_name)) }
                            (share_cells(&a.restricted))
                        }
                    }
                }
            }
        }
        section id="coverage" {
            h2 { "Coverage" }
            table {
                thead { tr { th { "Stage" } (share_headers("stations visited")) } }
                tbody {
                    @for c in &coverage.totals {
                        tr data-stage=(c.stage.as_str()) { td { (stage_name(c.stage)) } (share_cells(&c.visited)) }
                    }
                }
            }
        }
        section id="silent" {
            h2 { "Silent teams" span class="muted" { " (nothing received for " (coverage.silent_after_minutes) " minutes)" } }
            @if coverage.silent_observers.is_empty() { p class="muted" { "None." } }
            table {
                tbody {
                    @for o in coverage.silent_observers.iter().take(SILENT_SHOWN) {
                        @let contact = contacts.get(&o.id);
                        tr data-id=(o.id) {
                            td { a href=(format!("/teams/{}", o.id)) { (o.name) } }
                            td { (o.region.clone().unwrap_or_default()) }
                            td class="silent" { (silent_for(o.last_received_at, now)) }
                            td { @if let Some(phone) = contact.map(|c| c.phone.as_str()).filter(|p| !p.is_empty()) { (phone) } }
                            td class="muted" { (super::teams::last_call_text(contact.and_then(|c| c.last_call.as_ref()), zone.as_deref())) }
                        }
                    }
                }
            }
            @if coverage.silent_total > SILENT_SHOWN as u64 { p class="muted" { "and " (coverage.silent_total - SILENT_SHOWN as u64) " more: " a href="/teams" { "all teams" } } }
        }
        section id="critical" {
            h2 { "Latest critical findings" }
            @if findings.critical.is_empty() { p class="muted" { "None." } }
            table {
                tbody {
                    @for f in &findings.critical {
                        tr {
                            td { a href=(format!("/checklists/{}", f.submission_id)) { (f.form_id) ": " (f.question_id) } }
                            td { (f.station) " · " (f.region) }
                            td class="muted" { (timefmt::text(f.observed_at)) }
                            td { (f.observer_name) }
                        }
                    }
                }
            }
        }
    })
}

pub async fn regions(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<FilterQuery>,
) -> Response {
    let body = async {
        let filter = user.scope().reports(q.to_filter()?)?;
        let (regions, forms) = service.regions_and_forms(&user.scope()).await?;
        let (assessment, access) = service.assessment_and_access(&filter).await?;
        let coverage = service.coverage(&filter, DEFAULT_SILENT_MINUTES).await?;
        let by_area = service.split(&filter, SplitBy::Area).await?;
        let by_kind = service.split(&filter, SplitBy::Kind).await?;
        Ok::<_, ApiError>(html! {
            (live_mark(service.time_zone.as_deref()))
            (filter_form("/regions", &q, &regions, &forms))
            (split_section("Urban and rural stations", SplitBy::Area, &by_area))
            (split_section("Regular, special and abroad", SplitBy::Kind, &by_kind))
            section {
                h2 { "Negative assessments per region" }
                table {
                    thead { tr { th { "Region" } th { "Stage" } (share_headers("negative")) } }
                    tbody {
                        @for r in &assessment.regions {
                            tr data-region=(r.region) data-stage=(r.stage.as_str()) {
                                td { (r.region) } td { (stage_name(r.stage)) } (share_cells(&r.negative))
                            }
                        }
                    }
                }
            }
            section {
                h2 { "Observers restricted per region" }
                table {
                    thead { tr { th { "Region" } th { "Stage" } (share_headers("restricted")) } }
                    tbody {
                        @for a in access.iter().filter(|a| a.region.is_some()) {
                            tr { td { (a.region.clone().unwrap_or_default()) }
                                 td { (a.stage.map_or("All", stage_name)) } (share_cells(&a.restricted)) }
                        }
                    }
                }
            }
            section {
                h2 { "Coverage per region" }
                table {
                    thead { tr { th { "Region" } th { "Stage" } (share_headers("visited")) } }
                    tbody {
                        @for c in &coverage.regions {
                            tr { td { (c.region) } td { (stage_name(c.stage)) } (share_cells(&c.visited)) }
                        }
                    }
                }
            }
        })
    }
    .await;
    render("Regions", &user, body)
}

pub async fn findings(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<FilterQuery>,
) -> Response {
    let body = async {
        let filter = user.scope().reports(q.to_filter()?)?;
        let (regions, forms) = service.regions_and_forms(&user.scope()).await?;
        let report = service.findings(&filter, 100).await?;
        let (protocols, _) = service.protocols_and_restrictions(&filter).await?;
        Ok::<_, ApiError>(html! {
            (live_mark(service.time_zone.as_deref()))
            (filter_form("/findings", &q, &regions, &forms))
            section #protocols {
                h2 { "Protocol checks: failed, of the protocols whose figures were copied" }
                @if protocols.is_empty() { p class="muted" { "No copied protocol figures yet." } }
                table {
                    thead { tr { th { "Form" } th { "Check" } (share_headers("failed")) th { "Where" } } }
                    tbody {
                        @for p in &protocols {
                            tr data-check=(format!("{}.{}", p.form_id, p.check_id)) {
                                td { (p.form_id) }
                                td { (p.label) br; span class="muted" { (p.relation) } }
                                (share_cells(&p.failed))
                                td { @if p.failed.part > 0 {
                                    a href=(format!("/checklists?form={}&failed_check={}", p.form_id, p.check_id)) { "the stations" }
                                } }
                            }
                        }
                    }
                }
            }
            section {
                h2 { "Per question: share of observations where the problem was seen" }
                table {
                    thead { tr { th { "Form" } th { "Question" } (share_headers("seen")) } }
                    tbody {
                        @for f in &report.questions {
                            tr data-question=(format!("{}.{}", f.form_id, f.question_id)) {
                                td { (f.form_id) }
                                td { (f.label) @if f.critical { " " span class="tag rejected" { "critical" } } }
                                (share_cells(&f.concern))
                            }
                        }
                    }
                }
            }
        })
    }
    .await;
    render("Findings", &user, body)
}

#[derive(Debug, Deserialize)]
pub struct ChecklistsQuery {
    #[serde(flatten)]
    filter: SubmissionQuery,
    page: Option<u32>,
}

const PER_PAGE: u32 = 50;

pub async fn checklists(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<ChecklistsQuery>,
) -> Response {
    let body = async {
        let form = q.filter.form.clone().unwrap_or_default();
        let region = q.filter.region.clone().unwrap_or_default();
        let review = q.filter.review.clone().unwrap_or_default();
        let failed_check = q.filter.failed_check.clone().unwrap_or_default();
        let search = q.filter.search.clone().unwrap_or_default();
        let (regions, forms) = service.regions_and_forms(&user.scope()).await?;
        let filter = user.scope().submissions(q.filter.to_filter()?)?;
        let filter = service.searching(filter, Some(&search)).await?;
        let page_no = q.page.unwrap_or(1).max(1);
        let listed = service.list_submissions(filter, page_no, PER_PAGE).await?;
        let query = serde_urlencoded::to_string([
            ("form", &form),
            ("region", &region),
            ("review", &review),
            ("failed_check", &failed_check),
            ("search", &search),
        ])
        .unwrap_or_default();
        let pages = listed.total.div_ceil(u64::from(PER_PAGE)).max(1);
        Ok::<_, ApiError>(html! {
            form class="filters" method="get" action="/checklists" {
                div { label for="search" { "Station, team or region" }
                    input id="search" name="search" type="search" value=(search) placeholder="шк, PEC-0, Team 7"; }
                div { label for="form" { "Form" } select id="form" name="form" {
                    option value="" { "All forms" }
                    @for f in &forms { option value=(f) selected[*f == form] { (f) } } } }
                div { label for="region" { "Region" } select id="region" name="region" {
                    option value="" { "All regions" }
                    @for r in &regions { option value=(r) selected[*r == region] { (r) } } } }
                div { label for="review" { "Review" } select id="review" name="review" {
                    option value="" { "Any" }
                    @for s in ReviewStatus::ALL { option value=(s.as_str()) selected[s.as_str() == review] { (s.as_str()) } } } }
                @if !failed_check.is_empty() {
                    input type="hidden" name="failed_check" value=(failed_check);
                }
                button type="submit" { "Apply" }
            }
            section {
                @if !failed_check.is_empty() {
                    p { "Only checklists whose protocol failed the check " code { (failed_check) } ". "
                        a href="/checklists" { "Show all" } }
                }
                p {
                    (listed.total) " checklists. Export: "
                    @if form.is_empty() {
                        a href=(format!("/export?format=jsonl&{query}")) { "JSON Lines" }
                        span class="muted" { " (choose a form for CSV and XLSX)" }
                    } @else {
                        a href=(format!("/export?format=csv&{query}")) { "CSV" } " · "
                        a href=(format!("/export?format=csv-excel&{query}")) { "CSV for Excel" } " · "
                        a href=(format!("/export?format=xlsx&{query}")) { "XLSX" } " · "
                        a href=(format!("/export?format=jsonl&{query}")) { "JSON Lines" }
                    }
                }
                table {
                    thead { tr { th { "Checklist" } th { "Station" } th { "Observer" } th { "Overall" } th { "Observed" } th { "Review" } } }
                    tbody {
                        @for s in &listed.items {
                            tr data-id=(s.id) {
                                td { a href=(format!("/checklists/{}", s.id)) { (s.form_id) " · rev " (s.revision) } }
                                td { (s.station) " · " (s.region) }
                                td { (s.observer_name) }
                                td { (s.overall.map(|a| a.as_str()).unwrap_or_default()) }
                                td class="muted" { (timefmt::text(s.observed_at)) }
                                td { @if s.review_status != ReviewStatus::None {
                                    span class=(format!("tag {}", s.review_status.as_str())) { (s.review_status.as_str()) } } }
                            }
                        }
                    }
                }
                p class="muted" {
                    "Page " (page_no) " of " (pages) " "
                    @if page_no > 1 { a href=(format!("/checklists?{query}&page={}", page_no - 1)) { "← previous" } " " }
                    @if u64::from(page_no) < pages { a href=(format!("/checklists?{query}&page={}", page_no + 1)) { "next →" } }
                }
            }
        })
    }
    .await;
    render("Checklists", &user, body)
}

pub async fn checklist(
    State(service): State<Service>,
    Session(user): Session,
    Path(raw_id): Path<String>,
) -> Response {
    let body = async {
        let id = parse_id(&raw_id)?;
        let (detail, form) = service.submission_with_form(id, &user.scope()).await?;
        let s = &detail.summary;
        let latest = detail.revisions.iter().find(|r| r.revision == s.revision);
        Ok::<_, ApiError>(html! {
            section {
                p { strong { (s.form_id) } " at " (s.station) " (" (s.region) "), by " (s.observer_name) }
                p class="muted" { "Observed " (timefmt::text(s.observed_at)) " · received " (timefmt::text(s.received_at)) " · revision " (s.revision) " of " (detail.revisions.len()) " stored" }
                p { "Review: " span id="review-status" class=(format!("tag {}", s.review_status.as_str())) { (s.review_status.as_str()) }
                    @if s.reviewed_revision.is_some_and(|r| r < s.revision) { " " span class="muted" { "(edited by the observer since)" } } }
            }
            section {
                h2 { "Review" }
                form method="post" action=(format!("/checklists/{}/review", s.id)) {
                    input type="hidden" name=(super::guard::FIELD) value=(user.csrf);
                    label for="status" { "Mark as" }
                    select id="status" name="status" {
                        @for st in [ReviewStatus::Verified, ReviewStatus::Flagged, ReviewStatus::Rejected, ReviewStatus::None] {
                            option value=(st.as_str()) selected[st == s.review_status] {
                                (match st { ReviewStatus::None => "not reviewed", other => other.as_str() })
                            }
                        }
                    }
                    label for="comment" { "Comment (the observer sees it; required to flag or reject)" }
                    textarea id="comment" name="comment" {}
                    button type="submit" { "Save review" }
                }
                @if !detail.reviews.is_empty() {
                    table { tbody { @for r in detail.reviews.iter().rev() {
                        tr { td { span class=(format!("tag {}", r.status.as_str())) { (r.status.as_str()) } }
                             td { (r.comment) } td { (r.reviewer) } td class="muted" { (timefmt::text(r.at)) " · rev " (r.revision) } }
                    } } }
                }
            }
            @if let Some(rev) = latest {
                section {
                    h2 { "Answers" }
                    table { tbody {
                        @if let Some(form) = &form {
                            @for q in &form.questions {
                                @if let Some(v) = rev.answers.get(&q.id) {
                                    tr data-question=(q.id) { td { (q.label.get("en")) } td { (answer_text(v)) } }
                                }
                            }
                        } @else {
                            tr { td { (serde_json::Value::Object(rev.answers.clone()).to_string()) } }
                        }
                    } }
                    @if !rev.notes.is_empty() { p { "Notes: " (rev.notes) } }
                    @if !rev.warnings.is_empty() {
                        h2 { "Warnings" }
                        ul { @for w in &rev.warnings { li { (w.message) } } }
                    }
                }
            }
            @if !detail.conflicts.is_empty() {
                section {
                    h2 { "Conflicting copies" }
                    p class="muted" { "Other content arrived under an already stored revision. It is kept here; nothing was overwritten." }
                    @for c in &detail.conflicts { p { "Revision " (c.revision) ", received " (timefmt::text(c.received_at)) } pre { (c.payload.to_string()) } }
                }
            }
        })
    }
    .await;
    render("Checklist", &user, body)
}

fn answer_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Bool(true) => "yes".into(),
        serde_json::Value::Bool(false) => "no".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    status: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    csrf: String,
}

pub async fn review(
    State(service): State<Service>,
    Session(user): Session,
    Path(raw_id): Path<String>,
    Form(form): Form<ReviewForm>,
) -> Response {
    if !super::guard::verify(&user.csrf, &form.csrf) {
        return super::guard::refused();
    }
    let result = async {
        let id = parse_id(&raw_id)?;
        service
            .review(
                user.id.clone(),
                &user.scope(),
                id,
                &form.status,
                &form.comment,
            )
            .await?;
        Ok::<_, ApiError>(id)
    }
    .await;
    match result {
        Ok(id) => Redirect::to(&format!("/checklists/{id}")).into_response(),
        Err(e) => error_response(Some(&user), e),
    }
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
        Ok::<_, ApiError>(download(service.export(format, filter).await?))
    }
    .await;
    result.unwrap_or_else(|e| error_response(Some(&user), e))
}

pub async fn map(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<FilterQuery>,
) -> Response {
    let body = async {
        let scope = user.scope();
        let filter = scope.reports(q.to_filter()?)?;
        let (regions, forms) = service.regions_and_forms(&scope).await?;
        let marks = service.station_marks(&filter).await?;
        Ok::<_, ApiError>(html! {
            (live_mark(service.time_zone.as_deref()))
            (filter_form("/map", &q, &regions, &forms))
            section #map { (super::charts::map(&marks)) }
        })
    }
    .await;
    render("Map of observed stations", &user, body)
}
