//! Report queries, reviews and pulls of feedback on PostgreSQL.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use eom_shared::submission::SubmissionId;
use eom_shared::sync::{Feedback, ReviewStatus};
use eom_shared::{FormId, Stage, StationCode, StationLevel};
use tokio_postgres::types::ToSql;

use super::ingest::{load_counted, lock_ids, write_deltas};
use super::{
    Params, SUMMARY_COLUMNS, count, get, known, next_seq, param_refs, parsed, rows,
    summary_from_row,
};
use crate::rules::TallyDelta;
use crate::store::{
    ArrivalRow, AssessmentRow, CoverageCounts, CriticalFinding, FindingRow, NewReview,
    ObservedHour, ReportFilter, ReviewRecord, SearchHits, SilentObserver, StationCount,
    StationMark, StoreError, SubmissionFilter, SubmissionPage, VisitCount,
};

type Condition<'a> = (&'a str, Option<Box<dyn ToSql + Sync + Send>>);

fn boxed<T: ToSql + Sync + Send + 'static>(v: Option<T>) -> Option<Box<dyn ToSql + Sync + Send>> {
    v.map(|v| Box::new(v) as Box<dyn ToSql + Sync + Send>)
}

/// `WHERE` (after any `fixed` conditions) for the conditions whose value is given, their
/// parameters numbered from `after + 1`.
fn where_clause(fixed: &[&str], conditions: Vec<Condition<'_>>, after: usize) -> (String, Params) {
    let mut clauses: Vec<String> = fixed.iter().map(|c| (*c).to_owned()).collect();
    let mut params: Params = Vec::new();
    for (clause, value) in conditions {
        if let Some(v) = value {
            params.push(v);
            clauses.push(clause.replace('?', &format!("${}", after + params.len())));
        }
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (sql, params)
}

fn area_value(filter: &ReportFilter) -> Option<Box<dyn ToSql + Sync + Send>> {
    boxed(filter.area.map(|a| a.as_str()))
}

fn kind_value(filter: &ReportFilter) -> Option<Box<dyn ToSql + Sync + Send>> {
    boxed(filter.kind.map(|k| k.as_str()))
}

fn tally_where(filter: &ReportFilter) -> (String, Params) {
    where_clause(
        &[],
        vec![
            ("region = ANY(?)", boxed(filter.regions.clone())),
            ("area = ?", area_value(filter)),
            ("kind = ?", kind_value(filter)),
            ("form_id = ?", boxed(filter.form.clone())),
            ("hour >= ?", boxed(filter.from_hour)),
            ("hour < ?", boxed(filter.to_hour)),
        ],
        0,
    )
}

pub(super) async fn assessment_rows(
    c: &impl GenericClient,
    filter: &ReportFilter,
) -> Result<Vec<AssessmentRow>, StoreError> {
    let (filter_sql, params) = tally_where(filter);
    let found = c
        .query(
            &format!(
                r#"SELECT form_id, stage, region, sum(checklists)::bigint AS checklists,
                        sum(assessed)::bigint AS assessed, sum(negative)::bigint AS negative,
                        sum(access_answered)::bigint AS access_answered,
                        sum(restricted)::bigint AS restricted
                 FROM tally_assessments {filter_sql}
                 GROUP BY form_id, stage, region
                 ORDER BY form_id COLLATE "C", region COLLATE "C""#
            ),
            &param_refs(&params),
        )
        .await?;
    rows(found, |r| {
        Ok(AssessmentRow {
            form_id: get(r, "form_id")?,
            stage: parsed(r, "stage", known(Stage::parse))?,
            region: get(r, "region")?,
            checklists: count(r, "checklists")?,
            assessed: count(r, "assessed")?,
            negative: count(r, "negative")?,
            access_answered: count(r, "access_answered")?,
            restricted: count(r, "restricted")?,
        })
    })
}

pub(super) async fn finding_rows(
    c: &impl GenericClient,
    filter: &ReportFilter,
) -> Result<Vec<FindingRow>, StoreError> {
    let (filter_sql, params) = tally_where(filter);
    let found = c
        .query(
            &format!(
                "SELECT form_id, question_id, sum(answered)::bigint AS answered,
                        sum(concern)::bigint AS concern
                 FROM tally_findings {filter_sql}
                 GROUP BY form_id, question_id"
            ),
            &param_refs(&params),
        )
        .await?;
    rows(found, |r| {
        Ok(FindingRow {
            form_id: get(r, "form_id")?,
            question_id: get(r, "question_id")?,
            answered: count(r, "answered")?,
            concern: count(r, "concern")?,
        })
    })
}

pub(super) async fn critical_findings(
    c: &impl GenericClient,
    filter: &ReportFilter,
    limit: u32,
) -> Result<Vec<CriticalFinding>, StoreError> {
    let (filter_sql, params) = where_clause(
        &[],
        vec![
            // Rejected checklists' findings are left out.
            (
                "s.review_status <> ?",
                boxed(Some(ReviewStatus::Rejected.as_str().to_owned())),
            ),
            ("c.region = ANY(?)", boxed(filter.regions.clone())),
            ("c.area = ?", area_value(filter)),
            ("c.kind = ?", kind_value(filter)),
            ("c.form_id = ?", boxed(filter.form.clone())),
            ("c.observed_at >= ?", boxed(filter.from_hour)),
            ("c.observed_at < ?", boxed(filter.to_hour)),
        ],
        0,
    );
    let found = c
        .query(
            &format!(
                "SELECT c.submission_id, c.form_id, c.question_id, s.station_code, c.region,
                        c.observed_at, a.name
                 FROM critical_findings c
                 JOIN submissions s ON s.id = c.submission_id
                 JOIN accounts a ON a.id = s.observer_id
                 {filter_sql}
                 ORDER BY s.received_at DESC, c.submission_id, c.question_id COLLATE \"C\"
                 LIMIT {limit}"
            ),
            &param_refs(&params),
        )
        .await?;
    rows(found, |r| {
        Ok(CriticalFinding {
            submission_id: parsed(r, "submission_id", SubmissionId::parse)?,
            form_id: parsed(r, "form_id", FormId::parse)?,
            question_id: get(r, "question_id")?,
            station: parsed(r, "station_code", StationCode::parse)?,
            region: get(r, "region")?,
            observed_at: get(r, "observed_at")?,
            observer_name: get(r, "name")?,
        })
    })
}

pub(super) async fn coverage(
    c: &impl GenericClient,
    filter: &ReportFilter,
) -> Result<CoverageCounts, StoreError> {
    let placed = |after: usize| {
        where_clause(
            &[],
            vec![
                ("st.region = ANY(?)", boxed(filter.regions.clone())),
                ("st.area = ?", area_value(filter)),
                ("st.kind = ?", kind_value(filter)),
            ],
            after,
        )
    };
    let (listed, params) = placed(0);
    let found = c
        .query(
            &format!(
                "SELECT st.region, st.level, count(*)::bigint AS stations FROM stations st
                 {listed} GROUP BY st.region, st.level"
            ),
            &param_refs(&params),
        )
        .await?;
    let stations = rows(found, |r| {
        Ok(StationCount {
            region: get(r, "region")?,
            level: parsed(r, "level", StationLevel::parse)?,
            stations: count(r, "stations")?,
        })
    })?;
    let (filter_sql, mut params) = where_clause(
        &["checklists > 0"],
        vec![
            ("form_id = ?", boxed(filter.form.clone())),
            ("hour >= ?", boxed(filter.from_hour)),
            ("hour < ?", boxed(filter.to_hour)),
        ],
        0,
    );
    let (placed_sql, more) = placed(params.len());
    params.extend(more);
    // Two forms of one stage at the same station still count it once; a station counts as
    // assessed negatively when any checklist there was.
    let found = c
        .query(
            &format!(
                "SELECT st.region, v.stage, st.level,
                        count(DISTINCT v.station_code)::bigint AS visited,
                        count(DISTINCT v.station_code) FILTER (WHERE v.assessed > 0)::bigint
                          AS assessed,
                        count(DISTINCT v.station_code) FILTER (WHERE v.negative > 0)::bigint
                          AS negative
                 FROM (SELECT station_code, form_id, min(stage) AS stage,
                              sum(assessed) AS assessed, sum(negative) AS negative
                       FROM station_visits {filter_sql} GROUP BY station_code, form_id) v
                 JOIN stations st ON st.code = v.station_code
                 {placed_sql}
                 GROUP BY st.region, v.stage, st.level"
            ),
            &param_refs(&params),
        )
        .await?;
    let visits = rows(found, |r| {
        Ok(VisitCount {
            region: get(r, "region")?,
            stage: parsed(r, "stage", known(Stage::parse))?,
            level: parsed(r, "level", StationLevel::parse)?,
            visited: count(r, "visited")?,
            assessed: count(r, "assessed")?,
            negative: count(r, "negative")?,
        })
    })?;
    Ok(CoverageCounts { stations, visits })
}

/// Never-heard-from teams first, then the longest silent.
pub(super) async fn silent_observers(
    c: &impl GenericClient,
    before: DateTime<Utc>,
    regions: Option<&[String]>,
    limit: u32,
) -> Result<(Vec<SilentObserver>, u64), StoreError> {
    let condition = "role = 'observer' AND (last_received_at IS NULL OR last_received_at < $1)
           AND ($2::text[] IS NULL OR region = ANY($2))";
    let row = c
        .query_one(
            &format!("SELECT count(*)::bigint AS total FROM accounts WHERE {condition}"),
            &[&before, &regions],
        )
        .await?;
    let total = count(&row, "total")?;
    let found = c
        .query(
            &format!(
                "SELECT id, name, region, last_received_at FROM accounts WHERE {condition}
                 ORDER BY last_received_at NULLS FIRST, id LIMIT {limit}"
            ),
            &[&before, &regions],
        )
        .await?;
    let silent = rows(found, |r| {
        Ok(SilentObserver {
            id: get(r, "id")?,
            name: get(r, "name")?,
            region: get(r, "region")?,
            last_received_at: get(r, "last_received_at")?,
        })
    })?;
    Ok((silent, total))
}

pub(super) async fn arrivals(
    c: &impl GenericClient,
    filter: &ReportFilter,
) -> Result<Vec<ArrivalRow>, StoreError> {
    let (filter_sql, params) = tally_where(filter);
    let found = c
        .query(
            &format!(
                "SELECT hour, stage, sum(checklists)::bigint AS checklists FROM tally_arrivals
                 {filter_sql} GROUP BY hour, stage ORDER BY hour, stage"
            ),
            &param_refs(&params),
        )
        .await?;
    rows(found, |r| {
        Ok(ArrivalRow {
            hour: get(r, "hour")?,
            stage: parsed(r, "stage", known(Stage::parse))?,
            checklists: count(r, "checklists")?,
        })
    })
}

pub(super) async fn reviews_of(
    c: &impl GenericClient,
    id: &str,
) -> Result<Vec<ReviewRecord>, StoreError> {
    let found = c
        .query(
            "SELECT r.status, r.comment, a.name, r.revision, r.created_at FROM reviews r
             JOIN accounts a ON a.id = r.reviewer_id WHERE r.submission_id = $1 ORDER BY r.id",
            &[&id],
        )
        .await?;
    rows(found, |r| {
        Ok(ReviewRecord {
            status: parsed(r, "status", known(ReviewStatus::parse))?,
            comment: get(r, "comment")?,
            reviewer: get(r, "name")?,
            revision: count(r, "revision")?,
            at: get(r, "created_at")?,
        })
    })
}

/// Records a review, and changes the totals as the rules say. The checklist's advisory lock
/// keeps an ingest of a new revision from interleaving.
pub(super) async fn review(
    tx: &deadpool_postgres::Transaction<'_>,
    review: &NewReview,
) -> Result<Option<Vec<ReviewRecord>>, StoreError> {
    let id = review.submission_id.to_string();
    lock_ids(tx, std::slice::from_ref(&id)).await?;
    let Some(row) = tx
        .query_opt("SELECT revision FROM submissions WHERE id = $1", &[&id])
        .await?
    else {
        return Ok(None);
    };
    let revision: i64 = get(&row, "revision")?;
    if let Some((counted, before)) = load_counted(tx, &id).await? {
        let mut deltas = TallyDelta::default();
        deltas.reviewed(&counted, before, review.status);
        write_deltas(tx, &deltas).await?;
    }
    tx.execute(
        "UPDATE submissions SET review_status = $2, reviewed_revision = $3 WHERE id = $1",
        &[&id, &review.status.as_str(), &revision],
    )
    .await?;
    let seq = next_seq(tx).await?;
    // Milliseconds, as on SQLite, so a review reads the same after a move between backends.
    let at = crate::audit::now_millis();
    tx.execute(
        "INSERT INTO reviews (submission_id, revision, status, comment, reviewer_id, created_at, seq)
         VALUES ($1, $2, $3, $4, $5, $7, $6)",
        &[
            &id,
            &revision,
            &review.status.as_str(),
            &review.comment,
            &review.reviewer_id,
            &seq,
            &at,
        ],
    )
    .await?;
    let entry = crate::audit::ReviewRow {
        seq: u64::try_from(seq).map_err(|_| StoreError::failed("sequence"))?,
        submission_id: &id,
        revision: u32::try_from(revision).map_err(|_| StoreError::failed("revision"))?,
        status: review.status.as_str(),
        comment: &review.comment,
        reviewer_id: &review.reviewer_id,
        at,
    }
    .entry();
    super::audit::append(tx, at, vec![entry]).await?;
    Ok(Some(reviews_of(tx, &id).await?))
}

pub(super) async fn feedback_since(
    c: &impl GenericClient,
    since: i64,
    observer_id: &str,
) -> Result<Vec<Feedback>, StoreError> {
    let found = c
        .query(
            "SELECT r.submission_id, r.revision, r.status, r.comment, a.name, r.created_at
             FROM reviews r
             JOIN submissions s ON s.id = r.submission_id
             JOIN accounts a ON a.id = r.reviewer_id
             WHERE r.seq > $1 AND s.observer_id = $2 ORDER BY r.seq",
            &[&since, &observer_id],
        )
        .await?;
    rows(found, |r| {
        Ok(Feedback {
            submission_id: parsed(r, "submission_id", SubmissionId::parse)?,
            revision: count(r, "revision")?,
            status: parsed(r, "status", known(ReviewStatus::parse))?,
            comment: get(r, "comment")?,
            reviewer: get(r, "name")?,
            at: get(r, "created_at")?,
        })
    })
}

/// `WHERE` over `submissions s` for a [`SubmissionFilter`], parameters after `after`.
pub(super) fn submission_where(filter: &SubmissionFilter, after: usize) -> (String, Params) {
    where_clause(
        &[],
        vec![
            ("s.form_id = ?", boxed(filter.form.clone())),
            ("s.station_code = ?", boxed(filter.station.clone())),
            ("s.region = ANY(?)", boxed(filter.regions.clone())),
            ("s.area = ?", boxed(filter.area.map(|a| a.as_str()))),
            ("s.kind = ?", boxed(filter.kind.map(|k| k.as_str()))),
            ("s.observer_id = ?", boxed(filter.observer.clone())),
            (
                "s.findings @> jsonb_build_array(jsonb_build_object('question', ?::text, 'concern', true))",
                boxed(filter.failed_check.clone()),
            ),
            (
                "s.review_status = ?",
                boxed(filter.review.map(|r| r.as_str().to_owned())),
            ),
            ("s.observed_hour >= ?", boxed(filter.from_hour)),
            ("s.observed_hour < ?", boxed(filter.to_hour)),
            (
                "(s.station_code IN (SELECT jsonb_array_elements_text((?::text)::jsonb -> 'stations'))
                  OR s.observer_id IN (SELECT jsonb_array_elements_text((?::text)::jsonb -> 'observers'))
                  OR s.region IN (SELECT jsonb_array_elements_text((?::text)::jsonb -> 'regions')))",
                boxed(filter.search.as_ref().map(SearchHits::as_json)),
            ),
        ],
        after,
    )
}

pub(super) async fn list_submissions(
    c: &impl GenericClient,
    filter: &SubmissionFilter,
    page: u32,
    per_page: u32,
) -> Result<SubmissionPage, StoreError> {
    let (filter_sql, params) = submission_where(filter, 0);
    let offset = u64::from(page.saturating_sub(1)) * u64::from(per_page);
    let row = c
        .query_one(
            &format!("SELECT count(*)::bigint AS total FROM submissions s {filter_sql}"),
            &param_refs(&params),
        )
        .await?;
    let total = count(&row, "total")?;
    let found = c
        .query(
            &format!(
                "SELECT {SUMMARY_COLUMNS} FROM submissions s JOIN accounts a ON a.id = s.observer_id
                 {filter_sql} ORDER BY s.received_at DESC, s.id LIMIT {per_page} OFFSET {offset}"
            ),
            &param_refs(&params),
        )
        .await?;
    Ok(SubmissionPage {
        items: rows(found, summary_from_row)?,
        page,
        per_page,
        total,
    })
}

/// The station_visits conditions of a filter (form, hours) and the station list's (regions,
/// area, kind), numbered in that order.
fn visit_and_place(filter: &ReportFilter) -> (String, String, Params) {
    let (visits, mut params) = where_clause(
        &["checklists > 0"],
        vec![
            ("form_id = ?", boxed(filter.form.clone())),
            ("hour >= ?", boxed(filter.from_hour)),
            ("hour < ?", boxed(filter.to_hour)),
        ],
        0,
    );
    let (placed, more) = where_clause(
        &[],
        vec![
            ("st.region = ANY(?)", boxed(filter.regions.clone())),
            ("st.area = ?", area_value(filter)),
            ("st.kind = ?", kind_value(filter)),
        ],
        params.len(),
    );
    params.extend(more);
    // `WHERE a AND b` becomes ` AND a AND b`, to follow a condition of the caller's.
    let placed = placed
        .strip_prefix("WHERE")
        .map(|p| format!(" AND{p}"))
        .unwrap_or_default();
    (visits, placed, params)
}

pub(super) async fn station_marks(
    c: &impl GenericClient,
    filter: &ReportFilter,
) -> Result<Vec<StationMark>, StoreError> {
    let (visits, placed, params) = visit_and_place(filter);
    let found = c
        .query(
            &format!(
                "SELECT st.code, st.name, st.region, st.latitude, st.longitude,
                        coalesce(v.checklists, 0)::bigint AS checklists,
                        coalesce(v.negative, 0)::bigint AS negative
                 FROM stations st
                 LEFT JOIN (SELECT station_code, sum(checklists) AS checklists,
                                   sum(negative) AS negative
                            FROM station_visits {visits} GROUP BY station_code) v
                   ON v.station_code = st.code
                 WHERE st.latitude IS NOT NULL AND st.longitude IS NOT NULL{placed}
                 ORDER BY st.code COLLATE \"C\""
            ),
            &param_refs(&params),
        )
        .await?;
    rows(found, |r| {
        Ok(StationMark {
            code: get(r, "code")?,
            name: get(r, "name")?,
            region: get(r, "region")?,
            latitude: get(r, "latitude")?,
            longitude: get(r, "longitude")?,
            checklists: count(r, "checklists")?,
            negative: count(r, "negative")?,
        })
    })
}

pub(super) async fn observed_hours(
    c: &impl GenericClient,
    filter: &ReportFilter,
) -> Result<Vec<ObservedHour>, StoreError> {
    let (visits, placed, params) = visit_and_place(filter);
    let found = c
        .query(
            &format!(
                "SELECT v.hour, v.stage, sum(v.checklists)::bigint AS checklists,
                        sum(v.negative)::bigint AS negative
                 FROM (SELECT * FROM station_visits {visits}) v
                 JOIN stations st ON st.code = v.station_code
                 WHERE true{placed}
                 GROUP BY v.hour, v.stage
                 ORDER BY v.hour, v.stage"
            ),
            &param_refs(&params),
        )
        .await?;
    rows(found, |r| {
        Ok(ObservedHour {
            hour: get(r, "hour")?,
            stage: parsed(r, "stage", known(Stage::parse))?,
            checklists: count(r, "checklists")?,
            negative: count(r, "negative")?,
        })
    })
}
