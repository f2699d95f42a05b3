//! Filling a checklist question by question in the terminal.
//!
//! Questions that do not apply given earlier answers are skipped (and an answer given to one
//! earlier is cleared); an answer that does not fit is explained and asked again. Every
//! accepted answer is handed to `save` at once, so the caller can keep a draft: killing the
//! program loses at most the answer being typed. Answers already present (an edit, a resumed
//! draft) are shown, and Enter keeps them; `<` goes back to the previous question.

use std::collections::HashSet;
use std::io::{BufRead, Write};

use eom_shared::form::{Form, NOT_OBSERVED, Question, QuestionKind};
use eom_shared::validate::{answer_issue, is_relevant, parse_time};
use eom_shared::{Assessment, Labels};
use rust_i18n::t;
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("the input ended before the checklist was complete")]
    InputEnded,
    #[error("terminal error: {0}")]
    Io(#[from] std::io::Error),
    #[error("could not save the draft: {0}")]
    Save(String),
}

/// Called with the answers after every change; an error message stops the questionnaire.
pub type SaveAnswers<'a> = dyn FnMut(&Map<String, Value>) -> Result<(), String> + 'a;

/// What the observer types to go back one question.
pub const BACK: &str = "<";
/// What the observer types to clear an optional answer.
pub const CLEAR: &str = "-";
/// Typed for "not observed", where a question allows it.
pub const NOT_SEEN: &str = "?";

/// Asks every relevant question of `form` and returns the answers (no draft kept).
pub fn ask_all(
    form: &Form,
    lang: &str,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<Map<String, Value>, PromptError> {
    let mut answers = Map::new();
    fill(form, lang, &mut answers, input, out, &mut |_| Ok(()))?;
    Ok(answers)
}

/// The questions that are asked given `answers`, in form order, as indices into the form.
pub fn relevant(form: &Form, answers: &Map<String, Value>) -> Vec<usize> {
    // Relevance of later questions depends on which earlier ones were asked, exactly as in
    // validation.
    let mut asked: HashSet<&str> = HashSet::new();
    let mut order = Vec::new();
    for (i, q) in form.questions.iter().enumerate() {
        if is_relevant(q, answers, &asked) {
            asked.insert(&q.id);
            order.push(i);
        }
    }
    order
}

/// Asks the relevant questions of `form`, starting from `answers` (empty for a new
/// checklist), calling `save` after every change. Returns when the last question is answered;
/// `InputEnded` when the input ends first (what was answered has been saved).
pub fn fill(
    form: &Form,
    lang: &str,
    answers: &mut Map<String, Value>,
    input: &mut impl BufRead,
    out: &mut impl Write,
    save: &mut SaveAnswers<'_>,
) -> Result<(), PromptError> {
    writeln!(
        out,
        "{} ({} v{})",
        form.title.get(lang),
        form.id,
        form.version
    )?;
    writeln!(
        out,
        "{}",
        t!("wizard.intro", back = BACK, clear = CLEAR, locale = lang)
    )?;
    let total = form.questions.len();
    // Position in the form of the last question shown, and the ones shown before it.
    let mut history: Vec<usize> = Vec::new();
    let mut next_from = 0usize;
    loop {
        let order = relevant(form, answers);
        // Answers to questions that no longer apply are cleared, as the server would refuse them.
        let stale: Vec<String> = form
            .questions
            .iter()
            .enumerate()
            .filter(|(i, q)| !order.contains(i) && answers.contains_key(&q.id))
            .map(|(_, q)| q.id.clone())
            .collect();
        if !stale.is_empty() {
            for id in &stale {
                answers.remove(id);
            }
            save(answers).map_err(PromptError::Save)?;
        }
        let Some(&index) = order.iter().find(|&&i| i >= next_from) else {
            return Ok(());
        };
        let q = &form.questions[index];
        match ask_one(q, lang, index + 1, total, answers.get(&q.id), input, out)? {
            Step::Back => {
                match history.pop() {
                    Some(previous) => next_from = previous,
                    None => writeln!(out, "  {}", t!("wizard.first", locale = lang))?,
                }
                continue;
            }
            Step::Keep => {}
            Step::Clear => {
                answers.remove(&q.id);
                save(answers).map_err(PromptError::Save)?;
            }
            Step::Set(value) => {
                answers.insert(q.id.clone(), value);
                save(answers).map_err(PromptError::Save)?;
            }
        }
        history.push(index);
        next_from = index + 1;
    }
}

enum Step {
    Back,
    Keep,
    Clear,
    Set(Value),
}

fn ask_one(
    q: &Question,
    lang: &str,
    number: usize,
    total: usize,
    current: Option<&Value>,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<Step, PromptError> {
    writeln!(out)?;
    writeln!(
        out,
        "[{number}/{total}] {}{}",
        q.label.get(lang),
        if q.required { " *" } else { "" }
    )?;
    let choices = q.kind.choices();
    for (i, c) in choices.iter().enumerate() {
        writeln!(out, "  {}. {}", i + 1, c.label.get(lang))?;
    }
    if q.kind == QuestionKind::Assessment {
        for (i, a) in Assessment::ALL.iter().enumerate() {
            writeln!(out, "  {}. {}", i + 1, assessment_label(*a, lang))?;
        }
    }
    loop {
        match current {
            Some(value) => write!(out, "{} [{}] > ", hint(q, lang), shown(q, value, lang))?,
            None => write!(out, "{} > ", hint(q, lang))?,
        }
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Err(PromptError::InputEnded);
        }
        let text = line.trim();
        if text == BACK {
            return Ok(Step::Back);
        }
        if text.is_empty() {
            if current.is_some() {
                return Ok(Step::Keep);
            }
            if q.required {
                writeln!(out, "  {}", t!("issue.required", locale = lang))?;
                continue;
            }
            return Ok(Step::Keep);
        }
        if text == CLEAR {
            if q.required {
                writeln!(out, "  {}", t!("issue.required", locale = lang))?;
                continue;
            }
            return Ok(Step::Clear);
        }
        match parse_answer(q, text, lang) {
            Ok(value) => match answer_issue(q, &value) {
                None => return Ok(Step::Set(value)),
                Some(issue) => writeln!(
                    out,
                    "  {}",
                    crate::messages::answer_issue_text(&issue, Some(q), lang)
                )?,
            },
            Err(message) => writeln!(out, "  {message}")?,
        }
    }
}

/// An answer as the observer would recognise it: choice labels rather than ids.
pub fn shown(q: &Question, value: &Value, lang: &str) -> String {
    let not_observed = t!("form.not_observed", locale = lang);
    eom_shared::form::answer_text(
        q,
        value,
        lang,
        &eom_shared::form::AnswerWords {
            yes: "yes",
            no: "no",
            not_observed: &not_observed,
            assessments: [
                Assessment::VeryGood.label(),
                Assessment::Good.label(),
                Assessment::Bad.label(),
                Assessment::VeryBad.label(),
            ],
        },
    )
}

fn hint(q: &Question, lang: &str) -> String {
    let key = match &q.kind {
        QuestionKind::YesNo => "wizard.hint.yes_no",
        QuestionKind::SingleChoice { .. } => "wizard.hint.choice",
        QuestionKind::MultiChoice { .. } => "wizard.hint.choices",
        QuestionKind::Number { .. } => "wizard.hint.number",
        QuestionKind::Text { .. } => "wizard.hint.text",
        QuestionKind::Time => "wizard.hint.time",
        QuestionKind::Assessment => "wizard.hint.assessment",
    };
    let hint = t!(key, locale = lang).into_owned();
    if q.not_observed {
        format!("{hint}, {}", t!("wizard.hint.not_observed", locale = lang))
    } else {
        hint
    }
}

/// An assessment in the observer's language.
pub fn assessment_label(a: Assessment, lang: &str) -> String {
    t!(format!("assessment.{}", a.as_str()), locale = lang).into_owned()
}

/// Turns what the observer typed into the answer value the form expects.
pub fn parse_answer(q: &Question, text: &str, lang: &str) -> Result<Value, String> {
    let lower = text.to_lowercase();
    if q.not_observed
        && (text.trim() == NOT_SEEN
            || lower.trim() == NOT_OBSERVED
            || ["en", "ru", "kk"].iter().any(|l| {
                crate::search::fold(&t!("form.not_observed", locale = l))
                    == crate::search::fold(text.trim())
            }))
    {
        return Ok(Value::from(NOT_OBSERVED));
    }
    match &q.kind {
        QuestionKind::YesNo => match lower.as_str() {
            "y" | "yes" | "д" | "да" | "и" | "иә" | "true" => Ok(Value::Bool(true)),
            "n" | "no" | "н" | "нет" | "ж" | "жоқ" | "false" => Ok(Value::Bool(false)),
            _ => Err(t!("wizard.err.yes_no", locale = lang).into_owned()),
        },
        QuestionKind::SingleChoice { choices } => pick(
            choices.iter().map(|c| (c.id.as_str(), &c.label)),
            &lower,
            lang,
        )
        .map(Value::from),
        QuestionKind::MultiChoice { choices } => {
            let mut picked = Vec::new();
            for part in lower.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let id = pick(
                    choices.iter().map(|c| (c.id.as_str(), &c.label)),
                    part,
                    lang,
                )?;
                if !picked.contains(&id) {
                    picked.push(id);
                }
            }
            Ok(Value::from(picked))
        }
        QuestionKind::Number { .. } => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| t!("wizard.err.number", text = text, locale = lang).into_owned()),
        QuestionKind::Text { .. } => Ok(Value::from(text)),
        QuestionKind::Time => {
            // Accept 7:45 as a convenience and store it as 07:45.
            let padded = if text.len() == 4 && text.as_bytes().get(1) == Some(&b':') {
                format!("0{text}")
            } else {
                text.to_owned()
            };
            parse_time(&padded)
                .map(|_| Value::from(padded.clone()))
                .ok_or_else(|| t!("wizard.err.time", text = text, locale = lang).into_owned())
        }
        QuestionKind::Assessment => {
            let by_number = lower
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| Assessment::ALL.get(i).copied());
            // The id, or the word in any of the catalogue's languages ("плохо", "нашар").
            let typed = crate::search::fold(text.trim());
            by_number
                .or_else(|| Assessment::parse(&lower.replace(' ', "_")))
                .or_else(|| {
                    Assessment::ALL.into_iter().find(|a| {
                        ["en", "ru", "kk"]
                            .iter()
                            .any(|l| crate::search::fold(&assessment_label(*a, l)) == typed)
                    })
                })
                .map(|a| Value::from(a.as_str()))
                .ok_or_else(|| t!("wizard.err.assessment", locale = lang).into_owned())
        }
    }
}

/// A choice by its number in the list, its id, or its label in the observer's language
/// (whole, or the start of it when that is unambiguous).
fn pick<'a>(
    choices: impl Iterator<Item = (&'a str, &'a Labels)> + Clone,
    typed: &str,
    lang: &str,
) -> Result<String, String> {
    if let Ok(n) = typed.parse::<usize>()
        && let Some((id, _)) = n.checked_sub(1).and_then(|i| choices.clone().nth(i))
    {
        return Ok(id.to_owned());
    }
    if let Some((id, _)) = choices.clone().find(|(id, _)| *id == typed) {
        return Ok(id.to_owned());
    }
    let folded = crate::search::fold(typed.trim());
    let by_label: Vec<&str> = choices
        .clone()
        .filter(|(_, label)| crate::search::fold(label.get(lang)).starts_with(&folded))
        .map(|(id, _)| id)
        .collect();
    if !folded.is_empty()
        && let [only] = by_label.as_slice()
    {
        return Ok((*only).to_owned());
    }
    Err(t!(
        "wizard.err.choice",
        text = typed,
        count = choices.count(),
        locale = lang
    )
    .into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use eom_shared::default_forms::default_forms;

    fn form(id: &str) -> Form {
        default_forms()
            .expect("forms")
            .into_iter()
            .find(|f| f.id.as_str() == id)
            .expect("form")
    }

    fn parse_answer_en(q: &Question, text: &str) -> Result<Value, String> {
        parse_answer(q, text, "en")
    }

    #[test]
    fn answers_can_be_typed_in_the_observers_language() {
        let f = form("opening");
        let q = |id: &str| f.question(id).expect("question").clone();
        assert_eq!(
            parse_answer(&q("overall"), "плохо", "ru"),
            Ok(Value::from("bad"))
        );
        assert_eq!(
            parse_answer(&q("overall"), "Өте нашар", "kk"),
            Ok(Value::from("very_bad"))
        );
        assert_eq!(
            parse_answer(&q("boxes_sealed"), "иә", "kk"),
            Ok(Value::Bool(true))
        );
        // A choice by the start of its Russian label.
        let mobile = q("mobile_box");
        let label = mobile.kind.choices()[1].label.get("ru").to_lowercase();
        assert_eq!(
            parse_answer(&mobile, &label, "ru"),
            Ok(Value::from(mobile.kind.choices()[1].id.as_str()))
        );
        let err = parse_answer(&q("boxes_sealed"), "может быть", "ru").expect_err("no");
        assert_eq!(err, "Ответьте да или нет (д/н).");
    }

    #[test]
    fn not_observed_is_typed_as_a_question_mark_or_in_words_where_allowed() {
        let f = form("opening");
        let mut q = f.question("boxes_sealed").expect("question").clone();
        assert!(
            parse_answer_en(&q, "?").is_err(),
            "not allowed on this question"
        );
        q.not_observed = true;
        for typed in ["?", "not observed", "Not_Observed"] {
            assert_eq!(parse_answer_en(&q, typed), Ok(Value::from(NOT_OBSERVED)));
        }
        assert_eq!(
            parse_answer(&q, "не наблюдал(а)", "ru"),
            Ok(Value::from(NOT_OBSERVED))
        );
        assert_eq!(parse_answer_en(&q, "yes"), Ok(Value::Bool(true)));
        assert_eq!(
            shown(&q, &Value::from(NOT_OBSERVED), "ru"),
            "Не наблюдал(а)"
        );
        assert!(hint(&q, "en").contains("? = not observed"));
    }

    #[test]
    fn answers_are_parsed_from_what_people_type() {
        let f = form("opening");
        let q = |id: &str| f.question(id).expect("question").clone();
        assert_eq!(
            parse_answer_en(&q("boxes_sealed"), "Y"),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            parse_answer_en(&q("boxes_sealed"), "нет"),
            Ok(Value::Bool(false))
        );
        assert!(parse_answer_en(&q("boxes_sealed"), "maybe").is_err());
        assert_eq!(
            parse_answer_en(&q("mobile_box"), "2"),
            Ok(Value::from("no"))
        );
        assert_eq!(
            parse_answer_en(&q("mobile_box"), "none"),
            Ok(Value::from("none"))
        );
        assert!(parse_answer_en(&q("mobile_box"), "9").is_err());
        assert_eq!(
            parse_answer_en(&q("materials_missing"), "1, 3,1"),
            Ok(serde_json::json!(["ballots", "booths"]))
        );
        assert_eq!(
            parse_answer_en(&q("arrival_time"), "7:05"),
            Ok(Value::from("07:05"))
        );
        assert_eq!(parse_answer_en(&q("overall"), "3"), Ok(Value::from("bad")));
        assert_eq!(
            parse_answer_en(&q("overall"), "very good"),
            Ok(Value::from("very_good"))
        );
        assert_eq!(
            parse_answer_en(&q("voters_waiting"), "12"),
            Ok(Value::from(12))
        );
    }

    #[test]
    fn the_questionnaire_skips_what_does_not_apply_and_re_asks_bad_answers() {
        let f = form("opening");
        // Answers in question order; "opened_on_time" = no makes "minutes_late" relevant;
        // "unauthorized_present" = no skips "unauthorized_directing".
        let typed = [
            "25:00", "08:10", // arrival_time: first answer refused
            "y",     // observers_unrestricted (so access_restriction is skipped)
            "9",     // commission_members_present
            "n",     // unauthorized_present
            "y", "y", "3", "y", "", "y", "y", "6", "y", "y", "n",  // opened_on_time
            "",   // minutes_late is required: re-asked
            "45", // minutes_late
            "", "", "",  // voters_waiting, other_observers, remarks
            "2", // overall
        ]
        .join("\n");
        let mut out = Vec::new();
        let answers = ask_all(&f, "en", &mut typed.as_bytes(), &mut out).expect("complete");
        let shown = String::from_utf8(out).expect("utf8");
        assert!(shown.contains("is not a time"), "{shown}");
        assert!(shown.contains("An answer is required"), "{shown}");
        assert!(!answers.contains_key("access_restriction"));
        assert!(!answers.contains_key("unauthorized_directing"));
        assert_eq!(answers["minutes_late"], 45);
        assert_eq!(answers["overall"], "good");
        let v = eom_shared::validate(&f, &answers);
        assert!(v.is_valid(), "{:?}", v.issues);
    }

    #[test]
    fn every_answer_is_saved_as_it_is_given_and_input_ending_early_keeps_them() {
        let f = form("voting");
        let mut saved: Vec<Map<String, Value>> = Vec::new();
        let mut answers = Map::new();
        let err = fill(
            &f,
            "en",
            &mut answers,
            // The optional departure time is skipped with Enter.
            &mut "09:00\n\ny\n".as_bytes(),
            &mut Vec::new(),
            &mut |a| {
                saved.push(a.clone());
                Ok(())
            },
        )
        .expect_err("incomplete");
        assert!(matches!(err, PromptError::InputEnded));
        assert_eq!(saved.len(), 2, "saved after each answer");
        assert_eq!(saved[1]["arrival_time"], "09:00");
        assert_eq!(saved[1]["observers_unrestricted"], true);
        assert_eq!(answers, saved[1]);
    }

    #[test]
    fn enter_keeps_an_answer_back_goes_back_and_answers_that_no_longer_apply_are_cleared() {
        let f = form("opening");
        let mut answers = ask_all(
            &f,
            "en",
            &mut [
                "08:10", "y", "9", "n", "y", "y", "3", "y", "", "y", "y", "6", "y", "y", "n", "45",
                "", "", "", "2",
            ]
            .join("\n")
            .as_bytes(),
            &mut Vec::new(),
        )
        .expect("complete");
        assert_eq!(answers["minutes_late"], 45);
        // Edit: keep everything up to opened_on_time, change it to yes (so minutes_late no
        // longer applies), go back once to check, keep, and keep the rest.
        let mut typed: Vec<&str> = vec![""; 14];
        typed.extend(["y", "<", "", "", "", "", "", ""]);
        let mut out = Vec::new();
        fill(
            &f,
            "en",
            &mut answers,
            &mut typed.join("\n").as_bytes(),
            &mut out,
            &mut |_| Ok(()),
        )
        .expect("complete");
        let shown = String::from_utf8(out).expect("utf8");
        assert!(shown.contains("[08:10]"), "{shown}");
        assert_eq!(answers["opened_on_time"], true);
        assert!(
            !answers.contains_key("minutes_late"),
            "cleared: no longer applies"
        );
        assert_eq!(answers["overall"], "good");
        let v = eom_shared::validate(&f, &answers);
        assert!(v.is_valid(), "{:?}", v.issues);
    }
}
