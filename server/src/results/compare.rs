//! The comparison of copied protocols with published results. Pure: the figures come in,
//! the report goes out, so both backends give the same report and tests can build cases whose
//! discrepancies are known.
//!
//! - A copied line is compared with the newest publication that has a figure for its station
//!   and contest; a line the publication does not give is not compared.
//! - Every copy is compared (two teams at one station are two comparisons), and copies of one
//!   protocol that disagree with each other are listed with every value.
//! - A station "differs" when any of its compared lines differs; "votes affected" adds, per
//!   station and contest, the absolute differences of the candidates' lines, from the copy
//!   closest to the publication (when teams disagree, the figure no copy explains). Candidate
//!   totals use the newest copy.
//! - Published figures are run through the protocol's own arithmetic (its equalities and
//!   inequalities; the plausibility checks with a percentage are left out).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use eom_shared::SubmissionId;
use eom_shared::contest::{AGAINST_ALL, COPIED, VOTES_PREFIX, answer_id};
use eom_shared::form::Form;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::store::OfficialResults;

/// The protocol of one contest as one checklist copied it.
#[derive(Debug, Clone, PartialEq)]
pub struct CopiedProtocol {
    pub submission_id: SubmissionId,
    pub station: String,
    pub region: String,
    pub team_id: String,
    pub team: String,
    pub observed_at: DateTime<Utc>,
    pub contest: String,
    pub figures: BTreeMap<String, i64>,
}

/// The protocols a counting checklist copied, one per contest whose protocol it says it copied.
pub fn copied_protocols(
    form: &Form,
    summary: &crate::store::SubmissionSummary,
    answers: &Map<String, Value>,
) -> Vec<CopiedProtocol> {
    form.contests
        .iter()
        .filter(|c| answers.get(&answer_id(&c.id, COPIED)) == Some(&Value::Bool(true)))
        .map(|c| {
            let prefix = format!("{}.", c.id);
            let figures = answers
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?, v.as_i64()?)))
                .filter(|(line, _)| *line != COPIED)
                .map(|(line, n)| (line.to_owned(), n))
                .collect();
            CopiedProtocol {
                submission_id: summary.id,
                station: summary.station.as_str().to_owned(),
                region: summary.region.clone(),
                team_id: summary.observer_id.clone(),
                team: summary.observer_name.clone(),
                observed_at: summary.observed_at,
                contest: c.id.clone(),
                figures,
            }
        })
        .collect()
}

fn is_vote_line(line: &str) -> bool {
    line.starts_with(VOTES_PREFIX) || line == AGAINST_ALL
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicationInfo {
    pub version: u32,
    pub source: String,
    pub published_at: Option<DateTime<Utc>>,
    pub imported_at: DateTime<Utc>,
}

/// A copied line that differs from the published one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Discrepancy {
    pub station: String,
    pub region: String,
    pub contest: String,
    pub line: String,
    pub observed: i64,
    pub official: i64,
    /// The publication the official figure comes from.
    pub version: u32,
    pub submission_id: SubmissionId,
    pub team_id: String,
    pub team: String,
    /// The SHA-256 of each photo attached to the checklist (filled in by
    /// [`super::report`], which reads the store).
    pub photos: Vec<String>,
}

/// A station whose protocol observers copied and whose results were never published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unpublished {
    pub station: String,
    pub region: String,
    pub contest: String,
    pub submission_id: SubmissionId,
    pub team: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyValue {
    pub submission_id: SubmissionId,
    pub team_id: String,
    pub team: String,
    pub value: i64,
}

/// A line that copies of the same protocol (one station, one contest) give differently.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disagreement {
    pub station: String,
    pub region: String,
    pub contest: String,
    pub line: String,
    pub copies: Vec<CopyValue>,
}

/// Published figures that fail the protocol's own arithmetic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArithmeticFailure {
    pub station: String,
    pub contest: String,
    pub check: String,
    pub message: String,
    pub version: u32,
}

/// What observers saw of turnout against what was published: the last count of voters seen
/// during the day, the ballots found in the boxes as copied and as published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Turnout {
    pub station: String,
    pub region: String,
    pub contest: String,
    pub voted_so_far: Option<i64>,
    pub observed_found: Option<i64>,
    pub official_found: Option<i64>,
    /// Fewer ballots published as found than voters observers counted during the day, or
    /// the copy's ballots found differ from the published.
    pub flagged: bool,
}

/// A polling station's protocol entered at a commission, as an observer there watched it
/// (the `tabulation-entry` form), with what the comparison says of that station.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryWatched {
    /// The polling station whose protocol was entered.
    pub station: String,
    /// The commission where it was entered (the checklist's station).
    pub commission: String,
    pub contest: String,
    /// Whether the figures entered matched the protocol; `None`: the observer could not see.
    pub matched: Option<bool>,
    pub difference: String,
    pub submission_id: SubmissionId,
    pub team: String,
    /// Whether the published results of that station differ from the protocol observers
    /// copied there.
    pub published_differs: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionSummary {
    pub region: String,
    pub stations_compared: u64,
    pub stations_differing: u64,
    pub votes_affected: u64,
}

/// A candidate's votes over the stations compared, by both sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateTotal {
    pub contest: String,
    pub line: String,
    pub name: String,
    pub observed: i64,
    pub official: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DiscrepancyReport {
    /// The newest publication, if any was imported.
    pub publication: Option<PublicationInfo>,
    /// Stations with a copied protocol.
    pub stations_copied: u64,
    /// Stations with a copied protocol and published results for it.
    pub stations_compared: u64,
    /// Of those, stations where a published figure differs from a copied one.
    pub stations_differing: u64,
    pub discrepancies: Vec<Discrepancy>,
    pub unpublished: Vec<Unpublished>,
    pub disagreements: Vec<Disagreement>,
    pub official_arithmetic: Vec<ArithmeticFailure>,
    pub turnout: Vec<Turnout>,
    pub regions: Vec<RegionSummary>,
    pub candidates: Vec<CandidateTotal>,
    /// Protocols entered at commissions as observers watched them.
    pub entries: Vec<EntryWatched>,
}

/// The newest published figure per station and contest: `(version, line -> value)`.
type Published<'a> = HashMap<(&'a str, &'a str), (u32, BTreeMap<&'a str, i64>)>;

fn newest(official: &OfficialResults) -> Published<'_> {
    let mut by_protocol: Published<'_> = HashMap::new();
    for (version, f) in &official.figures {
        let entry = by_protocol
            .entry((f.station.as_str(), f.contest.as_str()))
            .or_insert_with(|| (*version, BTreeMap::new()));
        if *version > entry.0 {
            *entry = (*version, BTreeMap::new());
        }
        if *version == entry.0 {
            entry.1.insert(f.line.as_str(), f.value);
        }
    }
    by_protocol
}

const FOUND: [&str; 2] = ["ballots_in_stationary_boxes", "ballots_in_mobile_boxes"];

fn found(figures: impl Fn(&str) -> Option<i64>) -> Option<i64> {
    FOUND.iter().map(|l| figures(l)).sum()
}

/// Compares `copies` (of the contests of `form`) with `official`; `voted_so_far` is the last
/// count of voters observers saw at each station during the day; `entries` are the protocols
/// observers watched being entered at commissions. Texts in `lang`.
pub fn compare(
    form: &Form,
    copies: &[CopiedProtocol],
    official: &OfficialResults,
    voted_so_far: &HashMap<String, i64>,
    entries: &[EntryWatched],
    lang: &str,
) -> DiscrepancyReport {
    let published = newest(official);
    let mut by_protocol: BTreeMap<(&str, &str), Vec<&CopiedProtocol>> = BTreeMap::new();
    for copy in copies {
        by_protocol
            .entry((copy.station.as_str(), copy.contest.as_str()))
            .or_default()
            .push(copy);
    }
    let mut report = DiscrepancyReport {
        publication: official.publications.last().map(|p| PublicationInfo {
            version: p.version,
            source: p.source.clone(),
            published_at: p.published_at,
            imported_at: p.imported_at,
        }),
        stations_copied: 0,
        stations_compared: 0,
        stations_differing: 0,
        discrepancies: Vec::new(),
        unpublished: Vec::new(),
        disagreements: Vec::new(),
        official_arithmetic: Vec::new(),
        turnout: Vec::new(),
        regions: Vec::new(),
        candidates: Vec::new(),
        entries: Vec::new(),
    };
    let mut copied = BTreeSet::new();
    let mut compared = BTreeMap::<&str, &str>::new();
    let mut differing = BTreeSet::new();
    let mut affected: BTreeMap<&str, u64> = BTreeMap::new();
    let mut totals: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
    for ((station, contest), mut group) in by_protocol {
        group.sort_by_key(|c| (c.observed_at, c.submission_id.0));
        let Some(latest) = group.last() else { continue };
        copied.insert(station);
        disagreements(&group, &mut report.disagreements);
        let Some((version, lines)) = published.get(&(station, contest)) else {
            report.unpublished.extend(group.iter().map(|c| Unpublished {
                station: station.to_owned(),
                region: c.region.clone(),
                contest: contest.to_owned(),
                submission_id: c.submission_id,
                team: c.team.clone(),
            }));
            continue;
        };
        compared.insert(station, latest.region.as_str());
        for copy in &group {
            for (line, observed) in &copy.figures {
                let Some(official) = lines.get(line.as_str()) else {
                    continue;
                };
                if official != observed {
                    differing.insert(station);
                    report.discrepancies.push(Discrepancy {
                        station: station.to_owned(),
                        region: copy.region.clone(),
                        contest: contest.to_owned(),
                        line: line.clone(),
                        observed: *observed,
                        official: *official,
                        version: *version,
                        submission_id: copy.submission_id,
                        team_id: copy.team_id.clone(),
                        team: copy.team.clone(),
                        photos: Vec::new(),
                    });
                }
            }
        }
        let off_by = |copy: &CopiedProtocol| -> u64 {
            copy.figures
                .iter()
                .filter(|(l, _)| is_vote_line(l))
                .filter_map(|(l, n)| Some(n.abs_diff(*lines.get(l.as_str())?)))
                .sum()
        };
        *affected.entry(station).or_default() += group.iter().map(|c| off_by(c)).min().unwrap_or(0);
        for (line, observed) in latest.figures.iter().filter(|(l, _)| is_vote_line(l)) {
            let Some(official) = lines.get(line.as_str()) else {
                continue;
            };
            let total = totals.entry((contest, line.as_str())).or_default();
            total.0 += observed;
            total.1 += official;
        }
        let observed_found = found(|l| latest.figures.get(l).copied());
        let official_found = found(|l| lines.get(l).copied());
        let voted = voted_so_far.get(station).copied();
        report.turnout.push(Turnout {
            station: station.to_owned(),
            region: latest.region.clone(),
            contest: contest.to_owned(),
            voted_so_far: voted,
            observed_found,
            official_found,
            flagged: matches!((voted, official_found), (Some(v), Some(o)) if o < v)
                || matches!((observed_found, official_found), (Some(a), Some(b)) if a != b),
        });
    }
    report.official_arithmetic = arithmetic(form, &published, lang);
    report.entries = entries
        .iter()
        .map(|e| EntryWatched {
            published_differs: differing.contains(e.station.as_str()),
            ..e.clone()
        })
        .collect();
    report.stations_copied = copied.len() as u64;
    report.stations_compared = compared.len() as u64;
    report.stations_differing = differing.len() as u64;
    let mut regions: BTreeMap<&str, RegionSummary> = BTreeMap::new();
    for (station, region) in &compared {
        let summary = regions.entry(region).or_insert_with(|| RegionSummary {
            region: (*region).to_owned(),
            stations_compared: 0,
            stations_differing: 0,
            votes_affected: 0,
        });
        summary.stations_compared += 1;
        summary.stations_differing += u64::from(differing.contains(station));
        summary.votes_affected += affected.get(station).copied().unwrap_or(0);
    }
    report.regions = regions.into_values().collect();
    let totals = &totals;
    report.candidates = form
        .contests
        .iter()
        .flat_map(|c| {
            c.vote_lines().into_iter().map(move |line| {
                let (observed, official) = totals
                    .get(&(c.id.as_str(), line.as_str()))
                    .copied()
                    .unwrap_or_default();
                CandidateTotal {
                    contest: c.id.clone(),
                    name: c.line_name(&line, lang).unwrap_or_else(|| line.clone()),
                    line,
                    observed,
                    official,
                }
            })
        })
        .collect();
    report
}

fn disagreements(group: &[&CopiedProtocol], out: &mut Vec<Disagreement>) {
    if group.len() < 2 {
        return;
    }
    let lines: BTreeSet<&String> = group.iter().flat_map(|c| c.figures.keys()).collect();
    for line in lines {
        let values: BTreeSet<i64> = group
            .iter()
            .filter_map(|c| c.figures.get(line).copied())
            .collect();
        if values.len() > 1 {
            out.push(Disagreement {
                station: group[0].station.clone(),
                region: group[0].region.clone(),
                contest: group[0].contest.clone(),
                line: line.clone(),
                copies: group
                    .iter()
                    .filter_map(|c| {
                        Some(CopyValue {
                            submission_id: c.submission_id,
                            team_id: c.team_id.clone(),
                            team: c.team.clone(),
                            value: *c.figures.get(line)?,
                        })
                    })
                    .collect(),
            });
        }
    }
}

fn arithmetic(form: &Form, published: &Published<'_>, lang: &str) -> Vec<ArithmeticFailure> {
    let mut failures = Vec::new();
    let mut keys: Vec<&(&str, &str)> = published.keys().collect();
    keys.sort();
    for key in keys {
        let (station, contest) = *key;
        let Some((version, lines)) = published.get(key) else {
            continue;
        };
        let prefix = format!("{contest}.");
        let figures: Vec<(String, i64)> = lines
            .iter()
            .map(|(line, n)| (answer_id(contest, line), *n))
            .collect();
        for check in form
            .checks
            .iter()
            .filter(|c| c.id.starts_with(&prefix) && c.right_percent == 100 && !c.uses_station())
        {
            // A side the publication gives no figure of is not checked (a check that counts a
            // missing line as 0 would fail on every file that leaves the line out).
            let given =
                |terms: &[String]| terms.iter().any(|t| figures.iter().any(|(f, _)| f == t));
            if given(&check.left)
                && given(&check.right)
                && eom_shared::validate::check_holds(check, &figures) == Some(false)
            {
                failures.push(ArithmeticFailure {
                    station: station.to_owned(),
                    contest: contest.to_owned(),
                    check: check.id.clone(),
                    message: check.message.get(lang).to_owned(),
                    version: *version,
                });
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{OfficialFigure, Publication};

    fn form() -> Form {
        super::super::example_form()
    }

    /// A consistent protocol: 1000 valid ballots, split `votes` ways.
    fn protocol(votes: &[(&str, i64)]) -> BTreeMap<String, i64> {
        let valid: i64 = votes.iter().map(|(_, n)| n).sum();
        let mut lines: BTreeMap<String, i64> = [
            ("ballots_in_stationary_boxes", valid + 10),
            ("ballots_in_mobile_boxes", 0),
            ("invalid_ballots", 10),
            ("valid_ballots", valid),
        ]
        .into_iter()
        .map(|(l, n)| (l.to_owned(), n))
        .collect();
        lines.extend(votes.iter().map(|(l, n)| ((*l).to_owned(), *n)));
        lines
    }

    fn copy(
        n: u128,
        station: &str,
        team: &str,
        contest: &str,
        figures: BTreeMap<String, i64>,
    ) -> CopiedProtocol {
        CopiedProtocol {
            submission_id: SubmissionId(uuid::Uuid::from_u128(n)),
            station: station.into(),
            region: if station == "AST-001" {
                "Astana"
            } else {
                "Almaty"
            }
            .into(),
            team_id: team.into(),
            team: format!("Team {team}"),
            observed_at: DateTime::from_timestamp(1_700_000_000 + n as i64, 0).expect("time"),
            contest: contest.into(),
            figures,
        }
    }

    fn official(
        version: u32,
        station: &str,
        contest: &str,
        figures: &BTreeMap<String, i64>,
    ) -> Vec<(u32, OfficialFigure)> {
        figures
            .iter()
            .map(|(line, value)| {
                (
                    version,
                    OfficialFigure {
                        station: station.into(),
                        contest: contest.into(),
                        line: line.clone(),
                        value: *value,
                    },
                )
            })
            .collect()
    }

    fn publication(version: u32) -> Publication {
        Publication {
            version,
            source: format!("results-{version}.csv"),
            published_at: None,
            imported_at: DateTime::from_timestamp(1_700_100_000, 0).expect("time"),
        }
    }

    const PARTY: [(&str, i64); 3] = [
        ("votes.amanat", 600),
        ("votes.ak-zhol", 300),
        ("against_all", 100),
    ];

    /// Six stations built so that each kind of finding happens once.
    fn mission() -> (Vec<CopiedProtocol>, OfficialResults) {
        let matching = protocol(&PARTY);
        let mut changed = matching.clone();
        changed.insert("votes.amanat".into(), 650); // published: 50 more for Amanat
        changed.insert("valid_ballots".into(), 1050);
        changed.insert("ballots_in_stationary_boxes".into(), 1060);
        let district = protocol(&[("votes.ivanova", 700)]);
        let mut second_copy = matching.clone();
        second_copy.insert("votes.ak-zhol".into(), 310);
        let mut not_adding_up = matching.clone();
        not_adding_up.insert("valid_ballots".into(), 950);
        let copies = vec![
            copy(1, "ALA-001", "a", "party-list", matching.clone()),
            copy(2, "ALA-002", "b", "party-list", matching.clone()),
            copy(3, "ALA-002", "b", "district-5", district.clone()),
            copy(4, "ALA-003", "c", "party-list", matching.clone()),
            copy(5, "ALA-004", "d", "party-list", matching.clone()),
            copy(6, "ALA-004", "e", "party-list", second_copy),
            copy(7, "AST-001", "f", "party-list", matching.clone()),
        ];
        let mut figures = Vec::new();
        figures.extend(official(1, "ALA-001", "party-list", &matching));
        figures.extend(official(1, "ALA-002", "party-list", &changed));
        figures.extend(official(1, "ALA-002", "district-5", &district));
        figures.extend(official(1, "ALA-004", "party-list", &matching));
        figures.extend(official(1, "AST-001", "party-list", &not_adding_up));
        (
            copies,
            OfficialResults {
                publications: vec![publication(1)],
                figures,
            },
        )
    }

    #[test]
    fn each_kind_of_finding_is_found_where_it_was_built_and_nowhere_else() {
        let (copies, official) = mission();
        let voted = HashMap::from([("ALA-001".to_owned(), 1200)]);
        let entry = EntryWatched {
            station: "ALA-002".into(),
            commission: "TEC-ALA".into(),
            contest: "party-list".into(),
            matched: Some(true),
            difference: String::new(),
            submission_id: SubmissionId(uuid::Uuid::from_u128(99)),
            team: "Team t".into(),
            published_differs: false,
        };
        let report = compare(
            &form(),
            &copies,
            &official,
            &voted,
            std::slice::from_ref(&entry),
            "en",
        );
        assert!(
            report.entries[0].published_differs,
            "the entry matched the protocol, and the publication still differs: the change came later"
        );

        assert_eq!(report.stations_copied, 5);
        assert_eq!(report.stations_compared, 4, "ALA-003 was never published");
        let found: Vec<(&str, &str, &str, i64, i64)> = report
            .discrepancies
            .iter()
            .map(|d| {
                (
                    d.station.as_str(),
                    d.contest.as_str(),
                    d.line.as_str(),
                    d.observed,
                    d.official,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "ALA-002",
                    "party-list",
                    "ballots_in_stationary_boxes",
                    1010,
                    1060
                ),
                ("ALA-002", "party-list", "valid_ballots", 1000, 1050),
                ("ALA-002", "party-list", "votes.amanat", 600, 650),
                ("ALA-004", "party-list", "votes.ak-zhol", 310, 300),
                ("AST-001", "party-list", "valid_ballots", 1000, 950),
            ]
        );
        assert_eq!(
            report.discrepancies[3].team, "Team e",
            "only the copy that differs"
        );
        assert_eq!(report.stations_differing, 3);

        assert_eq!(report.unpublished.len(), 1);
        assert_eq!(report.unpublished[0].station, "ALA-003");

        assert_eq!(report.disagreements.len(), 1);
        let d = &report.disagreements[0];
        assert_eq!(
            (d.station.as_str(), d.line.as_str()),
            ("ALA-004", "votes.ak-zhol")
        );
        let values: Vec<(&str, i64)> = d
            .copies
            .iter()
            .map(|c| (c.team_id.as_str(), c.value))
            .collect();
        assert_eq!(values, [("d", 300), ("e", 310)]);

        let failed: Vec<(&str, &str)> = report
            .official_arithmetic
            .iter()
            .map(|a| (a.station.as_str(), a.check.as_str()))
            .collect();
        assert!(
            failed.contains(&("AST-001", "party-list.valid_equals_votes")),
            "{failed:?}"
        );
        assert!(
            failed.contains(&("AST-001", "party-list.found_equals_valid_plus_invalid")),
            "{failed:?}"
        );
        assert!(failed.iter().all(|(s, _)| *s == "AST-001"), "{failed:?}");

        let almaty = report
            .regions
            .iter()
            .find(|r| r.region == "Almaty")
            .expect("Almaty");
        assert_eq!(
            (almaty.stations_compared, almaty.stations_differing),
            (3, 2)
        );
        // ALA-002: 50 for Amanat; at ALA-004 one copy matches the publication.
        assert_eq!(almaty.votes_affected, 50);

        let amanat = report
            .candidates
            .iter()
            .find(|c| c.line == "votes.amanat")
            .expect("Amanat");
        assert_eq!((amanat.observed, amanat.official), (2400, 2450));
        assert_eq!(amanat.name, "Amanat");
        let ivanova = report
            .candidates
            .iter()
            .find(|c| c.line == "votes.ivanova")
            .expect("Ivanova");
        assert_eq!(
            (ivanova.observed, ivanova.official),
            (700, 700),
            "the multi-contest station"
        );

        let turnout = report
            .turnout
            .iter()
            .find(|t| t.station == "ALA-001")
            .expect("ALA-001");
        assert_eq!(turnout.voted_so_far, Some(1200));
        assert!(
            turnout.flagged,
            "1200 voters seen, 1010 ballots published as found"
        );
    }

    #[test]
    fn a_corrected_publication_resolves_a_discrepancy_and_keeps_the_others() {
        let (copies, mut published) = mission();
        published.publications.push(publication(2));
        published
            .figures
            .extend(official(2, "ALA-002", "party-list", &protocol(&PARTY)));
        let report = compare(&form(), &copies, &published, &HashMap::new(), &[], "en");
        assert!(report.discrepancies.iter().all(|d| d.station != "ALA-002"));
        assert_eq!(report.stations_differing, 2);
        assert_eq!(report.publication.as_ref().map(|p| p.version), Some(2));
        let still = report
            .discrepancies
            .iter()
            .find(|d| d.station == "AST-001")
            .expect("kept");
        assert_eq!(
            still.version, 1,
            "stations the correction leaves out keep their figures"
        );
    }
}
