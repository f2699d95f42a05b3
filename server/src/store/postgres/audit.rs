//! The audit log on PostgreSQL. Several instances write at once, so appending takes one
//! transaction-scoped advisory lock (after any checklist locks, so it never waits while
//! holding what another writer needs) and the chain stays a single line.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use super::{count, get};
use crate::audit::{self, AccountRow, AuditEntry, NewEntry, ReviewRow, RevisionRow};
use crate::store::{Role, StoreError};

/// The audit log's lock, in the two-key advisory lock space (checklist locks use the
/// one-key space, so they never collide).
const LOCK: (i32, i32) = (0x0065_6f6d, 1);

pub(super) async fn append(
    tx: &impl GenericClient,
    at: DateTime<Utc>,
    entries: Vec<NewEntry>,
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&LOCK.0, &LOCK.1])
        .await?;
    let last = tx
        .query_opt(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            &[],
        )
        .await?
        .map(|r| Ok::<_, StoreError>((count::<u64>(&r, "seq")?, get::<String>(&r, "hash")?)))
        .transpose()?;
    let linked = audit::link(last, at, entries);
    let mut seqs = Vec::with_capacity(linked.len());
    let mut ats = Vec::with_capacity(linked.len());
    let (mut actors, mut actions, mut subjects, mut digests, mut prevs, mut hashes) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for e in linked {
        seqs.push(i64::try_from(e.seq).map_err(|_| StoreError::failed("audit sequence"))?);
        ats.push(e.at);
        actors.push(e.actor);
        actions.push(e.action);
        subjects.push(e.subject);
        digests.push(e.digest);
        prevs.push(e.prev);
        hashes.push(e.hash);
    }
    tx.execute(
        "INSERT INTO audit_log (seq, at, actor, action, subject, digest, prev, hash)
         SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[],
                              $5::text[], $6::text[], $7::text[], $8::text[])",
        &[
            &seqs, &ats, &actors, &actions, &subjects, &digests, &prevs, &hashes,
        ],
    )
    .await?;
    Ok(())
}

/// The entry recording an account's current row.
pub(super) async fn account_entry(
    tx: &impl GenericClient,
    account_id: &str,
    actor: &str,
) -> Result<Option<NewEntry>, StoreError> {
    let Some(r) = tx
        .query_opt(
            "SELECT id, name, role, admin, region, token_hash FROM accounts WHERE id = $1",
            &[&account_id],
        )
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(account_row_entry(&r, actor)?))
}

fn account_row_entry(r: &tokio_postgres::Row, actor: &str) -> Result<NewEntry, StoreError> {
    let (id, name, role, admin, region, token_hash): (
        String,
        String,
        String,
        bool,
        Option<String>,
        String,
    ) = (
        get(r, "id")?,
        get(r, "name")?,
        get(r, "role")?,
        get(r, "admin")?,
        get(r, "region")?,
        get(r, "token_hash")?,
    );
    let role = Role::from_stored(&role, admin).map_or("?", Role::as_str);
    Ok(AccountRow {
        id: &id,
        name: &name,
        role,
        region: region.as_deref(),
        token_hash: &token_hash,
    }
    .entry(actor))
}

pub(super) async fn read(
    tx: &impl GenericClient,
    entries: &mut dyn FnMut(AuditEntry) -> Result<(), StoreError>,
    rows: &mut dyn FnMut(String, String) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    for r in tx
        .query("SELECT * FROM audit_log ORDER BY seq", &[])
        .await?
    {
        entries(AuditEntry {
            seq: count(&r, "seq")?,
            at: get(&r, "at")?,
            actor: get(&r, "actor")?,
            action: get(&r, "action")?,
            subject: get(&r, "subject")?,
            digest: get(&r, "digest")?,
            prev: get(&r, "prev")?,
            hash: get(&r, "hash")?,
        })?;
    }
    for r in tx
        .query(
            "SELECT submission_id, revision, content_hash, observer_id, received_at FROM revisions",
            &[],
        )
        .await?
    {
        let (id, hash, observer): (String, String, String) = (
            get(&r, "submission_id")?,
            get(&r, "content_hash")?,
            get(&r, "observer_id")?,
        );
        let row = RevisionRow {
            id: &id,
            revision: count(&r, "revision")?,
            content_hash: &hash,
            observer_id: &observer,
            received_at: get(&r, "received_at")?,
        };
        rows(row.subject(), row.digest())?;
    }
    for r in tx
        .query(
            "SELECT seq, submission_id, revision, status, comment, reviewer_id, created_at FROM reviews",
            &[],
        )
        .await?
    {
        let (id, status, comment, reviewer): (String, String, String, String) = (
            get(&r, "submission_id")?,
            get(&r, "status")?,
            get(&r, "comment")?,
            get(&r, "reviewer_id")?,
        );
        let row = ReviewRow {
            seq: count(&r, "seq")?,
            submission_id: &id,
            revision: count(&r, "revision")?,
            status: &status,
            comment: &comment,
            reviewer_id: &reviewer,
            at: get(&r, "created_at")?,
        };
        rows(row.subject(), row.digest())?;
    }
    for r in tx
        .query(
            "SELECT id, name, role, admin, region, token_hash FROM accounts",
            &[],
        )
        .await?
    {
        let entry = account_row_entry(&r, "")?;
        rows(entry.subject, entry.digest)?;
    }
    for (subject, digest) in audit::results_rows(&super::official::all(tx).await?) {
        rows(subject, digest)?;
    }
    Ok(())
}
