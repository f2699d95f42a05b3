//! How a checklist's findings are kept on its `submissions` row: one JSON object from
//! question id to a code, in the form's order (migration 0012):
//!
//! - `0`: answered, the concern not seen;
//! - `1`: the concern seen;
//! - `2`: the concern seen, and it is critical.
//!
//! The row needs them to take a checklist's contribution back when a newer revision or a
//! rejection replaces it, and for the "failed check" filter. They were an array of objects
//! (`{"question": …, "concern": …, "critical": …}`), 1.3 KB for a voting checklist, the
//! largest part of the row and of what every commit writes twice (to the WAL, then to the
//! database); this form holds the same facts in about a third of that.
//! A text that is not this shape reads back as [`StoreError::Corrupt`], never as no findings.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::rules::Finding;
use crate::store::StoreError;

const ANSWERED: u8 = 0;
const CONCERN: u8 = 1;
const CRITICAL: u8 = 2;

/// The "failed check" filter on a `submissions` row `s`: the check (its tally key, bound to
/// `?`) is among the findings with its concern seen, i.e. coded [`CONCERN`] or [`CRITICAL`].
/// Object keys are compared through `json_each`, so the bound text never becomes a JSON path.
pub(super) const CONCERN_SEEN_SQL: &str =
    "EXISTS (SELECT 1 FROM json_each(s.findings) f WHERE f.key = ? AND f.value >= 1)";

fn code(f: &Finding) -> u8 {
    match (f.concern, f.critical) {
        (_, true) => CRITICAL,
        (true, false) => CONCERN,
        (false, false) => ANSWERED,
    }
}

struct Stored<'a>(&'a [Finding]);

impl Serialize for Stored<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|f| (f.question.as_str(), code(f))))
    }
}

struct Read(Vec<Finding>);

impl<'de> Deserialize<'de> for Read {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Read;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object from question id to 0, 1 or 2")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((question, code)) = map.next_entry::<String, u8>()? {
                    let (concern, critical) = match code {
                        ANSWERED => (false, false),
                        CONCERN => (true, false),
                        CRITICAL => (true, true),
                        other => {
                            return Err(de::Error::custom(format!(
                                "finding code {other} of '{question}'"
                            )));
                        }
                    };
                    out.push(Finding {
                        question,
                        concern,
                        critical,
                    });
                }
                Ok(Read(out))
            }
        }
        d.deserialize_map(InOrder)
    }
}

/// The stored text of `findings`.
pub(super) fn text(findings: &[Finding]) -> Result<String, StoreError> {
    serde_json::to_string(&Stored(findings)).map_err(StoreError::database)
}

/// The findings a stored text holds.
pub(super) fn parse(text: &str) -> Result<Vec<Finding>, serde_json::Error> {
    serde_json::from_str::<Read>(text).map(|r| r.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(question: &str, concern: bool, critical: bool) -> Finding {
        Finding {
            question: question.into(),
            concern,
            critical,
        }
    }

    #[test]
    fn reads_back_what_it_wrote_in_order() {
        let findings = vec![
            finding("ballot_box_sealed", false, false),
            finding("check:turnout", true, false),
            finding("box_stuffing", true, true),
            finding("a.b-c", false, false),
        ];
        let stored = text(&findings).expect("text");
        assert_eq!(
            stored,
            r#"{"ballot_box_sealed":0,"check:turnout":1,"box_stuffing":2,"a.b-c":0}"#
        );
        assert_eq!(parse(&stored).expect("parse"), findings);
        assert_eq!(text(&[]).expect("text"), "{}");
        assert!(parse("{}").expect("empty").is_empty());
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            r#"{"q":3}"#,
            r#"{"q":-1}"#,
            r#"{"q":true}"#,
            r#"[{"question":"q","concern":true,"critical":false}]"#,
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad} was read");
        }
    }

    /// Migration 0012 rewrites the findings of a database made before it, and the filter
    /// and the contribution read them back.
    #[test]
    fn migration_0012_converts_stored_findings() {
        use crate::store::{Store, SubmissionFilter};

        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("eom.db");
        {
            let mut conn = rusqlite::Connection::open(&path).expect("open");
            for (i, sql) in super::super::MIGRATIONS[..11].iter().enumerate() {
                let tx = conn.transaction().expect("tx");
                tx.execute_batch(sql).expect("migration");
                tx.pragma_update(None, "user_version", i + 1)
                    .expect("version");
                tx.commit().expect("commit");
            }
            conn.execute_batch(
                r#"INSERT INTO accounts (id, name, role, token_hash, created_at)
                     VALUES ('o1', 'Team 1', 'observer', 'h1', '2026-03-19T08:00:00.000Z');
                   INSERT INTO submissions (id, revision, observer_id, form_id, form_version,
                     stage, station_code, region, overall, observed_at, first_received_at,
                     received_at, observed_hour, findings)
                   VALUES
                     ('0190a1b2-0000-7000-8000-000000000001', 1, 'o1', 'voting', 1, 'voting', 'N-001', 'North', 'good',
                      '2026-03-19T09:10:00.000Z', '2026-03-19T09:11:00.000Z',
                      '2026-03-19T09:11:00.000Z', '2026-03-19T09',
                      '[{"question":"sealed","concern":false,"critical":false},
                        {"question":"check:turnout","concern":true,"critical":false},
                        {"question":"box_stuffing","concern":true,"critical":true}]'),
                     ('0190a1b2-0000-7000-8000-000000000002', 1, 'o1', 'voting', 1, 'voting', 'N-002', 'North', 'good',
                      '2026-03-19T09:20:00.000Z', '2026-03-19T09:21:00.000Z',
                      '2026-03-19T09:21:00.000Z', '2026-03-19T09',
                      '[{"question":"check:turnout","concern":false,"critical":false}]'),
                     ('0190a1b2-0000-7000-8000-000000000003', 1, 'o1', 'voting', 1, 'voting', 'N-003', 'North', NULL,
                      '2026-03-19T09:30:00.000Z', '2026-03-19T09:31:00.000Z',
                      '2026-03-19T09:31:00.000Z', '2026-03-19T09', '[]');"#,
            )
            .expect("rows of a database at migration 11");
        }
        let store = super::super::SqliteStore::open(&path).expect("migrated");
        let stored: Vec<String> = store
            .read(|c| {
                let mut stmt = c.prepare("SELECT findings FROM submissions ORDER BY id")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .expect("findings");
        assert_eq!(
            stored,
            [
                r#"{"sealed":0,"check:turnout":1,"box_stuffing":2}"#,
                r#"{"check:turnout":0}"#,
                "{}"
            ]
        );
        assert_eq!(
            parse(&stored[0]).expect("parse"),
            [
                finding("sealed", false, false),
                finding("check:turnout", true, false),
                finding("box_stuffing", true, true)
            ]
        );
        let failed = |check: &str| {
            let filter = SubmissionFilter {
                failed_check: Some(check.into()),
                ..SubmissionFilter::default()
            };
            store
                .list_submissions(&filter, 1, 50)
                .expect("list")
                .items
                .into_iter()
                .map(|s| s.id.to_string())
                .collect::<Vec<_>>()
        };
        let s1 = "0190a1b2-0000-7000-8000-000000000001";
        assert_eq!(failed("check:turnout"), [s1]);
        assert_eq!(failed("box_stuffing"), [s1]);
        assert!(failed("sealed").is_empty());
        assert!(failed("no such check").is_empty());
    }
}
