//! Alerts: a critical finding (ballot stuffing, observers expelled) is pushed to the people
//! who must act instead of waiting on a dashboard page.
//!
//! The invariant: every critical finding that appears after a channel is first used reaches
//! it at least once, however often the server restarts or the receiver fails. The outbox
//! lives in the database ([`Store::claim_alerts`]), an alert is marked sent only after the
//! receiver accepted it, and a failed one is tried again with backoff. At least once, not
//! exactly once: a crash between the receiver's answer and the mark sends it again, so every
//! alert carries an `id` the receiver deduplicates on (also the `Idempotency-Key` header).
//! Findings already there when a channel is first used are not replayed to it.
//!
//! Every instance runs the loop; on PostgreSQL the claim's lease keeps two from sending the
//! same alert at once.

pub mod email;
pub mod webhook;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use eom_shared::form::{Form, Labels};
use serde::Serialize;

use crate::store::{AlertOutcome, PendingAlert, Store, StoreError};

/// How often the outbox is looked at: an alert leaves within this of its checklist's commit.
pub const POLL: Duration = Duration::from_secs(2);
/// How long a claimed alert is held by the instance sending it; past this (the instance
/// died mid-send) it is due again.
pub const LEASE: Duration = Duration::from_secs(45);
/// Alerts claimed per round.
const BATCH: u32 = 20;

/// How long to wait after the `attempts`-th failure: 2 s, doubling, at most 30 s, so a
/// receiver that is back within a minute has the alert within a minute.
pub fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(attempts.max(1)).min(30))
}

/// What a receiver gets: one critical finding.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    /// Stable across retries: `SUBMISSION/QUESTION`. Deduplicate on it.
    pub id: String,
    pub event: &'static str,
    pub submission_id: String,
    pub form_id: String,
    pub question_id: String,
    /// The question's text in every language of the form.
    pub question: Option<Labels>,
    pub station: String,
    pub station_name: String,
    pub region: String,
    pub observed_at: DateTime<Utc>,
    pub observer: String,
    /// 1 on the first delivery.
    pub attempt: u32,
}

impl Alert {
    fn new(pending: &PendingAlert, forms: &HashMap<String, Form>) -> Self {
        let f = &pending.finding;
        Alert {
            id: format!("{}/{}", f.submission_id, f.question_id),
            event: "critical_finding",
            submission_id: f.submission_id.to_string(),
            form_id: f.form_id.to_string(),
            question_id: f.question_id.clone(),
            question: forms
                .get(f.form_id.as_str())
                .and_then(|form| form.question(&f.question_id))
                .map(|q| q.label.clone()),
            station: f.station.to_string(),
            station_name: pending.station_name.clone(),
            region: f.region.clone(),
            observed_at: f.observed_at,
            observer: f.observer_name.clone(),
            attempt: pending.attempts + 1,
        }
    }
}

/// Where alerts go. `channel` names it in the outbox; it must stay the same across restarts
/// (and must not reveal a secret the destination holds, such as a webhook URL's token).
pub trait Destination: Send + Sync + 'static {
    fn channel(&self) -> &str;
    /// Delivers one alert; `Err` says why not, for the log and the outbox.
    fn deliver(
        &self,
        alert: &Alert,
    ) -> impl std::future::Future<Output = Result<(), String>> + Send;
}

/// Registers `destination`'s channel (on first use, what is there already predates it) and
/// then runs its alert loop until the process ends. Registration is done when this returns,
/// so a finding that arrives after the server starts listening is never taken for an old one.
pub async fn start<D: Destination>(
    store: Arc<dyn Store>,
    destination: D,
) -> Result<tokio::task::JoinHandle<()>, StoreError> {
    let channel = destination.channel().to_owned();
    blocking(&store, move |s| {
        let now = Utc::now();
        s.claim_alerts(&channel, now, now, 0).map(drop)
    })
    .await?;
    Ok(tokio::spawn(async move {
        let mut every = tokio::time::interval(POLL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = round(&store, &destination).await {
                tracing::warn!(channel = destination.channel(), error = %e, "alerts: could not read or update the outbox; trying again");
            }
        }
    }))
}

/// Claims what is due and delivers it, one alert after the other.
pub async fn round<D: Destination>(
    store: &Arc<dyn Store>,
    destination: &D,
) -> Result<usize, StoreError> {
    let channel = destination.channel().to_owned();
    let now = Utc::now();
    let lease_until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
    let (claimed, forms) = blocking(store, {
        let channel = channel.clone();
        move |s| {
            let claimed = s.claim_alerts(&channel, now, lease_until, BATCH)?;
            let forms = if claimed.is_empty() {
                HashMap::new()
            } else {
                s.latest_forms()?
                    .into_iter()
                    .map(|f| (f.id.to_string(), f))
                    .collect()
            };
            Ok((claimed, forms))
        }
    })
    .await?;
    for pending in &claimed {
        let alert = Alert::new(pending, &forms);
        let outcome = match destination.deliver(&alert).await {
            Ok(()) => {
                tracing::info!(channel = %channel, alert = %alert.id, station = %alert.station, "alert delivered");
                AlertOutcome::Sent
            }
            Err(error) => {
                let wait = backoff(alert.attempt);
                tracing::warn!(channel = %channel, alert = %alert.id, attempt = alert.attempt, %error, retry_in_secs = wait.as_secs(), "alert not delivered; will retry");
                AlertOutcome::Failed {
                    error,
                    retry_at: Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
                }
            }
        };
        let f = pending.finding.clone();
        let channel = channel.clone();
        blocking(store, move |s| {
            s.finish_alert(
                &channel,
                f.submission_id,
                &f.question_id,
                &outcome,
                Utc::now(),
            )
        })
        .await?;
    }
    Ok(claimed.len())
}

async fn blocking<T: Send + 'static>(
    store: &Arc<dyn Store>,
    f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|e| StoreError::failed(format!("the alert task stopped: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_two_seconds_and_stays_within_half_a_minute() {
        let waits: Vec<u64> = (1..=7).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(0).as_secs(), 2);
        assert_eq!(backoff(u32::MAX).as_secs(), 30);
    }
}
