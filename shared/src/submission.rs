//! A submission: one filled checklist (or incident report) and its revisions.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::canonical::{CanonicalHasher, write_string, write_value};
use crate::form::FormId;
use crate::station::StationCode;

/// A submission's id: a UUIDv7 made on the observer's laptop when the checklist is created.
/// The nil UUID is refused: no laptop makes it, and it would stand for "no id" in many tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "Uuid", into = "Uuid")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
pub struct SubmissionId(pub Uuid);

impl TryFrom<Uuid> for SubmissionId {
    type Error = String;
    fn try_from(id: Uuid) -> Result<Self, String> {
        if id.is_nil() {
            Err("the nil UUID is not a checklist id".to_owned())
        } else {
            Ok(Self(id))
        }
    }
}

impl From<SubmissionId> for Uuid {
    fn from(id: SubmissionId) -> Uuid {
        id.0
    }
}

impl SubmissionId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Uuid::parse_str(raw.trim())
            .ok()
            .and_then(|id| Self::try_from(id).ok())
            .ok_or_else(|| format!("'{raw}' is not a checklist id (a UUID such as 0193...)"))
    }
}

impl Default for SubmissionId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for SubmissionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Lower-case hex SHA-256 of the canonical JSON of a [`SubmissionContent`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct ContentHash(pub String);

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// What the observer wrote. The author is not part of it: the server takes the author from the
/// token the submission arrived with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmissionContent {
    pub form_id: FormId,
    pub form_version: u32,
    pub station: StationCode,
    /// When the observer saw it, by the laptop's clock (which may be wrong).
    pub observed_at: DateTime<Utc>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub answers: Map<String, Value>,
    #[serde(default)]
    pub notes: String,
}

impl SubmissionContent {
    /// The canonical JSON that the content hash is computed over.
    pub fn canonical(&self) -> String {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail, and serde_json writes UTF-8 only.
        let _ = self.write_canonical(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// The canonical JSON of the content, written field by field in key order ("answers",
    /// "form_id", "form_version", "notes", "observed_at", "station") without building a
    /// JSON tree or copying the answers: the server hashes every pushed checklist.
    fn write_canonical(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(b"{\"answers\":")?;
        let answers: Vec<(&String, &Value)> = {
            let mut entries: Vec<_> = self.answers.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            entries
        };
        out.write_all(b"{")?;
        for (i, (key, value)) in answers.into_iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write_string(key, out)?;
            out.write_all(b":")?;
            write_value(value, out)?;
        }
        out.write_all(b"},\"form_id\":")?;
        write_string(self.form_id.as_str(), out)?;
        write!(out, ",\"form_version\":{},\"notes\":", self.form_version)?;
        write_string(&self.notes, out)?;
        out.write_all(b",\"observed_at\":")?;
        write_string(
            &self
                .observed_at
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            out,
        )?;
        out.write_all(b",\"station\":")?;
        write_string(self.station.as_str(), out)?;
        out.write_all(b"}")
    }

    pub fn content_hash(&self) -> ContentHash {
        let mut hasher = CanonicalHasher::default();
        // Writing into a hasher cannot fail.
        let _ = self.write_canonical(&mut hasher);
        ContentHash(hasher.finish())
    }
}

/// One submission as it travels in a push batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmissionPayload {
    pub id: SubmissionId,
    /// Starts at 1 and goes up by one with each edit made on the laptop.
    pub revision: u32,
    #[serde(flatten)]
    pub content: SubmissionContent,
    /// The client's hash. The server recomputes it and never trusts this value.
    pub content_hash: ContentHash,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn content(answers: Map<String, Value>) -> SubmissionContent {
        SubmissionContent {
            form_id: FormId::parse("voting").expect("valid id"),
            form_version: 1,
            station: StationCode::parse("PEC-1").expect("valid code"),
            observed_at: DateTime::parse_from_rfc3339("2026-03-19T10:15:00+06:00")
                .expect("valid time")
                .with_timezone(&Utc),
            answers,
            notes: String::new(),
        }
    }

    #[test]
    fn hash_is_known_for_a_fixed_checklist() {
        let mut answers = Map::new();
        answers.insert("overall".into(), json!("good"));
        let c = content(answers);
        assert_eq!(
            c.canonical(),
            r#"{"answers":{"overall":"good"},"form_id":"voting","form_version":1,"notes":"","observed_at":"2026-03-19T04:15:00.000Z","station":"PEC-1"}"#
        );
        // Computed independently (`printf '%s' '<the canonical text>' | sha256sum`), so a
        // change to the canonical form or the hash function fails here.
        assert_eq!(
            c.content_hash().0,
            "a5ed3b40d44e1327f2e9b1ae8023ebd0763fc0440c513bb7444c7a44be4d2797"
        );
    }

    /// The field-by-field writer gives exactly the canonical JSON of the whole content as a
    /// tree, for any answers, and the hash is the SHA-256 of that text.
    #[test]
    fn the_streamed_canonical_form_equals_the_tree_form() {
        let mut answers = Map::new();
        answers.insert("zeta".into(), json!(["b", "a", {"y": 1.5, "x": null}]));
        answers.insert("Alpha".into(), json!("Қазақ \"quoted\"\n"));
        answers.insert("count".into(), json!(-12));
        answers.insert("seen".into(), json!(true));
        let mut c = content(answers);
        c.notes = "tab\there, emoji 🗳".into();
        let tree = crate::canonical::canonical_json(&json!({
            "form_id": c.form_id.as_str(),
            "form_version": c.form_version,
            "station": c.station.as_str(),
            "observed_at": c.observed_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "answers": Value::Object(c.answers.clone()),
            "notes": c.notes,
        }));
        assert_eq!(c.canonical(), tree);
        assert_eq!(
            c.content_hash().0,
            crate::canonical::sha256_hex(tree.as_bytes())
        );
    }

    #[test]
    fn hash_changes_with_any_field() {
        let base = content(Map::new());
        let mut other = base.clone();
        other.notes = "queue outside".into();
        assert_ne!(base.content_hash(), other.content_hash());
        let mut other = base.clone();
        other.form_version = 2;
        assert_ne!(base.content_hash(), other.content_hash());
        let mut other = base.clone();
        other.observed_at += chrono::Duration::seconds(1);
        assert_ne!(base.content_hash(), other.content_hash());
    }

    #[test]
    fn same_instant_in_another_time_zone_hashes_the_same() {
        let a = content(Map::new());
        let mut b = a.clone();
        b.observed_at = DateTime::parse_from_rfc3339("2026-03-19T04:15:00Z")
            .expect("valid time")
            .with_timezone(&Utc);
        assert_eq!(a.content_hash(), b.content_hash());
    }

    fn answer_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-z ]{0,12}".prop_map(Value::from),
            proptest::collection::vec("[a-z]{1,6}", 0..4).prop_map(Value::from),
        ]
    }

    proptest! {
        /// The hash must not depend on the order in which keys arrive, at any depth.
        #[test]
        fn hash_is_stable_under_key_order(
            answers in proptest::collection::btree_map("[a-z_]{1,10}", answer_value(), 0..20),
            seed in any::<u64>(),
        ) {
            let in_order: Vec<(String, Value)> = answers.into_iter().collect();
            let mut shuffled = in_order.clone();
            // A deterministic shuffle driven by the generated seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                let j = (state % (i as u64 + 1)) as usize;
                shuffled.swap(i, j);
            }
            // Build JSON text by hand so that key order on the wire really differs.
            let text = |pairs: &[(String, Value)]| {
                let body: Vec<String> = pairs
                    .iter()
                    .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), v))
                    .collect();
                format!(
                    r#"{{"notes":"n","answers":{{{}}},"station":"PEC-1","form_version":1,"observed_at":"2026-03-19T04:15:00Z","form_id":"voting"}}"#,
                    body.join(",")
                )
            };
            let a: SubmissionContent = serde_json::from_str(&text(&in_order)).expect("parses");
            let b: SubmissionContent = serde_json::from_str(&text(&shuffled)).expect("parses");
            // In the `preserve_order` test build the parsed maps really differ in order, so
            // equal hashes prove that `canonical` sorts; in the default build both are sorted.
            #[cfg(feature = "preserve_order")]
            prop_assert!(b.answers.keys().eq(shuffled.iter().map(|(k, _)| k)));
            prop_assert_eq!(a.canonical(), b.canonical());
            prop_assert_eq!(a.content_hash(), b.content_hash());
        }

        /// Serialising and parsing again never changes the hash.
        #[test]
        fn hash_survives_a_round_trip(
            answers in proptest::collection::btree_map("[a-z_]{1,10}", answer_value(), 0..20),
        ) {
            let c = content(answers.into_iter().collect());
            let again: SubmissionContent =
                serde_json::from_str(&serde_json::to_string(&c).expect("serialises")).expect("parses");
            prop_assert_eq!(c.content_hash(), again.content_hash());
        }
    }
}
