//! What the API and the dashboard share at the HTTP level: the composed application, and
//! streamed downloads.

use std::net::IpAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, map_response};
use axum::response::{IntoResponse, Response};
use tokio_stream::wrappers::ReceiverStream;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::service::Service;
use crate::service::export::Download;

/// Longest a request may take from its first byte to its answer.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

/// Largest request body accepted, after gzip decompression.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Longest request address (path and query) answered; no route or filter needs a tenth of it.
/// hyper itself refuses addresses over 64 KiB, before the application, with a bare 414;
/// this limit answers everything between with the JSON error body.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The whole HTTP application, routers composed in this one place; tests drive it with
/// `tower::ServiceExt::oneshot`.
pub fn app(service: Service) -> Router {
    // Installs the metrics recorder before the first request is counted.
    crate::telemetry::handle();
    Router::new()
        .merge(crate::web::router())
        .merge(crate::api::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A client that trickles its request (a dying mobile link, or a slowloris) must not
        // hold a connection and a task for ever; it gets 408 and retries.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(RequestDecompressionLayer::new())
        .layer(axum::middleware::from_fn(refuse_declared_oversize))
        .layer(axum::middleware::from_fn(refuse_long_uri))
        .layer(map_response(json_error_bodies))
        .layer(map_response(add_headers))
        .layer(axum::middleware::from_fn(crate::telemetry::track))
        .layer(TraceLayer::new_for_http())
        .with_state(service)
}

/// The version header on every answer, and the headers that keep a browser from framing,
/// sniffing, caching or leaking what the server sends: answers hold observers' reports.
async fn add_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        eom_shared::VERSION_HEADER,
        HeaderValue::from_static(eom_shared::VERSION),
    );
    // Pages have one inline stylesheet and one script of this server's (live updates, from
    // this server only); forms post only to this server.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null` on
    // the dashboard's own form posts, and the same-origin check could not tell them from a
    // forgery. Nothing is sent to other sites either way.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// An address longer than [`MAX_URI_BYTES`] gets 414 (with the JSON body added below).
async fn refuse_long_uri(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if length > MAX_URI_BYTES {
        return StatusCode::URI_TOO_LONG.into_response();
    }
    next.run(request).await
}

/// A body declared larger than the limit is refused at once from its `Content-Length`,
/// without waiting for (or reading) the body.
async fn refuse_declared_oversize(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return ApiError::PayloadTooLarge(format!(
            "the request body is larger than {} MiB",
            MAX_BODY_BYTES >> 20
        ))
        .into_response();
    }
    next.run(request).await
}

/// Error answers made below the handlers (405 from the router, 408 from the timeout, 415
/// from decompression, 413 from the body limit) get the same JSON error body as the rest.
async fn json_error_bodies(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let (code, message, hint) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this endpoint does not take that method",
            "see the Allow header and the API reference in README.md",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "request_timeout",
            "the request took too long to arrive",
            "retry; on a slow link send smaller batches",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "the body's type or encoding is not one the server reads",
            "send JSON, plain or with 'Content-Encoding: gzip'",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "the request body is too large",
            "send at most 16 MiB after decompression",
        ),
        StatusCode::URI_TOO_LONG => (
            "uri_too_long",
            "the address is too long",
            "shorten the query: at most 8 KiB",
        ),
        _ => (
            "error",
            status.canonical_reason().unwrap_or("the request failed"),
            "see the API reference in README.md",
        ),
    };
    let mut answer = ApiError::Status {
        status,
        code,
        message: message.to_owned(),
        hint: Some(hint.to_owned()),
    }
    .into_response();
    // Keep what the original answer said besides its body (Allow, Retry-After...).
    for (name, value) in response.headers() {
        if name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; see README.md for the API".into())
}

/// A streamed file as an attachment.
pub fn download(file: Download) -> Response {
    let mut response = Response::new(Body::from_stream(ReceiverStream::new(file.chunks)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.file_name))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// A small CSV file made in memory, as a download named `file_name` (plain ASCII).
pub fn csv_download(bytes: Vec<u8>, file_name: &'static str) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    file_response(
        bytes,
        &[
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, &disposition),
        ],
    )
}

/// An attachment's bytes, shown in the browser (`inline`) with its stored type; the type was
/// checked from the bytes when it arrived, and `nosniff` keeps the browser to it. A name
/// that is its content's hash never changes, so the browser may keep it.
pub fn attachment_response(mime: &str, bytes: Vec<u8>) -> Response {
    file_response(
        bytes,
        &[
            (header::CONTENT_TYPE, mime),
            (header::CONTENT_DISPOSITION, "inline"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
    )
}

/// Bytes made in memory with these headers (a value that is not a valid header is left out).
fn file_response(bytes: Vec<u8>, headers: &[(header::HeaderName, &str)]) -> Response {
    let mut response = Response::new(Body::from(bytes));
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(name.clone(), value);
        }
    }
    response
}

/// A checklist id from a path.
pub fn parse_id(raw: &str) -> Result<eom_shared::SubmissionId, ApiError> {
    eom_shared::SubmissionId::parse(raw)
        .map_err(|m| ApiError::bad_request(m, "take the id from GET /api/v1/submissions"))
}

/// The address a request came from (absent when the app is driven without a socket, in
/// tests): the peer, or behind a trusted reverse proxy the client it names.
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr
where
    Service: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let service = Service::from_ref(state);
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| client_address(c.0.ip(), &forwarded, &service.trusted_proxies)),
        ))
    }
}

/// The client behind `peer`: the peer itself unless it is a trusted proxy; then, reading
/// `X-Forwarded-For` from the right (each proxy appends the address it saw), the first
/// address that is not a trusted proxy. Everything left of that was written by the client
/// and may be forged, so it is never read; an entry that is not an address stops the walk.
pub fn client_address(peer: IpAddr, forwarded: &[&str], trusted: &[IpAddr]) -> IpAddr {
    let mut client = peer;
    let entries = forwarded
        .iter()
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for entry in entries.into_iter().rev() {
        if !trusted.contains(&client) {
            break;
        }
        match entry.parse::<IpAddr>() {
            Ok(address) => client = address,
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy = ip("10.0.0.2");
        let trusted = [proxy];
        // No trusted proxy: the header is the client's to forge, and ignored.
        assert_eq!(
            client_address(ip("203.0.113.9"), &["198.51.100.1"], &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(proxy, &["198.51.100.1"], &[]),
            proxy,
            "no proxy is trusted unless configured"
        );
        // Behind the proxy: the address it appended, not what the client wrote before it.
        assert_eq!(
            client_address(proxy, &["6.6.6.6, 198.51.100.1"], &trusted),
            ip("198.51.100.1")
        );
        // Two proxies in a row, the header split over two lines.
        let two = [proxy, ip("10.0.0.3")];
        assert_eq!(
            client_address(proxy, &["198.51.100.1", "10.0.0.3"], &two),
            ip("198.51.100.1")
        );
        // Garbage stops the walk at the last address known good.
        assert_eq!(client_address(proxy, &["not-an-ip"], &trusted), proxy);
        assert_eq!(client_address(proxy, &[], &trusted), proxy);
    }
}
