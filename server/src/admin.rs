//! Operator tasks run from the command line: accounts and the station list. They open the
//! database directly and work while the server is running (SQLite WAL allows it).

use std::path::Path;

use eom_shared::station::{Station, StationCode, StationLevel};

use crate::auth::{generate_token, hash_token};
use crate::store::{Account, ImportSummary, NewAccount, Role, Store, StoreError};

/// A new account and its token, which is shown once and never stored in clear.
pub struct CreatedAccount {
    pub account: Account,
    pub token: String,
}

pub fn create_account(
    store: &dyn Store,
    name: &str,
    role: Role,
    region: Option<&str>,
) -> Result<CreatedAccount, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid(
            "the name is empty: give the observer team's or coordinator's name".into(),
        ));
    }
    let token = generate_token();
    let account = store.create_account(NewAccount {
        name: name.to_owned(),
        role,
        region: region
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
        token_hash: hash_token(&token),
    })?;
    Ok(CreatedAccount { account, token })
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: the header must name the columns {expected}; missing: {missing}")]
    Header {
        path: String,
        expected: &'static str,
        missing: String,
    },
    #[error("{path}: nothing was imported, because of these rows:\n{}", .problems.join("\n"))]
    Rows { path: String, problems: Vec<String> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

const COLUMNS: [&str; 6] = [
    "code",
    "name",
    "region",
    "district",
    "level",
    "registered_voters",
];

/// Most row problems listed before the rest are summarised.
const MAX_REPORTED_PROBLEMS: usize = 20;

/// Reads a station CSV (`code,name,region,district,level,registered_voters`) and imports it
/// all or nothing: a bad row is reported with its line number and nothing is half-imported.
pub fn import_stations_csv(store: &dyn Store, path: &Path) -> Result<ImportSummary, ImportError> {
    let shown = path.display().to_string();
    let stations = parse_stations_csv(path)?;
    if stations.is_empty() {
        return Err(ImportError::Rows {
            path: shown,
            problems: vec!["the file has a header but no stations".into()],
        });
    }
    Ok(store.import_stations(&stations)?)
}

pub fn parse_stations_csv(path: &Path) -> Result<Vec<Station>, ImportError> {
    let shown = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(|e| ImportError::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        })?
        .clone();
    let position = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| position(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::Header {
            path: shown,
            expected: "code,name,region,district,level,registered_voters",
            missing: missing.join(", "),
        });
    }
    let index: Vec<usize> = COLUMNS.iter().filter_map(|c| position(c)).collect();

    let mut stations = Vec::new();
    let mut problems = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(index[i]).unwrap_or("").trim();
        match parse_station_row(field(0), field(1), field(2), field(3), field(4), field(5)) {
            Ok(station) => {
                if let Some(first) = seen.insert(station.code.clone(), line) {
                    problems.push(format!(
                        "line {line}: station '{}' already appears on line {first}",
                        station.code
                    ));
                } else {
                    stations.push(station);
                }
            }
            Err(reason) => problems.push(format!("line {line}: {reason}")),
        }
    }
    if problems.is_empty() {
        return Ok(stations);
    }
    let extra = problems.len().saturating_sub(MAX_REPORTED_PROBLEMS);
    problems.truncate(MAX_REPORTED_PROBLEMS);
    if extra > 0 {
        problems.push(format!("... and {extra} more"));
    }
    Err(ImportError::Rows {
        path: shown,
        problems,
    })
}

fn parse_station_row(
    code: &str,
    name: &str,
    region: &str,
    district: &str,
    level: &str,
    voters: &str,
) -> Result<Station, String> {
    let code = StationCode::parse(code)?;
    if name.is_empty() {
        return Err(format!("station '{code}' has no name"));
    }
    if region.is_empty() {
        return Err(format!("station '{code}' has no region"));
    }
    let level = StationLevel::parse(level)?;
    let registered_voters = if voters.is_empty() {
        None
    } else {
        Some(voters.parse::<u32>().map_err(|_| {
            format!("registered_voters '{voters}' of station '{code}' is not a whole number")
        })?)
    };
    Ok(Station {
        code,
        name: name.to_owned(),
        region: region.to_owned(),
        district: district.to_owned(),
        level,
        registered_voters,
    })
}
