//! XLSForm, the spreadsheet ODK and Kobo missions already keep their checklists in, read into
//! the same form model a JSON definition gives (then checked and published alike).
//!
//! The subset observation checklists use: the `survey`, `choices` and `settings` sheets;
//! `select_one`, `select_multiple`, `integer`, `text`, `time`, `note` and
//! `begin_group`/`end_group`; `required`; `relevant` of the shapes `${q} = 'v'`,
//! `${q} = 'a' or ${q} = 'b'` and `selected(${q}, 'v')`; `constraint` as bounds on an integer
//! (`. >= 0 and . <= 5000`); `label::LANG` columns (`label::Russian (ru)`, `label::ru`).
//! A `select_one` over exactly yes/no becomes a yes/no question; `overall` over
//! very_good/good/bad/very_bad becomes the assessment. Two optional columns of our own:
//! `concern` (answers that signal a problem, e.g. `no`) and `critical` (`yes`).
//!
//! Notes and device metadata (`start`, `end`, `today`, `deviceid`...) carry no observation
//! and are left out, said so. Anything else is named with its sheet and row number, and
//! nothing is imported: a mission fixes the spreadsheet rather than losing a question.
//!
//! The reading is a pure function of the sheets' cells ([`Sheets`]) so it is tested without
//! files; [`read_file`] fills them from an `.xlsx` with `calamine`.

use std::collections::BTreeMap;
use std::path::Path;

use eom_shared::form::{
    Choice, Concern, Form, FormId, Labels, OVERALL_QUESTION, Question, QuestionKind, Relevance,
    Stage,
};
use serde_json::Value;

/// The cells of the three sheets, row by row (the header row first), as text.
#[derive(Debug, Default, Clone)]
pub struct Sheets {
    pub survey: Vec<Vec<String>>,
    pub choices: Vec<Vec<String>>,
    pub settings: Vec<Vec<String>>,
}

/// What an import made, and what it left out on purpose.
#[derive(Debug)]
pub struct Imported {
    pub form: Form,
    /// Rows left out that carry no observation (notes, device metadata), with why.
    pub skipped: Vec<String>,
}

/// Reads the sheets of an `.xlsx` (or `.xls`, `.ods`) file.
pub fn read_file(path: &Path) -> Result<Sheets, String> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(path).map_err(|e| {
        format!(
            "{} is not a spreadsheet calamine can read: {e}",
            path.display()
        )
    })?;
    let mut sheet = |name: &str, required: bool| -> Result<Vec<Vec<String>>, String> {
        let Some(actual) = book
            .sheet_names()
            .into_iter()
            .find(|n| n.trim().eq_ignore_ascii_case(name))
        else {
            return if required {
                Err(format!(
                    "{} has no '{name}' sheet; an XLSForm has 'survey' and 'choices' (and 'settings')",
                    path.display()
                ))
            } else {
                Ok(Vec::new())
            };
        };
        let range = book
            .worksheet_range(&actual)
            .map_err(|e| format!("sheet '{actual}': {e}"))?;
        Ok(range
            .rows()
            .map(|row| row.iter().map(cell_text).collect())
            .collect())
    };
    Ok(Sheets {
        survey: sheet("survey", true)?,
        choices: sheet("choices", false)?,
        settings: sheet("settings", false)?,
    })
}

fn cell_text(cell: &calamine::Data) -> String {
    match cell {
        calamine::Data::Empty => String::new(),
        // Whole numbers typed in a cell come back as floats: 5000, not 5000.0.
        calamine::Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string().trim().to_owned(),
    }
}

/// One sheet's rows by column name (lower case), with their spreadsheet row numbers.
struct Table<'a> {
    columns: Vec<String>,
    rows: Vec<(usize, &'a [String])>,
}

impl<'a> Table<'a> {
    fn new(cells: &'a [Vec<String>]) -> Self {
        let columns = cells
            .first()
            .map(|h| h.iter().map(|c| c.trim().to_lowercase()).collect())
            .unwrap_or_default();
        let rows = cells
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
            .map(|(i, r)| (i + 1, r.as_slice()))
            .collect();
        Self { columns, rows }
    }

    fn get<'r>(&self, row: &'r [String], column: &str) -> &'r str {
        self.columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| row.get(i))
            .map_or("", |c| c.trim())
    }

    /// Texts by language from `label` and `label::LANG` columns.
    fn labels(&self, row: &[String], default_lang: &str) -> BTreeMap<String, String> {
        let mut texts = BTreeMap::new();
        for (i, column) in self.columns.iter().enumerate() {
            let lang = if column == "label" {
                Some(default_lang.to_owned())
            } else {
                column.strip_prefix("label::").map(language_tag)
            };
            if let (Some(lang), Some(text)) = (lang, row.get(i))
                && !text.trim().is_empty()
            {
                texts.insert(lang, text.trim().to_owned());
            }
        }
        texts
    }
}

/// `English (en)` → `en`; `ru` → `ru`; `Russian` → `ru` for the languages named in full that
/// missions here use.
fn language_tag(column: &str) -> String {
    let column = column.trim();
    if let (Some(open), Some(close)) = (column.rfind('('), column.rfind(')'))
        && open < close
    {
        return column[open + 1..close].trim().to_lowercase();
    }
    match column.to_lowercase().as_str() {
        "english" => "en".into(),
        "russian" | "русский" => "ru".into(),
        "kazakh" | "қазақша" | "казахский" => "kk".into(),
        other => other.to_owned(),
    }
}

fn is_yes(text: &str) -> bool {
    matches!(
        text.trim().to_lowercase().as_str(),
        "yes" | "true" | "true()" | "1"
    )
}

/// Types that carry no observation: left out on purpose.
const METADATA: [&str; 10] = [
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
];

/// Reads the sheets into a form of `stage` (unless the settings name one), checked as every
/// definition is. Every unsupported row is reported at once.
pub fn import(sheets: &Sheets, stage: Option<Stage>) -> Result<Imported, String> {
    let settings = Table::new(&sheets.settings);
    let setting = |name: &str| {
        settings
            .rows
            .first()
            .map(|(_, r)| settings.get(r, name).to_owned())
            .unwrap_or_default()
    };
    let default_lang = match setting("default_language") {
        l if l.is_empty() => "en".to_owned(),
        l => language_tag(&l),
    };
    let mut problems: Vec<String> = Vec::new();
    let id = setting("form_id");
    let form_id = FormId::parse(&id).map_err(|e| {
        format!("settings: form_id '{id}' cannot be a form id ({e}); give one like 'voting_kz'")
    })?;
    let version = match setting("version") {
        v if v.is_empty() => 1,
        v => v.parse::<u32>().map_err(|_| {
            format!(
                "settings: version '{v}' must be a whole number (1, 2, ...; at most 4294967295)"
            )
        })?,
    };
    let stage = match (setting("stage"), stage) {
        (s, _) if !s.is_empty() => Stage::parse(&s).ok_or_else(|| {
            format!("settings: stage '{s}' is not one of opening, voting, counting, tabulation, incident")
        })?,
        (_, Some(stage)) => stage,
        (_, None) => {
            return Err(
                "which stage is this checklist for? add a 'stage' column to the settings sheet (opening, voting, counting, tabulation or incident) or pass --stage".into(),
            );
        }
    };
    let mut title = Labels::en(&id);
    if let Some((_, row)) = settings.rows.first() {
        let mut texts = BTreeMap::new();
        for (i, column) in settings.columns.iter().enumerate() {
            let lang = if column == "form_title" {
                Some(default_lang.clone())
            } else {
                column.strip_prefix("form_title::").map(language_tag)
            };
            if let (Some(lang), Some(text)) = (lang, row.get(i))
                && !text.trim().is_empty()
            {
                texts.insert(lang, text.trim().to_owned());
            }
        }
        if let Ok(labels) = Labels::try_from(texts) {
            title = labels;
        }
    }

    // Choice lists.
    let choices_table = Table::new(&sheets.choices);
    let mut lists: BTreeMap<String, Vec<Choice>> = BTreeMap::new();
    for (row_number, row) in &choices_table.rows {
        let list = choices_table.get(row, "list_name");
        let name = choices_table.get(row, "name");
        if list.is_empty() || name.is_empty() {
            problems.push(format!(
                "choices row {row_number}: list_name and name are both needed"
            ));
            continue;
        }
        match Labels::try_from(choices_table.labels(row, &default_lang)) {
            Ok(label) => lists.entry(list.to_owned()).or_default().push(Choice {
                id: name.to_owned(),
                label,
                exclusive: false,
            }),
            Err(e) => problems.push(format!("choices row {row_number}: {e}")),
        }
    }

    // Questions, with groups flattened: a group's `relevant` applies to what it holds.
    let survey = Table::new(&sheets.survey);
    let mut questions: Vec<Question> = Vec::new();
    let mut skipped = Vec::new();
    let mut groups: Vec<Option<(usize, String)>> = Vec::new();
    for (row_number, row) in &survey.rows {
        let raw_type = survey.get(row, "type");
        let name = survey.get(row, "name");
        let at = format!("survey row {row_number}");
        let mut words = raw_type.split_whitespace();
        let kind_word = words.next().unwrap_or("").to_lowercase();
        let list = words.next().unwrap_or("");
        match kind_word.as_str() {
            "begin_group" | "begin" if kind_word == "begin_group" || list == "group" => {
                let relevant = survey.get(row, "relevant");
                groups.push((!relevant.is_empty()).then(|| (*row_number, relevant.to_owned())));
                continue;
            }
            "end_group" | "end" if kind_word == "end_group" || list == "group" => {
                if groups.pop().is_none() {
                    problems.push(format!("{at}: end_group without a begin_group"));
                }
                continue;
            }
            "note" => {
                skipped.push(format!("{at}: note '{name}' (display only)"));
                continue;
            }
            t if METADATA.contains(&t) => {
                skipped.push(format!("{at}: {t} '{name}' (device metadata)"));
                continue;
            }
            "" => {
                problems.push(format!("{at}: the type is empty"));
                continue;
            }
            _ => {}
        }
        let kind = match kind_word.as_str() {
            "integer" => match bounds(survey.get(row, "constraint")) {
                Ok((min, max)) => QuestionKind::Number { min, max },
                Err(e) => {
                    problems.push(format!("{at} ('{name}'): {e}"));
                    continue;
                }
            },
            "text" => QuestionKind::Text { max_length: None },
            "time" => QuestionKind::Time,
            "select_one" | "select_multiple" => {
                let Some(choices) = lists.get(list).cloned() else {
                    problems.push(format!(
                        "{at} ('{name}'): there is no choice list '{list}' on the choices sheet"
                    ));
                    continue;
                };
                let ids: Vec<&str> = choices.iter().map(|c| c.id.as_str()).collect();
                if kind_word == "select_one" && is_yes_no(&ids) {
                    QuestionKind::YesNo
                } else if kind_word == "select_one"
                    && name == OVERALL_QUESTION
                    && is_assessment(&ids)
                {
                    QuestionKind::Assessment
                } else if kind_word == "select_one" {
                    QuestionKind::SingleChoice { choices }
                } else {
                    QuestionKind::MultiChoice { choices }
                }
            }
            other => {
                problems.push(format!(
                    "{at} ('{name}'): type '{other}' is not supported (use select_one, select_multiple, integer, text, time or note)"
                ));
                continue;
            }
        };
        let label = match Labels::try_from(survey.labels(row, &default_lang)) {
            Ok(l) => l,
            Err(e) => {
                problems.push(format!("{at} ('{name}'): {e}"));
                continue;
            }
        };
        if !survey.get(row, "constraint").is_empty() && !matches!(kind, QuestionKind::Number { .. })
        {
            problems.push(format!(
                "{at} ('{name}'): a constraint is supported only as bounds on an integer"
            ));
            continue;
        }
        let own = survey.get(row, "relevant");
        let group = groups.iter().flatten().next_back();
        let condition = match (own.is_empty(), group) {
            (false, Some(_)) => {
                problems.push(format!(
                    "{at} ('{name}'): it has a relevant of its own inside a group with one; only one condition per question is supported"
                ));
                continue;
            }
            (false, None) => Some(own.to_owned()),
            (true, Some((_, g))) => Some(g.clone()),
            (true, None) => None,
        };
        let relevant = match condition.map(|c| relevance(&c, &questions)).transpose() {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{at} ('{name}'): {e}"));
                continue;
            }
        };
        let concern = match concern_of(survey.get(row, "concern"), &kind) {
            Ok(c) => c.map(|mut c| {
                c.critical = is_yes(survey.get(row, "critical"));
                c
            }),
            Err(e) => {
                problems.push(format!("{at} ('{name}'): {e}"));
                continue;
            }
        };
        questions.push(Question {
            id: name.to_owned(),
            label,
            kind,
            required: is_yes(survey.get(row, "required")),
            relevant,
            concern,
            not_observed: false,
        });
    }
    if let Some(Some((row, _))) = groups.last() {
        problems.push(format!(
            "survey row {row}: begin_group without an end_group"
        ));
    }
    if !problems.is_empty() {
        return Err(format!(
            "the spreadsheet cannot be imported as it is; nothing was installed:\n  {}",
            problems.join("\n  ")
        ));
    }
    let form = Form {
        id: form_id,
        version,
        stage,
        title,
        questions,
        checks: Vec::new(),
        contests: Vec::new(),
    };
    form.check_definition()?;
    Ok(Imported { form, skipped })
}

fn is_yes_no(ids: &[&str]) -> bool {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted == ["no", "yes"]
}

fn is_assessment(ids: &[&str]) -> bool {
    ids == ["very_good", "good", "bad", "very_bad"]
}

/// `. >= 0 and . <= 5000` → (Some(0), Some(5000)).
fn bounds(constraint: &str) -> Result<(Option<i64>, Option<i64>), String> {
    let mut min = None;
    let mut max = None;
    if constraint.trim().is_empty() {
        return Ok((min, max));
    }
    for part in constraint.split(" and ") {
        let part = part.trim().trim_start_matches('(').trim_end_matches(')');
        let unsupported = || {
            format!(
                "constraint '{constraint}' is not supported: use bounds such as '. >= 0 and . <= 5000'"
            )
        };
        let (op, value) = [">=", "<=", ">", "<"]
            .into_iter()
            .find_map(|op| {
                part.strip_prefix('.')
                    .map(str::trim)
                    .and_then(|rest| rest.strip_prefix(op))
                    .map(|v| (op, v.trim()))
            })
            .ok_or_else(unsupported)?;
        let n: i64 = value.parse().map_err(|_| unsupported())?;
        match op {
            ">=" => min = Some(n),
            ">" => min = Some(n + 1),
            "<=" => max = Some(n),
            _ => max = Some(n - 1),
        }
    }
    Ok((min, max))
}

/// `${q} = 'a'`, `${q} = 'a' or ${q} = 'b'`, `selected(${q}, 'a')`: asked when `q`'s answer
/// is (or, for a multi-choice, contains) one of the values.
fn relevance(expression: &str, earlier: &[Question]) -> Result<Relevance, String> {
    let unsupported = || {
        format!(
            "relevant '{expression}' is not supported: use ${{q}} = 'value', several joined with 'or', or selected(${{q}}, 'value')"
        )
    };
    let mut question: Option<String> = None;
    let mut values: Vec<String> = Vec::new();
    for part in expression.split(" or ") {
        let part = part
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .trim();
        let (q, v) = if let Some(inner) = part.strip_prefix("selected(") {
            let (q, v) = inner.split_once(',').ok_or_else(unsupported)?;
            (q.trim(), v.trim())
        } else {
            let (q, v) = part.split_once('=').ok_or_else(unsupported)?;
            if q.ends_with('!') || q.ends_with('<') || q.ends_with('>') {
                return Err(unsupported());
            }
            (q.trim(), v.trim())
        };
        let q = q
            .strip_prefix("${")
            .and_then(|q| q.strip_suffix('}'))
            .ok_or_else(unsupported)?;
        let v = v
            .trim_end_matches(')')
            .trim()
            .trim_matches(|c| c == '\'' || c == '"');
        match &question {
            Some(existing) if existing != q => return Err(unsupported()),
            _ => question = Some(q.to_owned()),
        }
        values.push(v.to_owned());
    }
    let question = question.ok_or_else(unsupported)?;
    let Some(target) = earlier.iter().find(|q| q.id == question) else {
        return Err(format!(
            "relevant refers to '{question}', which is not an earlier question"
        ));
    };
    let any_of = values
        .iter()
        .map(|v| answer_value(&target.kind, v))
        .collect();
    Ok(Relevance { question, any_of })
}

/// A spreadsheet value as the answer it stands for: yes/no as true/false, integers as
/// numbers, anything else as the choice id.
fn answer_value(kind: &QuestionKind, text: &str) -> Value {
    match kind {
        QuestionKind::YesNo => Value::Bool(text == "yes"),
        QuestionKind::Number { .. } => text
            .parse::<i64>()
            .map_or_else(|_| Value::from(text), Value::from),
        _ => Value::from(text),
    }
}

/// The `concern` column: answers (comma-separated) that signal a problem.
fn concern_of(column: &str, kind: &QuestionKind) -> Result<Option<Concern>, String> {
    if column.trim().is_empty() {
        return Ok(None);
    }
    let answers: Vec<Value> = column
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| answer_value(kind, v))
        .collect();
    if let QuestionKind::SingleChoice { choices } | QuestionKind::MultiChoice { choices } = kind {
        for a in &answers {
            if !choices.iter().any(|c| Some(c.id.as_str()) == a.as_str()) {
                return Err(format!(
                    "concern '{a}' is not one of the question's choices"
                ));
            }
        }
    }
    Ok(Some(Concern {
        answers,
        above: None,
        critical: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(cells: &[&[&str]]) -> Vec<Vec<String>> {
        cells
            .iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect()
    }

    #[test]
    fn constraints_are_bounds() {
        assert_eq!(bounds(". >= 0 and . <= 5000"), Ok((Some(0), Some(5000))));
        assert_eq!(bounds(".>5"), Ok((Some(6), None)));
        assert!(bounds("regex(., '^[0-9]+$')").is_err());
    }

    #[test]
    fn unsupported_rows_are_named_with_their_sheet_and_row() {
        let sheets = Sheets {
            survey: rows(&[
                &["type", "name", "label"],
                &["geopoint", "where", "Where are you?"],
                &["integer", "voters", "Voters"],
                &["select_one nolist", "x", "X"],
            ]),
            choices: rows(&[&["list_name", "name", "label"]]),
            settings: rows(&[&["form_id", "stage"], &["t", "incident"]]),
        };
        let error = import(&sheets, None).expect_err("unsupported");
        assert!(
            error.contains("survey row 2 ('where'): type 'geopoint'"),
            "{error}"
        );
        assert!(
            error.contains("survey row 4 ('x'): there is no choice list 'nolist'"),
            "{error}"
        );
        assert!(!error.contains("row 3"), "{error}");
    }
}
