//! Talking to `eom-server` over HTTP.
//!
//! Every answer is checked to be a genuine eom answer (the `Eom-Version` header and the
//! expected JSON) before anything is marked delivered: a hotel Wi-Fi login page or a proxy's
//! error page answering 200 must never be mistaken for the server.

use std::io::Write;
use std::time::Duration;

use eom_shared::ErrorBody;
use eom_shared::submission::SubmissionPayload;
use eom_shared::sync::{MineResponse, PullResponse, PushRequest, PushResponse};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Response, StatusCode, Url};
use serde::de::DeserializeOwned;

/// The longest wait a server may ask for with `Retry-After`; a larger value is taken as this,
/// so that a broken or hostile answer cannot park a laptop for days.
pub const MAX_RETRY_AFTER_SECS: u64 = 300;
/// The most bytes read of a push answer (a thousand results with their messages fit easily).
const MAX_PUSH_ANSWER: usize = 16 << 20;
/// The most bytes read of a pull answer (forms and a station list of a whole country).
const MAX_PULL_ANSWER: usize = 64 << 20;
/// The most bytes read of an error answer.
const MAX_ERROR_ANSWER: usize = 64 << 10;

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("cannot reach the server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error(
        "certificate not trusted — possible interception: the server at {url} did not prove it is the mission's server ({reason}). Do not send anything over this network; check the address, or set the mission's certificate authority with 'eom setup --ca FILE'"
    )]
    Untrusted { url: String, reason: String },
    #[error(
        "the answer did not come from an eom server (HTTP {status}{detail}): probably a Wi-Fi login page or a proxy; open a web browser, sign in to the network, then sync again"
    )]
    NotEomServer { status: u16, detail: String },
    #[error(
        "the server refused the token ({message}); ask your coordinator for a token and run 'eom setup' again"
    )]
    Unauthorized { message: String },
    #[error("the server refused the request: {message}")]
    Forbidden { message: String },
    #[error("the server is overloaded; it asked to retry in {retry_after_secs} s")]
    Overloaded { retry_after_secs: u64 },
    #[error("the batch is too large for the server: {message}")]
    TooLarge { message: String },
    #[error("the server answered HTTP {status}: {message}")]
    Server {
        status: u16,
        message: String,
        retryable: bool,
    },
}

impl RemoteError {
    /// How long the server asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            RemoteError::Overloaded { retry_after_secs } => {
                Some(Duration::from_secs(*retry_after_secs))
            }
            _ => None,
        }
    }

    /// Whether trying the same request again later can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            RemoteError::Unreachable { .. }
            | RemoteError::NotEomServer { .. }
            | RemoteError::Overloaded { .. } => true,
            RemoteError::Server { retryable, .. } => *retryable,
            RemoteError::Unauthorized { .. }
            | RemoteError::Forbidden { .. }
            | RemoteError::Untrusted { .. }
            | RemoteError::TooLarge { .. } => false,
        }
    }
}

pub struct ServerClient {
    http: reqwest::Client,
    base: Url,
    token: String,
}

/// Parses and normalises a server address as typed by a person.
pub fn parse_server_url(raw: &str) -> Result<Url, String> {
    let trimmed = raw.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("http://{trimmed}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| {
        format!("'{raw}' is not a server address ({e}); e.g. http://192.168.1.10:8080")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "'{raw}': the address must start with http:// or https://"
        ));
    }
    // API paths are joined onto the base, which therefore has to end with '/'.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// How the client reaches the server: the mission's own certificate authority (PEM), if any,
/// and how long a request may take.
#[derive(Clone, Default)]
pub struct Trust {
    /// With a CA, only certificates it signed are accepted (the mission's server is pinned).
    pub ca_pem: Option<Vec<u8>>,
}

/// Checks that `pem` holds at least one certificate, for `eom setup --ca`.
pub fn parse_ca(pem: &[u8]) -> Result<(), String> {
    reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|e| e.to_string())
        .and_then(|certs| {
            if certs.is_empty() {
                Err("no certificate in it".to_owned())
            } else {
                Ok(())
            }
        })
}

impl ServerClient {
    pub fn new(base: Url, token: String) -> Result<Self, RemoteError> {
        Self::with_trust(base, token, &Trust::default(), Duration::from_secs(60))
    }

    /// A client that trusts only `trust`'s CA when one is given, with `timeout` per request.
    pub fn with_trust(
        base: Url,
        token: String,
        trust: &Trust,
        timeout: Duration,
    ) -> Result<Self, RemoteError> {
        let failed = |e: String| RemoteError::Unreachable {
            url: base.to_string(),
            reason: e,
        };
        let mut builder = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .user_agent(concat!("eom/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &trust.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| failed(format!("the mission's CA certificate is unreadable: {e}")))?;
            builder = builder.tls_certs_only(certs);
        }
        let http = builder.build().map_err(|e| failed(e.to_string()))?;
        Ok(Self { http, base, token })
    }

    fn url(&self, path: &str) -> Url {
        // `base` always ends with '/', and `path` is one of ours: joining cannot fail.
        self.base.join(path).unwrap_or_else(|_| self.base.clone())
    }

    fn unreachable(&self, e: &reqwest::Error) -> RemoteError {
        // A certificate that does not check out is never "offline": on a hostile network it
        // is the sign of someone in the middle.
        let mut cause: Option<&dyn std::error::Error> = Some(e);
        while let Some(c) = cause {
            let text = c.to_string().to_ascii_lowercase();
            if text.contains("certificate") || text.contains("unknownissuer") {
                return RemoteError::Untrusted {
                    url: self.base.to_string(),
                    reason: c.to_string(),
                };
            }
            cause = c.source();
        }
        let reason = if e.is_timeout() {
            "the connection timed out".to_owned()
        } else if e.is_connect() {
            "could not connect (offline, blocked, or the server is not running)".to_owned()
        } else {
            // Includes connections cut in the middle of the answer.
            format!("the connection failed: {e}")
        };
        RemoteError::Unreachable {
            url: self.base.to_string(),
            reason,
        }
    }

    /// Sends a batch, gzip-compressed; one result per item, in order.
    pub async fn push(&self, items: &[SubmissionPayload]) -> Result<PushResponse, RemoteError> {
        let body = serde_json::to_vec(&PushRequest {
            submissions: items.to_vec(),
        })
        .map_err(|e| RemoteError::Server {
            status: 0,
            message: format!("could not encode the batch: {e}"),
            retryable: false,
        })?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let compressed = gz
            .write_all(&body)
            .and_then(|()| gz.finish())
            .map_err(|e| RemoteError::Server {
                status: 0,
                message: format!("could not compress the batch: {e}"),
                retryable: false,
            })?;
        let response = self
            .http
            .post(self.url("api/v1/sync/push"))
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_ENCODING, "gzip")
            .body(compressed)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let answer: PushResponse = self.read(response, MAX_PUSH_ANSWER).await?;
        check_results(items, &answer)?;
        Ok(answer)
    }

    /// Sends bytes `offset..` of an attachment of checklist `id` (an empty `bytes` asks how
    /// far the server is); answers how many bytes the server holds.
    pub async fn upload_chunk(
        &self,
        id: eom_shared::SubmissionId,
        attachment: &crate::store::LocalAttachment,
        offset: u64,
        bytes: Vec<u8>,
    ) -> Result<eom_shared::attachment::UploadState, RemoteError> {
        let mut url = self.url(&format!(
            "api/v1/submissions/{id}/attachments/{}",
            attachment.sha256
        ));
        url.query_pairs_mut()
            .append_pair("size", &attachment.size.to_string())
            .append_pair("offset", &offset.to_string())
            .append_pair("name", &attachment.name);
        let response = self
            .http
            .put(url)
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .header(CONTENT_TYPE, &attachment.mime)
            .body(bytes)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        self.read(response, MAX_PULL_ANSWER).await
    }

    /// One page of the observer's own checklists on the server (`eom restore`).
    pub async fn mine(&self, page: u32) -> Result<MineResponse, RemoteError> {
        let mut url = self.url("api/v1/sync/mine");
        url.query_pairs_mut().append_pair("page", &page.to_string());
        self.get(url).await
    }

    /// Exchanges a one-time enrolment code for the observer's token (no token needed).
    pub async fn enrol(&self, code: &str) -> Result<eom_shared::sync::EnrolResponse, RemoteError> {
        let response = self
            .http
            .post(self.url("api/v1/enrol"))
            .json(&eom_shared::sync::EnrolRequest {
                code: code.to_owned(),
            })
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        self.read(response, MAX_PULL_ANSWER).await
    }

    /// Tells the server the laptop showed these coordinators' messages to its team.
    pub async fn messages_read(&self, ids: &[uuid::Uuid]) -> Result<(), RemoteError> {
        let response = self
            .http
            .post(self.url("api/v1/messages/read"))
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .json(&eom_shared::sync::MessagesRead { ids: ids.to_vec() })
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let _: serde_json::Value = self.read(response, MAX_PULL_ANSWER).await?;
        Ok(())
    }

    /// The public key the server signs receipts with.
    pub async fn receipt_key(&self) -> Result<eom_shared::receipt::ReceiptKey, RemoteError> {
        self.get(self.url("api/v1/receipts/key")).await
    }

    pub async fn pull(&self, since: Option<&str>) -> Result<PullResponse, RemoteError> {
        let mut url = self.url("api/v1/sync/pull");
        if let Some(cursor) = since {
            url.query_pairs_mut().append_pair("since", cursor);
        }
        self.get(url).await
    }

    /// An authenticated GET whose answer is read with the catalogue-sized cap.
    async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T, RemoteError> {
        let response = self
            .http
            .get(url)
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        self.read(response, MAX_PULL_ANSWER).await
    }

    /// Reads at most `limit` bytes of the body: an answer larger than that is not one an eom
    /// server sends, and is dropped without reading (or holding) the rest.
    async fn body(&self, mut response: Response, limit: usize) -> Result<Vec<u8>, RemoteError> {
        let status = response.status().as_u16();
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large(status, limit));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.unreachable(&e))? {
            if bytes.len() + chunk.len() > limit {
                return Err(too_large(status, limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Turns an HTTP answer into `T`, or into the error it stands for.
    async fn read<T: DeserializeOwned>(
        &self,
        response: Response,
        limit: usize,
    ) -> Result<T, RemoteError> {
        let status = response.status();
        let genuine = response.headers().contains_key(eom_shared::VERSION_HEADER);
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|secs| secs.min(MAX_RETRY_AFTER_SECS));
        if !genuine {
            return Err(RemoteError::NotEomServer {
                status: status.as_u16(),
                detail: String::new(),
            });
        }
        let limit = if status.is_success() {
            limit
        } else {
            MAX_ERROR_ANSWER
        };
        let bytes = self.body(response, limit).await?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| RemoteError::NotEomServer {
                status: status.as_u16(),
                detail: format!(", unreadable answer: {e}"),
            });
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
        let message = body
            .as_ref()
            .map(|b| match &b.hint {
                Some(h) => format!("{}; {h}", b.message),
                None => b.message.clone(),
            })
            .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(200).collect());
        Err(match status {
            StatusCode::UNAUTHORIZED => RemoteError::Unauthorized { message },
            StatusCode::FORBIDDEN => RemoteError::Forbidden { message },
            StatusCode::PAYLOAD_TOO_LARGE => RemoteError::TooLarge { message },
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => {
                RemoteError::Overloaded {
                    retry_after_secs: retry_after.unwrap_or(5),
                }
            }
            _ => RemoteError::Server {
                status: status.as_u16(),
                retryable: body.is_some_and(|b| b.retryable)
                    || status.is_server_error()
                    || status == StatusCode::REQUEST_TIMEOUT,
                message,
            },
        })
    }
}

fn too_large(status: u16, limit: usize) -> RemoteError {
    RemoteError::NotEomServer {
        status,
        detail: format!(", an answer over {} MB", limit >> 20),
    }
}

/// A push answer must hold one result per item sent, each naming the id and revision that was
/// sent in that place; anything else did not come from an eom server (or was altered on the
/// way), and nothing may be marked delivered on its word.
fn check_results(items: &[SubmissionPayload], answer: &PushResponse) -> Result<(), RemoteError> {
    if answer.results.len() != items.len() {
        return Err(RemoteError::NotEomServer {
            status: 200,
            detail: format!(
                ", {} results for {} items",
                answer.results.len(),
                items.len()
            ),
        });
    }
    for (sent, result) in items.iter().zip(&answer.results) {
        if result.id != Some(sent.id) || result.revision != Some(sent.revision) {
            return Err(RemoteError::NotEomServer {
                status: 200,
                detail: format!(
                    ", a result names a checklist that was not sent in its place ({} revision {})",
                    sent.id, sent.revision
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_normalised() {
        assert_eq!(
            parse_server_url("127.0.0.1:8080").map(String::from),
            Ok("http://127.0.0.1:8080/".to_owned())
        );
        assert_eq!(
            parse_server_url("https://eom.example.org/mission/").map(String::from),
            Ok("https://eom.example.org/mission/".to_owned())
        );
        assert!(parse_server_url("ftp://x").is_err());
        assert!(parse_server_url("http://").is_err());
    }
}
