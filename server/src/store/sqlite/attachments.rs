//! Attachments in SQLite: the bytes in chunks as they arrived, named by their SHA-256.

use eom_shared::SubmissionId;
use eom_shared::attachment::{AttachmentInfo, UploadState};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::columns::{get, parse_time, time, time_text};
use crate::store::{ChunkOutcome, ChunkStep, ChunkUpload, StoreError, chunk_step};

pub(super) fn upload(tx: &Connection, chunk: &ChunkUpload<'_>) -> Result<ChunkOutcome, StoreError> {
    let id = chunk.submission_id.to_string();
    let owned: bool = tx.query_row(
        "SELECT count(*) FROM submissions WHERE id = ?1 AND observer_id = ?2",
        params![id, chunk.observer_id],
        |r| r.get::<_, i64>(0),
    )? > 0;
    if !owned {
        return Ok(ChunkOutcome::NoSuchChecklist);
    }
    tx.execute(
        "INSERT INTO attachments (sha256, mime, size, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (sha256) DO NOTHING",
        params![chunk.sha256, chunk.mime, chunk.size, time_text(chunk.at)],
    )?;
    let (size, mime, received, complete): (u64, String, u64, bool) = tx.query_row(
        "SELECT size, mime, received, complete FROM attachments WHERE sha256 = ?1",
        params![chunk.sha256],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let state = |received, complete| Ok(ChunkOutcome::State(UploadState { received, complete }));
    match chunk_step((size, &mime, received, complete), chunk) {
        ChunkStep::Mismatch(why) => Ok(ChunkOutcome::Mismatch(why)),
        ChunkStep::Report => state(received, false),
        ChunkStep::Link => {
            link(tx, chunk)?;
            state(size, true)
        }
        ChunkStep::Append => {
            tx.execute(
                "INSERT INTO attachment_chunks (sha256, offset, data) VALUES (?1, ?2, ?3)",
                params![chunk.sha256, chunk.offset, chunk.bytes],
            )?;
            let received = received + chunk.bytes.len() as u64;
            if received < size {
                tx.execute(
                    "UPDATE attachments SET received = ?2 WHERE sha256 = ?1",
                    params![chunk.sha256, received],
                )?;
                return state(received, false);
            }
            if hash(tx, chunk.sha256)? != chunk.sha256 {
                tx.execute(
                    "DELETE FROM attachment_chunks WHERE sha256 = ?1",
                    params![chunk.sha256],
                )?;
                tx.execute(
                    "UPDATE attachments SET received = 0 WHERE sha256 = ?1",
                    params![chunk.sha256],
                )?;
                return Ok(ChunkOutcome::Corrupt);
            }
            tx.execute(
                "UPDATE attachments SET received = ?2, complete = 1 WHERE sha256 = ?1",
                params![chunk.sha256, received],
            )?;
            link(tx, chunk)?;
            state(size, true)
        }
    }
}

/// Links a complete photo to the checklist; the first time, with an audit entry.
fn link(tx: &Connection, chunk: &ChunkUpload<'_>) -> Result<(), StoreError> {
    if insert_link(tx, chunk.submission_id, chunk.sha256, chunk.name, chunk.at)? {
        super::audit::append(
            tx,
            chunk.at,
            vec![crate::audit::attachment_entry(
                chunk.observer_id,
                &chunk.submission_id.to_string(),
                chunk.sha256,
            )],
        )?;
    }
    Ok(())
}

pub(super) fn insert_link(
    tx: &Connection,
    submission_id: SubmissionId,
    sha256: &str,
    name: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<bool, StoreError> {
    let added = tx.execute(
        "INSERT INTO submission_attachments (submission_id, sha256, name, added_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        params![submission_id.to_string(), sha256, name, time_text(at)],
    )?;
    Ok(added > 0)
}

/// Stores a complete attachment in one chunk (`eom-server migrate`).
pub(super) fn insert_whole(
    tx: &Connection,
    sha256: &str,
    mime: &str,
    data: &[u8],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO attachments (sha256, mime, size, received, complete, created_at)
         VALUES (?1, ?2, ?3, ?3, 1, ?4)",
        params![sha256, mime, data.len() as u64, time_text(at)],
    )?;
    tx.execute(
        "INSERT INTO attachment_chunks (sha256, offset, data) VALUES (?1, 0, ?2)",
        params![sha256, data],
    )?;
    Ok(())
}

fn hash(c: &Connection, sha256: &str) -> Result<String, StoreError> {
    let mut hasher = Sha256::new();
    let mut stmt =
        c.prepare_cached("SELECT data FROM attachment_chunks WHERE sha256 = ?1 ORDER BY offset")?;
    let mut rows = stmt.query(params![sha256])?;
    while let Some(r) = rows.next()? {
        let data: Vec<u8> = r.get(0)?;
        hasher.update(&data);
    }
    Ok(hex::encode(hasher.finalize()))
}

pub(super) fn bytes(c: &Connection, sha256: &str) -> Result<Vec<u8>, StoreError> {
    let mut stmt =
        c.prepare_cached("SELECT data FROM attachment_chunks WHERE sha256 = ?1 ORDER BY offset")?;
    let mut rows = stmt.query(params![sha256])?;
    let mut all = Vec::new();
    while let Some(r) = rows.next()? {
        let data: Vec<u8> = r.get(0)?;
        all.extend_from_slice(&data);
    }
    Ok(all)
}

pub(super) fn list(
    c: &Connection,
    submission_id: SubmissionId,
) -> Result<Vec<AttachmentInfo>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT l.sha256, l.name, l.added_at, a.mime, a.size
         FROM submission_attachments l JOIN attachments a ON a.sha256 = l.sha256
         WHERE l.submission_id = ?1 AND a.complete = 1
         ORDER BY l.added_at, l.sha256",
    )?;
    let mut rows = stmt.query(params![submission_id.to_string()])?;
    let mut found = Vec::new();
    while let Some(r) = rows.next()? {
        found.push(AttachmentInfo {
            sha256: get(r, "sha256")?,
            name: get(r, "name")?,
            mime: get(r, "mime")?,
            size: get(r, "size")?,
            added_at: time(r, "added_at")?,
        });
    }
    Ok(found)
}

pub(super) fn one(
    c: &Connection,
    submission_id: SubmissionId,
    sha256: &str,
) -> Result<Option<(String, Vec<u8>)>, StoreError> {
    let mime: Option<String> = c
        .query_row(
            "SELECT a.mime FROM submission_attachments l JOIN attachments a ON a.sha256 = l.sha256
             WHERE l.submission_id = ?1 AND l.sha256 = ?2 AND a.complete = 1",
            params![submission_id.to_string(), sha256],
            |r| r.get(0),
        )
        .optional()?;
    match mime {
        Some(mime) => Ok(Some((mime, bytes(c, sha256)?))),
        None => Ok(None),
    }
}

/// Every complete attachment and every link, for `eom-server migrate`.
pub(super) fn dump(
    c: &Connection,
    sink: &mut dyn FnMut(crate::store::Record) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let heads: Vec<(String, String, String)> = c
        .prepare(
            "SELECT sha256, mime, created_at FROM attachments WHERE complete = 1 ORDER BY sha256",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (sha256, mime, created_at) in heads {
        let data = bytes(c, &sha256)?;
        let created_at = parse_time(&created_at)?;
        sink(crate::store::Record::Attachment {
            sha256,
            mime,
            data,
            created_at,
        })?;
    }
    let mut stmt = c.prepare(
        "SELECT l.submission_id, l.sha256, l.name, l.added_at FROM submission_attachments l
         JOIN attachments a ON a.sha256 = l.sha256 WHERE a.complete = 1
         ORDER BY l.submission_id, l.sha256",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = get(r, "submission_id")?;
        sink(crate::store::Record::AttachmentLink {
            submission_id: SubmissionId::parse(&id).map_err(StoreError::corrupt)?,
            sha256: get(r, "sha256")?,
            name: get(r, "name")?,
            added_at: time(r, "added_at")?,
        })?;
    }
    Ok(())
}
