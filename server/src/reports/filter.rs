//! The filters reports, listings and exports take, parsed from query parameters into the
//! store's typed filters at the edge. Errors say what is wrong and what to send instead.

use chrono::{DateTime, NaiveDateTime, Utc};
use eom_shared::sync::ReviewStatus;
use eom_shared::{Area, StationKind};
use serde::Deserialize;

use crate::rules::hour_of;
use crate::service::ServiceError;
use crate::store::{ReportFilter, SubmissionFilter};

/// `?region=&form=&from=&to=`; `from` and `to` are times (RFC 3339, or `YYYY-MM-DDTHH:MM`
/// in UTC) and select checklists by the hour they were observed: `from` inclusive, `to`
/// exclusive.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilterQuery {
    pub region: Option<String>,
    /// Stations' area from the station list: urban or rural.
    pub area: Option<String>,
    /// Stations' kind from the station list: regular, special or abroad.
    pub kind: Option<String>,
    pub form: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Longest filter value: region names, station codes and observer names are short.
const MAX_FILTER_CHARS: usize = 200;

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A text filter: absent when empty, refused when it could not name anything stored.
fn text(v: &Option<String>, name: &str) -> Result<Option<String>, ServiceError> {
    let Some(value) = nonempty(v) else {
        return Ok(None);
    };
    if eom_shared::limits::control_character(&value).is_some()
        || value.chars().count() > MAX_FILTER_CHARS
    {
        return Err(ServiceError::invalid(
            format!(
                "'{name}' holds control characters or is longer than {MAX_FILTER_CHARS} characters"
            ),
            format!("give '{name}' as shown in the dashboard, or leave it out"),
        ));
    }
    Ok(Some(value))
}

/// The start of the hour (UTC) a time falls in.
pub fn parse_hour(raw: &str) -> Result<DateTime<Utc>, String> {
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
    Ok(hour_of(utc))
}

/// A time of day as the dashboard's inputs give it (`2026-03-19T14:00`, no zone) read in the
/// mission's time zone, as RFC 3339 (which [`parse_hour`] takes); a time that names its own
/// offset, or one that is not a time, is left as it is for `parse_hour` to judge.
pub fn local_to_utc(raw: &str, zone: chrono_tz::Tz) -> String {
    use chrono::TimeZone;
    let trimmed = raw.trim();
    if DateTime::parse_from_rfc3339(trimmed).is_ok() {
        return raw.to_owned();
    }
    NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .and_then(|naive| zone.from_local_datetime(&naive).earliest())
        .map_or_else(|| raw.to_owned(), |t| t.with_timezone(&Utc).to_rfc3339())
}

impl FilterQuery {
    /// The same filter with its times read in the mission's zone (the dashboard's inputs).
    pub fn in_zone(&self, zone: Option<&str>) -> FilterQuery {
        let Some(zone) = zone.and_then(|z| eom_shared::sync::parse_time_zone(z).ok()) else {
            return self.clone();
        };
        FilterQuery {
            from: self.from.as_deref().map(|t| local_to_utc(t, zone)),
            to: self.to.as_deref().map(|t| local_to_utc(t, zone)),
            ..self.clone()
        }
    }
}

fn hour(v: &Option<String>, name: &str) -> Result<Option<DateTime<Utc>>, ServiceError> {
    nonempty(v)
        .map(|raw| {
            parse_hour(&raw)
                .map_err(|m| ServiceError::invalid(m, format!("leave '{name}' out for no limit")))
        })
        .transpose()
}

/// `?area=`: urban or rural.
fn area(v: &Option<String>) -> Result<Option<Area>, ServiceError> {
    nonempty(v)
        .map(|raw| {
            Area::parse(&raw).map_err(|m| ServiceError::invalid(m, "leave 'area' out for both"))
        })
        .transpose()
}

/// `?kind=`: regular, special or abroad.
fn kind(v: &Option<String>) -> Result<Option<StationKind>, ServiceError> {
    nonempty(v)
        .map(|raw| {
            StationKind::parse(&raw)
                .map_err(|m| ServiceError::invalid(m, "leave 'kind' out for every kind"))
        })
        .transpose()
}

impl FilterQuery {
    pub fn to_filter(&self) -> Result<ReportFilter, ServiceError> {
        Ok(ReportFilter {
            regions: text(&self.region, "region")?.map(|r| vec![r]),
            area: area(&self.area)?,
            kind: kind(&self.kind)?,
            form: text(&self.form, "form")?,
            from_hour: hour(&self.from, "from")?,
            to_hour: hour(&self.to, "to")?,
        })
    }
}

/// Filters for listing and exporting checklists.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmissionQuery {
    pub form: Option<String>,
    pub station: Option<String>,
    pub region: Option<String>,
    /// Stations' area from the station list: urban or rural.
    pub area: Option<String>,
    /// Stations' kind from the station list: regular, special or abroad.
    pub kind: Option<String>,
    pub observer: Option<String>,
    /// Review status: none, verified, flagged, rejected.
    pub review: Option<String>,
    /// A protocol check's id (`received_accounted_for`, ...): only checklists whose protocol
    /// failed it.
    pub failed_check: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Part of a station's code or name, a team's name or a region's name, in any case
    /// ("шк", "алм", "team 7"): checklists of any of them.
    pub search: Option<String>,
}

impl SubmissionQuery {
    pub fn to_filter(&self) -> Result<SubmissionFilter, ServiceError> {
        let review = nonempty(&self.review)
            .map(|r| {
                ReviewStatus::parse(&r).ok_or_else(|| {
                    ServiceError::invalid(
                        format!("'{r}' is not a review status"),
                        "use none, verified, flagged or rejected",
                    )
                })
            })
            .transpose()?;
        Ok(SubmissionFilter {
            form: text(&self.form, "form")?,
            station: text(&self.station, "station")?
                .map(|code| {
                    eom_shared::StationCode::parse(&code)
                        .map(String::from)
                        .map_err(|m| {
                            ServiceError::invalid(
                                m,
                                "give a station code from the station list, or leave 'station' out",
                            )
                        })
                })
                .transpose()?,
            regions: text(&self.region, "region")?.map(|r| vec![r]),
            area: area(&self.area)?,
            kind: kind(&self.kind)?,
            observer: text(&self.observer, "observer")?,
            review,
            failed_check: nonempty(&self.failed_check)
                .map(|id| {
                    if id.chars().count() <= MAX_FILTER_CHARS
                        && id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                    {
                        Ok(crate::rules::contribution::check_key(&id))
                    } else {
                        Err(ServiceError::invalid(
                            format!("'{id}' is not a check id"),
                            "give a check id as GET /api/v1/reports/protocols lists it, or leave 'failed_check' out",
                        ))
                    }
                })
                .transpose()?,
            from_hour: hour(&self.from, "from")?,
            to_hour: hour(&self.to, "to")?,
            // Resolved against the station list and the teams by the service.
            search: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::timefmt;

    fn hour_text(raw: &str) -> Result<String, String> {
        parse_hour(raw).map(timefmt::hour)
    }

    #[test]
    fn the_dashboards_times_are_read_in_the_missions_zone() {
        let almaty: chrono_tz::Tz = "Asia/Almaty".parse().expect("zone");
        assert_eq!(
            hour_text(&local_to_utc("2026-03-19T14:00", almaty)),
            Ok("2026-03-19T09".into())
        );
        assert_eq!(
            local_to_utc("2026-03-19T14:00Z", almaty),
            "2026-03-19T14:00Z"
        );
        assert_eq!(local_to_utc("soon", almaty), "soon");
        let q = FilterQuery {
            from: Some("2026-03-19T14:00".into()),
            ..FilterQuery::default()
        };
        assert_eq!(q.in_zone(None).from, q.from, "no zone: UTC, as before");
        assert!(
            q.in_zone(Some("Asia/Almaty"))
                .from
                .is_some_and(|f| f.starts_with("2026-03-19T09:00:00"))
        );
    }

    #[test]
    fn times_become_utc_hours() {
        assert_eq!(hour_text("2026-03-19T14:05"), Ok("2026-03-19T14".into()));
        assert_eq!(hour_text("2026-03-19T14"), Ok("2026-03-19T14".into()));
        assert_eq!(
            hour_text("2026-03-19T14:05:00+06:00"),
            Ok("2026-03-19T08".into())
        );
        assert!(parse_hour("yesterday").is_err());
    }

    #[test]
    fn a_bad_review_status_is_refused_with_the_choices() {
        let q = SubmissionQuery {
            review: Some("maybe".into()),
            ..SubmissionQuery::default()
        };
        match q.to_filter() {
            Err(ServiceError::Invalid { message, hint }) => {
                assert!(message.contains("maybe"));
                assert!(hint.is_some_and(|h| h.contains("rejected")));
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
}
