//! Persistence behind the [`Store`] trait, one module per backend.
//!
//! The trait stores and reads; it does not decide. What a checklist adds to the figures, what
//! is negative, rejected or critical, and how a push relates to what is stored all live in
//! [`crate::rules`], which every backend calls. Rows cross the trait as typed values (times
//! as `DateTime<Utc>`, stages and forms as their enums and ids); a stored value a backend
//! cannot read is [`StoreError::Corrupt`], never a default. These types are not API
//! responses: `api` and `web` present them.
//!
//! Methods are synchronous: the service layer runs them on the blocking thread pool.

pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use eom_shared::form::{Assessment, Form};
use eom_shared::station::{Area, Station, StationCode, StationKind};
use eom_shared::submission::{ContentHash, SubmissionContent, SubmissionId};
use eom_shared::sync::{Feedback, ReviewStatus};
use eom_shared::{FormId, Issue, Stage};
use serde_json::{Map, Value};

use crate::rules::{Contribution, Verdict};

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database is locked by another writer for longer than the busy timeout.
    #[error("the database is busy; try again in a moment")]
    Busy,
    /// The request cannot be carried out as asked (a folder that cannot be created, an
    /// account that does not exist, a database from a newer server).
    #[error("{0}")]
    Invalid(String),
    /// A stored value this server cannot read. Never replaced by a default: a figure built on
    /// a guess is worse than an error the operator sees.
    #[error("unreadable data in the database: {0}")]
    Corrupt(String),
    /// The database failed; the cause is kept for the log.
    #[error("database error")]
    Database(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn database(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Database(Arc::new(e))
    }

    /// A failure described by the backend itself.
    pub fn failed(message: impl Into<String>) -> Self {
        let e: Box<dyn std::error::Error + Send + Sync> = message.into().into();
        StoreError::Database(Arc::from(e))
    }

    pub fn corrupt(what: impl Into<String>) -> Self {
        StoreError::Corrupt(what.into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Observer,
    /// Reads checklists and figures, reviews; with regions on the account, only those
    /// regions'.
    Coordinator,
    /// A coordinator of every region who also manages accounts.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Observer => "observer",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Role::Observer, Role::Coordinator, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == raw)
    }

    /// How the role is stored: the `role` column and the `admin` flag (an administrator is
    /// stored as a coordinator who may also manage accounts).
    pub fn stored(self) -> (&'static str, bool) {
        match self {
            Role::Observer => ("observer", false),
            Role::Coordinator => ("coordinator", false),
            Role::Admin => ("coordinator", true),
        }
    }

    /// The role of a stored `role` column and `admin` flag.
    pub fn from_stored(role: &str, admin: bool) -> Option<Self> {
        match (role, admin) {
            ("observer", false) => Some(Role::Observer),
            ("coordinator", false) => Some(Role::Coordinator),
            ("coordinator", true) => Some(Role::Admin),
            _ => None,
        }
    }

    /// Whether the role reads checklists and figures.
    pub fn coordinates(self) -> bool {
        matches!(self, Role::Coordinator | Role::Admin)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// As stored: an observer's deployment region, or the regions a coordinator is limited
    /// to, one per line (see [`Account::regions`]).
    pub region: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Between the regions of one account in its `region` column. A region name cannot hold a
/// line break (control characters are refused in names), so the list reads back exactly;
/// an account of one region stores just its name, as before several were possible, and the
/// audit log's account digests and `migrate` carry the column unchanged.
pub const REGION_SEPARATOR: char = '\n';

impl Account {
    /// The account's regions (none: the whole mission).
    pub fn regions(&self) -> Vec<String> {
        stored_regions(self.region.as_deref())
    }

    /// The region, when the account has exactly one (an observer team's, or a coordinator's
    /// of one region).
    pub fn only_region(&self) -> Option<String> {
        match self.regions().as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    }
}

/// The regions of a stored `region` column.
pub fn stored_regions(column: Option<&str>) -> Vec<String> {
    column
        .map(|c| {
            c.split(REGION_SEPARATOR)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The `region` column for a list of regions (none for an empty list).
pub fn regions_column(regions: &[String]) -> Option<String> {
    (!regions.is_empty()).then(|| regions.join(&REGION_SEPARATOR.to_string()))
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Who makes it, for the audit log: an administrator's account id, or
    /// [`crate::audit::OPERATOR`] on the command line.
    pub actor: String,
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

/// What became of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestDecision {
    /// The rules' verdict, carried out.
    Stored(Verdict),
    UnknownStation,
    /// The form is not filed at this kind of station ([`crate::rules::filed_at`]).
    WrongLevel(eom_shared::station::StationLevel),
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Updated stations that already have checklists and now lie in another region, area
    /// or kind, or registered voters: the totals must be recounted ([`Store::recount_pending`]).
    pub moved: usize,
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
    /// Only checklists from these regions (none: every region).
    pub regions: Option<Vec<String>>,
    /// Only stations of this area / kind (from the station list).
    pub area: Option<Area>,
    pub kind: Option<StationKind>,
    pub observer: Option<String>,
    pub review: Option<ReviewStatus>,
    /// Only checklists whose latest revision failed this protocol check (its tally key,
    /// [`crate::rules::contribution::check_key`]), so a coordinator finds the stations.
    pub failed_check: Option<String>,
    /// Observed at or after the start of this hour.
    pub from_hour: Option<DateTime<Utc>>,
    /// Observed before the start of this hour.
    pub to_hour: Option<DateTime<Utc>>,
    /// Only checklists of these stations, or teams, or regions (what a search matched).
    pub search: Option<SearchHits>,
}

/// What a search text matched, resolved by the service: a checklist matches when its
/// station, its team or its region is among them.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SearchHits {
    pub stations: Vec<String>,
    pub observers: Vec<String>,
    pub regions: Vec<String>,
}

impl SearchHits {
    /// As one query parameter: a JSON object both backends take apart in SQL.
    pub fn as_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// The filters every report takes: region, form, and a window of observation hours.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    /// Only these regions (none: every region).
    pub regions: Option<Vec<String>>,
    /// Only stations of this area / kind (from the station list).
    pub area: Option<Area>,
    pub kind: Option<StationKind>,
    pub form: Option<String>,
    /// Observed at or after the start of this hour.
    pub from_hour: Option<DateTime<Utc>>,
    /// Observed before the start of this hour.
    pub to_hour: Option<DateTime<Utc>>,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriticalFinding {
    pub submission_id: SubmissionId,
    pub form_id: FormId,
    pub question_id: String,
    pub station: StationCode,
    pub region: String,
    pub observed_at: DateTime<Utc>,
    pub observer_name: String,
}

/// An observer team made by the team import: its account, contact details and first
/// enrolment code, stored together or not at all.
pub struct NewTeam {
    pub account: NewAccount,
    pub phone: String,
    /// Codes of the stations it is assigned to.
    pub stations: Vec<String>,
    pub code_hash: String,
    pub code_expires_at: DateTime<Utc>,
}

/// What became of a follow-up call to a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The team answered and is fine.
    Reached,
    NoAnswer,
    /// The team answered and reported a problem (see the note).
    Problem,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 3] = [
        CallOutcome::Reached,
        CallOutcome::NoAnswer,
        CallOutcome::Problem,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Reached => "reached",
            CallOutcome::NoAnswer => "no_answer",
            CallOutcome::Problem => "problem",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == raw.trim())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCall {
    pub id: uuid::Uuid,
    pub team_id: String,
    pub caller_id: String,
    pub at: DateTime<Utc>,
    pub outcome: CallOutcome,
    pub note: String,
}

/// One follow-up call, as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub team_id: String,
    /// The coordinator's name.
    pub caller: String,
    pub at: DateTime<Utc>,
    pub outcome: CallOutcome,
    pub note: String,
}

/// An observer team with what the core team needs to follow it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub account: Account,
    /// Empty when the import gave none.
    pub phone: String,
    pub stations: Vec<String>,
    pub checklists: u64,
    pub last_received_at: Option<DateTime<Utc>>,
    pub last_call: Option<CallRecord>,
    /// The version of eom the team's laptop last pulled with (empty: not known yet).
    pub client_version: String,
}

/// Who a coordinator's message is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every observer team.
    All,
    /// The teams deployed to a region.
    Region(String),
    /// One team: its account id.
    Team(String),
}

impl Audience {
    /// As stored: the `audience` and `target` columns.
    pub fn stored(&self) -> (&'static str, &str) {
        match self {
            Audience::All => ("all", ""),
            Audience::Region(r) => ("region", r),
            Audience::Team(t) => ("team", t),
        }
    }

    pub fn from_stored(audience: &str, target: &str) -> Result<Self, StoreError> {
        match audience {
            "all" => Ok(Audience::All),
            "region" => Ok(Audience::Region(target.to_owned())),
            "team" => Ok(Audience::Team(target.to_owned())),
            other => Err(StoreError::corrupt(format!("message audience '{other}'"))),
        }
    }
}

/// The condition, in SQL both backends speak, that message `m` is addressed to the account
/// `a`: to every team, the account's region, or the account itself.
pub(crate) const ADDRESSED: &str = "(m.audience = 'all' \
     OR (m.audience = 'region' AND m.target = a.region) \
     OR (m.audience = 'team' AND m.target = a.id))";

/// The number of observer teams message `m` is addressed to, in SQL both backends speak.
pub(crate) const RECIPIENTS: &str = "(SELECT count(*) FROM accounts a \
     WHERE a.role = 'observer' AND (m.audience = 'all' \
       OR (m.audience = 'region' AND m.target = a.region) \
       OR (m.audience = 'team' AND m.target = a.id)))";

#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub id: uuid::Uuid,
    pub author_id: String,
    pub audience: Audience,
    pub body: String,
    pub sent_at: DateTime<Utc>,
}

/// A message as a team receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    pub id: uuid::Uuid,
    /// The coordinator's name.
    pub from: String,
    pub body: String,
    pub sent_at: DateTime<Utc>,
}

/// A message as coordinators see it: for whom, and which teams have read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    pub id: uuid::Uuid,
    pub from: String,
    pub audience: Audience,
    /// For a message to one team: the team's name and region.
    pub team: Option<(String, Option<String>)>,
    pub body: String,
    pub sent_at: DateTime<Utc>,
    /// Observer teams it is addressed to now.
    pub recipients: u64,
    /// Teams whose laptops have shown it, and when: first read first.
    pub read_by: Vec<(String, DateTime<Utc>)>,
}

/// A station with coordinates and what was observed there, for the map.
#[derive(Debug, Clone, PartialEq)]
pub struct StationMark {
    pub code: String,
    pub name: String,
    pub region: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Checklists within the filter (0: not observed).
    pub checklists: u64,
    /// Of them, assessed negatively.
    pub negative: u64,
}

/// Checklists observed in one hour, for one stage, within the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedHour {
    pub hour: DateTime<Utc>,
    pub stage: Stage,
    pub checklists: u64,
    pub negative: u64,
}

/// A critical finding an alert channel has not yet received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAlert {
    pub finding: CriticalFinding,
    /// The station's name as the list has it (empty when the list no longer holds it).
    pub station_name: String,
    /// Deliveries tried so far, this one not counted.
    pub attempts: u32,
}

/// What became of one delivery of an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertOutcome {
    Sent,
    /// Not delivered: tried again at `retry_at`.
    Failed {
        error: String,
        retry_at: DateTime<Utc>,
    },
}

/// Stations of one level in one region: how many there are, and how many were visited for a
/// stage within the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationCount {
    pub region: String,
    pub level: eom_shared::station::StationLevel,
    pub stations: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitCount {
    pub region: String,
    pub stage: Stage,
    pub level: eom_shared::station::StationLevel,
    /// Distinct stations with a checklist of this stage.
    pub visited: u64,
    /// Of them, stations with an overall assessment, and with at least one negative one.
    pub assessed: u64,
    pub negative: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoverageCounts {
    pub stations: Vec<StationCount>,
    pub visits: Vec<VisitCount>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilentObserver {
    pub id: String,
    pub name: String,
    pub region: Option<String>,
    /// When the last checklist from this observer arrived; `None` if none ever did.
    pub last_received_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivalRow {
    /// The hour of first receipt.
    pub hour: DateTime<Utc>,
    pub stage: Stage,
    pub checklists: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRecord {
    pub status: ReviewStatus,
    pub comment: String,
    pub reviewer: String,
    pub revision: u32,
    pub at: DateTime<Utc>,
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
    pub answers: Map<String, Value>,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionSummary {
    pub id: SubmissionId,
    pub revision: u32,
    pub form_id: FormId,
    pub stage: Stage,
    pub station: StationCode,
    pub region: String,
    /// The station's area and kind (from the station list) when the checklist was counted.
    pub area: Option<Area>,
    pub kind: StationKind,
    pub observer_id: String,
    pub observer_name: String,
    pub overall: Option<Assessment>,
    pub observed_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub review_status: ReviewStatus,
    /// The revision the last review was about; older than `revision` when the observer has
    /// edited the checklist since.
    pub reviewed_revision: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct SubmissionPage {
    pub items: Vec<SubmissionSummary>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RevisionRecord {
    pub revision: u32,
    pub content_hash: ContentHash,
    pub form_id: FormId,
    pub form_version: u32,
    pub station: StationCode,
    pub observed_at: DateTime<Utc>,
    pub answers: Map<String, Value>,
    pub notes: String,
    pub warnings: Vec<Issue>,
    pub received_at: DateTime<Utc>,
}

impl RevisionRecord {
    /// The checklist's content as the observer sent it.
    pub fn content(&self) -> SubmissionContent {
        SubmissionContent {
            form_id: self.form_id.clone(),
            form_version: self.form_version,
            station: self.station.clone(),
            observed_at: self.observed_at,
            answers: self.answers.clone(),
            notes: self.notes.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConflictRecord {
    pub revision: u32,
    pub content_hash: ContentHash,
    pub observer_id: String,
    /// The content that arrived, as it arrived.
    pub payload: Value,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SubmissionDetail {
    pub summary: SubmissionSummary,
    /// Every stored revision, oldest first.
    pub revisions: Vec<RevisionRecord>,
    /// Versions that arrived under an already stored (id, revision) with other content.
    pub conflicts: Vec<ConflictRecord>,
    /// Every review, oldest first.
    pub reviews: Vec<ReviewRecord>,
    /// Photos and other attachments, complete ones only, in the order they were added.
    pub attachments: Vec<eom_shared::attachment::AttachmentInfo>,
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

impl FormTally {
    /// One row per current form, in the forms' order, with the summed totals a backend read
    /// per form id (`(form_id, checklists, assessed, negative)`); a form without any is 0.
    pub fn for_forms(forms: &[Form], counts: &[(String, u64, u64, u64)]) -> Vec<FormTally> {
        forms
            .iter()
            .map(|f| {
                let (checklists, assessed, negative) = counts
                    .iter()
                    .find(|(id, ..)| id == f.id.as_str())
                    .map_or((0, 0, 0), |(_, c, a, n)| (*c, *a, *n));
                FormTally {
                    form_id: f.id.clone(),
                    stage: f.stage,
                    checklists,
                    assessed,
                    negative,
                }
            })
            .collect()
    }
}

/// One figure the election administration published: a protocol line of one contest at one
/// station, as `eom-server results import` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialFigure {
    pub station: String,
    pub contest: String,
    pub line: String,
    pub value: i64,
}

/// One import of published results. Versions count up from 1; a corrected publication is a
/// new version and never replaces an earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub version: u32,
    /// The file it was read from (its name, for the record).
    pub source: String,
    /// When the administration published it, if the operator said.
    pub published_at: Option<DateTime<Utc>>,
    pub imported_at: DateTime<Utc>,
}

/// Every publication, oldest first, and every figure with the version it came in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfficialResults {
    pub publications: Vec<Publication>,
    pub figures: Vec<(u32, OfficialFigure)>,
}

/// One chunk of an attachment, sent by the team whose checklist it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct ChunkUpload<'a> {
    pub observer_id: &'a str,
    pub submission_id: SubmissionId,
    pub sha256: &'a str,
    /// The whole attachment's size and type, as the first chunk declared them.
    pub size: u64,
    pub mime: &'a str,
    pub name: &'a str,
    /// Where these bytes start; an empty chunk asks how far the upload is.
    pub offset: u64,
    pub bytes: &'a [u8],
    pub at: DateTime<Utc>,
}

/// What a chunk did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// How far the upload is now (the chunk was stored, or it was not where the upload
    /// stands and the client goes on from `received`).
    State(eom_shared::attachment::UploadState),
    /// No checklist of this team has this id (not pushed yet, or another team's).
    NoSuchChecklist,
    /// The chunk contradicts the upload begun under this name (another size or type, or
    /// bytes beyond its size).
    Mismatch(String),
    /// Every byte arrived, and they do not hash to the name: the upload starts again.
    Corrupt,
}

/// What an arriving chunk means for the upload under its name: the rule both backends apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkStep {
    /// Complete already (this photo arrived before): only link it to the checklist.
    Link,
    /// Store the chunk at the end of what arrived.
    Append,
    /// Not where the upload stands (a repeat after a lost answer, or an empty probe): store
    /// nothing and say how far it is.
    Report,
    Mismatch(String),
}

/// The step for `chunk`, given the upload under its name: `(size, mime, received, complete)`.
pub fn chunk_step(existing: (u64, &str, u64, bool), chunk: &ChunkUpload<'_>) -> ChunkStep {
    let (size, mime, received, complete) = existing;
    if size != chunk.size || mime != chunk.mime {
        return ChunkStep::Mismatch(format!(
            "attachment {} was begun as {size} bytes of {mime}, and this chunk says {} bytes of {}",
            chunk.sha256, chunk.size, chunk.mime
        ));
    }
    if complete {
        return ChunkStep::Link;
    }
    if chunk.bytes.is_empty() || chunk.offset != received {
        return ChunkStep::Report;
    }
    if chunk.offset + chunk.bytes.len() as u64 > size {
        return ChunkStep::Mismatch(format!(
            "the chunk at {} runs past the attachment's {size} bytes",
            chunk.offset
        ));
    }
    ChunkStep::Append
}

/// Everything a mission's database holds that cannot be recomputed, for moving a mission
/// from one backend to another (`eom-server migrate`). Totals, critical findings and what
/// each checklist contributes are recomputed after loading; sign-ins are not moved
/// (coordinators sign in again).
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Account {
        account: Account,
        token_hash: String,
        last_received_at: Option<DateTime<Utc>>,
    },
    Form {
        form: Form,
        seq: u64,
        installed_at: DateTime<Utc>,
    },
    Station {
        station: Station,
        seq: u64,
    },
    Revision {
        id: SubmissionId,
        observer_id: String,
        record: RevisionRecord,
    },
    Conflict {
        id: SubmissionId,
        record: ConflictRecord,
    },
    /// The current row of a checklist: which revision is current, and what does not follow
    /// from the revision itself.
    Current {
        id: SubmissionId,
        revision: u32,
        observer_id: String,
        stage: Stage,
        region: String,
        first_received_at: DateTime<Utc>,
        review_status: ReviewStatus,
        reviewed_revision: Option<u32>,
    },
    Review {
        id: SubmissionId,
        revision: u32,
        status: ReviewStatus,
        comment: String,
        reviewer_id: String,
        at: DateTime<Utc>,
        seq: u64,
    },
    /// The pull counter, so that laptops' cursors stay valid.
    Cursor(u64),
    /// A server key (the receipt-signing key: laptops keep checking receipts against it).
    ServerKey {
        purpose: String,
        secret: String,
    },
    /// An audit log entry, moved as it is so the chain still verifies.
    Audit(crate::audit::AuditEntry),
    /// A team's contacts from the team import, and the eom its laptop last pulled with.
    TeamDetails {
        account_id: String,
        phone: String,
        stations: Vec<String>,
        client_version: String,
    },
    /// A coordinator's message to teams.
    Message(NewMessage),
    /// A team's laptop showed a message.
    MessageRead {
        message_id: uuid::Uuid,
        account_id: String,
        read_at: DateTime<Utc>,
    },
    /// A follow-up call to a team.
    Call(NewCall),
    /// An import of published results, before its figures.
    Publication(Publication),
    /// A published figure, with the version of its publication.
    OfficialFigure {
        version: u32,
        figure: OfficialFigure,
    },
    /// A complete attachment's bytes.
    Attachment {
        sha256: String,
        mime: String,
        data: Vec<u8>,
        created_at: DateTime<Utc>,
    },
    /// An attachment of a checklist.
    AttachmentLink {
        submission_id: SubmissionId,
        sha256: String,
        name: String,
        added_at: DateTime<Utc>,
    },
}

pub trait Store: Send + Sync + 'static {
    /// The audit log in order, then every audited row (revisions, reviews, accounts) as its
    /// subject and the digest of its current contents, in one consistent read.
    fn read_audit(
        &self,
        entries: &mut dyn FnMut(crate::audit::AuditEntry) -> Result<(), StoreError>,
        rows: &mut dyn FnMut(String, String) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// The server's secret for `purpose` (hex), storing `candidate` when there is none yet.
    /// Instances racing at first start all end up with the one stored first.
    fn server_key(&self, purpose: &str, candidate: &str) -> Result<String, StoreError>;
    /// Records a one-time enrolment code (its hash) for an account, valid until `expires_at`.
    fn create_enrolment_code(
        &self,
        code_hash: &str,
        account_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Uses an enrolment code once: when it is known, unused and unexpired, marks it used,
    /// gives its account the token with `token_hash`, and returns the account.
    fn redeem_enrolment_code(
        &self,
        code_hash: &str,
        token_hash: &str,
    ) -> Result<Option<Account>, StoreError>;
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
    fn set_token_hash(
        &self,
        account_id: &str,
        token_hash: &str,
        actor: &str,
    ) -> Result<bool, StoreError>;
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
    /// The critical findings within the filter, latest received first (not latest observed:
    /// a laptop with a wrong clock must not push the others off the list).
    fn critical_findings(
        &self,
        filter: &ReportFilter,
        limit: u32,
    ) -> Result<Vec<CriticalFinding>, StoreError>;
    /// Stations on the list per region and level, and distinct stations visited per region,
    /// stage and level within the filter (two forms of one stage at a station count it once).
    fn coverage(&self, filter: &ReportFilter) -> Result<CoverageCounts, StoreError>;
    /// Observers whose last checklist arrived before `before`, or never: the
    /// longest silent first, at most `limit` of them, and how many there are in all.
    fn silent_observers(
        &self,
        before: DateTime<Utc>,
        regions: Option<&[String]>,
        limit: u32,
    ) -> Result<(Vec<SilentObserver>, u64), StoreError>;
    /// First arrivals per hour of receipt and stage, within the filter (its window applies to
    /// the hour of receipt).
    fn arrivals(&self, filter: &ReportFilter) -> Result<Vec<ArrivalRow>, StoreError>;

    /// Creates observer teams with their contact details and enrolment codes, all in one
    /// transaction.
    fn import_teams(&self, teams: Vec<NewTeam>) -> Result<Vec<Account>, StoreError>;
    /// Observer teams (all, or those with the `only` ids), by name, with their contact
    /// details, checklists, last arrival and last follow-up call.
    fn teams(&self, only: Option<&[String]>) -> Result<Vec<Team>, StoreError>;
    /// Logs a call to a team; false when there is no such observer team.
    fn record_call(&self, call: &NewCall) -> Result<bool, StoreError>;
    /// A team's calls, latest first.
    fn calls(&self, team_id: &str) -> Result<Vec<CallRecord>, StoreError>;
    /// Records the version of eom a team's laptop pulls with.
    fn note_client_version(&self, account_id: &str, version: &str) -> Result<(), StoreError>;

    /// A number that moves whenever something the reports show is written (the audit log's
    /// last sequence number), by any instance.
    fn change_stamp(&self) -> Result<u64, StoreError>;

    /// Stores a coordinator's message.
    fn create_message(&self, message: &NewMessage) -> Result<(), StoreError>;
    /// The newest `limit` messages addressed to the observer `account_id` (to every team, its
    /// region, or itself), newest first.
    fn inbox(&self, account_id: &str, limit: u32) -> Result<Vec<InboxMessage>, StoreError>;
    /// Records that the observer's laptop showed these messages; ids not addressed to it are
    /// ignored. Returns how many were newly marked.
    fn mark_messages_read(
        &self,
        account_id: &str,
        ids: &[uuid::Uuid],
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// The newest `limit` messages, newest first, with their recipients and readers.
    fn sent_messages(&self, limit: u32) -> Result<Vec<SentMessage>, StoreError>;

    /// Queues for `channel` every critical finding it has not had (on a channel's first use,
    /// the findings already there are recorded as predating it and never sent), drops queued
    /// ones whose finding is gone (revised away, or the checklist rejected), and claims up to
    /// `limit` whose turn has come by `now`: they are not due again before `lease_until`, so
    /// another instance does not send them meanwhile.
    fn claim_alerts(
        &self,
        channel: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingAlert>, StoreError>;
    /// Records what became of a claimed alert.
    fn finish_alert(
        &self,
        channel: &str,
        submission_id: SubmissionId,
        question_id: &str,
        outcome: &AlertOutcome,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Every station with coordinates within the filter's regions, area and kind, with its
    /// checklists and negative assessments within the filter's form and hours.
    fn station_marks(&self, filter: &ReportFilter) -> Result<Vec<StationMark>, StoreError>;
    /// Checklists and negative assessments per hour of observation and stage, within the
    /// filter, oldest first.
    fn observed_hours(&self, filter: &ReportFilter) -> Result<Vec<ObservedHour>, StoreError>;

    /// Recomputes every running total from the latest revisions (rejected ones left out),
    /// with `contribution` deciding what each checklist adds; returns how many were counted.
    fn rebuild_tallies(
        &self,
        contribution: &dyn Fn(&Form, &Map<String, Value>) -> Contribution,
    ) -> Result<u64, StoreError>;

    /// Whether the totals must be recounted before they are read: after an upgrade that
    /// changed how they are kept, or a station list that moved stations with checklists.
    /// [`Store::rebuild_tallies`] clears it.
    fn recount_pending(&self) -> Result<bool, StoreError>;

    /// Stores a publication of official results as the next version, all figures or none;
    /// returns it.
    fn import_results(
        &self,
        source: &str,
        published_at: Option<DateTime<Utc>>,
        imported_at: DateTime<Utc>,
        figures: &[OfficialFigure],
    ) -> Result<Publication, StoreError>;

    /// Every publication and every figure, oldest version first.
    fn official_results(&self) -> Result<OfficialResults, StoreError>;

    /// Stores one chunk of an attachment of `chunk.submission_id` (a checklist of
    /// `chunk.observer_id`), all in one transaction; links the attachment to the checklist once
    /// it is complete.
    fn upload_chunk(&self, chunk: &ChunkUpload<'_>) -> Result<ChunkOutcome, StoreError>;

    /// The complete attachments of a checklist, in the order they were added.
    fn attachments(
        &self,
        submission_id: SubmissionId,
    ) -> Result<Vec<eom_shared::attachment::AttachmentInfo>, StoreError>;

    /// A complete attachment of a checklist: its type and bytes.
    fn attachment(
        &self,
        submission_id: SubmissionId,
        sha256: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError>;

    /// Records a review; `None` when there is no such checklist.
    fn review(&self, review: NewReview) -> Result<Option<Vec<ReviewRecord>>, StoreError>;

    /// Hands every [`Record`] to `sink`, in an order `load` accepts (accounts, forms and
    /// stations first, then revisions, checklists, conflicts, reviews, the cursor), without
    /// holding them all in memory.
    fn dump(
        &self,
        sink: &mut dyn FnMut(Record) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Stores records from `dump` into this (empty) database, in one transaction per call.
    fn load(&self, records: &[Record]) -> Result<(), StoreError>;

    /// Calls `sink` with each checklist matching `filter`, oldest first, without holding them
    /// all in memory. `sink` returns `false` to stop early.
    fn export(
        &self,
        filter: &SubmissionFilter,
        sink: &mut dyn FnMut(ExportRow) -> bool,
    ) -> Result<(), StoreError>;
}
