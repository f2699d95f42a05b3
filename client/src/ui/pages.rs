//! The pages of `eom ui`: home (outbox, drafts, sync), a new checklist (station search and
//! the forms that fit it), the form itself, the review before it goes to the outbox, and one
//! checklist with its answers and the coordinator's review.

use std::collections::HashSet;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use eom_shared::form::{Form, NOT_OBSERVED, Question, QuestionKind, Stage};
use eom_shared::station::StationLevel;
use eom_shared::submission::{SubmissionContent, SubmissionId};
use eom_shared::sync::ReviewStatus;
use eom_shared::{Assessment, Issue, IssueKind, Severity, validate};
use maud::{DOCTYPE, Markup, html};
use rust_i18n::t;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Ui, assets};
use crate::commands::drafts;
use crate::prompt;
use crate::store::{Draft, Entry, LocalStore, State as SendState, StoreError};
use crate::sync::{DEFAULT_BATCH_SIZE, RetryPolicy, SyncSession};

pub fn routes() -> Router<Ui> {
    Router::new()
        .route("/", get(home))
        .route("/new", get(new_checklist))
        .route("/drafts", post(create_draft))
        .route("/drafts/{id}", get(draft_page).post(save_draft))
        .route("/drafts/{id}/autosave", post(autosave))
        .route("/drafts/{id}/review", get(review_page))
        .route("/drafts/{id}/submit", post(submit))
        .route("/drafts/{id}/discard", post(discard))
        .route("/checklists/{id}", get(checklist_page))
        .route("/checklists/{id}/edit", post(edit))
        .route(
            "/checklists/{id}/attachments",
            post(attach).layer(axum::extract::DefaultBodyLimit::max(
                eom_shared::attachment::MAX_BYTES as usize + 1024 * 1024,
            )),
        )
        .route("/checklists/{id}/attachments/{sha256}", get(attachment))
        .route("/sync", post(sync_now))
        .route("/messages", get(messages_page))
        .route("/assets/app.css", get(assets::css))
        .route("/assets/app.js", get(assets::js))
}

/// A page that could not be shown: the observer gets a plain message, never a stack trace.
pub struct UiError(StatusCode, String);

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let body = html! {
            (DOCTYPE)
            html { head { meta charset="utf-8"; title { "eom" } link rel="stylesheet" href="/assets/app.css"; }
                body { main { p.error { (self.1) } p { a href="/" { "⌂" } } } } }
        };
        (self.0, body).into_response()
    }
}

impl From<StoreError> for UiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => UiError(StatusCode::NOT_FOUND, m),
            other => UiError(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}

type Page = Result<Markup, UiError>;

fn lang(store: &LocalStore) -> String {
    crate::language::current(store)
}

fn layout(lang: &str, title: &str, flash: Option<String>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t!("app.title", locale = lang)) }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header {
                    a href="/" { (t!("nav.home", locale = lang)) }
                    a #new href="/new" { (t!("nav.new", locale = lang)) }
                    a #messages href="/messages" { (t!("nav.messages", locale = lang)) }
                }
                main {
                    @if let Some(message) = flash { p.flash #flash role="status" { (message) } }
                    (body)
                }
            }
        }
    }
}

async fn take_flash(ui: &Ui) -> Option<String> {
    ui.flash.lock().await.take()
}

async fn set_flash(ui: &Ui, message: String) {
    *ui.flash.lock().await = Some(message);
}

/// A time as the observer reads it: in the mission's time zone, else the laptop's.
fn local_time(t: DateTime<Utc>, zone: Option<chrono_tz::Tz>) -> String {
    crate::clock::show(t, zone)
}

fn form_title(store: &LocalStore, id: &str, lang: &str) -> String {
    store
        .form(id, None)
        .ok()
        .flatten()
        .map_or_else(|| id.to_owned(), |f| f.title.get(lang).to_owned())
}

fn state_text(state: SendState, lang: &str) -> String {
    let key = match state {
        SendState::Draft => "state.draft",
        SendState::Queued => "state.queued",
        SendState::Delivered => "state.delivered",
        SendState::Rejected => "state.rejected",
        SendState::Conflict => "state.conflict",
    };
    t!(key, locale = lang).into_owned()
}

fn review_text(entry: &Entry, lang: &str) -> (String, String) {
    let Some(review) = &entry.review else {
        return ("none".into(), t!("review.none", locale = lang).into_owned());
    };
    let key = match review.status {
        ReviewStatus::None => "review.none",
        ReviewStatus::Verified => "review.verified",
        ReviewStatus::Flagged => "review.flagged",
        ReviewStatus::Rejected => "review.rejected",
    };
    let mut text = t!(key, locale = lang).into_owned();
    if !review.comment.is_empty() {
        text = format!("{text}: {}", review.comment);
    }
    (review.status.as_str().to_owned(), text)
}

async fn home(State(ui): State<Ui>) -> Page {
    let flash = take_flash(&ui).await;
    let store = ui.store.lock().await;
    let lang = lang(&store);
    let entries = store.list(None)?;
    let drafts = store.drafts()?;
    let status = store.status()?;
    let last_sync = store.setting("last_sync_at")?;
    let attention = status.rejected + status.conflict;
    let zone = crate::clock::mission_zone(&store);
    let unread = store.unread_messages()?;
    let body = html! {
        @if unread > 0 {
            p.flash #unread-messages role="status" {
                a href="/messages" { (t!("messages.arrived_ui", count = unread, locale = lang)) }
            }
        }
        h1 { (t!("home.outbox", locale = lang)) }
        p #counts { (t!("home.counts", queued = status.queued, delivered = status.delivered, attention = attention, locale = lang)) }
        form method="post" action="/sync" {
            button #sync type="submit" { (t!("home.sync", locale = lang)) }
            span.muted #last-sync { " " @match &last_sync {
                Some(at) => (t!("home.last_sync", time = local_time_text(at, zone), locale = lang)),
                None => (t!("home.never_synced", locale = lang)),
            } }
        }
        @if entries.is_empty() { p.muted { (t!("home.no_checklists", locale = lang)) } }
        @else {
            table #checklists { thead { tr {
                th { (t!("col.form", locale = lang)) } th { (t!("col.station", locale = lang)) }
                th { (t!("col.observed", locale = lang)) } th { (t!("col.state", locale = lang)) }
                th { (t!("col.review", locale = lang)) }
            } }
            tbody { @for e in entries.iter().rev() {
                @let (review_class, review) = review_text(e, &lang);
                tr data-id=(e.id.to_string()) {
                    td { a href=(format!("/checklists/{}", e.id)) { (form_title(&store, e.content.form_id.as_str(), &lang)) } }
                    td { (e.content.station.as_str()) }
                    td { (local_time(e.content.observed_at, zone)) }
                    td.state data-state=(e.state.as_str()) { (state_text(e.state, &lang)) }
                    td.review data-review=(review_class) { (review) }
                }
            } } }
        }
        h2 { (t!("home.drafts", locale = lang)) }
        @if drafts.is_empty() { p.muted { (t!("home.no_drafts", locale = lang)) } }
        @else {
            table #drafts { thead { tr {
                th { (t!("col.form", locale = lang)) } th { (t!("col.station", locale = lang)) }
                th { (t!("col.answers", locale = lang)) } th { (t!("col.saved", locale = lang)) } th {}
            } }
            tbody { @for d in &drafts { tr {
                td { (form_title(&store, d.content.form_id.as_str(), &lang)) }
                td { (d.content.station.as_str()) }
                td { (d.content.answers.len()) }
                td { (local_time_text(&d.updated_at, zone)) }
                td { a.draft href=(format!("/drafts/{}", d.id)) { (t!("home.continue", locale = lang)) } }
            } } } }
        }
    };
    Ok(layout(
        &lang,
        &t!("home.outbox", locale = lang),
        flash,
        body,
    ))
}

fn local_time_text(rfc3339: &str, zone: Option<chrono_tz::Tz>) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| local_time(t.with_timezone(&Utc), zone))
        .unwrap_or_else(|_| rfc3339.to_owned())
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

/// The stages a station of this level is observed at.
fn fits(level: StationLevel, stage: Stage) -> bool {
    match level {
        StationLevel::Pec => stage != Stage::Tabulation,
        StationLevel::Tec | StationLevel::Dec => {
            matches!(stage, Stage::Tabulation | Stage::Incident)
        }
    }
}

async fn new_checklist(State(ui): State<Ui>, Query(query): Query<SearchQuery>) -> Page {
    let store = ui.store.lock().await;
    let lang = lang(&store);
    let typed = query.q.unwrap_or_default();
    let needle = crate::search::fold(typed.trim());
    let forms = store.forms()?;
    let matches: Vec<_> = if needle.is_empty() {
        Vec::new()
    } else {
        store
            .stations(Some(typed.trim()))?
            .into_iter()
            .take(30)
            .collect()
    };
    let body = html! {
        h1 { (t!("new.title", locale = lang)) }
        form.search method="get" action="/new" {
            label for="q" { (t!("new.search", locale = lang)) } br;
            input #q name="q" type="search" value=(typed) autofocus autocomplete="off";
            button type="submit" { (t!("new.find", locale = lang)) }
            p.muted { (t!("new.hint", locale = lang)) }
        }
        @if !needle.is_empty() && matches.is_empty() { p.error { (t!("new.none", locale = lang)) } }
        @for s in &matches {
            div.station data-station=(s.code.as_str()) {
                strong { (s.code.as_str()) } " " (s.name) " " span.muted { "(" (s.region) ")" }
                div {
                    @for f in forms.iter().filter(|f| fits(s.level, f.stage)) {
                        form method="post" action="/drafts" {
                            input type="hidden" name="station" value=(s.code.as_str());
                            input type="hidden" name="form" value=(f.id.as_str());
                            button type="submit" data-form=(f.id.as_str()) { (f.title.get(&lang)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&lang, &t!("new.title", locale = lang), None, body))
}

#[derive(Deserialize)]
struct NewDraft {
    form: String,
    station: String,
}

async fn create_draft(
    State(ui): State<Ui>,
    axum::Form(new): axum::Form<NewDraft>,
) -> Result<Redirect, UiError> {
    let mut store = ui.store.lock().await;
    let form = store
        .form(new.form.trim(), None)?
        .ok_or_else(|| not_found(&lang(&store)))?;
    let station = store
        .station(new.station.trim())?
        .ok_or_else(|| not_found(&lang(&store)))?;
    if !eom_shared::form::filed_at(form.stage, station.level) {
        return Err(UiError(
            StatusCode::BAD_REQUEST,
            t!("issue.wrong_station_level", locale = &lang(&store)).into_owned(),
        ));
    }
    let draft = drafts::new_checklist(&form, station.code, Utc::now(), String::new());
    store.save_draft(&draft)?;
    Ok(Redirect::to(&format!("/drafts/{}", draft.id)))
}

/// The page for something that is not on this laptop.
fn not_found(lang: &str) -> UiError {
    UiError(
        StatusCode::NOT_FOUND,
        t!("error.not_found", locale = lang).into_owned(),
    )
}

/// The form (at its version) a checklist or draft was filled on, as asked at its station
/// (without the contests the station does not vote in).
fn form_of(store: &LocalStore, content: &SubmissionContent) -> Result<Form, UiError> {
    store
        .form(content.form_id.as_str(), Some(content.form_version))?
        .map(|form| eom_shared::contest::for_station(&form, &content.station))
        .ok_or_else(|| {
            UiError(
                StatusCode::NOT_FOUND,
                format!("form {} is not on this laptop", content.form_id),
            )
        })
}

fn load_draft(store: &LocalStore, id: &str) -> Result<(Draft, Form), UiError> {
    let draft = store.find_draft(id)?;
    let form = form_of(store, &draft.content)?;
    Ok((draft, form))
}

/// Ids of the questions asked given `answers`.
fn relevant_ids(form: &Form, answers: &Map<String, Value>) -> HashSet<String> {
    prompt::relevant(form, answers)
        .into_iter()
        .map(|i| form.questions[i].id.clone())
        .collect()
}

fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// What the form shows while filling: every issue but unanswered required questions, which
/// the review lists.
fn issues_while_filling(form: &Form, answers: &Map<String, Value>) -> Vec<Issue> {
    validate(form, answers)
        .issues
        .into_iter()
        .filter(|i| i.kind != IssueKind::Required)
        .collect()
}

fn progress(form: &Form, answers: &Map<String, Value>, lang: &str) -> String {
    let relevant = relevant_ids(form, answers);
    let answered = relevant
        .iter()
        .filter(|id| answers.contains_key(*id))
        .count();
    t!(
        "form.progress",
        answered = answered,
        total = relevant.len(),
        locale = lang
    )
    .into_owned()
}

async fn draft_page(State(ui): State<Ui>, Path(id): Path<String>) -> Page {
    let flash = take_flash(&ui).await;
    let store = ui.store.lock().await;
    let lang = lang(&store);
    let (draft, form) = load_draft(&store, &id)?;
    let answers = &draft.content.answers;
    let relevant = relevant_ids(&form, answers);
    let issues = issues_while_filling(&form, answers);
    let station = store.station(draft.content.station.as_str())?;
    let body = html! {
        h1 { (form.title.get(&lang)) }
        p { strong { (draft.content.station.as_str()) } " " @if let Some(s) = &station { (s.name) } }
        @if let Some(revision) = draft.base_revision {
            p.muted { (t!("form.edit_of", revision = revision, next = revision + 1, locale = lang)) }
        }
        form #fill method="post" action=(format!("/drafts/{}", draft.id)) data-autosave=(format!("/drafts/{}/autosave", draft.id)) {
            p.progress #progress { (progress(&form, answers, &lang)) }
            div.q {
                label for="observed_time" { (t!("form.observed_at", locale = lang)) " " }
                input #observed_time type="text" inputmode="numeric" name="observed_time"
                    value=(crate::clock::time_of_day(draft.content.observed_at, crate::clock::mission_zone(&store)))
                    autocomplete="off";
            }
            p #form-messages { @for i in issues.iter().filter(|i| i.question.is_none()) {
                span class=(severity_class(i.severity)) { (crate::messages::issue_text(i, &form, &lang)) " " }
            } }
            @for q in &form.questions {
                div class=(if relevant.contains(&q.id) { "q" } else { "q hidden" }) id=(format!("q-{}", q.id)) data-q=(q.id) {
                    fieldset {
                        legend { (q.label.get(&lang)) @if q.required { span.req title=(t!("form.required", locale = lang)) { "*" } } }
                        (input_for(q, answers.get(&q.id), &lang))
                        p.msg id=(format!("msg-{}", q.id)) role="status" {
                            @for i in issues.iter().filter(|i| i.question.as_deref() == Some(q.id.as_str())) {
                                span class=(severity_class(i.severity)) { (crate::messages::issue_text(i, &form, &lang)) " " }
                            }
                        }
                    }
                }
            }
            button #save type="submit" name="action" value="save" { (t!("form.save", locale = lang)) }
            button #to-review type="submit" name="action" value="review" { (t!("form.review", locale = lang)) }
        }
        form method="post" action=(format!("/drafts/{}/discard", draft.id)) {
            button.secondary type="submit" { (t!("form.discard", locale = lang)) }
        }
    };
    Ok(layout(&lang, form.title.get(&lang), flash, body))
}

fn input_for(q: &Question, current: Option<&Value>, lang: &str) -> Markup {
    let name = q.id.as_str();
    let radio = |value: &str, label: String, checked: bool| {
        html! { label { input type="radio" name=(name) value=(value) checked[checked]; (label) } }
    };
    let optional_clear = |any_checked: bool| {
        html! { @if !q.required { label.muted { input type="radio" name=(name) value="" checked[!any_checked]; "—" } } }
    };
    let not_seen = current.and_then(Value::as_str) == Some(NOT_OBSERVED);
    // Radios get a "not observed" radio; other inputs a box ticked instead of answering.
    let not_observed_radio = html! { @if q.not_observed {
        (radio(NOT_OBSERVED, t!("form.not_observed", locale = lang).into_owned(), not_seen))
    } };
    let not_observed_box = html! { @if q.not_observed {
        label.muted { input type="checkbox" name=(name) value=(NOT_OBSERVED) checked[not_seen]; (t!("form.not_observed", locale = lang)) }
    } };
    let current = current.filter(|_| !not_seen);
    let inputs = match &q.kind {
        QuestionKind::YesNo => html! {
            (radio("true", t!("form.yes", locale = lang).into_owned(), current == Some(&Value::Bool(true))))
            (radio("false", t!("form.no", locale = lang).into_owned(), current == Some(&Value::Bool(false))))
            (not_observed_radio)
            (optional_clear(current.is_some() || not_seen))
        },
        QuestionKind::SingleChoice { choices } => html! {
            @for c in choices { (radio(&c.id, c.label.get(lang).to_owned(), current.and_then(Value::as_str) == Some(c.id.as_str()))) }
            (not_observed_radio)
            (optional_clear(current.is_some() || not_seen))
        },
        QuestionKind::Assessment => html! {
            @for a in Assessment::ALL {
                (radio(a.as_str(), t!(format!("assessment.{}", a.as_str()), locale = lang).into_owned(), current.and_then(Value::as_str) == Some(a.as_str())))
            }
            (not_observed_radio)
        },
        QuestionKind::MultiChoice { choices } => {
            let picked: Vec<&str> = current
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            html! { @for c in choices {
                label { input type="checkbox" name=(name) value=(c.id) checked[picked.contains(&c.id.as_str())]; (c.label.get(lang)) }
            } }
        }
        QuestionKind::Number { .. } => {
            let value = current
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .unwrap_or_default();
            html! { input type="text" inputmode="numeric" name=(name) id=(format!("in-{name}")) value=(value) autocomplete="off"; }
        }
        QuestionKind::Text { .. } => {
            let value = current.and_then(Value::as_str).unwrap_or_default();
            html! { textarea name=(name) id=(format!("in-{name}")) { (value) } }
        }
        QuestionKind::Time => {
            let value = current.and_then(Value::as_str).unwrap_or_default();
            html! { input type="text" inputmode="numeric" name=(name) id=(format!("in-{name}")) value=(value) placeholder=(t!("form.time_hint", locale = lang)) autocomplete="off"; }
        }
    };
    match &q.kind {
        QuestionKind::MultiChoice { .. }
        | QuestionKind::Number { .. }
        | QuestionKind::Text { .. }
        | QuestionKind::Time => html! { (inputs) (not_observed_box) },
        _ => inputs,
    }
}

/// The answers a posted form carries, as the form's value types; answers to questions that do
/// not apply are dropped. A number that is not one is kept as typed, so the observer sees it
/// again with the reason.
fn parse_posted(form: &Form, fields: &[(String, String)]) -> Map<String, Value> {
    let mut answers = Map::new();
    for q in &form.questions {
        let values: Vec<&str> = fields
            .iter()
            .filter(|(k, v)| k == &q.id && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
            .collect();
        let Some(first) = values.first().copied() else {
            continue;
        };
        if q.not_observed && values.contains(&NOT_OBSERVED) {
            answers.insert(q.id.clone(), Value::from(NOT_OBSERVED));
            continue;
        }
        let value = match &q.kind {
            QuestionKind::YesNo => Value::Bool(first == "true"),
            QuestionKind::MultiChoice { .. } => Value::from(values.clone()),
            QuestionKind::Number { .. } => first
                .parse::<i64>()
                .map_or_else(|_| Value::from(first), Value::from),
            QuestionKind::Time => {
                let padded = if first.len() == 4 && first.as_bytes().get(1) == Some(&b':') {
                    format!("0{first}")
                } else {
                    first.to_owned()
                };
                Value::from(padded)
            }
            _ => Value::from(first),
        };
        answers.insert(q.id.clone(), value);
    }
    let relevant = relevant_ids(form, &answers);
    answers.retain(|id, _| relevant.contains(id));
    answers
}

/// The time of the observation the observer typed (`HH:MM`, the mission's time): the latest
/// such time that has come, as `eom new --observed-at` takes it, so a count observed at 19:45
/// and written up after midnight is yesterday's; anything else leaves it as it was.
fn set_observed_time(draft: &mut Draft, fields: &[(String, String)], zone: Option<chrono_tz::Tz>) {
    let Some(minutes) = fields
        .iter()
        .find(|(k, _)| k == "observed_time")
        .and_then(|(_, v)| eom_shared::validate::parse_time(v.trim()))
    else {
        return;
    };
    if let Some(time) = chrono::NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0)
        && let Some(at) = crate::clock::latest_at(time, zone, Utc::now())
    {
        draft.content.observed_at = at;
    }
}

async fn save_draft(
    State(ui): State<Ui>,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Redirect, UiError> {
    let mut store = ui.store.lock().await;
    let lang = lang(&store);
    let (mut draft, form) = load_draft(&store, &id)?;
    draft.content.answers = parse_posted(&form, &fields);
    set_observed_time(&mut draft, &fields, crate::clock::mission_zone(&store));
    store.save_draft(&draft)?;
    drop(store);
    if fields.iter().any(|(k, v)| k == "action" && v == "review") {
        return Ok(Redirect::to(&format!("/drafts/{}/review", draft.id)));
    }
    set_flash(&ui, t!("form.saved", locale = lang).into_owned()).await;
    Ok(Redirect::to(&format!("/drafts/{}", draft.id)))
}

#[derive(Serialize)]
struct Autosaved {
    saved: bool,
    hidden: Vec<String>,
    issues: Vec<ShownIssue>,
    progress: String,
}

#[derive(Serialize)]
struct ShownIssue {
    question: Option<String>,
    severity: &'static str,
    message: String,
}

async fn autosave(
    State(ui): State<Ui>,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Json<Autosaved>, UiError> {
    let mut store = ui.store.lock().await;
    let lang = lang(&store);
    let (mut draft, form) = load_draft(&store, &id)?;
    draft.content.answers = parse_posted(&form, &fields);
    set_observed_time(&mut draft, &fields, crate::clock::mission_zone(&store));
    store.save_draft(&draft)?;
    let answers = &draft.content.answers;
    let relevant = relevant_ids(&form, answers);
    Ok(Json(Autosaved {
        saved: true,
        hidden: form
            .questions
            .iter()
            .filter(|q| !relevant.contains(&q.id))
            .map(|q| q.id.clone())
            .collect(),
        issues: issues_while_filling(&form, answers)
            .iter()
            .map(|i| ShownIssue {
                question: i.question.clone(),
                severity: severity_class(i.severity),
                message: crate::messages::issue_text(i, &form, &lang),
            })
            .collect(),
        progress: progress(&form, answers, &lang),
    }))
}

fn answer_text(q: &Question, value: &Value, lang: &str) -> String {
    match (value, &q.kind) {
        (Value::Bool(true), _) => t!("answer.yes", locale = lang).into_owned(),
        (Value::Bool(false), _) => t!("answer.no", locale = lang).into_owned(),
        (Value::String(s), QuestionKind::Assessment) => {
            t!(format!("assessment.{s}"), locale = lang).into_owned()
        }
        _ => prompt::shown(q, value, lang),
    }
}

fn answers_table(form: &Form, answers: &Map<String, Value>, lang: &str) -> Markup {
    let relevant = relevant_ids(form, answers);
    html! {
        table #answers { tbody {
            @for q in form.questions.iter().filter(|q| relevant.contains(&q.id)) {
                tr data-q=(q.id) {
                    th { (q.label.get(lang)) }
                    td { @match answers.get(&q.id) {
                        Some(v) => (answer_text(q, v, lang)),
                        None => span.muted { (t!("review.not_answered", locale = lang)) },
                    } }
                }
            }
        } }
    }
}

async fn review_page(State(ui): State<Ui>, Path(id): Path<String>) -> Page {
    let store = ui.store.lock().await;
    let lang = lang(&store);
    let (draft, form) = load_draft(&store, &id)?;
    let validation = crate::commands::drafts::check(&form, &draft.content);
    let errors: Vec<&Issue> = validation.errors().collect();
    let warnings: Vec<&Issue> = validation.warnings().collect();
    let label = |i: &Issue| {
        i.question
            .as_deref()
            .and_then(|q| form.question(q))
            .map(|q| format!("{}: ", q.label.get(&lang)))
            .unwrap_or_default()
    };
    let body = html! {
        h1 { (t!("review.title", locale = lang)) ": " (form.title.get(&lang)) " · " (draft.content.station.as_str()) }
        @if errors.is_empty() { p.flash { (t!("review.ok", locale = lang)) } }
        @else {
            div #errors { p.error { (t!("review.fix_first", locale = lang)) }
                ul { @for i in &errors { li.error { (label(i)) (crate::messages::issue_text(i, &form, &lang)) } } } }
        }
        @if !warnings.is_empty() {
            div #warnings { p.warning { (t!("review.warnings", locale = lang)) }
                ul { @for i in &warnings { li.warning { (label(i)) (crate::messages::issue_text(i, &form, &lang)) } } } }
        }
        (answers_table(&form, &draft.content.answers, &lang))
        p {
            a.button href=(format!("/drafts/{}", draft.id)) { (t!("review.back", locale = lang)) }
            @if errors.is_empty() {
                form method="post" action=(format!("/drafts/{}/submit", draft.id)) style="display:inline" {
                    button #submit type="submit" { (t!("review.submit", locale = lang)) }
                }
            }
        }
    };
    Ok(layout(
        &lang,
        &t!("review.title", locale = lang),
        None,
        body,
    ))
}

async fn submit(State(ui): State<Ui>, Path(id): Path<String>) -> Result<Redirect, UiError> {
    let mut store = ui.store.lock().await;
    let lang = lang(&store);
    let (draft, form) = load_draft(&store, &id)?;
    if !crate::commands::drafts::check(&form, &draft.content).is_valid() {
        return Ok(Redirect::to(&format!("/drafts/{}/review", draft.id)));
    }
    store.finish_draft(&draft)?;
    drop(store);
    set_flash(&ui, t!("flash.submitted", locale = lang).into_owned()).await;
    Ok(Redirect::to("/"))
}

async fn discard(State(ui): State<Ui>, Path(id): Path<String>) -> Result<Redirect, UiError> {
    let mut store = ui.store.lock().await;
    let lang = lang(&store);
    let draft = store.find_draft(&id)?;
    store.delete_draft(draft.id)?;
    drop(store);
    set_flash(&ui, t!("flash.discarded", locale = lang).into_owned()).await;
    Ok(Redirect::to("/"))
}

fn parse_id(id: &str) -> Result<SubmissionId, UiError> {
    SubmissionId::parse(id).map_err(|m| UiError(StatusCode::NOT_FOUND, m))
}

async fn checklist_page(State(ui): State<Ui>, Path(id): Path<String>) -> Page {
    let flash = take_flash(&ui).await;
    let store = ui.store.lock().await;
    let lang = lang(&store);
    let entry = store.get(parse_id(&id)?)?.ok_or_else(|| not_found(&lang))?;
    let form = form_of(&store, &entry.content)?;
    let (review_class, review) = review_text(&entry, &lang);
    let photos = store.attachments(entry.id)?;
    let body = html! {
        h1 { (form.title.get(&lang)) " · " (entry.content.station.as_str()) }
        p { (local_time(entry.content.observed_at, crate::clock::mission_zone(&store))) " · r" (entry.revision) }
        p.state data-state=(entry.state.as_str()) { strong { (t!("col.state", locale = lang)) ": " } (state_text(entry.state, &lang)) }
        p.review data-review=(review_class) { strong { (t!("col.review", locale = lang)) ": " } (review) }
        @if !entry.issues.is_empty() {
            h2 { (t!("show.messages", locale = lang)) }
            ul { @for i in &entry.issues { li class=(severity_class(i.severity)) { (crate::messages::issue_text(i, &form, &lang)) } } }
        }
        (answers_table(&form, &entry.content.answers, &lang))
        form method="post" action=(format!("/checklists/{}/edit", entry.id)) {
            button #edit type="submit" { (t!("show.edit", locale = lang)) }
        }
        section #photos {
            h2 { (t!("attach.heading", locale = lang)) }
            @for a in &photos {
                figure data-sha256=(a.sha256) {
                    img src=(format!("/checklists/{}/attachments/{}", entry.id, a.sha256)) alt=(a.name);
                    figcaption {
                        (a.name) " · "
                        @if a.done { (t!("attach.on_server", locale = lang)) }
                        @else { (t!("attach.progress", sent = megabytes(a.sent), size = megabytes(a.size), locale = lang)) }
                    }
                }
            }
            form method="post" enctype="multipart/form-data" action=(format!("/checklists/{}/attachments", entry.id)) {
                label for="photo" { (t!("attach.pick", locale = lang)) }
                input #photo type="file" name="photo" accept="image/jpeg,image/png,image/webp,image/heif" capture="environment";
                button #attach type="submit" { (t!("attach.button", locale = lang)) }
            }
        }
    };
    Ok(layout(&lang, form.title.get(&lang), flash, body))
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1_048_576.0)
}

/// A photo picked in the browser, attached to the checklist like `eom attach` does.
async fn attach(
    State(ui): State<Ui>,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Result<Redirect, UiError> {
    let lang = lang(&*ui.store.lock().await);
    let id = parse_id(&id)?;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        UiError(
            StatusCode::BAD_REQUEST,
            t!(
                "attach.upload_failed",
                reason = e.body_text(),
                locale = lang
            )
            .into_owned(),
        )
    };
    let mut picked: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() == Some("photo") {
            let name: String = field
                .file_name()
                .unwrap_or("photo")
                .chars()
                .filter(|c| !c.is_control())
                .take(eom_shared::attachment::MAX_NAME_CHARS)
                .collect();
            let bytes = field.bytes().await.map_err(unreadable)?;
            picked = Some((name, bytes.to_vec()));
        }
    }
    let message = match picked.filter(|(_, b)| !b.is_empty()) {
        None => t!("attach.none_picked", locale = lang).into_owned(),
        Some((name, bytes)) => match eom_shared::attachment::check(&bytes) {
            Err(problem) => t!(
                "attach.refused",
                file = name,
                reason = crate::commands::attach::problem_text(problem, &lang),
                locale = lang
            )
            .into_owned(),
            Ok(mime) => {
                let mut store = ui.store.lock().await;
                store.get(id)?.ok_or_else(|| not_found(&lang))?;
                match store.add_attachment(id, &name, mime, &bytes)? {
                    crate::store::Attached::New(a) => t!(
                        "attach.added_ui",
                        name = a.name,
                        size = megabytes(a.size),
                        locale = lang
                    )
                    .into_owned(),
                    crate::store::Attached::Already(a) => {
                        t!("attach.already", name = a.name, locale = lang).into_owned()
                    }
                }
            }
        },
    };
    set_flash(&ui, message).await;
    Ok(Redirect::to(&format!("/checklists/{id}")))
}

/// A photo's bytes, from the laptop's store, for the checklist page.
async fn attachment(
    State(ui): State<Ui>,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let store = ui.store.lock().await;
    let lang = lang(&store);
    let id = parse_id(&id)?;
    let found = store
        .attachment(id, &sha256)?
        .ok_or_else(|| not_found(&lang))?;
    let bytes = store.attachment_bytes(id, &sha256, 0, found.size as usize)?;
    Ok(([(axum::http::header::CONTENT_TYPE, found.mime)], bytes).into_response())
}

async fn edit(State(ui): State<Ui>, Path(id): Path<String>) -> Result<Redirect, UiError> {
    let mut store = ui.store.lock().await;
    let id = parse_id(&id)?;
    if store.drafts()?.iter().any(|d| d.id == id) {
        return Ok(Redirect::to(&format!("/drafts/{id}")));
    }
    let entry = store.get(id)?.ok_or_else(|| not_found(&lang(&store)))?;
    let draft = drafts::edit_of(entry.id, entry.revision, entry.content);
    store.save_draft(&draft)?;
    Ok(Redirect::to(&format!("/drafts/{id}")))
}

/// The coordinators' messages, unread first; showing them marks them read (the server hears
/// of it at the next sync).
async fn messages_page(State(ui): State<Ui>) -> Page {
    let flash = take_flash(&ui).await;
    let mut store = ui.store.lock().await;
    let lang = lang(&store);
    let zone = crate::clock::mission_zone(&store);
    let messages = store.messages()?;
    store.mark_all_read()?;
    let title = t!("nav.messages", locale = lang).into_owned();
    let body = html! {
        h1 { (title) }
        @if messages.is_empty() { p.muted #no-messages { (t!("messages.none", locale = lang)) } }
        @for m in &messages {
            article.message data-id=(m.id.to_string()) data-unread=(m.read_at.is_none()) {
                p.muted {
                    @if m.read_at.is_none() { strong.new { (t!("messages.new_mark", locale = lang)) } }
                    (local_time(m.sent_at, zone)) " — " (m.from)
                }
                @for line in m.body.lines() { p.body { (line) } }
            }
        }
    };
    Ok(layout(&lang, &title, flash, body))
}

async fn sync_now(State(ui): State<Ui>) -> Result<Redirect, UiError> {
    let mut store = ui.store.lock().await;
    let lang = lang(&store);
    let message = match crate::cli::client(&store) {
        Err(_) => t!("sync.not_setup", locale = lang).into_owned(),
        Ok(client) => {
            let mut session = SyncSession::new(DEFAULT_BATCH_SIZE, RetryPolicy::default());
            match session.run(&mut store, &client).await {
                Ok(report) => match (&report.push_error, &report.pull_error) {
                    (Some(e), _) | (None, Some(e)) => t!(
                        "sync.failed",
                        reason = crate::messages::remote_error(e, &lang),
                        locale = lang
                    )
                    .into_owned(),
                    (None, None) => format!(
                        "{} {}",
                        t!(
                            "sync.done",
                            delivered = report.delivered(),
                            queued = report.still_queued,
                            locale = lang
                        ),
                        t!(
                            "sync.pulled",
                            forms = report.pulled_forms,
                            stations = report.pulled_stations,
                            reviews = report.pulled_feedback,
                            locale = lang
                        )
                    ),
                },
                Err(e) => t!("sync.failed", reason = e.to_string(), locale = lang).into_owned(),
            }
        }
    };
    drop(store);
    set_flash(&ui, message).await;
    Ok(Redirect::to("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticked_not_observed_wins_over_what_else_was_posted() {
        let mut form = eom_shared::default_forms::default_forms()
            .expect("forms")
            .into_iter()
            .find(|f| f.id.as_str() == "opening")
            .expect("opening");
        for q in &mut form.questions {
            if q.id == "boxes_sealed" || q.id == "commission_members_present" {
                q.not_observed = true;
            }
        }
        let posted = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let answers = parse_posted(
            &form,
            &posted(&[
                ("boxes_sealed", NOT_OBSERVED),
                ("commission_members_present", "9"),
                ("commission_members_present", NOT_OBSERVED),
                ("booths_secret", NOT_OBSERVED),
            ]),
        );
        assert_eq!(answers["boxes_sealed"], Value::from(NOT_OBSERVED));
        assert_eq!(
            answers["commission_members_present"],
            Value::from(NOT_OBSERVED)
        );
        // Where the form does not allow it, it is not an answer of that kind.
        assert_eq!(answers["booths_secret"], Value::Bool(false));
        let markup = input_for(
            form.question("boxes_sealed").expect("question"),
            Some(&Value::from(NOT_OBSERVED)),
            "en",
        )
        .into_string();
        assert!(
            markup.contains("value=\"not_observed\" checked"),
            "{markup}"
        );
    }
}
