//! Contests: the races decided on one election day (a party list, a single-member district, a
//! local council), each with its candidates or parties and the stations that vote in it.
//!
//! A polling station signs one results protocol per contest, so the counting checklist copies
//! one protocol per contest. The contests become part of the counting form itself: importing
//! them publishes a new version of the form ([`with_contests`]) whose protocol section is
//! repeated per contest, with a line per candidate. Everything that already works on forms
//! then works on contests unchanged: laptops receive them on pull, the same validation runs on
//! the laptop and the server, exports and the dashboard show the lines with their labels, and a
//! checklist keeps validating against the version it was filled on.
//!
//! A copied line is the answer `<contest>.<line>`: `party-list.valid_ballots`,
//! `party-list.votes.amanat`, `party-list.against_all`. `<line>` is what the administration's
//! published results call the same figure (`eom-server results import`).

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::form::{Check, Form, Labels, Question, QuestionKind, Relevance};
use crate::station::StationCode;
use crate::validate::{Issue, IssueKind};

/// The question, asked once the protocol is copied, whether the observer copied this
/// contest's protocol: `<contest>.copied`.
pub const COPIED: &str = "copied";
/// The line of the votes "against all", where the ballot has that line.
pub const AGAINST_ALL: &str = "against_all";
/// Candidate lines are `votes.<candidate>`.
pub const VOTES_PREFIX: &str = "votes.";
/// The yes/no question the protocol section of the counting form hangs on.
pub const PROTOCOL_COPIED: &str = "protocol_copied";

/// A contest or candidate id: 1 to 40 lower-case letters, digits, `_` or `-` (no `.`, which
/// separates a contest from its line).
fn check_id(what: &str, raw: &str) -> Result<(), String> {
    let ok = !raw.is_empty()
        && raw.len() <= 40
        && raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} id '{raw}' must be 1 to 40 lower-case letters, digits, '_' or '-'"
        ))
    }
}

/// One candidate, or one party on a party list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: String,
    pub name: Labels,
}

/// One contest of the election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contest {
    pub id: String,
    pub title: Labels,
    pub candidates: Vec<Candidate>,
    /// The ballot has an "against all" line.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub against_all: bool,
    /// The stations that vote in this contest; `None`: every station.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stations: Option<Vec<StationCode>>,
}

impl Contest {
    /// Whether `station` votes in this contest.
    pub fn voted_at(&self, station: &StationCode) -> bool {
        self.stations
            .as_ref()
            .is_none_or(|list| list.contains(station))
    }

    /// The lines of this contest's protocol for candidates: one per candidate, and "against
    /// all" where the ballot has it.
    pub fn vote_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .candidates
            .iter()
            .map(|c| format!("{VOTES_PREFIX}{}", c.id))
            .collect();
        if self.against_all {
            lines.push(AGAINST_ALL.to_owned());
        }
        lines
    }

    /// The name of a vote line's candidate in `lang` (or the line itself).
    pub fn line_name(&self, line: &str, lang: &str) -> Option<String> {
        if line == AGAINST_ALL {
            return Some(against_all_label().get(lang).to_owned());
        }
        let id = line.strip_prefix(VOTES_PREFIX)?;
        self.candidates
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.get(lang).to_owned())
    }
}

/// The contests file: `{"contests": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contests {
    pub contests: Vec<Contest>,
}

impl Contests {
    /// Reads a contests file, naming the path of a field of the wrong shape, and checks ids.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: Contests = crate::form::from_json_naming_the_path(text, "a contests file")?;
        check_contests(&file.contests)?;
        Ok(file)
    }
}

/// The ids are well formed and unique, and every contest has a candidate.
pub fn check_contests(contests: &[Contest]) -> Result<(), String> {
    if contests.is_empty() {
        return Err("the file names no contest: add at least one to 'contests'".into());
    }
    let mut seen = HashSet::new();
    for contest in contests {
        check_id("contest", &contest.id)?;
        if !seen.insert(contest.id.as_str()) {
            return Err(format!("contest '{}' is named twice", contest.id));
        }
        if contest.candidates.is_empty() {
            return Err(format!(
                "contest '{}' has no candidates: list its candidates or parties",
                contest.id
            ));
        }
        let mut names = HashSet::new();
        for candidate in &contest.candidates {
            check_id("candidate", &candidate.id)
                .map_err(|e| format!("contest '{}': {e}", contest.id))?;
            if !names.insert(candidate.id.as_str()) {
                return Err(format!(
                    "contest '{}': candidate '{}' is listed twice",
                    contest.id, candidate.id
                ));
            }
        }
        if contest.stations.as_ref().is_some_and(Vec::is_empty) {
            return Err(format!(
                "contest '{}' lists no stations: leave 'stations' out if every station votes in it",
                contest.id
            ));
        }
    }
    Ok(())
}

/// The answer id of `line` in `contest`'s protocol.
pub fn answer_id(contest: &str, line: &str) -> String {
    format!("{contest}.{line}")
}

/// A protocol answer id split into contest and line.
pub fn split_answer_id(id: &str) -> Option<(&str, &str)> {
    id.split_once('.')
}

/// The protocol section of a counting form without contests: the number questions asked once
/// the protocol is copied. Those named `votes_N` are the anonymous candidate lines that the
/// contests' candidates replace; the others are copied once per contest.
#[derive(Debug)]
pub struct ProtocolTemplate<'f> {
    pub lines: Vec<&'f Question>,
    pub anonymous_votes: Vec<&'f str>,
}

impl<'f> ProtocolTemplate<'f> {
    pub fn of(form: &'f Form) -> Option<Self> {
        let in_protocol = |q: &Question| {
            matches!(q.kind, QuestionKind::Number { .. })
                && q.relevant.as_ref().is_some_and(|r| {
                    r.question == PROTOCOL_COPIED && r.any_of == [Value::Bool(true)]
                })
        };
        let mut template = ProtocolTemplate {
            lines: Vec::new(),
            anonymous_votes: Vec::new(),
        };
        for q in form.questions.iter().filter(|q| in_protocol(q)) {
            if is_anonymous_votes(&q.id) {
                template.anonymous_votes.push(&q.id);
            } else {
                template.lines.push(q);
            }
        }
        (!template.lines.is_empty()).then_some(template)
    }

    fn holds(&self, id: &str) -> bool {
        self.anonymous_votes.contains(&id) || self.lines.iter().any(|q| q.id == id)
    }
}

fn is_anonymous_votes(id: &str) -> bool {
    id.strip_prefix("votes_")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// The languages a generated label is written in: the mission's three and any other the
/// texts use.
fn languages<'a>(texts: impl IntoIterator<Item = &'a Labels>) -> BTreeSet<String> {
    let mut langs: BTreeSet<String> = ["en", "ru", "kk"].map(str::to_owned).into();
    for labels in texts {
        langs.extend(labels.languages().map(str::to_owned));
    }
    langs
}

fn compose(langs: &BTreeSet<String>, text: impl Fn(&str) -> String) -> Labels {
    let map: std::collections::BTreeMap<String, String> =
        langs.iter().map(|l| (l.clone(), text(l))).collect();
    Labels::try_from(map).unwrap_or_else(|_| Labels::en(&text("en")))
}

fn against_all_label() -> Labels {
    compose(&languages([]), |lang| {
        match lang {
            "ru" => "Против всех",
            "kk" => "Бәріне қарсы",
            _ => "Against all",
        }
        .to_owned()
    })
}

/// `base`, a counting form without contests, as version `version` with its protocol section
/// copied once per contest: a question whether that contest's protocol was copied, its lines,
/// and a line per candidate (and "against all") in place of the anonymous `votes_N`. Checks
/// over the protocol are copied per contest, the candidates' votes in place of `votes_N`.
pub fn with_contests(base: &Form, contests: &[Contest], version: u32) -> Result<Form, String> {
    check_contests(contests)?;
    if !base.contests.is_empty() {
        return Err(format!(
            "form '{}' version {} already has contests: start from a version without them",
            base.id, base.version
        ));
    }
    let template = ProtocolTemplate::of(base).ok_or_else(|| {
        format!(
            "form '{}' has no protocol section (number questions asked when '{PROTOCOL_COPIED}' is yes) to copy per contest",
            base.id
        )
    })?;
    let first = base
        .questions
        .iter()
        .position(|q| template.holds(&q.id))
        .unwrap_or(base.questions.len());
    let mut questions: Vec<Question> = base.questions[..first]
        .iter()
        .filter(|q| !template.holds(&q.id))
        .cloned()
        .collect();
    for contest in contests {
        questions.extend(contest_questions(contest, &template));
    }
    questions.extend(
        base.questions[first..]
            .iter()
            .filter(|q| !template.holds(&q.id))
            .cloned(),
    );
    let mut checks: Vec<Check> = base
        .checks
        .iter()
        .filter(|c| !c.left.iter().chain(&c.right).any(|t| template.holds(t)))
        .cloned()
        .collect();
    for contest in contests {
        checks.extend(contest_checks(contest, base, &template));
    }
    let form = Form {
        id: base.id.clone(),
        version,
        stage: base.stage,
        title: base.title.clone(),
        questions,
        checks,
        contests: contests.to_vec(),
    };
    form.check_definition()?;
    Ok(form)
}

fn contest_questions(contest: &Contest, template: &ProtocolTemplate<'_>) -> Vec<Question> {
    let title = &contest.title;
    let copied = answer_id(&contest.id, COPIED);
    let langs = languages([title]);
    let mut questions = vec![Question {
        id: copied.clone(),
        label: compose(&langs, |lang| {
            let t = title.get(lang);
            match lang {
                "ru" => format!("Вы переписали протокол по выборам «{t}»?"),
                "kk" => format!("«{t}» сайлауы бойынша хаттаманы көшірдіңіз бе?"),
                _ => format!("Did you copy the protocol for \"{t}\"?"),
            }
        }),
        kind: QuestionKind::YesNo,
        required: false,
        relevant: Some(Relevance {
            question: PROTOCOL_COPIED.into(),
            any_of: vec![Value::Bool(true)],
        }),
        concern: None,
        not_observed: false,
    }];
    let when_copied = Relevance {
        question: copied,
        any_of: vec![Value::Bool(true)],
    };
    for line in &template.lines {
        let langs = languages([title, &line.label]);
        questions.push(Question {
            id: answer_id(&contest.id, &line.id),
            label: compose(&langs, |lang| {
                format!("{}: {}", title.get(lang), line.label.get(lang))
            }),
            relevant: Some(when_copied.clone()),
            ..(*line).clone()
        });
    }
    let votes = |id: String, name: &Labels| {
        let langs = languages([title, name]);
        Question {
            id,
            label: compose(&langs, |lang| {
                let (t, n) = (title.get(lang), name.get(lang));
                match lang {
                    "ru" => format!("{t}: голоса за «{n}»"),
                    "kk" => format!("{t}: «{n}» үшін дауыстар"),
                    _ => format!("{t}: votes for {n}"),
                }
            }),
            kind: QuestionKind::Number {
                min: Some(0),
                max: None,
            },
            required: false,
            relevant: Some(when_copied.clone()),
            concern: None,
            not_observed: false,
        }
    };
    for candidate in &contest.candidates {
        questions.push(votes(
            answer_id(&contest.id, &format!("{VOTES_PREFIX}{}", candidate.id)),
            &candidate.name,
        ));
    }
    if contest.against_all {
        let mut q = votes(answer_id(&contest.id, AGAINST_ALL), &against_all_label());
        let langs = languages([title]);
        q.label = compose(&langs, |lang| {
            format!("{}: {}", title.get(lang), against_all_label().get(lang))
        });
        questions.push(q);
    }
    questions
}

fn contest_checks(contest: &Contest, base: &Form, template: &ProtocolTemplate<'_>) -> Vec<Check> {
    let votes: Vec<String> = contest
        .vote_lines()
        .into_iter()
        .map(|line| answer_id(&contest.id, &line))
        .collect();
    let terms = |list: &[String]| -> Vec<String> {
        let mut out = Vec::new();
        let mut votes_done = false;
        for term in list {
            if template.anonymous_votes.contains(&term.as_str()) {
                if !votes_done {
                    out.extend(votes.iter().cloned());
                    votes_done = true;
                }
            } else if template.holds(term) {
                out.push(answer_id(&contest.id, term));
            } else {
                out.push(term.clone());
            }
        }
        out
    };
    base.checks
        .iter()
        .filter(|c| c.left.iter().chain(&c.right).any(|t| template.holds(t)))
        .map(|check| {
            let langs = languages([&contest.title, &check.message]);
            Check {
                id: answer_id(&contest.id, &check.id),
                left: terms(&check.left),
                right: terms(&check.right),
                message: compose(&langs, |lang| {
                    format!("{}: {}", contest.title.get(lang), check.message.get(lang))
                }),
                ..check.clone()
            }
        })
        .collect()
}

/// The protocol lines of `contest` in a form made by [`with_contests`], as the published
/// results name them: the copied lines, then the candidates'.
pub fn protocol_lines(form: &Form, contest: &Contest) -> Vec<String> {
    let prefix = format!("{}.", contest.id);
    form.questions
        .iter()
        .filter_map(|q| q.id.strip_prefix(&prefix))
        .filter(|line| *line != COPIED)
        .map(str::to_owned)
        .collect()
}

/// `form` as asked at `station`: without the protocol sections of the contests the station
/// does not vote in (their questions and checks). Answers valid for it are valid for `form`.
pub fn for_station(form: &Form, station: &StationCode) -> Form {
    let away: Vec<String> = form
        .contests
        .iter()
        .filter(|c| !c.voted_at(station))
        .map(|c| format!("{}.", c.id))
        .collect();
    let mut local = form.clone();
    if away.is_empty() {
        return local;
    }
    let elsewhere = |id: &str| away.iter().any(|prefix| id.starts_with(prefix.as_str()));
    local.questions.retain(|q| !elsewhere(&q.id));
    local.checks.retain(|c| !elsewhere(&c.id));
    local
}

/// Lines copied for a contest the checklist's station does not vote in: errors, since those
/// figures belong to no protocol of that station.
pub fn station_issues(
    form: &Form,
    station: &StationCode,
    answers: &Map<String, Value>,
) -> Vec<Issue> {
    form.contests
        .iter()
        .filter(|c| !c.voted_at(station))
        .filter(|c| {
            answers
                .get(&answer_id(&c.id, COPIED))
                .is_some_and(|v| v == &Value::Bool(true))
        })
        .map(|c| {
            Issue::error(
                Some(&answer_id(&c.id, COPIED)),
                IssueKind::OutOfRange,
                format!(
                    "station '{station}' does not vote in \"{}\": answer no, and copy only the protocols of the contests this station votes in",
                    c.title.get("en")
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validate;
    use serde_json::json;

    fn counting() -> Form {
        crate::default_forms::version_two()
            .expect("forms")
            .into_iter()
            .find(|f| f.id.as_str() == "counting")
            .expect("counting")
    }

    fn contests() -> Vec<Contest> {
        Contests::from_json(
            r#"{"contests": [
                {"id": "party-list", "title": {"en": "Party list", "ru": "Партийный список"},
                 "candidates": [{"id": "amanat", "name": {"en": "Amanat"}},
                                {"id": "ak-zhol", "name": {"en": "Ak Zhol"}}],
                 "against_all": true},
                {"id": "district-5", "title": {"en": "District 5"},
                 "candidates": [{"id": "ivanova", "name": {"en": "Ivanova", "ru": "Иванова"}}],
                 "stations": ["ALA-002"]}
            ]}"#,
        )
        .expect("contests")
        .contests
    }

    #[test]
    fn the_protocol_is_copied_once_per_contest_with_a_line_per_candidate() {
        let form = with_contests(&counting(), &contests(), 3).expect("form");
        assert_eq!(form.version, 3);
        for id in [
            "party-list.copied",
            "party-list.valid_ballots",
            "party-list.votes.amanat",
            "party-list.votes.ak-zhol",
            "party-list.against_all",
            "district-5.valid_ballots",
            "district-5.votes.ivanova",
        ] {
            assert!(form.question(id).is_some(), "{id}");
        }
        assert!(form.question("votes_1").is_none());
        assert!(form.question("valid_ballots").is_none());
        assert!(form.question("district-5.against_all").is_none());
        assert_eq!(
            form.question("district-5.votes.ivanova")
                .expect("line")
                .label
                .get("ru"),
            "District 5: голоса за «Иванова»"
        );
        let lines = protocol_lines(&form, &form.contests[0]);
        assert!(lines.contains(&"votes.amanat".to_owned()));
        assert!(!lines.contains(&"copied".to_owned()));
        assert_eq!(
            form.questions.last().map(|q| q.id.as_str()),
            Some("overall")
        );

        let sum = form
            .checks
            .iter()
            .find(|c| c.id == "party-list.valid_equals_votes")
            .expect("the votes check per contest");
        assert_eq!(sum.left, ["party-list.valid_ballots"]);
        assert_eq!(
            sum.right,
            [
                "party-list.votes.amanat",
                "party-list.votes.ak-zhol",
                "party-list.against_all"
            ]
        );
    }

    #[test]
    fn the_candidates_votes_are_checked_against_the_valid_ballots() {
        let form = with_contests(&counting(), &contests(), 3).expect("form");
        let mut answers: Map<String, Value> =
            serde_json::from_str(include_str!("../../examples/counting-answers.json"))
                .expect("example");
        // The example's protocol, copied as the party list's.
        let copied: Vec<(String, Value)> = answers
            .iter()
            .filter(|(k, _)| form.question(&answer_id("party-list", k)).is_some())
            .map(|(k, v)| (answer_id("party-list", k), v.clone()))
            .collect();
        answers.retain(|k, _| form.question(k).is_some());
        answers.extend(copied);
        for (k, v) in [
            ("party-list.copied", json!(true)),
            ("party-list.valid_ballots", json!(1215)),
            ("party-list.votes.amanat", json!(900)),
            ("party-list.votes.ak-zhol", json!(200)),
            ("party-list.against_all", json!(100)),
        ] {
            answers.insert(k.into(), v);
        }
        let v = validate(&form, &answers);
        assert!(v.is_valid(), "{:?}", v.issues);
        assert!(
            v.warnings().any(
                |w| w.check.as_deref() == Some("party-list.valid_equals_votes")
                    || w.message.contains("sum of votes")
            ),
            "1200 votes for 1215 valid ballots: {:?}",
            v.issues
        );
        let station = StationCode::parse("ALA-001").expect("code");
        assert!(station_issues(&form, &station, &answers).is_empty());
        // Laptops do not ask there about the district's protocol.
        let local = for_station(&form, &station);
        assert!(local.question("district-5.copied").is_none());
        assert!(
            local
                .checks
                .iter()
                .all(|c| !c.id.starts_with("district-5."))
        );
        assert!(local.question("party-list.votes.amanat").is_some());
        assert!(validate(&local, &answers).is_valid(), "the same answers");
        let there = StationCode::parse("ALA-002").expect("code");
        assert_eq!(for_station(&form, &there), form);
        answers.insert("district-5.copied".into(), json!(true));
        assert_eq!(station_issues(&form, &station, &answers).len(), 1);
    }

    #[test]
    fn bad_contest_files_say_what_is_wrong() {
        for (text, expect) in [
            (r#"{"contests": []}"#, "no contest"),
            (
                r#"{"contests": [{"id": "A", "title": {"en": "x"}, "candidates": [{"id": "a", "name": {"en": "a"}}]}]}"#,
                "lower-case",
            ),
            (
                r#"{"contests": [{"id": "a", "title": {"en": "x"}, "candidates": []}]}"#,
                "no candidates",
            ),
            (
                r#"{"contests": [{"id": "a", "title": {"ru": "x"}, "candidates": []}]}"#,
                "contests[0].title",
            ),
        ] {
            let e = Contests::from_json(text).expect_err(text);
            assert!(e.contains(expect), "{e}");
        }
    }
}
