//! Filling a checklist question by question in the terminal.
//!
//! Questions that do not apply given earlier answers are skipped; an answer that does not fit
//! is explained and asked again. Nothing is saved until the whole checklist is complete.

use std::collections::HashSet;
use std::io::{BufRead, Write};

use eom_shared::form::{Form, Question, QuestionKind};
use eom_shared::validate::{answer_issue, is_relevant, parse_time};
use eom_shared::{Assessment, Labels};
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("the input ended before the checklist was complete; nothing was saved")]
    InputEnded,
    #[error("terminal error: {0}")]
    Io(#[from] std::io::Error),
}

/// Asks every relevant question of `form` and returns the answers.
pub fn ask_all(
    form: &Form,
    lang: &str,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<Map<String, Value>, PromptError> {
    let mut answers = Map::new();
    writeln!(
        out,
        "{} ({} v{})",
        form.title.get(lang),
        form.id,
        form.version
    )?;
    writeln!(
        out,
        "Press Enter to skip an optional question. Questions marked * are required."
    )?;
    let total = form.questions.len();
    // Questions that were asked (relevant), answered or not: relevance of later questions
    // depends on it, exactly as in validation.
    let mut asked: HashSet<&str> = HashSet::new();
    for (n, q) in form.questions.iter().enumerate() {
        if !is_relevant(q, &answers, &asked) {
            continue;
        }
        asked.insert(&q.id);
        if let Some(value) = ask_one(q, lang, n + 1, total, input, out)? {
            answers.insert(q.id.clone(), value);
        }
    }
    Ok(answers)
}

fn ask_one(
    q: &Question,
    lang: &str,
    number: usize,
    total: usize,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<Option<Value>, PromptError> {
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
            writeln!(out, "  {}. {}", i + 1, a.label())?;
        }
    }
    loop {
        write!(out, "{} > ", hint(&q.kind))?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Err(PromptError::InputEnded);
        }
        let text = line.trim();
        if text.is_empty() {
            if q.required {
                writeln!(out, "  An answer is required.")?;
                continue;
            }
            return Ok(None);
        }
        match parse_answer(q, text) {
            Ok(value) => match answer_issue(q, &value) {
                None => return Ok(Some(value)),
                Some(issue) => writeln!(out, "  {}", issue.message)?,
            },
            Err(message) => writeln!(out, "  {message}")?,
        }
    }
}

fn hint(kind: &QuestionKind) -> &'static str {
    match kind {
        QuestionKind::YesNo => "yes/no",
        QuestionKind::SingleChoice { .. } => "number",
        QuestionKind::MultiChoice { .. } => "numbers, comma-separated",
        QuestionKind::Number { .. } => "whole number",
        QuestionKind::Text { .. } => "text",
        QuestionKind::Time => "HH:MM",
        QuestionKind::Assessment => "1-4",
    }
}

/// Turns what the observer typed into the answer value the form expects.
pub fn parse_answer(q: &Question, text: &str) -> Result<Value, String> {
    let lower = text.to_lowercase();
    match &q.kind {
        QuestionKind::YesNo => match lower.as_str() {
            "y" | "yes" | "д" | "да" | "и" | "иә" | "true" => Ok(Value::Bool(true)),
            "n" | "no" | "н" | "нет" | "ж" | "жоқ" | "false" => Ok(Value::Bool(false)),
            _ => Err("Answer yes or no (y/n).".into()),
        },
        QuestionKind::SingleChoice { choices } => {
            pick(choices.iter().map(|c| (c.id.as_str(), &c.label)), &lower).map(Value::from)
        }
        QuestionKind::MultiChoice { choices } => {
            let mut picked = Vec::new();
            for part in lower.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let id = pick(choices.iter().map(|c| (c.id.as_str(), &c.label)), part)?;
                if !picked.contains(&id) {
                    picked.push(id);
                }
            }
            Ok(Value::from(picked))
        }
        QuestionKind::Number { .. } => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("'{text}' is not a whole number.")),
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
                .ok_or_else(|| format!("'{text}' is not a time; write HH:MM, e.g. 07:45."))
        }
        QuestionKind::Assessment => {
            let by_number = lower
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| Assessment::ALL.get(i).copied());
            by_number
                .or_else(|| Assessment::parse(&lower.replace(' ', "_")))
                .map(|a| Value::from(a.as_str()))
                .ok_or_else(|| "Answer 1 (very good), 2 (good), 3 (bad) or 4 (very bad).".into())
        }
    }
}

/// A choice by its number in the list or by its id.
fn pick<'a>(
    choices: impl Iterator<Item = (&'a str, &'a Labels)> + Clone,
    typed: &str,
) -> Result<String, String> {
    if let Ok(n) = typed.parse::<usize>()
        && let Some((id, _)) = n.checked_sub(1).and_then(|i| choices.clone().nth(i))
    {
        return Ok(id.to_owned());
    }
    choices
        .clone()
        .find(|(id, _)| *id == typed)
        .map(|(id, _)| id.to_owned())
        .ok_or_else(|| {
            format!(
                "'{typed}' is not one of the choices; type its number (1-{}).",
                choices.count()
            )
        })
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

    #[test]
    fn answers_are_parsed_from_what_people_type() {
        let f = form("opening");
        let q = |id: &str| f.question(id).expect("question").clone();
        assert_eq!(parse_answer(&q("boxes_sealed"), "Y"), Ok(Value::Bool(true)));
        assert_eq!(
            parse_answer(&q("boxes_sealed"), "нет"),
            Ok(Value::Bool(false))
        );
        assert!(parse_answer(&q("boxes_sealed"), "maybe").is_err());
        assert_eq!(parse_answer(&q("mobile_box"), "2"), Ok(Value::from("no")));
        assert_eq!(
            parse_answer(&q("mobile_box"), "none"),
            Ok(Value::from("none"))
        );
        assert!(parse_answer(&q("mobile_box"), "9").is_err());
        assert_eq!(
            parse_answer(&q("materials_missing"), "1, 3,1"),
            Ok(serde_json::json!(["ballots", "booths"]))
        );
        assert_eq!(
            parse_answer(&q("arrival_time"), "7:05"),
            Ok(Value::from("07:05"))
        );
        assert_eq!(parse_answer(&q("overall"), "3"), Ok(Value::from("bad")));
        assert_eq!(
            parse_answer(&q("overall"), "very good"),
            Ok(Value::from("very_good"))
        );
        assert_eq!(
            parse_answer(&q("voters_waiting"), "12"),
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
    fn input_ending_early_saves_nothing() {
        let f = form("voting");
        let err =
            ask_all(&f, "en", &mut "09:00\n".as_bytes(), &mut Vec::new()).expect_err("incomplete");
        assert!(matches!(err, PromptError::InputEnded));
    }
}
