//! The coordinators' dashboard: server-rendered pages under `/`, signed in with a coordinator
//! token kept in an HttpOnly cookie. No external assets, so it works on a mission's offline
//! network; one small stylesheet inline, readable on a laptop and a phone.

mod layout;
mod pages;

use axum::Router;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use crate::AppState;
use crate::auth::hash_token;
use crate::store::{Account, Role};

const COOKIE: &str = "eom_session";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::overview))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/regions", get(pages::regions))
        .route("/findings", get(pages::findings))
        .route("/checklists", get(pages::checklists))
        .route("/checklists/{id}", get(pages::checklist))
        .route("/checklists/{id}/review", post(pages::review))
        .route("/export", get(pages::export))
}

/// A signed-in coordinator; anyone else is sent to the sign-in page.
pub struct Session(pub Account);

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

async fn coordinator_for(state: &AppState, token: &str) -> Option<Account> {
    let hash = hash_token(token);
    let store = state.store.clone();
    let account = tokio::task::spawn_blocking(move || store.account_by_token_hash(&hash))
        .await
        .ok()?
        .ok()??;
    (account.role == Role::Coordinator).then_some(account)
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let token = cookie_token(&parts.headers);
        match token {
            Some(t) => match coordinator_for(state, &t).await {
                Some(account) => Ok(Session(account)),
                None => Err(Redirect::to("/login?expired=1").into_response()),
            },
            None => Err(Redirect::to("/login").into_response()),
        }
    }
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    expired: Option<String>,
    failed: Option<String>,
}

async fn login_form(axum::extract::Query(q): axum::extract::Query<LoginQuery>) -> maud::Markup {
    let message = if q.failed.is_some() {
        Some("That token is not a coordinator token. Check it and try again.")
    } else if q.expired.is_some() {
        Some("Your session is no longer valid; sign in again.")
    } else {
        None
    };
    layout::bare(
        "Sign in",
        html! {
            main class="narrow" {
                h1 { "eom: coordinators" }
                @if let Some(m) = message { p class="error" { (m) } }
                form method="post" action="/login" {
                    label for="token" { "Coordinator token" }
                    input id="token" name="token" type="password" autocomplete="off" required;
                    button type="submit" { "Sign in" }
                }
                p class="muted" { "The token is printed once by 'eom-server coordinator add'." }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(State(state): State<AppState>, Form(form): Form<LoginForm>) -> Response {
    let token = form.token.trim().to_owned();
    if coordinator_for(&state, &token).await.is_none() {
        return Redirect::to("/login?failed=1").into_response();
    }
    let mut response = Redirect::to("/").into_response();
    // Tokens are hex with a prefix: safe in a cookie value as they are.
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn logout() -> Response {
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("eom_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    response
}
