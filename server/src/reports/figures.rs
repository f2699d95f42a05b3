//! The figures a public statement quotes, computed from the store's tallies. Pure functions:
//! every number here can be checked against data whose right answer is known.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use eom_shared::Stage;
use eom_shared::form::Form;
use eom_shared::submission::SubmissionId;
use serde::Serialize;

use super::timefmt;
use crate::rules::observed_levels;
use crate::store::{
    ArrivalRow, AssessmentRow, CoverageCounts, CriticalFinding, FindingRow, SilentObserver,
};

/// The checklist stages, in the order of election day.
pub const CHECKLIST_STAGES: [Stage; 4] = [
    Stage::Opening,
    Stage::Voting,
    Stage::Counting,
    Stage::Tabulation,
];

/// A share with its 95% Wilson score interval: `part` of `whole`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    pub part: u64,
    pub whole: u64,
    /// `part / whole`; `None` when `whole` is 0.
    pub share: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

impl Share {
    /// The Wilson score interval: unlike the normal approximation it stays inside [0, 1] and
    /// behaves with small samples and shares near 0 or 100%, which observation data has.
    pub fn of(part: u64, whole: u64) -> Self {
        if whole == 0 {
            return Self {
                part,
                whole,
                share: None,
                ci_low: None,
                ci_high: None,
            };
        }
        // Counts stay far below 2^52, so the conversions are exact.
        let n = whole as f64;
        let p = part as f64 / n;
        let z2 = Z95 * Z95;
        let denominator = 1.0 + z2 / n;
        let centre = (p + z2 / (2.0 * n)) / denominator;
        let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
        Self {
            part,
            whole,
            share: Some(p),
            ci_low: Some((centre - half).max(0.0)),
            ci_high: Some((centre + half).min(1.0)),
        }
    }

    /// "31% of 412 observations (95% CI 27-36%)"; `noun` is the plural.
    pub fn phrase(&self, noun: &str) -> String {
        let noun = if self.whole == 1 {
            noun.strip_suffix('s').unwrap_or(noun)
        } else {
            noun
        };
        match (self.share, self.ci_low, self.ci_high) {
            (Some(p), Some(lo), Some(hi)) => format!(
                "{}% of {} {noun} (95% CI {}-{}%)",
                percent(p),
                self.whole,
                percent(lo),
                percent(hi)
            ),
            _ => format!("none of 0 {noun}"),
        }
    }
}

pub(crate) fn percent(x: f64) -> i64 {
    // A share is in [0, 1]: the rounded percentage fits any integer type.
    (x * 100.0).round() as i64
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageAssessment {
    pub stage: Stage,
    /// Checklists of this stage that carry an overall assessment, and how many were negative.
    pub negative: Share,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionAssessment {
    pub region: String,
    pub stage: Stage,
    pub negative: Share,
}

/// Negative overall assessments (bad + very bad) per stage and per region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessmentReport {
    pub stages: Vec<StageAssessment>,
    pub regions: Vec<RegionAssessment>,
}

pub fn assessments(rows: &[AssessmentRow]) -> AssessmentReport {
    let total = |filter: &dyn Fn(&AssessmentRow) -> bool| {
        rows.iter()
            .filter(|r| filter(r))
            .fold((0, 0), |(neg, all), r| (neg + r.negative, all + r.assessed))
    };
    let stages = CHECKLIST_STAGES
        .iter()
        .map(|&stage| {
            let (neg, all) = total(&|r| r.stage == stage);
            StageAssessment {
                stage,
                negative: Share::of(neg, all),
            }
        })
        .collect();
    let regions = regions_of(rows)
        .into_iter()
        .flat_map(|region| {
            CHECKLIST_STAGES.iter().filter_map(move |&stage| {
                let (neg, all) = total(&|r| r.stage == stage && r.region == region);
                (all > 0).then(|| RegionAssessment {
                    region: region.to_owned(),
                    stage,
                    negative: Share::of(neg, all),
                })
            })
        })
        .collect();
    AssessmentReport { stages, regions }
}

fn regions_of(rows: &[AssessmentRow]) -> Vec<&str> {
    let mut regions: Vec<&str> = rows.iter().map(|r| r.region.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    regions
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessFigure {
    /// `None` for all regions together.
    pub region: Option<String>,
    /// `None` for all stages together.
    pub stage: Option<Stage>,
    /// Observations where the access question was answered, and how many were restricted.
    pub restricted: Share,
}

/// Observer access: the share of observations in which observers were restricted, overall,
/// per stage (incident reports included in the overall figure only) and per region and stage.
pub fn access(rows: &[AssessmentRow]) -> Vec<AccessFigure> {
    let total = |filter: &dyn Fn(&AssessmentRow) -> bool| {
        rows.iter()
            .filter(|r| filter(r))
            .fold((0, 0), |(res, all), r| {
                (res + r.restricted, all + r.access_answered)
            })
    };
    let mut figures = Vec::new();
    let (res, all) = total(&|_| true);
    figures.push(AccessFigure {
        region: None,
        stage: None,
        restricted: Share::of(res, all),
    });
    for stage in CHECKLIST_STAGES {
        let (res, all) = total(&|r| r.stage == stage);
        figures.push(AccessFigure {
            region: None,
            stage: Some(stage),
            restricted: Share::of(res, all),
        });
    }
    for region in regions_of(rows) {
        for stage in CHECKLIST_STAGES {
            let (res, all) = total(&|r| r.stage == stage && r.region == region);
            if all > 0 {
                figures.push(AccessFigure {
                    region: Some(region.to_owned()),
                    stage: Some(stage),
                    restricted: Share::of(res, all),
                });
            }
        }
    }
    figures
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionFinding {
    pub form_id: String,
    pub question_id: String,
    pub label: String,
    pub critical: bool,
    /// Observations that answered the question, and those where the concern was seen.
    pub concern: Share,
}

/// A critical finding as reports list it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriticalItem {
    pub submission_id: SubmissionId,
    pub form_id: String,
    pub question_id: String,
    pub station: String,
    pub region: String,
    #[serde(serialize_with = "timefmt::millis")]
    pub observed_at: DateTime<Utc>,
    pub observer_name: String,
}

impl From<CriticalFinding> for CriticalItem {
    fn from(c: CriticalFinding) -> Self {
        Self {
            submission_id: c.submission_id,
            form_id: c.form_id.to_string(),
            question_id: c.question_id,
            station: c.station.to_string(),
            region: c.region,
            observed_at: c.observed_at,
            observer_name: c.observer_name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingsReport {
    pub questions: Vec<QuestionFinding>,
    pub critical: Vec<CriticalItem>,
}

/// Per question with a concern, in the forms' order.
pub fn findings(
    rows: &[FindingRow],
    forms: &[Form],
    critical: Vec<CriticalFinding>,
) -> FindingsReport {
    let mut questions = Vec::new();
    for form in forms {
        for q in &form.questions {
            let Some(concern) = &q.concern else { continue };
            let Some(row) = rows
                .iter()
                .find(|r| r.form_id == form.id.as_str() && r.question_id == q.id)
            else {
                continue;
            };
            questions.push(QuestionFinding {
                form_id: form.id.to_string(),
                question_id: q.id.clone(),
                label: q.label.get("en").to_owned(),
                critical: concern.critical,
                concern: Share::of(row.concern, row.answered),
            });
        }
    }
    FindingsReport {
        questions,
        critical: critical.into_iter().map(CriticalItem::from).collect(),
    }
}

/// One arithmetic check of a form's protocol: in how many of the checklists where every
/// figure it needs was copied it failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtocolCheck {
    pub form_id: String,
    pub stage: Stage,
    pub check_id: String,
    /// What a failure means, in English (the form's message).
    pub label: String,
    /// The same in every language the form gives.
    #[serde(skip)]
    pub labels: eom_shared::Labels,
    /// The relation as the form states it, by question id.
    pub relation: String,
    /// Failed, of the checklists where it could be evaluated.
    pub failed: Share,
}

/// Every check of the forms, in the forms' order, that could be evaluated at least once.
pub fn protocols(rows: &[FindingRow], forms: &[Form]) -> Vec<ProtocolCheck> {
    let mut checks = Vec::new();
    for form in forms {
        for check in &form.checks {
            let key = crate::rules::contribution::check_key(&check.id);
            let Some(row) = rows
                .iter()
                .find(|r| r.form_id == form.id.as_str() && r.question_id == key)
                .filter(|r| r.answered > 0)
            else {
                continue;
            };
            let percent = if check.right_percent == 100 {
                String::new()
            } else {
                format!("{}% of ", check.right_percent)
            };
            checks.push(ProtocolCheck {
                form_id: form.id.to_string(),
                stage: form.stage,
                check_id: check.id.clone(),
                label: check.message.get("en").to_owned(),
                labels: check.message.clone(),
                relation: format!(
                    "{} {} {percent}{}",
                    check.left.join(" + "),
                    check.op.symbol(),
                    check.right.join(" + ")
                ),
                failed: Share::of(row.concern, row.answered),
            });
        }
    }
    checks
}

/// How observers were restricted: of the restricted observations that said how, in how many
/// this kind was named (one observation can name several).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestrictionKind {
    pub kind: String,
    /// The choice's text in every language the forms give.
    pub label: eom_shared::Labels,
    pub seen: Share,
}

/// Every kind of restriction the forms offer, in the first form's order, summed over forms.
pub fn restriction_kinds(rows: &[FindingRow], forms: &[Form]) -> Vec<RestrictionKind> {
    let mut kinds: Vec<RestrictionKind> = Vec::new();
    let mut counts: Vec<(u64, u64)> = Vec::new();
    for form in forms {
        let Some(question) = form.question(eom_shared::form::ACCESS_KINDS_QUESTION) else {
            continue;
        };
        for choice in question.kind.choices() {
            let key = crate::rules::contribution::restriction_key(&choice.id);
            let (seen, answered) = rows
                .iter()
                .filter(|r| r.form_id == form.id.as_str() && r.question_id == key)
                .fold((0, 0), |(s, a), r| (s + r.concern, a + r.answered));
            match kinds.iter().position(|k| k.kind == choice.id) {
                Some(i) => {
                    counts[i].0 += seen;
                    counts[i].1 += answered;
                }
                None => {
                    kinds.push(RestrictionKind {
                        kind: choice.id.clone(),
                        label: choice.label.clone(),
                        seen: Share::of(0, 0),
                    });
                    counts.push((seen, answered));
                }
            }
        }
    }
    for (kind, (seen, answered)) in kinds.iter_mut().zip(counts) {
        kind.seen = Share::of(seen, answered);
    }
    kinds
}

/// Stations of a stage's levels visited in one region, against the station list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageRow {
    pub region: String,
    pub stage: Stage,
    pub visited: u64,
    pub stations: u64,
    /// Visited stations with an overall assessment, and with at least one negative one.
    pub assessed: u64,
    pub negative: u64,
}

/// Per region (in order) and checklist stage: the stations of the levels the stage is
/// observed at, and how many of them were visited.
pub fn coverage_rows(counts: &CoverageCounts) -> Vec<CoverageRow> {
    let mut regions: Vec<&str> = counts.stations.iter().map(|s| s.region.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    let mut rows = Vec::new();
    for region in regions {
        for stage in CHECKLIST_STAGES {
            let levels = observed_levels(stage);
            let stations = counts
                .stations
                .iter()
                .filter(|s| s.region == region && levels.contains(&s.level))
                .map(|s| s.stations)
                .sum();
            let visits = || {
                counts
                    .visits
                    .iter()
                    .filter(|v| v.region == region && v.stage == stage && levels.contains(&v.level))
            };
            rows.push(CoverageRow {
                region: region.to_owned(),
                stage,
                visited: visits().map(|v| v.visited).sum(),
                stations,
                assessed: visits().map(|v| v.assessed).sum(),
                negative: visits().map(|v| v.negative).sum(),
            });
        }
    }
    rows
}

/// A team that has sent nothing for a while.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SilentTeam {
    pub id: String,
    pub name: String,
    pub region: Option<String>,
    /// When its last checklist arrived; `null` if none ever did.
    #[serde(serialize_with = "timefmt::optional_millis")]
    pub last_received_at: Option<DateTime<Utc>>,
}

impl From<SilentObserver> for SilentTeam {
    fn from(o: SilentObserver) -> Self {
        Self {
            id: o.id,
            name: o.name,
            region: o.region,
            last_received_at: o.last_received_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageFigure {
    pub region: String,
    pub stage: Stage,
    /// Stations (or commissions, for tabulation) visited, of those on the list.
    pub visited: Share,
    /// Distinct stations (commissions) where the stage was assessed negatively by at least
    /// one checklist, of those where it was assessed: the unit of a statement's "in 18 of 53
    /// polling stations observed".
    pub assessed_negatively: Share,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageReport {
    pub regions: Vec<CoverageFigure>,
    pub totals: Vec<CoverageFigure>,
    pub silent_after_minutes: u32,
    /// How many teams are silent in all.
    pub silent_total: u64,
    /// The longest silent first, at most a few hundred.
    pub silent_observers: Vec<SilentTeam>,
}

pub fn coverage(
    counts: &CoverageCounts,
    silent_after_minutes: u32,
    (silent, silent_total): (Vec<SilentObserver>, u64),
) -> CoverageReport {
    let rows = coverage_rows(counts);
    let regions = rows
        .iter()
        .map(|r| CoverageFigure {
            region: r.region.clone(),
            stage: r.stage,
            visited: Share::of(r.visited, r.stations),
            assessed_negatively: Share::of(r.negative, r.assessed),
        })
        .collect();
    let totals = CHECKLIST_STAGES
        .iter()
        .map(|&stage| {
            let (v, s, a, n) =
                rows.iter()
                    .filter(|r| r.stage == stage)
                    .fold((0, 0, 0, 0), |(v, s, a, n), r| {
                        (
                            v + r.visited,
                            s + r.stations,
                            a + r.assessed,
                            n + r.negative,
                        )
                    });
            CoverageFigure {
                region: "all".to_owned(),
                stage,
                visited: Share::of(v, s),
                assessed_negatively: Share::of(n, a),
            }
        })
        .collect();
    CoverageReport {
        regions,
        totals,
        silent_after_minutes,
        silent_total,
        silent_observers: silent.into_iter().map(SilentTeam::from).collect(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineHour {
    pub hour: String,
    pub total: u64,
    pub by_stage: BTreeMap<Stage, u64>,
}

/// Checklists received per hour (of first receipt), and by stage.
pub fn timeline(rows: &[ArrivalRow]) -> Vec<TimelineHour> {
    let mut hours: Vec<TimelineHour> = Vec::new();
    for r in rows {
        let hour = timefmt::hour(r.hour);
        if hours.last().is_none_or(|h| h.hour != hour) {
            hours.push(TimelineHour {
                hour,
                total: 0,
                by_stage: BTreeMap::new(),
            });
        }
        if let Some(h) = hours.last_mut() {
            h.total += r.checklists;
            *h.by_stage.entry(r.stage).or_default() += r.checklists;
        }
    }
    hours
}

/// A stage's name as a sentence or a table row starts it.
pub fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Opening => "Opening",
        Stage::Voting => "Voting",
        Stage::Counting => "Counting",
        Stage::Tabulation => "Tabulation",
        Stage::Incident => "Incidents",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 5e-4)
    }

    #[test]
    fn wilson_interval_matches_known_values() {
        // 31 of 100: 0.2278 to 0.4063 (computed independently from Wilson's formula).
        let s = Share::of(31, 100);
        assert!(close(s.share, 0.31));
        assert!(close(s.ci_low, 0.2278), "{s:?}");
        assert!(close(s.ci_high, 0.4063), "{s:?}");
        // 0 of 10 still has an upper bound: 0 to 0.2775.
        let s = Share::of(0, 10);
        assert!(close(s.ci_low, 0.0) && close(s.ci_high, 0.2775), "{s:?}");
        // 10 of 10: 0.7225 to 1.
        let s = Share::of(10, 10);
        assert!(close(s.ci_low, 0.7225) && close(s.ci_high, 1.0), "{s:?}");
        assert_eq!(Share::of(0, 0).share, None);
    }

    #[test]
    fn phrases_read_like_a_statement() {
        assert_eq!(
            Share::of(128, 412).phrase("observations"),
            "31% of 412 observations (95% CI 27-36%)"
        );
        assert_eq!(
            Share::of(1, 1).phrase("observations"),
            "100% of 1 observation (95% CI 21-100%)"
        );
    }

    fn row(
        form: &str,
        stage: Stage,
        region: &str,
        assessed: u64,
        negative: u64,
        answered: u64,
        restricted: u64,
    ) -> AssessmentRow {
        AssessmentRow {
            form_id: form.into(),
            stage,
            region: region.into(),
            checklists: assessed,
            assessed,
            negative,
            access_answered: answered,
            restricted,
        }
    }

    #[test]
    fn assessments_add_up_per_stage_and_region() {
        let rows = [
            row("voting", Stage::Voting, "North", 40, 2, 40, 4),
            row("voting", Stage::Voting, "South", 60, 2, 60, 0),
            row("counting", Stage::Counting, "North", 10, 6, 10, 5),
            row("incident", Stage::Incident, "North", 0, 0, 3, 3),
        ];
        let report = assessments(&rows);
        let voting = &report.stages[1];
        assert_eq!((voting.negative.part, voting.negative.whole), (4, 100));
        assert_eq!(report.stages[0].negative.whole, 0);
        assert_eq!(report.regions.len(), 3);
        let access = access(&rows);
        assert_eq!(
            (access[0].restricted.part, access[0].restricted.whole),
            (12, 113)
        );
        let counting = access
            .iter()
            .find(|a| a.region.is_none() && a.stage == Some(Stage::Counting))
            .expect("row");
        assert_eq!(
            (counting.restricted.part, counting.restricted.whole),
            (5, 10)
        );
    }

    fn at(hour: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2026, 3, 19, hour, 0, 0).unwrap()
    }

    #[test]
    fn coverage_counts_the_levels_each_stage_is_observed_at() {
        use crate::store::{StationCount, VisitCount};
        use eom_shared::station::StationLevel;
        let counts = CoverageCounts {
            stations: vec![
                StationCount {
                    region: "North".into(),
                    level: StationLevel::Pec,
                    stations: 10,
                },
                StationCount {
                    region: "North".into(),
                    level: StationLevel::Tec,
                    stations: 2,
                },
                StationCount {
                    region: "North".into(),
                    level: StationLevel::Dec,
                    stations: 1,
                },
            ],
            visits: vec![
                VisitCount {
                    region: "North".into(),
                    stage: Stage::Voting,
                    level: StationLevel::Pec,
                    visited: 4,
                    assessed: 3,
                    negative: 1,
                },
                // A voting checklist filed at a commission is not coverage of polling stations.
                VisitCount {
                    region: "North".into(),
                    stage: Stage::Voting,
                    level: StationLevel::Tec,
                    visited: 1,
                    assessed: 1,
                    negative: 1,
                },
                VisitCount {
                    region: "North".into(),
                    stage: Stage::Tabulation,
                    level: StationLevel::Tec,
                    visited: 2,
                    assessed: 2,
                    negative: 0,
                },
            ],
        };
        let rows = coverage_rows(&counts);
        let find = |stage| rows.iter().find(|r| r.stage == stage).expect("row");
        assert_eq!(
            (find(Stage::Voting).visited, find(Stage::Voting).stations),
            (4, 10)
        );
        assert_eq!(
            (find(Stage::Voting).negative, find(Stage::Voting).assessed),
            (1, 3),
            "a commission's voting checklist is not a polling station's"
        );
        assert_eq!(
            (
                find(Stage::Tabulation).visited,
                find(Stage::Tabulation).stations
            ),
            (2, 3)
        );
        assert_eq!(
            (find(Stage::Opening).visited, find(Stage::Opening).stations),
            (0, 10)
        );
    }

    #[test]
    fn timeline_groups_hours() {
        let rows = [
            ArrivalRow {
                hour: at(8),
                stage: Stage::Opening,
                checklists: 5,
            },
            ArrivalRow {
                hour: at(8),
                stage: Stage::Voting,
                checklists: 2,
            },
            ArrivalRow {
                hour: at(9),
                stage: Stage::Voting,
                checklists: 7,
            },
        ];
        let t = timeline(&rows);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].total, 7);
        assert_eq!(t[1].by_stage[&Stage::Voting], 7);
        assert_eq!(t[0].hour, "2026-03-19T08");
    }
}
