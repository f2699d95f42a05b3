//! The dashboard's Checklists pages: the list with search and filters, and one checklist
//! with its answers in the reader's language (problem answers highlighted), every revision
//! with what changed from the one before, and the review form, whose mistakes are shown on
//! the page with what was typed kept.

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use eom_shared::form::{AnswerWords, Form as ChecklistForm, Question, answer_text};
use eom_shared::sync::ReviewStatus;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::layout::{page, tr, when};
use super::pages::error_response;
use super::{Session, Viewer};
use crate::error::ApiError;
use crate::http::parse_id;
use crate::reports::filter::SubmissionQuery;
use crate::service::Service;
use crate::store::{RevisionRecord, SubmissionDetail};

#[derive(Debug, Deserialize)]
pub struct ChecklistsQuery {
    #[serde(flatten)]
    filter: SubmissionQuery,
    page: Option<u32>,
}

const PER_PAGE: u32 = 50;

/// A review status as the dashboard says it.
pub fn review_label(lang: &str, status: ReviewStatus) -> String {
    tr(lang, &format!("dash.review.{}", status.as_str()))
}

pub async fn list(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<ChecklistsQuery>,
) -> Response {
    let l = user.lang;
    let zone = service.time_zone.clone();
    let body = async {
        let form = q.filter.form.clone().unwrap_or_default();
        let region = q.filter.region.clone().unwrap_or_default();
        let review = q.filter.review.clone().unwrap_or_default();
        let failed_check = q.filter.failed_check.clone().unwrap_or_default();
        let search = q.filter.search.clone().unwrap_or_default();
        let (regions, forms) = service.regions_and_forms(&user.scope()).await?;
        let titles = service.form_titles(l).await?;
        let title = |id: &str| titles.get(id).cloned().unwrap_or_else(|| id.to_owned());
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
                div { label for="search" { (tr(l, "dash.checklists.search")) }
                    input id="search" name="search" type="search" value=(search) placeholder="шк, PEC-0, Team 7"; }
                div { label for="form" { (tr(l, "dash.filter.form")) } select id="form" name="form" {
                    option value="" { (tr(l, "dash.filter.all_forms")) }
                    @for f in &forms { option value=(f) selected[*f == form] { (title(f)) } } } }
                div { label for="region" { (tr(l, "dash.filter.region")) } select id="region" name="region" {
                    option value="" { (tr(l, "dash.filter.all_regions")) }
                    @for r in &regions { option value=(r) selected[*r == region] { (r) } } } }
                div { label for="review" { (tr(l, "dash.checklists.review")) } select id="review" name="review" {
                    option value="" { (tr(l, "dash.checklists.any")) }
                    @for s in ReviewStatus::ALL { option value=(s.as_str()) selected[s.as_str() == review] { (review_label(l, s)) } } } }
                @if !failed_check.is_empty() {
                    input type="hidden" name="failed_check" value=(failed_check);
                }
                button type="submit" { (tr(l, "dash.filter.apply")) }
            }
            section {
                @if !failed_check.is_empty() {
                    p { (tr(l, "dash.checklists.failed_check")) " " code { (failed_check) } ". "
                        a href="/checklists" { (tr(l, "dash.checklists.show_all")) } }
                }
                p #listed {
                    (t_count(l, "dash.checklists.count", listed.total)) " "
                    @if form.is_empty() {
                        a href=(format!("/export?format=xlsx&{query}")) { "XLSX" } " · "
                        a href=(format!("/export?format=jsonl&{query}")) { "JSON Lines" }
                        span class="muted" { " (" (tr(l, "dash.checklists.choose_form")) ")" }
                    } @else {
                        a href=(format!("/export?format=csv&{query}")) { "CSV" } " · "
                        a href=(format!("/export?format=csv-excel&{query}")) { (tr(l, "dash.checklists.csv_excel")) } " · "
                        a href=(format!("/export?format=xlsx&{query}")) { "XLSX" } " · "
                        a href=(format!("/export?format=jsonl&{query}")) { "JSON Lines" }
                    }
                }
                table {
                    thead { tr {
                        th { (tr(l, "dash.col.checklist")) } th { (tr(l, "dash.col.station")) } th { (tr(l, "dash.col.observer")) }
                        th { (tr(l, "dash.col.overall")) } th { (tr(l, "dash.col.observed")) } th { (tr(l, "dash.col.review")) }
                    } }
                    tbody {
                        @for s in &listed.items {
                            tr data-id=(s.id) {
                                td { a href=(format!("/checklists/{}", s.id)) { (title(s.form_id.as_str())) } " · " (tr(l, "dash.rev")) " " (s.revision) }
                                td { (s.station) " · " (s.region) }
                                td { (s.observer_name) }
                                td { @if let Some(a) = s.overall { span class=(if a.is_negative() { "tag rejected" } else { "tag" }) { (tr(l, &format!("dash.assessment.{}", a.as_str()))) } } }
                                td class="muted" { (when(s.observed_at, zone.as_deref())) }
                                td { @if s.review_status != ReviewStatus::None {
                                    span class=(format!("tag {}", s.review_status.as_str())) { (review_label(l, s.review_status)) } } }
                            }
                        }
                    }
                }
                p class="muted" {
                    (tr(l, "dash.page")) " " (page_no) " / " (pages) " "
                    @if page_no > 1 { a href=(format!("/checklists?{query}&page={}", page_no - 1)) { "←" } " " }
                    @if u64::from(page_no) < pages { a href=(format!("/checklists?{query}&page={}", page_no + 1)) { "→" } }
                }
            }
        })
    }
    .await;
    match body {
        Ok(b) => page(&tr(l, "dash.nav.checklists"), Some(&user), b).into_response(),
        Err(e) => error_response(Some(&user), e),
    }
}

/// "12 checklists" in the viewer's language.
fn t_count(lang: &str, key: &str, n: u64) -> String {
    rust_i18n::t!(key, count = n, locale = lang).into_owned()
}

/// The words answers are shown with in `lang`.
fn words(lang: &str) -> [String; 7] {
    [
        tr(lang, "dash.answer.yes"),
        tr(lang, "dash.answer.no"),
        tr(lang, "dash.answer.not_observed"),
        tr(lang, "dash.assessment.very_good"),
        tr(lang, "dash.assessment.good"),
        tr(lang, "dash.assessment.bad"),
        tr(lang, "dash.assessment.very_bad"),
    ]
}

fn shown(q: &Question, value: &Value, lang: &str, w: &[String; 7]) -> String {
    answer_text(
        q,
        value,
        lang,
        &AnswerWords {
            yes: &w[0],
            no: &w[1],
            not_observed: &w[2],
            assessments: [&w[3], &w[4], &w[5], &w[6]],
        },
    )
}

/// What changed from one revision to the next: (question, before, after), in form order;
/// answers of questions the form no longer has come last by id.
pub fn changes(
    form: Option<&ChecklistForm>,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Vec<(String, Option<Value>, Option<Value>)> {
    let mut ids: Vec<String> = form
        .map(|f| f.questions.iter().map(|q| q.id.clone()).collect())
        .unwrap_or_default();
    let mut rest: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| !ids.contains(k))
        .cloned()
        .collect();
    rest.sort();
    rest.dedup();
    ids.extend(rest);
    ids.into_iter()
        .filter_map(|id| {
            let (b, a) = (before.get(&id), after.get(&id));
            (b != a).then(|| (id, b.cloned(), a.cloned()))
        })
        .collect()
}

/// A typed review that was refused, shown on the page with the reason.
pub struct ReviewAttempt {
    pub status: String,
    pub comment: String,
    pub error: String,
}

fn revision_diff(
    lang: &str,
    form: Option<&ChecklistForm>,
    previous: &RevisionRecord,
    rev: &RevisionRecord,
    w: &[String; 7],
    zone: Option<&str>,
) -> Markup {
    let label = |id: &str| {
        form.and_then(|f| f.question(id))
            .map_or_else(|| id.to_owned(), |q| q.label.get(lang).to_owned())
    };
    let value = |id: &str, v: &Option<Value>| match (v, form.and_then(|f| f.question(id))) {
        (None, _) => "—".to_owned(),
        (Some(v), Some(q)) => shown(q, v, lang, w),
        (Some(v), None) => v.to_string(),
    };
    let changed = changes(form, &previous.answers, &rev.answers);
    html! {
        div class="revision" data-revision=(rev.revision) {
            h3 { (tr(lang, "dash.rev")) " " (rev.revision) span class="muted" { " · " (when(rev.received_at, zone)) } }
            @if previous.station != rev.station { p class="change" { (tr(lang, "dash.col.station")) ": " del { (previous.station) } " → " ins { (rev.station) } } }
            @if previous.observed_at != rev.observed_at { p class="change" { (tr(lang, "dash.col.observed")) ": " del { (when(previous.observed_at, zone)) } " → " ins { (when(rev.observed_at, zone)) } } }
            @if previous.notes != rev.notes { p class="change" { (tr(lang, "dash.checklist.notes")) ": " del { (previous.notes) } " → " ins { (rev.notes) } } }
            @if changed.is_empty() && previous.station == rev.station && previous.notes == rev.notes && previous.observed_at == rev.observed_at {
                p class="muted" { (tr(lang, "dash.checklist.same_answers")) }
            }
            @if !changed.is_empty() {
                table class="diff" { tbody { @for (id, b, a) in &changed {
                    tr data-question=(id) { td { (label(id)) } td { del { (value(id, b)) } } td { ins { (value(id, a)) } } }
                } } }
            }
        }
    }
}

/// One checklist, with a refused review shown in place.
pub async fn detail_page(
    service: &Service,
    user: &Viewer,
    raw_id: &str,
    attempt: Option<ReviewAttempt>,
) -> Response {
    let l = user.lang;
    let zone = service.time_zone.clone();
    let zone = zone.as_deref();
    let body = async {
        let id = parse_id(raw_id)?;
        let (detail, form): (SubmissionDetail, Option<ChecklistForm>) =
            service.submission_with_form(id, &user.scope()).await?;
        let disagreements = if detail.summary.stage == eom_shared::Stage::Counting {
            service.disagreements_with(id).await?
        } else {
            Vec::new()
        };
        let w = words(l);
        let s = &detail.summary;
        let latest = detail.revisions.iter().find(|r| r.revision == s.revision);
        let title = form.as_ref().map_or_else(|| s.form_id.to_string(), |f| f.title.get(l).to_owned());
        let (status, comment) = attempt
            .as_ref()
            .map_or((s.review_status.as_str().to_owned(), String::new()), |a| (a.status.clone(), a.comment.clone()));
        Ok::<_, ApiError>(html! {
            section {
                p { strong { (title) } " · " (s.station) " (" (s.region) ") · " (s.observer_name) }
                p class="muted" {
                    (tr(l, "dash.col.observed")) " " (when(s.observed_at, zone)) " · "
                    (tr(l, "dash.checklist.received")) " " (when(s.received_at, zone)) " · "
                    (tr(l, "dash.rev")) " " (s.revision) " / " (detail.revisions.len())
                }
                p { (tr(l, "dash.col.review")) ": " span id="review-status" class=(format!("tag {}", s.review_status.as_str())) { (review_label(l, s.review_status)) }
                    @if s.reviewed_revision.is_some_and(|r| r < s.revision) { " " span class="muted" { (tr(l, "dash.checklist.edited_since")) } } }
            }
            @if detail.revisions.len() > 1 {
                section #revisions {
                    h2 { (tr(l, "dash.checklist.revisions")) }
                    @for pair in detail.revisions.windows(2).rev() {
                        (revision_diff(l, form.as_ref(), &pair[0], &pair[1], &w, zone))
                    }
                    p class="muted" { (tr(l, "dash.rev")) " 1 · " (when(detail.revisions[0].received_at, zone)) }
                }
            }
            @if !disagreements.is_empty() {
                section #disagreements {
                    h2 { (tr(l, "dash.results.disagreements")) }
                    p class="problem" { (tr(l, "dash.checklist.copies_differ")) }
                    table { tbody { @for d in &disagreements {
                        @let label = form.as_ref().and_then(|f| f.question(&eom_shared::contest::answer_id(&d.contest, &d.line))).map_or_else(|| format!("{}.{}", d.contest, d.line), |q| q.label.get(l).to_owned());
                        tr data-line=(format!("{}.{}", d.contest, d.line)) {
                            td { (label) }
                            td { @for (i, c) in d.copies.iter().enumerate() {
                                @if i > 0 { "; " }
                                @if c.submission_id == s.id { strong { (c.team) ": " (c.value) } }
                                @else { a href=(format!("/checklists/{}", c.submission_id)) { (c.team) } ": " (c.value) }
                            } }
                        }
                    } } }
                }
            }
            @if !detail.attachments.is_empty() {
                section #photos {
                    h2 { (tr(l, "dash.checklist.photos")) }
                    @for a in &detail.attachments {
                        @let src = format!("/checklists/{}/attachments/{}", s.id, a.sha256);
                        figure data-sha256=(a.sha256) {
                            a href=(src) { img src=(src) alt=(a.name) loading="lazy"; }
                            figcaption { (a.name) " · " (format!("{:.1} MB", a.size as f64 / 1_048_576.0)) " · " (when(a.added_at, zone)) br; "SHA-256 " code { (a.sha256) } }
                        }
                    }
                }
            }
            @if let Some(rev) = latest {
                section #answers {
                    h2 { (tr(l, "dash.checklist.answers")) }
                    table { tbody {
                        @if let Some(form) = &form {
                            @for q in &form.questions {
                                @if let Some(v) = rev.answers.get(&q.id) {
                                    @let problem = q.concern.as_ref().filter(|c| c.is_seen_in(v));
                                    tr data-question=(q.id) class=[problem.map(|c| if c.critical { "problem critical" } else { "problem" })] {
                                        td { (q.label.get(l)) }
                                        td { (shown(q, v, l, &w))
                                             @if problem.is_some_and(|c| c.critical) { " " span class="tag rejected" { (tr(l, "dash.critical")) } } }
                                    }
                                }
                            }
                        } @else {
                            tr { td { (Value::Object(rev.answers.clone()).to_string()) } }
                        }
                    } }
                    @if !rev.notes.is_empty() { p { (tr(l, "dash.checklist.notes")) ": " (rev.notes) } }
                    @if !rev.warnings.is_empty() {
                        h2 { (tr(l, "dash.checklist.warnings")) }
                        ul { @for w in &rev.warnings { li { (w.message) } } }
                    }
                }
            }
            section #review {
                h2 { (tr(l, "dash.col.review")) }
                @if let Some(a) = &attempt { p class="error" #review-error role="alert" { (a.error) } }
                form method="post" action=(format!("/checklists/{}/review", s.id)) {
                    input type="hidden" name=(super::guard::FIELD) value=(user.csrf);
                    label for="status" { (tr(l, "dash.checklist.mark_as")) }
                    select id="status" name="status" {
                        @for st in [ReviewStatus::Verified, ReviewStatus::Flagged, ReviewStatus::Rejected, ReviewStatus::None] {
                            option value=(st.as_str()) selected[st.as_str() == status] { (review_label(l, st)) }
                        }
                    }
                    label for="comment" { (tr(l, "dash.checklist.comment")) }
                    textarea id="comment" name="comment" { (comment) }
                    button type="submit" { (tr(l, "dash.checklist.save_review")) }
                }
                @if !detail.reviews.is_empty() {
                    table { tbody { @for r in detail.reviews.iter().rev() {
                        tr { td { span class=(format!("tag {}", r.status.as_str())) { (review_label(l, r.status)) } }
                             td { (r.comment) } td { (r.reviewer) } td class="muted" { (when(r.at, zone)) " · " (tr(l, "dash.rev")) " " (r.revision) } }
                    } } }
                }
            }
            @if !detail.conflicts.is_empty() {
                section {
                    h2 { (tr(l, "dash.checklist.conflicts")) }
                    p class="muted" { (tr(l, "dash.checklist.conflicts_hint")) }
                    @for c in &detail.conflicts { p { (tr(l, "dash.rev")) " " (c.revision) ", " (when(c.received_at, zone)) } pre { (c.payload.to_string()) } }
                }
            }
        })
    }
    .await;
    let status = if attempt.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    match body {
        Ok(b) => (status, page(&tr(l, "dash.checklist.title"), Some(user), b)).into_response(),
        Err(e) => error_response(Some(user), e),
    }
}

pub async fn detail(
    State(service): State<Service>,
    Session(user): Session,
    Path(raw_id): Path<String>,
) -> Response {
    detail_page(&service, &user, &raw_id, None).await
}

/// A photo of a checklist, for the page's `<img>`.
pub async fn attachment(
    State(service): State<Service>,
    Session(user): Session,
    Path((raw_id, sha256)): Path<(String, String)>,
) -> Response {
    let result = async {
        let id = parse_id(&raw_id)?;
        let (mime, bytes) = service.attachment(&user.scope(), id, sha256).await?;
        Ok::<_, ApiError>(crate::http::attachment_response(&mime, bytes))
    }
    .await;
    result.unwrap_or_else(|e| error_response(Some(&user), e))
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
    let id = match parse_id(&raw_id) {
        Ok(id) => id,
        Err(e) => return error_response(Some(&user), e),
    };
    match service
        .review(
            user.id.clone(),
            &user.scope(),
            id,
            &form.status,
            &form.comment,
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/checklists/{id}")).into_response(),
        // A mistake in the form is shown on the page, with what was typed kept.
        Err(crate::service::ServiceError::Invalid { message, hint }) => {
            let error = match hint {
                Some(h) => format!("{message}: {h}"),
                None => message,
            };
            detail_page(
                &service,
                &user,
                &raw_id,
                Some(ReviewAttempt {
                    status: form.status,
                    comment: form.comment,
                    error,
                }),
            )
            .await
        }
        Err(e) => error_response(Some(&user), e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_list_what_differs_in_form_order_then_the_rest() {
        let before = json!({"a": 1, "b": true, "gone": "x"});
        let after = json!({"a": 2, "b": true, "c": "new"});
        let (before, after) = (
            before.as_object().cloned().unwrap_or_default(),
            after.as_object().cloned().unwrap_or_default(),
        );
        let found = changes(None, &before, &after);
        assert_eq!(
            found,
            [
                ("a".to_owned(), Some(json!(1)), Some(json!(2))),
                ("c".to_owned(), None, Some(json!("new"))),
                ("gone".to_owned(), Some(json!("x")), None),
            ]
        );
    }
}
