//! Charts drawn on the server as inline SVG: no script, no library, no tile server, so they
//! work on a mission's offline network and print as they are shown.
//!
//! - The timeline: checklists received per hour (blue) next to the negative assessments
//!   observed in that hour (red).
//! - The map: every station with coordinates, grey when not observed, green when observed
//!   with no negative assessment, red when any checklist there assessed it negatively; each
//!   point links to the station's checklists.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use rust_i18n::t;

use super::layout::tr;

use crate::store::{ArrivalRow, ObservedHour, StationMark};

const WIDTH: f64 = 860.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 12.0;

/// Hour labels in the mission's time zone (an IANA name), else UTC.
fn hour_label(t: DateTime<Utc>, zone: Option<&str>) -> String {
    match zone.and_then(|z| eom_shared::sync::parse_time_zone(z).ok()) {
        Some(z) => t.with_timezone(&z).format("%H:00").to_string(),
        None => t.format("%H:00").to_string(),
    }
}

/// The timeline of received checklists and negative assessments per hour.
pub fn timeline(
    lang: &str,
    arrivals: &[ArrivalRow],
    observed: &[ObservedHour],
    zone: Option<&str>,
) -> Markup {
    let mut hours: BTreeMap<DateTime<Utc>, (u64, u64)> = BTreeMap::new();
    for a in arrivals {
        hours.entry(a.hour).or_default().0 += a.checklists;
    }
    for o in observed {
        hours.entry(o.hour).or_default().1 += o.negative;
    }
    if hours.is_empty() {
        return html! { p class="muted" { (tr(lang, "dash.none_yet")) } };
    }
    let most = hours
        .values()
        .map(|(r, n)| (*r).max(*n))
        .max()
        .unwrap_or(1)
        .max(1);
    let slot = (WIDTH - LEFT) / hours.len() as f64;
    let bar = (slot * 0.4).clamp(1.0, 18.0);
    let scale = (HEIGHT - BOTTOM - TOP) / most as f64;
    // Every hour labelled when they fit, else every few.
    let label_every = ((hours.len() as f64 * 42.0) / (WIDTH - LEFT))
        .ceil()
        .max(1.0) as usize;
    html! {
        svg #timeline-chart xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {HEIGHT}"))
            role="img" aria-label=(tr(lang, "dash.chart.timeline")) style="width:100%;height:auto" {
            line x1=(LEFT) y1=(HEIGHT - BOTTOM) x2=(WIDTH) y2=(HEIGHT - BOTTOM) stroke="#d8dde6" {}
            text x=(LEFT - 4.0) y=(TOP + 8.0) text-anchor="end" font-size="11" fill="#5b6474" { (most) }
            text x=(LEFT - 4.0) y=(HEIGHT - BOTTOM) text-anchor="end" font-size="11" fill="#5b6474" { "0" }
            @for (i, (hour, (received, negative))) in hours.iter().enumerate() {
                @let x = LEFT + slot * i as f64 + (slot - 2.0 * bar) / 2.0;
                @let label = hour_label(*hour, zone);
                rect class="received" x=(format!("{x:.1}")) y=(format!("{:.1}", HEIGHT - BOTTOM - *received as f64 * scale))
                    width=(format!("{bar:.1}")) height=(format!("{:.1}", *received as f64 * scale)) fill="#1f5fbf" {
                    title { (t!("dash.chart.received", hour = label, count = received, locale = lang)) }
                }
                rect class="negative" x=(format!("{:.1}", x + bar)) y=(format!("{:.1}", HEIGHT - BOTTOM - *negative as f64 * scale))
                    width=(format!("{bar:.1}")) height=(format!("{:.1}", *negative as f64 * scale)) fill="#b3261e" {
                    title { (t!("dash.chart.negative", hour = label, count = negative, locale = lang)) }
                }
                @if i % label_every == 0 {
                    text x=(format!("{:.1}", x + bar)) y=(HEIGHT - 6.0) text-anchor="middle" font-size="11" fill="#5b6474" { (label) }
                }
            }
        }
        p class="muted" {
            span style="color:#1f5fbf" { "■" } " " (tr(lang, "dash.chart.legend_received")) "   "
            span style="color:#b3261e" { "■" } " " (tr(lang, "dash.chart.legend_negative"))
        }
    }
}

/// Where a point is drawn: longitude scaled by the cosine of the middle latitude (so a
/// region keeps its shape), the whole fitted into the picture with a margin.
struct Projection {
    west: f64,
    north: f64,
    scale: f64,
    squeeze: f64,
}

const MAP_WIDTH: f64 = 860.0;
const MAP_HEIGHT: f64 = 520.0;
const MARGIN: f64 = 16.0;

impl Projection {
    fn fit(marks: &[StationMark]) -> Self {
        let (mut west, mut east, mut south, mut north) = (180.0f64, -180.0f64, 90.0f64, -90.0f64);
        for m in marks {
            west = west.min(m.longitude);
            east = east.max(m.longitude);
            south = south.min(m.latitude);
            north = north.max(m.latitude);
        }
        let squeeze = ((south + north) / 2.0).to_radians().cos().max(0.1);
        let span_x = ((east - west) * squeeze).max(1e-6);
        let span_y = (north - south).max(1e-6);
        let scale = ((MAP_WIDTH - 2.0 * MARGIN) / span_x).min((MAP_HEIGHT - 2.0 * MARGIN) / span_y);
        Self {
            west,
            north,
            scale,
            squeeze,
        }
    }

    fn point(&self, m: &StationMark) -> (f64, f64) {
        (
            MARGIN + (m.longitude - self.west) * self.squeeze * self.scale,
            MARGIN + (self.north - m.latitude) * self.scale,
        )
    }
}

/// How a station is coloured, and its class.
fn shade(m: &StationMark) -> (&'static str, &'static str) {
    if m.checklists == 0 {
        ("unobserved", "#9aa3b2")
    } else if m.negative > 0 {
        ("negative", "#b3261e")
    } else {
        ("observed", "#2e7d32")
    }
}

/// The map of stations with coordinates.
pub fn map(lang: &str, marks: &[StationMark]) -> Markup {
    if marks.is_empty() {
        return html! { p class="muted" #no-map { (tr(lang, "dash.map.none")) } };
    }
    let projection = Projection::fit(marks);
    let observed = marks.iter().filter(|m| m.checklists > 0).count();
    let negative = marks.iter().filter(|m| m.negative > 0).count();
    // Each region's name at the middle of its stations: a map without a base layer still
    // says where is where.
    let mut regions: BTreeMap<&str, (f64, f64, f64)> = BTreeMap::new();
    for m in marks {
        let (x, y) = projection.point(m);
        let entry = regions.entry(m.region.as_str()).or_default();
        *entry = (entry.0 + x, entry.1 + y, entry.2 + 1.0);
    }
    html! {
        svg #map-chart xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {MAP_WIDTH} {MAP_HEIGHT}"))
            role="img" aria-label=(tr(lang, "dash.map.title")) style="width:100%;height:auto;background:#fff" {
            @for (region, (x, y, n)) in &regions {
                text class="region" x=(format!("{:.1}", x / n)) y=(format!("{:.1}", (y / n - 14.0).max(12.0)))
                    text-anchor="middle" font-size="13" fill="#5b6474" { (region) }
            }
            // Unobserved first, so that observed stations are drawn on top.
            @for m in marks.iter().filter(|m| m.checklists == 0).chain(marks.iter().filter(|m| m.checklists > 0)) {
                @let (x, y) = projection.point(m);
                @let (class, colour) = shade(m);
                a href=(format!("/checklists?search={}", m.code)) {
                    circle class=(class) data-code=(m.code) cx=(format!("{x:.1}")) cy=(format!("{y:.1}"))
                        r=(if m.checklists > 0 { "5" } else { "3.5" }) fill=(colour) fill-opacity="0.85" stroke="#fff" stroke-width="0.8" {
                        title { (m.code) " " (m.name) " (" (m.region) "): " (t!("dash.map.point", checklists = m.checklists, negative = m.negative, locale = lang)) }
                    }
                }
            }
        }
        p class="muted" #map-legend {
            span style="color:#b3261e" { "●" } " " (t!("dash.map.negative", count = negative, locale = lang)) "   "
            span style="color:#2e7d32" { "●" } " " (t!("dash.map.observed", count = observed - negative, locale = lang)) "   "
            span style="color:#9aa3b2" { "●" } " " (t!("dash.map.unobserved", count = marks.len() - observed, locale = lang))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use eom_shared::Stage;

    fn mark(code: &str, lat: f64, lon: f64, checklists: u64, negative: u64) -> StationMark {
        StationMark {
            code: code.into(),
            name: format!("Station {code}"),
            region: "North".into(),
            latitude: lat,
            longitude: lon,
            checklists,
            negative,
        }
    }

    #[test]
    fn the_map_colours_each_station_by_what_was_seen_there_and_fits_them_in() {
        let marks = [
            mark("A", 43.2, 76.9, 0, 0),
            mark("B", 51.1, 71.4, 3, 0),
            mark("C", 47.0, 51.9, 2, 1),
        ];
        let svg = map("en", &marks).into_string();
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains(r#"class="unobserved" data-code="A""#), "{svg}");
        assert!(svg.contains(r#"class="observed" data-code="B""#));
        assert!(svg.contains(r#"class="negative" data-code="C""#));
        let projection = Projection::fit(&marks);
        for m in &marks {
            let (x, y) = projection.point(m);
            assert!(
                (MARGIN - 0.01..=MAP_WIDTH - MARGIN + 0.01).contains(&x),
                "{x}"
            );
            assert!(
                (MARGIN - 0.01..=MAP_HEIGHT - MARGIN + 0.01).contains(&y),
                "{y}"
            );
        }
        // North is up, east is right.
        assert!(projection.point(&marks[1]).1 < projection.point(&marks[0]).1);
        assert!(projection.point(&marks[0]).0 > projection.point(&marks[2]).0);
        assert!(map("en", &[]).into_string().contains("no-map"));
    }

    #[test]
    fn the_timeline_draws_both_series_for_every_hour() {
        let at = |h| {
            Utc.with_ymd_and_hms(2026, 3, 19, h, 0, 0)
                .single()
                .expect("time")
        };
        let arrivals = [
            ArrivalRow {
                hour: at(8),
                stage: Stage::Opening,
                checklists: 10,
            },
            ArrivalRow {
                hour: at(9),
                stage: Stage::Voting,
                checklists: 40,
            },
        ];
        let observed = [ObservedHour {
            hour: at(10),
            stage: Stage::Voting,
            checklists: 20,
            negative: 5,
        }];
        let svg = timeline("en", &arrivals, &observed, Some("Asia/Almaty")).into_string();
        assert_eq!(
            svg.matches(r#"class="received""#).count(),
            3,
            "8, 9 and 10 o'clock"
        );
        assert_eq!(svg.matches(r#"class="negative""#).count(), 3);
        assert!(svg.contains("14:00: 40 received"), "Almaty is UTC+5: {svg}");
        assert!(svg.contains("15:00: 5 assessed negatively"));
    }
}
