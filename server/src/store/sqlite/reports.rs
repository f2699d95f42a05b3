//! Report queries over the tallies, reviews, and the export stream.

use eom_shared::station::{StationCode, StationLevel};
use eom_shared::submission::SubmissionId;
use eom_shared::sync::{Feedback, ReviewStatus};
use eom_shared::{FormId, Stage};
use rusqlite::{Connection, OptionalExtension, ToSql, params};

use super::columns::{
    get, hour_text, json, known, optional_time, parse_hour, parsed, time, time_text,
};
use super::ingest::{load_counted, write_deltas};
use super::{collect, next_seq, summary_from_row};
use crate::rules::TallyDelta;
use crate::store::{
    ArrivalRow, AssessmentRow, CoverageCounts, CriticalFinding, ExportRow, FindingRow, NewReview,
    ObservedHour, ReportFilter, ReviewRecord, SearchHits, SilentObserver, StationCount,
    StationMark, StoreError, SubmissionFilter, VisitCount,
};

/// `WHERE` (after any `fixed` conditions) for the conditions whose value is given, with
/// numbered parameters in order.
fn where_clause(fixed: &[&str], conditions: &[(&str, Option<String>)]) -> (String, Vec<String>) {
    let mut clauses: Vec<String> = fixed.iter().map(|c| (*c).to_owned()).collect();
    let mut values = Vec::new();
    clauses.extend(numbered(&mut values, conditions));
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (sql, values)
}

/// The conditions whose value is given, their `?` numbered after the `values` already taken.
fn numbered(values: &mut Vec<String>, conditions: &[(&str, Option<String>)]) -> Vec<String> {
    let mut clauses = Vec::new();
    for (clause, value) in conditions {
        if let Some(v) = value {
            values.push(v.clone());
            clauses.push(clause.replace('?', &format!("?{}", values.len())));
        }
    }
    clauses
}

fn area_value(filter: &ReportFilter) -> Option<String> {
    filter.area.map(|a| a.as_str().to_owned())
}

fn kind_value(filter: &ReportFilter) -> Option<String> {
    filter.kind.map(|k| k.as_str().to_owned())
}

/// A region list as one parameter, a JSON array, for `region IN (SELECT value FROM
/// json_each(?))`: one prepared statement serves any number of regions.
fn regions_json(regions: Option<&[String]>) -> Option<String> {
    regions.map(|r| serde_json::Value::from(r.to_vec()).to_string())
}

/// `WHERE` clauses and their values for the tallies' columns.
fn tally_where(filter: &ReportFilter) -> (String, Vec<String>) {
    where_clause(
        &[],
        &[
            (
                "region IN (SELECT value FROM json_each(?))",
                regions_json(filter.regions.as_deref()),
            ),
            ("area = ?", area_value(filter)),
            ("kind = ?", kind_value(filter)),
            ("form_id = ?", filter.form.clone()),
            ("hour >= ?", filter.from_hour.map(hour_text)),
            ("hour < ?", filter.to_hour.map(hour_text)),
        ],
    )
}

pub(super) fn assessment_rows(
    c: &Connection,
    filter: &ReportFilter,
) -> Result<Vec<AssessmentRow>, StoreError> {
    let (filter_sql, values) = tally_where(filter);
    let mut stmt = c.prepare_cached(&format!(
        "SELECT form_id, stage, region, sum(checklists) AS checklists, sum(assessed) AS assessed,
                sum(negative) AS negative, sum(access_answered) AS access_answered,
                sum(restricted) AS restricted
         FROM tally_assessments {filter_sql}
         GROUP BY form_id, stage, region ORDER BY form_id, region"
    ))?;
    collect(stmt.query(rusqlite::params_from_iter(&values))?, |r| {
        Ok(AssessmentRow {
            form_id: get(r, "form_id")?,
            stage: parsed(r, "stage", known(Stage::parse))?,
            region: get(r, "region")?,
            checklists: get(r, "checklists")?,
            assessed: get(r, "assessed")?,
            negative: get(r, "negative")?,
            access_answered: get(r, "access_answered")?,
            restricted: get(r, "restricted")?,
        })
    })
}

pub(super) fn finding_rows(
    c: &Connection,
    filter: &ReportFilter,
) -> Result<Vec<FindingRow>, StoreError> {
    let (filter_sql, values) = tally_where(filter);
    let mut stmt = c.prepare_cached(&format!(
        "SELECT form_id, question_id, sum(answered), sum(concern)
         FROM tally_findings {filter_sql}
         GROUP BY form_id, question_id"
    ))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(&values), |r| {
        Ok(FindingRow {
            form_id: r.get(0)?,
            question_id: r.get(1)?,
            answered: r.get(2)?,
            concern: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn critical_findings(
    c: &Connection,
    filter: &ReportFilter,
    limit: u32,
) -> Result<Vec<CriticalFinding>, StoreError> {
    let (filter_sql, values) = where_clause(
        &[],
        &[
            // Rejected checklists' findings are left out.
            (
                "s.review_status != ?",
                Some(ReviewStatus::Rejected.as_str().to_owned()),
            ),
            (
                "c.region IN (SELECT value FROM json_each(?))",
                regions_json(filter.regions.as_deref()),
            ),
            ("c.area = ?", area_value(filter)),
            ("c.kind = ?", kind_value(filter)),
            ("c.form_id = ?", filter.form.clone()),
            ("c.observed_at >= ?", filter.from_hour.map(time_text)),
            ("c.observed_at < ?", filter.to_hour.map(time_text)),
        ],
    );

    let mut stmt = c.prepare_cached(&format!(
        "SELECT c.submission_id, c.form_id, c.question_id, s.station_code, c.region,
                c.observed_at, a.name
         FROM critical_findings c
         JOIN submissions s ON s.id = c.submission_id
         JOIN accounts a ON a.id = s.observer_id
         {filter_sql}
         ORDER BY s.received_at DESC, c.submission_id, c.question_id
         LIMIT {limit}"
    ))?;
    collect(stmt.query(rusqlite::params_from_iter(&values))?, |r| {
        Ok(CriticalFinding {
            submission_id: parsed(r, "submission_id", SubmissionId::parse)?,
            form_id: parsed(r, "form_id", FormId::parse)?,
            question_id: get(r, "question_id")?,
            station: parsed(r, "station_code", StationCode::parse)?,
            region: get(r, "region")?,
            observed_at: time(r, "observed_at")?,
            observer_name: get(r, "name")?,
        })
    })
}

pub(super) fn coverage(
    c: &Connection,
    filter: &ReportFilter,
) -> Result<CoverageCounts, StoreError> {
    let station_conditions = |values: &mut Vec<String>| {
        numbered(
            values,
            &[
                (
                    "st.region IN (SELECT value FROM json_each(?))",
                    regions_json(filter.regions.as_deref()),
                ),
                ("st.area = ?", area_value(filter)),
                ("st.kind = ?", kind_value(filter)),
            ],
        )
    };
    let mut values = Vec::new();
    let listed = station_conditions(&mut values);
    let listed = if listed.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", listed.join(" AND "))
    };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT st.region AS region, st.level AS level, count(*) AS stations FROM stations st
         {listed} GROUP BY st.region, st.level"
    ))?;
    let stations = collect(stmt.query(rusqlite::params_from_iter(&values))?, |r| {
        Ok(StationCount {
            region: get(r, "region")?,
            level: parsed(r, "level", StationLevel::parse)?,
            stations: get(r, "stations")?,
        })
    })?;
    let (filter_sql, mut values) = where_clause(
        &["checklists > 0"],
        &[
            ("form_id = ?", filter.form.clone()),
            ("hour >= ?", filter.from_hour.map(hour_text)),
            ("hour < ?", filter.to_hour.map(hour_text)),
        ],
    );
    let placed = station_conditions(&mut values);
    let placed = if placed.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", placed.join(" AND "))
    };
    // Stations visited per form first, grouped in primary-key order (no sort), then joined
    // with the station list: about twice as fast as joining every hourly row. Two forms of
    // one stage at the same station still count it once; a station counts as assessed
    // negatively when any checklist there was.
    let mut stmt = c.prepare_cached(&format!(
        "SELECT st.region AS region, v.stage AS stage, st.level AS level,
                count(DISTINCT v.station_code) AS visited,
                count(DISTINCT CASE WHEN v.assessed > 0 THEN v.station_code END) AS assessed,
                count(DISTINCT CASE WHEN v.negative > 0 THEN v.station_code END) AS negative
         FROM (SELECT station_code, form_id, min(stage) AS stage, sum(assessed) AS assessed,
                      sum(negative) AS negative
               FROM station_visits {filter_sql} GROUP BY station_code, form_id) v
         JOIN stations st ON st.code = v.station_code
         {placed}
         GROUP BY st.region, v.stage, st.level"
    ))?;
    let visits = collect(stmt.query(rusqlite::params_from_iter(&values))?, |r| {
        Ok(VisitCount {
            region: get(r, "region")?,
            stage: parsed(r, "stage", known(Stage::parse))?,
            level: parsed(r, "level", StationLevel::parse)?,
            visited: get(r, "visited")?,
            assessed: get(r, "assessed")?,
            negative: get(r, "negative")?,
        })
    })?;
    Ok(CoverageCounts { stations, visits })
}

/// Never-heard-from teams come first: SQLite sorts NULL before any time, and the order
/// follows the `(role, last_received_at)` index, so the first few hundred are read without
/// sorting every account.
pub(super) fn silent_observers(
    c: &Connection,
    before: &str,
    regions: Option<&[String]>,
    limit: u32,
) -> Result<(Vec<SilentObserver>, u64), StoreError> {
    let regions = regions_json(regions);
    let total: u64 = c.query_row(
        "SELECT count(*) FROM accounts
         WHERE role = 'observer' AND (last_received_at IS NULL OR last_received_at < ?1)
           AND (?2 IS NULL OR region IN (SELECT value FROM json_each(?2)))",
        params![before, regions],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT id, name, region, last_received_at FROM accounts
         WHERE role = 'observer' AND (last_received_at IS NULL OR last_received_at < ?1)
           AND (?2 IS NULL OR region IN (SELECT value FROM json_each(?2)))
         ORDER BY last_received_at, id
         LIMIT {limit}"
    ))?;
    let silent = collect(stmt.query(params![before, regions])?, |r| {
        Ok(SilentObserver {
            id: get(r, "id")?,
            name: get(r, "name")?,
            region: get(r, "region")?,
            last_received_at: optional_time(r, "last_received_at")?,
        })
    })?;
    Ok((silent, total))
}

/// Arrivals per hour of receipt and stage; the time window here is the hour of receipt.
pub(super) fn arrivals(
    c: &Connection,
    filter: &ReportFilter,
) -> Result<Vec<ArrivalRow>, StoreError> {
    let (filter_sql, values) = tally_where(filter);
    let mut stmt = c.prepare_cached(&format!(
        "SELECT hour, stage, sum(checklists) AS checklists FROM tally_arrivals {filter_sql}
         GROUP BY hour, stage ORDER BY hour, stage"
    ))?;
    collect(stmt.query(rusqlite::params_from_iter(&values))?, |r| {
        Ok(ArrivalRow {
            hour: parse_hour(&get::<String>(r, "hour")?)?,
            stage: parsed(r, "stage", known(Stage::parse))?,
            checklists: get(r, "checklists")?,
        })
    })
}

pub(super) fn reviews_of(c: &Connection, id: &str) -> Result<Vec<ReviewRecord>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT r.status, r.comment, a.name, r.revision, r.created_at FROM reviews r
         JOIN accounts a ON a.id = r.reviewer_id WHERE r.submission_id = ?1 ORDER BY r.id",
    )?;
    collect(stmt.query([id])?, |r| {
        Ok(ReviewRecord {
            status: parsed(r, "status", known(ReviewStatus::parse))?,
            comment: get(r, "comment")?,
            reviewer: get(r, "name")?,
            revision: get(r, "revision")?,
            at: time(r, "created_at")?,
        })
    })
}

/// Records a review, and changes the totals as the rules say (a checklist that becomes
/// rejected leaves them, one that stops being rejected comes back).
pub(super) fn review(
    tx: &Connection,
    review: &NewReview,
) -> Result<Option<Vec<ReviewRecord>>, StoreError> {
    let id = review.submission_id.to_string();
    let revision: Option<u32> = tx
        .query_row(
            "SELECT revision FROM submissions WHERE id = ?1",
            [&id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(revision) = revision else {
        return Ok(None);
    };
    if let Some((counted, before)) = load_counted(tx, &id)? {
        let mut deltas = TallyDelta::default();
        deltas.reviewed(&counted, before, review.status);
        write_deltas(tx, &deltas)?;
    }
    tx.execute(
        "UPDATE submissions SET review_status = ?2, reviewed_revision = ?3 WHERE id = ?1",
        params![id, review.status.as_str(), revision],
    )?;
    let seq = next_seq(tx)?;
    let at = crate::audit::now_millis();
    tx.execute(
        "INSERT INTO reviews (submission_id, revision, status, comment, reviewer_id, created_at, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id,
            revision,
            review.status.as_str(),
            review.comment,
            review.reviewer_id,
            time_text(at),
            seq
        ],
    )?;
    let entry = crate::audit::ReviewRow {
        seq,
        submission_id: &id,
        revision,
        status: review.status.as_str(),
        comment: &review.comment,
        reviewer_id: &review.reviewer_id,
        at,
    }
    .entry();
    super::audit::append(tx, at, vec![entry])?;
    Ok(Some(reviews_of(tx, &id)?))
}

pub(super) fn feedback_since(
    c: &Connection,
    since: i64,
    observer_id: &str,
) -> Result<Vec<Feedback>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT r.submission_id, r.revision, r.status, r.comment, a.name, r.created_at
         FROM reviews r
         JOIN submissions s ON s.id = r.submission_id
         JOIN accounts a ON a.id = r.reviewer_id
         WHERE r.seq > ?1 AND s.observer_id = ?2 ORDER BY r.seq",
    )?;
    collect(stmt.query(params![since, observer_id])?, |r| {
        Ok(Feedback {
            submission_id: parsed(r, "submission_id", SubmissionId::parse)?,
            revision: get(r, "revision")?,
            status: parsed(r, "status", known(ReviewStatus::parse))?,
            comment: get(r, "comment")?,
            reviewer: get(r, "name")?,
            at: time(r, "created_at")?,
        })
    })
}

/// `WHERE` clauses over `submissions s` for a [`SubmissionFilter`].
pub(super) fn submission_where(filter: &SubmissionFilter) -> (String, Vec<String>) {
    where_clause(
        &[],
        &[
            ("s.form_id = ?", filter.form.clone()),
            ("s.station_code = ?", filter.station.clone()),
            (
                "s.region IN (SELECT value FROM json_each(?))",
                regions_json(filter.regions.as_deref()),
            ),
            ("s.area = ?", filter.area.map(|a| a.as_str().to_owned())),
            ("s.kind = ?", filter.kind.map(|k| k.as_str().to_owned())),
            ("s.observer_id = ?", filter.observer.clone()),
            (
                super::findings::CONCERN_SEEN_SQL,
                filter.failed_check.clone(),
            ),
            (
                "s.review_status = ?",
                filter.review.map(|r| r.as_str().to_owned()),
            ),
            ("s.observed_hour >= ?", filter.from_hour.map(hour_text)),
            ("s.observed_hour < ?", filter.to_hour.map(hour_text)),
            (
                "(s.station_code IN (SELECT value FROM json_each(?, '$.stations'))
                  OR s.observer_id IN (SELECT value FROM json_each(?, '$.observers'))
                  OR s.region IN (SELECT value FROM json_each(?, '$.regions')))",
                filter.search.as_ref().map(SearchHits::as_json),
            ),
        ],
    )
}

pub(super) fn export(
    c: &Connection,
    filter: &SubmissionFilter,
    sink: &mut dyn FnMut(ExportRow) -> bool,
) -> Result<(), StoreError> {
    let (filter_sql, values) = submission_where(filter);
    let mut stmt = c.prepare(&format!(
        "SELECT {}, r.answers, r.notes
         FROM submissions s
         JOIN accounts a ON a.id = s.observer_id
         JOIN revisions r ON r.submission_id = s.id AND r.revision = s.revision
         {filter_sql}
         ORDER BY s.first_received_at, s.id",
        super::SUMMARY_COLUMNS
    ))?;
    let params: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
    let mut rows = stmt.query(params.as_slice())?;
    while let Some(row) = rows.next()? {
        let keep_going = sink(ExportRow {
            summary: summary_from_row(row)?,
            answers: json(row, "answers")?,
            notes: get(row, "notes")?,
        });
        if !keep_going {
            break;
        }
    }
    Ok(())
}

/// The station_visits conditions of a filter (form, hours) and the station list's (regions,
/// area, kind), numbered in that order.
fn visit_and_place(filter: &ReportFilter) -> (String, Vec<String>, Vec<String>) {
    let (visits, mut values) = where_clause(
        &["checklists > 0"],
        &[
            ("form_id = ?", filter.form.clone()),
            ("hour >= ?", filter.from_hour.map(hour_text)),
            ("hour < ?", filter.to_hour.map(hour_text)),
        ],
    );
    let placed = numbered(
        &mut values,
        &[
            (
                "st.region IN (SELECT value FROM json_each(?))",
                regions_json(filter.regions.as_deref()),
            ),
            ("st.area = ?", area_value(filter)),
            ("st.kind = ?", kind_value(filter)),
        ],
    );
    (visits, placed, values)
}

pub(super) fn station_marks(
    c: &Connection,
    filter: &ReportFilter,
) -> Result<Vec<StationMark>, StoreError> {
    let (visits, placed, values) = visit_and_place(filter);
    let placed: String = placed.iter().map(|p| format!(" AND {p}")).collect();
    let mut stmt = c.prepare_cached(&format!(
        "SELECT st.code, st.name, st.region, st.latitude, st.longitude,
                coalesce(v.checklists, 0) AS checklists, coalesce(v.negative, 0) AS negative
         FROM stations st
         LEFT JOIN (SELECT station_code, sum(checklists) AS checklists, sum(negative) AS negative
                    FROM station_visits {visits} GROUP BY station_code) v
           ON v.station_code = st.code
         WHERE st.latitude IS NOT NULL AND st.longitude IS NOT NULL{placed}
         ORDER BY st.code"
    ))?;
    collect(stmt.query(rusqlite::params_from_iter(&values))?, |r| {
        Ok(StationMark {
            code: get(r, "code")?,
            name: get(r, "name")?,
            region: get(r, "region")?,
            latitude: get(r, "latitude")?,
            longitude: get(r, "longitude")?,
            checklists: get(r, "checklists")?,
            negative: get(r, "negative")?,
        })
    })
}

pub(super) fn observed_hours(
    c: &Connection,
    filter: &ReportFilter,
) -> Result<Vec<ObservedHour>, StoreError> {
    let (visits, placed, values) = visit_and_place(filter);
    let placed: String = placed.iter().map(|p| format!(" AND {p}")).collect();
    let mut stmt = c.prepare_cached(&format!(
        "SELECT v.hour, v.stage, sum(v.checklists) AS checklists, sum(v.negative) AS negative
         FROM (SELECT * FROM station_visits {visits}) v
         JOIN stations st ON st.code = v.station_code
         WHERE true{placed}
         GROUP BY v.hour, v.stage
         ORDER BY v.hour, v.stage"
    ))?;
    collect(stmt.query(rusqlite::params_from_iter(&values))?, |r| {
        Ok(ObservedHour {
            hour: parse_hour(&get::<String>(r, "hour")?)?,
            stage: parsed(r, "stage", known(Stage::parse))?,
            checklists: get(r, "checklists")?,
            negative: get(r, "negative")?,
        })
    })
}
