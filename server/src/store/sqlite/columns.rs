//! Reading SQLite values into typed ones. Times are stored as RFC 3339 text in UTC with
//! milliseconds ("2026-03-19T09:30:00.000Z"), so they sort as text; hours of the totals as
//! "2026-03-19T09". A value that does not read back is [`StoreError::Corrupt`].

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use rusqlite::Row;
use rusqlite::types::FromSql;

use crate::store::StoreError;

pub(crate) fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn hour_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H").to_string()
}

pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::corrupt(format!("'{text}' is not a time")))
}

pub(crate) fn parse_hour(text: &str) -> Result<DateTime<Utc>, StoreError> {
    NaiveDateTime::parse_from_str(&format!("{text}:00"), "%Y-%m-%dT%H:%M")
        .map(|t| t.and_utc())
        .map_err(|_| StoreError::corrupt(format!("'{text}' is not an hour")))
}

/// A column's value, or `Corrupt` naming the column when it has the wrong type.
pub(crate) fn get<T: FromSql>(row: &Row<'_>, column: &str) -> Result<T, StoreError> {
    row.get(column).map_err(|e| match e {
        rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::FromSqlConversionFailure(..) => {
            StoreError::corrupt(format!("column {column}: {e}"))
        }
        other => StoreError::from(other),
    })
}

pub(crate) fn time(row: &Row<'_>, column: &str) -> Result<DateTime<Utc>, StoreError> {
    parse_time(&get::<String>(row, column)?)
}

pub(crate) fn optional_time(
    row: &Row<'_>,
    column: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    get::<Option<String>>(row, column)?
        .as_deref()
        .map(parse_time)
        .transpose()
}

/// A text column parsed into a domain type; `what` names it in the error.
pub(crate) fn parsed<T, E: std::fmt::Display>(
    row: &Row<'_>,
    column: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    let text: String = get(row, column)?;
    parse(&text).map_err(|e| StoreError::corrupt(format!("column {column} ('{text}'): {e}")))
}

/// A JSON text column.
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    column: &str,
) -> Result<T, StoreError> {
    parsed(row, column, |t| serde_json::from_str(t))
}

/// Adapts an `Option`-returning parser for [`parsed`].
pub(crate) fn known<T>(
    parse: impl FnOnce(&str) -> Option<T>,
) -> impl FnOnce(&str) -> Result<T, &'static str> {
    move |t| parse(t).ok_or("not a known value")
}

/// A station's area as kept in tally keys and rows: empty when unknown.
pub(crate) fn area(row: &Row<'_>, column: &str) -> Result<Option<eom_shared::Area>, StoreError> {
    parsed(row, column, eom_shared::Area::from_stored)
}

/// Where the station of a row is, as the totals split it: its `region`, `area`, `kind` and
/// `registered_voters` columns.
pub(crate) fn place(row: &Row<'_>) -> Result<crate::rules::Place, StoreError> {
    Ok(crate::rules::Place {
        region: get(row, "region")?,
        area: area(row, "area")?,
        kind: kind(row, "kind")?,
        registered_voters: get(row, "registered_voters")?,
    })
}

pub(crate) fn kind(row: &Row<'_>, column: &str) -> Result<eom_shared::StationKind, StoreError> {
    parsed(row, column, eom_shared::StationKind::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_hours_round_trip_and_bad_ones_are_corrupt() {
        let t = parse_time("2026-03-19T09:30:00.123Z").expect("time");
        assert_eq!(time_text(t), "2026-03-19T09:30:00.123Z");
        let h = parse_hour("2026-03-19T09").expect("hour");
        assert_eq!(hour_text(h), "2026-03-19T09");
        assert!(matches!(parse_time("1970"), Err(StoreError::Corrupt(_))));
        assert!(matches!(parse_hour("x"), Err(StoreError::Corrupt(_))));
    }
}
