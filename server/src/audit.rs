//! The tamper-evident audit log: every write (a revision or conflict stored, a review, an
//! account created or its token changed, forms installed, stations imported, official
//! results imported, a photo of a checklist received whole) appends an entry
//! in the same transaction, and each entry's hash covers the previous entry's hash. So:
//!
//! - editing or deleting an entry breaks the chain at that entry;
//! - editing or deleting a stored revision, review, account or published figure behind the
//!   server's back no longer matches the digest its entry recorded;
//! - a row inserted behind the server's back has no entry at all.
//!
//! `eom-server audit verify` checks all three and names the first problem. What it cannot
//! catch: someone who rewrites the whole chain from the edited entry onwards with the
//! database open (there is no key outside the database); export the latest hash
//! (`audit show --last`) somewhere else now and then to pin the chain up to it.
//!
//! This module is pure: entries and digests from values; the backends store and read them.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// The account that made the change (an observer, a coordinator, or `operator` for the
    /// command line).
    pub actor: String,
    /// `revision`, `conflict`, `review`, `account`, `forms`, `stations`, `results` or
    /// `attachment`.
    pub action: &'static str,
    /// What was changed: `revision:<id>:<n>`, `review:<seq>`, `account:<id>`...
    pub subject: String,
    /// SHA-256 of the row's audited fields as written.
    pub digest: String,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub digest: String,
    pub prev: String,
    pub hash: String,
}

/// The actor of command-line changes.
pub const OPERATOR: &str = "operator";

/// Now, to the millisecond: what both backends store of a time.
pub fn now_millis() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

fn millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// SHA-256 (hex) of fields joined by a separator no field contains.
fn digest_of(fields: &[&str]) -> String {
    let mut text = String::new();
    for f in fields {
        // Lengths first, so no two field lists give the same text.
        text.push_str(&f.len().to_string());
        text.push(':');
        text.push_str(f);
        text.push('\n');
    }
    eom_shared::sha256_hex(text.as_bytes())
}

/// The hash of an entry, over the previous entry's hash and every field.
pub fn entry_hash(
    prev: &str,
    seq: u64,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    subject: &str,
    digest: &str,
) -> String {
    digest_of(&[
        "eom audit v1",
        prev,
        &seq.to_string(),
        &millis(at),
        actor,
        action,
        subject,
        digest,
    ])
}

/// Chains new entries after the entry `(last_seq, last_hash)` (or the start).
pub fn link(
    last: Option<(u64, String)>,
    at: DateTime<Utc>,
    entries: Vec<NewEntry>,
) -> Vec<AuditEntry> {
    let (mut seq, mut prev) = last.unwrap_or((0, GENESIS.to_owned()));
    entries
        .into_iter()
        .map(|e| {
            seq += 1;
            let hash = entry_hash(&prev, seq, at, &e.actor, e.action, &e.subject, &e.digest);
            AuditEntry {
                seq,
                at,
                actor: e.actor,
                action: e.action.to_owned(),
                subject: e.subject,
                digest: e.digest,
                prev: std::mem::replace(&mut prev, hash.clone()),
                hash,
            }
        })
        .collect()
}

/// A stored revision, as audited.
pub struct RevisionRow<'a> {
    pub id: &'a str,
    pub revision: u32,
    pub content_hash: &'a str,
    pub observer_id: &'a str,
    pub received_at: DateTime<Utc>,
}

impl RevisionRow<'_> {
    pub fn subject(&self) -> String {
        format!("revision:{}:{}", self.id, self.revision)
    }

    pub fn digest(&self) -> String {
        digest_of(&[
            self.id,
            &self.revision.to_string(),
            self.content_hash,
            self.observer_id,
            &millis(self.received_at),
        ])
    }

    pub fn entry(&self, action: &'static str) -> NewEntry {
        NewEntry {
            actor: self.observer_id.to_owned(),
            action,
            subject: if action == "conflict" {
                format!(
                    "conflict:{}:{}:{}",
                    self.id, self.revision, self.content_hash
                )
            } else {
                self.subject()
            },
            digest: self.digest(),
        }
    }
}

/// A stored review, as audited.
pub struct ReviewRow<'a> {
    pub seq: u64,
    pub submission_id: &'a str,
    pub revision: u32,
    pub status: &'a str,
    pub comment: &'a str,
    pub reviewer_id: &'a str,
    pub at: DateTime<Utc>,
}

impl ReviewRow<'_> {
    pub fn subject(&self) -> String {
        format!("review:{}", self.seq)
    }

    pub fn digest(&self) -> String {
        digest_of(&[
            self.submission_id,
            &self.revision.to_string(),
            self.status,
            self.comment,
            self.reviewer_id,
            &millis(self.at),
        ])
    }

    pub fn entry(&self) -> NewEntry {
        NewEntry {
            actor: self.reviewer_id.to_owned(),
            action: "review",
            subject: self.subject(),
            digest: self.digest(),
        }
    }
}

/// An account row, as audited (its token hash included: a token swapped behind the
/// server's back is caught).
pub struct AccountRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub region: Option<&'a str>,
    pub token_hash: &'a str,
}

impl AccountRow<'_> {
    pub fn subject(&self) -> String {
        format!("account:{}", self.id)
    }

    pub fn digest(&self) -> String {
        digest_of(&[
            self.id,
            self.name,
            self.role,
            self.region.unwrap_or("\u{0}none"),
            self.token_hash,
        ])
    }

    pub fn entry(&self, actor: &str) -> NewEntry {
        NewEntry {
            actor: actor.to_owned(),
            action: "account",
            subject: self.subject(),
            digest: self.digest(),
        }
    }
}

/// An entry for something recorded whole (a form definition, a station list).
pub fn document(action: &'static str, subject: String, text: &str) -> NewEntry {
    NewEntry {
        actor: OPERATOR.to_owned(),
        action,
        subject,
        digest: eom_shared::sha256_hex(text.as_bytes()),
    }
}

/// The entry for a publication of official results: every figure as imported.
pub fn results_entry(
    publication: &crate::store::Publication,
    figures: &[crate::store::OfficialFigure],
) -> NewEntry {
    // In one order whatever order the file had, so the stored rows give the same digest.
    let mut lines: Vec<String> = figures
        .iter()
        .map(|f| format!("{},{},{},{}\n", f.station, f.contest, f.line, f.value))
        .collect();
    lines.sort();
    let text = lines.concat();
    document(
        "results",
        format!("results:{}:{}", publication.version, publication.source),
        &text,
    )
}

/// The subject and digest of every stored publication, as [`results_entry`] recorded them,
/// for `audit verify` to compare: a figure changed, added or deleted behind the server's back
/// no longer matches.
pub fn results_rows(official: &crate::store::OfficialResults) -> Vec<(String, String)> {
    official
        .publications
        .iter()
        .map(|p| {
            let figures: Vec<crate::store::OfficialFigure> = official
                .figures
                .iter()
                .filter(|(v, _)| *v == p.version)
                .map(|(_, f)| f.clone())
                .collect();
            let entry = results_entry(p, &figures);
            (entry.subject, entry.digest)
        })
        .collect()
}

/// The entry for a photo, complete and checked, linked to a checklist by its team: the digest
/// is the photo's own SHA-256, so the entry pins the bytes.
pub fn attachment_entry(observer_id: &str, submission_id: &str, sha256: &str) -> NewEntry {
    NewEntry {
        actor: observer_id.to_owned(),
        action: "attachment",
        subject: format!("attachment:{submission_id}:{sha256}"),
        digest: sha256.to_owned(),
    }
}

/// What `audit verify` found wrong first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tampering {
    #[error("entry {seq}: its hash does not match its contents (the entry was edited)")]
    EditedEntry { seq: u64 },
    #[error(
        "entry {seq}: it does not follow entry {previous} (an entry before it was deleted or edited)"
    )]
    BrokenChain { seq: u64, previous: u64 },
    #[error("entry {seq}: {subject} was changed after it was recorded")]
    ChangedRow { seq: u64, subject: String },
    #[error("entry {seq}: {subject} was deleted")]
    DeletedRow { seq: u64, subject: String },
    #[error("{subject} is stored but was never recorded (inserted behind the server's back)")]
    UnrecordedRow { subject: String },
}

/// Checks the chain entry by entry, then the stored rows against the digests recorded for
/// them. Entries must come in `seq` order; rows in any order.
#[derive(Default)]
pub struct Verifier {
    last: Option<(u64, String)>,
    /// Latest (seq, digest) per audited subject (revisions, reviews, accounts).
    recorded: HashMap<String, (u64, String)>,
    pub entries: u64,
}

impl Verifier {
    pub fn entry(&mut self, e: &AuditEntry) -> Result<(), Tampering> {
        let (expected_seq, expected_prev) = match &self.last {
            Some((seq, hash)) => (seq + 1, hash.as_str()),
            None => (1, GENESIS),
        };
        let recomputed = entry_hash(
            &e.prev, e.seq, e.at, &e.actor, &e.action, &e.subject, &e.digest,
        );
        if recomputed != e.hash {
            return Err(Tampering::EditedEntry { seq: e.seq });
        }
        if e.seq != expected_seq || e.prev != expected_prev {
            return Err(Tampering::BrokenChain {
                seq: e.seq,
                previous: expected_seq - 1,
            });
        }
        if matches!(
            e.action.as_str(),
            "revision" | "review" | "account" | "results"
        ) {
            self.recorded
                .insert(e.subject.clone(), (e.seq, e.digest.clone()));
        }
        self.last = Some((e.seq, e.hash.clone()));
        self.entries += 1;
        Ok(())
    }

    /// One stored row: its subject and the digest of its current contents.
    pub fn row(&mut self, subject: &str, digest: &str) -> Result<(), Tampering> {
        match self.recorded.remove(subject) {
            Some((_, recorded)) if recorded == digest => Ok(()),
            Some((seq, _)) => Err(Tampering::ChangedRow {
                seq,
                subject: subject.to_owned(),
            }),
            None => Err(Tampering::UnrecordedRow {
                subject: subject.to_owned(),
            }),
        }
    }

    /// After every row: a recorded subject with no row left was deleted.
    pub fn finish(self) -> Result<u64, Tampering> {
        if let Some((subject, (seq, _))) = self.recorded.into_iter().min_by_key(|(_, (s, _))| *s) {
            return Err(Tampering::DeletedRow { seq, subject });
        }
        Ok(self.entries)
    }

    /// The last entry's hash, to write down elsewhere.
    pub fn head(&self) -> Option<&(u64, String)> {
        self.last.as_ref()
    }
}

/// What `audit verify` concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    /// The last entry's sequence number and hash.
    pub head: Option<(u64, String)>,
}

/// Reads the log and the audited rows from `store` in one consistent read and checks them.
pub fn verify(
    store: &dyn crate::store::Store,
) -> Result<Result<Verified, Tampering>, crate::store::StoreError> {
    // Both readers feed one verifier; the first problem found is kept.
    let state = std::cell::RefCell::new((Verifier::default(), None::<Tampering>));
    store.read_audit(
        &mut |entry| {
            let (verifier, found) = &mut *state.borrow_mut();
            if found.is_none()
                && let Err(t) = verifier.entry(&entry)
            {
                *found = Some(t);
            }
            Ok(())
        },
        &mut |subject, digest| {
            let (verifier, found) = &mut *state.borrow_mut();
            if found.is_none()
                && let Err(t) = verifier.row(&subject, &digest)
            {
                *found = Some(t);
            }
            Ok(())
        },
    )?;
    let (verifier, found) = state.into_inner();
    if let Some(t) = found {
        return Ok(Err(t));
    }
    let head = verifier.head().cloned();
    Ok(verifier.finish().map(|entries| Verified { entries, head }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_773_900_000 + s, 0).expect("time")
    }

    fn revision(id: &str, observer: &str) -> RevisionRow<'static> {
        RevisionRow {
            id: Box::leak(id.to_owned().into_boxed_str()),
            revision: 1,
            content_hash: "ab",
            observer_id: Box::leak(observer.to_owned().into_boxed_str()),
            received_at: t(0),
        }
    }

    fn chain() -> Vec<AuditEntry> {
        let first = link(None, t(1), vec![revision("a", "o1").entry("revision")]);
        let last = first.last().map(|e| (e.seq, e.hash.clone()));
        let mut all = first;
        all.extend(link(
            last,
            t(2),
            vec![
                revision("b", "o1").entry("revision"),
                revision("c", "o2").entry("revision"),
            ],
        ));
        all
    }

    fn verify(entries: &[AuditEntry], rows: &[(String, String)]) -> Result<u64, Tampering> {
        let mut v = Verifier::default();
        for e in entries {
            v.entry(e)?;
        }
        for (s, d) in rows {
            v.row(s, d)?;
        }
        v.finish()
    }

    fn rows() -> Vec<(String, String)> {
        ["a", "b", "c"]
            .iter()
            .zip(["o1", "o1", "o2"])
            .map(|(id, o)| {
                let r = revision(id, o);
                (r.subject(), r.digest())
            })
            .collect()
    }

    #[test]
    fn an_untouched_log_verifies() {
        assert_eq!(verify(&chain(), &rows()), Ok(3));
        assert_eq!(chain()[0].prev, GENESIS);
        assert_eq!(chain()[1].prev, chain()[0].hash);
    }

    #[test]
    fn every_kind_of_tampering_is_named() {
        let mut edited = chain();
        edited[1].actor = "someone else".into();
        assert_eq!(
            verify(&edited, &rows()),
            Err(Tampering::EditedEntry { seq: 2 })
        );

        let mut gap = chain();
        gap.remove(1);
        assert_eq!(
            verify(&gap, &rows()),
            Err(Tampering::BrokenChain {
                seq: 3,
                previous: 1
            })
        );

        let mut changed = rows();
        changed[2].1 = "00".into();
        assert!(matches!(
            verify(&chain(), &changed),
            Err(Tampering::ChangedRow { seq: 3, .. })
        ));

        let deleted = rows()[..2].to_vec();
        assert!(matches!(
            verify(&chain(), &deleted),
            Err(Tampering::DeletedRow { seq: 3, .. })
        ));

        let mut extra = rows();
        extra.push(("revision:z:1".into(), "00".into()));
        assert!(matches!(
            verify(&chain(), &extra),
            Err(Tampering::UnrecordedRow { .. })
        ));
    }
}
