//! The PostgreSQL backend, for missions that run several stateless `eom-server` instances on
//! one database (or want PostgreSQL's replication and backups).
//!
//! The [`Store`] trait is synchronous (the service layer runs it on the blocking pool), and
//! this backend keeps its own small tokio runtime for `tokio-postgres` and a `deadpool` pool:
//! each call blocks its (blocking-pool) thread on that runtime. Never call it from an async
//! task's thread: that is what the service layer's `store_call` is for.
//!
//! What keeps several instances consistent:
//! - **exactly once**: an ingest transaction takes a transaction-scoped advisory lock per
//!   checklist id, in sorted order, before it reads what is stored. The same checklist pushed
//!   to two instances at once is decided one after the other: one `accepted`, one `duplicate`.
//! - **totals**: changes are summed per group commit ([`crate::rules::TallyDelta`]) and written as one
//!   upsert per table, rows in key order, so concurrent writers add rather than overwrite and
//!   never deadlock on each other.
//! - **pull cursors**: one counter row, bumped inside the writing transaction; its row lock
//!   makes writers commit in counter order, so a pull never skips a change.
//! - **durability**: a commit returns once PostgreSQL has flushed it (`synchronous_commit`
//!   left on); an `accepted` answer is a promise, as on SQLite.

mod alerts;
mod attachments;
mod audit;
mod ingest;
mod messages;
mod migrate;
mod official;
mod reports;
mod teams;

use std::future::Future;

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use eom_shared::form::{Assessment, Form};
use eom_shared::station::{Station, StationCode, StationLevel};
use eom_shared::submission::{ContentHash, SubmissionId};
use eom_shared::sync::ReviewStatus;
use eom_shared::{FormId, Stage};
use serde_json::{Map, Value};
use tokio::runtime::Runtime;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, Json, ToSql};
use tokio_postgres::{NoTls, Row};

use super::{
    Account, AlertOutcome, ArrivalRow, AssessmentRow, CatalogChanges, ConflictRecord,
    CoverageCounts, CriticalFinding, ExportRow, FindingRow, FormTally, ImportSummary, InboxMessage,
    IngestBatch, IngestDecision, NewAccount, NewMessage, NewReview, PendingAlert, ReportFilter,
    ReviewRecord, RevisionRecord, Role, SentMessage, SilentObserver, Store, StoreError,
    SubmissionDetail, SubmissionFilter, SubmissionPage, SubmissionSummary,
};
use crate::rules::Contribution;
use crate::store::Record;
use crate::store::{
    CallRecord, ChunkOutcome, ChunkUpload, NewCall, NewTeam, OfficialFigure, OfficialResults,
    Publication, Team,
};
use eom_shared::attachment::AttachmentInfo;

/// Embedded migrations, applied in order; `eom_schema` records how many ran. A released
/// migration is never edited: add a new file instead.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_receipts_and_enrolment.sql"),
    include_str!("migrations/0003_station_attributes.sql"),
    include_str!("migrations/0004_alerts.sql"),
    include_str!("migrations/0005_messages.sql"),
    include_str!("migrations/0006_teams.sql"),
    include_str!("migrations/0007_official_results.sql"),
    include_str!("migrations/0008_attachments.sql"),
];

/// Connections per server instance. PostgreSQL's default allows 100 in all: enough for a few
/// instances with the CLI beside them.
const POOL_SIZE: usize = 16;

/// The advisory lock that serializes migrations when several instances start at once.
const MIGRATION_LOCK: i64 = 0x0065_6f6d_5f6d_6967; // "eom_mig"

/// Rows fetched at a time while exporting or recounting, so memory stays flat.
const PAGE: i32 = 2000;

pub struct PostgresStore {
    pool: Pool,
    /// `Option` only so that `Drop` can shut it down without blocking (a runtime may not be
    /// dropped from inside another one).
    runtime: Option<Runtime>,
    /// The URL without its password, for messages.
    shown: String,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn is_retryable(code: &SqlState) -> bool {
    [
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::LOCK_NOT_AVAILABLE,
        SqlState::TOO_MANY_CONNECTIONS,
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
    ]
    .contains(code)
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.code() {
            Some(code) if is_retryable(code) => StoreError::Busy,
            _ => StoreError::database(e),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Timeout(_) => StoreError::Busy,
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => StoreError::database(other),
        }
    }
}

/// A URL as it may be shown: without the password.
pub fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((credentials, host)) => match credentials.split_once(':') {
                Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Whether `--db` names a PostgreSQL database rather than a SQLite file.
pub fn is_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

// Reading typed values out of rows; a value that does not read back is `Corrupt`.

pub(crate) fn get<'a, T: FromSql<'a>>(row: &'a Row, column: &str) -> Result<T, StoreError> {
    row.try_get(column)
        .map_err(|e| StoreError::corrupt(format!("column {column}: {e}")))
}

pub(crate) fn parsed<T, E: std::fmt::Display>(
    row: &Row,
    column: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    let text: &str = get(row, column)?;
    parse(text).map_err(|e| StoreError::corrupt(format!("column {column} ('{text}'): {e}")))
}

pub(crate) fn known<T>(
    parse: impl FnOnce(&str) -> Option<T>,
) -> impl FnOnce(&str) -> Result<T, &'static str> {
    move |t| parse(t).ok_or("not a known value")
}

/// A BIGINT column that must fit the domain's unsigned type.
pub(crate) fn count<T: TryFrom<i64>>(row: &Row, column: &str) -> Result<T, StoreError> {
    let n: i64 = get(row, column)?;
    T::try_from(n).map_err(|_| StoreError::corrupt(format!("column {column}: {n} is out of range")))
}

pub(crate) fn optional_count<T: TryFrom<i64>>(
    row: &Row,
    column: &str,
) -> Result<Option<T>, StoreError> {
    get::<Option<i64>>(row, column)?
        .map(|n| {
            T::try_from(n)
                .map_err(|_| StoreError::corrupt(format!("column {column}: {n} is out of range")))
        })
        .transpose()
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(
    row: &Row,
    column: &str,
) -> Result<T, StoreError> {
    let Json(value): Json<Value> = get(row, column)?;
    serde_json::from_value(value).map_err(|e| StoreError::corrupt(format!("column {column}: {e}")))
}

pub(crate) fn assessment(row: &Row, column: &str) -> Result<Option<Assessment>, StoreError> {
    get::<Option<&str>>(row, column)?
        .map(|t| {
            Assessment::parse(t)
                .ok_or_else(|| StoreError::corrupt(format!("column {column} ('{t}')")))
        })
        .transpose()
}

/// A station's area as kept in tally keys and rows: empty when unknown.
pub(crate) fn area(row: &Row, column: &str) -> Result<Option<eom_shared::Area>, StoreError> {
    parsed(row, column, eom_shared::Area::from_stored)
}

/// Where the station of a row is, as the totals split it: its `region`, `area`, `kind` and
/// `registered_voters` columns.
pub(crate) fn place(row: &Row) -> Result<crate::rules::Place, StoreError> {
    Ok(crate::rules::Place {
        region: get(row, "region")?,
        area: area(row, "area")?,
        kind: kind(row, "kind")?,
        registered_voters: optional_count(row, "registered_voters")?,
    })
}

pub(crate) fn kind(row: &Row, column: &str) -> Result<eom_shared::StationKind, StoreError> {
    parsed(row, column, eom_shared::StationKind::parse)
}

fn account_from_row(row: &Row) -> Result<Account, StoreError> {
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
        created_at: get(row, "created_at")?,
    })
}

fn station_from_row(row: &Row) -> Result<Station, StoreError> {
    Ok(Station {
        code: parsed(row, "code", StationCode::parse)?,
        name: get(row, "name")?,
        region: get(row, "region")?,
        district: get(row, "district")?,
        level: parsed(row, "level", StationLevel::parse)?,
        registered_voters: optional_count(row, "registered_voters")?,
        area: area(row, "area")?,
        kind: kind(row, "kind")?,
        coordinates: eom_shared::Coordinates::from_columns(
            get(row, "latitude")?,
            get(row, "longitude")?,
        )
        .map_err(StoreError::corrupt)?,
    })
}

pub(crate) const SUMMARY_COLUMNS: &str = "s.id, s.revision, s.form_id, s.stage, s.station_code, \
     s.region, s.area, s.kind, s.observer_id, a.name AS observer_name, s.overall, s.observed_at, \
     s.received_at, s.review_status, s.reviewed_revision";

pub(crate) fn summary_from_row(row: &Row) -> Result<SubmissionSummary, StoreError> {
    Ok(SubmissionSummary {
        id: parsed(row, "id", SubmissionId::parse)?,
        revision: count(row, "revision")?,
        form_id: parsed(row, "form_id", FormId::parse)?,
        stage: parsed(row, "stage", known(Stage::parse))?,
        station: parsed(row, "station_code", StationCode::parse)?,
        region: get(row, "region")?,
        area: area(row, "area")?,
        kind: kind(row, "kind")?,
        observer_id: get(row, "observer_id")?,
        observer_name: get(row, "observer_name")?,
        overall: assessment(row, "overall")?,
        observed_at: get(row, "observed_at")?,
        received_at: get(row, "received_at")?,
        review_status: parsed(row, "review_status", known(ReviewStatus::parse))?,
        reviewed_revision: optional_count(row, "reviewed_revision")?,
    })
}

/// A `revisions` row.
pub(crate) fn revision_from_row(row: &Row) -> Result<RevisionRecord, StoreError> {
    Ok(RevisionRecord {
        revision: count(row, "revision")?,
        content_hash: ContentHash(get(row, "content_hash")?),
        form_id: parsed(row, "form_id", FormId::parse)?,
        form_version: count(row, "form_version")?,
        station: parsed(row, "station_code", StationCode::parse)?,
        observed_at: get(row, "observed_at")?,
        answers: json::<Map<String, Value>>(row, "answers")?,
        notes: get(row, "notes")?,
        warnings: json(row, "warnings")?,
        received_at: get(row, "received_at")?,
    })
}

/// A `conflicts` row.
pub(crate) fn conflict_from_row(row: &Row) -> Result<ConflictRecord, StoreError> {
    Ok(ConflictRecord {
        revision: count(row, "revision")?,
        content_hash: ContentHash(get(row, "content_hash")?),
        observer_id: get(row, "observer_id")?,
        payload: json(row, "payload")?,
        received_at: get(row, "received_at")?,
    })
}

/// Inserts accounts, with their audit entries, in the caller's transaction.
pub(crate) async fn insert_accounts(
    tx: &deadpool_postgres::Transaction<'_>,
    accounts: &[NewAccount],
) -> Result<Vec<Account>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO accounts (id, name, role, region, token_hash, admin, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, date_trunc('milliseconds', now()))
             RETURNING *",
        )
        .await?;
    let mut out = Vec::with_capacity(accounts.len());
    let mut entries = Vec::with_capacity(accounts.len());
    for a in accounts {
        let id = uuid::Uuid::now_v7().to_string();
        let (role, admin) = a.role.stored();
        let row = tx
            .query_one(
                &stmt,
                &[&id, &a.name, &role, &a.region, &a.token_hash, &admin],
            )
            .await?;
        entries.push(
            crate::audit::AccountRow {
                id: &id,
                name: &a.name,
                role: a.role.as_str(),
                region: a.region.as_deref(),
                token_hash: &a.token_hash,
            }
            .entry(&a.actor),
        );
        out.push(account_from_row(&row)?);
    }
    audit::append(tx, Utc::now(), entries).await?;
    Ok(out)
}

fn rows<T>(
    rows: Vec<Row>,
    read: impl Fn(&Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(read).collect()
}

/// Bumps the pull counter inside the caller's transaction and returns the new value.
pub(crate) async fn next_seq(tx: &impl GenericClient) -> Result<i64, StoreError> {
    let row = tx
        .query_one(
            "UPDATE catalog_sequence SET value = value + 1 WHERE only_row = 1 RETURNING value",
            &[],
        )
        .await?;
    get(&row, "value")
}

/// Parameters of a dynamically built query.
pub(crate) type Params = Vec<Box<dyn ToSql + Sync + Send>>;

pub(crate) fn param_refs(params: &Params) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`) and brings its
    /// schema up to date.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let shown = redact(url);
        let config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::Invalid(format!(
                "'{shown}' is not a PostgreSQL URL ({e}); write postgres://USER:PASSWORD@HOST:PORT/DATABASE"
            ))
        })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("eom-postgres")
            .enable_all()
            .build()
            .map_err(StoreError::database)?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = {
            let _entered = runtime.enter();
            Pool::builder(manager)
                .max_size(POOL_SIZE)
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .wait_timeout(Some(std::time::Duration::from_secs(10)))
                .create_timeout(Some(std::time::Duration::from_secs(10)))
                .build()
                .map_err(StoreError::database)?
        };
        let store = Self {
            pool,
            runtime: Some(runtime),
            shown,
        };
        store.run(async |client| migrate(client).await).map_err(|e| match e {
            StoreError::Database(cause) => StoreError::Invalid(format!(
                "cannot use the PostgreSQL database {}: {}; check that it runs, that the database exists and the user may create tables",
                store.shown,
                crate::error::chain(cause.as_ref())
            )),
            other => other,
        })?;
        Ok(store)
    }

    /// The URL without its password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    fn block_on<F: Future>(&self, f: F) -> F::Output {
        match &self.runtime {
            Some(rt) => rt.block_on(f),
            // Only `Drop` takes the runtime, and nothing runs after it.
            None => unreachable!("the PostgreSQL runtime is gone"),
        }
    }

    /// Runs each query in turn in one read-only snapshot, through a cursor, and hands every
    /// row (with the query's index) to `each` until it answers `false`. Pages are fetched on
    /// the runtime and `each` runs outside it: it may block (a slow download, another
    /// database), which must not happen inside `block_on`.
    fn page_through(
        &self,
        queries: &[(String, Params)],
        each: &mut dyn FnMut(usize, &Row) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut client = self.block_on(self.pool.get())?;
        let tx = self.block_on(
            client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start(),
        )?;
        for (index, (sql, params)) in queries.iter().enumerate() {
            let portal = self.block_on(tx.bind(sql.as_str(), &param_refs(params)))?;
            loop {
                let page = self.block_on(tx.query_portal(&portal, PAGE))?;
                if page.is_empty() {
                    break;
                }
                for row in &page {
                    if !each(index, row)? {
                        return Ok(());
                    }
                }
            }
        }
        self.block_on(tx.commit())?;
        Ok(())
    }

    /// Runs `f` with a pooled connection.
    fn run<T>(
        &self,
        f: impl AsyncFnOnce(&mut deadpool_postgres::Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.block_on(async {
            let mut client = self.pool.get().await?;
            f(&mut client).await
        })
    }

    /// Runs `f` in a transaction, committed when it succeeds.
    fn write<T>(
        &self,
        f: impl AsyncFnOnce(&deadpool_postgres::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.run(async |client| {
            let tx = client.transaction().await?;
            let value = f(&tx).await?;
            tx.commit().await?;
            Ok(value)
        })
    }

    /// Runs `f` in a read-only transaction that sees one snapshot.
    fn read<T>(
        &self,
        f: impl AsyncFnOnce(&deadpool_postgres::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.run(async |client| {
            let tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let value = f(&tx).await?;
            tx.commit().await?;
            Ok(value)
        })
    }
}

async fn migrate(client: &mut deadpool_postgres::Client) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS eom_schema (version BIGINT NOT NULL)")
        .await?;
    let applied: i64 = match tx.query_opt("SELECT version FROM eom_schema", &[]).await? {
        Some(row) => get(&row, "version")?,
        None => {
            tx.execute("INSERT INTO eom_schema (version) VALUES (0)", &[])
                .await?;
            0
        }
    };
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Invalid(format!(
            "the database was written by a newer eom-server (schema {applied}, this one knows {}); upgrade eom-server",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.batch_execute(sql).await?;
        let version = i64::try_from(i + 1).unwrap_or(i64::MAX);
        tx.execute("UPDATE eom_schema SET version = $1", &[&version])
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn form_rows(
    tx: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Form>, StoreError> {
    let found = tx.query(sql, params).await?;
    rows(found, |r| json(r, "definition"))
}

impl Store for PostgresStore {
    fn create_account(&self, account: NewAccount) -> Result<Account, StoreError> {
        self.create_accounts(vec![account])?
            .pop()
            .ok_or_else(|| StoreError::failed("the new account was not returned"))
    }

    fn create_accounts(&self, accounts: Vec<NewAccount>) -> Result<Vec<Account>, StoreError> {
        self.write(async |tx| insert_accounts(tx, &accounts).await)
    }

    fn account_by_token_hash(&self, token_hash: &str) -> Result<Option<Account>, StoreError> {
        self.run(async |c| {
            let stmt = c
                .prepare_cached("SELECT * FROM accounts WHERE token_hash = $1")
                .await?;
            c.query_opt(&stmt, &[&token_hash])
                .await?
                .as_ref()
                .map(account_from_row)
                .transpose()
        })
    }

    fn create_session(
        &self,
        id_hash: &str,
        account_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        self.write(async |tx| {
            // Expired sign-ins are cleared whenever someone signs in.
            tx.execute("DELETE FROM sessions WHERE expires_at < $1", &[&now])
                .await?;
            tx.execute(
                "INSERT INTO sessions (id_hash, account_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[&id_hash, &account_id, &now, &expires_at],
            )
            .await?;
            Ok(())
        })
    }

    fn session_account(&self, id_hash: &str) -> Result<Option<Account>, StoreError> {
        let now = Utc::now();
        self.run(async |c| {
            let stmt = c
                .prepare_cached(
                    "SELECT a.* FROM sessions s JOIN accounts a ON a.id = s.account_id
                     WHERE s.id_hash = $1 AND s.expires_at > $2",
                )
                .await?;
            c.query_opt(&stmt, &[&id_hash, &now])
                .await?
                .as_ref()
                .map(account_from_row)
                .transpose()
        })
    }

    fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.run(async |c| {
            c.execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash])
                .await?;
            Ok(())
        })
    }

    fn set_token_hash(
        &self,
        account_id: &str,
        token_hash: &str,
        actor: &str,
    ) -> Result<bool, StoreError> {
        self.write(async |tx| {
            let changed = tx
                .execute(
                    "UPDATE accounts SET token_hash = $2 WHERE id = $1",
                    &[&account_id, &token_hash],
                )
                .await?;
            // A revoked coordinator is signed out of the dashboard too.
            tx.execute("DELETE FROM sessions WHERE account_id = $1", &[&account_id])
                .await?;
            let entry = audit::account_entry(tx, account_id, actor).await?;
            audit::append(tx, Utc::now(), entry.into_iter().collect()).await?;
            Ok(changed == 1)
        })
    }

    fn read_audit(
        &self,
        entries: &mut dyn FnMut(crate::audit::AuditEntry) -> Result<(), StoreError>,
        rows: &mut dyn FnMut(String, String) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // One snapshot: a repeatable-read transaction sees the log and the rows as of one
        // moment while servers keep writing.
        self.run(async |c| {
            let tx = c
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            audit::read(&tx, entries, rows).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn server_key(&self, purpose: &str, candidate: &str) -> Result<String, StoreError> {
        let now = Utc::now();
        self.write(async |tx| {
            tx.execute(
                "INSERT INTO server_keys (purpose, secret, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (purpose) DO NOTHING",
                &[&purpose, &candidate, &now],
            )
            .await?;
            let row = tx
                .query_one(
                    "SELECT secret FROM server_keys WHERE purpose = $1",
                    &[&purpose],
                )
                .await?;
            Ok(row.try_get::<_, String>(0)?)
        })
    }

    fn create_enrolment_code(
        &self,
        code_hash: &str,
        account_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        self.write(async |tx| {
            tx.execute(
                "INSERT INTO enrolment_codes (code_hash, account_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[&code_hash, &account_id, &now, &expires_at],
            )
            .await?;
            Ok(())
        })
    }

    fn redeem_enrolment_code(
        &self,
        code_hash: &str,
        token_hash: &str,
    ) -> Result<Option<Account>, StoreError> {
        let now = Utc::now();
        self.write(async |tx| {
            let Some(row) = tx
                .query_opt(
                    "UPDATE enrolment_codes SET used_at = $2
                     WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2
                     RETURNING account_id",
                    &[&code_hash, &now],
                )
                .await?
            else {
                return Ok(None);
            };
            let account_id: String = row.try_get(0)?;
            let account = tx
                .query_one(
                    "UPDATE accounts SET token_hash = $2 WHERE id = $1 RETURNING *",
                    &[&account_id, &token_hash],
                )
                .await?;
            // The observer's own laptop took the new token.
            let entry = audit::account_entry(tx, &account_id, &account_id).await?;
            audit::append(tx, Utc::now(), entry.into_iter().collect()).await?;
            account_from_row(&account).map(Some)
        })
    }

    fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.run(async |c| {
            let found = c
                .query(
                    r#"SELECT * FROM accounts ORDER BY role, name COLLATE "C""#,
                    &[],
                )
                .await?;
            rows(found, account_from_row)
        })
    }

    fn install_forms(&self, forms: &[Form]) -> Result<usize, StoreError> {
        self.write(async |tx| {
            // Installers take the counter's lock first, so they run one at a time.
            tx.execute(
                "SELECT value FROM catalog_sequence WHERE only_row = 1 FOR UPDATE",
                &[],
            )
            .await?;
            let mut added = 0;
            for form in forms {
                let version = i64::from(form.version);
                let exists = tx
                    .query_opt(
                        "SELECT 1 FROM forms WHERE id = $1 AND version = $2",
                        &[&form.id.as_str(), &version],
                    )
                    .await?
                    .is_some();
                if exists {
                    continue;
                }
                let seq = next_seq(tx).await?;
                tx.execute(
                    "INSERT INTO forms (id, version, stage, definition, seq, installed_at)
                     VALUES ($1, $2, $3, $4, $5, now())",
                    &[
                        &form.id.as_str(),
                        &version,
                        &form.stage.as_str(),
                        &Json(form),
                        &seq,
                    ],
                )
                .await?;
                let definition = serde_json::to_string(form)
                    .map_err(|e| StoreError::failed(format!("form {}: {e}", form.id)))?;
                audit::append(
                    tx,
                    Utc::now(),
                    vec![crate::audit::document(
                        "forms",
                        format!("form:{}:{}", form.id, form.version),
                        &definition,
                    )],
                )
                .await?;
                added += 1;
            }
            Ok(added)
        })
    }

    fn form(&self, id: &FormId, version: u32) -> Result<Option<Form>, StoreError> {
        let version = i64::from(version);
        self.run(async |c| {
            let stmt = c
                .prepare_cached("SELECT definition FROM forms WHERE id = $1 AND version = $2")
                .await?;
            c.query_opt(&stmt, &[&id.as_str(), &version])
                .await?
                .as_ref()
                .map(|r| json(r, "definition"))
                .transpose()
        })
    }

    fn latest_forms(&self) -> Result<Vec<Form>, StoreError> {
        self.run(async |c| {
            form_rows(
                &*c,
                "SELECT definition FROM forms f
                 WHERE version = (SELECT max(version) FROM forms WHERE id = f.id) ORDER BY seq",
                &[],
            )
            .await
        })
    }

    fn import_stations(&self, stations: &[Station]) -> Result<ImportSummary, StoreError> {
        self.write(async |tx| {
            tx.execute(
                "SELECT value FROM catalog_sequence WHERE only_row = 1 FOR UPDATE",
                &[],
            )
            .await?;
            let mut summary = ImportSummary::default();
            let mut seq = None;
            for s in stations {
                let current = tx
                    .query_opt("SELECT * FROM stations WHERE code = $1", &[&s.code.as_str()])
                    .await?
                    .as_ref()
                    .map(station_from_row)
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
                                .query_one(
                                    "SELECT EXISTS (SELECT 1 FROM submissions WHERE station_code = $1)",
                                    &[&s.code.as_str()],
                                )
                                .await?
                                .get(0);
                            if observed {
                                summary.moved += 1;
                            }
                        }
                    }
                    None => summary.added += 1,
                }
                // One counter value for the whole import: a laptop pulls it all or none.
                let seq = match seq {
                    Some(v) => v,
                    None => *seq.insert(next_seq(tx).await?),
                };
                let voters = s.registered_voters.map(i64::from);
                tx.execute(
                    "INSERT INTO stations (code, name, region, district, level, registered_voters,
                       area, kind, latitude, longitude, seq)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, region = excluded.region,
                       district = excluded.district, level = excluded.level,
                       registered_voters = excluded.registered_voters, area = excluded.area,
                       kind = excluded.kind, latitude = excluded.latitude,
                       longitude = excluded.longitude, seq = excluded.seq",
                    &[
                        &s.code.as_str(),
                        &s.name,
                        &s.region,
                        &s.district,
                        &s.level.as_str(),
                        &voters,
                        &eom_shared::Area::stored(s.area),
                        &s.kind.as_str(),
                        &s.coordinates.map(|c| c.latitude),
                        &s.coordinates.map(|c| c.longitude),
                        &seq,
                    ],
                )
                .await?;
            }
            if summary.moved > 0 {
                tx.execute(
                    "INSERT INTO recount_pending (reason) VALUES ('stations with checklists moved')",
                    &[],
                )
                .await?;
            }
            if let Some(seq) = seq {
                let seq = u64::try_from(seq).map_err(|_| StoreError::failed("sequence"))?;
                let entry = crate::store::sqlite::stations_entry(seq, stations)?;
                audit::append(tx, Utc::now(), vec![entry]).await?;
            }
            Ok(summary)
        })
    }

    fn regions(&self) -> Result<Vec<String>, StoreError> {
        self.run(async |c| {
            let found = c
                .query(
                    r#"SELECT DISTINCT region COLLATE "C" AS region FROM stations ORDER BY 1"#,
                    &[],
                )
                .await?;
            rows(found, |r| get(r, "region"))
        })
    }

    fn catalog_changes(&self, since: u64, observer_id: &str) -> Result<CatalogChanges, StoreError> {
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        self.read(async |tx| {
            // One snapshot, so the cursor matches exactly what is returned.
            let row = tx
                .query_one("SELECT value FROM catalog_sequence", &[])
                .await?;
            let cursor = count(&row, "value")?;
            let forms = form_rows(
                tx,
                "SELECT definition FROM forms WHERE seq > $1 ORDER BY seq",
                &[&since],
            )
            .await?;
            let found = tx
                .query(
                    r#"SELECT * FROM stations WHERE seq > $1 ORDER BY code COLLATE "C""#,
                    &[&since],
                )
                .await?;
            let stations = rows(found, station_from_row)?;
            let feedback = reports::feedback_since(tx, since, observer_id).await?;
            Ok(CatalogChanges {
                cursor,
                forms,
                stations,
                feedback,
            })
        })
    }

    fn ingest(
        &self,
        received_at: DateTime<Utc>,
        batches: &[IngestBatch],
    ) -> Result<Vec<Vec<IngestDecision>>, StoreError> {
        self.write(async |tx| ingest::ingest(tx, received_at, batches).await)
    }

    fn list_submissions(
        &self,
        filter: &SubmissionFilter,
        page: u32,
        per_page: u32,
    ) -> Result<SubmissionPage, StoreError> {
        self.read(async |tx| reports::list_submissions(tx, filter, page, per_page).await)
    }

    fn submission(&self, id: SubmissionId) -> Result<Option<SubmissionDetail>, StoreError> {
        let key = id.to_string();
        self.read(async |tx| {
            let found = tx
                .query_opt(
                    &format!(
                        "SELECT {SUMMARY_COLUMNS} FROM submissions s
                         JOIN accounts a ON a.id = s.observer_id WHERE s.id = $1"
                    ),
                    &[&key],
                )
                .await?;
            let Some(summary) = found.as_ref().map(summary_from_row).transpose()? else {
                return Ok(None);
            };
            let found = tx
                .query(
                    "SELECT * FROM revisions WHERE submission_id = $1 ORDER BY revision",
                    &[&key],
                )
                .await?;
            let revisions = rows(found, revision_from_row)?;
            let found = tx
                .query(
                    "SELECT * FROM conflicts WHERE submission_id = $1 ORDER BY revision, received_at",
                    &[&key],
                )
                .await?;
            let conflicts = rows(found, conflict_from_row)?;
            let reviews = reports::reviews_of(tx, &key).await?;
            let attachments = attachments::list(tx, id).await?;
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
        let counts = self.run(async |c| {
            let found = c
                .query(
                    "SELECT form_id, sum(checklists)::bigint AS checklists,
                            sum(assessed)::bigint AS assessed, sum(negative)::bigint AS negative
                     FROM tally_assessments GROUP BY form_id",
                    &[],
                )
                .await?;
            rows(found, |r| {
                Ok((
                    get::<String>(r, "form_id")?,
                    count::<u64>(r, "checklists")?,
                    count::<u64>(r, "assessed")?,
                    count::<u64>(r, "negative")?,
                ))
            })
        })?;
        Ok(FormTally::for_forms(&forms, &counts))
    }

    fn assessment_rows(&self, filter: &ReportFilter) -> Result<Vec<AssessmentRow>, StoreError> {
        self.run(async |c| reports::assessment_rows(&*c, filter).await)
    }

    fn finding_rows(&self, filter: &ReportFilter) -> Result<Vec<FindingRow>, StoreError> {
        self.run(async |c| reports::finding_rows(&*c, filter).await)
    }

    fn critical_findings(
        &self,
        filter: &ReportFilter,
        limit: u32,
    ) -> Result<Vec<CriticalFinding>, StoreError> {
        self.run(async |c| reports::critical_findings(&*c, filter, limit).await)
    }

    fn note_client_version(&self, account_id: &str, version: &str) -> Result<(), StoreError> {
        self.write(async |tx| teams::note_client_version(tx, account_id, version).await)
    }

    fn change_stamp(&self) -> Result<u64, StoreError> {
        self.run(async |c| {
            let row = c
                .query_one(
                    "SELECT coalesce(max(seq), 0)::bigint AS seq FROM audit_log",
                    &[],
                )
                .await?;
            let seq: i64 = get(&row, "seq")?;
            Ok(u64::try_from(seq).unwrap_or_default())
        })
    }

    fn import_teams(&self, teams: Vec<NewTeam>) -> Result<Vec<Account>, StoreError> {
        self.write(async |tx| teams::import(tx, teams).await)
    }

    fn teams(&self, only: Option<&[String]>) -> Result<Vec<Team>, StoreError> {
        self.read(async |tx| teams::list(tx, only).await)
    }

    fn record_call(&self, call: &NewCall) -> Result<bool, StoreError> {
        self.write(async |tx| teams::record_call(tx, call).await)
    }

    fn calls(&self, team_id: &str) -> Result<Vec<CallRecord>, StoreError> {
        self.run(async |c| teams::calls(&*c, team_id).await)
    }

    fn create_message(&self, message: &NewMessage) -> Result<(), StoreError> {
        self.write(async |tx| messages::create(tx, message).await)
    }

    fn inbox(&self, account_id: &str, limit: u32) -> Result<Vec<InboxMessage>, StoreError> {
        self.run(async |c| messages::inbox(&*c, account_id, limit).await)
    }

    fn mark_messages_read(
        &self,
        account_id: &str,
        ids: &[uuid::Uuid],
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.write(async |tx| messages::mark_read(tx, account_id, ids, at).await)
    }

    fn sent_messages(&self, limit: u32) -> Result<Vec<SentMessage>, StoreError> {
        self.read(async |tx| messages::sent(tx, limit).await)
    }

    fn import_results(
        &self,
        source: &str,
        published_at: Option<DateTime<Utc>>,
        imported_at: DateTime<Utc>,
        figures: &[OfficialFigure],
    ) -> Result<Publication, StoreError> {
        self.write(async |tx| {
            official::import(tx, source, published_at, imported_at, figures).await
        })
    }

    fn official_results(&self) -> Result<OfficialResults, StoreError> {
        self.read(async |tx| official::all(tx).await)
    }

    fn upload_chunk(&self, chunk: &ChunkUpload<'_>) -> Result<ChunkOutcome, StoreError> {
        self.write(async |tx| attachments::upload(tx, chunk).await)
    }

    fn attachments(&self, submission_id: SubmissionId) -> Result<Vec<AttachmentInfo>, StoreError> {
        self.read(async |tx| attachments::list(tx, submission_id).await)
    }

    fn attachment(
        &self,
        submission_id: SubmissionId,
        sha256: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        self.read(async |tx| attachments::one(tx, submission_id, sha256).await)
    }

    fn claim_alerts(
        &self,
        channel: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingAlert>, StoreError> {
        if !self.run(async |c| alerts::has_work(&*c, channel, now).await)? {
            return Ok(Vec::new());
        }
        self.write(async |tx| alerts::claim(tx, channel, now, lease_until, limit).await)
    }

    fn finish_alert(
        &self,
        channel: &str,
        submission_id: SubmissionId,
        question_id: &str,
        outcome: &AlertOutcome,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(async |tx| {
            alerts::finish(tx, channel, submission_id, question_id, outcome, at).await
        })
    }

    fn station_marks(&self, filter: &ReportFilter) -> Result<Vec<super::StationMark>, StoreError> {
        self.read(async |tx| reports::station_marks(tx, filter).await)
    }

    fn observed_hours(
        &self,
        filter: &ReportFilter,
    ) -> Result<Vec<super::ObservedHour>, StoreError> {
        self.read(async |tx| reports::observed_hours(tx, filter).await)
    }

    fn coverage(&self, filter: &ReportFilter) -> Result<CoverageCounts, StoreError> {
        self.read(async |tx| reports::coverage(tx, filter).await)
    }

    fn silent_observers(
        &self,
        before: DateTime<Utc>,
        regions: Option<&[String]>,
        limit: u32,
    ) -> Result<(Vec<SilentObserver>, u64), StoreError> {
        self.read(async |tx| reports::silent_observers(tx, before, regions, limit).await)
    }

    fn arrivals(&self, filter: &ReportFilter) -> Result<Vec<ArrivalRow>, StoreError> {
        self.run(async |c| reports::arrivals(&*c, filter).await)
    }

    fn rebuild_tallies(
        &self,
        contribution: &dyn Fn(&Form, &Map<String, Value>) -> Contribution,
    ) -> Result<u64, StoreError> {
        self.write(async |tx| ingest::rebuild(tx, contribution).await)
    }

    fn recount_pending(&self) -> Result<bool, StoreError> {
        self.read(async |c| {
            Ok(
                c.query_one("SELECT EXISTS (SELECT 1 FROM recount_pending)", &[])
                    .await?
                    .get(0),
            )
        })
    }

    fn review(&self, review: NewReview) -> Result<Option<Vec<ReviewRecord>>, StoreError> {
        self.write(async |tx| reports::review(tx, &review).await)
    }

    fn dump(
        &self,
        sink: &mut dyn FnMut(Record) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // One snapshot for the whole dump; `sink` may write to another database.
        let queries: Vec<(String, Params)> = migrate::DUMP
            .iter()
            .map(|(query, _)| ((*query).to_owned(), Params::new()))
            .collect();
        self.page_through(&queries, &mut |index, row| {
            sink((migrate::DUMP[index].1)(row)?)?;
            Ok(true)
        })
    }

    fn load(&self, records: &[Record]) -> Result<(), StoreError> {
        self.write(async |tx| migrate::load(tx, records).await)
    }

    fn export(
        &self,
        filter: &SubmissionFilter,
        sink: &mut dyn FnMut(ExportRow) -> bool,
    ) -> Result<(), StoreError> {
        let (filter_sql, params) = reports::submission_where(filter, 0);
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, r.answers, r.notes
             FROM submissions s
             JOIN accounts a ON a.id = s.observer_id
             JOIN revisions r ON r.submission_id = s.id AND r.revision = s.revision
             {filter_sql}
             ORDER BY s.first_received_at, s.id"
        );
        self.page_through(&[(sql, params)], &mut |_, row| {
            Ok(sink(ExportRow {
                summary: summary_from_row(row)?,
                answers: json(row, "answers")?,
                notes: get(row, "notes")?,
            }))
        })
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("database", &self.shown)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_never_shown() {
        assert_eq!(
            redact("postgres://eom:s3cret@db.example:5432/eom"),
            "postgres://eom:***@db.example:5432/eom"
        );
        assert_eq!(redact("postgres://db/eom"), "postgres://db/eom");
        assert_eq!(redact("postgres://eom@db/eom"), "postgres://eom@db/eom");
        assert!(is_url("postgresql://x/y") && is_url("postgres://x/y"));
        assert!(!is_url("eom.db"));
    }
}
