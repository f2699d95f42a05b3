//! Times as the observer reads and types them: in the mission's time zone (sent by the server
//! with the forms, e.g. `Asia/Almaty`), or the laptop's own where the server names none.
//! Stored and sent as UTC.

use chrono::{DateTime, Local, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::store::LocalStore;

/// The setting that holds the mission's time zone.
pub const ZONE_SETTING: &str = "time_zone";

/// The mission's time zone, if the server named one.
pub fn mission_zone(store: &LocalStore) -> Option<Tz> {
    store
        .setting(ZONE_SETTING)
        .ok()
        .flatten()
        .and_then(|z| eom_shared::sync::parse_time_zone(&z).ok())
}

/// `t` as day and time of day in `zone` (or the laptop's own), e.g. `19.03 09:30`.
pub fn show(t: DateTime<Utc>, zone: Option<Tz>) -> String {
    const FORMAT: &str = "%d.%m %H:%M";
    match zone {
        Some(z) => t.with_timezone(&z).format(FORMAT).to_string(),
        None => t.with_timezone(&Local).format(FORMAT).to_string(),
    }
}

/// The day of `now` (in `zone`, or the laptop's own) at `time`, as UTC; `None` for a time that does not
/// exist that day (a daylight-saving gap).
pub fn today_at(time: NaiveTime, zone: Option<Tz>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    fn at<Z: TimeZone>(zone: &Z, time: NaiveTime, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = now.with_timezone(zone).date_naive();
        zone.from_local_datetime(&today.and_time(time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }
    match zone {
        Some(z) => at(&z, time, now),
        None => at(&Local, time, now),
    }
}

/// The latest moment at `time` that is not in the future: today's, or yesterday's when
/// today's has not come yet (an observer records what they saw, never what is to come).
pub fn latest_at(time: NaiveTime, zone: Option<Tz>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let today = today_at(time, zone, now)?;
    if today <= now {
        Some(today)
    } else {
        today_at(time, zone, now - chrono::Duration::days(1))
    }
}

/// The time of day of `t` in `zone` (or the laptop's own), `HH:MM`.
pub fn time_of_day(t: DateTime<Utc>, zone: Option<Tz>) -> String {
    match zone {
        Some(z) => t.with_timezone(&z).format("%H:%M").to_string(),
        None => t.with_timezone(&Local).format("%H:%M").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_are_the_missions() {
        let almaty: Tz = "Asia/Almaty".parse().expect("zone");
        // 10:00 UTC is 15:00 in Almaty, the same day.
        let now = Utc
            .with_ymd_and_hms(2026, 3, 19, 10, 0, 0)
            .single()
            .expect("time");
        let nine_thirty = NaiveTime::from_hms_opt(9, 30, 0).expect("time");
        let at = today_at(nine_thirty, Some(almaty), now).expect("exists");
        // Almaty is UTC+5 in 2026.
        assert_eq!(
            at,
            Utc.with_ymd_and_hms(2026, 3, 19, 4, 30, 0)
                .single()
                .expect("time")
        );
        assert_eq!(show(at, Some(almaty)), "19.03 09:30");
        // Late in the evening UTC it is already the next day in Almaty.
        let late = Utc
            .with_ymd_and_hms(2026, 3, 19, 22, 0, 0)
            .single()
            .expect("time");
        assert_eq!(
            today_at(nine_thirty, Some(almaty), late)
                .expect("exists")
                .date_naive(),
            chrono::NaiveDate::from_ymd_opt(2026, 3, 20).expect("date")
        );
    }
}
