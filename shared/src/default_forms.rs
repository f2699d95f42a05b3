//! The forms that ship with the server: five, one per stage, in two versions. Both load into
//! a new database on first start and laptops fill version 2; version 1 stays valid for what
//! was begun on it.
//!
//! They are modelled on international observation practice: small factual steps per stage,
//! observer access in every form, and the overall assessment at the end of each checklist.
//! Version 1 is released and never changes (checklists were filled on it). Version 2
//! (`forms/v2/`, made from version 1 by `forms/make_v2.py`) adds what observers of the region
//! reported missing (carousel and proxy voting, people recording voters, organised transport,
//! misuse of supplementary lists, commission members directing voters, following the mobile
//! box, closing on time with the queue allowed to vote, the whole count observed, mobile boxes
//! counted separately, votes announced aloud, protocols corrected without a recount or accepted
//! though they do not add up, the chair's gender), "not observed" where an observer may not
//! see, the missing protocol checks, and an incident source question that asks for no names.
//! A database made before version 2 shipped publishes it with
//! `eom-server forms install shared/forms/v2/FORM.json`.

use crate::form::Form;

const SOURCES: [(&str, &str); 5] = [
    ("opening", include_str!("../forms/opening.json")),
    ("voting", include_str!("../forms/voting.json")),
    ("counting", include_str!("../forms/counting.json")),
    ("tabulation", include_str!("../forms/tabulation.json")),
    ("incident", include_str!("../forms/incident.json")),
];

const VERSION_TWO: [(&str, &str); 5] = [
    ("opening v2", include_str!("../forms/v2/opening.json")),
    ("voting v2", include_str!("../forms/v2/voting.json")),
    ("counting v2", include_str!("../forms/v2/counting.json")),
    ("tabulation v2", include_str!("../forms/v2/tabulation.json")),
    ("incident v2", include_str!("../forms/v2/incident.json")),
];

fn parse(sources: &[(&str, &str)]) -> Result<Vec<Form>, String> {
    sources
        .iter()
        .map(|(name, text)| Form::from_json(text).map_err(|e| format!("default form {name}: {e}")))
        .collect()
}

/// The default forms a new database starts with, parsed and checked.
///
/// The definitions are compiled into the binary and checked by this crate's tests, so a
/// failure here is a build defect, reported with the form's name rather than a panic.
pub fn default_forms() -> Result<Vec<Form>, String> {
    parse(&SOURCES)
}

/// The form for a polling station's protocol entered at a commission (whether the figures
/// entered matched the protocol), published with the contests (`eom-server contests import`):
/// one checklist per entry watched, filed at the commission.
pub fn tabulation_entry() -> Result<Form, String> {
    Form::from_json(include_str!("../forms/tabulation-entry.json"))
        .map_err(|e| format!("default form tabulation-entry: {e}"))
}

/// The id of [`tabulation_entry`], and its answers the results comparison reads.
pub const TABULATION_ENTRY: &str = "tabulation-entry";
pub const ENTRY_STATION: &str = "entry_station";
pub const ENTRY_CONTEST: &str = "entry_contest";
pub const ENTRY_MATCHED: &str = "entry_matched";
pub const ENTRY_DIFFERENCE: &str = "entry_difference";

/// Version 2 of the default forms, parsed and checked.
pub fn version_two() -> Result<Vec<Form>, String> {
    parse(&VERSION_TWO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::{OVERALL_QUESTION, QuestionKind, Stage};
    use crate::validate::validate;
    use serde_json::{Map, Value, json};

    /// Both versions of every form.
    fn forms() -> Vec<Form> {
        let mut forms = default_forms().expect("default forms parse");
        forms.extend(version_two().expect("version 2 parses"));
        forms
    }

    #[test]
    fn the_tabulation_entry_form_is_valid_and_in_three_languages() {
        let form = tabulation_entry().expect("parses");
        assert_eq!(form.stage, Stage::Tabulation);
        for id in [
            ENTRY_STATION,
            ENTRY_CONTEST,
            ENTRY_MATCHED,
            ENTRY_DIFFERENCE,
        ] {
            let q = form.question(id).expect(id);
            assert!(q.label.has("ru") && q.label.has("kk"), "{id}");
        }
    }

    #[test]
    fn five_forms_one_per_stage_in_two_versions() {
        for version in [1, 2] {
            let stages: Vec<Stage> = forms()
                .iter()
                .filter(|f| f.version == version)
                .map(|f| f.stage)
                .collect();
            assert_eq!(stages, Stage::ALL.to_vec(), "version {version}");
        }
    }

    #[test]
    fn version_two_keeps_every_question_of_version_one_and_its_type() {
        let all = forms();
        for v1 in all.iter().filter(|f| f.version == 1) {
            let v2 = all
                .iter()
                .find(|f| f.id == v1.id && f.version == 2)
                .expect("a version 2");
            for q in &v1.questions {
                let kept = v2.question(&q.id).expect("kept");
                assert_eq!(
                    kept.kind.type_name(),
                    q.kind.type_name(),
                    "{}.{}",
                    v1.id,
                    q.id
                );
            }
        }
    }

    #[test]
    fn each_form_has_15_to_50_questions_in_english_russian_and_kazakh() {
        for f in forms() {
            let n = f.questions.len();
            assert!((15..=50).contains(&n), "{} has {n} questions", f.id);
            assert!(f.title.has("ru"), "{} title lacks Russian", f.id);
            for q in &f.questions {
                assert!(q.label.has("ru"), "{}.{} lacks a Russian label", f.id, q.id);
                assert!(q.label.has("kk"), "{}.{} lacks a Kazakh label", f.id, q.id);
                for c in q.kind.choices() {
                    assert!(
                        c.label.has("ru"),
                        "{}.{}.{} lacks Russian",
                        f.id,
                        q.id,
                        c.id
                    );
                }
            }
        }
    }

    #[test]
    fn checklists_end_with_overall_and_all_ask_about_access() {
        for f in forms() {
            if f.is_checklist() {
                let last = f.questions.last().expect("has questions");
                assert_eq!(last.id, OVERALL_QUESTION, "{}", f.id);
                assert_eq!(last.kind, QuestionKind::Assessment);
            }
            assert!(
                f.question("observers_unrestricted").is_some(),
                "{} does not ask about observer access",
                f.id
            );
        }
    }

    /// A minimal answer set that satisfies every required, relevant question.
    fn minimal_answers(f: &Form) -> Map<String, Value> {
        let mut a = Map::new();
        for q in &f.questions {
            if !q.required {
                continue;
            }
            let asked: std::collections::HashSet<&str> = a.keys().map(String::as_str).collect();
            if !crate::validate::is_relevant(q, &a, &asked) {
                continue;
            }
            let v = match &q.kind {
                QuestionKind::YesNo => json!(true),
                QuestionKind::SingleChoice { choices } => json!(choices[0].id),
                QuestionKind::MultiChoice { choices } => json!([choices[0].id]),
                QuestionKind::Number { min, .. } => json!(min.unwrap_or(0)),
                QuestionKind::Text { .. } => json!("seen"),
                QuestionKind::Time => json!("08:00"),
                QuestionKind::Assessment => json!("good"),
            };
            a.insert(q.id.clone(), v);
        }
        a
    }

    #[test]
    fn a_minimal_checklist_of_each_form_validates() {
        for f in forms() {
            let v = validate(&f, &minimal_answers(&f));
            assert!(v.is_valid(), "{}: {:?}", f.id, v.issues);
        }
    }

    #[test]
    fn counting_protocol_checks_catch_stuffing_as_a_warning() {
        let f = default_forms()
            .expect("forms")
            .into_iter()
            .find(|f| f.id.as_str() == "counting")
            .expect("counting");
        let mut a = minimal_answers(&f);
        a.insert("protocol_copied".into(), json!(true));
        for (k, v) in [
            ("voters_main_list", 1000),
            ("voters_additional_list", 0),
            ("ballots_received", 1000),
            ("ballots_issued_station", 500),
            ("ballots_issued_mobile", 0),
            ("ballots_issued_early", 0),
            ("ballots_cancelled", 500),
            ("ballots_in_stationary_boxes", 560),
            ("ballots_in_mobile_boxes", 0),
            ("invalid_ballots", 10),
            ("valid_ballots", 550),
            ("votes_1", 300),
            ("votes_2", 250),
        ] {
            a.insert(k.into(), json!(v));
        }
        let v = validate(&f, &a);
        assert!(
            v.is_valid(),
            "protocol findings never block: {:?}",
            v.issues
        );
        let failed: Vec<&str> = v.warnings().filter_map(|i| i.check.as_deref()).collect();
        assert_eq!(failed, vec!["found_within_issued"]);
    }
}
