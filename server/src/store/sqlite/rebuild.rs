//! Recomputing every running total from the stored revisions, for an operator who suspects
//! the tallies (after a bug, or a database restored from pieces).

use std::collections::HashMap;

use eom_shared::form::Form;
use rusqlite::{Connection, params};
use serde_json::{Map, Value};

use super::ingest::{Counted, TallyDeltas, hour_of};
use crate::reports::contribution::Contribution;
use crate::store::StoreError;

/// Checklists read and rewritten at a time.
const PAGE: usize = 5000;

/// Forgets all tallies and counts every checklist's latest revision again, in one
/// transaction; returns how many checklists were counted.
pub(super) fn rebuild(
    tx: &Connection,
    contribution: &dyn Fn(&Form, &Map<String, Value>) -> Contribution,
) -> Result<u64, StoreError> {
    tx.execute_batch(
        "DELETE FROM tally_assessments; DELETE FROM tally_findings; DELETE FROM station_visits;
         DELETE FROM tally_arrivals; DELETE FROM critical_findings;",
    )?;
    let mut forms: HashMap<(String, u32), Form> = HashMap::new();
    let mut stmt = tx.prepare("SELECT id, version, definition FROM forms")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, u32>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (id, version, text) = row?;
        let form: Form = serde_json::from_str(&text)
            .map_err(|e| StoreError::Database(format!("form {id} v{version} unreadable: {e}")))?;
        forms.insert((id, version), form);
    }

    let mut deltas = TallyDeltas::default();
    let mut select = tx.prepare(
        "SELECT s.id, s.form_id, s.form_version, s.stage, s.region, s.station_code,
                s.observed_at, s.first_received_at, s.review_status, r.answers
         FROM submissions s
         JOIN revisions r ON r.submission_id = s.id AND r.revision = s.revision
         WHERE s.id > ?1 ORDER BY s.id LIMIT ?2",
    )?;
    let mut update = tx.prepare(
        "UPDATE submissions SET overall = ?2, restricted = ?3, findings = ?4, observed_hour = ?5
         WHERE id = ?1",
    )?;
    let mut counted_total = 0u64;
    // Page through the checklists by id, so memory stays bounded at a million of them.
    let mut after = String::new();
    loop {
        let mut page = Vec::with_capacity(PAGE);
        let mut rows = select.query(params![after, PAGE as i64])?;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let form_id: String = row.get(1)?;
            let version: u32 = row.get(2)?;
            let observed_at: String = row.get(6)?;
            let first_received: String = row.get(7)?;
            let review: String = row.get(8)?;
            let answers: Map<String, Value> = serde_json::from_str(&row.get::<_, String>(9)?)
                .map_err(|e| StoreError::Database(format!("answers of {id} unreadable: {e}")))?;
            let form = forms.get(&(form_id.clone(), version)).ok_or_else(|| {
                StoreError::Database(format!(
                    "checklist {id} uses unknown form {form_id} v{version}"
                ))
            })?;
            let counted = Counted::new(
                form_id,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                &observed_at,
                contribution(form, &answers),
            );
            deltas.arrived(&hour_of(&first_received), &counted);
            if review != "rejected" {
                deltas.count(&counted, 1);
                counted_total += 1;
            }
            page.push((id, observed_at, counted));
        }
        drop(rows);
        let Some((last, _, _)) = page.last() else {
            break;
        };
        after = last.clone();
        for (id, observed_at, c) in &page {
            update.execute(params![
                id,
                c.overall,
                c.restricted,
                c.findings_json()?,
                c.hour
            ])?;
            c.write_critical(tx, id, observed_at)?;
        }
    }
    deltas.flush(tx)?;
    Ok(counted_total)
}
