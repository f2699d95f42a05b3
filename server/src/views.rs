//! What the API and the exports show of stored checklists. Store rows are not serialized
//! as they are: these types fix the public shape (times as RFC 3339 with milliseconds, UTC),
//! so a change inside a backend never changes an answer.

use chrono::{DateTime, Utc};
use eom_shared::form::Assessment;
use eom_shared::submission::{ContentHash, SubmissionId};
use eom_shared::sync::ReviewStatus;
use eom_shared::{FormId, Issue, Stage, StationCode};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::reports::timefmt;
use crate::store::{
    ConflictRecord, ReviewRecord, RevisionRecord, SubmissionDetail, SubmissionPage,
    SubmissionSummary,
};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubmissionView {
    pub id: SubmissionId,
    pub revision: u32,
    pub form_id: FormId,
    pub stage: Stage,
    pub station: StationCode,
    pub region: String,
    /// Urban or rural, when the station list says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<eom_shared::Area>,
    pub kind: eom_shared::StationKind,
    pub observer_id: String,
    pub observer_name: String,
    pub overall: Option<Assessment>,
    #[serde(serialize_with = "timefmt::millis")]
    pub observed_at: DateTime<Utc>,
    #[serde(serialize_with = "timefmt::millis")]
    pub received_at: DateTime<Utc>,
    pub review_status: ReviewStatus,
    pub reviewed_revision: Option<u32>,
}

impl From<SubmissionSummary> for SubmissionView {
    fn from(s: SubmissionSummary) -> Self {
        Self {
            id: s.id,
            revision: s.revision,
            form_id: s.form_id,
            stage: s.stage,
            station: s.station,
            region: s.region,
            area: s.area,
            kind: s.kind,
            observer_id: s.observer_id,
            observer_name: s.observer_name,
            overall: s.overall,
            observed_at: s.observed_at,
            received_at: s.received_at,
            review_status: s.review_status,
            reviewed_revision: s.reviewed_revision,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubmissionPageView {
    pub items: Vec<SubmissionView>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

impl From<SubmissionPage> for SubmissionPageView {
    fn from(p: SubmissionPage) -> Self {
        Self {
            items: p.items.into_iter().map(SubmissionView::from).collect(),
            page: p.page,
            per_page: p.per_page,
            total: p.total,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevisionView {
    pub revision: u32,
    pub content_hash: ContentHash,
    pub form_id: FormId,
    pub form_version: u32,
    pub station: StationCode,
    #[serde(serialize_with = "timefmt::millis")]
    pub observed_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    pub notes: String,
    pub warnings: Vec<Issue>,
    #[serde(serialize_with = "timefmt::millis")]
    pub received_at: DateTime<Utc>,
}

impl From<RevisionRecord> for RevisionView {
    fn from(r: RevisionRecord) -> Self {
        Self {
            revision: r.revision,
            content_hash: r.content_hash,
            form_id: r.form_id,
            form_version: r.form_version,
            station: r.station,
            observed_at: r.observed_at,
            answers: r.answers,
            notes: r.notes,
            warnings: r.warnings,
            received_at: r.received_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConflictView {
    pub revision: u32,
    pub content_hash: ContentHash,
    pub observer_id: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    #[serde(serialize_with = "timefmt::millis")]
    pub received_at: DateTime<Utc>,
}

impl From<ConflictRecord> for ConflictView {
    fn from(c: ConflictRecord) -> Self {
        Self {
            revision: c.revision,
            content_hash: c.content_hash,
            observer_id: c.observer_id,
            payload: c.payload,
            received_at: c.received_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    pub status: ReviewStatus,
    pub comment: String,
    pub reviewer: String,
    pub revision: u32,
    #[serde(serialize_with = "timefmt::millis")]
    pub at: DateTime<Utc>,
}

impl From<ReviewRecord> for ReviewView {
    fn from(r: ReviewRecord) -> Self {
        Self {
            status: r.status,
            comment: r.comment,
            reviewer: r.reviewer,
            revision: r.revision,
            at: r.at,
        }
    }
}

/// Turns a list of store rows into their views.
pub fn all<T, V: From<T>>(rows: Vec<T>) -> Vec<V> {
    rows.into_iter().map(V::from).collect()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubmissionDetailView {
    #[serde(flatten)]
    pub summary: SubmissionView,
    pub revisions: Vec<RevisionView>,
    pub conflicts: Vec<ConflictView>,
    pub reviews: Vec<ReviewView>,
    /// Photos of the protocol and other attachments: the bytes are at
    /// `/api/v1/submissions/{id}/attachments/{sha256}`.
    pub attachments: Vec<eom_shared::attachment::AttachmentInfo>,
}

impl From<SubmissionDetail> for SubmissionDetailView {
    fn from(d: SubmissionDetail) -> Self {
        Self {
            summary: d.summary.into(),
            revisions: all(d.revisions),
            conflicts: all(d.conflicts),
            reviews: all(d.reviews),
            attachments: d.attachments,
        }
    }
}
