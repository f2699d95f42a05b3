//! Recomputing every running total from the stored revisions, for an operator who suspects
//! the totals (after a bug, or a database restored from pieces).

use std::collections::HashMap;

use eom_shared::form::Form;
use eom_shared::station::StationCode;
use eom_shared::sync::ReviewStatus;
use eom_shared::{FormId, Stage};
use rusqlite::{Connection, params};
use serde_json::{Map, Value};

use super::columns::{get, json, known, parsed, place, time};
use super::ingest::{write_counted, write_critical, write_deltas};
use crate::rules::{Contribution, Counted, TallyDelta};
use crate::store::StoreError;

/// Checklists read and rewritten at a time.
const PAGE: usize = 5000;

/// Forgets all totals and counts every checklist's latest revision again, in one
/// transaction; returns how many checklists were counted. Each is placed where the station
/// list puts its station now (region, area, kind), so a corrected list takes effect.
pub(super) fn rebuild(
    tx: &Connection,
    contribution: &dyn Fn(&Form, &Map<String, Value>) -> Contribution,
) -> Result<u64, StoreError> {
    tx.execute_batch(
        "DELETE FROM tally_assessments; DELETE FROM tally_findings; DELETE FROM station_visits;
         DELETE FROM tally_arrivals; DELETE FROM critical_findings; DELETE FROM recount_pending;",
    )?;
    let mut forms: HashMap<(String, u32), Form> = HashMap::new();
    let mut stmt = tx.prepare("SELECT id, version, definition FROM forms")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: String = get(row, "id")?;
        let version: u32 = get(row, "version")?;
        forms.insert((id, version), json(row, "definition")?);
    }
    drop(rows);

    let mut deltas = TallyDelta::default();
    let mut select = tx.prepare(
        "SELECT s.id, s.form_id, s.form_version, s.stage, st.region, st.area, st.kind,
                st.registered_voters,
                s.station_code, s.observed_at, s.first_received_at, s.review_status, r.answers
         FROM submissions s
         JOIN revisions r ON r.submission_id = s.id AND r.revision = s.revision
         JOIN stations st ON st.code = s.station_code
         WHERE s.id > ?1 ORDER BY s.id LIMIT ?2",
    )?;
    let mut counted_total = 0u64;
    // Page through the checklists by id, so memory stays bounded at a million of them.
    let mut after = String::new();
    loop {
        let mut page = Vec::with_capacity(PAGE);
        let mut rows = select.query(params![after, PAGE as i64])?;
        while let Some(row) = rows.next()? {
            let id: String = get(row, "id")?;
            let form_id: String = get(row, "form_id")?;
            let version: u32 = get(row, "form_version")?;
            let answers: Map<String, Value> = json(row, "answers")?;
            let form = forms.get(&(form_id.clone(), version)).ok_or_else(|| {
                StoreError::corrupt(format!(
                    "checklist {id} uses unknown form {form_id} v{version}"
                ))
            })?;
            let observed_at_text: String = get(row, "observed_at")?;
            let counted = Counted::new(
                parsed(row, "form_id", FormId::parse)?,
                parsed(row, "stage", known(Stage::parse))?,
                place(row)?,
                parsed(row, "station_code", StationCode::parse)?,
                time(row, "observed_at")?,
                contribution(form, &answers),
            );
            let review = parsed(row, "review_status", known(ReviewStatus::parse))?;
            if deltas.recounted(time(row, "first_received_at")?, &counted, review) {
                counted_total += 1;
            }
            page.push((id, observed_at_text, counted));
        }
        drop(rows);
        let Some((last, _, _)) = page.last() else {
            break;
        };
        after = last.clone();
        for (id, observed_at, c) in &page {
            write_counted(tx, id, c)?;
            write_critical(tx, id, c, observed_at)?;
        }
    }
    write_deltas(tx, &deltas)?;
    Ok(counted_total)
}
