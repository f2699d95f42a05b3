//! Exports of checklists, streamed: a reader on the blocking pool writes the file in chunks
//! to a bounded channel, so memory stays flat however many checklists there are and a slow
//! client slows the reader down.

use std::io::{self, Write};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::{Service, ServiceError};
use crate::reports::export::{ExportFormat, Exporter, Presentation};
use crate::store::SubmissionFilter;

/// Bytes gathered before a chunk goes to the client.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the database reader and the client.
const CHUNKS_IN_FLIGHT: usize = 8;

/// A file being written: its name and type, and its bytes as they come. An error in the
/// stream means the file is incomplete (the client sees a failed download, not a short file).
pub struct Download {
    pub file_name: String,
    pub content_type: &'static str,
    pub chunks: mpsc::Receiver<io::Result<Bytes>>,
}

/// A `Write` that hands full chunks to the stream.
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

/// `latest` with the questions of its earlier versions that it no longer asks, before its last
/// question (the overall assessment): an export has a column for every answer any version
/// took, so checklists filled before a change (the protocol lines before contests were
/// imported, say) keep theirs.
fn with_earlier_questions(
    store: &dyn crate::store::Store,
    mut latest: eom_shared::Form,
) -> Result<eom_shared::Form, crate::store::StoreError> {
    let mut earlier: Vec<eom_shared::Question> = Vec::new();
    for version in (1..latest.version).rev() {
        for q in store
            .form(&latest.id, version)?
            .map(|f| f.questions)
            .unwrap_or_default()
        {
            if latest.question(&q.id).is_none() && !earlier.iter().any(|e| e.id == q.id) {
                earlier.push(q);
            }
        }
    }
    let at = latest.questions.len().saturating_sub(1);
    latest.questions.splice(at..at, earlier);
    Ok(latest)
}

impl Service {
    /// Starts exporting the latest revision of each checklist matching `filter`; XLSX in
    /// `lang` (labels of questions and answers) with times in the mission's zone, a sheet per
    /// form.
    pub async fn export(
        &self,
        format: ExportFormat,
        filter: SubmissionFilter,
        lang: &str,
    ) -> Result<Download, ServiceError> {
        let forms = self
            .store_call(|s| {
                let mut forms = Vec::new();
                for latest in s.latest_forms()? {
                    forms.push(with_earlier_questions(s, latest)?);
                }
                Ok(forms)
            })
            .await?;
        let forms: Vec<_> = match &filter.form {
            Some(id) => {
                let form: Vec<_> = forms.into_iter().filter(|f| f.id.as_str() == id).collect();
                if form.is_empty() {
                    return Err(ServiceError::invalid(
                        format!("there is no form '{id}'"),
                        "use one of the form ids from GET /api/v1/reports/summary",
                    ));
                }
                form
            }
            None if format.needs_form() => {
                return Err(ServiceError::invalid(
                    "a CSV export has one column per question, so it needs a form",
                    "add form=opening, voting, counting, tabulation or incident; or use format=xlsx (a sheet per form) or jsonl",
                ));
            }
            None => forms,
        };
        let presentation = Presentation {
            lang: crate::reports::statement::language(Some(lang)).to_owned(),
            zone: self
                .time_zone
                .as_deref()
                .and_then(|z| eom_shared::sync::parse_time_zone(z).ok()),
        };
        let file_name = format!(
            "eom-{}.{}",
            filter.form.as_deref().unwrap_or("all"),
            format.extension()
        );
        let (tx, chunks) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let errors = tx.clone();
            let writer = ChannelWriter {
                buffer: Vec::with_capacity(CHUNK),
                tx,
            };
            let result = (|| -> io::Result<()> {
                let single = (forms.len() == 1).then(|| forms[0].clone());
                let mut exporter = Exporter::start(format, single, writer, presentation)?;
                // XLSX: one pass per form, each its own sheet; the others: one pass.
                let passes: Vec<(Option<&eom_shared::form::Form>, SubmissionFilter)> =
                    if format == ExportFormat::Xlsx {
                        forms
                            .iter()
                            .map(|f| {
                                (
                                    Some(f),
                                    SubmissionFilter {
                                        form: Some(f.id.to_string()),
                                        ..filter.clone()
                                    },
                                )
                            })
                            .collect()
                    } else {
                        vec![(None, filter.clone())]
                    };
                for (form, filter) in passes {
                    if let Some(form) = form {
                        exporter.begin_form(form)?;
                    }
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
                }
                exporter.finish()
            })();
            if let Err(e) = result
                && e.kind() != io::ErrorKind::BrokenPipe
            {
                tracing::error!(error = %e, "export failed");
                let _ = errors.blocking_send(Err(e));
            }
        });
        Ok(Download {
            file_name,
            content_type: format.content_type(),
            chunks,
        })
    }
}
