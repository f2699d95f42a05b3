//! Attachments: a team sends a photo of its checklist's protocol in chunks; a coordinator
//! reads it back. What arrives is checked at the edge (name, size, type, length of a chunk)
//! before the store sees it.

use eom_shared::SubmissionId;
use eom_shared::attachment::{self, CHUNK_BYTES, MAX_BYTES, MAX_NAME_CHARS, UploadState};

use super::scope::Scope;
use super::{Service, ServiceError};
use crate::store::{Account, ChunkOutcome, ChunkUpload};

/// The largest chunk the server takes (a client may send up to four of its own at once).
pub const MAX_CHUNK_BYTES: usize = 4 * CHUNK_BYTES;

/// One chunk as it arrived, before it is checked.
pub struct IncomingChunk {
    pub submission_id: SubmissionId,
    pub sha256: String,
    pub size: u64,
    pub name: String,
    pub mime: String,
    pub offset: u64,
    pub bytes: axum::body::Bytes,
}

fn invalid(message: String, hint: &str) -> ServiceError {
    ServiceError::invalid(message, hint)
}

impl IncomingChunk {
    fn check(&self) -> Result<(), ServiceError> {
        if !attachment::is_sha256(&self.sha256) {
            return Err(invalid(
                format!("'{}' is not a SHA-256", self.sha256),
                "name the attachment by the SHA-256 of its bytes, 64 lower-case hex digits",
            ));
        }
        if self.size == 0 || self.size > MAX_BYTES {
            return Err(ServiceError::TooLarge(format!(
                "an attachment has 1 to {MAX_BYTES} bytes, and this one says {}",
                self.size
            )));
        }
        if !attachment::TYPES.contains(&self.mime.as_str()) {
            return Err(invalid(
                format!("'{}' is not a type of attachment eom keeps", self.mime),
                "send JPEG, PNG, WebP or HEIF photos, with that Content-Type",
            ));
        }
        if self.bytes.len() > MAX_CHUNK_BYTES {
            return Err(ServiceError::TooLarge(format!(
                "a chunk has at most {MAX_CHUNK_BYTES} bytes"
            )));
        }
        if self.offset == 0
            && !self.bytes.is_empty()
            && attachment::sniff(&self.bytes) != Some(self.mime.as_str())
        {
            return Err(invalid(
                format!("the bytes are not {}", self.mime),
                "attach the photo itself, with its own type",
            ));
        }
        if self.name.chars().count() > MAX_NAME_CHARS
            || eom_shared::limits::control_character(&self.name).is_some()
        {
            return Err(invalid(
                "the file name is too long or holds control characters".into(),
                "send the file's own name, up to 200 characters",
            ));
        }
        Ok(())
    }
}

impl Service {
    /// Stores one chunk of an attachment of one of `observer`'s checklists; answers how far
    /// the upload is.
    pub async fn upload_chunk(
        &self,
        observer: &Account,
        chunk: IncomingChunk,
    ) -> Result<UploadState, ServiceError> {
        chunk.check()?;
        let observer_id = observer.id.clone();
        let outcome = self
            .store_call(move |store| {
                Ok(store.upload_chunk(&ChunkUpload {
                    observer_id: &observer_id,
                    submission_id: chunk.submission_id,
                    sha256: &chunk.sha256,
                    size: chunk.size,
                    mime: &chunk.mime,
                    name: &chunk.name,
                    offset: chunk.offset,
                    bytes: &chunk.bytes,
                    at: chrono::Utc::now(),
                })?)
            })
            .await?;
        match outcome {
            ChunkOutcome::State(state) => Ok(state),
            ChunkOutcome::NoSuchChecklist => Err(ServiceError::NotFound(
                "this team has no checklist with that id on the server: sync the checklist first, then its attachments".into(),
            )),
            ChunkOutcome::Mismatch(why) => Err(invalid(
                why,
                "send every chunk with the size and type of the whole file",
            )),
            ChunkOutcome::Corrupt => Err(invalid(
                "the bytes received do not match the attachment's SHA-256, so they were thrown away".into(),
                "send the attachment again from the start",
            )),
        }
    }

    /// A checklist's attachment, for a coordinator who sees the checklist: its type and bytes.
    pub async fn attachment(
        &self,
        scope: &Scope,
        id: SubmissionId,
        sha256: String,
    ) -> Result<(String, Vec<u8>), ServiceError> {
        self.submission(id, scope).await?;
        self.store_call(move |store| Ok(store.attachment(id, &sha256)?))
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(
                    "this checklist has no complete attachment with that SHA-256".into(),
                )
            })
    }
}
