//! Storing pushed checklists, and keeping the report totals in step in the same transaction.
//! What to do with each item and what it adds to the totals is decided by [`crate::rules`];
//! this module reads the facts the rules need and writes what they return.

use chrono::{DateTime, Utc};
use eom_shared::form::Assessment;
use eom_shared::station::{Area, StationCode, StationLevel};
use eom_shared::submission::ContentHash;
use eom_shared::sync::ReviewStatus;
use eom_shared::{FormId, Stage};
use rusqlite::{Connection, OptionalExtension, params};

use super::columns::{area, get, hour_text, kind, known, parse_hour, parsed, place, time_text};
use crate::rules::{self, Counted, Existing, TallyDelta, Verdict};
use crate::store::{IngestDecision, IngestItem, StoreError};

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::database)
}

/// The checklist's current contribution and review, as stored on its `submissions` row.
pub(super) fn load_counted(
    tx: &Connection,
    id: &str,
) -> Result<Option<(Counted, ReviewStatus)>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT form_id, stage, region, area, kind, observed_hour, station_code, overall,
                restricted, findings, review_status
         FROM submissions WHERE id = ?1",
    )?;
    let mut rows = stmt.query([id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let overall: Option<String> = get(row, "overall")?;
    let counted = Counted {
        form_id: parsed(row, "form_id", FormId::parse)?,
        stage: parsed(row, "stage", known(Stage::parse))?,
        region: get(row, "region")?,
        area: area(row, "area")?,
        kind: kind(row, "kind")?,
        hour: parse_hour(&get::<String>(row, "observed_hour")?)?,
        station: parsed(row, "station_code", StationCode::parse)?,
        overall: overall
            .map(|t| {
                Assessment::parse(&t)
                    .ok_or_else(|| StoreError::corrupt(format!("overall of {id}: '{t}'")))
            })
            .transpose()?,
        restricted: get(row, "restricted")?,
        findings: parsed(row, "findings", super::findings::parse)?,
    };
    let review = parsed(row, "review_status", known(ReviewStatus::parse))?;
    Ok(Some((counted, review)))
}

/// Replaces the checklist's rows in `critical_findings` with this contribution's.
pub(super) fn write_critical(
    tx: &Connection,
    id: &str,
    counted: &Counted,
    observed_at: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM critical_findings WHERE submission_id = ?1")?
        .execute([id])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO critical_findings
           (submission_id, question_id, form_id, region, area, kind, observed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for question in counted.critical() {
        insert.execute(params![
            id,
            question,
            counted.form_id.as_str(),
            counted.region,
            Area::stored(counted.area),
            counted.kind.as_str(),
            observed_at
        ])?;
    }
    Ok(())
}

/// Writes summed changes to the totals: one upsert per key.
pub(super) fn write_deltas(tx: &Connection, deltas: &TallyDelta) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO tally_assessments
           (form_id, stage, region, area, kind, hour, checklists, assessed, negative,
            access_answered, restricted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (form_id, region, area, kind, hour) DO UPDATE SET
           checklists = checklists + excluded.checklists,
           assessed = assessed + excluded.assessed,
           negative = negative + excluded.negative,
           access_answered = access_answered + excluded.access_answered,
           restricted = restricted + excluded.restricted",
    )?;
    for (k, d) in deltas.assessments() {
        stmt.execute(params![
            k.form_id.as_str(),
            k.stage.as_str(),
            k.region,
            Area::stored(k.area),
            k.kind.as_str(),
            hour_text(k.hour),
            d.checklists,
            d.assessed,
            d.negative,
            d.access_answered,
            d.restricted
        ])?;
    }
    let mut stmt = tx.prepare_cached(
        "INSERT INTO tally_findings
           (form_id, question_id, region, area, kind, hour, answered, concern)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (form_id, region, area, kind, hour, question_id) DO UPDATE SET
           answered = answered + excluded.answered, concern = concern + excluded.concern",
    )?;
    for (k, d) in deltas.findings() {
        stmt.execute(params![
            k.form_id.as_str(),
            k.question_id,
            k.region,
            Area::stored(k.area),
            k.kind.as_str(),
            hour_text(k.hour),
            d.answered,
            d.concern
        ])?;
    }
    let mut stmt = tx.prepare_cached(
        "INSERT INTO station_visits
           (station_code, form_id, stage, hour, checklists, assessed, negative)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (station_code, form_id, hour) DO UPDATE SET
           checklists = checklists + excluded.checklists,
           assessed = assessed + excluded.assessed,
           negative = negative + excluded.negative",
    )?;
    for (k, d) in deltas.visits() {
        stmt.execute(params![
            k.station.as_str(),
            k.form_id.as_str(),
            k.stage.as_str(),
            hour_text(k.hour),
            d.checklists,
            d.assessed,
            d.negative
        ])?;
    }
    let mut stmt = tx.prepare_cached(
        "INSERT INTO tally_arrivals (hour, form_id, region, area, kind, stage, checklists)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (hour, form_id, region, area, kind)
         DO UPDATE SET checklists = checklists + excluded.checklists",
    )?;
    for (k, d) in deltas.arrivals() {
        stmt.execute(params![
            hour_text(k.hour),
            k.form_id.as_str(),
            k.region,
            Area::stored(k.area),
            k.kind.as_str(),
            k.stage.as_str(),
            d
        ])?;
    }
    Ok(())
}

/// Stores the contribution and review-independent columns of the checklist's current row.
pub(super) fn write_counted(
    tx: &Connection,
    id: &str,
    counted: &Counted,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE submissions SET overall = ?2, restricted = ?3, findings = ?4, observed_hour = ?5,
           region = ?6, area = ?7, kind = ?8
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        counted.overall.map(Assessment::as_str),
        counted.restricted,
        super::findings::text(&counted.findings)?,
        hour_text(counted.hour),
        counted.region,
        Area::stored(counted.area),
        counted.kind.as_str()
    ])?;
    Ok(())
}

pub(super) fn ingest_one(
    tx: &Connection,
    observer_id: &str,
    received_at: DateTime<Utc>,
    item: &IngestItem,
    deltas: &mut TallyDelta,
    audit: &mut Vec<crate::audit::NewEntry>,
) -> Result<IngestDecision, StoreError> {
    let station = {
        let mut stmt = tx.prepare_cached(
            "SELECT region, area, kind, level, registered_voters FROM stations WHERE code = ?1",
        )?;
        let mut rows = stmt.query([item.content.station.as_str()])?;
        match rows.next()? {
            Some(row) => Some((place(row)?, parsed(row, "level", StationLevel::parse)?)),
            None => None,
        }
    };
    let Some((place, level)) = station else {
        return Ok(IngestDecision::UnknownStation);
    };
    if !crate::rules::filed_at(item.stage, level) {
        return Ok(IngestDecision::WrongLevel(level));
    }
    let id = item.id.to_string();
    let received = time_text(received_at);
    let latest: Option<(u32, String)> = tx
        .prepare_cached("SELECT revision, observer_id FROM submissions WHERE id = ?1")?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let existing = match latest {
        Some((latest_revision, owner)) => Some(Existing {
            owner,
            latest_revision,
            hash_at_revision: tx
                .prepare_cached(
                    "SELECT content_hash FROM revisions WHERE submission_id = ?1 AND revision = ?2",
                )?
                .query_row(params![id, item.revision], |r| r.get(0))
                .optional()?
                .map(ContentHash),
        }),
        None => None,
    };
    let verdict = rules::decide(
        observer_id,
        item.revision,
        &item.content_hash,
        existing.as_ref(),
    );
    let audited = crate::audit::RevisionRow {
        id: &id,
        revision: item.revision,
        content_hash: &item.content_hash.0,
        observer_id,
        received_at,
    };
    if verdict == Verdict::Conflict {
        record_conflict(tx, observer_id, &received, item)?;
        audit.push(audited.entry("conflict"));
    }
    if verdict.stores_revision() {
        insert_revision(tx, observer_id, &received, item)?;
        audit.push(audited.entry("revision"));
    }
    if verdict != Verdict::Accept {
        return Ok(IngestDecision::Stored(verdict));
    }

    let observed_at = time_text(item.content.observed_at);
    let counted = Counted::new(
        item.content.form_id.clone(),
        item.stage,
        place,
        item.content.station.clone(),
        item.content.observed_at,
        item.contribution.clone(),
    );
    let previous =
        match existing {
            Some(_) => Some(load_counted(tx, &id)?.ok_or_else(|| {
                StoreError::failed(format!("checklist {id} vanished during ingest"))
            })?),
            None => None,
        };
    deltas.accepted(
        received_at,
        previous.as_ref().map(|(c, review)| (c, *review)),
        &counted,
    );
    // The latest revision's row: inserted the first time, replaced by newer revisions (the
    // author, the first arrival time and the review stay).
    tx.prepare_cached(
        "INSERT INTO submissions (id, revision, observer_id, form_id, form_version, stage,
           station_code, region, overall, observed_at, first_received_at, received_at,
           observed_hour, restricted, findings, area, kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13, ?14, ?15, ?16)
         ON CONFLICT (id) DO UPDATE SET revision = excluded.revision,
           form_id = excluded.form_id, form_version = excluded.form_version,
           stage = excluded.stage, station_code = excluded.station_code,
           region = excluded.region, area = excluded.area, kind = excluded.kind,
           overall = excluded.overall,
           observed_at = excluded.observed_at, received_at = excluded.received_at,
           observed_hour = excluded.observed_hour, restricted = excluded.restricted,
           findings = excluded.findings",
    )?
    .execute(params![
        id,
        item.revision,
        observer_id,
        counted.form_id.as_str(),
        item.content.form_version,
        counted.stage.as_str(),
        counted.station.as_str(),
        counted.region,
        counted.overall.map(Assessment::as_str),
        observed_at,
        received,
        hour_text(counted.hour),
        counted.restricted,
        super::findings::text(&counted.findings)?,
        Area::stored(counted.area),
        counted.kind.as_str()
    ])?;
    write_critical(tx, &id, &counted, &observed_at)?;
    Ok(IngestDecision::Stored(Verdict::Accept))
}

fn insert_revision(
    tx: &Connection,
    observer_id: &str,
    received: &str,
    item: &IngestItem,
) -> Result<(), StoreError> {
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
        time_text(item.content.observed_at),
        to_json(&item.content.answers)?,
        item.content.notes,
        to_json(&item.warnings)?,
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
        to_json(&item.content)?,
        received
    ])?;
    Ok(())
}
