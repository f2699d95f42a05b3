//! What one checklist contributes to the statistics, computed once when it arrives so that
//! the store can keep running totals without knowing anything about forms.

use eom_shared::Assessment;
use eom_shared::form::{
    ACCESS_KINDS_QUESTION, ACCESS_QUESTION, Form, OVERALL_QUESTION, is_not_observed,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An answered question that has a `concern`: whether the problem was seen, and whether it is
/// critical.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub question: String,
    pub concern: bool,
    pub critical: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contribution {
    pub overall: Option<Assessment>,
    /// `Some(true)` when observers were restricted; `None` when the question was not answered.
    pub restricted: Option<bool>,
    pub findings: Vec<Finding>,
    /// Checks against the station list (the protocol's voters against the station's
    /// registered voters), with the copied figures they use: decided by
    /// [`super::Counted::new`] once the station is known.
    pub station_checks: Vec<(eom_shared::form::Check, Vec<(String, i64)>)>,
}

/// Before a check's id in the tally of findings, where checks are kept beside questions: a
/// question id cannot hold ':', so the two never meet.
const CHECK_KEY_PREFIX: &str = "check:";

/// The tally key of a form's arithmetic check: `concern` is "failed", `answered` is "could be
/// evaluated" (every figure it needs was copied).
pub fn check_key(check_id: &str) -> String {
    format!("{CHECK_KEY_PREFIX}{check_id}")
}

/// The check id of a tally key, if it is a check's.
pub fn check_of_key(key: &str) -> Option<&str> {
    key.strip_prefix(CHECK_KEY_PREFIX)
}

/// Before a kind of restriction (a choice of [`ACCESS_KINDS_QUESTION`]) in the tally of
/// findings: `answered` counts the restricted observations that said how, `concern` those
/// that named this kind.
const RESTRICTION_KEY_PREFIX: &str = "restriction:";

pub fn restriction_key(choice_id: &str) -> String {
    format!("{RESTRICTION_KEY_PREFIX}{choice_id}")
}

/// The kind of restriction of a tally key, if it is one.
pub fn restriction_of_key(key: &str) -> Option<&str> {
    key.strip_prefix(RESTRICTION_KEY_PREFIX)
}

pub fn contribution(form: &Form, answers: &Map<String, Value>) -> Contribution {
    let overall = answers
        .get(OVERALL_QUESTION)
        .and_then(Value::as_str)
        .and_then(Assessment::parse);
    let restricted = answers
        .get(ACCESS_QUESTION)
        .and_then(Value::as_bool)
        .map(|unrestricted| !unrestricted);
    let findings = form
        .questions
        .iter()
        .filter_map(|q| {
            let concern = q.concern.as_ref()?;
            // Not observed: in no numerator and no denominator.
            let answer = answers
                .get(&q.id)
                .filter(|v| !v.is_null() && !is_not_observed(v))?;
            let seen = concern.is_seen_in(answer);
            Some(Finding {
                question: q.id.clone(),
                concern: seen,
                critical: seen && concern.critical,
            })
        })
        .chain(restriction_kinds(form, answers))
        .chain(
            eom_shared::validate::check_outcomes(form, answers)
                .into_iter()
                .map(|(id, holds)| Finding {
                    question: check_key(id),
                    concern: !holds,
                    critical: false,
                }),
        )
        .collect();
    Contribution {
        overall,
        restricted,
        findings,
        station_checks: eom_shared::validate::station_check_figures(form, answers),
    }
}

/// One finding per kind of restriction the form offers, when the observer said how they
/// were restricted: seen if they ticked it.
fn restriction_kinds(form: &Form, answers: &Map<String, Value>) -> Vec<Finding> {
    let Some(question) = form.question(ACCESS_KINDS_QUESTION) else {
        return Vec::new();
    };
    let Some(ticked) = answers.get(ACCESS_KINDS_QUESTION).and_then(Value::as_array) else {
        return Vec::new();
    };
    question
        .kind
        .choices()
        .iter()
        .map(|choice| Finding {
            question: restriction_key(&choice.id),
            concern: ticked
                .iter()
                .any(|t| t.as_str() == Some(choice.id.as_str())),
            critical: false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use eom_shared::default_forms::default_forms;
    use serde_json::json;

    #[test]
    fn findings_cover_answered_concern_questions_only() {
        let forms = default_forms().expect("forms");
        let voting = forms
            .iter()
            .find(|f| f.id.as_str() == "voting")
            .expect("voting");
        let answers = json!({
            "observers_unrestricted": false,
            "box_stuffing": true,
            "group_voting": false,
            "arrival_time": "09:00",
            "overall": "very_bad"
        });
        let c = contribution(voting, answers.as_object().expect("object"));
        assert_eq!(c.overall, Some(Assessment::VeryBad));
        assert_eq!(c.restricted, Some(true));
        let seen: Vec<(&str, bool, bool)> = c
            .findings
            .iter()
            .map(|f| (f.question.as_str(), f.concern, f.critical))
            .collect();
        assert_eq!(
            seen,
            [
                ("observers_unrestricted", true, false),
                ("group_voting", false, false),
                ("box_stuffing", true, true),
                ("overall", true, false),
            ]
        );
    }

    #[test]
    fn kinds_of_restriction_are_counted_when_the_observer_said_how() {
        let forms = default_forms().expect("forms");
        let voting = forms
            .iter()
            .find(|f| f.id.as_str() == "voting")
            .expect("voting");
        let kinds = |answers: Value| -> Vec<(String, bool)> {
            contribution(voting, answers.as_object().expect("object"))
                .findings
                .into_iter()
                .filter_map(|f| restriction_of_key(&f.question).map(|k| (k.to_owned(), f.concern)))
                .collect()
        };
        assert!(kinds(json!({"observers_unrestricted": true, "overall": "good"})).is_empty());
        let seen = kinds(json!({
            "observers_unrestricted": false,
            "access_restriction": ["kept_far", "asked_to_leave"],
            "overall": "bad"
        }));
        assert_eq!(seen.len(), 5, "one per kind offered: {seen:?}");
        let ticked: Vec<&str> = seen
            .iter()
            .filter(|(_, t)| *t)
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(ticked, ["kept_far", "asked_to_leave"]);
    }

    #[test]
    fn protocol_checks_count_where_the_figures_were_copied() {
        let forms = default_forms().expect("forms");
        let counting = forms
            .iter()
            .find(|f| f.id.as_str() == "counting")
            .expect("counting");
        let checks = |answers: Value| -> Vec<(String, bool)> {
            contribution(counting, answers.as_object().expect("object"))
                .findings
                .into_iter()
                .filter_map(|f| check_of_key(&f.question).map(|c| (c.to_owned(), f.concern)))
                .collect()
        };
        assert!(
            checks(json!({"overall": "good"})).is_empty(),
            "no protocol copied"
        );
        let copied = checks(json!({
            "ballots_received": 1000, "ballots_issued_station": 600, "ballots_issued_mobile": 20,
            "ballots_issued_early": 0, "ballots_cancelled": 300, "overall": "bad"
        }));
        assert_eq!(
            copied,
            [("received_accounted_for".to_owned(), true)],
            "1000 received, 920 accounted for"
        );
    }

    #[test]
    fn not_observed_answers_leave_every_denominator() {
        let mut form = default_forms()
            .expect("forms")
            .into_iter()
            .find(|f| f.id.as_str() == "voting")
            .expect("voting");
        form.version = 2;
        for q in &mut form.questions {
            if q.id == "box_stuffing" || q.id == ACCESS_QUESTION {
                q.not_observed = true;
            }
        }
        let answers = json!({
            "observers_unrestricted": "not_observed",
            "box_stuffing": "not_observed",
            "group_voting": true,
            // A choice with that id in a form made before the flag existed.
            "mobile_box_procedure": "not_observed",
            "overall": "good"
        });
        let answers = answers.as_object().expect("object");
        assert!(
            eom_shared::validate::validate(&form, answers)
                .issues
                .iter()
                .all(|i| i.question.as_deref() != Some("box_stuffing")),
            "not observed is a valid answer"
        );
        let c = contribution(&form, answers);
        assert_eq!(c.restricted, None, "access not observed is not answered");
        let questions: Vec<&str> = c.findings.iter().map(|f| f.question.as_str()).collect();
        assert_eq!(questions, ["group_voting", "overall"]);
    }
}
