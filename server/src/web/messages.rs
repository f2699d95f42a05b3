//! The dashboard's Messages page: write to every team, a region's teams or one team, and see
//! which teams' laptops have shown each message.

use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Session;
use super::layout::{page, tr, when};
use super::pages::error_response;
use crate::error::ApiError;
use crate::service::Service;
use crate::service::messages::{Addressee, MAX_MESSAGE_CHARS};
use crate::store::{Audience, Role, SentMessage};

#[derive(Debug, Deserialize)]
pub struct MessagesQuery {
    sent: Option<String>,
}

fn audience_text(lang: &str, m: &SentMessage) -> String {
    match (&m.audience, &m.team) {
        (Audience::All, _) => tr(lang, "dash.messages.everyone"),
        (Audience::Region(r), _) => {
            rust_i18n::t!("dash.messages.region", region = r, locale = lang).into_owned()
        }
        (Audience::Team(_), Some((name, _))) => name.clone(),
        (Audience::Team(id), None) => id.clone(),
    }
}

pub async fn list(
    State(service): State<Service>,
    Session(user): Session,
    Query(q): Query<MessagesQuery>,
) -> Response {
    let zone = service.time_zone.clone();
    let scope = user.scope();
    let l = user.lang;
    let result = async {
        let sent = service.sent_messages(user.account.clone()).await?;
        let (regions, _) = service.regions_and_forms(&scope).await?;
        let mut teams: Vec<_> = service
            .accounts()
            .await?
            .into_iter()
            .filter(|a| a.role == Role::Observer)
            .filter(|a| scope.is_all() || a.regions().iter().any(|r| scope.sees(r)))
            .collect();
        teams.sort_by(|a, b| a.name.cmp(&b.name));
        Ok::<Markup, ApiError>(html! {
            @if q.sent.is_some() { p class="flash" role="status" { (tr(l, "dash.messages.sent")) } }
            section {
                form #send-message method="post" action="/messages" {
                    input type="hidden" name=(super::guard::FIELD) value=(user.csrf);
                    label for="to" { (tr(l, "dash.messages.to")) }
                    select #to name="to" {
                        @if scope.is_all() { option value="" { (tr(l, "dash.messages.everyone")) } }
                        @for r in &regions { option value=(format!("region:{r}")) { (rust_i18n::t!("dash.messages.region", region = r, locale = l)) } }
                        @for t in &teams {
                            option value=(format!("team:{}", t.id)) {
                                (t.name) @if let Some(r) = t.only_region() { " (" (r) ")" }
                            }
                        }
                    }
                    label for="body" { (tr(l, "dash.messages.message")) }
                    textarea #body name="body" maxlength=(MAX_MESSAGE_CHARS) required {}
                    button type="submit" { (tr(l, "dash.messages.send")) }
                }
            }
            section {
                @if sent.is_empty() { p class="muted" { (tr(l, "dash.messages.none")) } }
                @else {
                    table #messages {
                        thead { tr { th { (tr(l, "dash.messages.sent_at")) } th { (tr(l, "dash.messages.from")) } th { (tr(l, "dash.messages.to")) } th { (tr(l, "dash.messages.message")) } th { (tr(l, "dash.messages.read")) } } }
                        tbody { @for m in &sent { tr data-id=(m.id.to_string()) {
                            td class="num" { (when(m.sent_at, zone.as_deref())) }
                            td { (m.from) }
                            td { (audience_text(l, m)) }
                            td { @for line in m.body.lines() { (line) br; } }
                            td class="read" {
                                (rust_i18n::t!("dash.of", part = m.read_by.len(), whole = m.recipients, locale = l))
                                @for (team, at) in &m.read_by {
                                    br; span class="muted" { (team) " " (when(*at, zone.as_deref())) }
                                }
                            }
                        } } }
                    }
                }
            }
        })
    }
    .await;
    match result {
        Ok(body) => page(&tr(l, "dash.messages.title"), Some(&user), body).into_response(),
        Err(e) => error_response(Some(&user), e),
    }
}

#[derive(Debug, Deserialize)]
pub struct SendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    body: String,
}

pub async fn send(
    State(service): State<Service>,
    Session(user): Session,
    Form(form): Form<SendForm>,
) -> Response {
    if !super::guard::verify(&user.csrf, &form.csrf) {
        return super::guard::refused();
    }
    let to = match form.to.split_once(':') {
        Some(("region", r)) => Addressee {
            region: Some(r.to_owned()),
            team: None,
        },
        Some(("team", t)) => Addressee {
            region: None,
            team: Some(t.to_owned()),
        },
        _ => Addressee::default(),
    };
    match service
        .send_message(user.account.clone(), to, &form.body)
        .await
    {
        Ok(_) => Redirect::to("/messages?sent=1").into_response(),
        Err(e) => error_response(Some(&user), e.into()),
    }
}
