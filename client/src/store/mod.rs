//! The client's local store: one SQLite file in the client's home folder holding settings,
//! the cached forms and stations, and the outbox.
//!
//! Every state change is one transaction, so killing the client at any instant loses nothing
//! the observer saved.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use eom_shared::form::Form;
use eom_shared::receipt::Receipt;
use eom_shared::station::Station;
use eom_shared::submission::{SubmissionContent, SubmissionId, SubmissionPayload};
use eom_shared::sync::{Feedback, PushOutcome, PushResult, ReviewStatus};
use eom_shared::{ContentHash, FormId, Issue};
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, TransactionBehavior, params};

use crate::vault::{self, Key};
use serde::Serialize;

mod attachments;
mod messages;
pub use attachments::{Attached, LocalAttachment};
pub use messages::LocalMessage;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_feedback.sql"),
    include_str!("migrations/0003_drafts.sql"),
    include_str!("migrations/0004_receipts.sql"),
    include_str!("migrations/0005_messages.sql"),
    include_str!("migrations/0006_attachments.sql"),
];
pub const DATABASE_FILE: &str = "eom.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the local database is busy (another eom command is running?); try again")]
    Busy,
    #[error(
        "the passphrase does not open this laptop's eom data (it is case-sensitive); nothing was changed"
    )]
    WrongKey,
    #[error("{0}")]
    NotFound(String),
    #[error("local database error: {0}")]
    Database(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
            Some(ErrorCode::NotADatabase) => StoreError::WrongKey,
            _ => StoreError::Database(e.to_string()),
        }
    }
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Database(format!("unreadable stored JSON: {e}"))
}

/// Where a checklist stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Draft,
    /// Saved, waiting to be sent.
    Queued,
    /// The server holds this revision (or a newer one).
    Delivered,
    /// The server refused it; `issues` says why. Fixed with `eom edit`.
    Rejected,
    /// The server holds other content under the same revision; kept here, flagged.
    Conflict,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Draft,
        State::Queued,
        State::Delivered,
        State::Rejected,
        State::Conflict,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Queued => "queued",
            State::Delivered => "delivered",
            State::Rejected => "rejected",
            State::Conflict => "conflict",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                format!(
                    "'{raw}' is not a state: use draft, queued, delivered, rejected or conflict"
                )
            })
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One outbox row.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: SubmissionId,
    pub revision: u32,
    pub state: State,
    #[serde(flatten)]
    pub content: SubmissionContent,
    pub content_hash: ContentHash,
    pub created_at: String,
    pub updated_at: String,
    pub issues: Vec<Issue>,
    pub last_outcome: Option<String>,
    pub delivered_at: Option<String>,
    /// The coordinators' latest review, once pulled.
    pub review: Option<Review>,
}

/// A checklist being filled (or edited) and not finished yet: never sent.
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    /// The id the checklist will have (a new one), or has (an edit).
    pub id: SubmissionId,
    /// `None` for a new checklist; the revision being edited otherwise.
    pub base_revision: Option<u32>,
    #[serde(flatten)]
    pub content: SubmissionContent,
    pub created_at: String,
    pub updated_at: String,
}

/// A coordinator's review of a checklist, as the observer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub status: ReviewStatus,
    pub comment: String,
    pub reviewer: String,
    pub at: String,
    /// The revision that was reviewed.
    pub revision: u32,
}

impl Entry {
    pub fn payload(&self) -> SubmissionPayload {
        SubmissionPayload {
            id: self.id,
            revision: self.revision,
            content: self.content.clone(),
            content_hash: self.content_hash.clone(),
        }
    }
}

/// Counts per state and the last successful sync, for `eom status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    pub draft: u64,
    pub queued: u64,
    pub delivered: u64,
    pub rejected: u64,
    pub conflict: u64,
    pub last_sync_at: Option<String>,
    pub server: Option<String>,
}

/// What one push answer changed locally.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub delivered: Vec<(SubmissionId, PushOutcome)>,
    pub rejected: Vec<(SubmissionId, Vec<Issue>)>,
    pub conflicts: Vec<SubmissionId>,
    /// Edited locally while the push was in flight: the newer revision stays queued.
    pub superseded: Vec<SubmissionId>,
}

pub fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub struct LocalStore {
    conn: Connection,
    path: PathBuf,
}

impl LocalStore {
    /// Opens (creating if needed) the store in `home`, encrypted with `key`. A store written
    /// by an earlier eom in clear is encrypted first, in place. A wrong key is
    /// [`StoreError::WrongKey`] and changes nothing.
    pub fn open(home: &Path, key: &Key) -> Result<Self, StoreError> {
        create_private_dir(home)?;
        let path = home.join(DATABASE_FILE);
        if !path.exists() {
            // Created before SQLite opens it, so the database and the journal files SQLite
            // makes beside it (with the same permissions) are readable by the owner only.
            vault::write_private(&path, b"").map_err(|e| StoreError::Database(e.to_string()))?;
        } else if is_plaintext(&path)? {
            encrypt_in_place(&path, key)?;
        }
        let mut conn = Connection::open(&path)
            .map_err(|e| StoreError::Database(format!("cannot open {}: {e}", path.display())))?;
        conn.execute_batch(&format!("PRAGMA key = \"{}\";", *key.sqlcipher_literal()))?;
        // The first read shows whether the key fits.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let applied: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if applied > MIGRATIONS.len() {
            return Err(StoreError::Database(format!(
                "{} was written by a newer eom; upgrade eom",
                path.display()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
            tx.commit()?;
        }
        Ok(Self { conn, path })
    }

    /// Whether opening `home` needs a new passphrase chosen: there is no store yet, or only
    /// one kept in clear by an earlier eom.
    pub fn needs_new_passphrase(home: &Path) -> Result<bool, StoreError> {
        let path = home.join(DATABASE_FILE);
        Ok(!path.exists() || is_plaintext(&path)?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Saves what a pull brought, and the new cursor, in one transaction: a pull interrupted
    /// half-way leaves the old cursor, so the next pull brings everything again.
    pub fn save_catalog(
        &mut self,
        forms: &[Form],
        stations: &[Station],
        feedback: &[Feedback],
        cursor: &str,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for f in feedback {
            // Reviews arrive in the order they were made: the last one stands.
            record_review(&tx, f)?;
        }
        for form in forms {
            tx.execute(
                "INSERT INTO forms (id, version, definition) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id, version) DO UPDATE SET definition = excluded.definition",
                params![
                    form.id.as_str(),
                    form.version,
                    serde_json::to_string(form).map_err(json_err)?
                ],
            )?;
        }
        upsert_stations(&tx, stations)?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('pull_cursor', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [cursor],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Loads a station list distributed offline (e.g. on a USB stick before election day).
    pub fn import_stations(&mut self, stations: &[Station]) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        upsert_stations(&tx, stations)?;
        tx.commit()?;
        Ok(())
    }

    /// The newest cached version of every form.
    pub fn forms(&self) -> Result<Vec<Form>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT definition FROM forms f
             WHERE version = (SELECT max(version) FROM forms WHERE id = f.id) ORDER BY rowid",
        )?;
        let texts = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        texts
            .iter()
            .map(|t| serde_json::from_str(t).map_err(json_err))
            .collect()
    }

    /// The cached form `id`, at `version` or else its newest version.
    pub fn form(&self, id: &str, version: Option<u32>) -> Result<Option<Form>, StoreError> {
        let text: Option<String> = match version {
            Some(v) => self
                .conn
                .query_row(
                    "SELECT definition FROM forms WHERE id = ?1 AND version = ?2",
                    params![id, v],
                    |r| r.get(0),
                )
                .optional()?,
            None => self
                .conn
                .query_row(
                    "SELECT definition FROM forms WHERE id = ?1 ORDER BY version DESC LIMIT 1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?,
        };
        text.map(|t| serde_json::from_str(&t).map_err(json_err))
            .transpose()
    }

    /// Cached stations whose code, name or region contains `search`, whatever the case and
    /// accents (see [`crate::search::fold`]), in code order.
    pub fn stations(&self, search: Option<&str>) -> Result<Vec<Station>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT definition FROM stations ORDER BY code")?;
        let texts = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let typed = search.unwrap_or("");
        let mut found = Vec::new();
        for text in &texts {
            let station: Station = serde_json::from_str(text).map_err(json_err)?;
            if crate::search::matches(
                typed,
                &[station.code.as_str(), &station.name, &station.region],
            ) {
                found.push(station);
            }
        }
        Ok(found)
    }

    pub fn station(&self, code: &str) -> Result<Option<Station>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT definition FROM stations WHERE code = ?1",
                [code],
                |r| r.get(0),
            )
            .optional()?;
        text.map(|t| serde_json::from_str(&t).map_err(json_err))
            .transpose()
    }

    /// Saves a new checklist as queued, revision 1.
    pub fn create(&mut self, content: SubmissionContent) -> Result<Entry, StoreError> {
        let id = SubmissionId::new();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        insert_new(&tx, id, &content)?;
        tx.commit()?;
        self.get(id)?
            .ok_or_else(|| StoreError::NotFound(format!("checklist {id} vanished after saving")))
    }

    /// Brings back checklists the server holds for this observer (a new laptop taking over
    /// from a lost one): each missing one is stored as delivered, with its review. One already
    /// on this laptop is left as it is. Returns how many were added.
    pub fn restore(&mut self, items: &[eom_shared::sync::MineItem]) -> Result<usize, StoreError> {
        let now = now_text();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut added = 0;
        for item in items {
            let p = &item.submission;
            let content = &p.content;
            let inserted = tx.execute(
                "INSERT INTO outbox (id, revision, state, form_id, form_version, station,
                   observed_at, answers, notes, content_hash, created_at, updated_at,
                   last_outcome, delivered_at)
                 VALUES (?1, ?2, 'delivered', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, 'restored', ?10)
                 ON CONFLICT (id) DO NOTHING",
                params![
                    p.id.to_string(),
                    p.revision,
                    content.form_id.as_str(),
                    content.form_version,
                    content.station.as_str(),
                    content
                        .observed_at
                        .to_rfc3339_opts(SecondsFormat::Millis, true),
                    serde_json::to_string(&content.answers).map_err(json_err)?,
                    content.notes,
                    p.content_hash.0,
                    now
                ],
            )?;
            if inserted == 0 {
                continue;
            }
            added += 1;
            insert_revision(&tx, p.id, p.revision, content, &p.content_hash, &now)?;
            if let Some(f) = &item.review {
                record_review(&tx, f)?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Saves (creating or replacing) a draft: what has been answered so far.
    pub fn save_draft(&mut self, draft: &Draft) -> Result<(), StoreError> {
        let now = now_text();
        self.conn.execute(
            "INSERT INTO drafts (id, base_revision, form_id, form_version, station, observed_at,
               answers, notes, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
             ON CONFLICT (id) DO UPDATE SET form_id = excluded.form_id,
               form_version = excluded.form_version, station = excluded.station,
               observed_at = excluded.observed_at, answers = excluded.answers,
               notes = excluded.notes, updated_at = excluded.updated_at",
            params![
                draft.id.to_string(),
                draft.base_revision,
                draft.content.form_id.as_str(),
                draft.content.form_version,
                draft.content.station.as_str(),
                draft
                    .content
                    .observed_at
                    .to_rfc3339_opts(SecondsFormat::Millis, true),
                serde_json::to_string(&draft.content.answers).map_err(json_err)?,
                draft.content.notes,
                now
            ],
        )?;
        Ok(())
    }

    /// Every draft, oldest first.
    pub fn drafts(&self) -> Result<Vec<Draft>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT * FROM drafts ORDER BY created_at, id")?;
        let mut rows = stmt.query([])?;
        let mut drafts = Vec::new();
        while let Some(row) = rows.next()? {
            drafts.push(draft_from_row(row)?);
        }
        Ok(drafts)
    }

    /// A draft by its full id or a unique prefix of it.
    pub fn find_draft(&self, id_or_prefix: &str) -> Result<Draft, StoreError> {
        let prefix = id_or_prefix.trim().to_ascii_lowercase();
        let found: Vec<Draft> = self
            .drafts()?
            .into_iter()
            .filter(|d| d.id.to_string().starts_with(&prefix))
            .collect();
        match (prefix.len() >= 4, found.len()) {
            (true, 1) => Ok(found.into_iter().next().expect("one draft")),
            (true, 0) | (false, _) => Err(StoreError::NotFound(format!(
                "no draft '{id_or_prefix}' on this laptop; 'eom drafts' lists them"
            ))),
            _ => Err(StoreError::NotFound(format!(
                "'{id_or_prefix}' matches more than one draft; give more of the id"
            ))),
        }
    }

    /// Discards a draft (the checklist it edits, if any, stays as it was).
    pub fn delete_draft(&mut self, id: SubmissionId) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM drafts WHERE id = ?1", [id.to_string()])?
            == 1)
    }

    /// Finishes a draft in one transaction: a new checklist is queued as revision 1 under the
    /// draft's id; an edit is saved as the next revision. The draft is deleted with it.
    pub fn finish_draft(&mut self, draft: &Draft) -> Result<Entry, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        match draft.base_revision {
            None => insert_new(&tx, draft.id, &draft.content)?,
            Some(_) => {
                update_revision(&tx, draft.id, &draft.content)?;
            }
        }
        tx.execute("DELETE FROM drafts WHERE id = ?1", [draft.id.to_string()])?;
        tx.commit()?;
        self.get(draft.id)?.ok_or_else(|| {
            StoreError::NotFound(format!("checklist {} vanished after saving", draft.id))
        })
    }
}

/// Records a coordinator's review on the checklist it is about.
fn record_review(tx: &Connection, f: &Feedback) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE outbox SET review_status = ?2, review_comment = ?3, reviewer = ?4,
           reviewed_at = ?5, reviewed_revision = ?6
         WHERE id = ?1",
        params![
            f.submission_id.to_string(),
            f.status.as_str(),
            f.comment,
            f.reviewer,
            f.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            f.revision
        ],
    )?;
    Ok(())
}

/// Inserts a new checklist, queued at revision 1.
fn insert_new(
    tx: &Connection,
    id: SubmissionId,
    content: &SubmissionContent,
) -> Result<(), StoreError> {
    let now = now_text();
    let hash = content.content_hash();
    {
        tx.execute(
            "INSERT INTO outbox (id, revision, state, form_id, form_version, station, observed_at,
               answers, notes, content_hash, created_at, updated_at)
             VALUES (?1, 1, 'queued', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![
                id.to_string(),
                content.form_id.as_str(),
                content.form_version,
                content.station.as_str(),
                content
                    .observed_at
                    .to_rfc3339_opts(SecondsFormat::Millis, true),
                serde_json::to_string(&content.answers).map_err(json_err)?,
                content.notes,
                hash.0,
                now
            ],
        )?;
    }
    insert_revision(tx, id, 1, content, &hash, &now)
}

/// Saves `content` as the next revision of `id` and queues it; returns the new revision.
fn update_revision(
    tx: &Connection,
    id: SubmissionId,
    content: &SubmissionContent,
) -> Result<u32, StoreError> {
    let now = now_text();
    let hash = content.content_hash();
    let revision: Option<u32> = tx
        .query_row(
            "SELECT revision FROM outbox WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(revision) = revision else {
        return Err(StoreError::NotFound(format!(
            "no checklist with id {id} on this laptop; 'eom list' shows them"
        )));
    };
    let next = revision + 1;
    tx.execute(
        "UPDATE outbox SET revision = ?2, state = 'queued', form_id = ?3, form_version = ?4,
           station = ?5, observed_at = ?6, answers = ?7, notes = ?8, content_hash = ?9,
           updated_at = ?10, issues = '[]', last_outcome = NULL
         WHERE id = ?1",
        params![
            id.to_string(),
            next,
            content.form_id.as_str(),
            content.form_version,
            content.station.as_str(),
            content
                .observed_at
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            serde_json::to_string(&content.answers).map_err(json_err)?,
            content.notes,
            hash.0,
            now
        ],
    )?;
    insert_revision(tx, id, next, content, &hash, &now)?;
    Ok(next)
}

impl LocalStore {
    /// Saves an edit as the next revision and queues it, whatever state the checklist was in.
    pub fn edit(
        &mut self,
        id: SubmissionId,
        content: SubmissionContent,
    ) -> Result<Entry, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        update_revision(&tx, id, &content)?;
        tx.commit()?;
        self.get(id)?
            .ok_or_else(|| StoreError::NotFound(format!("checklist {id} vanished after saving")))
    }

    pub fn get(&self, id: SubmissionId) -> Result<Option<Entry>, StoreError> {
        self.conn
            .query_row(
                "SELECT * FROM outbox WHERE id = ?1",
                [id.to_string()],
                |row| Ok(entry_from_row(row)),
            )
            .optional()?
            .transpose()
    }

    /// Finds a checklist by its full id or a unique prefix of it (as `eom list` shows them).
    pub fn find(&self, id_or_prefix: &str) -> Result<Entry, StoreError> {
        let prefix = id_or_prefix.trim().to_ascii_lowercase();
        if prefix.len() < 4 {
            return Err(StoreError::NotFound(format!(
                "'{id_or_prefix}' is too short: give at least 4 characters of the id"
            )));
        }
        // The first characters of the id, or its last ones (the short reference 'eom list'
        // shows).
        let mut stmt = self
            .conn
            .prepare("SELECT * FROM outbox WHERE id LIKE ?1 || '%' OR id LIKE '%' || ?1 LIMIT 2")?;
        let mut rows = stmt.query([&prefix])?;
        let mut found = Vec::new();
        while let Some(row) = rows.next()? {
            found.push(entry_from_row(row)?);
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(StoreError::NotFound(format!(
                "no checklist with id '{id_or_prefix}' on this laptop; 'eom list' shows them"
            ))),
            _ => Err(StoreError::NotFound(format!(
                "'{id_or_prefix}' matches more than one checklist; give more of the id"
            ))),
        }
    }

    pub fn list(&self, state: Option<State>) -> Result<Vec<Entry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT * FROM outbox WHERE ?1 IS NULL OR state = ?1 ORDER BY created_at, id",
        )?;
        let mut rows = stmt.query([state.map(State::as_str)])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(entry_from_row(row)?);
        }
        Ok(out)
    }

    /// Ids of queued checklists, oldest edit first.
    pub fn queued_ids(&self) -> Result<Vec<SubmissionId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM outbox WHERE state = 'queued' ORDER BY updated_at, id")?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        ids.iter()
            .map(|s| SubmissionId::parse(s).map_err(StoreError::Database))
            .collect()
    }

    /// Applies a push answer in one transaction. An outcome counts only for the revision that
    /// was sent: a checklist edited meanwhile stays queued with its newer revision.
    pub fn apply_outcomes(
        &mut self,
        sent: &[SubmissionPayload],
        results: &[PushResult],
    ) -> Result<Applied, StoreError> {
        let now = now_text();
        let mut applied = Applied::default();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (item, result) in sent.iter().zip(results) {
            let issues = serde_json::to_string(&result.issues).map_err(json_err)?;
            let (state, delivered_at) = match result.outcome {
                o if o.is_delivered() => (State::Delivered, Some(now.as_str())),
                PushOutcome::Conflict => (State::Conflict, None),
                _ => (State::Rejected, None),
            };
            let changed = tx.execute(
                "UPDATE outbox SET state = ?3, issues = ?4, last_outcome = ?5,
                   delivered_at = coalesce(?6, delivered_at)
                 WHERE id = ?1 AND revision = ?2 AND state = 'queued'",
                params![
                    item.id.to_string(),
                    item.revision,
                    state.as_str(),
                    issues,
                    result.outcome.as_str(),
                    delivered_at
                ],
            )?;
            // A receipt is kept only when it is about exactly what was sent.
            if let Some(receipt) = result.receipt.as_ref().filter(|r| {
                r.id == item.id
                    && r.revision == item.revision
                    && r.content_hash == item.content.content_hash()
            }) {
                tx.execute(
                    "INSERT INTO receipts (id, revision, content_hash, received_at, signature)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id, revision) DO NOTHING",
                    params![
                        receipt.id.to_string(),
                        receipt.revision,
                        receipt.content_hash.0,
                        receipt
                            .received_at
                            .to_rfc3339_opts(SecondsFormat::Millis, true),
                        receipt.signature
                    ],
                )?;
            }
            if changed == 0 {
                applied.superseded.push(item.id);
                continue;
            }
            match state {
                State::Delivered => applied.delivered.push((item.id, result.outcome)),
                State::Conflict => applied.conflicts.push(item.id),
                _ => applied.rejected.push((item.id, result.issues.clone())),
            }
        }
        tx.commit()?;
        Ok(applied)
    }

    /// Every receipt the server gave this laptop, oldest first.
    pub fn receipts(&self) -> Result<Vec<Receipt>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, revision, content_hash, received_at, signature FROM receipts
             ORDER BY received_at, id, revision",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, revision, hash, at, signature)| {
                Ok(Receipt {
                    id: SubmissionId::parse(&id).map_err(StoreError::Database)?,
                    revision,
                    content_hash: ContentHash(hash),
                    received_at: DateTime::parse_from_rfc3339(&at)
                        .map_err(|e| StoreError::Database(format!("a receipt's time: {e}")))?
                        .with_timezone(&Utc),
                    signature,
                })
            })
            .collect()
    }

    pub fn status(&self) -> Result<Status, StoreError> {
        let mut status = Status {
            last_sync_at: self.setting("last_sync_at")?,
            server: self.setting("server")?,
            ..Status::default()
        };
        let mut stmt = self
            .conn
            .prepare("SELECT state, count(*) FROM outbox GROUP BY state")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            match State::parse(&state) {
                Ok(State::Draft) => status.draft = n,
                Ok(State::Queued) => status.queued = n,
                Ok(State::Delivered) => status.delivered = n,
                Ok(State::Rejected) => status.rejected = n,
                Ok(State::Conflict) => status.conflict = n,
                Err(_) => {}
            }
        }
        Ok(status)
    }

    /// How many revisions of a checklist were saved on this laptop.
    pub fn revision_count(&self, id: SubmissionId) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM revisions WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )?)
    }
}

fn upsert_stations(tx: &Connection, stations: &[Station]) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO stations (code, name, region, definition) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, region = excluded.region,
           definition = excluded.definition",
    )?;
    for s in stations {
        stmt.execute(params![
            s.code.as_str(),
            s.name,
            s.region,
            serde_json::to_string(s).map_err(json_err)?
        ])?;
    }
    Ok(())
}

fn insert_revision(
    tx: &Connection,
    id: SubmissionId,
    revision: u32,
    content: &SubmissionContent,
    hash: &ContentHash,
    now: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO revisions (id, revision, content, content_hash, saved_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            id.to_string(),
            revision,
            serde_json::to_string(content).map_err(json_err)?,
            hash.0,
            now
        ],
    )?;
    Ok(())
}

/// The content columns shared by the outbox and the drafts.
fn content_from_row(row: &Row<'_>) -> Result<SubmissionContent, StoreError> {
    let text = |name: &str| row.get::<_, String>(name);
    let observed_at = DateTime::parse_from_rfc3339(&text("observed_at")?)
        .map_err(|e| StoreError::Database(e.to_string()))?
        .with_timezone(&Utc);
    Ok(SubmissionContent {
        form_id: FormId::parse(&text("form_id")?).map_err(StoreError::Database)?,
        form_version: row.get("form_version")?,
        station: eom_shared::StationCode::parse(&text("station")?).map_err(StoreError::Database)?,
        observed_at,
        answers: serde_json::from_str(&text("answers")?).map_err(json_err)?,
        notes: text("notes")?,
    })
}

fn draft_from_row(row: &Row<'_>) -> Result<Draft, StoreError> {
    let text = |name: &str| row.get::<_, String>(name);
    Ok(Draft {
        id: SubmissionId::parse(&text("id")?).map_err(StoreError::Database)?,
        base_revision: row.get("base_revision")?,
        content: content_from_row(row)?,
        created_at: text("created_at")?,
        updated_at: text("updated_at")?,
    })
}

fn entry_from_row(row: &Row<'_>) -> Result<Entry, StoreError> {
    let text = |name: &str| row.get::<_, String>(name);
    let id = SubmissionId::parse(&text("id")?).map_err(StoreError::Database)?;
    let state = State::parse(&text("state")?).map_err(StoreError::Database)?;
    let content = content_from_row(row)?;
    Ok(Entry {
        id,
        revision: row.get("revision")?,
        state,
        content,
        content_hash: ContentHash(text("content_hash")?),
        created_at: text("created_at")?,
        updated_at: text("updated_at")?,
        issues: serde_json::from_str(&text("issues")?).map_err(json_err)?,
        last_outcome: row.get("last_outcome")?,
        delivered_at: row.get("delivered_at")?,
        review: match row.get::<_, Option<String>>("review_status")? {
            Some(status) => Some(Review {
                status: ReviewStatus::parse(&status).unwrap_or(ReviewStatus::None),
                comment: row
                    .get::<_, Option<String>>("review_comment")?
                    .unwrap_or_default(),
                reviewer: row
                    .get::<_, Option<String>>("reviewer")?
                    .unwrap_or_default(),
                at: row
                    .get::<_, Option<String>>("reviewed_at")?
                    .unwrap_or_default(),
                revision: row
                    .get::<_, Option<u32>>("reviewed_revision")?
                    .unwrap_or_default(),
            }),
            None => None,
        },
    })
}

/// The home folder may hold reports that endanger people if a laptop is seized: keep it
/// readable by its owner only.
/// Creates the eom home readable by its owner only; an existing folder's permissions are the
/// owner's business and are left alone.
pub fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        StoreError::Database(format!("cannot create the eom home {}: {e}", dir.display()))
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// The first bytes of every unencrypted SQLite database.
const PLAIN_HEADER: &[u8] = b"SQLite format 3\0";

/// Whether the database at `path` is an unencrypted SQLite file (written by eom before the
/// store was encrypted).
fn is_plaintext(path: &Path) -> Result<bool, StoreError> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path)
        .map_err(|e| StoreError::Database(format!("cannot read {}: {e}", path.display())))?;
    Ok(file.read_exact(&mut header).is_ok() && header == PLAIN_HEADER)
}

/// Encrypts an unencrypted store with `key`: a full encrypted copy is written beside it, then
/// put in its place, so an interruption leaves the old file whole.
fn encrypt_in_place(path: &Path, key: &Key) -> Result<(), StoreError> {
    let copy = path.with_extension("db.encrypting");
    let _ = std::fs::remove_file(&copy);
    vault::write_private(&copy, b"").map_err(|e| StoreError::Database(e.to_string()))?;
    {
        let plain = Connection::open(path)?;
        plain.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        let version: i64 = plain.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let target = copy.to_string_lossy().replace('\'', "''");
        plain.execute_batch(&format!(
            "ATTACH DATABASE '{target}' AS encrypted KEY \"{}\";
             SELECT sqlcipher_export('encrypted');
             PRAGMA encrypted.user_version = {version};
             DETACH DATABASE encrypted;",
            *key.sqlcipher_literal()
        ))?;
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    std::fs::rename(&copy, path)
        .map_err(|e| StoreError::Database(format!("cannot replace {}: {e}", path.display())))
}
