//! Validation of a set of answers against a form.
//!
//! The same code runs on the laptop, to help the observer while typing, and on the server, to
//! protect the data. Every issue names the question (or check) and says in plain words what is
//! wrong.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::form::{Assessment, Check, Form, NOT_OBSERVED, Question, QuestionKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Severity {
    /// The checklist cannot be saved or accepted until this is fixed.
    Error,
    /// Worth a second look, but the checklist is accepted: a protocol that fails a control
    /// relation is a finding, not a typing mistake.
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IssueKind {
    UnknownQuestion,
    WrongType,
    OutOfRange,
    UnknownChoice,
    TooLong,
    Required,
    NotRelevant,
    CheckFailed,
    UnknownForm,
    UnknownStation,
    /// A choice that stands alone ("none") was ticked with others.
    ExclusiveChoice,
    /// The form is not filed at this kind of station (a voting checklist at a commission).
    WrongStationLevel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Issue {
    /// The question the issue is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// The arithmetic check that failed, for `check_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    pub kind: IssueKind,
    pub severity: Severity,
    pub message: String,
}

impl Issue {
    pub fn error(question: Option<&str>, kind: IssueKind, message: String) -> Self {
        Self {
            question: question.map(str::to_owned),
            check: None,
            kind,
            severity: Severity::Error,
            message,
        }
    }
}

/// The result of validating a checklist: errors block it, warnings do not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validation {
    pub issues: Vec<Issue>,
}

impl Validation {
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }

    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
    }
}

/// Validates a whole checklist: its answers against `form`, the length of its notes, and its
/// observation time against `window` around `now` (the laptop's clock when it is saved, the
/// server's when it arrives).
pub fn validate_submission(
    form: &Form,
    content: &crate::SubmissionContent,
    window: &crate::limits::ObservationWindow,
    now: chrono::DateTime<chrono::Utc>,
) -> Validation {
    let mut validation = validate(form, &content.answers);
    validation.issues.extend(crate::contest::station_issues(
        form,
        &content.station,
        &content.answers,
    ));
    validation
        .issues
        .extend(crate::limits::check_notes(&content.notes));
    validation
        .issues
        .extend(window.check(content.observed_at, now));
    validation
}

/// Validates `answers` against `form`.
pub fn validate(form: &Form, answers: &Map<String, Value>) -> Validation {
    let mut issues = Vec::new();

    for key in answers.keys() {
        if form.question(key).is_none() {
            issues.push(Issue::error(
                Some(key),
                IssueKind::UnknownQuestion,
                format!(
                    "'{key}' is not a question of form '{}' version {}: remove this answer",
                    form.id, form.version
                ),
            ));
        }
    }

    let mut relevant: HashSet<&str> = HashSet::new();
    let mut numbers: HashMap<&str, i64> = HashMap::new();
    for q in &form.questions {
        let answer = answers.get(&q.id).filter(|v| !v.is_null());
        if !is_relevant(q, answers, &relevant) {
            if answer.is_some() {
                issues.push(Issue::error(
                    Some(&q.id),
                    IssueKind::NotRelevant,
                    match &q.relevant {
                        Some(rel) => format!(
                            "{}: asked only when '{}' is {}, and it is {}: remove this answer (or change '{}')",
                            describe(q),
                            rel.question,
                            rel.any_of
                                .iter()
                                .map(Value::to_string)
                                .collect::<Vec<_>>()
                                .join(" or "),
                            answers
                                .get(&rel.question)
                                .map_or_else(|| "unanswered".to_owned(), Value::to_string),
                            rel.question
                        ),
                        None => format!(
                            "{}: this question does not apply given the earlier answers, so it must be left unanswered",
                            describe(q)
                        ),
                    },
                ));
            }
            continue;
        }
        relevant.insert(&q.id);
        match answer {
            None if q.required => issues.push(Issue::error(
                Some(&q.id),
                IssueKind::Required,
                format!("{}: an answer is required", describe(q)),
            )),
            None => {}
            Some(value) => match check_answer(q, value) {
                Ok(Some(n)) => {
                    numbers.insert(&q.id, n);
                }
                Ok(None) => {}
                Err(issue) => issues.push(issue),
            },
        }
    }

    for check in &form.checks {
        if let Some(issue) = run_check(form, check, &numbers) {
            issues.push(issue);
        }
    }

    Validation { issues }
}

/// Whether `question` is asked, given the answers so far and which earlier questions were.
pub fn is_relevant(
    question: &Question,
    answers: &Map<String, Value>,
    asked: &HashSet<&str>,
) -> bool {
    let Some(rel) = &question.relevant else {
        return true;
    };
    if !asked.contains(rel.question.as_str()) {
        return false;
    }
    match answers.get(&rel.question) {
        None | Some(Value::Null) => false,
        Some(Value::Array(items)) => items.iter().any(|v| rel.any_of.contains(v)),
        Some(v) => rel.any_of.contains(v),
    }
}

fn describe(q: &Question) -> String {
    format!("Question '{}' ({})", q.id, q.label.get("en"))
}

fn wrong_type(q: &Question, expected: &str, got: &Value) -> Issue {
    Issue::error(
        Some(&q.id),
        IssueKind::WrongType,
        if q.not_observed {
            format!(
                "{}: the answer must be {expected} (or \"{NOT_OBSERVED}\" if you could not see it), not {got}",
                describe(q)
            )
        } else {
            format!("{}: the answer must be {expected}, not {got}", describe(q))
        },
    )
}

/// Checks one answer's type and bounds on its own (no relevance, no cross-question checks),
/// as a questionnaire does while the observer types.
pub fn answer_issue(q: &Question, value: &Value) -> Option<Issue> {
    check_answer(q, value).err()
}

/// Checks one answer's type and bounds; returns the integer for number questions.
fn check_answer(q: &Question, value: &Value) -> Result<Option<i64>, Issue> {
    if q.not_observed && value.as_str() == Some(NOT_OBSERVED) {
        // Valid, and no number for the checks: a check over it is not evaluated.
        return Ok(None);
    }
    match &q.kind {
        QuestionKind::YesNo => match value {
            Value::Bool(_) => Ok(None),
            other => Err(wrong_type(q, "yes (true) or no (false)", other)),
        },
        QuestionKind::SingleChoice { choices } => {
            let id = value
                .as_str()
                .ok_or_else(|| wrong_type(q, "one choice id as a string", value))?;
            if choices.iter().any(|c| c.id == id) {
                Ok(None)
            } else {
                Err(unknown_choice(q, id))
            }
        }
        QuestionKind::MultiChoice { choices } => {
            let items = value
                .as_array()
                .ok_or_else(|| wrong_type(q, "a list of choice ids", value))?;
            let mut seen = HashSet::new();
            for item in items {
                let id = item
                    .as_str()
                    .ok_or_else(|| wrong_type(q, "a list of choice ids (strings)", value))?;
                if !choices.iter().any(|c| c.id == id) {
                    return Err(unknown_choice(q, id));
                }
                if !seen.insert(id) {
                    return Err(Issue::error(
                        Some(&q.id),
                        IssueKind::WrongType,
                        format!("{}: choice '{id}' is listed twice", describe(q)),
                    ));
                }
            }
            if seen.len() > 1
                && let Some(alone) = choices
                    .iter()
                    .find(|c| c.exclusive && seen.contains(c.id.as_str()))
            {
                return Err(Issue::error(
                    Some(&q.id),
                    IssueKind::ExclusiveChoice,
                    format!(
                        "{}: '{}' cannot be ticked together with other choices; untick it or the others",
                        describe(q),
                        alone.id
                    ),
                ));
            }
            Ok(None)
        }
        QuestionKind::Number { min, max } => {
            let n = value
                .as_i64()
                .ok_or_else(|| wrong_type(q, "a whole number", value))?;
            let below = min.is_some_and(|m| n < m);
            let above = max.is_some_and(|m| n > m);
            if below || above {
                let range = match (min, max) {
                    (Some(lo), Some(hi)) => format!("between {lo} and {hi}"),
                    (Some(lo), None) => format!("at least {lo}"),
                    (None, Some(hi)) => format!("at most {hi}"),
                    (None, None) => String::new(),
                };
                return Err(Issue::error(
                    Some(&q.id),
                    IssueKind::OutOfRange,
                    format!(
                        "{}: {n} is out of range; the answer must be {range}",
                        describe(q)
                    ),
                ));
            }
            Ok(Some(n))
        }
        QuestionKind::Text { max_length } => {
            let text = value.as_str().ok_or_else(|| wrong_type(q, "text", value))?;
            // No form can ask for more than the shared bound.
            let limit = max_length.map_or(crate::limits::MAX_TEXT_ANSWER_CHARS, |m| {
                m.min(crate::limits::MAX_TEXT_ANSWER_CHARS)
            });
            match limit {
                limit if text.chars().count() > limit => Err(Issue::error(
                    Some(&q.id),
                    IssueKind::TooLong,
                    format!(
                        "{}: the text is longer than {limit} characters",
                        describe(q)
                    ),
                )),
                _ => Ok(None),
            }
        }
        QuestionKind::Time => {
            let text = value
                .as_str()
                .ok_or_else(|| wrong_type(q, "a time as \"HH:MM\"", value))?;
            if parse_time(text).is_some() {
                Ok(None)
            } else {
                Err(Issue::error(
                    Some(&q.id),
                    IssueKind::WrongType,
                    format!(
                        "{}: '{text}' is not a time; write it as HH:MM on the 24-hour clock, e.g. 07:45",
                        describe(q)
                    ),
                ))
            }
        }
        QuestionKind::Assessment => {
            let ok = value.as_str().and_then(Assessment::parse).is_some();
            if ok {
                Ok(None)
            } else {
                Err(wrong_type(
                    q,
                    "one of very_good, good, bad, very_bad",
                    value,
                ))
            }
        }
    }
}

fn unknown_choice(q: &Question, id: &str) -> Issue {
    let ids: Vec<&str> = q.kind.choices().iter().map(|c| c.id.as_str()).collect();
    Issue::error(
        Some(&q.id),
        IssueKind::UnknownChoice,
        format!(
            "{}: '{id}' is not one of the choices ({})",
            describe(q),
            ids.join(", ")
        ),
    )
}

/// Parses `HH:MM` (24-hour clock) into minutes since midnight.
pub fn parse_time(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// A check's two sums and whether the relation holds; `None` when a term it needs is not
/// answered (or not observed), so the check cannot be evaluated. With `missing_as_zero`,
/// each side still needs one answered term: a protocol not copied at all is not a protocol
/// that fails to add up.
fn evaluate(check: &Check, numbers: &HashMap<&str, i64>) -> Option<(i128, i128, bool)> {
    let answered = |terms: &[String]| terms.iter().any(|t| numbers.contains_key(t.as_str()));
    if check.missing_as_zero && !(answered(&check.left) && answered(&check.right)) {
        return None;
    }
    let sum = |terms: &[String]| -> Option<i128> {
        terms
            .iter()
            .try_fold(0i128, |acc, t| match numbers.get(t.as_str()) {
                Some(n) => Some(acc + i128::from(*n)),
                None if check.missing_as_zero => Some(acc),
                None => None,
            })
    };
    let left = sum(&check.left)?;
    let right = sum(&check.right)?;
    let holds = check
        .op
        .holds(left * 100, right * i128::from(check.right_percent));
    Some((left, right, holds))
}

/// For a stored checklist: each of the form's checks that its answers let be evaluated, and
/// whether it held. A check over figures not copied is left out, so "failed in N of M" counts
/// only the protocols that were copied. Checks that need the station list are left to
/// [`station_check_figures`] and [`check_holds`].
pub fn check_outcomes<'f>(form: &'f Form, answers: &Map<String, Value>) -> Vec<(&'f str, bool)> {
    let numbers = number_answers(form, answers);
    form.checks
        .iter()
        .filter(|check| !check.uses_station())
        .filter_map(|check| {
            let (_, _, holds) = evaluate(check, &numbers)?;
            Some((check.id.as_str(), holds))
        })
        .collect()
}

fn number_answers<'f>(form: &'f Form, answers: &Map<String, Value>) -> HashMap<&'f str, i64> {
    form.questions
        .iter()
        .filter(|q| matches!(q.kind, QuestionKind::Number { .. }))
        .filter_map(|q| Some((q.id.as_str(), answers.get(&q.id)?.as_i64()?)))
        .collect()
}

/// The checks that need the station list, each with the copied figures it uses, to be
/// decided where the station is known ([`check_holds`]).
pub fn station_check_figures(
    form: &Form,
    answers: &Map<String, Value>,
) -> Vec<(crate::form::Check, Vec<(String, i64)>)> {
    if !form.checks.iter().any(crate::form::Check::uses_station) {
        return Vec::new();
    }
    let numbers = number_answers(form, answers);
    form.checks
        .iter()
        .filter(|check| check.uses_station())
        .map(|check| {
            let used = check
                .left
                .iter()
                .chain(&check.right)
                .filter_map(|t| Some((t.clone(), *numbers.get(t.as_str())?)))
                .collect();
            (check.clone(), used)
        })
        .collect()
}

/// Whether a check holds over these figures; `None` when a figure it needs is missing.
pub fn check_holds(check: &crate::form::Check, figures: &[(String, i64)]) -> Option<bool> {
    let numbers: HashMap<&str, i64> = figures.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    evaluate(check, &numbers).map(|(_, _, holds)| holds)
}

fn run_check(form: &Form, check: &Check, numbers: &HashMap<&str, i64>) -> Option<Issue> {
    let (left, right, holds) = evaluate(check, numbers)?;
    if holds {
        return None;
    }
    let label = |terms: &[String]| -> String {
        terms
            .iter()
            .map(|t| form.question(t).map_or(t.as_str(), |q| q.label.get("en")))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let percent = if check.right_percent == 100 {
        String::new()
    } else {
        format!("{}% of ", check.right_percent)
    };
    Some(Issue {
        question: check.left.first().cloned(),
        check: Some(check.id.clone()),
        kind: IssueKind::CheckFailed,
        severity: check.severity,
        message: format!(
            "{} (expected {} [{left}] {} {percent}{} [{right}])",
            check.message.get("en"),
            label(&check.left),
            check.op.symbol(),
            label(&check.right),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> Form {
        Form::from_json(
            &json!({
                "id": "t", "version": 1, "stage": "counting", "title": {"en": "Test"},
                "questions": [
                    {"id": "opened_on_time", "type": "yes_no", "label": {"en": "Opened on time?"}, "required": true,
                     "concern": {"answers": [false]}},
                    {"id": "minutes_late", "type": "number", "min": 0, "max": 600, "label": {"en": "Minutes late"},
                     "required": true, "relevant": {"question": "opened_on_time", "any_of": [false]}},
                    {"id": "reason", "type": "text", "max_length": 10, "label": {"en": "Reason"},
                     "relevant": {"question": "minutes_late", "any_of": [5, 10]}},
                    {"id": "material", "type": "multi_choice", "label": {"en": "Missing"},
                     "choices": [{"id": "ink", "label": {"en": "Ink"}}, {"id": "seals", "label": {"en": "Seals"}}]},
                    {"id": "seal_note", "type": "text", "label": {"en": "Seals"},
                     "relevant": {"question": "material", "any_of": ["seals"]}},
                    {"id": "who", "type": "single_choice", "label": {"en": "Who"},
                     "choices": [{"id": "chair", "label": {"en": "Chair"}}]},
                    {"id": "arrived", "type": "time", "label": {"en": "Arrival"}},
                    {"id": "valid", "type": "number", "label": {"en": "Valid"}},
                    {"id": "invalid", "type": "number", "label": {"en": "Invalid"}},
                    {"id": "in_box", "type": "number", "label": {"en": "In box"}},
                    {"id": "overall", "type": "assessment", "label": {"en": "Overall"}, "required": true}
                ],
                "checks": [
                    {"id": "box", "left": ["in_box"], "op": "=", "right": ["valid", "invalid"],
                     "severity": "warning", "message": {"en": "Ballots in the box must equal valid + invalid"}},
                    {"id": "valid_le_box", "left": ["valid"], "op": "<=", "right": ["in_box"], "right_percent": 100,
                     "severity": "error", "message": {"en": "Valid ballots cannot exceed ballots in the box"}}
                ]
            })
            .to_string(),
        )
        .expect("test form is consistent")
    }

    fn answers(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    fn kinds(v: &Validation) -> Vec<(Option<&str>, IssueKind, Severity)> {
        v.issues
            .iter()
            .map(|i| (i.question.as_deref(), i.kind, i.severity))
            .collect()
    }

    #[test]
    fn a_complete_checklist_is_valid() {
        let v = validate(
            &form(),
            &answers(json!({"opened_on_time": true, "overall": "good"})),
        );
        assert!(v.issues.is_empty(), "{v:?}");
        assert!(v.is_valid());
    }

    #[test]
    fn missing_required_answers_are_errors() {
        let v = validate(&form(), &answers(json!({})));
        assert_eq!(
            kinds(&v),
            vec![
                (Some("opened_on_time"), IssueKind::Required, Severity::Error),
                (Some("overall"), IssueKind::Required, Severity::Error),
            ]
        );
        assert!(v.issues[0].message.contains("Opened on time?"));
        assert!(!v.is_valid());
    }

    #[test]
    fn null_counts_as_unanswered() {
        let v = validate(
            &form(),
            &answers(json!({"opened_on_time": null, "overall": "good"})),
        );
        assert_eq!(
            kinds(&v),
            vec![(Some("opened_on_time"), IssueKind::Required, Severity::Error)]
        );
    }

    #[test]
    fn unknown_questions_are_errors() {
        let v = validate(
            &form(),
            &answers(json!({"opened_on_time": true, "overall": "good", "colour": "red"})),
        );
        assert_eq!(
            kinds(&v),
            vec![(Some("colour"), IssueKind::UnknownQuestion, Severity::Error)]
        );
    }

    #[test]
    fn relevance_follows_earlier_answers() {
        // minutes_late becomes required once the station opened late
        let v = validate(
            &form(),
            &answers(json!({"opened_on_time": false, "overall": "bad"})),
        );
        assert_eq!(
            kinds(&v),
            vec![(Some("minutes_late"), IssueKind::Required, Severity::Error)]
        );
        // ... and must not be answered when it opened on time
        let v = validate(
            &form(),
            &answers(json!({"opened_on_time": true, "minutes_late": 5, "overall": "good"})),
        );
        assert_eq!(
            kinds(&v),
            vec![(
                Some("minutes_late"),
                IssueKind::NotRelevant,
                Severity::Error
            )]
        );
        // The message names the answer that controls it, so an answers file can be fixed.
        assert!(
            v.issues[0]
                .message
                .contains("asked only when 'opened_on_time' is false, and it is true"),
            "{}",
            v.issues[0].message
        );
    }

    #[test]
    fn relevance_is_transitive() {
        // reason depends on minutes_late, which is not asked when opened_on_time is true.
        let v = validate(
            &form(),
            &answers(json!({"opened_on_time": true, "reason": "x", "overall": "good"})),
        );
        assert_eq!(
            kinds(&v),
            vec![(Some("reason"), IssueKind::NotRelevant, Severity::Error)]
        );
        let v = validate(
            &form(),
            &answers(
                json!({"opened_on_time": false, "minutes_late": 10, "reason": "x", "overall": "good"}),
            ),
        );
        assert!(v.is_valid(), "{v:?}");
    }

    #[test]
    fn relevance_on_multi_choice_means_contains() {
        let ok = json!({"opened_on_time": true, "material": ["ink", "seals"], "seal_note": "broken", "overall": "good"});
        assert!(validate(&form(), &answers(ok)).is_valid());
        let bad = json!({"opened_on_time": true, "material": ["ink"], "seal_note": "broken", "overall": "good"});
        assert_eq!(
            kinds(&validate(&form(), &answers(bad))),
            vec![(Some("seal_note"), IssueKind::NotRelevant, Severity::Error)]
        );
    }

    #[test]
    fn a_choice_that_stands_alone_cannot_be_ticked_with_others() {
        let form = Form::from_json(
            &json!({
                "id": "t", "version": 1, "stage": "incident", "title": {"en": "Test"},
                "questions": [{"id": "missing", "type": "multi_choice", "label": {"en": "Missing"},
                    "choices": [
                        {"id": "ballots", "label": {"en": "Ballots"}},
                        {"id": "seals", "label": {"en": "Seals"}},
                        {"id": "none", "label": {"en": "Nothing"}, "exclusive": true}
                    ]}]
            })
            .to_string(),
        )
        .expect("form");
        let check = |answer: Value| {
            validate(
                &form,
                json!({ "missing": answer }).as_object().expect("object"),
            )
        };
        assert!(check(json!(["none"])).is_valid());
        assert!(check(json!(["ballots", "seals"])).is_valid());
        let both = check(json!(["ballots", "none"]));
        assert_eq!(
            both.errors().map(|i| i.kind).collect::<Vec<_>>(),
            [IssueKind::ExclusiveChoice]
        );
        assert!(both.issues[0].message.contains("'none'"), "{both:?}");
    }

    #[test]
    fn wrong_types_are_errors_with_the_expected_type() {
        let cases = [
            ("opened_on_time", json!("yes")),
            ("overall", json!("excellent")),
            ("valid", json!(3.5)),
            ("valid", json!("12")),
            ("arrived", json!("7:45")),
            ("arrived", json!("24:00")),
            ("material", json!("ink")),
            ("who", json!(1)),
        ];
        for (question, value) in cases {
            let mut a = answers(json!({"opened_on_time": true, "overall": "good"}));
            a.insert(question.into(), value.clone());
            let v = validate(&form(), &a);
            let issue = v
                .errors()
                .find(|i| i.question.as_deref() == Some(question))
                .unwrap_or_else(|| panic!("{question}={value} should be an error: {v:?}"));
            assert!(
                matches!(issue.kind, IssueKind::WrongType),
                "{question}={value}: {issue:?}"
            );
        }
    }

    #[test]
    fn choices_and_ranges_are_checked() {
        let a = answers(
            json!({"opened_on_time": false, "minutes_late": 601, "who": "guard", "material": ["ink", "ink"], "overall": "good"}),
        );
        let v = validate(&form(), &a);
        assert_eq!(
            kinds(&v),
            vec![
                (Some("minutes_late"), IssueKind::OutOfRange, Severity::Error),
                (Some("material"), IssueKind::WrongType, Severity::Error),
                (Some("who"), IssueKind::UnknownChoice, Severity::Error),
            ]
        );
        assert!(
            v.issues[0].message.contains("between 0 and 600"),
            "{}",
            v.issues[0].message
        );
        assert!(v.issues[2].message.contains("chair"));
    }

    #[test]
    fn text_length_is_bounded() {
        let a = answers(
            json!({"opened_on_time": false, "minutes_late": 5, "reason": "far too long a reason", "overall": "good"}),
        );
        assert_eq!(
            kinds(&validate(&form(), &a)),
            vec![(Some("reason"), IssueKind::TooLong, Severity::Error)]
        );
    }

    #[test]
    fn arithmetic_checks_warn_or_fail_as_the_form_says() {
        let good = json!({"opened_on_time": true, "overall": "good", "valid": 90, "invalid": 10, "in_box": 100});
        assert!(validate(&form(), &answers(good)).issues.is_empty());

        let mismatch = json!({"opened_on_time": true, "overall": "good", "valid": 90, "invalid": 5, "in_box": 100});
        let v = validate(&form(), &answers(mismatch));
        assert_eq!(
            kinds(&v),
            vec![(Some("in_box"), IssueKind::CheckFailed, Severity::Warning)]
        );
        assert!(v.is_valid(), "a warning does not block the checklist");
        assert!(v.issues[0].message.contains("[100]") && v.issues[0].message.contains("[95]"));

        let impossible = json!({"opened_on_time": true, "overall": "good", "valid": 120, "invalid": 0, "in_box": 100});
        let v = validate(&form(), &answers(impossible));
        assert_eq!(
            kinds(&v),
            vec![
                (Some("in_box"), IssueKind::CheckFailed, Severity::Warning),
                (Some("valid"), IssueKind::CheckFailed, Severity::Error),
            ]
        );
        assert!(!v.is_valid());
    }

    #[test]
    fn checks_with_unanswered_terms_are_skipped() {
        let partial = json!({"opened_on_time": true, "overall": "good", "in_box": 100});
        assert!(validate(&form(), &answers(partial)).issues.is_empty());
    }

    #[test]
    fn percent_checks_compare_against_a_share() {
        let mut f = form();
        f.checks = vec![Check {
            id: "turnout".into(),
            left: vec!["in_box".into()],
            op: crate::form::CheckOp::Le,
            right: vec!["valid".into()],
            right_percent: 90,
            missing_as_zero: false,
            severity: Severity::Warning,
            message: crate::form::Labels::en("Turnout above 90%"),
        }];
        let at =
            |n: i64| json!({"opened_on_time": true, "overall": "good", "valid": 1000, "in_box": n});
        assert!(validate(&f, &answers(at(900))).issues.is_empty());
        assert_eq!(validate(&f, &answers(at(901))).warnings().count(), 1);
    }

    #[test]
    fn time_parsing() {
        assert_eq!(parse_time("00:00"), Some(0));
        assert_eq!(parse_time("23:59"), Some(23 * 60 + 59));
        assert_eq!(parse_time("7:45"), None);
        assert_eq!(parse_time("12:60"), None);
        assert_eq!(parse_time("ab:cd"), None);
    }

    #[test]
    fn definitions_with_mistakes_are_refused() {
        let bad = json!({"id": "t", "version": 1, "stage": "voting", "title": {"en": "T"},
            "questions": [{"id": "a", "type": "yes_no", "label": {"en": "A"},
                           "relevant": {"question": "b", "any_of": [true]}},
                          {"id": "b", "type": "yes_no", "label": {"en": "B"}},
                          {"id": "overall", "type": "assessment", "label": {"en": "O"}}]});
        let err = Form::from_json(&bad.to_string()).expect_err("forward reference");
        assert!(err.contains("not an earlier question"), "{err}");

        let no_overall = json!({"id": "t", "version": 1, "stage": "voting", "title": {"en": "T"},
            "questions": [{"id": "a", "type": "yes_no", "label": {"en": "A"}}]});
        let err = Form::from_json(&no_overall.to_string()).expect_err("no overall");
        assert!(err.contains("overall"), "{err}");
    }
}
