//! The coordinators' dashboard: server-rendered pages under `/`. A coordinator token opens a
//! 12-hour session (an HttpOnly cookie holding a random id, never the token). No external
//! assets, so it works on a mission's offline network; one small stylesheet inline, readable
//! on a laptop and a phone.

mod charts;
pub mod guard;
mod layout;
mod live;
mod messages;
mod pages;
mod teams;

use axum::Router;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use crate::http::ClientAddr;
use crate::service::Service;
use crate::service::accounts::SESSION_HOURS;
use crate::store::Account;

const COOKIE: &str = "eom_session";

pub fn router() -> Router<Service> {
    Router::new()
        .route("/", get(pages::overview))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/regions", get(pages::regions))
        .route("/map", get(pages::map))
        .route("/findings", get(pages::findings))
        .route("/checklists", get(pages::checklists))
        .route("/checklists/{id}", get(pages::checklist))
        .route("/checklists/{id}/review", post(pages::review))
        .route("/export", get(pages::export))
        .route("/events", get(live::events))
        .route("/assets/dashboard.js", get(live::script))
        .route("/messages", get(messages::list).post(messages::send))
        .route("/teams", get(teams::list))
        .route("/teams/{id}", get(teams::detail))
        .route("/teams/{id}/calls", post(teams::log_call))
        .route("/teams/{id}/code", post(teams::new_code))
        .route("/teams/{id}/revoke", post(teams::revoke))
        .layer(axum::middleware::from_fn(guard::same_origin_only))
}

/// A signed-in coordinator; anyone else is sent to the sign-in page.
pub struct Session(pub Viewer);

/// Who is looking at a page, and the token their forms must carry.
pub struct Viewer {
    pub account: Account,
    pub csrf: String,
}

impl Viewer {
    /// What this coordinator may see.
    pub fn scope(&self) -> crate::service::scope::Scope {
        crate::service::scope::Scope::of(&self.account)
    }
}

impl std::ops::Deref for Viewer {
    type Target = Account;
    fn deref(&self) -> &Account {
        &self.account
    }
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_owned())
}

impl FromRequestParts<Service> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, service: &Service) -> Result<Self, Response> {
        let session = cookie_token(&parts.headers);
        match session {
            Some(t) => match service.session(&t).await {
                Ok(Some(account)) => Ok(Session(Viewer {
                    account,
                    csrf: guard::token_for(&t),
                })),
                Ok(None) => Err(Redirect::to("/login?expired=1").into_response()),
                Err(e) => Err(pages::error_response(None, crate::error::ApiError::from(e))),
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

async fn login(
    State(service): State<Service>,
    ClientAddr(address): ClientAddr,
    Form(form): Form<LoginForm>,
) -> Response {
    if let Some(address) = address
        && let Err(over) = service.limits.sign_in(address)
    {
        tracing::warn!(%address, "too many sign-in attempts from this address");
        return crate::error::ApiError::TooManyRequests {
            who: "address",
            retry_after_secs: over.retry_after_secs(),
        }
        .into_response();
    }
    // The browser keeps a random session id, never the token itself.
    let session = match service.sign_in(form.token.trim()).await {
        Ok(Some(session)) => session,
        Ok(None) => {
            // The address, never the token: a mistyped token is most of a real one.
            let address = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
            tracing::warn!(%address, "failed dashboard sign-in");
            return Redirect::to("/login?failed=1").into_response();
        }
        Err(e) => return pages::error_response(None, crate::error::ApiError::from(e)),
    };
    let mut response = Redirect::to("/").into_response();
    let secure = if service.https { "; Secure" } else { "" };
    // Session ids are hex with a prefix: safe in a cookie value as they are.
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        SESSION_HOURS * 3600
    )) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[derive(Debug, Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(service): State<Service>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let Some(session) = cookie_token(&headers) {
        if !guard::verify(&guard::token_for(&session), &form.csrf) {
            return guard::refused();
        }
        if let Err(e) = service.sign_out(&session).await {
            return pages::error_response(None, crate::error::ApiError::from(e));
        }
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("eom_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    response
}
