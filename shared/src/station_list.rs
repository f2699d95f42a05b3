//! Station lists as CSV: `code,name,region,district,level,registered_voters`.
//!
//! The server imports them; a mission can also load one onto laptops before election day,
//! when observers may have no connection. A list is taken whole or not at all.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::station::{Station, StationCode, StationLevel};

pub const HEADER: &str = "code,name,region,district,level,registered_voters";

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

#[derive(Debug, thiserror::Error)]
pub enum StationListError {
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    #[error("the header must name the columns {HEADER}; missing: {0}")]
    Header(String),
    #[error("nothing was imported, because of these rows:\n{}", .0.join("\n"))]
    Rows(Vec<String>),
}

/// Reads and checks a whole station list from a file.
pub fn read_station_csv(path: &Path) -> Result<Vec<Station>, StationListError> {
    let file =
        std::fs::File::open(path).map_err(|e| StationListError::Unreadable(e.to_string()))?;
    parse_station_csv(file)
}

/// Parses and checks a whole station list; every bad row is reported with its line number.
pub fn parse_station_csv(input: impl Read) -> Result<Vec<Station>, StationListError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| StationListError::Unreadable(e.to_string()))?
        .clone();
    let position = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| position(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(StationListError::Header(missing.join(", ")));
    }
    let index: Vec<usize> = COLUMNS.iter().filter_map(|c| position(c)).collect();

    let mut stations = Vec::new();
    let mut problems = Vec::new();
    let mut seen = HashMap::new();
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
        match parse_row(field(0), field(1), field(2), field(3), field(4), field(5)) {
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
    if stations.is_empty() && problems.is_empty() {
        problems.push("the file has a header but no stations".into());
    }
    if problems.is_empty() {
        return Ok(stations);
    }
    let extra = problems.len().saturating_sub(MAX_REPORTED_PROBLEMS);
    problems.truncate(MAX_REPORTED_PROBLEMS);
    if extra > 0 {
        problems.push(format!("... and {extra} more"));
    }
    Err(StationListError::Rows(problems))
}

fn parse_row(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_may_come_in_any_order_and_voters_may_be_blank() {
        let text = "level,code,region,name,registered_voters,district\npec,PEC-1,North,School,1200,D1\ntec,TEC-1,North,TEC,,\n";
        let stations = parse_station_csv(text.as_bytes()).expect("parses");
        assert_eq!(stations.len(), 2);
        assert_eq!(stations[0].registered_voters, Some(1200));
        assert_eq!(stations[1].level, StationLevel::Tec);
        assert_eq!(stations[1].registered_voters, None);
    }

    #[test]
    fn every_bad_row_is_named_by_line() {
        let text = format!(
            "{HEADER}\nPEC-1,A,North,D,pec,10\nPEC-1,B,North,D,pec,10\nPEC 3,C,North,D,pec,1\n,D,North,D,pec,1\n"
        );
        let Err(StationListError::Rows(problems)) = parse_station_csv(text.as_bytes()) else {
            panic!("expected row problems");
        };
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("line 3") && problems[0].contains("line 2"));
        assert!(problems[1].starts_with("line 4"));
        assert!(problems[2].starts_with("line 5") && problems[2].contains("empty"));
    }

    #[test]
    fn an_empty_list_is_refused() {
        assert!(parse_station_csv(format!("{HEADER}\n").as_bytes()).is_err());
    }
}
