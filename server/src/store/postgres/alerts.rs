//! The alert outbox on PostgreSQL (see [`crate::store::Store::claim_alerts`]). Several
//! instances share it: a claim skips rows another instance holds (`SKIP LOCKED`) and leases
//! what it takes, so each alert goes out from one instance at a time.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use eom_shared::FormId;
use eom_shared::station::StationCode;
use eom_shared::submission::SubmissionId;
use eom_shared::sync::ReviewStatus;

use super::{get, parsed, rows};
use crate::store::{AlertOutcome, CriticalFinding, PendingAlert, StoreError};

/// Whether `claim` has anything to do at `now`.
pub(super) async fn has_work(
    c: &impl GenericClient,
    channel: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let row = c
        .query_one(
            "SELECT NOT EXISTS (SELECT 1 FROM alert_channels WHERE channel = $1)
                 OR EXISTS (SELECT 1 FROM critical_findings c
                            JOIN submissions s ON s.id = c.submission_id
                            WHERE s.review_status <> $3
                              AND NOT EXISTS (SELECT 1 FROM alert_outbox o
                                              WHERE o.channel = $1
                                                AND o.submission_id = c.submission_id
                                                AND o.question_id = c.question_id))
                 OR EXISTS (SELECT 1 FROM alert_outbox
                            WHERE channel = $1 AND state = 'pending' AND next_attempt_at <= $2) AS work",
            &[&channel, &now, &ReviewStatus::Rejected.as_str()],
        )
        .await?;
    get(&row, "work")
}

pub(super) async fn claim(
    tx: &impl GenericClient,
    channel: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<PendingAlert>, StoreError> {
    let rejected = ReviewStatus::Rejected.as_str();
    let new_channel = tx
        .execute(
            "INSERT INTO alert_channels (channel, since) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&channel, &now],
        )
        .await?
        == 1;
    if new_channel {
        tx.execute(
            "INSERT INTO alert_outbox (channel, submission_id, question_id, state, next_attempt_at)
             SELECT $1, submission_id, question_id, 'predates', $2 FROM critical_findings
             ON CONFLICT DO NOTHING",
            &[&channel, &now],
        )
        .await?;
    }
    tx.execute(
        "INSERT INTO alert_outbox (channel, submission_id, question_id, state, next_attempt_at)
         SELECT $1, c.submission_id, c.question_id, 'pending', $2
         FROM critical_findings c JOIN submissions s ON s.id = c.submission_id
         WHERE s.review_status <> $3
         ON CONFLICT DO NOTHING",
        &[&channel, &now, &rejected],
    )
    .await?;
    tx.execute(
        "DELETE FROM alert_outbox o
         WHERE o.channel = $1 AND o.state = 'pending'
           AND NOT EXISTS (SELECT 1 FROM critical_findings c
                           JOIN submissions s ON s.id = c.submission_id
                           WHERE c.submission_id = o.submission_id
                             AND c.question_id = o.question_id
                             AND s.review_status <> $2)",
        &[&channel, &rejected],
    )
    .await?;
    let found = tx
        .query(
            "WITH due AS (
                 SELECT submission_id, question_id FROM alert_outbox
                 WHERE channel = $1 AND state = 'pending' AND next_attempt_at <= $2
                 ORDER BY next_attempt_at, submission_id, question_id
                 LIMIT $3
                 FOR UPDATE SKIP LOCKED
             ),
             leased AS (
                 UPDATE alert_outbox o SET next_attempt_at = $4
                 FROM due
                 WHERE o.channel = $1 AND o.submission_id = due.submission_id
                   AND o.question_id = due.question_id
                 RETURNING o.submission_id, o.question_id, o.attempts
             )
             SELECT c.submission_id, c.form_id, c.question_id, s.station_code, c.region,
                    c.observed_at, a.name, coalesce(st.name, '') AS station_name, l.attempts
             FROM leased l
             JOIN critical_findings c
               ON c.submission_id = l.submission_id AND c.question_id = l.question_id
             JOIN submissions s ON s.id = c.submission_id
             JOIN accounts a ON a.id = s.observer_id
             LEFT JOIN stations st ON st.code = s.station_code
             ORDER BY c.submission_id, c.question_id",
            &[&channel, &now, &i64::from(limit), &lease_until],
        )
        .await?;
    rows(found, |r| {
        let attempts: i32 = get(r, "attempts")?;
        Ok(PendingAlert {
            finding: CriticalFinding {
                submission_id: parsed(r, "submission_id", SubmissionId::parse)?,
                form_id: parsed(r, "form_id", FormId::parse)?,
                question_id: get(r, "question_id")?,
                station: parsed(r, "station_code", StationCode::parse)?,
                region: get(r, "region")?,
                observed_at: get(r, "observed_at")?,
                observer_name: get(r, "name")?,
            },
            station_name: get(r, "station_name")?,
            attempts: u32::try_from(attempts)
                .map_err(|_| StoreError::corrupt(format!("alert attempts {attempts}")))?,
        })
    })
}

pub(super) async fn finish(
    tx: &impl GenericClient,
    channel: &str,
    submission_id: SubmissionId,
    question_id: &str,
    outcome: &AlertOutcome,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id = submission_id.to_string();
    match outcome {
        AlertOutcome::Sent => {
            tx.execute(
                "UPDATE alert_outbox SET state = 'sent', attempts = attempts + 1, sent_at = $4,
                                         last_error = NULL
                 WHERE channel = $1 AND submission_id = $2 AND question_id = $3",
                &[&channel, &id, &question_id, &at],
            )
            .await?
        }
        AlertOutcome::Failed { error, retry_at } => {
            tx.execute(
                "UPDATE alert_outbox SET attempts = attempts + 1, last_error = $4,
                                         next_attempt_at = $5
                 WHERE channel = $1 AND submission_id = $2 AND question_id = $3
                   AND state = 'pending'",
                &[&channel, &id, &question_id, error, retry_at],
            )
            .await?
        }
    };
    Ok(())
}
