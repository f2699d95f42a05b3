//! Report queries over the tallies, reviews, and the export stream.

use eom_shared::Stage;
use eom_shared::sync::{Feedback, ReviewStatus};
use rusqlite::{Connection, OptionalExtension, ToSql, params};

use super::ingest::{Counted, TallyDeltas};
use super::{next_seq, now_text, parse_time, summary_from_row};
use crate::store::{
    ArrivalRow, AssessmentRow, CoverageRow, CriticalFinding, ExportRow, FindingRow, NewReview,
    ReportFilter, ReviewRecord, SilentObserver, StoreError, SubmissionFilter,
};

/// `WHERE` (after any `fixed` conditions) for the conditions whose value is given, with
/// numbered parameters in order.
fn where_clause(fixed: &[&str], conditions: &[(&str, Option<&str>)]) -> (String, Vec<String>) {
    let mut clauses: Vec<String> = fixed.iter().map(|c| (*c).to_owned()).collect();
    let mut values = Vec::new();
    for (clause, value) in conditions {
        if let Some(v) = value {
            values.push((*v).to_owned());
            clauses.push(clause.replace('?', &format!("?{}", values.len())));
        }
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (sql, values)
}

/// `WHERE` clauses and their values for the tallies' columns.
fn tally_where(filter: &ReportFilter) -> (String, Vec<String>) {
    where_clause(
        &[],
        &[
            ("region = ?", filter.region.as_deref()),
            ("form_id = ?", filter.form.as_deref()),
            ("hour >= ?", filter.from_hour.as_deref()),
            ("hour < ?", filter.to_hour.as_deref()),
        ],
    )
}

fn stage(text: &str) -> Stage {
    // Stages are written by this server from the `Stage` enum; anything else would be a
    // newer server's, and counts as an incident so it never skews checklist figures.
    Stage::parse(text).unwrap_or(Stage::Incident)
}

pub(super) fn assessment_rows(
    c: &Connection,
    filter: &ReportFilter,
) -> Result<Vec<AssessmentRow>, StoreError> {
    let (filter_sql, values) = tally_where(filter);
    let mut stmt = c.prepare_cached(&format!(
        "SELECT form_id, stage, region, sum(checklists), sum(assessed), sum(negative),
                sum(access_answered), sum(restricted)
         FROM tally_assessments {filter_sql}
         GROUP BY form_id, stage, region ORDER BY form_id, region"
    ))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(&values), |r| {
        Ok(AssessmentRow {
            form_id: r.get(0)?,
            stage: stage(&r.get::<_, String>(1)?),
            region: r.get(2)?,
            checklists: r.get(3)?,
            assessed: r.get(4)?,
            negative: r.get(5)?,
            access_answered: r.get(6)?,
            restricted: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
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
        &["s.review_status != 'rejected'"],
        &[
            ("c.region = ?", filter.region.as_deref()),
            ("c.form_id = ?", filter.form.as_deref()),
            ("c.observed_at >= ?", filter.from_hour.as_deref()),
            ("c.observed_at < ?", filter.to_hour.as_deref()),
        ],
    );
    let mut stmt = c.prepare_cached(&format!(
        "SELECT c.submission_id, c.form_id, c.question_id, s.station_code, c.region,
                c.observed_at, a.name
         FROM critical_findings c
         JOIN submissions s ON s.id = c.submission_id
         JOIN accounts a ON a.id = s.observer_id
         {filter_sql}
         ORDER BY c.observed_at DESC
         LIMIT {limit}"
    ))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(&values), |r| {
        Ok(CriticalFinding {
            submission_id: r.get(0)?,
            form_id: r.get(1)?,
            question_id: r.get(2)?,
            station: r.get(3)?,
            region: r.get(4)?,
            observed_at: r.get(5)?,
            observer_name: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Which stations a stage is observed at: polling stations for the polling-day stages,
/// higher commissions for tabulation.
fn observed_levels(stage: Stage) -> &'static [&'static str] {
    match stage {
        Stage::Opening | Stage::Voting | Stage::Counting => &["pec"],
        Stage::Tabulation => &["tec", "dec"],
        Stage::Incident => &[],
    }
}

pub(super) fn coverage(
    c: &Connection,
    filter: &ReportFilter,
) -> Result<Vec<CoverageRow>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT region, level, count(*) FROM stations
         WHERE ?1 IS NULL OR region = ?1 GROUP BY region, level",
    )?;
    let totals: Vec<(String, String, u64)> = stmt
        .query_map([filter.region.as_deref()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let (filter_sql, values) = where_clause(
        &["checklists > 0"],
        &[
            ("form_id = ?", filter.form.as_deref()),
            ("hour >= ?", filter.from_hour.as_deref()),
            ("hour < ?", filter.to_hour.as_deref()),
        ],
    );
    // Stations visited per form first, grouped in primary-key order (no sort), then joined
    // with the station list: about twice as fast as joining every hourly row. Two forms of
    // one stage at the same station still count it once.
    let region_param = values.len() + 1;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT st.region, v.stage, st.level, count(DISTINCT v.station_code)
         FROM (SELECT station_code, form_id, min(stage) AS stage FROM station_visits
               {filter_sql} GROUP BY station_code, form_id) v
         JOIN stations st ON st.code = v.station_code
         WHERE ?{region_param} IS NULL OR st.region = ?{region_param}
         GROUP BY st.region, v.stage, st.level"
    ))?;
    let mut values: Vec<Option<String>> = values.into_iter().map(Some).collect();
    values.push(filter.region.clone());
    let visited: Vec<(String, String, String, u64)> = stmt
        .query_map(rusqlite::params_from_iter(&values), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut regions: Vec<&str> = totals.iter().map(|(r, _, _)| r.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    let mut rows = Vec::new();
    for region in regions {
        for stage in [
            Stage::Opening,
            Stage::Voting,
            Stage::Counting,
            Stage::Tabulation,
        ] {
            let levels = observed_levels(stage);
            let stations = totals
                .iter()
                .filter(|(r, l, _)| r == region && levels.contains(&l.as_str()))
                .map(|(_, _, n)| n)
                .sum();
            let seen = visited
                .iter()
                .filter(|(r, s, l, _)| {
                    r == region && s == stage.as_str() && levels.contains(&l.as_str())
                })
                .map(|(_, _, _, n)| n)
                .sum();
            rows.push(CoverageRow {
                region: region.to_owned(),
                stage,
                visited: seen,
                stations,
            });
        }
    }
    Ok(rows)
}

/// Never-heard-from teams come first: SQLite sorts NULL before any time, and the order
/// follows the `(role, last_received_at)` index, so the first few hundred are read without
/// sorting every account.
pub(super) fn silent_observers(
    c: &Connection,
    before: &str,
    region: Option<&str>,
    limit: u32,
) -> Result<(Vec<SilentObserver>, u64), StoreError> {
    let total: u64 = c.query_row(
        "SELECT count(*) FROM accounts
         WHERE role = 'observer' AND (last_received_at IS NULL OR last_received_at < ?1)
           AND (?2 IS NULL OR region = ?2)",
        params![before, region],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT id, name, region, last_received_at FROM accounts
         WHERE role = 'observer' AND (last_received_at IS NULL OR last_received_at < ?1)
           AND (?2 IS NULL OR region = ?2)
         ORDER BY last_received_at
         LIMIT {limit}"
    ))?;
    let rows = stmt.query_map(params![before, region], |r| {
        Ok(SilentObserver {
            id: r.get(0)?,
            name: r.get(1)?,
            region: r.get(2)?,
            last_received_at: r.get(3)?,
        })
    })?;
    Ok((rows.collect::<Result<_, _>>()?, total))
}

/// Arrivals per hour of receipt and stage; the time window here is the hour of receipt.
pub(super) fn arrivals(
    c: &Connection,
    filter: &ReportFilter,
) -> Result<Vec<ArrivalRow>, StoreError> {
    let (filter_sql, values) = tally_where(filter);
    let mut stmt = c.prepare_cached(&format!(
        "SELECT hour, stage, sum(checklists) FROM tally_arrivals {filter_sql}
         GROUP BY hour, stage ORDER BY hour, stage"
    ))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(&values), |r| {
        Ok(ArrivalRow {
            hour: r.get(0)?,
            stage: stage(&r.get::<_, String>(1)?),
            checklists: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn reviews_of(c: &Connection, id: &str) -> Result<Vec<ReviewRecord>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT r.status, r.comment, a.name, r.revision, r.created_at FROM reviews r
         JOIN accounts a ON a.id = r.reviewer_id WHERE r.submission_id = ?1 ORDER BY r.id",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(ReviewRecord {
            status: ReviewStatus::parse(&r.get::<_, String>(0)?).unwrap_or(ReviewStatus::None),
            comment: r.get(1)?,
            reviewer: r.get(2)?,
            revision: r.get(3)?,
            at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records a review; a checklist that becomes rejected leaves the tallies, one that stops
/// being rejected comes back.
pub(super) fn review(
    tx: &Connection,
    review: &NewReview,
) -> Result<Option<Vec<ReviewRecord>>, StoreError> {
    let id = review.submission_id.to_string();
    let current: Option<(u32, String)> = tx
        .query_row(
            "SELECT revision, review_status FROM submissions WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((revision, old_status)) = current else {
        return Ok(None);
    };
    let was_rejected = old_status == ReviewStatus::Rejected.as_str();
    let is_rejected = review.status == ReviewStatus::Rejected;
    if was_rejected != is_rejected
        && let Some((counted, _)) = Counted::load(tx, &id)?
    {
        let mut deltas = TallyDeltas::default();
        deltas.count(&counted, if is_rejected { -1 } else { 1 });
        deltas.flush(tx)?;
    }
    tx.execute(
        "UPDATE submissions SET review_status = ?2, reviewed_revision = ?3 WHERE id = ?1",
        params![id, review.status.as_str(), revision],
    )?;
    let seq = next_seq(tx)?;
    tx.execute(
        "INSERT INTO reviews (submission_id, revision, status, comment, reviewer_id, created_at, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id,
            revision,
            review.status.as_str(),
            review.comment,
            review.reviewer_id,
            now_text(chrono::Utc::now()),
            seq
        ],
    )?;
    Ok(Some(reviews_of(tx, &id)?))
}

pub(super) fn feedback_since(
    c: &Connection,
    since: u64,
    observer_id: &str,
) -> Result<Vec<Feedback>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT r.submission_id, r.revision, r.status, r.comment, a.name, r.created_at
         FROM reviews r
         JOIN submissions s ON s.id = r.submission_id
         JOIN accounts a ON a.id = r.reviewer_id
         WHERE r.seq > ?1 AND s.observer_id = ?2 ORDER BY r.seq",
    )?;
    let mut rows = stmt.query(params![since, observer_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        out.push(Feedback {
            submission_id: eom_shared::SubmissionId::parse(&id).map_err(StoreError::Database)?,
            revision: r.get(1)?,
            status: ReviewStatus::parse(&r.get::<_, String>(2)?).unwrap_or(ReviewStatus::None),
            comment: r.get(3)?,
            reviewer: r.get(4)?,
            at: parse_time(&r.get::<_, String>(5)?),
        });
    }
    Ok(out)
}

/// `WHERE` clauses over `submissions s` for a [`SubmissionFilter`].
pub(super) fn submission_where(filter: &SubmissionFilter) -> (String, Vec<String>) {
    where_clause(
        &[],
        &[
            ("s.form_id = ?", filter.form.as_deref()),
            ("s.station_code = ?", filter.station.as_deref()),
            ("s.region = ?", filter.region.as_deref()),
            ("s.observer_id = ?", filter.observer.as_deref()),
            ("s.review_status = ?", filter.review.map(|r| r.as_str())),
            ("s.observed_hour >= ?", filter.from_hour.as_deref()),
            ("s.observed_hour < ?", filter.to_hour.as_deref()),
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
        let summary = summary_from_row(row)?;
        let answers = serde_json::from_str(&row.get::<_, String>("answers")?)
            .map_err(|e| StoreError::Database(format!("stored answers unreadable: {e}")))?;
        let keep_going = sink(ExportRow {
            summary,
            answers,
            notes: row.get("notes")?,
        });
        if !keep_going {
            break;
        }
    }
    Ok(())
}
