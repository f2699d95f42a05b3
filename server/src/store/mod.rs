//! Persistence behind the [`Store`] trait, one module per backend.
//!
//! Nothing above this module speaks SQL, so a PostgreSQL backend for deployments that outgrow
//! one machine can implement the same trait. Methods are synchronous: the HTTP layer runs them
//! on the blocking thread pool.

pub mod sqlite;

use chrono::{DateTime, Utc};
use eom_shared::form::Form;
use eom_shared::station::Station;
use eom_shared::submission::{ContentHash, SubmissionContent, SubmissionId};
use eom_shared::sync::PushOutcome;
use eom_shared::{FormId, Issue, Stage};
use serde::Serialize;
use serde_json::Value;

pub use sqlite::SqliteStore;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database is locked by another writer for longer than the busy timeout.
    #[error("the database is busy; try again in a moment")]
    Busy,
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Busy)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Observer,
    Coordinator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Observer => "observer",
            Role::Coordinator => "coordinator",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub region: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub struct NewAccount {
    pub name: String,
    pub role: Role,
    pub region: Option<String>,
    pub token_hash: String,
}

/// A checklist that passed validation, ready to be stored.
pub struct IngestItem {
    pub id: SubmissionId,
    pub revision: u32,
    pub content: SubmissionContent,
    /// Recomputed by the server; the client's value is never trusted.
    pub content_hash: ContentHash,
    pub stage: Stage,
    /// Warnings from validation, stored with the revision for reviewers.
    pub warnings: Vec<Issue>,
}

/// One request's valid items, from one observer.
pub struct IngestBatch {
    pub observer_id: String,
    pub items: Vec<IngestItem>,
}

/// What the store decided for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestDecision {
    Stored(PushOutcome),
    UnknownStation,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// What changed in the catalog since a cursor.
pub struct CatalogChanges {
    pub cursor: u64,
    pub forms: Vec<Form>,
    pub stations: Vec<Station>,
}

#[derive(Debug, Default, Clone)]
pub struct SubmissionFilter {
    pub form: Option<String>,
    pub station: Option<String>,
    pub region: Option<String>,
    pub observer: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubmissionSummary {
    pub id: SubmissionId,
    pub revision: u32,
    pub form_id: String,
    pub stage: String,
    pub station: String,
    pub region: String,
    pub observer_id: String,
    pub observer_name: String,
    pub overall: Option<String>,
    pub observed_at: String,
    pub received_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubmissionPage {
    pub items: Vec<SubmissionSummary>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RevisionRecord {
    pub revision: u32,
    pub content_hash: String,
    pub form_id: String,
    pub form_version: u32,
    pub station: String,
    pub observed_at: String,
    pub answers: Value,
    pub notes: String,
    pub warnings: Value,
    pub received_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConflictRecord {
    pub revision: u32,
    pub content_hash: String,
    pub observer_id: String,
    pub payload: Value,
    pub received_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubmissionDetail {
    #[serde(flatten)]
    pub summary: SubmissionSummary,
    /// Every stored revision, oldest first.
    pub revisions: Vec<RevisionRecord>,
    /// Versions that arrived under an already stored (id, revision) with other content.
    pub conflicts: Vec<ConflictRecord>,
}

/// Per form: latest revisions and negative overall assessments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormTally {
    pub form_id: FormId,
    pub stage: Stage,
    pub checklists: u64,
    pub assessed: u64,
    pub negative: u64,
}

pub trait Store: Send + Sync + 'static {
    fn create_account(&self, account: NewAccount) -> Result<Account, StoreError>;
    fn account_by_token_hash(&self, token_hash: &str) -> Result<Option<Account>, StoreError>;
    fn list_accounts(&self) -> Result<Vec<Account>, StoreError>;

    /// Adds forms whose (id, version) is not stored yet; returns how many were added.
    fn install_forms(&self, forms: &[Form]) -> Result<usize, StoreError>;
    fn form(&self, id: &FormId, version: u32) -> Result<Option<Form>, StoreError>;
    /// The newest version of every form.
    fn latest_forms(&self) -> Result<Vec<Form>, StoreError>;

    /// Adds or updates stations, all or nothing.
    fn import_stations(&self, stations: &[Station]) -> Result<ImportSummary, StoreError>;
    fn catalog_changes(&self, since: u64) -> Result<CatalogChanges, StoreError>;

    /// Stores several requests' batches in one transaction (group commit), committed to disk
    /// before it returns. Decisions come back per batch, per item, in order.
    fn ingest(
        &self,
        received_at: DateTime<Utc>,
        batches: &[IngestBatch],
    ) -> Result<Vec<Vec<IngestDecision>>, StoreError>;

    fn list_submissions(
        &self,
        filter: &SubmissionFilter,
        page: u32,
        per_page: u32,
    ) -> Result<SubmissionPage, StoreError>;
    fn submission(&self, id: SubmissionId) -> Result<Option<SubmissionDetail>, StoreError>;

    /// Per-form counts over the latest revision of each checklist.
    fn form_tallies(&self) -> Result<Vec<FormTally>, StoreError>;
}
