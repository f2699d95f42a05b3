//! The audit log on SQLite: appended in the writing transaction (SQLite has one writer, so
//! the chain is never raced), read back for `eom-server audit`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::columns::{get, time, time_text};
use crate::audit::{self, AccountRow, AuditEntry, NewEntry, ReviewRow, RevisionRow};
use crate::store::{Role, StoreError};

pub(super) fn append(
    tx: &Connection,
    at: DateTime<Utc>,
    entries: Vec<NewEntry>,
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let last: Option<(u64, String)> = tx
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    for e in audit::link(last, at, entries) {
        insert(tx, &e)?;
    }
    Ok(())
}

/// Stores one entry as it is (appended here, or moved by `migrate`).
pub(super) fn insert(tx: &Connection, e: &AuditEntry) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO audit_log (seq, at, actor, action, subject, digest, prev, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        e.seq,
        time_text(e.at),
        e.actor,
        e.action,
        e.subject,
        e.digest,
        e.prev,
        e.hash
    ])?;
    Ok(())
}

/// The entry recording an account's current row.
pub(super) fn account_entry(
    tx: &Connection,
    account_id: &str,
    actor: &str,
) -> Result<Option<NewEntry>, StoreError> {
    let row = tx
        .prepare_cached(
            "SELECT id, name, role, admin, region, token_hash FROM accounts WHERE id = ?1",
        )?
        .query_row([account_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .optional()?;
    Ok(row.map(|(id, name, role, admin, region, token_hash)| {
        let role = Role::from_stored(&role, admin).map_or("?", Role::as_str);
        AccountRow {
            id: &id,
            name: &name,
            role,
            region: region.as_deref(),
            token_hash: &token_hash,
        }
        .entry(actor)
    }))
}

pub(super) fn entries(
    c: &Connection,
    sink: &mut dyn FnMut(AuditEntry) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut stmt = c.prepare("SELECT * FROM audit_log ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        sink(AuditEntry {
            seq: get(r, "seq")?,
            at: time(r, "at")?,
            actor: get(r, "actor")?,
            action: get(r, "action")?,
            subject: get(r, "subject")?,
            digest: get(r, "digest")?,
            prev: get(r, "prev")?,
            hash: get(r, "hash")?,
        })?;
    }
    Ok(())
}

/// Every audited row, as (subject, digest of its current contents).
pub(super) fn rows(
    c: &Connection,
    sink: &mut dyn FnMut(String, String) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut stmt = c.prepare(
        "SELECT submission_id, revision, content_hash, observer_id, received_at FROM revisions",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (id, hash, observer): (String, String, String) = (
            get(r, "submission_id")?,
            get(r, "content_hash")?,
            get(r, "observer_id")?,
        );
        let row = RevisionRow {
            id: &id,
            revision: get(r, "revision")?,
            content_hash: &hash,
            observer_id: &observer,
            received_at: time(r, "received_at")?,
        };
        sink(row.subject(), row.digest())?;
    }
    let mut stmt = c.prepare(
        "SELECT seq, submission_id, revision, status, comment, reviewer_id, created_at FROM reviews",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (id, status, comment, reviewer): (String, String, String, String) = (
            get(r, "submission_id")?,
            get(r, "status")?,
            get(r, "comment")?,
            get(r, "reviewer_id")?,
        );
        let row = ReviewRow {
            seq: get(r, "seq")?,
            submission_id: &id,
            revision: get(r, "revision")?,
            status: &status,
            comment: &comment,
            reviewer_id: &reviewer,
            at: time(r, "created_at")?,
        };
        sink(row.subject(), row.digest())?;
    }
    let ids: Vec<String> = c
        .prepare("SELECT id FROM accounts")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        if let Some(entry) = account_entry(c, &id, "")? {
            sink(entry.subject, entry.digest)?;
        }
    }
    for (subject, digest) in audit::results_rows(&super::official::all(c)?) {
        sink(subject, digest)?;
    }
    Ok(())
}
