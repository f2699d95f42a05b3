//! Photos attached to checklists on the laptop: kept in the encrypted store until the server
//! holds every byte, with how far each upload got, so a cut upload resumes.

use chrono::{DateTime, Utc};
use eom_shared::SubmissionId;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{LocalStore, StoreError, now_text};

/// An attachment as the laptop keeps it (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalAttachment {
    pub submission_id: SubmissionId,
    pub sha256: String,
    pub name: String,
    pub mime: String,
    pub size: u64,
    /// Bytes the server said it holds.
    pub sent: u64,
    /// The server holds all of it.
    pub done: bool,
    pub added_at: DateTime<Utc>,
}

/// What attaching a file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attached {
    New(LocalAttachment),
    /// This checklist has this photo already.
    Already(LocalAttachment),
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LocalAttachment> {
    let bad = |what: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.into())
    };
    let id: String = r.get("submission_id")?;
    let added: String = r.get("added_at")?;
    Ok(LocalAttachment {
        submission_id: SubmissionId::parse(&id).map_err(bad)?,
        sha256: r.get("sha256")?,
        name: r.get("name")?,
        mime: r.get("mime")?,
        size: r.get("size")?,
        sent: r.get("sent")?,
        done: r.get("done")?,
        added_at: DateTime::parse_from_rfc3339(&added)
            .map_err(|e| bad(e.to_string()))?
            .with_timezone(&Utc),
    })
}

const COLUMNS: &str = "submission_id, sha256, name, mime, size, sent, done, added_at";

impl LocalStore {
    /// Attaches `bytes` (already checked: [`eom_shared::attachment::check`]) to the checklist
    /// `id`, in one transaction.
    pub fn add_attachment(
        &mut self,
        id: SubmissionId,
        name: &str,
        mime: &str,
        bytes: &[u8],
    ) -> Result<Attached, StoreError> {
        let sha256 = eom_shared::sha256_hex(bytes);
        if let Some(existing) = self.attachment(id, &sha256)? {
            return Ok(Attached::Already(existing));
        }
        self.conn.execute(
            "INSERT INTO attachments (submission_id, sha256, name, mime, size, data, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id.to_string(),
                sha256,
                name,
                mime,
                bytes.len() as u64,
                bytes,
                now_text()
            ],
        )?;
        self.attachment(id, &sha256)?
            .map(Attached::New)
            .ok_or_else(|| StoreError::Database("the attachment was not saved".into()))
    }

    pub fn attachment(
        &self,
        id: SubmissionId,
        sha256: &str,
    ) -> Result<Option<LocalAttachment>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM attachments WHERE submission_id = ?1 AND sha256 = ?2"
                ),
                params![id.to_string(), sha256],
                from_row,
            )
            .optional()?)
    }

    /// The attachments of a checklist, oldest first.
    pub fn attachments(&self, id: SubmissionId) -> Result<Vec<LocalAttachment>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM attachments WHERE submission_id = ?1 ORDER BY added_at, sha256"
        ))?;
        let found = stmt
            .query_map(params![id.to_string()], from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(found)
    }

    /// Attachments the server does not hold yet, of checklists it has received (an attachment
    /// of a checklist still in the outbox waits for it).
    pub fn attachments_to_send(&self) -> Result<Vec<LocalAttachment>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM attachments a
             WHERE a.done = 0 AND EXISTS (
                SELECT 1 FROM outbox o WHERE o.id = a.submission_id AND o.delivered_at IS NOT NULL)
             ORDER BY added_at, sha256"
        ))?;
        let found = stmt
            .query_map([], from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(found)
    }

    /// Attachments not yet all on the server.
    pub fn attachments_waiting(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM attachments WHERE done = 0", [], |r| {
                r.get(0)
            })?)
    }

    /// Bytes `offset..offset + len` of an attachment.
    pub fn attachment_bytes(
        &self,
        id: SubmissionId,
        sha256: &str,
        offset: u64,
        len: usize,
    ) -> Result<Vec<u8>, StoreError> {
        let data: Vec<u8> = self.conn.query_row(
            "SELECT substr(data, ?3 + 1, ?4) FROM attachments WHERE submission_id = ?1 AND sha256 = ?2",
            params![id.to_string(), sha256, offset, len as u64],
            |r| r.get(0),
        )?;
        Ok(data)
    }

    /// Records how many bytes the server said it holds.
    pub fn attachment_progress(
        &mut self,
        id: SubmissionId,
        sha256: &str,
        sent: u64,
        done: bool,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE attachments SET sent = ?3, done = ?4 WHERE submission_id = ?1 AND sha256 = ?2",
            params![id.to_string(), sha256, sent, done],
        )?;
        Ok(())
    }
}
