//! The embedded default backend: one SQLite file in WAL mode.
//!
//! One writer connection (SQLite allows one writer at a time anyway) and a small pool of
//! readers, so reports never wait behind a push. `synchronous = FULL` makes a commit durable
//! before `ingest` returns: an `accepted` answer is a promise.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use eom_shared::form::{Assessment, Form};
use eom_shared::station::{Station, StationCode, StationLevel};
use eom_shared::submission::{ContentHash, SubmissionId};
use eom_shared::sync::ReviewStatus;
use eom_shared::{FormId, Stage};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, params};
use serde_json::{Map, Value};

use crate::rules::{Contribution, TallyDelta};

use super::{
    Account, AlertOutcome, ArrivalRow, AssessmentRow, CatalogChanges, ConflictRecord,
    CoverageCounts, CriticalFinding, ExportRow, FindingRow, FormTally, ImportSummary, InboxMessage,
    IngestBatch, IngestDecision, NewAccount, NewMessage, NewReview, PendingAlert, ReportFilter,
    ReviewRecord, RevisionRecord, Role, SentMessage, SilentObserver, Store, StoreError,
    SubmissionDetail, SubmissionFilter, SubmissionPage, SubmissionSummary,
};
use crate::store::{
    CallRecord, ChunkOutcome, ChunkUpload, NewCall, NewTeam, OfficialFigure, OfficialResults,
    Publication, Record, Team,
};
use columns::{get, json, known, parsed, time, time_text};
use eom_shared::attachment::AttachmentInfo;

/// Embedded migrations, applied in order; `PRAGMA user_version` records how many ran.
/// A released migration is never edited: add a new file instead.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_reports_and_review.sql"),
    include_str!("migrations/0003_dashboard_sessions.sql"),
    include_str!("migrations/0004_receipts_and_enrolment.sql"),
    include_str!("migrations/0005_station_attributes.sql"),
    include_str!("migrations/0006_alerts.sql"),
    include_str!("migrations/0007_messages.sql"),
    include_str!("migrations/0008_teams.sql"),
    include_str!("migrations/0009_official_results.sql"),
    include_str!("migrations/0010_attachments.sql"),
    include_str!("migrations/0011_tally_findings_by_place.sql"),
    include_str!("migrations/0012_compact_findings.sql"),
];

mod alerts;
mod attachments;
mod audit;
mod columns;
mod findings;
mod ingest;
mod messages;
mod migrate;
mod official;
mod rebuild;
mod reports;
mod teams;

const MAX_IDLE_READERS: usize = 8;

pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
            _ => StoreError::database(e),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the connection usable: an open transaction is
    // rolled back when it is dropped.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The entry for a station import that changed something: the whole list as imported.
pub(crate) fn stations_entry(
    seq: u64,
    stations: &[Station],
) -> Result<crate::audit::NewEntry, StoreError> {
    let text = serde_json::to_string(stations).map_err(StoreError::database)?;
    Ok(crate::audit::document(
        "stations",
        format!("stations:{seq}"),
        &text,
    ))
}

/// Makes the database file readable and writable by its owner only, creating it empty if it
/// does not exist yet; SQLite gives its `-wal` and `-shm` files the same permissions. The
/// database holds every observer's reports and the token hashes.
fn owner_only(path: &Path) -> Result<(), StoreError> {
    let cannot =
        |e: std::io::Error| StoreError::Invalid(format!("cannot create {}: {e}", path.display()));
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(cannot)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(cannot)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            tracing::info!(path = %path.display(), "made the database readable by its owner only");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(cannot)?;
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Invalid(format!("cannot create folder {}: {e}", dir.display()))
            })?;
        }
        owner_only(path)?;
        let mut writer = open_connection(path)?;
        migrate(&mut writer)?;
        Ok(Self {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Copies the live database to `dest` with SQLite's online backup API: a consistent copy
    /// of one moment, taken in steps so that pushes keep being stored meanwhile. The copy is
    /// readable by its owner only.
    pub fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        let mut target = Connection::open(dest)
            .map_err(|e| StoreError::Invalid(format!("cannot create {}: {e}", dest.display())))?;
        owner_only(dest)?;
        self.read(|source| {
            let backup = rusqlite::backup::Backup::new(source, &mut target)?;
            backup.run_to_completion(1024, Duration::from_millis(5), None)?;
            Ok(())
        })?;
        // The copy is a plain database: one file, no WAL beside it.
        target.pragma_update(None, "journal_mode", "DELETE")?;
        Ok(())
    }

    /// What SQLite reports for the writer's and a reader's connection: the journal mode and
    /// the `synchronous` level (2 is FULL). Tests hold the durability promise to this.
    pub fn durability(&self) -> Result<[(String, i64); 2], StoreError> {
        let settings = |c: &Connection| -> Result<(String, i64), StoreError> {
            Ok((
                c.pragma_query_value(None, "journal_mode", |r| r.get(0))?,
                c.pragma_query_value(None, "synchronous", |r| r.get(0))?,
            ))
        };
        let writer = settings(&lock(&self.writer))?;
        let reader = self.read(settings)?;
        Ok([writer, reader])
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = match lock(&self.readers).pop() {
            Some(c) => c,
            None => open_connection(&self.path)?,
        };
        let result = f(&conn);
        let mut idle = lock(&self.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

/// Inserts accounts, with their audit entries, in the caller's transaction.
pub(super) fn insert_accounts(
    tx: &rusqlite::Transaction<'_>,
    accounts: Vec<NewAccount>,
) -> Result<Vec<Account>, StoreError> {
    let created = time_text(Utc::now());
    let created_at = columns::parse_time(&created)?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO accounts (id, name, role, admin, region, token_hash, created_at) VALUES (?1, ?2, ?3, ?7, ?4, ?5, ?6)",
    )?;
    let mut out = Vec::with_capacity(accounts.len());
    let mut entries = Vec::with_capacity(accounts.len());
    for account in accounts {
        let id = uuid::Uuid::now_v7().to_string();
        let (role, admin) = account.role.stored();
        stmt.execute(params![
            id,
            account.name,
            role,
            account.region,
            account.token_hash,
            created,
            admin
        ])?;
        entries.push(
            crate::audit::AccountRow {
                id: &id,
                name: &account.name,
                role: account.role.as_str(),
                region: account.region.as_deref(),
                token_hash: &account.token_hash,
            }
            .entry(&account.actor),
        );
        out.push(Account {
            id,
            name: account.name,
            role: account.role,
            region: account.region,
            created_at,
        });
    }
    drop(stmt);
    audit::append(tx, created_at, entries)?;
    Ok(out)
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| {
        StoreError::Invalid(format!(
            "cannot open database {}: {e}; check the path and its permissions",
            path.display()
        ))
    })?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let applied: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Invalid(format!(
            "the database was written by a newer eom-server (schema {applied}, this one knows {}); upgrade eom-server",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}

pub(super) fn next_seq(tx: &Connection) -> Result<u64, StoreError> {
    Ok(tx.query_row(
        "UPDATE catalog_sequence SET value = value + 1 WHERE only_row = 1 RETURNING value",
        [],
        |r| r.get(0),
    )?)
}

fn account_from_row(row: &Row<'_>) -> Result<Account, StoreError> {
    Ok(Account {
        id: get(row, "id")?,
        name: get(row, "name")?,
        role: {
            let role: String = get(row, "role")?;
            let admin: bool = get(row, "admin")?;
            Role::from_stored(&role, admin).ok_or_else(|| {
                StoreError::corrupt(format!("column role ('{role}', admin {admin})"))
            })?
        },
        region: get(row, "region")?,
        created_at: time(row, "created_at")?,
    })
}

fn form_from_text(text: &str) -> Result<Form, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::corrupt(format!("a stored form definition: {e}")))
}

fn station_from_row(row: &Row<'_>) -> Result<Station, StoreError> {
    Ok(Station {
        code: parsed(row, "code", StationCode::parse)?,
        name: get(row, "name")?,
        region: get(row, "region")?,
        district: get(row, "district")?,
        level: parsed(row, "level", StationLevel::parse)?,
        registered_voters: get(row, "registered_voters")?,
        area: columns::area(row, "area")?,
        kind: columns::kind(row, "kind")?,
        coordinates: eom_shared::Coordinates::from_columns(
            get(row, "latitude")?,
            get(row, "longitude")?,
        )
        .map_err(StoreError::corrupt)?,
    })
}

pub(super) const SUMMARY_COLUMNS: &str = "s.id, s.revision, s.form_id, s.stage, s.station_code, \
     s.region, s.area, s.kind, s.observer_id, a.name AS observer_name, s.overall, s.observed_at, \
     s.received_at, s.review_status, s.reviewed_revision";

pub(super) fn summary_from_row(row: &Row<'_>) -> Result<SubmissionSummary, StoreError> {
    Ok(SubmissionSummary {
        id: parsed(row, "id", SubmissionId::parse)?,
        revision: get(row, "revision")?,
        form_id: parsed(row, "form_id", FormId::parse)?,
        stage: parsed(row, "stage", known(Stage::parse))?,
        station: parsed(row, "station_code", StationCode::parse)?,
        region: get(row, "region")?,
        area: columns::area(row, "area")?,
        kind: columns::kind(row, "kind")?,
        observer_id: get(row, "observer_id")?,
        observer_name: get(row, "observer_name")?,
        overall: get::<Option<String>>(row, "overall")?
            .map(|t| {
                Assessment::parse(&t)
                    .ok_or_else(|| StoreError::corrupt(format!("column overall ('{t}')")))
            })
            .transpose()?,
        observed_at: time(row, "observed_at")?,
        received_at: time(row, "received_at")?,
        review_status: parsed(row, "review_status", known(ReviewStatus::parse))?,
        reviewed_revision: get(row, "reviewed_revision")?,
    })
}

/// A `revisions` row.
pub(super) fn revision_from_row(row: &Row<'_>) -> Result<RevisionRecord, StoreError> {
    Ok(RevisionRecord {
        revision: get(row, "revision")?,
        content_hash: ContentHash(get(row, "content_hash")?),
        form_id: parsed(row, "form_id", FormId::parse)?,
        form_version: get(row, "form_version")?,
        station: parsed(row, "station_code", StationCode::parse)?,
        observed_at: time(row, "observed_at")?,
        answers: json(row, "answers")?,
        notes: get(row, "notes")?,
        warnings: json(row, "warnings")?,
        received_at: time(row, "received_at")?,
    })
}

/// A `conflicts` row.
pub(super) fn conflict_from_row(row: &Row<'_>) -> Result<ConflictRecord, StoreError> {
    Ok(ConflictRecord {
        revision: get(row, "revision")?,
        content_hash: ContentHash(get(row, "content_hash")?),
        observer_id: get(row, "observer_id")?,
        payload: json(row, "payload")?,
        received_at: time(row, "received_at")?,
    })
}

/// Collects query rows through a fallible reader.
fn collect<T>(
    mut rows: rusqlite::Rows<'_>,
    read: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read(row)?);
    }
    Ok(out)
}

impl Store for SqliteStore {
    fn create_account(&self, account: NewAccount) -> Result<Account, StoreError> {
        self.create_accounts(vec![account])?
            .pop()
            .ok_or_else(|| StoreError::failed("the new account was not returned"))
    }

    fn create_accounts(&self, accounts: Vec<NewAccount>) -> Result<Vec<Account>, StoreError> {
        self.write(|tx| insert_accounts(tx, accounts))
    }

    fn account_by_token_hash(&self, token_hash: &str) -> Result<Option<Account>, StoreError> {
        self.read(|c| {
            c.prepare_cached("SELECT * FROM accounts WHERE token_hash = ?1")?
                .query_row([token_hash], |row| Ok(account_from_row(row)))
                .optional()?
                .transpose()
        })
    }

    fn create_session(
        &self,
        id_hash: &str,
        account_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            // Expired sign-ins are cleared whenever someone signs in.
            tx.execute(
                "DELETE FROM sessions WHERE expires_at < ?1",
                [time_text(Utc::now())],
            )?;
            tx.execute(
                "INSERT INTO sessions (id_hash, account_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![id_hash, account_id, time_text(Utc::now()), time_text(expires_at)],
            )?;
            Ok(())
        })
    }

    fn session_account(&self, id_hash: &str) -> Result<Option<Account>, StoreError> {
        let now = time_text(Utc::now());
        self.read(|c| {
            c.prepare_cached(
                "SELECT a.* FROM sessions s JOIN accounts a ON a.id = s.account_id
                 WHERE s.id_hash = ?1 AND s.expires_at > ?2",
            )?
            .query_row(params![id_hash, now], |row| Ok(account_from_row(row)))
            .optional()?
            .transpose()
        })
    }

    fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])?;
            Ok(())
        })
    }

    fn set_token_hash(
        &self,
        account_id: &str,
        token_hash: &str,
        actor: &str,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE accounts SET token_hash = ?2 WHERE id = ?1",
                params![account_id, token_hash],
            )?;
            // A revoked coordinator is signed out of the dashboard too.
            tx.execute("DELETE FROM sessions WHERE account_id = ?1", [account_id])?;
            let entry = audit::account_entry(tx, account_id, actor)?;
            audit::append(tx, Utc::now(), entry.into_iter().collect())?;
            Ok(changed == 1)
        })
    }

    fn read_audit(
        &self,
        entries: &mut dyn FnMut(crate::audit::AuditEntry) -> Result<(), StoreError>,
        rows: &mut dyn FnMut(String, String) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.read(|c| {
            c.execute_batch("BEGIN")?;
            let result = audit::entries(c, entries).and_then(|()| audit::rows(c, rows));
            c.execute_batch("COMMIT")?;
            result
        })
    }

    fn server_key(&self, purpose: &str, candidate: &str) -> Result<String, StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO server_keys (purpose, secret, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (purpose) DO NOTHING",
                params![purpose, candidate, time_text(Utc::now())],
            )?;
            Ok(tx.query_row(
                "SELECT secret FROM server_keys WHERE purpose = ?1",
                [purpose],
                |r| r.get(0),
            )?)
        })
    }

    fn create_enrolment_code(
        &self,
        code_hash: &str,
        account_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO enrolment_codes (code_hash, account_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    code_hash,
                    account_id,
                    time_text(Utc::now()),
                    time_text(expires_at)
                ],
            )?;
            Ok(())
        })
    }

    fn redeem_enrolment_code(
        &self,
        code_hash: &str,
        token_hash: &str,
    ) -> Result<Option<Account>, StoreError> {
        let now = time_text(Utc::now());
        self.write(|tx| {
            let account_id: Option<String> = tx
                .query_row(
                    "UPDATE enrolment_codes SET used_at = ?2
                     WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2
                     RETURNING account_id",
                    params![code_hash, now],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(account_id) = account_id else {
                return Ok(None);
            };
            tx.execute(
                "UPDATE accounts SET token_hash = ?2 WHERE id = ?1",
                params![account_id, token_hash],
            )?;
            // The observer's own laptop took the new token.
            let entry = audit::account_entry(tx, &account_id, &account_id)?;
            audit::append(tx, Utc::now(), entry.into_iter().collect())?;
            tx.query_row(
                "SELECT * FROM accounts WHERE id = ?1",
                [&account_id],
                |row| Ok(account_from_row(row)),
            )?
            .map(Some)
        })
    }

    fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT * FROM accounts ORDER BY role, name")?;
            collect(stmt.query([])?, account_from_row)
        })
    }

    fn install_forms(&self, forms: &[Form]) -> Result<usize, StoreError> {
        self.write(|tx| {
            let mut added = 0;
            for form in forms {
                let exists: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM forms WHERE id = ?1 AND version = ?2)",
                    params![form.id.as_str(), form.version],
                    |r| r.get(0),
                )?;
                if exists {
                    continue;
                }
                let definition = serde_json::to_string(form)
                    .map_err(|e| StoreError::failed(format!("form {}: {e}", form.id)))?;
                let seq = next_seq(tx)?;
                tx.execute(
                    "INSERT INTO forms (id, version, stage, definition, seq, installed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![form.id.as_str(), form.version, form.stage.as_str(), definition, seq, time_text(Utc::now())],
                )?;
                audit::append(
                    tx,
                    Utc::now(),
                    vec![crate::audit::document(
                        "forms",
                        format!("form:{}:{}", form.id, form.version),
                        &definition,
                    )],
                )?;
                added += 1;
            }
            Ok(added)
        })
    }

    fn form(&self, id: &FormId, version: u32) -> Result<Option<Form>, StoreError> {
        let text: Option<String> = self.read(|c| {
            Ok(
                c.prepare_cached("SELECT definition FROM forms WHERE id = ?1 AND version = ?2")?
                    .query_row(params![id.as_str(), version], |r| r.get(0))
                    .optional()?,
            )
        })?;
        text.as_deref().map(form_from_text).transpose()
    }

    fn latest_forms(&self) -> Result<Vec<Form>, StoreError> {
        let texts: Vec<String> = self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT definition FROM forms f WHERE version = (SELECT max(version) FROM forms WHERE id = f.id) ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })?;
        texts.iter().map(|t| form_from_text(t)).collect()
    }

    fn import_stations(&self, stations: &[Station]) -> Result<ImportSummary, StoreError> {
        self.write(|tx| {
            let mut summary = ImportSummary::default();
            let mut seq = None;
            for s in stations {
                let current = tx
                    .prepare_cached("SELECT * FROM stations WHERE code = ?1")?
                    .query_row([s.code.as_str()], |row| Ok(station_from_row(row)))
                    .optional()?
                    .transpose()?;
                match current {
                    Some(ref existing) if existing == s => {
                        summary.unchanged += 1;
                        continue;
                    }
                    Some(ref existing) => {
                        summary.updated += 1;
                        if crate::rules::Place::of(existing) != crate::rules::Place::of(s) {
                            let observed: bool = tx
                                .prepare_cached(
                                    "SELECT EXISTS (SELECT 1 FROM submissions WHERE station_code = ?1)",
                                )?
                                .query_row([s.code.as_str()], |r| r.get(0))?;
                            if observed {
                                summary.moved += 1;
                            }
                        }
                    }
                    None => summary.added += 1,
                }
                // One sequence value for the whole import: a client pulls it all or none.
                let seq = match seq {
                    Some(v) => v,
                    None => *seq.insert(next_seq(tx)?),
                };
                tx.prepare_cached(
                    "INSERT INTO stations (code, name, region, district, level, registered_voters,
                       area, kind, latitude, longitude, seq)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, region = excluded.region,
                       district = excluded.district, level = excluded.level,
                       registered_voters = excluded.registered_voters, area = excluded.area,
                       kind = excluded.kind, latitude = excluded.latitude,
                       longitude = excluded.longitude, seq = excluded.seq",
                )?
                .execute(params![
                    s.code.as_str(),
                    s.name,
                    s.region,
                    s.district,
                    s.level.as_str(),
                    s.registered_voters,
                    eom_shared::Area::stored(s.area),
                    s.kind.as_str(),
                    s.coordinates.map(|c| c.latitude),
                    s.coordinates.map(|c| c.longitude),
                    seq
                ])?;
            }
            if summary.moved > 0 {
                tx.execute(
                    "INSERT INTO recount_pending (reason) VALUES ('stations with checklists moved')",
                    [],
                )?;
            }
            if let Some(seq) = seq {
                audit::append(tx, Utc::now(), vec![stations_entry(seq, stations)?])?;
            }
            Ok(summary)
        })
    }

    fn regions(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT DISTINCT region FROM stations ORDER BY region")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn catalog_changes(&self, since: u64, observer_id: &str) -> Result<CatalogChanges, StoreError> {
        // Sequence numbers fit an i64; a larger cursor is past every change.
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        self.read(|c| {
            // One read transaction, so the cursor matches exactly what is returned.
            c.execute_batch("BEGIN")?;
            let result = (|| {
                let cursor: u64 =
                    c.query_row("SELECT value FROM catalog_sequence", [], |r| r.get(0))?;
                let mut stmt =
                    c.prepare("SELECT definition FROM forms WHERE seq > ?1 ORDER BY seq")?;
                let texts = stmt
                    .query_map([since], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                let forms = texts
                    .iter()
                    .map(|t| form_from_text(t))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut stmt = c.prepare("SELECT * FROM stations WHERE seq > ?1 ORDER BY code")?;
                let mut rows = stmt.query([since])?;
                let mut stations = Vec::new();
                while let Some(row) = rows.next()? {
                    stations.push(station_from_row(row)?);
                }
                let feedback = reports::feedback_since(c, since, observer_id)?;
                Ok(CatalogChanges {
                    cursor,
                    forms,
                    stations,
                    feedback,
                })
            })();
            c.execute_batch("COMMIT")?;
            result
        })
    }

    fn ingest(
        &self,
        received_at: DateTime<Utc>,
        batches: &[IngestBatch],
    ) -> Result<Vec<Vec<IngestDecision>>, StoreError> {
        let received = time_text(received_at);
        self.write(|tx| {
            let mut deltas = TallyDelta::default();
            let mut entries = Vec::new();
            let mut decisions = Vec::with_capacity(batches.len());
            for batch in batches {
                let decided = batch
                    .items
                    .iter()
                    .map(|item| {
                        ingest::ingest_one(
                            tx,
                            &batch.observer_id,
                            received_at,
                            item,
                            &mut deltas,
                            &mut entries,
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                tx.prepare_cached("UPDATE accounts SET last_received_at = ?2 WHERE id = ?1")?
                    .execute(params![batch.observer_id, received])?;
                decisions.push(decided);
            }
            ingest::write_deltas(tx, &deltas)?;
            audit::append(tx, received_at, entries)?;
            Ok(decisions)
        })
    }

    fn list_submissions(
        &self,
        filter: &SubmissionFilter,
        page: u32,
        per_page: u32,
    ) -> Result<SubmissionPage, StoreError> {
        let (filter_sql, values) = reports::submission_where(filter);
        let offset = u64::from(page.saturating_sub(1)) * u64::from(per_page);
        self.read(|c| {
            let total: u64 = c.query_row(
                &format!("SELECT count(*) FROM submissions s {filter_sql}"),
                rusqlite::params_from_iter(&values),
                |r| r.get(0),
            )?;
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS} FROM submissions s JOIN accounts a ON a.id = s.observer_id
                 {filter_sql} ORDER BY s.received_at DESC, s.id LIMIT {per_page} OFFSET {offset}"
            );
            let mut stmt = c.prepare(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(&values))?;
            let mut items = Vec::new();
            while let Some(row) = rows.next()? {
                items.push(summary_from_row(row)?);
            }
            Ok(SubmissionPage {
                items,
                page,
                per_page,
                total,
            })
        })
    }

    fn submission(&self, id: SubmissionId) -> Result<Option<SubmissionDetail>, StoreError> {
        let key = id.to_string();
        self.read(|c| {
            let summary = c
                .prepare(&format!(
                    "SELECT {SUMMARY_COLUMNS} FROM submissions s JOIN accounts a ON a.id = s.observer_id WHERE s.id = ?1"
                ))?
                .query_row([&key], |row| Ok(summary_from_row(row)))
                .optional()?
                .transpose()?;
            let Some(summary) = summary else {
                return Ok(None);
            };
            let mut stmt = c.prepare(
                "SELECT * FROM revisions WHERE submission_id = ?1 ORDER BY revision",
            )?;
            let revisions = collect(stmt.query([&key])?, revision_from_row)?;
            let mut stmt = c.prepare(
                "SELECT * FROM conflicts WHERE submission_id = ?1 ORDER BY revision, received_at",
            )?;
            let conflicts = collect(stmt.query([&key])?, conflict_from_row)?;
            let reviews = reports::reviews_of(c, &key)?;
            let attachments = attachments::list(c, id)?;
            Ok(Some(SubmissionDetail {
                summary,
                revisions,
                conflicts,
                reviews,
                attachments,
            }))
        })
    }

    fn form_tallies(&self) -> Result<Vec<FormTally>, StoreError> {
        let forms = self.latest_forms()?;
        let counts: Vec<(String, u64, u64, u64)> = self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT form_id, sum(checklists), sum(assessed), sum(negative)
                 FROM tally_assessments GROUP BY form_id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })?;
        Ok(FormTally::for_forms(&forms, &counts))
    }

    fn assessment_rows(&self, filter: &ReportFilter) -> Result<Vec<AssessmentRow>, StoreError> {
        self.read(|c| reports::assessment_rows(c, filter))
    }

    fn finding_rows(&self, filter: &ReportFilter) -> Result<Vec<FindingRow>, StoreError> {
        self.read(|c| reports::finding_rows(c, filter))
    }

    fn critical_findings(
        &self,
        filter: &ReportFilter,
        limit: u32,
    ) -> Result<Vec<CriticalFinding>, StoreError> {
        self.read(|c| reports::critical_findings(c, filter, limit))
    }

    fn note_client_version(&self, account_id: &str, version: &str) -> Result<(), StoreError> {
        self.write(|tx| teams::note_client_version(tx, account_id, version))
    }

    fn change_stamp(&self) -> Result<u64, StoreError> {
        self.read(|c| {
            let seq: i64 = c.query_row("SELECT coalesce(max(seq), 0) FROM audit_log", [], |r| {
                r.get(0)
            })?;
            Ok(u64::try_from(seq).unwrap_or_default())
        })
    }

    fn import_teams(&self, teams: Vec<NewTeam>) -> Result<Vec<Account>, StoreError> {
        self.write(|tx| teams::import(tx, teams))
    }

    fn teams(&self, only: Option<&[String]>) -> Result<Vec<Team>, StoreError> {
        self.read(|c| teams::list(c, only))
    }

    fn record_call(&self, call: &NewCall) -> Result<bool, StoreError> {
        self.write(|tx| teams::record_call(tx, call))
    }

    fn calls(&self, team_id: &str) -> Result<Vec<CallRecord>, StoreError> {
        self.read(|c| teams::calls(c, team_id))
    }

    fn create_message(&self, message: &NewMessage) -> Result<(), StoreError> {
        self.write(|tx| messages::create(tx, message))
    }

    fn inbox(&self, account_id: &str, limit: u32) -> Result<Vec<InboxMessage>, StoreError> {
        self.read(|c| messages::inbox(c, account_id, limit))
    }

    fn mark_messages_read(
        &self,
        account_id: &str,
        ids: &[uuid::Uuid],
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.write(|tx| messages::mark_read(tx, account_id, ids, at))
    }

    fn sent_messages(&self, limit: u32) -> Result<Vec<SentMessage>, StoreError> {
        self.read(|c| messages::sent(c, limit))
    }

    fn import_results(
        &self,
        source: &str,
        published_at: Option<DateTime<Utc>>,
        imported_at: DateTime<Utc>,
        figures: &[OfficialFigure],
    ) -> Result<Publication, StoreError> {
        self.write(|tx| official::import(tx, source, published_at, imported_at, figures))
    }

    fn official_results(&self) -> Result<OfficialResults, StoreError> {
        self.read(official::all)
    }

    fn upload_chunk(&self, chunk: &ChunkUpload<'_>) -> Result<ChunkOutcome, StoreError> {
        self.write(|tx| attachments::upload(tx, chunk))
    }

    fn attachments(&self, submission_id: SubmissionId) -> Result<Vec<AttachmentInfo>, StoreError> {
        self.read(|c| attachments::list(c, submission_id))
    }

    fn attachment(
        &self,
        submission_id: SubmissionId,
        sha256: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        self.read(|c| attachments::one(c, submission_id, sha256))
    }

    fn claim_alerts(
        &self,
        channel: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingAlert>, StoreError> {
        if !self.read(|c| alerts::has_work(c, channel, now))? {
            return Ok(Vec::new());
        }
        self.write(|tx| alerts::claim(tx, channel, now, lease_until, limit))
    }

    fn finish_alert(
        &self,
        channel: &str,
        submission_id: SubmissionId,
        question_id: &str,
        outcome: &AlertOutcome,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| alerts::finish(tx, channel, submission_id, question_id, outcome, at))
    }

    fn station_marks(&self, filter: &ReportFilter) -> Result<Vec<super::StationMark>, StoreError> {
        self.read(|c| reports::station_marks(c, filter))
    }

    fn observed_hours(
        &self,
        filter: &ReportFilter,
    ) -> Result<Vec<super::ObservedHour>, StoreError> {
        self.read(|c| reports::observed_hours(c, filter))
    }

    fn coverage(&self, filter: &ReportFilter) -> Result<CoverageCounts, StoreError> {
        self.read(|c| reports::coverage(c, filter))
    }

    fn silent_observers(
        &self,
        before: DateTime<Utc>,
        regions: Option<&[String]>,
        limit: u32,
    ) -> Result<(Vec<SilentObserver>, u64), StoreError> {
        self.read(|c| reports::silent_observers(c, &time_text(before), regions, limit))
    }

    fn arrivals(&self, filter: &ReportFilter) -> Result<Vec<ArrivalRow>, StoreError> {
        self.read(|c| reports::arrivals(c, filter))
    }

    fn rebuild_tallies(
        &self,
        contribution: &dyn Fn(&Form, &Map<String, Value>) -> Contribution,
    ) -> Result<u64, StoreError> {
        self.write(|tx| rebuild::rebuild(tx, contribution))
    }

    fn recount_pending(&self) -> Result<bool, StoreError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT EXISTS (SELECT 1 FROM recount_pending)", [], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    fn review(&self, review: NewReview) -> Result<Option<Vec<ReviewRecord>>, StoreError> {
        self.write(|tx| reports::review(tx, &review))
    }

    fn dump(
        &self,
        sink: &mut dyn FnMut(Record) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.read(|c| {
            // One read transaction: a consistent copy while the server keeps writing.
            c.execute_batch("BEGIN")?;
            let result = migrate::dump(c, sink);
            c.execute_batch("COMMIT")?;
            result
        })
    }

    fn load(&self, records: &[Record]) -> Result<(), StoreError> {
        self.write(|tx| migrate::load(tx, records))
    }

    fn export(
        &self,
        filter: &SubmissionFilter,
        sink: &mut dyn FnMut(ExportRow) -> bool,
    ) -> Result<(), StoreError> {
        self.read(|c| reports::export(c, filter, sink))
    }
}
