//! Bounds on what a checklist may hold, checked by the laptop while the observer types and by
//! the server on every push, so that both agree on what is acceptable.
//!
//! They exist because text is otherwise unbounded: one push of long notes could grow the
//! mission's database by hundreds of megabytes and reach every coordinator's screen, and a
//! checklist dated in the year 9999 would sort above every real finding.

use chrono::{DateTime, Duration, Utc};

use crate::validate::{Issue, IssueKind};

/// Longest free-text note on a checklist, in characters.
pub const MAX_NOTES_CHARS: usize = 4000;
/// Longest text answer, in characters, whatever the form allows.
pub const MAX_TEXT_ANSWER_CHARS: usize = 2000;
/// Longest coordinator's review comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;
/// Highest revision number: a laptop that edits a checklist this often is broken.
pub const MAX_REVISION: u32 = 10_000;

/// The span around the moment a checklist arrives in which its observation time must lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObservationWindow {
    /// How old an observation may be (a laptop offline for days still delivers).
    pub back: Duration,
    /// How far in the future (a laptop clock a little fast).
    pub ahead: Duration,
}

impl Default for ObservationWindow {
    fn default() -> Self {
        Self {
            back: Duration::days(14),
            ahead: Duration::minutes(15),
        }
    }
}

impl ObservationWindow {
    /// No bound at all: for checklists that are not arriving now (the demo's, a migration).
    pub fn unbounded() -> Self {
        Self {
            back: Duration::MAX,
            ahead: Duration::MAX,
        }
    }

    /// An `out_of_range` error when `observed_at` lies outside the window around `now`.
    pub fn check(&self, observed_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<Issue> {
        // A bound past the end of the calendar is no bound.
        let earliest = now.checked_sub_signed(self.back);
        let latest = now.checked_add_signed(self.ahead);
        let at = observed_at.format("%Y-%m-%d %H:%M UTC");
        let message = if earliest.is_some_and(|e| observed_at < e) {
            format!(
                "the observation time {at} is more than {} days before now ({}): check the laptop's date and time",
                self.back.num_days(),
                now.format("%Y-%m-%d %H:%M UTC")
            )
        } else if latest.is_some_and(|l| observed_at > l) {
            format!(
                "the observation time {at} is in the future (now is {}): set the laptop's clock right and save the checklist again",
                now.format("%Y-%m-%d %H:%M UTC")
            )
        } else {
            return None;
        };
        Some(Issue::error(
            Some("observed_at"),
            IssueKind::OutOfRange,
            message,
        ))
    }
}

/// A `too_long` error when the notes exceed [`MAX_NOTES_CHARS`].
pub fn check_notes(notes: &str) -> Option<Issue> {
    let count = notes.chars().count();
    (count > MAX_NOTES_CHARS).then(|| {
        Issue::error(
            Some("notes"),
            IssueKind::TooLong,
            format!(
                "the notes are {count} characters long; at most {MAX_NOTES_CHARS} are kept: shorten them or file an incident report"
            ),
        )
    })
}

/// An identifier with a control character (NUL, newline, escape...) in it, if any: such
/// characters have no place in names and codes and can rewrite a terminal or a log line.
pub fn control_character(text: &str) -> Option<char> {
    text.chars().find(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .expect("a time")
            .with_timezone(&Utc)
    }

    #[test]
    fn observation_times_must_lie_near_the_receive_time() {
        let window = ObservationWindow::default();
        let now = at("2026-03-19T12:00:00Z");
        assert!(window.check(at("2026-03-19T11:00:00Z"), now).is_none());
        assert!(window.check(at("2026-03-06T12:00:00Z"), now).is_none());
        assert!(window.check(at("2026-03-19T12:14:00Z"), now).is_none());
        for bad in [
            "2026-03-19T12:16:00Z",
            "9999-12-31T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "2026-03-04T11:59:00Z",
        ] {
            let issue = window.check(at(bad), now).expect(bad);
            assert_eq!(issue.kind, IssueKind::OutOfRange, "{bad}");
            assert_eq!(issue.question.as_deref(), Some("observed_at"));
            assert!(ObservationWindow::unbounded().check(at(bad), now).is_none());
        }
    }

    #[test]
    fn notes_are_bounded_in_characters_not_bytes() {
        assert!(check_notes(&"қ".repeat(MAX_NOTES_CHARS)).is_none());
        let issue = check_notes(&"a".repeat(MAX_NOTES_CHARS + 1)).expect("too long");
        assert_eq!(issue.kind, IssueKind::TooLong);
    }

    #[test]
    fn control_characters_are_found() {
        assert_eq!(control_character("Team 1"), None);
        assert_eq!(control_character("Team\u{0}1"), Some('\0'));
        assert_eq!(control_character("Team\u{1b}[2J"), Some('\u{1b}'));
        assert_eq!(control_character("Команда 1"), None);
    }
}
