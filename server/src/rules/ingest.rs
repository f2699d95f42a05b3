//! How a pushed checklist relates to what is stored under its id.
//!
//! The store reads the facts (who owns the id, its latest revision, the hash stored for the
//! pushed revision) inside its transaction, asks [`decide`], and does what the verdict says.
//! Exactly-once delivery rests on this: a retry is a `Duplicate`, never a second copy.

use eom_shared::submission::ContentHash;
use eom_shared::sync::PushOutcome;

/// What is stored under a checklist's id before the push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    /// The account that first delivered it.
    pub owner: String,
    /// Its newest stored revision.
    pub latest_revision: u32,
    /// The content hash stored for the pushed revision number, if that revision is stored.
    pub hash_at_revision: Option<ContentHash>,
}

/// What the store does with a pushed checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// This exact revision is stored already: nothing to write.
    Duplicate,
    /// Another account's id, or other content under a stored (id, revision): kept aside for a
    /// coordinator, never written over what is stored.
    Conflict,
    /// An older revision arriving late: kept in the history, the newer one stays current.
    Stale,
    /// A new checklist, or a newer revision of one: becomes the current revision.
    Accept,
}

impl Verdict {
    pub fn outcome(self) -> PushOutcome {
        match self {
            Verdict::Duplicate => PushOutcome::Duplicate,
            Verdict::Conflict => PushOutcome::Conflict,
            Verdict::Stale => PushOutcome::Stale,
            Verdict::Accept => PushOutcome::Accepted,
        }
    }

    /// Whether the pushed revision is added to the checklist's history.
    pub fn stores_revision(self) -> bool {
        matches!(self, Verdict::Stale | Verdict::Accept)
    }
}

/// Decides what becomes of revision `revision` with content `hash`, pushed by `observer_id`.
pub fn decide(
    observer_id: &str,
    revision: u32,
    hash: &ContentHash,
    existing: Option<&Existing>,
) -> Verdict {
    let Some(existing) = existing else {
        return Verdict::Accept;
    };
    if existing.owner != observer_id {
        // Never let one observer overwrite another's data.
        return Verdict::Conflict;
    }
    match &existing.hash_at_revision {
        Some(stored) if stored == hash => Verdict::Duplicate,
        Some(_) => Verdict::Conflict,
        None if existing.latest_revision > revision => Verdict::Stale,
        None => Verdict::Accept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(s: &str) -> ContentHash {
        ContentHash(s.to_owned())
    }

    fn existing(owner: &str, latest: u32, at_revision: Option<&str>) -> Existing {
        Existing {
            owner: owner.into(),
            latest_revision: latest,
            hash_at_revision: at_revision.map(hash),
        }
    }

    #[test]
    fn every_case_has_one_verdict() {
        let h = hash("a");
        assert_eq!(decide("me", 1, &h, None), Verdict::Accept);
        assert_eq!(
            decide("me", 1, &h, Some(&existing("me", 1, Some("a")))),
            Verdict::Duplicate
        );
        assert_eq!(
            decide("me", 1, &h, Some(&existing("me", 1, Some("b")))),
            Verdict::Conflict
        );
        assert_eq!(
            decide("me", 2, &h, Some(&existing("you", 1, None))),
            Verdict::Conflict
        );
        assert_eq!(
            decide("me", 1, &h, Some(&existing("me", 3, None))),
            Verdict::Stale
        );
        assert_eq!(
            decide("me", 4, &h, Some(&existing("me", 3, None))),
            Verdict::Accept
        );
    }

    #[test]
    fn only_new_revisions_are_written_to_the_history() {
        assert!(Verdict::Accept.stores_revision());
        assert!(Verdict::Stale.stores_revision());
        assert!(!Verdict::Duplicate.stores_revision());
        assert!(!Verdict::Conflict.stores_revision());
    }
}
