//! The alert outbox in SQLite: which critical findings each channel has had. See
//! [`crate::store::Store::claim_alerts`]. A read looks for work first, so an idle outbox
//! never takes the write lock the ingest writer needs.

use chrono::{DateTime, Utc};
use eom_shared::FormId;
use eom_shared::station::StationCode;
use eom_shared::submission::SubmissionId;
use eom_shared::sync::ReviewStatus;
use rusqlite::{Connection, Transaction, params};

use super::columns::{get, parsed, time, time_text};
use crate::store::{AlertOutcome, CriticalFinding, PendingAlert, StoreError};

/// Whether `claim` has anything to do at `now`.
pub(super) fn has_work(
    c: &Connection,
    channel: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(c.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM alert_channels WHERE channel = ?1)
             OR EXISTS (SELECT 1 FROM critical_findings c
                        JOIN submissions s ON s.id = c.submission_id
                        WHERE s.review_status != ?3
                          AND NOT EXISTS (SELECT 1 FROM alert_outbox o
                                          WHERE o.channel = ?1
                                            AND o.submission_id = c.submission_id
                                            AND o.question_id = c.question_id))
             OR EXISTS (SELECT 1 FROM alert_outbox
                        WHERE channel = ?1 AND state = 'pending' AND next_attempt_at <= ?2)",
        params![channel, time_text(now), ReviewStatus::Rejected.as_str()],
        |r| r.get(0),
    )?)
}

pub(super) fn claim(
    tx: &Transaction<'_>,
    channel: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<PendingAlert>, StoreError> {
    let now_text = time_text(now);
    let rejected = ReviewStatus::Rejected.as_str();
    let new_channel = tx.execute(
        "INSERT INTO alert_channels (channel, since) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![channel, now_text],
    )? == 1;
    if new_channel {
        tx.execute(
            "INSERT INTO alert_outbox (channel, submission_id, question_id, state, next_attempt_at)
             SELECT ?1, submission_id, question_id, 'predates', ?2 FROM critical_findings WHERE true
             ON CONFLICT DO NOTHING",
            params![channel, now_text],
        )?;
    }
    tx.execute(
        "INSERT INTO alert_outbox (channel, submission_id, question_id, state, next_attempt_at)
         SELECT ?1, c.submission_id, c.question_id, 'pending', ?2
         FROM critical_findings c JOIN submissions s ON s.id = c.submission_id
         WHERE s.review_status != ?3
         ON CONFLICT DO NOTHING",
        params![channel, now_text, rejected],
    )?;
    tx.execute(
        "DELETE FROM alert_outbox
         WHERE channel = ?1 AND state = 'pending'
           AND NOT EXISTS (SELECT 1 FROM critical_findings c
                           JOIN submissions s ON s.id = c.submission_id
                           WHERE c.submission_id = alert_outbox.submission_id
                             AND c.question_id = alert_outbox.question_id
                             AND s.review_status != ?2)",
        params![channel, rejected],
    )?;
    let mut stmt = tx.prepare_cached(
        "SELECT c.submission_id, c.form_id, c.question_id, s.station_code, c.region,
                c.observed_at, a.name, coalesce(st.name, '') AS station_name, o.attempts
         FROM alert_outbox o
         JOIN critical_findings c
           ON c.submission_id = o.submission_id AND c.question_id = o.question_id
         JOIN submissions s ON s.id = c.submission_id
         JOIN accounts a ON a.id = s.observer_id
         LEFT JOIN stations st ON st.code = s.station_code
         WHERE o.channel = ?1 AND o.state = 'pending' AND o.next_attempt_at <= ?2
         ORDER BY o.next_attempt_at, o.submission_id, o.question_id
         LIMIT ?3",
    )?;
    let mut rows = stmt.query(params![channel, now_text, limit])?;
    let mut claimed = Vec::new();
    while let Some(r) = rows.next()? {
        claimed.push(PendingAlert {
            finding: CriticalFinding {
                submission_id: parsed(r, "submission_id", SubmissionId::parse)?,
                form_id: parsed(r, "form_id", FormId::parse)?,
                question_id: get(r, "question_id")?,
                station: parsed(r, "station_code", StationCode::parse)?,
                region: get(r, "region")?,
                observed_at: time(r, "observed_at")?,
                observer_name: get(r, "name")?,
            },
            station_name: get(r, "station_name")?,
            attempts: get(r, "attempts")?,
        });
    }
    let mut lease = tx.prepare_cached(
        "UPDATE alert_outbox SET next_attempt_at = ?4
         WHERE channel = ?1 AND submission_id = ?2 AND question_id = ?3",
    )?;
    for alert in &claimed {
        lease.execute(params![
            channel,
            alert.finding.submission_id.to_string(),
            alert.finding.question_id,
            time_text(lease_until)
        ])?;
    }
    Ok(claimed)
}

pub(super) fn finish(
    tx: &Transaction<'_>,
    channel: &str,
    submission_id: SubmissionId,
    question_id: &str,
    outcome: &AlertOutcome,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id = submission_id.to_string();
    match outcome {
        AlertOutcome::Sent => tx.execute(
            "UPDATE alert_outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?4,
                                     last_error = NULL
             WHERE channel = ?1 AND submission_id = ?2 AND question_id = ?3",
            params![channel, id, question_id, time_text(at)],
        )?,
        AlertOutcome::Failed { error, retry_at } => tx.execute(
            "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?4, next_attempt_at = ?5
             WHERE channel = ?1 AND submission_id = ?2 AND question_id = ?3 AND state = 'pending'",
            params![channel, id, question_id, error, time_text(*retry_at)],
        )?,
    };
    Ok(())
}
