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
use eom_shared::sync::{Feedback, ReviewStatus};
use eom_shared::{FormId, Issue, Stage};
use serde::Serialize;
use serde_json::Value;

use crate::reports::contribution::Contribution;

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
    /// What it adds to the running totals that reports read.
    pub contribution: Contribution,
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
    pub feedback: Vec<Feedback>,
}

#[derive(Debug, Default, Clone)]
pub struct SubmissionFilter {
    pub form: Option<String>,
    pub station: Option<String>,
    pub region: Option<String>,
    pub observer: Option<String>,
    pub review: Option<ReviewStatus>,
    /// Observed at or after this hour ("YYYY-MM-DDTHH", UTC).
    pub from_hour: Option<String>,
    /// Observed before this hour.
    pub to_hour: Option<String>,
}

/// The filters every report takes: region, form, and a window of observation hours.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    pub region: Option<String>,
    pub form: Option<String>,
    /// Observed at or after this hour ("YYYY-MM-DDTHH", UTC).
    pub from_hour: Option<String>,
    /// Observed before this hour.
    pub to_hour: Option<String>,
}

/// Running totals for one form in one region (within the filter's window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentRow {
    pub form_id: String,
    pub stage: Stage,
    pub region: String,
    pub checklists: u64,
    pub assessed: u64,
    pub negative: u64,
    pub access_answered: u64,
    pub restricted: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRow {
    pub form_id: String,
    pub question_id: String,
    pub answered: u64,
    pub concern: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CriticalFinding {
    pub submission_id: String,
    pub form_id: String,
    pub question_id: String,
    pub station: String,
    pub region: String,
    pub observed_at: String,
    pub observer_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageRow {
    pub region: String,
    pub stage: Stage,
    pub visited: u64,
    pub stations: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SilentObserver {
    pub id: String,
    pub name: String,
    pub region: Option<String>,
    /// When the last checklist from this observer arrived; `None` if none ever did.
    pub last_received_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArrivalRow {
    /// "YYYY-MM-DDTHH", UTC, of first receipt.
    pub hour: String,
    pub stage: Stage,
    pub checklists: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewRecord {
    pub status: ReviewStatus,
    pub comment: String,
    pub reviewer: String,
    pub revision: u32,
    pub at: String,
}

pub struct NewReview {
    pub submission_id: SubmissionId,
    pub status: ReviewStatus,
    pub comment: String,
    pub reviewer_id: String,
}

/// One checklist for export: its latest revision.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub summary: SubmissionSummary,
    pub answers: serde_json::Map<String, Value>,
    pub notes: String,
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
    pub review_status: ReviewStatus,
    /// The revision the last review was about; older than `revision` when the observer has
    /// edited the checklist since.
    pub reviewed_revision: Option<u32>,
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
    /// Every review, oldest first.
    pub reviews: Vec<ReviewRecord>,
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
    /// Creates many accounts in one transaction (the demo's thousands of teams).
    fn create_accounts(&self, accounts: Vec<NewAccount>) -> Result<Vec<Account>, StoreError>;
    fn account_by_token_hash(&self, token_hash: &str) -> Result<Option<Account>, StoreError>;
    /// Records a dashboard sign-in: the hash of a random session id, valid until `expires_at`.
    fn create_session(
        &self,
        id_hash: &str,
        account_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The account signed in with this session, if it exists and has not expired.
    fn session_account(&self, id_hash: &str) -> Result<Option<Account>, StoreError>;
    fn end_session(&self, id_hash: &str) -> Result<(), StoreError>;

    /// Replaces an account's token hash (a new token, or none that can match: revoked).
    /// Returns false when there is no such account.
    fn set_token_hash(&self, account_id: &str, token_hash: &str) -> Result<bool, StoreError>;
    fn list_accounts(&self) -> Result<Vec<Account>, StoreError>;

    /// Adds forms whose (id, version) is not stored yet; returns how many were added.
    fn install_forms(&self, forms: &[Form]) -> Result<usize, StoreError>;
    fn form(&self, id: &FormId, version: u32) -> Result<Option<Form>, StoreError>;
    /// The newest version of every form.
    fn latest_forms(&self) -> Result<Vec<Form>, StoreError>;

    /// Adds or updates stations, all or nothing.
    fn import_stations(&self, stations: &[Station]) -> Result<ImportSummary, StoreError>;
    /// Forms and stations changed since the cursor, and reviews of `observer_id`'s checklists.
    /// The regions of the station list, in order.
    fn regions(&self) -> Result<Vec<String>, StoreError>;
    fn catalog_changes(&self, since: u64, observer_id: &str) -> Result<CatalogChanges, StoreError>;

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

    /// Per-form counts over the latest revision of each checklist, rejected ones left out.
    fn form_tallies(&self) -> Result<Vec<FormTally>, StoreError>;

    /// Running totals per form and region within the filter.
    fn assessment_rows(&self, filter: &ReportFilter) -> Result<Vec<AssessmentRow>, StoreError>;
    /// Per question with a concern: answered and concern seen, within the filter.
    fn finding_rows(&self, filter: &ReportFilter) -> Result<Vec<FindingRow>, StoreError>;
    /// The newest critical findings within the filter.
    fn critical_findings(
        &self,
        filter: &ReportFilter,
        limit: u32,
    ) -> Result<Vec<CriticalFinding>, StoreError>;
    /// Stations visited per region and stage, against the station list, within the filter.
    fn coverage(&self, filter: &ReportFilter) -> Result<Vec<CoverageRow>, StoreError>;
    /// Observers whose last checklist arrived before `before` (RFC 3339), or never: the
    /// longest silent first, at most `limit` of them, and how many there are in all.
    fn silent_observers(
        &self,
        before: &str,
        region: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<SilentObserver>, u64), StoreError>;
    /// First arrivals per hour of receipt and stage, within the filter (its window applies to
    /// the hour of receipt).
    fn arrivals(&self, filter: &ReportFilter) -> Result<Vec<ArrivalRow>, StoreError>;

    /// Recomputes every running total from the latest revisions (rejected ones left out),
    /// with `contribution` deciding what each checklist adds; returns how many were counted.
    fn rebuild_tallies(
        &self,
        contribution: &dyn Fn(&Form, &serde_json::Map<String, Value>) -> Contribution,
    ) -> Result<u64, StoreError>;

    /// Records a review; `None` when there is no such checklist.
    fn review(&self, review: NewReview) -> Result<Option<Vec<ReviewRecord>>, StoreError>;

    /// Calls `sink` with each checklist matching `filter`, oldest first, without holding them
    /// all in memory. `sink` returns `false` to stop early.
    fn export(
        &self,
        filter: &SubmissionFilter,
        sink: &mut dyn FnMut(ExportRow) -> bool,
    ) -> Result<(), StoreError>;
}
