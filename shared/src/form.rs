//! The form model: a checklist definition is data (JSON), not code.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A form's identifier, such as `counting`: lower-case letters, digits, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct FormId(String);

impl FormId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "'{raw}' is not a form id: use 1 to 64 lower-case letters, digits, '_' or '-'"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FormId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<FormId> for String {
    fn from(value: FormId) -> Self {
        value.0
    }
}

impl fmt::Display for FormId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// The stage of the election day a form observes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Stage {
    Opening,
    Voting,
    Counting,
    Tabulation,
    Incident,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Opening,
        Stage::Voting,
        Stage::Counting,
        Stage::Tabulation,
        Stage::Incident,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Opening => "opening",
            Stage::Voting => "voting",
            Stage::Counting => "counting",
            Stage::Tabulation => "tabulation",
            Stage::Incident => "incident",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A text in any number of languages, by BCP 47 tag (`en`, `ru`, `kk`, `uz-Latn`, ...):
/// ODIHR observes in 57 states, so the set is open. English is required and is the fallback.
/// On the wire it is a plain JSON object of tag and text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "std::collections::BTreeMap<String, String>",
    into = "std::collections::BTreeMap<String, String>"
)]
pub struct Labels(std::collections::BTreeMap<String, String>);

impl TryFrom<std::collections::BTreeMap<String, String>> for Labels {
    type Error = String;

    fn try_from(texts: std::collections::BTreeMap<String, String>) -> Result<Self, String> {
        if texts.get("en").is_none_or(|t| t.trim().is_empty()) {
            return Err("every text needs an English version ('en'), the fallback".into());
        }
        Ok(Self(texts))
    }
}

impl From<Labels> for std::collections::BTreeMap<String, String> {
    fn from(labels: Labels) -> Self {
        labels.0
    }
}

impl Labels {
    pub fn en(text: &str) -> Self {
        Self(std::collections::BTreeMap::from([(
            "en".to_owned(),
            text.to_owned(),
        )]))
    }

    /// The text for `lang`, a BCP 47 tag: the exact tag, else its language alone (`ru` for
    /// `ru-KZ`), else English.
    pub fn get(&self, lang: &str) -> &str {
        self.exact(lang)
            .or_else(|| lang.split(['-', '_']).next().and_then(|l| self.exact(l)))
            .or_else(|| self.0.get("en").map(String::as_str))
            .unwrap_or_default()
    }

    /// Whether there is a text for `lang` itself (no fallback).
    pub fn has(&self, lang: &str) -> bool {
        self.exact(lang).is_some()
    }

    /// The languages this text is written in.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    fn exact(&self, lang: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(tag, _)| tag.eq_ignore_ascii_case(lang))
            .map(|(_, text)| text.as_str())
            .filter(|t| !t.trim().is_empty())
    }
}

/// The four-step overall assessment. `Bad` and `VeryBad` together are a negative assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Assessment {
    VeryGood,
    Good,
    Bad,
    VeryBad,
}

impl Assessment {
    pub const ALL: [Assessment; 4] = [
        Assessment::VeryGood,
        Assessment::Good,
        Assessment::Bad,
        Assessment::VeryBad,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Assessment::VeryGood => "very_good",
            Assessment::Good => "good",
            Assessment::Bad => "bad",
            Assessment::VeryBad => "very_bad",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    pub fn is_negative(self) -> bool {
        matches!(self, Assessment::Bad | Assessment::VeryBad)
    }

    pub fn label(self) -> &'static str {
        match self {
            Assessment::VeryGood => "very good",
            Assessment::Good => "good",
            Assessment::Bad => "bad",
            Assessment::VeryBad => "very bad",
        }
    }
}

/// The words an answer is shown with in one language, from the caller's own catalogue.
pub struct AnswerWords<'a> {
    pub yes: &'a str,
    pub no: &'a str,
    pub not_observed: &'a str,
    /// Very good, good, bad, very bad.
    pub assessments: [&'a str; 4],
}

/// An answer as a reader sees it in `lang`: choices by their labels, yes and no, the
/// assessment and "not observed" in the caller's words, anything else as given.
pub fn answer_text(q: &Question, value: &Value, lang: &str, words: &AnswerWords<'_>) -> String {
    let label = |id: &str| {
        q.kind
            .choices()
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| id.to_owned(), |c| c.label.get(lang).to_owned())
    };
    match (value, &q.kind) {
        (Value::String(s), _) if q.not_observed && s == NOT_OBSERVED => {
            words.not_observed.to_owned()
        }
        (Value::Bool(true), _) => words.yes.to_owned(),
        (Value::Bool(false), _) => words.no.to_owned(),
        (Value::String(s), QuestionKind::SingleChoice { .. }) => label(s),
        (Value::String(s), QuestionKind::Assessment) => match Assessment::parse(s) {
            Some(Assessment::VeryGood) => words.assessments[0].to_owned(),
            Some(Assessment::Good) => words.assessments[1].to_owned(),
            Some(Assessment::Bad) => words.assessments[2].to_owned(),
            Some(Assessment::VeryBad) => words.assessments[3].to_owned(),
            None => s.clone(),
        },
        (Value::Array(items), _) => items
            .iter()
            .filter_map(Value::as_str)
            .map(label)
            .collect::<Vec<_>>()
            .join(", "),
        (Value::String(s), _) => s.clone(),
        (other, _) => other.to_string(),
    }
}

/// The id of the question every checklist form ends with.
pub const OVERALL_QUESTION: &str = "overall";

/// The id of the question, asked in every form, whether observers could watch without
/// restriction. A `false` answer counts as a restriction of observer access.
pub const ACCESS_QUESTION: &str = "observers_unrestricted";

/// Which stations a stage is observed at: polling stations for the polling-day stages, the
/// higher commissions for tabulation. Coverage counts a stage's stations of these levels.
pub fn observed_levels(stage: Stage) -> &'static [crate::station::StationLevel] {
    use crate::station::StationLevel;
    match stage {
        Stage::Opening | Stage::Voting | Stage::Counting => &[StationLevel::Pec],
        Stage::Tabulation => &[StationLevel::Tec, StationLevel::Dec],
        Stage::Incident => &[],
    }
}

/// Whether a checklist of `stage` is filed at a station of `level`: a voting checklist at a
/// polling station, a tabulation checklist at a commission; an incident anywhere.
pub fn filed_at(stage: Stage, level: crate::station::StationLevel) -> bool {
    stage == Stage::Incident || observed_levels(stage).contains(&level)
}

/// Why a checklist of `stage` does not belong at a station of `level`, in words.
pub fn wrong_level_message(
    stage: Stage,
    station: &str,
    level: crate::station::StationLevel,
) -> String {
    use crate::station::StationLevel;
    let what = match level {
        StationLevel::Pec => "a polling station",
        StationLevel::Tec => "a territorial commission",
        StationLevel::Dec => "a district commission",
    };
    let instead = match stage {
        Stage::Tabulation => {
            "file a tabulation checklist at the territorial or district commission"
        }
        _ => "at a commission, file the tabulation checklist (or an incident report)",
    };
    format!(
        "a {} checklist is filed at a polling station, and '{station}' is {what}: {instead}",
        stage.as_str()
    )
}

/// The id of the question, asked after a restriction, of how observers were restricted (a
/// multi-choice: kept too far, asked to leave, denied entry...). Its kinds are tallied.
pub const ACCESS_KINDS_QUESTION: &str = "access_restriction";

/// A checklist definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Form {
    pub id: FormId,
    pub version: u32,
    pub stage: Stage,
    pub title: Labels,
    pub questions: Vec<Question>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// The contests whose protocols a counting form copies, one section each
    /// ([`crate::contest::with_contests`]); empty for every other form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contests: Vec<crate::contest::Contest>,
}

/// One question of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub label: Labels,
    #[serde(flatten)]
    pub kind: QuestionKind,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// Asked only when an earlier answer has one of the given values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<Relevance>,
    /// Which answer signals a problem, and whether that problem is critical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concern: Option<Concern>,
    /// The observer may answer [`NOT_OBSERVED`] (they could not see it): a valid answer,
    /// that satisfies `required`, and that leaves the question out of every figure.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_observed: bool,
}

/// A question or check id: what XLSForm allows in a name, so ids survive spreadsheets, CSV
/// headers and the tally keys that prefix them.
fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The answer of an observer who could not see what a question asks about.
pub const NOT_OBSERVED: &str = "not_observed";

/// Whether `answer` says the observer could not see it: the [`NOT_OBSERVED`] answer, or a
/// choice with that id (forms made before `not_observed` existed offer it as a choice). Such
/// an answer is in no numerator and no denominator.
pub fn is_not_observed(answer: &Value) -> bool {
    answer.as_str() == Some(NOT_OBSERVED)
}

/// The type of a question and what its answer may be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    /// Answer: `true` or `false`.
    YesNo,
    /// Answer: one choice id.
    SingleChoice { choices: Vec<Choice> },
    /// Answer: a list of distinct choice ids.
    MultiChoice { choices: Vec<Choice> },
    /// Answer: an integer.
    Number {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
    /// Answer: a string.
    Text {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<usize>,
    },
    /// Answer: `"HH:MM"`, 24-hour clock.
    Time,
    /// Answer: `very_good`, `good`, `bad` or `very_bad`.
    Assessment,
}

impl QuestionKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            QuestionKind::YesNo => "yes_no",
            QuestionKind::SingleChoice { .. } => "single_choice",
            QuestionKind::MultiChoice { .. } => "multi_choice",
            QuestionKind::Number { .. } => "number",
            QuestionKind::Text { .. } => "text",
            QuestionKind::Time => "time",
            QuestionKind::Assessment => "assessment",
        }
    }

    pub fn choices(&self) -> &[Choice] {
        match self {
            QuestionKind::SingleChoice { choices } | QuestionKind::MultiChoice { choices } => {
                choices
            }
            _ => &[],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub label: Labels,
    /// In a multi-choice, this choice stands alone ("none of these"): it cannot be ticked
    /// together with another.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclusive: bool,
}

/// `{"question": "opened_on_time", "any_of": [false]}`: the question is asked only when the
/// answer to `question` is one of `any_of` (for a multi-choice answer: contains one of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relevance {
    pub question: String,
    pub any_of: Vec<Value>,
}

/// The answers that signal a problem: any of `answers`, or a number above `above`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concern {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub critical: bool,
}

impl Concern {
    /// Whether `answer` shows the problem this concern names.
    pub fn is_seen_in(&self, answer: &Value) -> bool {
        let matches = |v: &Value| self.answers.iter().any(|a| a == v);
        match answer {
            Value::Array(items) => items.iter().any(matches),
            Value::Number(n) => {
                matches(answer)
                    || matches!((n.as_i64(), self.above), (Some(x), Some(limit)) if x > limit)
            }
            other => matches(other),
        }
    }
}

/// The check term that stands for the voters registered at the checklist's station, as the
/// station list gives them (`registered_voters`).
pub const REGISTERED_VOTERS_TERM: &str = "station.registered_voters";

impl Check {
    /// Whether a term is taken from the station list rather than the answers.
    pub fn uses_station(&self) -> bool {
        self.left
            .iter()
            .chain(&self.right)
            .any(|t| t == REGISTERED_VOTERS_TERM)
    }
}

/// An arithmetic control relation over number questions, e.g. valid + invalid = found in boxes.
///
/// `sum(left) * 100  <op>  sum(right) * right_percent`. Evaluated only when every term is
/// answered, unless `missing_as_zero` says an unanswered term counts as 0. A term may also
/// be [`REGISTERED_VOTERS_TERM`], the station's registered voters from the station list: such
/// a check is evaluated on the server, where the station is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub id: String,
    pub left: Vec<String>,
    pub op: CheckOp,
    pub right: Vec<String>,
    #[serde(default = "hundred", skip_serializing_if = "is_hundred")]
    pub right_percent: u32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub missing_as_zero: bool,
    pub severity: crate::validate::Severity,
    pub message: Labels,
}

fn hundred() -> u32 {
    100
}

fn is_hundred(v: &u32) -> bool {
    *v == 100
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckOp {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
}

impl CheckOp {
    pub fn holds(self, left: i128, right: i128) -> bool {
        match self {
            CheckOp::Eq => left == right,
            CheckOp::Le => left <= right,
            CheckOp::Lt => left < right,
            CheckOp::Ge => left >= right,
            CheckOp::Gt => left > right,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            CheckOp::Eq => "=",
            CheckOp::Le => "<=",
            CheckOp::Lt => "<",
            CheckOp::Ge => ">=",
            CheckOp::Gt => ">",
        }
    }
}

/// Reads `what` from JSON; a field of the wrong shape is named by its path
/// (`questions[3].choices[0].label`): "not WHAT: at PATH: why".
pub fn from_json_naming_the_path<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
) -> Result<T, String> {
    let mut reader = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            format!("not {what}: {inner}")
        } else {
            format!("not {what}: at {path}: {inner}")
        }
    })
}

impl Form {
    /// Parses a form definition from JSON and checks that it is internally consistent. A
    /// field of the wrong shape is named by its path (`questions[3].choices[0].label`).
    pub fn from_json(text: &str) -> Result<Self, String> {
        let form: Form = from_json_naming_the_path(text, "a valid form definition")?;
        form.check_definition()?;
        Ok(form)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// Whether this form is a checklist (every stage but `incident`), which must end with
    /// the overall assessment.
    pub fn is_checklist(&self) -> bool {
        self.stage != Stage::Incident
    }

    /// Catches mistakes in a definition before it reaches an observer: duplicate ids,
    /// references to unknown or later questions, checks over non-number questions.
    pub fn check_definition(&self) -> Result<(), String> {
        if self.version == 0 {
            return Err(format!(
                "form '{}': 'version' starts at 1 and rises with every change",
                self.id
            ));
        }
        let mut seen = HashSet::new();
        for q in &self.questions {
            if q.id.is_empty() {
                return Err(format!("form '{}': a question has an empty id", self.id));
            }
            if !is_plain_id(&q.id) {
                return Err(format!(
                    "form '{}': question id '{}' may hold only letters, digits, '_', '-' and '.'",
                    self.id, q.id
                ));
            }
            if !seen.insert(q.id.as_str()) {
                return Err(format!(
                    "form '{}': question id '{}' is used twice",
                    self.id, q.id
                ));
            }
            if let Some(rel) = &q.relevant
                && !seen.contains(rel.question.as_str())
            {
                return Err(format!(
                    "form '{}': question '{}' depends on '{}', which is not an earlier question",
                    self.id, q.id, rel.question
                ));
            }
            if q.not_observed && q.id == OVERALL_QUESTION {
                return Err(format!(
                    "form '{}': the overall assessment must be given: it cannot allow '{NOT_OBSERVED}'",
                    self.id
                ));
            }
            let choices = q.kind.choices();
            let mut choice_ids = HashSet::new();
            for c in choices {
                if !choice_ids.insert(c.id.as_str()) {
                    return Err(format!(
                        "form '{}': question '{}' has choice '{}' twice",
                        self.id, q.id, c.id
                    ));
                }
            }
            if matches!(
                q.kind,
                QuestionKind::SingleChoice { .. } | QuestionKind::MultiChoice { .. }
            ) && choices.is_empty()
            {
                return Err(format!(
                    "form '{}': question '{}' has no choices",
                    self.id, q.id
                ));
            }
        }
        let mut check_ids = HashSet::new();
        for check in &self.checks {
            if !is_plain_id(&check.id) || !check_ids.insert(check.id.as_str()) {
                return Err(format!(
                    "form '{}': check id '{}' is used twice or holds more than letters, digits, '_', '-' and '.'",
                    self.id, check.id
                ));
            }
            for term in check.left.iter().chain(&check.right) {
                match self.question(term) {
                    Some(q) if matches!(q.kind, QuestionKind::Number { .. }) => {}
                    None if term == REGISTERED_VOTERS_TERM => {}
                    _ => {
                        return Err(format!(
                            "form '{}': check '{}' uses '{}', which is not a number question",
                            self.id, check.id, term
                        ));
                    }
                }
            }
        }
        if self.is_checklist() {
            match self.questions.last() {
                Some(q) if q.id == OVERALL_QUESTION && q.kind == QuestionKind::Assessment => {}
                _ => {
                    return Err(format!(
                        "form '{}': a checklist must end with the assessment question '{}'",
                        self.id, OVERALL_QUESTION
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod labels_tests {
    use super::Labels;

    #[test]
    fn texts_come_in_any_language_with_english_as_the_fallback() {
        let labels: Labels = serde_json::from_str(
            r#"{"en": "Ballot box sealed", "ru": "Урна опечатана", "uz-Latn": "Quti muhrlangan"}"#,
        )
        .expect("a text in three languages");
        assert_eq!(labels.get("ru"), "Урна опечатана");
        assert_eq!(
            labels.get("ru-KZ"),
            "Урна опечатана",
            "the language of a regional tag"
        );
        assert_eq!(labels.get("uz-latn"), "Quti muhrlangan", "tags ignore case");
        assert_eq!(
            labels.get("kk"),
            "Ballot box sealed",
            "English when missing"
        );
        assert!(labels.has("ru") && !labels.has("kk"));
        let round: Labels =
            serde_json::from_str(&serde_json::to_string(&labels).expect("json")).expect("back");
        assert_eq!(round, labels);
        assert!(serde_json::from_str::<Labels>(r#"{"ru": "Только русский"}"#).is_err());
    }
}
