use std::io::{self, Write};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::ApiQuery;
use super::submissions::SubmissionQuery;
use crate::AppState;
use crate::auth::Coordinator;
use crate::error::ApiError;
use crate::reports::export::{ExportFormat, Exporter};
use crate::store::SubmissionFilter;

/// Bytes gathered before a chunk goes to the client.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the database reader and the client: memory stays bounded however
/// many checklists are exported, and a slow client slows the reader down.
const CHUNKS_IN_FLIGHT: usize = 8;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    #[serde(flatten)]
    filter: SubmissionQuery,
}

/// A `Write` that hands full chunks to the response stream.
struct ChannelWriter {
    buffer: Vec<u8>,
    tx: mpsc::Sender<io::Result<Bytes>>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// `GET /api/v1/export?format=csv|xlsx|jsonl&form=...&region=...`: the latest revision of each
/// matching checklist, streamed.
pub async fn export(
    State(state): State<AppState>,
    Coordinator(_c): Coordinator,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let raw_format = query.format.as_deref().unwrap_or("csv");
    let format = ExportFormat::parse(raw_format).ok_or_else(|| {
        ApiError::bad_request(
            format!("'{raw_format}' is not an export format"),
            "use format=csv, xlsx or jsonl",
        )
    })?;
    let filter = query.filter.into_filter()?;
    stream_export(state, format, filter).await
}

/// Starts an export on a blocking thread and returns the streaming response.
pub async fn stream_export(
    state: AppState,
    format: ExportFormat,
    filter: SubmissionFilter,
) -> Result<Response, ApiError> {
    let form = match (&filter.form, format.needs_form()) {
        (Some(id), _) => {
            let store = state.store.clone();
            let forms = super::blocking({
                let store = store.clone();
                move || Ok(store.latest_forms()?)
            })
            .await?;
            let form = forms.into_iter().find(|f| f.id.as_str() == id);
            if form.is_none() && format.needs_form() {
                return Err(ApiError::bad_request(
                    format!("there is no form '{id}'"),
                    "use one of the form ids from GET /api/v1/reports/summary",
                ));
            }
            form
        }
        (None, true) => {
            return Err(ApiError::bad_request(
                "CSV and XLSX exports have one column per question, so they need a form",
                "add form=opening, voting, counting, tabulation or incident; or use format=jsonl for all forms",
            ));
        }
        (None, false) => None,
    };
    let name = format!(
        "eom-{}.{}",
        filter.form.as_deref().unwrap_or("all"),
        format.extension()
    );
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let errors = tx.clone();
        let writer = ChannelWriter {
            buffer: Vec::with_capacity(CHUNK),
            tx,
        };
        let result = (|| -> io::Result<()> {
            let mut exporter = Exporter::start(format, form, writer)?;
            let mut failure = None;
            store
                .export(&filter, &mut |row| match exporter.write(&row) {
                    Ok(()) => true,
                    Err(e) => {
                        failure = Some(e);
                        false
                    }
                })
                .map_err(io::Error::other)?;
            if let Some(e) = failure {
                return Err(e);
            }
            exporter.finish()
        })();
        if let Err(e) = result
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            tracing::error!(error = %e, "export failed");
            // Cuts the response short, so the client sees a failed download, not a short file.
            let _ = errors.blocking_send(Err(e));
        }
    });
    let mut response = Response::new(Body::from_stream(ReceiverStream::new(rx)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
