//! The coordinators' dashboard: server-rendered pages under `/`. A coordinator token opens a
//! 12-hour session (an HttpOnly cookie holding a random id, never the token). No external
//! assets, so it works on a mission's offline network; one small stylesheet inline, readable
//! on a laptop and a phone.

mod charts;
mod checklists;
pub mod guard;
mod layout;
mod live;
mod messages;
mod pages;
mod results;
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
/// The cookie that keeps the dashboard language chosen in the header.
const LANG_COOKIE: &str = "eom_lang";
/// The dashboard's languages.
pub const LANGUAGES: [&str; 3] = ["en", "ru", "kk"];

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The dashboard language: the one chosen in the header (a cookie), else the first of the
/// browser's languages the dashboard speaks, else English.
pub fn language(headers: &HeaderMap) -> &'static str {
    let known = |tag: &str| {
        let primary = tag
            .trim()
            .split(['-', '_', ';'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        LANGUAGES.into_iter().find(|l| *l == primary)
    };
    if let Some(chosen) = cookie(headers, LANG_COOKIE).as_deref().and_then(known) {
        return chosen;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|accepted| accepted.split(',').find_map(known))
        .unwrap_or("en")
}

#[derive(Debug, Deserialize)]
struct LangQuery {
    /// Where to go back to: a path of this dashboard.
    back: Option<String>,
}

/// `GET /lang/{code}`: keeps the chosen language in a cookie and goes back to the page.
/// Whether `path` is a path of this site to send a browser back to, never an address
/// elsewhere. Browsers drop tabs and line breaks from addresses ("/\t/evil.example" is
/// "//evil.example"), so only printable characters pass.
fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.chars().all(|c| !c.is_control() && !c.is_whitespace())
}

async fn choose_language(
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    // Back to the page the link was on (the Referer's path), or the one named; only ever a
    // path of this site, never an address elsewhere.
    let referer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.parse::<axum::http::Uri>().ok())
        .and_then(|u| u.path_and_query().map(|p| p.to_string()));
    let back = q
        .back
        .or(referer)
        .filter(|b| is_local_path(b))
        .unwrap_or_else(|| "/".to_owned());
    let mut response = Redirect::to(&back).into_response();
    if let Some(lang) = LANGUAGES.into_iter().find(|l| *l == code)
        && let Ok(value) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={lang}; SameSite=Strict; Path=/; Max-Age=31536000"
        ))
    {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

pub fn router() -> Router<Service> {
    Router::new()
        .route("/", get(pages::overview))
        .route("/login", get(login_form).post(login))
        .route("/lang/{code}", get(choose_language))
        .route("/logout", post(logout))
        .route("/regions", get(pages::regions))
        .route("/map", get(pages::map))
        .route("/findings", get(pages::findings))
        .route("/checklists", get(checklists::list))
        .route("/checklists/{id}", get(checklists::detail))
        .route("/checklists/{id}/review", post(checklists::review))
        .route(
            "/checklists/{id}/attachments/{sha256}",
            get(checklists::attachment),
        )
        .route("/export", get(pages::export))
        .route("/events", get(live::events))
        .route("/assets/dashboard.js", get(live::script))
        .route("/messages", get(messages::list).post(messages::send))
        .route("/results", get(results::page))
        .route("/results.csv", get(results::csv))
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
    /// The dashboard's language for this coordinator: `en`, `ru` or `kk`.
    pub lang: &'static str,
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
    cookie(headers, COOKIE)
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
                    lang: language(&parts.headers),
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

async fn login_form(
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
    headers: HeaderMap,
) -> maud::Markup {
    let lang = language(&headers);
    let tr = |key: &str| layout::tr(lang, key);
    let message = if q.failed.is_some() {
        Some(tr("dash.login.failed"))
    } else if q.expired.is_some() {
        Some(tr("dash.login.expired"))
    } else {
        None
    };
    layout::bare(
        &tr("dash.login.title"),
        lang,
        html! {
            main class="narrow" {
                h1 { (tr("dash.login.heading")) }
                @if let Some(m) = message { p class="error" { (m) } }
                form method="post" action="/login" {
                    label for="token" { (tr("dash.login.token")) }
                    input id="token" name="token" type="password" autocomplete="off" required;
                    button type="submit" { (tr("dash.login.submit")) }
                }
                p class="muted" { (tr("dash.login.hint")) }
                p #languages { @for l in LANGUAGES { a href=(format!("/lang/{l}?back=/login")) { (l.to_uppercase()) } " " } }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_gone_back_to() {
        assert!(is_local_path("/checklists?search=%D1%88%D0%BA"));
        assert!(is_local_path("/"));
        for elsewhere in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/ /x",
        ] {
            assert!(!is_local_path(elsewhere), "{elsewhere}");
        }
    }

    #[test]
    fn the_language_is_the_chosen_one_else_the_browsers_else_english() {
        let headers = |pairs: &[(&str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                    HeaderValue::from_str(v).expect("value"),
                );
            }
            h
        };
        assert_eq!(language(&headers(&[])), "en");
        assert_eq!(
            language(&headers(&[("accept-language", "de-DE,ru;q=0.8,en;q=0.5")])),
            "ru"
        );
        assert_eq!(language(&headers(&[("accept-language", "kk-KZ")])), "kk");
        assert_eq!(
            language(&headers(&[
                ("accept-language", "ru"),
                ("cookie", "eom_lang=kk")
            ])),
            "kk",
            "the choice in the header wins"
        );
        assert_eq!(language(&headers(&[("cookie", "eom_lang=xx")])), "en");
    }
}
