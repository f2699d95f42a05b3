//! The sync protocol's wire types (`/api/v1/sync/*`, `/api/v1/health`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::form::Form;
use crate::station::Station;
use crate::submission::{SubmissionId, SubmissionPayload};
use crate::validate::Issue;

/// Most submissions one push may carry; larger batches are refused with 413.
pub const MAX_PUSH_BATCH: usize = 1000;

/// Largest JSON text of one pushed submission. A checklist at every text limit is a few tens
/// of kilobytes; this bounds what one item can cost to decode.
pub const MAX_ITEM_BYTES: usize = 256 * 1024;

/// `POST /api/v1/sync/push` as the client sends it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub submissions: Vec<SubmissionPayload>,
}

/// `POST /api/v1/sync/push` as the server reads it: each item is parsed on its own, so that
/// one malformed item is answered `invalid` without sinking the rest of the batch.
///
/// The item count is enforced while decoding: a small compressed body of a million `0`s stops
/// at item [`MAX_PUSH_BATCH`] + 1 instead of building a million values first.
#[derive(Debug, Clone, Deserialize)]
pub struct RawPushRequest {
    #[serde(deserialize_with = "at_most_a_batch")]
    pub submissions: Vec<Value>,
}

/// Why a push body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushDecodeError {
    /// More than [`MAX_PUSH_BATCH`] items.
    TooMany,
    /// One item longer than [`MAX_ITEM_BYTES`].
    ItemTooLarge,
    /// Not JSON, or not `{"submissions": [...]}`; the text says where.
    Malformed(String),
}

const TOO_MANY: &str = "too many submissions in one push";
const ITEM_TOO_LARGE: &str = "one submission is too large";

impl RawPushRequest {
    pub fn from_slice(body: &[u8]) -> Result<Self, PushDecodeError> {
        serde_json::from_slice(body).map_err(|e| {
            let text = e.to_string();
            if text.starts_with(TOO_MANY) {
                PushDecodeError::TooMany
            } else if text.starts_with(ITEM_TOO_LARGE) {
                PushDecodeError::ItemTooLarge
            } else {
                PushDecodeError::Malformed(e.to_string())
            }
        })
    }
}

fn at_most_a_batch<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Value>, D::Error> {
    struct Bounded;
    impl<'de> serde::de::Visitor<'de> for Bounded {
        type Value = Vec<Value>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "a list of at most {MAX_PUSH_BATCH} submissions")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<Value>, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_PUSH_BATCH));
            // Each item is first taken as raw text, so its size is known before any value
            // is built from it.
            while let Some(raw) = seq.next_element::<Box<serde_json::value::RawValue>>()? {
                if items.len() == MAX_PUSH_BATCH {
                    return Err(serde::de::Error::custom(TOO_MANY));
                }
                if raw.get().len() > MAX_ITEM_BYTES {
                    return Err(serde::de::Error::custom(ITEM_TOO_LARGE));
                }
                items.push(serde_json::from_str(raw.get()).map_err(serde::de::Error::custom)?);
            }
            Ok(items)
        }
    }
    d.deserialize_seq(Bounded)
}

/// What became of one pushed submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PushOutcome {
    /// Stored: a new id, or a higher revision than the stored one.
    Accepted,
    /// This exact (id, revision, hash) is already stored.
    Duplicate,
    /// A higher revision of this id is already stored.
    Stale,
    /// The same (id, revision) is stored with different content; both are kept for review.
    Conflict,
    /// Fails validation; `issues` says why, question by question.
    Invalid,
}

impl PushOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            PushOutcome::Accepted => "accepted",
            PushOutcome::Duplicate => "duplicate",
            PushOutcome::Stale => "stale",
            PushOutcome::Conflict => "conflict",
            PushOutcome::Invalid => "invalid",
        }
    }

    /// Whether the server now holds this revision (or a newer one): the client may stop
    /// sending it.
    pub fn is_delivered(self) -> bool {
        matches!(
            self,
            PushOutcome::Accepted | PushOutcome::Duplicate | PushOutcome::Stale
        )
    }
}

/// One entry of a push answer, in the order of the request's items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResult {
    /// Absent only when the item was too malformed to carry a readable id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<SubmissionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
    pub outcome: PushOutcome,
    /// Validation errors (for `invalid`) and warnings (for any outcome).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<Issue>,
    /// For `accepted` and `duplicate`: the server's signed word that it holds this revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<crate::receipt::Receipt>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub results: Vec<PushResult>,
    pub server_time: DateTime<Utc>,
}

/// `GET /api/v1/sync/pull?since=<cursor>`: what changed since the cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse {
    /// Pass this as `since` next time. Opaque to the client.
    pub cursor: String,
    /// The server's clock, so the client can warn about a wrong laptop clock.
    pub server_time: DateTime<Utc>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub forms: Vec<Form>,
    pub stations: Vec<Station>,
    /// Coordinators' reviews of this observer's own checklists.
    #[serde(default)]
    pub feedback: Vec<Feedback>,
    /// The mission's time zone (an IANA name such as `Asia/Almaty`): laptops show and take
    /// times in it. Absent from servers that do not set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Coordinators' messages to this team (to every team, its region, or the team itself),
    /// the newest first; every pull carries them, so a laptop set up anew has them too.
    #[serde(default)]
    pub messages: Vec<TeamMessage>,
}

/// A coordinator's message to observer teams, as a laptop receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamMessage {
    pub id: uuid::Uuid,
    /// The coordinator's name.
    pub from: String,
    pub body: String,
    pub sent_at: DateTime<Utc>,
}

/// `POST /api/v1/messages/read`: the messages this laptop has shown its observer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagesRead {
    pub ids: Vec<uuid::Uuid>,
}

/// A mission time zone, checked: an IANA name such as `Asia/Almaty`.
pub fn parse_time_zone(raw: &str) -> Result<chrono_tz::Tz, String> {
    raw.trim().parse::<chrono_tz::Tz>().map_err(|_| {
        format!("'{raw}' is not a time zone: use an IANA name such as Asia/Almaty or Europe/Vienna")
    })
}

/// `GET /api/v1/sync/mine?page=N`: the observer's own checklists at their latest revision,
/// with the coordinators' last review, so that a new laptop can take over from a lost one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MineResponse {
    pub items: Vec<MineItem>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MineItem {
    pub submission: SubmissionPayload,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Feedback>,
}

/// Where a coordinator's review left a checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReviewStatus {
    /// Not reviewed, or the review was withdrawn.
    None,
    Verified,
    /// Needs follow-up.
    Flagged,
    /// Left out of the statistics.
    Rejected,
}

impl ReviewStatus {
    pub const ALL: [ReviewStatus; 4] = [
        ReviewStatus::None,
        ReviewStatus::Verified,
        ReviewStatus::Flagged,
        ReviewStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::None => "none",
            ReviewStatus::Verified => "verified",
            ReviewStatus::Flagged => "flagged",
            ReviewStatus::Rejected => "rejected",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A coordinator's review of one of the observer's checklists, as pulled by the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Feedback {
    pub submission_id: SubmissionId,
    /// The revision that was reviewed.
    pub revision: u32,
    pub status: ReviewStatus,
    pub comment: String,
    pub reviewer: String,
    pub at: DateTime<Utc>,
}

/// `POST /api/v1/enrol`: a one-time enrolment code, exchanged for the observer's token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolRequest {
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolResponse {
    /// The observer's token: the laptop keeps it as `eom setup --token` would.
    pub token: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// `GET /api/v1/health`. Naming the service lets the client tell the eom server from a hotel
/// Wi-Fi login page that also answers 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    pub service: String,
    pub version: String,
    pub api: String,
}

#[cfg(test)]
mod push_decoding {
    use super::*;

    #[test]
    fn the_item_count_is_enforced_while_decoding() {
        let many = format!("{{\"submissions\":[{}0]}}", "0,".repeat(MAX_PUSH_BATCH));
        assert_eq!(
            RawPushRequest::from_slice(many.as_bytes()).err(),
            Some(PushDecodeError::TooMany)
        );
        let enough = format!("{{\"submissions\":[{}0]}}", "0,".repeat(MAX_PUSH_BATCH - 1));
        let decoded = RawPushRequest::from_slice(enough.as_bytes()).expect("a full batch");
        assert_eq!(decoded.submissions.len(), MAX_PUSH_BATCH);
    }

    #[test]
    fn one_oversized_item_refuses_the_push() {
        let big = format!(
            "{{\"submissions\":[{{\"notes\":\"{}\"}}]}}",
            "a".repeat(MAX_ITEM_BYTES)
        );
        assert_eq!(
            RawPushRequest::from_slice(big.as_bytes()).err(),
            Some(PushDecodeError::ItemTooLarge)
        );
    }

    #[test]
    fn malformed_bodies_say_what_is_wrong() {
        for body in [
            "",
            "[]",
            "{\"submissions\":3}",
            "{\"submissions\":[1,]}",
            "\u{0}",
        ] {
            match RawPushRequest::from_slice(body.as_bytes()) {
                Err(PushDecodeError::Malformed(text)) => assert!(!text.is_empty(), "{body}"),
                other => panic!("{body:?}: {other:?}"),
            }
        }
    }
}
