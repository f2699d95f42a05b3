//! The filters every report and listing takes, parsed from query parameters.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use crate::error::ApiError;
use crate::store::ReportFilter;

/// `?region=&form=&from=&to=`; `from` and `to` are times (RFC 3339, or `YYYY-MM-DDTHH:MM`
/// in UTC) and select checklists by the hour they were observed: `from` inclusive, `to`
/// exclusive.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct FilterQuery {
    pub region: Option<String>,
    pub form: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The observation hour ("YYYY-MM-DDTHH", UTC) a time falls in.
pub fn parse_hour(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let utc = DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M").map(|t| t.and_utc()))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(&format!("{raw}:00"), "%Y-%m-%dT%H:%M")
                .map(|t| t.and_utc())
        })
        .map_err(|_| {
            format!("'{raw}' is not a time: use 2026-03-19T14:00 (UTC) or an RFC 3339 time")
        })?;
    Ok(utc.format("%Y-%m-%dT%H").to_string())
}

impl FilterQuery {
    pub fn to_filter(&self) -> Result<ReportFilter, ApiError> {
        let hour = |v: &Option<String>, name: &str| {
            nonempty(v)
                .map(|raw| {
                    parse_hour(&raw).map_err(|m| {
                        ApiError::bad_request(m, format!("leave '{name}' out for no limit"))
                    })
                })
                .transpose()
        };
        Ok(ReportFilter {
            region: nonempty(&self.region),
            form: nonempty(&self.form),
            from_hour: hour(&self.from, "from")?,
            to_hour: hour(&self.to, "to")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_become_utc_hours() {
        assert_eq!(parse_hour("2026-03-19T14:05"), Ok("2026-03-19T14".into()));
        assert_eq!(parse_hour("2026-03-19T14"), Ok("2026-03-19T14".into()));
        assert_eq!(
            parse_hour("2026-03-19T14:05:00+06:00"),
            Ok("2026-03-19T08".into())
        );
        assert!(parse_hour("yesterday").is_err());
    }
}
