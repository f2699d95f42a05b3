//! The dashboard's Teams pages: every team in view with its phone, stations, checklists and
//! how long it has been silent; one team with its call log and a form to log a call; for
//! administrators, a new enrolment code and revoking the team's token.

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{live_mark, page, silent_for, tr, when};
use super::pages::error_response;
use super::{Session, Viewer};
use crate::error::ApiError;
use crate::service::Service;
use crate::store::{CallOutcome, CallRecord, Role, Team};

fn outcome_text(lang: &str, o: CallOutcome) -> String {
    tr(lang, &format!("dash.call.{}", o.as_str()))
}

/// The last call in a few words, for tables.
pub fn last_call_text(lang: &str, call: Option<&CallRecord>, zone: Option<&str>) -> String {
    call.map_or_else(String::new, |c| {
        format!(
            "{} {} ({})",
            when(c.at, zone),
            outcome_text(lang, c.outcome),
            c.caller
        )
    })
}

fn tel(phone: &str) -> Markup {
    let dial: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    html! { @if !phone.is_empty() { a href=(format!("tel:{dial}")) { (phone) } } }
}

pub async fn list(State(service): State<Service>, Session(user): Session) -> Response {
    let l = user.lang;
    let zone = service.time_zone.clone();
    let now = Utc::now();
    let result = async {
        let mut teams = service.teams(&user.account).await?;
        // The longest silent first: they are the ones to call.
        teams.sort_by_key(|t| (t.last_received_at, t.account.name.clone()));
        Ok::<Markup, ApiError>(html! {
            (live_mark(l, zone.as_deref()))
            section {
                @if teams.is_empty() { p class="muted" { (tr(l, "dash.teams.none")) } }
                @else {
                    table #teams {
                        thead { tr { th { (tr(l, "dash.col.team")) } th { (tr(l, "dash.col.region")) } th { (tr(l, "dash.col.phone")) } th { (tr(l, "dash.col.stations")) } th class="num" { (tr(l, "dash.nav.checklists")) } th { (tr(l, "dash.col.last_contact")) } th { (tr(l, "dash.col.last_call")) } th { "eom" } } }
                        tbody { @for t in &teams { tr data-id=(t.account.id) {
                            td { a href=(format!("/teams/{}", t.account.id)) { (t.account.name) } }
                            td { (t.account.only_region().unwrap_or_default()) }
                            td { (tel(&t.phone)) }
                            td class="muted" { (t.stations.join(", ")) }
                            td class="num" { (t.checklists) }
                            td class="silent" { (silent_for(l, t.last_received_at, now)) }
                            td class="muted" { (last_call_text(l, t.last_call.as_ref(), zone.as_deref())) }
                            td class="muted version" { (t.client_version) }
                        } } }
                    }
                }
            }
        })
    }
    .await;
    match result {
        Ok(body) => page(&tr(l, "dash.nav.teams"), Some(&user), body).into_response(),
        Err(e) => error_response(Some(&user), e),
    }
}

#[derive(Debug, Deserialize)]
pub struct TeamQuery {
    /// Never from a URL (see `new_code`): only set when the page answers the post.
    #[serde(skip)]
    code: Option<String>,
    revoked: Option<String>,
}

fn team_body(
    user: &Viewer,
    team: &Team,
    calls: &[CallRecord],
    zone: Option<&str>,
    q: &TeamQuery,
) -> Markup {
    let now = Utc::now();
    let l = user.lang;
    html! {
        @if let Some(code) = &q.code {
            p class="flash" #new-code role="status" {
                (tr(l, "dash.team.new_code")) " " strong { (code) }
                " — eom setup --server ADDRESS --code " (code)
            }
        }
        @if q.revoked.is_some() { p class="flash" role="status" { (tr(l, "dash.team.revoked")) } }
        section {
            table {
                tr { th { (tr(l, "dash.col.region")) } td { (team.account.only_region().unwrap_or_default()) } }
                tr { th { (tr(l, "dash.col.phone")) } td #phone { (tel(&team.phone)) } }
                tr { th { (tr(l, "dash.col.stations")) } td { (team.stations.join(", ")) } }
                tr { th { (tr(l, "dash.nav.checklists")) } td { (team.checklists) } }
                tr { th { (tr(l, "dash.col.last_contact")) } td #last-contact { (silent_for(l, team.last_received_at, now)) } }
            }
        }
        section {
            h2 { (tr(l, "dash.team.calls")) }
            form #log-call method="post" action=(format!("/teams/{}/calls", team.account.id)) class="filters" {
                input type="hidden" name=(super::guard::FIELD) value=(user.csrf);
                div { label for="outcome" { (tr(l, "dash.team.outcome")) }
                    select #outcome name="outcome" { @for o in CallOutcome::ALL { option value=(o.as_str()) { (outcome_text(l, o)) } } } }
                div style="flex:1" { label for="note" { (tr(l, "dash.team.note")) } input #note name="note" type="text" maxlength="1000" style="width:100%"; }
                button type="submit" { (tr(l, "dash.team.log_call")) }
            }
            @if calls.is_empty() { p class="muted" { (tr(l, "dash.team.no_calls")) } }
            @else {
                table #calls {
                    thead { tr { th { (tr(l, "dash.team.when")) } th { (tr(l, "dash.team.caller")) } th { (tr(l, "dash.team.outcome")) } th { (tr(l, "dash.team.note")) } } }
                    tbody { @for c in calls { tr data-outcome=(c.outcome.as_str()) {
                        td { (when(c.at, zone)) } td { (c.caller) } td { (outcome_text(l, c.outcome)) } td { (c.note) }
                    } } }
                }
            }
        }
        @if user.account.role == Role::Admin {
            section #admin {
                h2 { (tr(l, "dash.team.admin")) }
                form method="post" action=(format!("/teams/{}/code", team.account.id)) style="display:inline" {
                    input type="hidden" name=(super::guard::FIELD) value=(user.csrf);
                    button type="submit" { (tr(l, "dash.team.issue_code")) }
                }
                " "
                form method="post" action=(format!("/teams/{}/revoke", team.account.id)) style="display:inline" {
                    input type="hidden" name=(super::guard::FIELD) value=(user.csrf);
                    button type="submit" { (tr(l, "dash.team.revoke")) }
                }
            }
        }
    }
}

pub async fn detail(
    State(service): State<Service>,
    Session(user): Session,
    Path(id): Path<String>,
    Query(q): Query<TeamQuery>,
) -> Response {
    let zone = service.time_zone.clone();
    match service.team(&user.account, id).await {
        Ok((team, calls)) => page(
            &team.account.name,
            Some(&user),
            team_body(&user, &team, &calls, zone.as_deref(), &q),
        )
        .into_response(),
        Err(e) => error_response(Some(&user), e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct CallForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
}

pub async fn log_call(
    State(service): State<Service>,
    Session(user): Session,
    Path(id): Path<String>,
    Form(form): Form<CallForm>,
) -> Response {
    if !super::guard::verify(&user.csrf, &form.csrf) {
        return super::guard::refused();
    }
    match service
        .record_call(&user.account, id.clone(), &form.outcome, &form.note)
        .await
    {
        Ok(()) => Redirect::to(&format!("/teams/{id}")).into_response(),
        Err(e) => error_response(Some(&user), e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct AdminForm {
    #[serde(default)]
    csrf: String,
}

fn admin_only(user: &Viewer, form: &AdminForm) -> Option<Response> {
    if !super::guard::verify(&user.csrf, &form.csrf) {
        return Some(super::guard::refused());
    }
    (user.account.role != Role::Admin).then(|| {
        error_response(
            Some(user),
            ApiError::Forbidden(tr(user.lang, "dash.team.admins_only")),
        )
    })
}

pub async fn new_code(
    State(service): State<Service>,
    Session(user): Session,
    Path(id): Path<String>,
    Form(form): Form<AdminForm>,
) -> Response {
    if let Some(refused) = admin_only(&user, &form) {
        return refused;
    }
    // The page is the answer to the post itself: the code never travels in a URL, where
    // browser history and logs would keep it.
    let zone = service.time_zone.clone();
    let result = async {
        let (code, _) = service.new_enrolment_code(id.clone()).await?;
        tracing::info!(by = %user.account.id, team = %id, "new enrolment code issued");
        let (team, calls) = service.team(&user.account, id).await?;
        let q = TeamQuery {
            code: Some(code),
            revoked: None,
        };
        Ok::<_, crate::service::ServiceError>(page(
            &team.account.name,
            Some(&user),
            team_body(&user, &team, &calls, zone.as_deref(), &q),
        ))
    }
    .await;
    match result {
        Ok(body) => body.into_response(),
        Err(e) => error_response(Some(&user), e.into()),
    }
}

pub async fn revoke(
    State(service): State<Service>,
    Session(user): Session,
    Path(id): Path<String>,
    Form(form): Form<AdminForm>,
) -> Response {
    if let Some(refused) = admin_only(&user, &form) {
        return refused;
    }
    match service
        .revoke(user.account.id.clone(), id.clone(), false)
        .await
    {
        Ok(_) => Redirect::to(&format!("/teams/{id}?revoked=1")).into_response(),
        Err(e) => error_response(Some(&user), e.into()),
    }
}
