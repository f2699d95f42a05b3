//! The running totals reports read, and what each checklist adds to them.
//!
//! Four totals are kept: per form, region and hour of observation (checklists, assessed,
//! negative, access answered, restricted); per question with a concern (answered, concern
//! seen); per station visited; and per hour of first receipt. A checklist adds its
//! [`Counted`] once, at its latest revision, unless it is rejected. A newer revision takes
//! the old one's contribution back and adds its own; a review that rejects a checklist takes
//! it back, one that withdraws the rejection adds it again.
//!
//! Changes are summed in a [`TallyDelta`] over a whole group commit and written once per key:
//! thousands of checklists touch only a few hundred rows. Backends store the deltas; they
//! never decide what counts.

use std::collections::HashMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use eom_shared::form::Assessment;
use eom_shared::station::{Area, StationCode, StationKind};
use eom_shared::sync::ReviewStatus;
use eom_shared::{FormId, Stage};

use super::contribution::{Contribution, Finding};

/// The start of the hour `t` falls in: the grain of every total.
pub fn hour_of(t: DateTime<Utc>) -> DateTime<Utc> {
    // Truncating to a whole hour cannot overflow for any time chrono represents.
    t.duration_trunc(TimeDelta::hours(1)).unwrap_or(t)
}

/// Whether a checklist with this review counts in the figures: a rejected one stays out
/// until a coordinator withdraws the rejection. The review stays with the checklist across
/// its revisions.
pub fn counts(review: ReviewStatus) -> bool {
    review != ReviewStatus::Rejected
}

/// What changing a checklist's review from `before` to `after` does to the totals: `-1` when
/// it leaves them, `1` when it comes back, `None` when nothing changes.
pub fn review_flip(before: ReviewStatus, after: ReviewStatus) -> Option<i64> {
    match (counts(before), counts(after)) {
        (true, false) => Some(-1),
        (false, true) => Some(1),
        _ => None,
    }
}

pub use eom_shared::form::{filed_at, observed_levels};

/// Where a station is, as the totals split it: its region, area and kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Place {
    pub region: String,
    pub area: Option<Area>,
    pub kind: StationKind,
    /// Voters registered at the station, for checks against the protocol's lists.
    pub registered_voters: Option<u32>,
}

impl Place {
    pub fn of(station: &eom_shared::Station) -> Self {
        Self {
            region: station.region.clone(),
            area: station.area,
            kind: station.kind,
            registered_voters: station.registered_voters,
        }
    }

    /// A place known only by its region (area unknown, kind regular).
    pub fn region(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            area: None,
            kind: StationKind::Regular,
            registered_voters: None,
        }
    }
}

/// What one checklist (at its latest revision) adds to the totals. Backends keep it with the
/// checklist, so that it can be taken back exactly when a newer revision or a rejection comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub form_id: FormId,
    pub stage: Stage,
    pub region: String,
    /// The station's area and kind, from the station list: reports are split by them.
    pub area: Option<Area>,
    pub kind: StationKind,
    pub station: StationCode,
    /// The hour of observation.
    pub hour: DateTime<Utc>,
    pub overall: Option<Assessment>,
    pub restricted: Option<bool>,
    pub findings: Vec<Finding>,
}

impl Counted {
    pub fn new(
        form_id: FormId,
        stage: Stage,
        place: Place,
        station: StationCode,
        observed_at: DateTime<Utc>,
        contribution: Contribution,
    ) -> Self {
        let mut findings = contribution.findings;
        // Checks against the station list: evaluated when the station gives its registered
        // voters and the checklist copied every figure the check needs.
        if let Some(voters) = place.registered_voters {
            for (check, mut figures) in contribution.station_checks {
                figures.push((
                    eom_shared::form::REGISTERED_VOTERS_TERM.to_owned(),
                    i64::from(voters),
                ));
                if let Some(holds) = eom_shared::validate::check_holds(&check, &figures) {
                    findings.push(Finding {
                        question: super::contribution::check_key(&check.id),
                        concern: !holds,
                        critical: false,
                    });
                }
            }
        }
        Self {
            form_id,
            stage,
            region: place.region,
            area: place.area,
            kind: place.kind,
            station,
            hour: hour_of(observed_at),
            overall: contribution.overall,
            restricted: contribution.restricted,
            findings,
        }
    }

    /// Assessed bad or very bad overall.
    pub fn negative(&self) -> bool {
        self.overall.is_some_and(Assessment::is_negative)
    }

    /// The questions whose answer is a critical finding, listed for coordinators at once.
    pub fn critical(&self) -> impl Iterator<Item = &str> {
        self.findings
            .iter()
            .filter(|f| f.critical)
            .map(|f| f.question.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AssessmentKey {
    pub form_id: FormId,
    pub stage: Stage,
    pub region: String,
    pub area: Option<Area>,
    pub kind: StationKind,
    pub hour: DateTime<Utc>,
}

/// Changes to one row of the assessment totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssessmentCounts {
    pub checklists: i64,
    pub assessed: i64,
    pub negative: i64,
    pub access_answered: i64,
    pub restricted: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FindingKey {
    pub form_id: FormId,
    pub question_id: String,
    pub region: String,
    pub area: Option<Area>,
    pub kind: StationKind,
    pub hour: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FindingCounts {
    pub answered: i64,
    pub concern: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VisitKey {
    pub station: StationCode,
    pub form_id: FormId,
    pub stage: Stage,
    pub hour: DateTime<Utc>,
}

/// Changes to one station's row: checklists, and of them assessed and assessed negatively,
/// so statements can count distinct stations ("in 18 of 53 polling stations observed").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisitCounts {
    pub checklists: i64,
    pub assessed: i64,
    pub negative: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArrivalKey {
    /// The hour of first receipt.
    pub hour: DateTime<Utc>,
    pub form_id: FormId,
    pub region: String,
    pub area: Option<Area>,
    pub kind: StationKind,
    pub stage: Stage,
}

/// Summed changes to the totals, per key.
#[derive(Debug, Default)]
pub struct TallyDelta {
    assessments: HashMap<AssessmentKey, AssessmentCounts>,
    findings: HashMap<FindingKey, FindingCounts>,
    visits: HashMap<VisitKey, VisitCounts>,
    arrivals: HashMap<ArrivalKey, i64>,
}

impl TallyDelta {
    /// Adds (`sign` = 1) or takes back (`sign` = -1) one checklist's contribution.
    pub fn count(&mut self, c: &Counted, sign: i64) {
        let a = self
            .assessments
            .entry(AssessmentKey {
                form_id: c.form_id.clone(),
                stage: c.stage,
                region: c.region.clone(),
                area: c.area,
                kind: c.kind,
                hour: c.hour,
            })
            .or_default();
        a.checklists += sign;
        a.assessed += sign * i64::from(c.overall.is_some());
        a.negative += sign * i64::from(c.negative());
        a.access_answered += sign * i64::from(c.restricted.is_some());
        a.restricted += sign * i64::from(c.restricted == Some(true));
        for f in &c.findings {
            let t = self
                .findings
                .entry(FindingKey {
                    form_id: c.form_id.clone(),
                    question_id: f.question.clone(),
                    region: c.region.clone(),
                    area: c.area,
                    kind: c.kind,
                    hour: c.hour,
                })
                .or_default();
            t.answered += sign;
            t.concern += sign * i64::from(f.concern);
        }
        let v = self
            .visits
            .entry(VisitKey {
                station: c.station.clone(),
                form_id: c.form_id.clone(),
                stage: c.stage,
                hour: c.hour,
            })
            .or_default();
        v.checklists += sign;
        v.assessed += sign * i64::from(c.overall.is_some());
        v.negative += sign * i64::from(c.negative());
    }

    /// A checklist seen for the first time, received at `received_at`.
    pub fn arrived(&mut self, received_at: DateTime<Utc>, c: &Counted) {
        *self
            .arrivals
            .entry(ArrivalKey {
                hour: hour_of(received_at),
                form_id: c.form_id.clone(),
                region: c.region.clone(),
                area: c.area,
                kind: c.kind,
                stage: c.stage,
            })
            .or_default() += 1;
    }

    /// A checklist becomes current: new (`previous` is `None`), or replacing its previous
    /// revision, whose contribution and review are given.
    pub fn accepted(
        &mut self,
        received_at: DateTime<Utc>,
        previous: Option<(&Counted, ReviewStatus)>,
        new: &Counted,
    ) {
        match previous {
            Some((old, review)) => {
                if counts(review) {
                    self.count(old, -1);
                    self.count(new, 1);
                }
            }
            None => {
                self.arrived(received_at, new);
                self.count(new, 1);
            }
        }
    }

    /// A coordinator changed the review of a checklist that contributes `counted`.
    pub fn reviewed(&mut self, counted: &Counted, before: ReviewStatus, after: ReviewStatus) {
        if let Some(sign) = review_flip(before, after) {
            self.count(counted, sign);
        }
    }

    /// Counting from scratch: one checklist as stored, first received at `first_received`.
    /// Returns whether it counts.
    pub fn recounted(
        &mut self,
        first_received: DateTime<Utc>,
        counted: &Counted,
        review: ReviewStatus,
    ) -> bool {
        self.arrived(first_received, counted);
        let counted_in = counts(review);
        if counted_in {
            self.count(counted, 1);
        }
        counted_in
    }

    /// The assessment rows that change, with their changes.
    pub fn assessments(&self) -> impl Iterator<Item = (&AssessmentKey, &AssessmentCounts)> {
        self.assessments
            .iter()
            .filter(|(_, d)| **d != AssessmentCounts::default())
    }

    pub fn findings(&self) -> impl Iterator<Item = (&FindingKey, &FindingCounts)> {
        self.findings
            .iter()
            .filter(|(_, d)| **d != FindingCounts::default())
    }

    pub fn visits(&self) -> impl Iterator<Item = (&VisitKey, &VisitCounts)> {
        self.visits
            .iter()
            .filter(|(_, d)| **d != VisitCounts::default())
    }

    pub fn arrivals(&self) -> impl Iterator<Item = (&ArrivalKey, i64)> {
        self.arrivals
            .iter()
            .map(|(k, d)| (k, *d))
            .filter(|(_, d)| *d != 0)
    }

    pub fn is_empty(&self) -> bool {
        self.assessments().next().is_none()
            && self.findings().next().is_none()
            && self.visits().next().is_none()
            && self.arrivals().next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn counted(overall: Option<Assessment>, restricted: Option<bool>) -> Counted {
        Counted::new(
            FormId::parse("voting").expect("id"),
            Stage::Voting,
            Place::region("North"),
            StationCode::parse("N-001").expect("code"),
            Utc.with_ymd_and_hms(2026, 3, 19, 9, 41, 7).unwrap(),
            Contribution {
                overall,
                restricted,
                findings: vec![Finding {
                    question: "box_stuffing".into(),
                    concern: true,
                    critical: true,
                }],
                station_checks: Vec::new(),
            },
        )
    }

    #[test]
    fn hours_are_truncated() {
        let c = counted(None, None);
        assert_eq!(c.hour, Utc.with_ymd_and_hms(2026, 3, 19, 9, 0, 0).unwrap());
    }

    #[test]
    fn negative_is_bad_or_very_bad() {
        assert!(counted(Some(Assessment::Bad), None).negative());
        assert!(counted(Some(Assessment::VeryBad), None).negative());
        assert!(!counted(Some(Assessment::Good), None).negative());
        assert!(!counted(None, None).negative());
    }

    #[test]
    fn a_new_revision_replaces_the_old_contribution() {
        let old = counted(Some(Assessment::Good), Some(false));
        let new = counted(Some(Assessment::VeryBad), Some(true));
        let now = Utc::now();
        let mut d = TallyDelta::default();
        d.accepted(now, None, &old);
        d.accepted(now, Some((&old, ReviewStatus::None)), &new);
        let rows: Vec<_> = d.assessments().collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            *rows[0].1,
            AssessmentCounts {
                checklists: 1,
                assessed: 1,
                negative: 1,
                access_answered: 1,
                restricted: 1
            }
        );
        assert_eq!(d.arrivals().map(|(_, n)| n).sum::<i64>(), 1);
        assert_eq!(d.visits().map(|(_, n)| n.checklists).sum::<i64>(), 1);
        assert_eq!(d.visits().map(|(_, n)| n.negative).sum::<i64>(), 1);
    }

    #[test]
    fn a_rejected_checklist_stays_out_across_revisions() {
        let old = counted(Some(Assessment::Bad), None);
        let new = counted(Some(Assessment::VeryBad), None);
        let mut d = TallyDelta::default();
        d.accepted(Utc::now(), Some((&old, ReviewStatus::Rejected)), &new);
        assert!(d.is_empty());
    }

    #[test]
    fn reviews_flip_only_across_rejection() {
        let c = counted(Some(Assessment::Bad), None);
        let mut d = TallyDelta::default();
        d.reviewed(&c, ReviewStatus::None, ReviewStatus::Flagged);
        d.reviewed(&c, ReviewStatus::Verified, ReviewStatus::None);
        assert!(d.is_empty());
        d.reviewed(&c, ReviewStatus::Flagged, ReviewStatus::Rejected);
        let (_, a) = d.assessments().next().expect("a change");
        assert_eq!(a.checklists, -1);
        assert_eq!(a.negative, -1);
        d.reviewed(&c, ReviewStatus::Rejected, ReviewStatus::Verified);
        assert!(d.is_empty());
    }

    #[test]
    fn a_recount_leaves_rejected_checklists_out_but_counts_their_arrival() {
        let c = counted(Some(Assessment::Bad), None);
        let mut d = TallyDelta::default();
        assert!(!d.recounted(Utc::now(), &c, ReviewStatus::Rejected));
        assert!(d.assessments().next().is_none());
        assert_eq!(d.arrivals().count(), 1);
        assert!(d.recounted(Utc::now(), &c, ReviewStatus::Verified));
        assert_eq!(d.assessments().count(), 1);
    }

    #[test]
    fn critical_findings_are_those_seen_and_critical() {
        let c = counted(None, None);
        assert_eq!(c.critical().collect::<Vec<_>>(), ["box_stuffing"]);
    }

    #[test]
    fn levels_per_stage() {
        use eom_shared::station::StationLevel;
        assert_eq!(observed_levels(Stage::Voting), &[StationLevel::Pec]);
        assert_eq!(
            observed_levels(Stage::Tabulation),
            &[StationLevel::Tec, StationLevel::Dec]
        );
        assert!(observed_levels(Stage::Incident).is_empty());
        assert!(filed_at(Stage::Counting, StationLevel::Pec));
        assert!(!filed_at(Stage::Voting, StationLevel::Tec));
        assert!(!filed_at(Stage::Tabulation, StationLevel::Pec));
        assert!(
            filed_at(Stage::Incident, StationLevel::Dec),
            "incidents anywhere"
        );
    }
}
