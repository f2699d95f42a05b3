//! Storing pushed checklists, and keeping the report tallies in step in the same transaction.

use std::collections::HashMap;

use eom_shared::sync::PushOutcome;
use rusqlite::{Connection, OptionalExtension, params};

use super::now_text;
use crate::reports::contribution::{Contribution, Finding};
use crate::store::{IngestDecision, IngestItem, StoreError};

/// What one checklist adds to the tallies, as stored on its `submissions` row so that it can
/// be taken back when a newer revision replaces it or a coordinator rejects it.
#[derive(Debug, Clone)]
pub(super) struct Counted {
    pub form_id: String,
    pub stage: String,
    pub region: String,
    pub hour: String,
    pub station: String,
    pub overall: Option<String>,
    pub restricted: Option<bool>,
    pub findings: Vec<Finding>,
}

impl Counted {
    /// What a checklist contributes, from what the domain computed for its answers.
    pub fn new(
        form_id: String,
        stage: String,
        region: String,
        station: String,
        observed_at: &str,
        c: Contribution,
    ) -> Self {
        Self {
            form_id,
            stage,
            region,
            hour: hour_of(observed_at),
            station,
            overall: c.overall.map(|a| a.as_str().to_owned()),
            restricted: c.restricted,
            findings: c.findings,
        }
    }

    /// The findings as stored on the `submissions` row.
    pub fn findings_json(&self) -> Result<String, StoreError> {
        serde_json::to_string(&self.findings).map_err(|e| StoreError::Invalid(e.to_string()))
    }

    /// Replaces the checklist's rows in `critical_findings` with this contribution's.
    pub fn write_critical(
        &self,
        tx: &Connection,
        id: &str,
        observed_at: &str,
    ) -> Result<(), StoreError> {
        tx.prepare_cached("DELETE FROM critical_findings WHERE submission_id = ?1")?
            .execute([id])?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO critical_findings (submission_id, question_id, form_id, region, observed_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for f in self.findings.iter().filter(|f| f.critical) {
            insert.execute(params![
                id,
                f.question,
                self.form_id,
                self.region,
                observed_at
            ])?;
        }
        Ok(())
    }

    fn negative(&self) -> bool {
        matches!(self.overall.as_deref(), Some("bad" | "very_bad"))
    }

    /// Reads the contribution of the checklist `id` as stored now.
    pub fn load(tx: &Connection, id: &str) -> Result<Option<(Self, String)>, StoreError> {
        let row = tx
            .prepare_cached(
                "SELECT form_id, stage, region, observed_hour, station_code, overall, restricted,
                        findings, review_status
                 FROM submissions WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    Counted {
                        form_id: r.get(0)?,
                        stage: r.get(1)?,
                        region: r.get(2)?,
                        hour: r.get(3)?,
                        station: r.get(4)?,
                        overall: r.get(5)?,
                        restricted: r.get(6)?,
                        findings: Vec::new(),
                    },
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                ))
            })
            .optional()?;
        let Some((mut counted, findings, review)) = row else {
            return Ok(None);
        };
        counted.findings = serde_json::from_str(&findings)
            .map_err(|e| StoreError::Database(format!("stored findings unreadable: {e}")))?;
        Ok(Some((counted, review)))
    }
}

/// Changes to the tallies gathered over a whole transaction and written once per key at the
/// end: a group of thousands of checklists touches only a few hundred tally rows.
#[derive(Default)]
pub(super) struct TallyDeltas {
    assessments: HashMap<(String, String, String, String), [i64; 5]>,
    findings: HashMap<(String, String, String, String), [i64; 2]>,
    visits: HashMap<(String, String, String, String), i64>,
    arrivals: HashMap<(String, String, String, String), i64>,
}

impl TallyDeltas {
    /// Adds (`sign` = 1) or takes back (`sign` = -1) one checklist's contribution.
    pub fn count(&mut self, c: &Counted, sign: i64) {
        let a = self
            .assessments
            .entry((
                c.form_id.clone(),
                c.stage.clone(),
                c.region.clone(),
                c.hour.clone(),
            ))
            .or_default();
        a[0] += sign;
        a[1] += sign * i64::from(c.overall.is_some());
        a[2] += sign * i64::from(c.negative());
        a[3] += sign * i64::from(c.restricted.is_some());
        a[4] += sign * i64::from(c.restricted == Some(true));
        for f in &c.findings {
            let t = self
                .findings
                .entry((
                    c.form_id.clone(),
                    f.question.clone(),
                    c.region.clone(),
                    c.hour.clone(),
                ))
                .or_default();
            t[0] += sign;
            t[1] += sign * i64::from(f.concern);
        }
        *self
            .visits
            .entry((
                c.station.clone(),
                c.form_id.clone(),
                c.stage.clone(),
                c.hour.clone(),
            ))
            .or_default() += sign;
    }

    /// A checklist seen for the first time, received in `hour`.
    pub fn arrived(&mut self, hour: &str, c: &Counted) {
        *self
            .arrivals
            .entry((
                hour.to_owned(),
                c.form_id.clone(),
                c.region.clone(),
                c.stage.clone(),
            ))
            .or_default() += 1;
    }

    pub fn flush(self, tx: &Connection) -> Result<(), StoreError> {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO tally_assessments
               (form_id, stage, region, hour, checklists, assessed, negative, access_answered, restricted)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (form_id, region, hour) DO UPDATE SET
               checklists = checklists + excluded.checklists,
               assessed = assessed + excluded.assessed,
               negative = negative + excluded.negative,
               access_answered = access_answered + excluded.access_answered,
               restricted = restricted + excluded.restricted",
        )?;
        for ((form, stage, region, hour), d) in self.assessments {
            if d.iter().any(|v| *v != 0) {
                stmt.execute(params![
                    form, stage, region, hour, d[0], d[1], d[2], d[3], d[4]
                ])?;
            }
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO tally_findings (form_id, question_id, region, hour, answered, concern)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (form_id, question_id, region, hour) DO UPDATE SET
               answered = answered + excluded.answered, concern = concern + excluded.concern",
        )?;
        for ((form, question, region, hour), d) in self.findings {
            if d.iter().any(|v| *v != 0) {
                stmt.execute(params![form, question, region, hour, d[0], d[1]])?;
            }
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO station_visits (station_code, form_id, stage, hour, checklists)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (station_code, form_id, hour)
             DO UPDATE SET checklists = checklists + excluded.checklists",
        )?;
        for ((station, form, stage, hour), d) in self.visits {
            if d != 0 {
                stmt.execute(params![station, form, stage, hour, d])?;
            }
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO tally_arrivals (hour, form_id, region, stage, checklists)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (hour, form_id, region)
             DO UPDATE SET checklists = checklists + excluded.checklists",
        )?;
        for ((hour, form, region, stage), d) in self.arrivals {
            stmt.execute(params![hour, form, region, stage, d])?;
        }
        Ok(())
    }
}

/// "YYYY-MM-DDTHH" of an RFC 3339 UTC time as stored ("2026-03-19T09:30:00.000Z").
pub(super) fn hour_of(text: &str) -> String {
    text.chars().take(13).collect()
}

pub(super) fn ingest_one(
    tx: &Connection,
    observer_id: &str,
    received: &str,
    item: &IngestItem,
    deltas: &mut TallyDeltas,
) -> Result<IngestDecision, StoreError> {
    let region: Option<String> = tx
        .prepare_cached("SELECT region FROM stations WHERE code = ?1")?
        .query_row([item.content.station.as_str()], |r| r.get(0))
        .optional()?;
    let Some(region) = region else {
        return Ok(IngestDecision::UnknownStation);
    };
    let id = item.id.to_string();
    let latest: Option<(u32, String)> = tx
        .prepare_cached("SELECT revision, observer_id FROM submissions WHERE id = ?1")?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;

    if let Some((_, ref owner)) = latest
        && owner != observer_id
    {
        // Another account's checklist: never let one observer overwrite another's data.
        record_conflict(tx, observer_id, received, item)?;
        return Ok(IngestDecision::Stored(PushOutcome::Conflict));
    }

    let stored_hash: Option<String> = tx
        .prepare_cached(
            "SELECT content_hash FROM revisions WHERE submission_id = ?1 AND revision = ?2",
        )?
        .query_row(params![id, item.revision], |r| r.get(0))
        .optional()?;
    if let Some(hash) = stored_hash {
        if hash == item.content_hash.0 {
            return Ok(IngestDecision::Stored(PushOutcome::Duplicate));
        }
        record_conflict(tx, observer_id, received, item)?;
        return Ok(IngestDecision::Stored(PushOutcome::Conflict));
    }

    insert_revision(tx, observer_id, received, item)?;
    if let Some((revision, _)) = latest
        && revision > item.revision
    {
        // An older revision arriving late: kept in the history, the newer one stays.
        return Ok(IngestDecision::Stored(PushOutcome::Stale));
    }

    let observed_at = now_text(item.content.observed_at);
    let counted = Counted::new(
        item.content.form_id.to_string(),
        item.stage.as_str().to_owned(),
        region,
        item.content.station.to_string(),
        &observed_at,
        item.contribution.clone(),
    );

    // A review stays with the checklist across revisions: a rejected checklist stays out of
    // the statistics until a coordinator says otherwise.
    let counts = match latest {
        Some(_) => {
            let (old, review) = Counted::load(tx, &id)?.ok_or_else(|| {
                StoreError::Database(format!("checklist {id} vanished during ingest"))
            })?;
            let counts = review != "rejected";
            if counts {
                deltas.count(&old, -1);
            }
            counts
        }
        None => {
            deltas.arrived(&hour_of(received), &counted);
            true
        }
    };
    // The latest revision's row: inserted the first time, replaced by newer revisions (the
    // author and the first arrival time stay).
    tx.prepare_cached(
        "INSERT INTO submissions (id, revision, observer_id, form_id, form_version, stage,
           station_code, region, overall, observed_at, first_received_at, received_at,
           observed_hour, restricted, findings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13, ?14)
         ON CONFLICT (id) DO UPDATE SET revision = excluded.revision,
           form_id = excluded.form_id, form_version = excluded.form_version,
           stage = excluded.stage, station_code = excluded.station_code,
           region = excluded.region, overall = excluded.overall,
           observed_at = excluded.observed_at, received_at = excluded.received_at,
           observed_hour = excluded.observed_hour, restricted = excluded.restricted,
           findings = excluded.findings",
    )?
    .execute(params![
        id,
        item.revision,
        observer_id,
        counted.form_id,
        item.content.form_version,
        counted.stage,
        counted.station,
        counted.region,
        counted.overall,
        observed_at,
        received,
        counted.hour,
        counted.restricted,
        counted.findings_json()?
    ])?;
    if counts {
        deltas.count(&counted, 1);
    }
    counted.write_critical(tx, &id, &observed_at)?;
    Ok(IngestDecision::Stored(PushOutcome::Accepted))
}

fn insert_revision(
    tx: &Connection,
    observer_id: &str,
    received: &str,
    item: &IngestItem,
) -> Result<(), StoreError> {
    let answers = serde_json::to_string(&item.content.answers)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let warnings =
        serde_json::to_string(&item.warnings).map_err(|e| StoreError::Invalid(e.to_string()))?;
    tx.prepare_cached(
        "INSERT INTO revisions (submission_id, revision, content_hash, observer_id, form_id,
           form_version, station_code, observed_at, answers, notes, warnings, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        item.id.to_string(),
        item.revision,
        item.content_hash.0,
        observer_id,
        item.content.form_id.as_str(),
        item.content.form_version,
        item.content.station.as_str(),
        now_text(item.content.observed_at),
        answers,
        item.content.notes,
        warnings,
        received
    ])?;
    Ok(())
}

fn record_conflict(
    tx: &Connection,
    observer_id: &str,
    received: &str,
    item: &IngestItem,
) -> Result<(), StoreError> {
    let payload =
        serde_json::to_string(&item.content).map_err(|e| StoreError::Invalid(e.to_string()))?;
    tx.prepare_cached(
        "INSERT INTO conflicts (submission_id, revision, content_hash, observer_id, payload, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        item.id.to_string(),
        item.revision,
        item.content_hash.0,
        observer_id,
        payload,
        received
    ])?;
    Ok(())
}
