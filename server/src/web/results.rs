//! The dashboard's Results page: the protocols observers copied against the published
//! results, with links to each checklist, and the same report as a CSV file.

use axum::extract::{Query, State};
use axum::response::Response;
use eom_shared::Form;
use maud::{Markup, html};
use serde::Deserialize;

use super::Session;
use super::layout::{tr, when};
use super::pages::{error_response, render};
use crate::error::ApiError;
use crate::results::compare::DiscrepancyReport;
use crate::service::{Service, ServiceError};

#[derive(Debug, Default, Deserialize)]
pub struct ResultsQuery {
    pub region: Option<String>,
}

/// When the figures shown were read, in the mission's zone.
fn tr_time(lang: &str, zone: Option<&str>) -> String {
    rust_i18n::t!(
        "dash.results.read_at",
        time = when(chrono::Utc::now(), zone),
        locale = lang
    )
    .into_owned()
}

/// A protocol line in words: the question the observers' form asks for it.
fn line_label(form: &Form, contest: &str, line: &str, lang: &str) -> String {
    form.question(&eom_shared::contest::answer_id(contest, line))
        .map_or_else(|| line.to_owned(), |q| q.label.get(lang).to_owned())
}

fn contest_title(form: &Form, contest: &str, lang: &str) -> String {
    form.contests
        .iter()
        .find(|c| c.id == contest)
        .map_or_else(|| contest.to_owned(), |c| c.title.get(lang).to_owned())
}

fn checklist(id: eom_shared::SubmissionId, team: &str) -> Markup {
    html! { a href=(format!("/checklists/{id}")) { (team) } }
}

fn body(
    l: &str,
    zone: Option<&str>,
    form: &Form,
    r: &DiscrepancyReport,
    region: Option<&str>,
) -> Markup {
    let csv = match region {
        Some(region) => format!(
            "/results.csv?{}",
            serde_urlencoded::to_string([("region", region)]).unwrap_or_default()
        ),
        None => "/results.csv".to_owned(),
    };
    html! {
        @match &r.publication {
            None => p class="muted" #no-results { (tr(l, "dash.results.none_published")) },
            Some(p) => {
                p class="statement" #results-statement { (crate::results::statement_line(r, l)) }
                p class="muted" {
                    (tr(l, "dash.results.publication")) " " (p.version) " (" (p.source) ")"
                    @if let Some(at) = p.published_at { ", " (when(at, zone)) }
                    " · " a href=(csv) { (tr(l, "dash.results.download")) }
                }
            }
        }
        section {
            h2 { (tr(l, "dash.results.regions")) }
            table #results-regions {
                thead { tr { th { (tr(l, "dash.col.region")) } th class="num" { (tr(l, "dash.results.compared")) } th class="num" { (tr(l, "dash.results.differing")) } th class="num" { (tr(l, "dash.results.votes_affected")) } } }
                tbody { @for g in &r.regions { tr {
                    td { (g.region) } td class="num" { (g.stations_compared) } td class="num" { (g.stations_differing) } td class="num" { (g.votes_affected) }
                } } }
            }
        }
        section {
            h2 { (tr(l, "dash.results.candidates")) }
            table #results-candidates {
                thead { tr { th { (tr(l, "dash.results.contest")) } th { (tr(l, "dash.results.candidate")) } th class="num" { (tr(l, "dash.results.copied")) } th class="num" { (tr(l, "dash.results.published")) } th class="num" { (tr(l, "dash.results.difference")) } } }
                tbody { @for c in &r.candidates { tr {
                    td { (contest_title(form, &c.contest, l)) } td { (c.name) } td class="num" { (c.observed) } td class="num" { (c.official) } td class="num" { (c.official - c.observed) }
                } } }
            }
        }
        section {
            h2 { (tr(l, "dash.results.discrepancies")) }
            @if r.discrepancies.is_empty() { p class="muted" { (tr(l, "dash.results.no_discrepancies")) } }
            @else {
                table #discrepancies {
                    thead { tr { th { (tr(l, "dash.col.station")) } th { (tr(l, "dash.col.region")) } th { (tr(l, "dash.results.contest")) } th { (tr(l, "dash.results.line")) } th class="num" { (tr(l, "dash.results.copied")) } th class="num" { (tr(l, "dash.results.published")) } th { (tr(l, "dash.col.checklist")) } } }
                    tbody { @for d in &r.discrepancies { tr data-station=(d.station) {
                        td { (d.station) } td { (d.region) } td { (contest_title(form, &d.contest, l)) }
                        td { (line_label(form, &d.contest, &d.line, l)) }
                        td class="num" { (d.observed) } td class="num problem" { (d.official) }
                        td { (checklist(d.submission_id, &d.team))
                            @for sha in &d.photos { " " a class="photo" href=(format!("/checklists/{}/attachments/{sha}", d.submission_id)) { (tr(l, "dash.results.photo")) } } }
                    } } }
                }
            }
        }
        @if !r.disagreements.is_empty() {
            section {
                h2 { (tr(l, "dash.results.disagreements")) }
                table #disagreements {
                    thead { tr { th { (tr(l, "dash.col.station")) } th { (tr(l, "dash.results.contest")) } th { (tr(l, "dash.results.line")) } th { (tr(l, "dash.results.copies")) } } }
                    tbody { @for d in &r.disagreements { tr {
                        td { (d.station) } td { (contest_title(form, &d.contest, l)) } td { (line_label(form, &d.contest, &d.line, l)) }
                        td { @for (i, c) in d.copies.iter().enumerate() { @if i > 0 { "; " } (checklist(c.submission_id, &c.team)) ": " (c.value) } }
                    } } }
                }
            }
        }
        @if !r.unpublished.is_empty() {
            section {
                h2 { (tr(l, "dash.results.unpublished")) }
                table #unpublished {
                    thead { tr { th { (tr(l, "dash.col.station")) } th { (tr(l, "dash.col.region")) } th { (tr(l, "dash.results.contest")) } th { (tr(l, "dash.col.checklist")) } } }
                    tbody { @for u in &r.unpublished { tr {
                        td { (u.station) } td { (u.region) } td { (contest_title(form, &u.contest, l)) } td { (checklist(u.submission_id, &u.team)) }
                    } } }
                }
            }
        }
        @if !r.official_arithmetic.is_empty() {
            section {
                h2 { (tr(l, "dash.results.arithmetic")) }
                table #official-arithmetic {
                    thead { tr { th { (tr(l, "dash.col.station")) } th { (tr(l, "dash.results.contest")) } th { (tr(l, "dash.results.check")) } } }
                    tbody { @for a in &r.official_arithmetic { tr {
                        td { (a.station) } td { (contest_title(form, &a.contest, l)) } td { (a.message) }
                    } } }
                }
            }
        }
        @if !r.entries.is_empty() {
            section {
                h2 { (tr(l, "dash.results.entries")) }
                table #entries {
                    thead { tr { th { (tr(l, "dash.col.station")) } th { (tr(l, "dash.results.commission")) } th { (tr(l, "dash.results.entry_matched")) } th { (tr(l, "dash.results.published_differs")) } th { (tr(l, "dash.col.checklist")) } } }
                    tbody { @for e in &r.entries { tr data-station=(e.station) class=[(e.matched == Some(false)).then_some("problem")] {
                        td { (e.station) } td { (e.commission) }
                        td { @match e.matched { Some(true) => (tr(l, "dash.answer.yes")), Some(false) => { (tr(l, "dash.answer.no")) @if !e.difference.is_empty() { ": " (e.difference) } }, None => (tr(l, "dash.results.not_seen")) } }
                        td { @if e.published_differs { (tr(l, "dash.answer.yes")) } @else { (tr(l, "dash.answer.no")) } }
                        td { (checklist(e.submission_id, &e.team)) }
                    } } }
                }
            }
        }
        @let flagged: Vec<_> = r.turnout.iter().filter(|t| t.flagged).collect();
        @if !flagged.is_empty() {
            section {
                h2 { (tr(l, "dash.results.turnout")) }
                table #turnout {
                    thead { tr { th { (tr(l, "dash.col.station")) } th { (tr(l, "dash.results.contest")) } th class="num" { (tr(l, "dash.results.voted_so_far")) } th class="num" { (tr(l, "dash.results.found_copied")) } th class="num" { (tr(l, "dash.results.found_published")) } } }
                    tbody { @for t in flagged { tr {
                        td { (t.station) } td { (contest_title(form, &t.contest, l)) }
                        td class="num" { (t.voted_so_far.map(|n| n.to_string()).unwrap_or_default()) }
                        td class="num" { (t.observed_found.map(|n| n.to_string()).unwrap_or_default()) }
                        td class="num" { (t.official_found.map(|n| n.to_string()).unwrap_or_default()) }
                    } } }
                }
            }
        }
    }
}

pub async fn page(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<ResultsQuery>,
) -> Response {
    let l = user.lang;
    let zone = service.time_zone.clone();
    let result = async {
        let Some(form) = service.contest_form().await? else {
            return Ok::<Markup, ApiError>(
                html! { p class="muted" #no-contests { (tr(l, "dash.results.none_contests")) } },
            );
        };
        let region = q.region.clone().filter(|r| !r.is_empty());
        let report = service
            .discrepancies(&user.scope(), region.clone(), l)
            .await?
            .unwrap_or_default();
        let (regions, _) = service.regions_and_forms(&user.scope()).await?;
        Ok(html! {
            // Not a live page: the comparison reads every counting and voting checklist, too
            // much to redo on every change during the poll-closing burst.
            p #updated class="muted" { (tr_time(l, zone.as_deref())) }
            form method="get" action="/results" class="filters" {
                label for="region" { (tr(l, "dash.filter.region")) }
                select id="region" name="region" {
                    option value="" { (tr(l, "dash.filter.all_regions")) }
                    @for r in &regions { option value=(r) selected[region.as_deref() == Some(r.as_str())] { (r) } }
                }
                button type="submit" { (tr(l, "dash.filter.apply")) }
            }
            (body(l, zone.as_deref(), &form, &report, region.as_deref()))
        })
    }
    .await;
    render(&tr(l, "dash.nav.results"), &user, result)
}

pub async fn csv(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<ResultsQuery>,
) -> Response {
    let result = async {
        let report = service
            .discrepancies(&user.scope(), q.region.filter(|r| !r.is_empty()), user.lang)
            .await?
            .unwrap_or_default();
        crate::results::table::csv(&report)
            .map_err(|e| ApiError::Internal(ServiceError::Write(e.into())))
    }
    .await;
    match result {
        Ok(bytes) => crate::http::csv_download(bytes, "eom-discrepancies.csv"),
        Err(e) => error_response(Some(&user), e),
    }
}
