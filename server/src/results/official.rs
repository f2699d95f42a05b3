//! Published results: `station,contest,line,value`, one row per protocol line, as the
//! administration publishes them per polling station.
//!
//! `line` is the id of a protocol line exactly as the observers' protocol names it
//! (`valid_ballots`, `votes.amanat`, `against_all`). Every row is checked against the station
//! list and the contests before anything is stored: an unknown station, contest or line, a
//! station that does not vote in the contest, a malformed number or a row given twice is
//! reported with its line number, and then nothing is imported.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use eom_shared::contest::protocol_lines;
use eom_shared::form::Form;

use super::ResultsError;
use crate::store::{OfficialFigure, Publication, Store};

pub const COLUMNS: [&str; 4] = ["station", "contest", "line", "value"];

/// At most this many wrong rows are listed; the count says how many more there were.
const SHOWN_PROBLEMS: usize = 50;

/// Reads a results file against the contests of `form` and the station codes in `stations`.
pub fn parse(
    bytes: &[u8],
    form: &Form,
    stations: &HashSet<String>,
) -> Result<Vec<OfficialFigure>, ResultsError> {
    let (mut reader, headers) =
        eom_shared::csv_file::reader(bytes, &COLUMNS).map_err(|reason| {
            ResultsError::Invalid(format!("the results file cannot be read: {reason}"))
        })?;
    let (columns, _) = eom_shared::csv_file::columns(&headers, &COLUMNS, &[]).map_err(|missing| {
        ResultsError::Invalid(format!(
            "the results file lacks the column(s) {}: its first line must be station,contest,line,value",
            missing.join(", ")
        ))
    })?;
    let lines: HashMap<&str, HashSet<String>> = form
        .contests
        .iter()
        .map(|c| (c.id.as_str(), protocol_lines(form, c).into_iter().collect()))
        .collect();
    let mut seen: HashMap<(String, String, String), u64> = HashMap::new();
    let mut figures = Vec::new();
    let mut problems = Vec::new();
    for row in eom_shared::csv_file::rows(&mut reader) {
        let (at, record) = match row {
            Ok(row) => row,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| record.get(columns[i]).unwrap_or("").trim().to_owned();
        let (station, contest, line, value) = (cell(0), cell(1), cell(2), cell(3));
        let mut wrong = Vec::new();
        if !stations.contains(&station) {
            wrong.push(format!("station '{station}' is not in the station list"));
        }
        match (
            form.contests.iter().find(|c| c.id == contest),
            lines.get(contest.as_str()),
        ) {
            (Some(c), Some(known)) => {
                if let Ok(code) = eom_shared::StationCode::parse(&station)
                    && stations.contains(&station)
                    && !c.voted_at(&code)
                {
                    wrong.push(format!(
                        "station '{station}' does not vote in contest '{contest}'"
                    ));
                }
                if !known.contains(&line) {
                    let mut ids: Vec<&String> = known.iter().collect();
                    ids.sort();
                    wrong.push(format!(
                        "'{line}' is not a line of the '{contest}' protocol (its lines: {})",
                        ids.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
            _ => wrong.push(format!(
                "there is no contest '{contest}' (contests: {})",
                form.contests
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
        let number = value
            .replace([' ', '\u{a0}'], "")
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0);
        if number.is_none() {
            wrong.push(format!("'{value}' is not a whole number of 0 or more"));
        }
        if let Some(first) = seen.insert((station.clone(), contest.clone(), line.clone()), at) {
            wrong.push(format!("this figure was given already on line {first}"));
        }
        match (wrong.is_empty(), number) {
            (true, Some(value)) => figures.push(OfficialFigure {
                station,
                contest,
                line,
                value,
            }),
            _ => problems.push(format!("line {at}: {}", wrong.join("; "))),
        }
    }
    if !problems.is_empty() {
        let more = problems.len().saturating_sub(SHOWN_PROBLEMS);
        problems.truncate(SHOWN_PROBLEMS);
        if more > 0 {
            problems.push(format!("... and {more} more"));
        }
        return Err(ResultsError::Lines(problems));
    }
    if figures.is_empty() {
        return Err(ResultsError::Invalid(
            "the results file holds no figures: one row per station, contest and line under the header station,contest,line,value".into(),
        ));
    }
    Ok(figures)
}

/// A publication time: `2026-03-16T08:00:00+05:00` (RFC 3339), `2026-03-16 08:00` or
/// `2026-03-16` (UTC).
pub fn parse_published_at(raw: &str) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, format) {
            return Ok(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            format!("'{raw}' is not a time: write 2026-03-16T08:00:00+05:00, 2026-03-16 08:00 (UTC) or 2026-03-16")
        })
}

/// Reads `bytes` and stores them as the next publication.
pub fn import(
    store: &dyn Store,
    source: &str,
    bytes: &[u8],
    published_at: Option<DateTime<Utc>>,
) -> Result<(Publication, usize), ResultsError> {
    let form = super::contests::current(store)?.ok_or_else(|| {
        ResultsError::Invalid(
            "no contests are defined, so results cannot be matched to protocols: run 'eom-server contests import FILE.json' first".into(),
        )
    })?;
    let stations: HashSet<String> = store
        .catalog_changes(0, "")?
        .stations
        .into_iter()
        .map(|s| s.code.as_str().to_owned())
        .collect();
    let figures = parse(bytes, &form, &stations)?;
    let publication = store.import_results(source, published_at, Utc::now(), &figures)?;
    Ok((publication, figures.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        super::super::example_form()
    }

    fn stations() -> HashSet<String> {
        ["ALA-001", "ALA-002"].map(str::to_owned).into()
    }

    #[test]
    fn a_results_file_is_read_in_long_form() {
        let text = "station;contest;line;value\r\nALA-001;party-list;votes.amanat;1 200\r\nALA-002;district-5;valid_ballots;80\r\n\r\nALA-002;party-list;against_all;7\r\n";
        let figures = parse(text.as_bytes(), &form(), &stations()).expect("read");
        assert_eq!(figures.len(), 3);
        assert_eq!(figures[0].value, 1200, "a thousands space is read");
        assert_eq!(figures[1].contest, "district-5");
    }

    #[test]
    fn every_wrong_row_is_named_by_its_line_and_nothing_is_read() {
        let text = "station,contest,line,value
ALA-001,party-list,votes.amanat,10
ALA-009,party-list,votes.amanat,10
ALA-001,senate,votes.amanat,10
ALA-001,party-list,votes.nobody,10
ALA-001,party-list,valid_ballots,ten
ALA-001,party-list,invalid_ballots,-3
ALA-001,district-5,valid_ballots,3
ALA-001,party-list,votes.amanat,11
";
        let Err(ResultsError::Lines(problems)) = parse(text.as_bytes(), &form(), &stations())
        else {
            panic!("refused")
        };
        let expected = [
            ("line 3:", "station 'ALA-009' is not in the station list"),
            ("line 4:", "there is no contest 'senate'"),
            (
                "line 5:",
                "'votes.nobody' is not a line of the 'party-list' protocol",
            ),
            ("line 6:", "'ten' is not a whole number"),
            ("line 7:", "'-3' is not a whole number"),
            ("line 8:", "does not vote in contest 'district-5'"),
            ("line 9:", "given already on line 2"),
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
        for (problem, (line, says)) in problems.iter().zip(expected) {
            assert!(
                problem.starts_with(line) && problem.contains(says),
                "{problem}"
            );
        }
    }

    #[test]
    fn a_file_without_the_columns_or_figures_is_refused_with_what_to_do() {
        let e = parse(b"code,votes\nALA-001,3\n", &form(), &stations()).expect_err("columns");
        assert!(e.to_string().contains("station,contest,line,value"), "{e}");
        let e = parse(b"station,contest,line,value\n", &form(), &stations()).expect_err("empty");
        assert!(e.to_string().contains("no figures"), "{e}");
    }

    #[test]
    fn publication_times_are_read_in_three_forms() {
        for raw in [
            "2026-03-16T08:00:00+05:00",
            "2026-03-16 03:00",
            "2026-03-16T03:00",
        ] {
            assert_eq!(
                parse_published_at(raw).expect(raw).to_rfc3339(),
                "2026-03-16T03:00:00+00:00"
            );
        }
        assert!(parse_published_at("2026-03-16").is_ok());
        assert!(
            parse_published_at("yesterday")
                .expect_err("no")
                .contains("2026-03-16")
        );
    }
}
