//! Storing a group of pushes on PostgreSQL in a dozen statements, whatever its size: lock the
//! checklists' ids, read what is stored about them in bulk, let [`crate::rules`] decide each
//! item in order, then write everything with one statement per table.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use eom_shared::form::{Assessment, Form};
use eom_shared::sync::ReviewStatus;
use eom_shared::{Area, FormId, Stage, StationCode, StationLevel};
use serde_json::{Map, Value};

use super::{PAGE, area, assessment, count, get, json, kind, known, parsed, place};
use crate::rules::tally::{ArrivalKey, AssessmentKey, FindingKey};
use crate::rules::{self, Contribution, Counted, Existing, Place, TallyDelta, Verdict};
use crate::store::{IngestBatch, IngestDecision, IngestItem, StoreError};

/// Takes the transaction-scoped advisory lock of each checklist id, in sorted order (so two
/// groups never wait on each other in a circle). Another instance storing the same checklist
/// waits here until this transaction ends, then sees what it stored.
pub(super) async fn lock_ids(tx: &impl GenericClient, ids: &[String]) -> Result<(), StoreError> {
    let mut sorted: Vec<&String> = ids.iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    tx.execute(
        "SELECT count(pg_advisory_xact_lock(hashtextextended(id, 0)))
         FROM (SELECT id FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n) ORDER BY n) ordered",
        &[&sorted],
    )
    .await?;
    Ok(())
}

/// A checklist's current contribution and review, read from its `submissions` row.
fn counted_from_row(row: &tokio_postgres::Row) -> Result<(Counted, ReviewStatus), StoreError> {
    Ok((
        Counted {
            form_id: parsed(row, "form_id", FormId::parse)?,
            stage: parsed(row, "stage", known(Stage::parse))?,
            region: get(row, "region")?,
            area: area(row, "area")?,
            kind: kind(row, "kind")?,
            station: parsed(row, "station_code", StationCode::parse)?,
            hour: get(row, "observed_hour")?,
            overall: assessment(row, "overall")?,
            restricted: get(row, "restricted")?,
            findings: json(row, "findings")?,
        },
        parsed(row, "review_status", known(ReviewStatus::parse))?,
    ))
}

const COUNTED_COLUMNS: &str = "id, revision, observer_id, first_received_at, form_id, stage, \
    region, area, kind, station_code, observed_hour, overall, restricted, findings, review_status";

pub(super) async fn load_counted(
    tx: &impl GenericClient,
    id: &str,
) -> Result<Option<(Counted, ReviewStatus)>, StoreError> {
    tx.query_opt(
        &format!("SELECT {COUNTED_COLUMNS} FROM submissions WHERE id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(counted_from_row)
    .transpose()
}

// Each table's rows are written in its primary key's order, so two transactions that touch
// the same rows lock them in the same order and never wait on each other in a circle.

fn assessment_order(k: &AssessmentKey) -> (&str, &str, &str, &str, DateTime<Utc>) {
    let area = Area::stored(k.area);
    (
        k.form_id.as_str(),
        k.region.as_str(),
        area,
        k.kind.as_str(),
        k.hour,
    )
}

fn finding_order(k: &FindingKey) -> (&str, &str, &str, &str, &str, DateTime<Utc>) {
    let area = Area::stored(k.area);
    let kind = k.kind.as_str();
    (
        k.form_id.as_str(),
        k.question_id.as_str(),
        k.region.as_str(),
        area,
        kind,
        k.hour,
    )
}

fn arrival_order(k: &ArrivalKey) -> (DateTime<Utc>, &str, &str, &str, &str) {
    let area = Area::stored(k.area);
    (
        k.hour,
        k.form_id.as_str(),
        k.region.as_str(),
        area,
        k.kind.as_str(),
    )
}

/// Writes summed changes to the totals: one upsert per table, rows in key order.
pub(super) async fn write_deltas(
    tx: &impl GenericClient,
    deltas: &TallyDelta,
) -> Result<(), StoreError> {
    let mut rows: Vec<_> = deltas.assessments().collect();
    rows.sort_by(|(a, _), (b, _)| assessment_order(a).cmp(&assessment_order(b)));
    if !rows.is_empty() {
        let (mut form, mut stage, mut region, mut hour) = (vec![], vec![], vec![], vec![]);
        let (mut areas, mut kinds) = (vec![], vec![]);
        let mut n: [Vec<i64>; 5] = Default::default();
        for (k, d) in &rows {
            form.push(k.form_id.as_str());
            stage.push(k.stage.as_str());
            region.push(k.region.as_str());
            areas.push(Area::stored(k.area));
            kinds.push(k.kind.as_str());
            hour.push(k.hour);
            for (column, value) in n.iter_mut().zip([
                d.checklists,
                d.assessed,
                d.negative,
                d.access_answered,
                d.restricted,
            ]) {
                column.push(value);
            }
        }
        tx.execute(
            "INSERT INTO tally_assessments
               (form_id, stage, region, hour, checklists, assessed, negative, access_answered,
                restricted, area, kind)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[],
                                  $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[],
                                  $10::text[], $11::text[])
             ON CONFLICT (form_id, region, area, kind, hour) DO UPDATE SET
               checklists = tally_assessments.checklists + excluded.checklists,
               assessed = tally_assessments.assessed + excluded.assessed,
               negative = tally_assessments.negative + excluded.negative,
               access_answered = tally_assessments.access_answered + excluded.access_answered,
               restricted = tally_assessments.restricted + excluded.restricted",
            &[
                &form, &stage, &region, &hour, &n[0], &n[1], &n[2], &n[3], &n[4], &areas, &kinds,
            ],
        )
        .await?;
    }

    let mut rows: Vec<_> = deltas.findings().collect();
    rows.sort_by(|(a, _), (b, _)| finding_order(a).cmp(&finding_order(b)));
    if !rows.is_empty() {
        let (mut form, mut question, mut region, mut hour) = (vec![], vec![], vec![], vec![]);
        let (mut answered, mut concern) = (vec![], vec![]);
        let (mut areas, mut kinds) = (vec![], vec![]);
        for (k, d) in &rows {
            form.push(k.form_id.as_str());
            question.push(k.question_id.as_str());
            region.push(k.region.as_str());
            areas.push(Area::stored(k.area));
            kinds.push(k.kind.as_str());
            hour.push(k.hour);
            answered.push(d.answered);
            concern.push(d.concern);
        }
        tx.execute(
            "INSERT INTO tally_findings
               (form_id, question_id, region, hour, answered, concern, area, kind)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[],
                                  $5::bigint[], $6::bigint[], $7::text[], $8::text[])
             ON CONFLICT (form_id, question_id, region, area, kind, hour) DO UPDATE SET
               answered = tally_findings.answered + excluded.answered,
               concern = tally_findings.concern + excluded.concern",
            &[
                &form, &question, &region, &hour, &answered, &concern, &areas, &kinds,
            ],
        )
        .await?;
    }

    let mut rows: Vec<_> = deltas.visits().collect();
    rows.sort_by(|(a, _), (b, _)| {
        (a.station.as_str(), a.form_id.as_str(), a.hour).cmp(&(
            b.station.as_str(),
            b.form_id.as_str(),
            b.hour,
        ))
    });
    if !rows.is_empty() {
        let (mut station, mut form, mut stage, mut hour) = (vec![], vec![], vec![], vec![]);
        let mut n: [Vec<i64>; 3] = Default::default();
        for (k, d) in &rows {
            station.push(k.station.as_str());
            form.push(k.form_id.as_str());
            stage.push(k.stage.as_str());
            hour.push(k.hour);
            for (column, value) in n.iter_mut().zip([d.checklists, d.assessed, d.negative]) {
                column.push(value);
            }
        }
        tx.execute(
            "INSERT INTO station_visits
               (station_code, form_id, stage, hour, checklists, assessed, negative)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[],
                                  $5::bigint[], $6::bigint[], $7::bigint[])
             ON CONFLICT (station_code, form_id, hour) DO UPDATE SET
               checklists = station_visits.checklists + excluded.checklists,
               assessed = station_visits.assessed + excluded.assessed,
               negative = station_visits.negative + excluded.negative",
            &[&station, &form, &stage, &hour, &n[0], &n[1], &n[2]],
        )
        .await?;
    }

    let mut rows: Vec<_> = deltas.arrivals().collect();
    rows.sort_by(|(a, _), (b, _)| arrival_order(a).cmp(&arrival_order(b)));
    if !rows.is_empty() {
        let (mut hour, mut form, mut region, mut stage, mut n) =
            (vec![], vec![], vec![], vec![], vec![]);
        let (mut areas, mut kinds) = (vec![], vec![]);
        for (k, d) in &rows {
            hour.push(k.hour);
            form.push(k.form_id.as_str());
            region.push(k.region.as_str());
            areas.push(Area::stored(k.area));
            kinds.push(k.kind.as_str());
            stage.push(k.stage.as_str());
            n.push(*d);
        }
        tx.execute(
            "INSERT INTO tally_arrivals (hour, form_id, region, stage, checklists, area, kind)
             SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[],
                                  $5::bigint[], $6::text[], $7::text[])
             ON CONFLICT (hour, form_id, region, area, kind)
             DO UPDATE SET checklists = tally_arrivals.checklists + excluded.checklists",
            &[&hour, &form, &region, &stage, &n, &areas, &kinds],
        )
        .await?;
    }
    Ok(())
}

/// What is known about one checklist id while a group is decided.
struct Current {
    owner: String,
    revision: u32,
    counted: Counted,
    review: ReviewStatus,
    first_received: DateTime<Utc>,
    /// Set when this group made a revision current: the row to write.
    accepted: Option<Accepted>,
    /// Whether the checklist has a row in the database already (with critical findings
    /// that a new revision replaces).
    in_database: bool,
}

struct Accepted {
    form_version: u32,
    observed_at: DateTime<Utc>,
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, StoreError> {
    serde_json::to_value(value).map_err(StoreError::database)
}

pub(super) async fn ingest(
    tx: &deadpool_postgres::Transaction<'_>,
    received_at: DateTime<Utc>,
    batches: &[IngestBatch],
) -> Result<Vec<Vec<IngestDecision>>, StoreError> {
    let items = || batches.iter().flat_map(|b| b.items.iter());
    let ids: Vec<String> = items().map(|i| i.id.to_string()).collect();
    lock_ids(tx, &ids).await?;

    // What is stored, read in bulk.
    let codes: Vec<&str> = items().map(|i| i.content.station.as_str()).collect();
    let stations: HashMap<String, (Place, StationLevel)> = tx
        .query(
            // Joined with the unnested list rather than `= ANY($1)`: the planner then walks
            // the index for each id instead of scanning the table (a prepared statement's
            // generic plan cannot tell ten ids from a million).
            "SELECT s.code, s.region, s.area, s.kind, s.level, s.registered_voters
             FROM unnest($1::text[]) AS t(code)
             JOIN stations s ON s.code = t.code",
            &[&codes],
        )
        .await?
        .iter()
        .map(|r| {
            Ok((
                get(r, "code")?,
                (place(r)?, parsed(r, "level", StationLevel::parse)?),
            ))
        })
        .collect::<Result<_, StoreError>>()?;
    let mut current: HashMap<String, Current> = HashMap::new();
    for row in tx
        .query(
            &format!(
                "SELECT s.* FROM (SELECT DISTINCT id FROM unnest($1::text[]) AS t(id)) t
                 JOIN LATERAL (SELECT {COUNTED_COLUMNS} FROM submissions WHERE id = t.id) s ON true"
            ),
            &[&ids],
        )
        .await?
    {
        let (counted, review) = counted_from_row(&row)?;
        current.insert(
            get(&row, "id")?,
            Current {
                owner: get(&row, "observer_id")?,
                revision: count(&row, "revision")?,
                counted,
                review,
                first_received: get(&row, "first_received_at")?,
                accepted: None,
                in_database: true,
            },
        );
    }
    let mut hashes: HashMap<(String, u32), String> = HashMap::new();
    for row in tx
        .query(
            "SELECT r.submission_id, r.revision, r.content_hash
             FROM (SELECT DISTINCT id FROM unnest($1::text[]) AS t(id)) t
             JOIN revisions r ON r.submission_id = t.id",
            &[&ids],
        )
        .await?
    {
        hashes.insert(
            (get(&row, "submission_id")?, count(&row, "revision")?),
            get(&row, "content_hash")?,
        );
    }

    // Decide every item in order, as if one after the other.
    let mut deltas = TallyDelta::default();
    let mut new_revisions: Vec<(&str, &IngestItem)> = Vec::new();
    let mut conflicts: Vec<(&str, &IngestItem)> = Vec::new();
    let mut decisions = Vec::with_capacity(batches.len());
    for batch in batches {
        let mut decided = Vec::with_capacity(batch.items.len());
        for item in &batch.items {
            let Some((place, level)) = stations.get(item.content.station.as_str()) else {
                decided.push(IngestDecision::UnknownStation);
                continue;
            };
            if !crate::rules::filed_at(item.stage, *level) {
                decided.push(IngestDecision::WrongLevel(*level));
                continue;
            }
            let id = item.id.to_string();
            let existing = current.get(&id).map(|c| Existing {
                owner: c.owner.clone(),
                latest_revision: c.revision,
                hash_at_revision: hashes
                    .get(&(id.clone(), item.revision))
                    .cloned()
                    .map(eom_shared::ContentHash),
            });
            let verdict = rules::decide(
                &batch.observer_id,
                item.revision,
                &item.content_hash,
                existing.as_ref(),
            );
            if verdict == Verdict::Conflict {
                conflicts.push((batch.observer_id.as_str(), item));
            }
            if verdict.stores_revision() {
                new_revisions.push((batch.observer_id.as_str(), item));
                hashes.insert((id.clone(), item.revision), item.content_hash.0.clone());
            }
            if verdict == Verdict::Accept {
                let counted = Counted::new(
                    item.content.form_id.clone(),
                    item.stage,
                    place.clone(),
                    item.content.station.clone(),
                    item.content.observed_at,
                    item.contribution.clone(),
                );
                let previous = current.remove(&id);
                deltas.accepted(
                    received_at,
                    previous.as_ref().map(|p| (&p.counted, p.review)),
                    &counted,
                );
                current.insert(
                    id,
                    Current {
                        owner: previous
                            .as_ref()
                            .map_or_else(|| batch.observer_id.clone(), |p| p.owner.clone()),
                        revision: item.revision,
                        counted,
                        review: previous.as_ref().map_or(ReviewStatus::None, |p| p.review),
                        first_received: previous.as_ref().map_or(received_at, |p| p.first_received),
                        accepted: Some(Accepted {
                            form_version: item.content.form_version,
                            observed_at: item.content.observed_at,
                        }),
                        in_database: previous.as_ref().is_some_and(|p| p.in_database),
                    },
                );
            }
            decided.push(IngestDecision::Stored(verdict));
        }
        decisions.push(decided);
    }

    write_revisions(tx, received_at, &new_revisions).await?;
    write_conflicts(tx, received_at, &conflicts).await?;
    let accepted: BTreeMap<&String, &Current> = current
        .iter()
        .filter(|(_, c)| c.accepted.is_some())
        .collect();
    write_current(tx, received_at, &accepted).await?;

    let mut observers: Vec<&str> = batches.iter().map(|b| b.observer_id.as_str()).collect();
    observers.sort_unstable();
    observers.dedup();
    tx.execute(
        "UPDATE accounts a SET last_received_at = $2 FROM unnest($1::text[]) AS t(id)
         WHERE a.id = t.id",
        &[&observers, &received_at],
    )
    .await?;
    write_deltas(tx, &deltas).await?;
    let audited = |(observer, item): &(&str, &IngestItem), action| {
        crate::audit::RevisionRow {
            id: &item.id.to_string(),
            revision: item.revision,
            content_hash: &item.content_hash.0,
            observer_id: observer,
            received_at,
        }
        .entry(action)
    };
    let entries = conflicts
        .iter()
        .map(|c| audited(c, "conflict"))
        .chain(new_revisions.iter().map(|r| audited(r, "revision")))
        .collect();
    super::audit::append(tx, received_at, entries).await?;
    Ok(decisions)
}

async fn write_revisions(
    tx: &impl GenericClient,
    received_at: DateTime<Utc>,
    revisions: &[(&str, &IngestItem)],
) -> Result<(), StoreError> {
    if revisions.is_empty() {
        return Ok(());
    }
    let mut id = Vec::new();
    let mut revision = Vec::new();
    let mut hash = Vec::new();
    let mut observer = Vec::new();
    let mut form = Vec::new();
    let mut version = Vec::new();
    let mut station = Vec::new();
    let mut observed = Vec::new();
    let mut answers = Vec::new();
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    for (observer_id, item) in revisions {
        id.push(item.id.to_string());
        revision.push(i64::from(item.revision));
        hash.push(item.content_hash.0.as_str());
        observer.push(*observer_id);
        form.push(item.content.form_id.as_str());
        version.push(i64::from(item.content.form_version));
        station.push(item.content.station.as_str());
        observed.push(item.content.observed_at);
        answers.push(Value::Object(item.content.answers.clone()));
        notes.push(item.content.notes.as_str());
        warnings.push(to_value(&item.warnings)?);
    }
    tx.execute(
        "INSERT INTO revisions (submission_id, revision, content_hash, observer_id, form_id,
           form_version, station_code, observed_at, answers, notes, warnings, received_at)
         SELECT *, $12 FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[],
           $6::bigint[], $7::text[], $8::timestamptz[], $9::jsonb[], $10::text[], $11::jsonb[])",
        &[
            &id,
            &revision,
            &hash,
            &observer,
            &form,
            &version,
            &station,
            &observed,
            &answers,
            &notes,
            &warnings,
            &received_at,
        ],
    )
    .await?;
    Ok(())
}

async fn write_conflicts(
    tx: &impl GenericClient,
    received_at: DateTime<Utc>,
    conflicts: &[(&str, &IngestItem)],
) -> Result<(), StoreError> {
    if conflicts.is_empty() {
        return Ok(());
    }
    let mut id = Vec::new();
    let mut revision = Vec::new();
    let mut hash = Vec::new();
    let mut observer = Vec::new();
    let mut payload = Vec::new();
    for (observer_id, item) in conflicts {
        id.push(item.id.to_string());
        revision.push(i64::from(item.revision));
        hash.push(item.content_hash.0.as_str());
        observer.push(*observer_id);
        payload.push(to_value(&item.content)?);
    }
    tx.execute(
        "INSERT INTO conflicts (submission_id, revision, content_hash, observer_id, payload, received_at)
         SELECT *, $6 FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::jsonb[])
         ON CONFLICT DO NOTHING",
        &[&id, &revision, &hash, &observer, &payload, &received_at],
    )
    .await?;
    Ok(())
}

/// The current row of every checklist this group accepted a revision of (the author, the
/// first arrival and the review stay), and its critical findings.
async fn write_current(
    tx: &impl GenericClient,
    received_at: DateTime<Utc>,
    accepted: &BTreeMap<&String, &Current>,
) -> Result<(), StoreError> {
    if accepted.is_empty() {
        return Ok(());
    }
    let mut id = Vec::new();
    let mut revision = Vec::new();
    let mut observer = Vec::new();
    let mut form = Vec::new();
    let mut version = Vec::new();
    let mut stage = Vec::new();
    let mut station = Vec::new();
    let mut region = Vec::new();
    let mut areas = Vec::new();
    let mut kinds = Vec::new();
    let mut overall: Vec<Option<&str>> = Vec::new();
    let mut observed = Vec::new();
    let mut hour = Vec::new();
    let mut first = Vec::new();
    let mut restricted = Vec::new();
    let mut findings = Vec::new();
    let mut critical = CriticalRows::default();
    for (key, c) in accepted {
        let Some(a) = &c.accepted else { continue };
        id.push(key.as_str());
        revision.push(i64::from(c.revision));
        observer.push(c.owner.as_str());
        form.push(c.counted.form_id.as_str());
        version.push(i64::from(a.form_version));
        stage.push(c.counted.stage.as_str());
        station.push(c.counted.station.as_str());
        region.push(c.counted.region.as_str());
        areas.push(Area::stored(c.counted.area));
        kinds.push(c.counted.kind.as_str());
        overall.push(c.counted.overall.map(Assessment::as_str));
        observed.push(a.observed_at);
        hour.push(c.counted.hour);
        first.push(c.first_received);
        restricted.push(c.counted.restricted);
        findings.push(to_value(&c.counted.findings)?);
        critical.add(key, &c.counted, a.observed_at);
    }
    tx.execute(
        "INSERT INTO submissions (id, revision, observer_id, form_id, form_version, stage,
           station_code, region, overall, observed_at, observed_hour, first_received_at,
           restricted, findings, area, kind, received_at)
         SELECT *, $17 FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[],
           $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[],
           $11::timestamptz[], $12::timestamptz[], $13::boolean[], $14::jsonb[], $15::text[],
           $16::text[])
         ON CONFLICT (id) DO UPDATE SET revision = excluded.revision,
           form_id = excluded.form_id, form_version = excluded.form_version,
           stage = excluded.stage, station_code = excluded.station_code,
           region = excluded.region, area = excluded.area, kind = excluded.kind,
           overall = excluded.overall,
           observed_at = excluded.observed_at, observed_hour = excluded.observed_hour,
           restricted = excluded.restricted, findings = excluded.findings,
           received_at = excluded.received_at",
        &[
            &id,
            &revision,
            &observer,
            &form,
            &version,
            &stage,
            &station,
            &region,
            &overall,
            &observed,
            &hour,
            &first,
            &restricted,
            &findings,
            &areas,
            &kinds,
            &received_at,
        ],
    )
    .await?;
    // Only checklists stored before this group can have critical findings to replace.
    let replaced: Vec<&str> = accepted
        .iter()
        .filter(|(_, c)| c.in_database)
        .map(|(key, _)| key.as_str())
        .collect();
    if !replaced.is_empty() {
        tx.execute(
            "DELETE FROM critical_findings c USING unnest($1::text[]) AS t(id)
             WHERE c.submission_id = t.id",
            &[&replaced],
        )
        .await?;
    }
    critical.insert(tx).await
}

/// The `critical_findings` rows of several checklists, written in one statement.
#[derive(Default)]
struct CriticalRows<'a> {
    id: Vec<&'a str>,
    question: Vec<&'a str>,
    form: Vec<&'a str>,
    region: Vec<&'a str>,
    area: Vec<&'static str>,
    kind: Vec<&'static str>,
    observed_at: Vec<DateTime<Utc>>,
}

impl<'a> CriticalRows<'a> {
    fn add(&mut self, id: &'a str, counted: &'a Counted, observed_at: DateTime<Utc>) {
        for question in counted.critical() {
            self.id.push(id);
            self.question.push(question);
            self.form.push(counted.form_id.as_str());
            self.region.push(counted.region.as_str());
            self.area.push(Area::stored(counted.area));
            self.kind.push(counted.kind.as_str());
            self.observed_at.push(observed_at);
        }
    }

    async fn insert(&self, tx: &impl GenericClient) -> Result<(), StoreError> {
        if self.id.is_empty() {
            return Ok(());
        }
        tx.execute(
            "INSERT INTO critical_findings
               (submission_id, question_id, form_id, region, observed_at, area, kind)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                                  $5::timestamptz[], $6::text[], $7::text[])",
            &[
                &self.id,
                &self.question,
                &self.form,
                &self.region,
                &self.observed_at,
                &self.area,
                &self.kind,
            ],
        )
        .await?;
        Ok(())
    }
}

/// Forgets all totals and counts every checklist's latest revision again, in one
/// transaction that keeps writers out until it is done; returns how many were counted.
pub(super) async fn rebuild(
    tx: &deadpool_postgres::Transaction<'_>,
    contribution: &dyn Fn(&Form, &Map<String, Value>) -> Contribution,
) -> Result<u64, StoreError> {
    tx.batch_execute(
        "LOCK TABLE submissions, tally_assessments, tally_findings, station_visits,
           tally_arrivals, critical_findings IN EXCLUSIVE MODE;
         DELETE FROM tally_assessments; DELETE FROM tally_findings; DELETE FROM station_visits;
         DELETE FROM tally_arrivals; DELETE FROM critical_findings; DELETE FROM recount_pending;",
    )
    .await?;
    let mut forms: HashMap<(String, u32), Form> = HashMap::new();
    for row in tx
        .query("SELECT id, version, definition FROM forms", &[])
        .await?
    {
        forms.insert(
            (get(&row, "id")?, count(&row, "version")?),
            json(&row, "definition")?,
        );
    }
    let mut deltas = TallyDelta::default();
    let mut counted_total = 0u64;
    let mut after = String::new();
    loop {
        let page = tx
            .query(
                "SELECT s.id, s.form_id, s.form_version, s.stage, st.region, st.area, st.kind,
                        st.registered_voters,
                        s.station_code, s.observed_at, s.first_received_at, s.review_status,
                        r.answers
                 FROM submissions s
                 JOIN revisions r ON r.submission_id = s.id AND r.revision = s.revision
                 JOIN stations st ON st.code = s.station_code
                 WHERE s.id > $1 ORDER BY s.id LIMIT $2",
                &[&after, &i64::from(PAGE)],
            )
            .await?;
        let Some(last) = page.last() else { break };
        after = get(last, "id")?;
        let mut current: BTreeMap<String, Current> = BTreeMap::new();
        for row in &page {
            let id: String = get(row, "id")?;
            let form_id: String = get(row, "form_id")?;
            let version: u32 = count(row, "form_version")?;
            let form = forms.get(&(form_id.clone(), version)).ok_or_else(|| {
                StoreError::corrupt(format!(
                    "checklist {id} uses unknown form {form_id} v{version}"
                ))
            })?;
            let answers: Map<String, Value> = json(row, "answers")?;
            let observed_at: DateTime<Utc> = get(row, "observed_at")?;
            let counted = Counted::new(
                parsed(row, "form_id", FormId::parse)?,
                parsed(row, "stage", known(Stage::parse))?,
                place(row)?,
                parsed(row, "station_code", StationCode::parse)?,
                observed_at,
                contribution(form, &answers),
            );
            let review = parsed(row, "review_status", known(ReviewStatus::parse))?;
            let first_received: DateTime<Utc> = get(row, "first_received_at")?;
            if deltas.recounted(first_received, &counted, review) {
                counted_total += 1;
            }
            current.insert(
                id,
                Current {
                    owner: String::new(),
                    revision: 0,
                    counted,
                    review,
                    first_received,
                    accepted: Some(Accepted {
                        form_version: version,
                        observed_at,
                    }),
                    in_database: true,
                },
            );
        }
        rewrite_counted(tx, &current).await?;
    }
    write_deltas(tx, &deltas).await?;
    Ok(counted_total)
}

/// Stores recomputed contributions and critical findings of a page of checklists.
async fn rewrite_counted(
    tx: &impl GenericClient,
    page: &BTreeMap<String, Current>,
) -> Result<(), StoreError> {
    let mut id = Vec::new();
    let mut overall: Vec<Option<&str>> = Vec::new();
    let mut restricted = Vec::new();
    let mut findings = Vec::new();
    let mut hour = Vec::new();
    let (mut region, mut areas, mut kinds) = (vec![], vec![], vec![]);
    let mut critical = CriticalRows::default();
    for (key, c) in page {
        id.push(key.as_str());
        region.push(c.counted.region.as_str());
        areas.push(Area::stored(c.counted.area));
        kinds.push(c.counted.kind.as_str());
        overall.push(c.counted.overall.map(Assessment::as_str));
        restricted.push(c.counted.restricted);
        findings.push(to_value(&c.counted.findings)?);
        hour.push(c.counted.hour);
        if let Some(a) = &c.accepted {
            critical.add(key, &c.counted, a.observed_at);
        }
    }
    tx.execute(
        "UPDATE submissions s SET overall = u.overall, restricted = u.restricted,
           findings = u.findings, observed_hour = u.hour, region = u.region, area = u.area,
           kind = u.kind
         FROM unnest($1::text[], $2::text[], $3::boolean[], $4::jsonb[], $5::timestamptz[],
                     $6::text[], $7::text[], $8::text[])
           AS u(id, overall, restricted, findings, hour, region, area, kind)
         WHERE s.id = u.id",
        &[
            &id,
            &overall,
            &restricted,
            &findings,
            &hour,
            &region,
            &areas,
            &kinds,
        ],
    )
    .await?;
    critical.insert(tx).await
}
