//! Live pages: the server-sent-events stream open pages follow ([`crate::live`]), and the
//! script that follows it.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::WatchStream;

use super::Session;
use crate::service::Service;

const SCRIPT: &str = include_str!("assets/dashboard.js");

/// `GET /events`: `event: changed` each time the change stamp moves, for signed-in pages.
pub async fn events(
    State(service): State<Service>,
    Session(_viewer): Session,
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let changes = WatchStream::from_changes(service.live.subscribe())
        .map(|stamp| Ok(Event::default().event("changed").data(stamp.to_string())));
    Sse::new(changes).keep_alive(KeepAlive::default())
}

/// `GET /assets/dashboard.js`.
pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
}
