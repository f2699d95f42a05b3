//! The discrepancy report as one CSV table, a row per finding, for spreadsheets.

use super::compare::DiscrepancyReport;

pub const HEADER: [&str; 10] = [
    "finding",
    "station",
    "region",
    "contest",
    "line",
    "observed",
    "official",
    "version",
    "checklist",
    "team",
];

/// The rows: discrepancies, copies that disagree (a row per copy), unpublished stations, and
/// published figures that fail the protocol's arithmetic (the check in `line`).
pub fn csv(report: &DiscrepancyReport) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(HEADER)?;
    for d in &report.discrepancies {
        out.write_record([
            "discrepancy",
            &d.station,
            &d.region,
            &d.contest,
            &d.line,
            &d.observed.to_string(),
            &d.official.to_string(),
            &d.version.to_string(),
            &d.submission_id.to_string(),
            &d.team,
        ])?;
    }
    for d in &report.disagreements {
        for c in &d.copies {
            out.write_record([
                "copies_disagree",
                &d.station,
                &d.region,
                &d.contest,
                &d.line,
                &c.value.to_string(),
                "",
                "",
                &c.submission_id.to_string(),
                &c.team,
            ])?;
        }
    }
    for u in &report.unpublished {
        out.write_record([
            "not_published",
            &u.station,
            &u.region,
            &u.contest,
            "",
            "",
            "",
            "",
            &u.submission_id.to_string(),
            &u.team,
        ])?;
    }
    for a in &report.official_arithmetic {
        out.write_record([
            "official_arithmetic",
            &a.station,
            "",
            &a.contest,
            &a.check,
            "",
            "",
            &a.version.to_string(),
            "",
            "",
        ])?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}
