//! The sync engine: push everything queued in batches, then pull forms and stations.
//!
//! Nothing is marked delivered unless a genuine server answer says so, and an outcome is
//! applied only to the revision that was sent. Any failure leaves the outbox as it was, so
//! `eom sync` can be run again at any time.

use chrono::{DateTime, Utc};
use eom_shared::Issue;
use eom_shared::submission::{SubmissionId, SubmissionPayload};
use eom_shared::sync::PushOutcome;

use crate::remote::{RemoteError, ServerClient};
use crate::store::{LocalStore, StoreError, now_text};

pub const DEFAULT_BATCH_SIZE: usize = 200;

/// A wrong laptop clock beyond this is worth a warning: observed-at times would be off.
const CLOCK_SKEW_WARNING_SECS: i64 = 300;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Remote(#[from] RemoteError),
}

#[derive(Debug, Default)]
pub struct SyncReport {
    pub accepted: usize,
    pub duplicate: usize,
    pub stale: usize,
    pub rejected: Vec<(SubmissionId, Vec<Issue>)>,
    pub conflicts: Vec<SubmissionId>,
    /// Queued checklists still waiting after this sync.
    pub still_queued: usize,
    /// Why pushing stopped early, if it did.
    pub push_error: Option<RemoteError>,
    /// Why pulling failed, if it did.
    pub pull_error: Option<RemoteError>,
    pub pulled_forms: usize,
    pub pulled_stations: usize,
    /// Server time minus laptop time, in seconds, when it is large enough to matter.
    pub clock_skew_secs: Option<i64>,
}

impl SyncReport {
    pub fn delivered(&self) -> usize {
        self.accepted + self.duplicate + self.stale
    }

    /// Everything queued was delivered and nothing needs the observer's attention.
    pub fn is_complete(&self) -> bool {
        self.still_queued == 0
            && self.rejected.is_empty()
            && self.conflicts.is_empty()
            && self.push_error.is_none()
    }
}

/// Pushes the whole outbox in batches of `batch_size`, then pulls.
pub async fn sync(
    store: &mut LocalStore,
    client: &ServerClient,
    batch_size: usize,
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    push_all(store, client, batch_size.max(1), &mut report).await?;
    // Pull only after a clean push: when the server could not be reached or refused us,
    // a pull would fail the same way.
    if report.push_error.is_none() {
        match pull(store, client).await {
            Ok((forms, stations, server_time)) => {
                report.pulled_forms = forms;
                report.pulled_stations = stations;
                let skew = (server_time - Utc::now()).num_seconds();
                if skew.abs() > CLOCK_SKEW_WARNING_SECS {
                    report.clock_skew_secs = Some(skew);
                }
            }
            Err(SyncError::Remote(e)) => report.pull_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    report.still_queued = store.queued_ids()?.len();
    if report.push_error.is_none() && report.pull_error.is_none() {
        store.set_setting("last_sync_at", &now_text())?;
    }
    Ok(report)
}

async fn push_all(
    store: &mut LocalStore,
    client: &ServerClient,
    mut batch_size: usize,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    // A snapshot of what is queued now: checklists edited during the sync are sent next time,
    // and nothing is sent twice in one run.
    let ids = store.queued_ids()?;
    let mut rest: &[SubmissionId] = &ids;
    while !rest.is_empty() {
        let take = batch_size.min(rest.len());
        let mut batch: Vec<SubmissionPayload> = Vec::with_capacity(take);
        for id in &rest[..take] {
            if let Some(entry) = store.get(*id)?
                && entry.state == crate::store::State::Queued
            {
                batch.push(entry.payload());
            }
        }
        match client.push(&batch).await {
            Ok(answer) => {
                let applied = store.apply_outcomes(&batch, &answer.results)?;
                for (_, outcome) in &applied.delivered {
                    match outcome {
                        PushOutcome::Accepted => report.accepted += 1,
                        PushOutcome::Duplicate => report.duplicate += 1,
                        _ => report.stale += 1,
                    }
                }
                report.rejected.extend(applied.rejected);
                report.conflicts.extend(applied.conflicts);
                rest = &rest[take..];
            }
            Err(RemoteError::TooLarge { .. }) if take > 1 => {
                // Retry the same items in smaller batches.
                batch_size = (take / 2).max(1);
            }
            Err(e) => {
                report.push_error = Some(e);
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Pulls what changed since the stored cursor; returns (forms, stations, server time).
pub async fn pull(
    store: &mut LocalStore,
    client: &ServerClient,
) -> Result<(usize, usize, DateTime<Utc>), SyncError> {
    let cursor = store.setting("pull_cursor")?;
    let answer = client.pull(cursor.as_deref()).await?;
    store.save_catalog(&answer.forms, &answer.stations, &answer.cursor)?;
    Ok((
        answer.forms.len(),
        answer.stations.len(),
        answer.server_time,
    ))
}
