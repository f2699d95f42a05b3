//! Observer teams in bulk: `eom-server observer import teams.csv` reads the mission's team
//! list (as a spreadsheet saves it), creates every team with its phone and assigned stations
//! and a one-time enrolment code, all or nothing, and writes the enrolment sheet handed to
//! the teams ([`sheet`]). The file is checked whole first: an unknown region or station, a
//! name given twice or already taken is reported with its line, and nothing is created.

pub mod sheet;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use crate::auth::{generate_token, hash_token};
use crate::store::{Account, NewAccount, NewTeam, Role, Store, StoreError};

/// Columns every team list has.
const COLUMNS: [&str; 2] = ["name", "region"];
/// Columns it may add.
const OPTIONAL: [&str; 2] = ["phone", "stations"];
/// Most row problems listed before the rest are summarised.
const MAX_REPORTED_PROBLEMS: usize = 20;
/// Longest phone number field (several numbers may be given).
const MAX_PHONE_CHARS: usize = 60;

/// One team as the file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRow {
    pub line: u64,
    pub name: String,
    pub region: String,
    pub phone: String,
    pub stations: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TeamImportError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error(
        "the first line of the file must name the columns name,region (and optionally \
         phone,stations), separated by ',' or ';'; missing: {0}"
    )]
    Header(String),
    #[error("nothing was imported, because of these rows:\n{}", .0.join("\n"))]
    Rows(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A team made by the import, with the code it enrols with.
#[derive(Debug, Clone)]
pub struct EnrolledTeam {
    pub account: Account,
    pub phone: String,
    pub stations: Vec<String>,
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// Station codes of a `stations` cell: separated by spaces, commas, semicolons or slashes.
fn station_codes(cell: &str) -> Vec<String> {
    cell.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '/'))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads a team list: `name,region` and optionally `phone,stations`, in UTF-8 (with or
/// without a byte-order mark), UTF-16 or Windows-1251, separated by `,`, `;` or tabs.
pub fn parse_team_csv(bytes: &[u8]) -> Result<Vec<TeamRow>, TeamImportError> {
    let (mut reader, headers) =
        eom_shared::csv_file::reader(bytes, &COLUMNS).map_err(|reason| {
            TeamImportError::Unreadable {
                path: "the team list".into(),
                reason,
            }
        })?;
    let (required, optional) = eom_shared::csv_file::columns(&headers, &COLUMNS, &OPTIONAL)
        .map_err(|missing| TeamImportError::Header(missing.join(", ")))?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for row in eom_shared::csv_file::rows(&mut reader) {
        let (line, record) = match row {
            Ok(row) => row,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let cell = |at: Option<usize>| at.and_then(|i| record.get(i)).unwrap_or("").trim();
        let (name, region) = (cell(Some(required[0])), cell(Some(required[1])));
        let phone = cell(optional[0]);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut wrong = Vec::new();
        if name.is_empty() {
            wrong.push("the name is empty".to_owned());
        }
        if region.is_empty() {
            wrong.push("the region is empty".to_owned());
        }
        if let Some(bad) = [name, region, phone]
            .iter()
            .find_map(|t| eom_shared::limits::control_character(t))
        {
            wrong.push(format!("it holds the control character {bad:?}"));
        }
        if [name, region]
            .iter()
            .any(|t| t.chars().count() > crate::admin::MAX_NAME_CHARS)
        {
            wrong.push(format!(
                "a name or region is longer than {} characters",
                crate::admin::MAX_NAME_CHARS
            ));
        }
        if phone.chars().count() > MAX_PHONE_CHARS {
            wrong.push(format!(
                "the phone is longer than {MAX_PHONE_CHARS} characters"
            ));
        }
        if wrong.is_empty() {
            rows.push(TeamRow {
                line,
                name: name.to_owned(),
                region: region.to_owned(),
                phone: phone.to_owned(),
                stations: station_codes(cell(optional[1])),
            });
        } else {
            problems.push(format!("line {line}: {}", wrong.join("; ")));
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push("the file has a header but no teams".into());
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(rows_error(problems))
    }
}

fn rows_error(mut problems: Vec<String>) -> TeamImportError {
    let extra = problems.len().saturating_sub(MAX_REPORTED_PROBLEMS);
    problems.truncate(MAX_REPORTED_PROBLEMS);
    if extra > 0 {
        problems.push(format!("... and {extra} more"));
    }
    TeamImportError::Rows(problems)
}

/// Checks rows against what the database holds: regions and stations on the list, names not
/// taken (in the file or by an existing team).
fn check_against(store: &dyn Store, rows: &[TeamRow]) -> Result<(), TeamImportError> {
    let regions: HashSet<String> = store.regions()?.into_iter().collect();
    let stations: HashMap<String, String> = store
        .catalog_changes(0, "")?
        .stations
        .into_iter()
        .map(|s| (s.code.to_string(), s.region))
        .collect();
    let mut taken: HashMap<String, String> = store
        .list_accounts()?
        .into_iter()
        .filter(|a| a.role == Role::Observer)
        .map(|a| {
            (
                a.name.to_lowercase(),
                format!("an existing team (id {})", a.id),
            )
        })
        .collect();
    let mut problems = Vec::new();
    for row in rows {
        let line = row.line;
        if !regions.contains(&row.region) {
            let mut known: Vec<&String> = regions.iter().collect();
            known.sort();
            problems.push(format!(
                "line {line}: there is no region '{}' in the station list (regions: {})",
                row.region,
                known
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for code in &row.stations {
            match stations.get(code) {
                None => problems.push(format!(
                    "line {line}: there is no station '{code}' in the station list"
                )),
                Some(region) if region != &row.region => problems.push(format!(
                    "line {line}: station '{code}' is in {region}, not in the team's region {}",
                    row.region
                )),
                Some(_) => {}
            }
        }
        if let Some(first) = taken.insert(row.name.to_lowercase(), format!("line {line}")) {
            problems.push(format!(
                "line {line}: the name '{}' is already used by {first}; team names must differ \
                 (to give an existing team a new code: eom-server observer code ID)",
                row.name
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(rows_error(problems))
    }
}

/// Imports a team list file: every team made with a code valid for `code_valid_hours`, or
/// none.
pub fn import_teams_csv(
    store: &dyn Store,
    path: &Path,
    code_valid_hours: i64,
    actor: &str,
) -> Result<Vec<EnrolledTeam>, TeamImportError> {
    let bytes = std::fs::read(path).map_err(|e| TeamImportError::Unreadable {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let rows = parse_team_csv(&bytes)?;
    check_against(store, &rows)?;
    let expires_at = Utc::now() + Duration::hours(code_valid_hours.max(1));
    let mut codes = Vec::with_capacity(rows.len());
    let teams: Vec<NewTeam> = rows
        .iter()
        .map(|row| {
            let code = crate::enrolment::generate_code();
            let team = NewTeam {
                account: NewAccount {
                    actor: actor.to_owned(),
                    name: row.name.clone(),
                    role: Role::Observer,
                    region: Some(row.region.clone()),
                    // Never shown: the code gives the laptop a fresh token.
                    token_hash: hash_token(&generate_token()),
                },
                phone: row.phone.clone(),
                stations: row.stations.clone(),
                code_hash: crate::enrolment::code_hash_of(&code),
                code_expires_at: expires_at,
            };
            codes.push(code);
            team
        })
        .collect();
    let created = store.import_teams(teams)?;
    Ok(created
        .into_iter()
        .zip(rows.into_iter().zip(codes))
        .map(|(account, (row, code))| EnrolledTeam {
            account,
            phone: row.phone,
            stations: row.stations,
            code,
            expires_at,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_semicolon_separated_windows_1251_list_is_read_with_its_optional_columns() {
        let text = "name;region;phone;stations\r\nКоманда 1;Алматы;+7 701 000 00 01;PEC-001, PEC-002\r\n;;;\r\nTeam 2;North;;\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let rows = parse_team_csv(&bytes).expect("read");
        assert_eq!(rows.len(), 2, "the empty row is skipped: {rows:?}");
        assert_eq!(rows[0].name, "Команда 1");
        assert_eq!(rows[0].region, "Алматы");
        assert_eq!(rows[0].phone, "+7 701 000 00 01");
        assert_eq!(rows[0].stations, ["PEC-001", "PEC-002"]);
        assert_eq!(rows[1].stations, Vec::<String>::new());
        assert_eq!(rows[1].line, 4);
    }

    #[test]
    fn bad_rows_are_named_with_their_lines_and_a_missing_column_is_named() {
        let Err(TeamImportError::Rows(problems)) =
            parse_team_csv(b"name,region\nTeam 1,\n,North\n")
        else {
            panic!("rows refused");
        };
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0].starts_with("line 2: the region is empty"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("line 3: the name is empty"),
            "{problems:?}"
        );
        let Err(TeamImportError::Header(missing)) = parse_team_csv(b"team,area\nA,B\n") else {
            panic!("header refused");
        };
        assert_eq!(missing, "name, region");
    }
}
