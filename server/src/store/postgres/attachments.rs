//! Attachments on PostgreSQL: the bytes in chunks as they arrived, named by their SHA-256.
//! The upload's row is locked while a chunk is stored, so two instances given chunks of one
//! photo at once store them one after the other.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use eom_shared::SubmissionId;
use eom_shared::attachment::{AttachmentInfo, UploadState};
use sha2::{Digest, Sha256};
use tokio_postgres::Row;

use super::{count, get, parsed, rows};
use crate::store::{ChunkOutcome, ChunkStep, ChunkUpload, Record, StoreError, chunk_step};

pub(super) async fn upload(
    tx: &impl GenericClient,
    chunk: &ChunkUpload<'_>,
) -> Result<ChunkOutcome, StoreError> {
    let id = chunk.submission_id.to_string();
    let owned = tx
        .query_opt(
            "SELECT 1 FROM submissions WHERE id = $1 AND observer_id = $2",
            &[&id, &chunk.observer_id],
        )
        .await?
        .is_some();
    if !owned {
        return Ok(ChunkOutcome::NoSuchChecklist);
    }
    let size = i64::try_from(chunk.size)
        .map_err(|_| StoreError::Invalid("the attachment is too large".into()))?;
    tx.execute(
        "INSERT INTO attachments (sha256, mime, size, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sha256) DO NOTHING",
        &[&chunk.sha256, &chunk.mime, &size, &chunk.at],
    )
    .await?;
    let row = tx
        .query_one(
            "SELECT size, mime, received, complete FROM attachments WHERE sha256 = $1 FOR UPDATE",
            &[&chunk.sha256],
        )
        .await?;
    let (size, mime, received, complete): (u64, String, u64, bool) = (
        count(&row, "size")?,
        get(&row, "mime")?,
        count(&row, "received")?,
        get(&row, "complete")?,
    );
    let state = |received, complete| Ok(ChunkOutcome::State(UploadState { received, complete }));
    match chunk_step((size, &mime, received, complete), chunk) {
        ChunkStep::Mismatch(why) => Ok(ChunkOutcome::Mismatch(why)),
        ChunkStep::Report => state(received, false),
        ChunkStep::Link => {
            link(tx, chunk).await?;
            state(size, true)
        }
        ChunkStep::Append => {
            let offset = i64::try_from(chunk.offset)
                .map_err(|_| StoreError::Invalid("the offset is too large".into()))?;
            tx.execute(
                "INSERT INTO attachment_chunks (sha256, \"offset\", data) VALUES ($1, $2, $3)",
                &[&chunk.sha256, &offset, &chunk.bytes],
            )
            .await?;
            let received = received + chunk.bytes.len() as u64;
            let stored = i64::try_from(received).unwrap_or(i64::MAX);
            if received < size {
                tx.execute(
                    "UPDATE attachments SET received = $2 WHERE sha256 = $1",
                    &[&chunk.sha256, &stored],
                )
                .await?;
                return state(received, false);
            }
            let mut hasher = Sha256::new();
            hasher.update(bytes(tx, chunk.sha256).await?);
            if hex::encode(hasher.finalize()) != chunk.sha256 {
                tx.execute(
                    "DELETE FROM attachment_chunks WHERE sha256 = $1",
                    &[&chunk.sha256],
                )
                .await?;
                tx.execute(
                    "UPDATE attachments SET received = 0 WHERE sha256 = $1",
                    &[&chunk.sha256],
                )
                .await?;
                return Ok(ChunkOutcome::Corrupt);
            }
            tx.execute(
                "UPDATE attachments SET received = $2, complete = TRUE WHERE sha256 = $1",
                &[&chunk.sha256, &stored],
            )
            .await?;
            link(tx, chunk).await?;
            state(size, true)
        }
    }
}

/// Links a complete photo to the checklist; the first time, with an audit entry.
async fn link(tx: &impl GenericClient, chunk: &ChunkUpload<'_>) -> Result<(), StoreError> {
    if insert_link(tx, chunk.submission_id, chunk.sha256, chunk.name, chunk.at).await? {
        super::audit::append(
            tx,
            chunk.at,
            vec![crate::audit::attachment_entry(
                chunk.observer_id,
                &chunk.submission_id.to_string(),
                chunk.sha256,
            )],
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn insert_link(
    tx: &impl GenericClient,
    submission_id: SubmissionId,
    sha256: &str,
    name: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let added = tx
        .execute(
            "INSERT INTO submission_attachments (submission_id, sha256, name, added_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&submission_id.to_string(), &sha256, &name, &at],
        )
        .await?;
    Ok(added > 0)
}

/// Stores a complete attachment in one chunk (`eom-server migrate`).
pub(super) async fn insert_whole(
    tx: &impl GenericClient,
    sha256: &str,
    mime: &str,
    data: &[u8],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let size = i64::try_from(data.len()).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO attachments (sha256, mime, size, received, complete, created_at)
         VALUES ($1, $2, $3, $3, TRUE, $4)",
        &[&sha256, &mime, &size, &at],
    )
    .await?;
    tx.execute(
        "INSERT INTO attachment_chunks (sha256, \"offset\", data) VALUES ($1, 0, $2)",
        &[&sha256, &data],
    )
    .await?;
    Ok(())
}

async fn bytes(c: &impl GenericClient, sha256: &str) -> Result<Vec<u8>, StoreError> {
    let found = c
        .query(
            "SELECT data FROM attachment_chunks WHERE sha256 = $1 ORDER BY \"offset\"",
            &[&sha256],
        )
        .await?;
    let mut all = Vec::new();
    for r in found {
        let data: Vec<u8> = get(&r, "data")?;
        all.extend_from_slice(&data);
    }
    Ok(all)
}

pub(super) async fn list(
    c: &impl GenericClient,
    submission_id: SubmissionId,
) -> Result<Vec<AttachmentInfo>, StoreError> {
    let found = c
        .query(
            "SELECT l.sha256, l.name, l.added_at, a.mime, a.size
             FROM submission_attachments l JOIN attachments a ON a.sha256 = l.sha256
             WHERE l.submission_id = $1 AND a.complete
             ORDER BY l.added_at, l.sha256",
            &[&submission_id.to_string()],
        )
        .await?;
    rows(found, |r| {
        Ok(AttachmentInfo {
            sha256: get(r, "sha256")?,
            name: get(r, "name")?,
            mime: get(r, "mime")?,
            size: count(r, "size")?,
            added_at: get(r, "added_at")?,
        })
    })
}

pub(super) async fn one(
    c: &impl GenericClient,
    submission_id: SubmissionId,
    sha256: &str,
) -> Result<Option<(String, Vec<u8>)>, StoreError> {
    let mime = c
        .query_opt(
            "SELECT a.mime FROM submission_attachments l JOIN attachments a ON a.sha256 = l.sha256
             WHERE l.submission_id = $1 AND l.sha256 = $2 AND a.complete",
            &[&submission_id.to_string(), &sha256],
        )
        .await?;
    match mime {
        Some(row) => Ok(Some((get(&row, "mime")?, bytes(c, sha256).await?))),
        None => Ok(None),
    }
}

/// The dump's queries: complete attachments with their bytes assembled, then the links.
pub(super) const ATTACHMENTS: &str = "SELECT a.sha256, a.mime, a.created_at,
        COALESCE((SELECT string_agg(c.data, ''::bytea ORDER BY c.\"offset\")
                  FROM attachment_chunks c WHERE c.sha256 = a.sha256), ''::bytea) AS data
     FROM attachments a WHERE a.complete ORDER BY a.sha256";
pub(super) const LINKS: &str = "SELECT l.submission_id, l.sha256, l.name, l.added_at
     FROM submission_attachments l JOIN attachments a ON a.sha256 = l.sha256
     WHERE a.complete ORDER BY l.submission_id, l.sha256";

pub(super) fn attachment_record(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::Attachment {
        sha256: get(r, "sha256")?,
        mime: get(r, "mime")?,
        data: get(r, "data")?,
        created_at: get(r, "created_at")?,
    })
}

pub(super) fn link_record(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::AttachmentLink {
        submission_id: parsed(r, "submission_id", SubmissionId::parse)?,
        sha256: get(r, "sha256")?,
        name: get(r, "name")?,
        added_at: get(r, "added_at")?,
    })
}
