//! `eom ui`: the observer's app in the browser, served by the laptop itself on loopback.
//!
//! The same local store and the same validation code as the terminal commands; pages are
//! rendered here (maud) and work with JavaScript off, a little script saving answers as they
//! are given and showing what applies. Only this computer's browser gets in, and only one that
//! opened the printed address with its per-launch secret (as Jupyter does): the secret becomes
//! an HttpOnly, SameSite=Strict cookie, so other local users and other web pages get nothing.
//! Requests naming any other `Host` are refused (DNS rebinding), and a state-changing request
//! from another origin is refused. No external asset: it works with the network cable pulled.

mod assets;
mod pages;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore;
use tokio::net::TcpListener;
use tokio::sync::Mutex;

use crate::store::LocalStore;

const COOKIE: &str = "eom_ui";

/// What every page handler reaches.
#[derive(Clone)]
pub struct Ui {
    store: Arc<Mutex<LocalStore>>,
    secret: Arc<str>,
    /// The `Host` values this server answers to: `127.0.0.1:PORT` and `localhost:PORT`.
    hosts: Arc<[String]>,
    /// A message for the next page shown (after a redirect).
    flash: Arc<Mutex<Option<String>>>,
}

/// Serves the app on `listen` (loopback only) until Ctrl-C; prints the address to open.
pub async fn serve(
    store: LocalStore,
    listen: SocketAddr,
    open_browser: bool,
) -> anyhow::Result<()> {
    if !listen.ip().is_loopback() {
        bail!(
            "eom ui listens on this computer only ({listen} is not a loopback address): use 127.0.0.1:PORT"
        );
    }
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}; choose another port with --listen"))?;
    let addr = listener.local_addr()?;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let secret: Arc<str> = hex::encode(bytes).into();
    let ui = Ui {
        store: Arc::new(Mutex::new(store)),
        secret: secret.clone(),
        hosts: vec![
            format!("127.0.0.1:{}", addr.port()),
            format!("localhost:{}", addr.port()),
        ]
        .into(),
        flash: Arc::new(Mutex::new(None)),
    };
    let url = format!("http://127.0.0.1:{}/?key={secret}", addr.port());
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "eom ui is running. Open this address in your browser:")?;
        writeln!(out, "{url}")?;
        writeln!(out, "Ctrl-C stops it; everything is saved as you go.")?;
        out.flush()?;
    }
    if open_browser && webbrowser::open(&url).is_err() {
        eprintln!("Could not open a browser: copy the address above into one.");
    }
    axum::serve(listener, router(ui))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the eom ui server stopped with an error")
}

fn router(ui: Ui) -> Router {
    pages::routes()
        .layer(middleware::from_fn_with_state(ui.clone(), guard))
        .with_state(ui)
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_owned())
}

fn refused(status: StatusCode) -> Response {
    let text = rust_i18n::t!("error.forbidden", locale = "en");
    let mut response = (status, text.into_owned()).into_response();
    secure_headers(response.headers_mut());
    response
}

fn secure_headers(headers: &mut HeaderMap) {
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // `same-origin`, not `no-referrer`: with the latter a browser sends `Origin: null` on its own
        // form posts, which the origin check below would refuse.
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// The door: right host, the launch secret (from the printed address, then the cookie), and
/// for state changes the page's own origin.
async fn guard(State(ui): State<Ui>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !ui.hosts.iter().any(|h| h == host) {
        return refused(StatusCode::FORBIDDEN);
    }
    let key = request.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "key")
            .map(|(_, v)| v.to_owned())
    });
    if let Some(key) = key {
        if key != *ui.secret {
            return refused(StatusCode::FORBIDDEN);
        }
        let mut response = Redirect::to(request.uri().path()).into_response();
        if let Ok(cookie) = HeaderValue::from_str(&format!(
            "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
            ui.secret
        )) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        secure_headers(response.headers_mut());
        return response;
    }
    if cookie_value(request.headers()).as_deref() != Some(&*ui.secret) {
        return refused(StatusCode::FORBIDDEN);
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let origin_ok = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .is_none_or(|o| ui.hosts.iter().any(|h| o == format!("http://{h}")));
        if !origin_ok {
            return refused(StatusCode::FORBIDDEN);
        }
    }
    let mut response = next.run(request).await;
    secure_headers(response.headers_mut());
    response
}
