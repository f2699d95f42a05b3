//! Station lists as CSV: `code,name,region,district,level,registered_voters`, and optionally
//! `area` (urban, rural), `kind` (regular, special, abroad), `latitude` and `longitude`.
//!
//! The server imports them; a mission can also load one onto laptops before election day,
//! when observers may have no connection. A list is taken whole or not at all.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::station::{Area, Coordinates, Station, StationCode, StationKind, StationLevel};

pub const HEADER: &str = "code,name,region,district,level,registered_voters";

const COLUMNS: [&str; 6] = [
    "code",
    "name",
    "region",
    "district",
    "level",
    "registered_voters",
];

/// Columns a list may add; a missing one leaves the attribute unknown (kind: regular).
const OPTIONAL: [&str; 4] = ["area", "kind", "latitude", "longitude"];

/// Most row problems listed before the rest are summarised.
const MAX_REPORTED_PROBLEMS: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum StationListError {
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    #[error(
        "the header must name the columns {HEADER} (separated by ',' or ';'); missing: {0}; \
         the first line of the file must hold these names"
    )]
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
/// The file may be separated by `,`, `;` or tabs, in UTF-8 (with or without a byte-order
/// mark), UTF-16 or Windows-1251, as spreadsheets save it ([`crate::csv_file`]).
pub fn parse_station_csv(mut input: impl Read) -> Result<Vec<Station>, StationListError> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| StationListError::Unreadable(e.to_string()))?;
    let (mut reader, headers) =
        crate::csv_file::reader(&bytes, &COLUMNS).map_err(StationListError::Unreadable)?;
    let (index, optional) = crate::csv_file::columns(&headers, &COLUMNS, &OPTIONAL)
        .map_err(|missing| StationListError::Header(missing.join(", ")))?;

    let mut stations = Vec::new();
    let mut problems = Vec::new();
    let mut seen = HashMap::new();
    for row in crate::csv_file::rows(&mut reader) {
        let (line, record) = match row {
            Ok(row) => row,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let field = |i: usize| record.get(index[i]).unwrap_or("").trim();
        let extra = |i: usize| {
            optional[i]
                .and_then(|at| record.get(at))
                .unwrap_or("")
                .trim()
        };
        let row = parse_row(field(0), field(1), field(2), field(3), field(4), field(5))
            .and_then(|s| with_attributes(s, extra(0), extra(1), extra(2), extra(3)));
        match row {
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
        area: None,
        kind: StationKind::Regular,
        coordinates: None,
    })
}

/// Adds the optional columns to a parsed row: empty means unknown.
fn with_attributes(
    mut station: Station,
    area: &str,
    kind: &str,
    latitude: &str,
    longitude: &str,
) -> Result<Station, String> {
    let code = &station.code;
    if !area.is_empty() {
        station.area = Some(Area::parse(area).map_err(|m| format!("station '{code}': {m}"))?);
    }
    station.kind = StationKind::parse(kind).map_err(|m| format!("station '{code}': {m}"))?;
    station.coordinates = match (latitude.is_empty(), longitude.is_empty()) {
        (true, true) => None,
        (false, false) => {
            let degrees = |raw: &str, name: &str| {
                // A decimal comma, as spreadsheets in many locales write it, is taken too.
                raw.replace(',', ".").parse::<f64>().map_err(|_| {
                    format!("{name} '{raw}' of station '{code}' is not a number of degrees")
                })
            };
            Some(
                Coordinates::new(
                    degrees(latitude, "latitude")?,
                    degrees(longitude, "longitude")?,
                )
                .map_err(|m| format!("station '{code}': {m}"))?,
            )
        }
        _ => {
            return Err(format!(
                "station '{code}' has only one of latitude and longitude: give both or neither"
            ));
        }
    };
    Ok(station)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_semicolon_separated_windows_1251_list_as_russian_excel_saves_it_is_read() {
        let text = "code;name;region;district;level;registered_voters;area\r\n\
                    PEC-001;Школа №1;Алматы;Медеуский;pec;1800;urban\r\n\
                    PEC-002;\"Клуб; сельский\";Алматы;;pec;;rural\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let stations = parse_station_csv(&bytes[..]).expect("parses");
        assert_eq!(stations.len(), 2);
        assert_eq!(stations[0].name, "Школа №1");
        assert_eq!(stations[0].region, "Алматы");
        assert_eq!(stations[1].name, "Клуб; сельский");
        assert_eq!(stations[1].area, Some(Area::Rural));
    }

    #[test]
    fn area_kind_and_coordinates_are_read_when_present() {
        let text = "code,name,region,district,level,registered_voters,area,kind,latitude,longitude\n\
                    A-1,School,North,D1,pec,900,Urban,regular,43.2389,76.8897\n\
                    A-2,Hospital,North,D1,pec,,rural,special,,\n\
                    A-3,Embassy,Abroad,,pec,,,abroad,\"51,5\",\"-0,12\"\n";
        let stations = parse_station_csv(text.as_bytes()).expect("parses");
        assert_eq!(stations[0].area, Some(Area::Urban));
        assert_eq!(stations[0].kind, StationKind::Regular);
        let at = stations[0].coordinates.expect("coordinates");
        assert!((at.latitude - 43.2389).abs() < 1e-9 && (at.longitude - 76.8897).abs() < 1e-9);
        assert_eq!(stations[1].area, Some(Area::Rural));
        assert_eq!(stations[1].kind, StationKind::Special);
        assert_eq!(stations[1].coordinates, None);
        assert_eq!(stations[2].area, None);
        assert_eq!(stations[2].kind, StationKind::Abroad);
        assert!((stations[2].coordinates.expect("comma decimals").latitude - 51.5).abs() < 1e-9);
    }

    #[test]
    fn bad_attributes_are_named_with_their_line() {
        let text = "code,name,region,district,level,registered_voters,area,kind,latitude,longitude\n\
                    A-1,School,North,D1,pec,900,town,regular,,\n\
                    A-2,School,North,D1,pec,900,urban,prison,,\n\
                    A-3,School,North,D1,pec,900,urban,regular,95,10\n\
                    A-4,School,North,D1,pec,900,urban,regular,45,\n";
        let Err(StationListError::Rows(rows)) = parse_station_csv(text.as_bytes()) else {
            panic!("refused");
        };
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert!(rows[0].starts_with("line 2:") && rows[0].contains("area 'town'"));
        assert!(rows[1].starts_with("line 3:") && rows[1].contains("kind 'prison'"));
        assert!(rows[2].starts_with("line 4:") && rows[2].contains("latitude 95"));
        assert!(rows[3].starts_with("line 5:") && rows[3].contains("both or neither"));
    }

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
        // Saved on Windows (CR LF): the same lines.
        let Err(StationListError::Rows(crlf)) =
            parse_station_csv(text.replace('\n', "\r\n").as_bytes())
        else {
            panic!("expected row problems");
        };
        assert_eq!(crlf, problems);
    }

    #[test]
    fn an_empty_list_is_refused() {
        assert!(parse_station_csv(format!("{HEADER}\n").as_bytes()).is_err());
    }
}
