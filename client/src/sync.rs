//! The sync engine: push everything queued in batches, then pull forms and stations.
//!
//! Nothing is marked delivered unless a genuine server answer says so, and an outcome is
//! applied only to the revision that was sent. Any failure leaves the outbox as it was, so a
//! sync can be interrupted, killed or repeated at any moment.
//!
//! Over bad networks the engine retries with exponential backoff and jitter (waiting at least
//! as long as the server's `Retry-After`), halves the batch when a request fails and doubles it
//! again as requests succeed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use eom_shared::Issue;
use eom_shared::submission::{SubmissionId, SubmissionPayload};
use eom_shared::sync::PushOutcome;
use rand::Rng;

use crate::remote::{RemoteError, ServerClient};
use crate::store::{LocalStore, State, StoreError, now_text};

pub const DEFAULT_BATCH_SIZE: usize = 200;

/// A wrong laptop clock beyond this is worth a warning: observed-at times would be off.
const CLOCK_SKEW_WARNING_SECS: i64 = 600;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Remote(#[from] RemoteError),
}

/// How hard to try before giving up on a pass.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The first wait; each further failure doubles it.
    pub base: Duration,
    /// The longest wait between two attempts.
    pub cap: Duration,
    /// Failed requests retried within one pass before the pass gives up.
    pub retries_per_pass: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            retries_per_pass: 2,
        }
    }
}

/// The longest `Retry-After` waited out within one pass; a longer one ends the pass.
pub const MAX_IN_PASS_WAIT: Duration = Duration::from_secs(10);

/// Exponential backoff with jitter, capped, never shorter than the server's `Retry-After`.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    failures: u32,
}

impl Backoff {
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            failures: 0,
        }
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// The wait before the next attempt, after one more failure.
    pub fn next_delay(&mut self, retry_after: Option<Duration>) -> Duration {
        let exponent = self.failures.min(20);
        self.failures = self.failures.saturating_add(1);
        let ceiling = self
            .policy
            .base
            .saturating_mul(1 << exponent)
            .min(self.policy.cap);
        // "Equal jitter": half fixed, half random, so that laptops that lost the connection
        // together do not all come back in the same instant.
        let half = ceiling / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
        let delay = half + Duration::from_millis(jitter);
        match retry_after {
            Some(asked) => delay.max(asked),
            None => delay,
        }
    }
}

/// State kept across passes of `eom sync --watch`: the adapted batch size and the backoff.
#[derive(Debug, Clone)]
pub struct SyncSession {
    max_batch: usize,
    batch_size: usize,
    pub backoff: Backoff,
}

impl SyncSession {
    pub fn new(max_batch: usize, policy: RetryPolicy) -> Self {
        let max_batch = max_batch.max(1);
        Self {
            max_batch,
            batch_size: max_batch,
            backoff: Backoff::new(policy),
        }
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    fn succeeded(&mut self) {
        self.batch_size = (self.batch_size * 2).min(self.max_batch);
        self.backoff.reset();
    }

    fn failed(&mut self, sent: usize) {
        self.batch_size = (sent / 2).max(1);
    }
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
    /// Failed requests that were retried within this pass.
    pub retries: u32,
    /// Why pushing stopped early, if it did.
    pub push_error: Option<RemoteError>,
    /// Why pulling failed, if it did.
    pub pull_error: Option<RemoteError>,
    pub pulled_forms: usize,
    pub pulled_stations: usize,
    pub pulled_feedback: usize,
    /// Coordinators' messages new on this laptop.
    pub new_messages: usize,
    /// Server time minus laptop time, in seconds, when it is large enough to matter.
    pub clock_skew_secs: Option<i64>,
    /// Attachments the server now holds whole.
    pub attachments_sent: usize,
    /// Uploads that went on from where an earlier one stopped: name, bytes already there, size.
    pub attachments_resumed: Vec<(String, u64, u64)>,
    /// Attachments still to send after this sync.
    pub attachments_waiting: u64,
    /// Why sending attachments stopped early, if it did.
    pub attachment_error: Option<RemoteError>,
}

impl SyncReport {
    pub fn delivered(&self) -> usize {
        self.accepted + self.duplicate + self.stale
    }

    /// Everything queued was delivered and nothing needs the observer's attention.
    pub fn is_complete(&self) -> bool {
        self.still_queued == 0
            && self.attachments_waiting == 0
            && self.rejected.is_empty()
            && self.conflicts.is_empty()
            && self.push_error.is_none()
    }

    /// Whether another pass could deliver more without the observer doing anything.
    pub fn worth_retrying(&self) -> bool {
        (self.still_queued > 0
            && self
                .push_error
                .as_ref()
                .is_none_or(RemoteError::is_retryable))
            || (self.attachments_waiting > 0
                && self.push_error.is_none()
                && self
                    .attachment_error
                    .as_ref()
                    .is_none_or(RemoteError::is_retryable))
    }
}

/// Whether a failed request is retried within this pass: it may succeed again, retries are
/// left, and the server does not ask for a longer pause than a pass waits.
fn retry_in_pass(e: &RemoteError, retries_left: u32) -> bool {
    e.is_retryable() && retries_left > 0 && e.retry_after().is_none_or(|d| d <= MAX_IN_PASS_WAIT)
}

impl SyncSession {
    /// One pass: push everything queued (retrying failed requests a few times), then pull.
    pub async fn run(
        &mut self,
        store: &mut LocalStore,
        client: &ServerClient,
    ) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        self.push_all(store, client, &mut report).await?;
        if report.push_error.is_none() {
            self.send_attachments(store, client, &mut report).await?;
        }
        report.attachments_waiting = store.attachments_waiting()?;
        // Pull only after a clean push: when the server could not be reached or refused us,
        // a pull would fail the same way.
        if report.push_error.is_none() {
            match pull(store, client).await {
                Ok(pulled) => {
                    report.pulled_forms = pulled.forms;
                    report.pulled_stations = pulled.stations;
                    report.pulled_feedback = pulled.feedback;
                    report.new_messages = pulled.new_messages;
                    let skew = (pulled.server_time - Utc::now()).num_seconds();
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

    /// Sends the photos of checklists the server holds, chunk by chunk, each from where the
    /// server says it is; the laptop records every answer, so an upload cut here (or the
    /// laptop killed) goes on from there next time instead of starting again.
    async fn send_attachments(
        &mut self,
        store: &mut LocalStore,
        client: &ServerClient,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let mut retries_left = self.backoff.policy.retries_per_pass;
        for attachment in store.attachments_to_send()? {
            let id = attachment.submission_id;
            // Ask first: the server may hold more than this laptop heard of (an answer lost
            // on the way), or less (a server restored from a backup).
            let mut offset: Option<u64> = None;
            let mut started: Option<u64> = None;
            // Chunks of the whole file, with room for the server to send us back.
            let mut budget = 2 * attachment.size / eom_shared::attachment::CHUNK_BYTES as u64 + 8;
            loop {
                let bytes = match offset {
                    None => Vec::new(),
                    Some(at) => store.attachment_bytes(
                        id,
                        &attachment.sha256,
                        at,
                        eom_shared::attachment::CHUNK_BYTES,
                    )?,
                };
                match client
                    .upload_chunk(id, &attachment, offset.unwrap_or(0), bytes)
                    .await
                {
                    Ok(state) => {
                        store.attachment_progress(
                            id,
                            &attachment.sha256,
                            state.received,
                            state.complete,
                        )?;
                        self.backoff.reset();
                        if started.is_none() {
                            started = Some(state.received);
                            if state.received > 0 && !state.complete {
                                report.attachments_resumed.push((
                                    attachment.name.clone(),
                                    state.received,
                                    attachment.size,
                                ));
                            }
                        }
                        if state.complete {
                            report.attachments_sent += 1;
                            break;
                        }
                        offset = Some(state.received);
                        budget = budget.saturating_sub(1);
                        if budget == 0 {
                            break;
                        }
                    }
                    Err(e) if retry_in_pass(&e, retries_left) => {
                        retries_left -= 1;
                        report.retries += 1;
                        tokio::time::sleep(self.backoff.next_delay(e.retry_after())).await;
                        // The server's answer may have been lost: ask again where it is.
                        offset = None;
                    }
                    Err(e) => {
                        report.attachment_error = Some(e);
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    async fn push_all(
        &mut self,
        store: &mut LocalStore,
        client: &ServerClient,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        // A snapshot of what is queued now: checklists edited during the sync are sent next
        // time, and nothing is sent twice in one pass.
        let ids = store.queued_ids()?;
        let mut rest: &[SubmissionId] = &ids;
        let mut retries_left = self.backoff.policy.retries_per_pass;
        while !rest.is_empty() {
            let take = self.batch_size.min(rest.len());
            let mut batch: Vec<SubmissionPayload> = Vec::with_capacity(take);
            for id in &rest[..take] {
                if let Some(entry) = store.get(*id)?
                    && entry.state == State::Queued
                {
                    batch.push(entry.payload());
                }
            }
            if batch.is_empty() {
                rest = &rest[take..];
                continue;
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
                    self.succeeded();
                }
                Err(RemoteError::TooLarge { .. }) if take > 1 => self.failed(take),
                // A server that asks for a long pause ends this pass instead: `eom sync` says
                // when to come back, and `--watch` waits (showing how long) between passes.
                Err(e) if retry_in_pass(&e, retries_left) => {
                    retries_left -= 1;
                    report.retries += 1;
                    self.failed(take);
                    tokio::time::sleep(self.backoff.next_delay(e.retry_after())).await;
                }
                Err(e) => {
                    self.failed(take);
                    report.push_error = Some(e);
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// What one pull brought.
#[derive(Debug, Clone, Copy)]
pub struct PullSummary {
    pub forms: usize,
    pub stations: usize,
    /// Coordinators' reviews of this observer's checklists.
    pub feedback: usize,
    /// Coordinators' messages new on this laptop.
    pub new_messages: usize,
    pub server_time: DateTime<Utc>,
}

/// Pulls what changed since the stored cursor.
/// Where the server's receipt key (hex) is kept on the laptop.
pub const RECEIPT_KEY_SETTING: &str = "receipt_key";

pub async fn pull(store: &mut LocalStore, client: &ServerClient) -> Result<PullSummary, SyncError> {
    let cursor = store.setting("pull_cursor")?;
    let answer = client.pull(cursor.as_deref()).await?;
    store.save_catalog(
        &answer.forms,
        &answer.stations,
        &answer.feedback,
        &answer.cursor,
    )?;
    let new_messages = store.save_messages(&answer.messages)?;
    report_reads(store, client).await;
    // The receipt key, fetched once (at setup) and never replaced: a server or a middleman
    // that later shows another key cannot make its receipts pass for the mission's.
    if store.setting(RECEIPT_KEY_SETTING)?.is_none()
        && let Ok(key) = client.receipt_key().await
        && key.parse().is_ok()
    {
        store.set_setting(RECEIPT_KEY_SETTING, &key.public_key)?;
    }
    // The mission's time zone: a server that names none leaves the laptop's own clock.
    if let Some(zone) = answer
        .time_zone
        .as_deref()
        .filter(|z| eom_shared::sync::parse_time_zone(z).is_ok())
    {
        store.set_setting(crate::clock::ZONE_SETTING, zone)?;
    }
    Ok(PullSummary {
        // Forms, not versions: a new server sends each form in every version it holds.
        forms: answer
            .forms
            .iter()
            .map(|f| &f.id)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        stations: answer.stations.len(),
        feedback: answer.feedback.len(),
        new_messages,
        server_time: answer.server_time,
    })
}

/// Tells the server which messages the observer has been shown since the last report. A
/// failure leaves them for the next sync: the reads are the coordinators' information, not
/// the observer's data, and must not fail a sync that delivered checklists.
async fn report_reads(store: &mut LocalStore, client: &ServerClient) {
    let Ok(ids) = store.unreported_reads() else {
        return;
    };
    if ids.is_empty() {
        return;
    }
    if client.messages_read(&ids).await.is_ok() {
        let _ = store.reads_reported(&ids);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1000),
            retries_per_pass: 2,
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let mut b = Backoff::new(policy());
        let ceilings = [100, 200, 400, 800, 1000, 1000];
        for ceiling in ceilings {
            let d = b.next_delay(None).as_millis() as u64;
            assert!(
                d >= ceiling / 2 && d <= ceiling,
                "{d} not in [{}, {ceiling}]",
                ceiling / 2
            );
        }
        b.reset();
        assert!(b.next_delay(None) <= Duration::from_millis(100));
    }

    #[test]
    fn backoff_waits_at_least_what_the_server_asked() {
        let mut b = Backoff::new(policy());
        assert!(b.next_delay(Some(Duration::from_secs(5))) >= Duration::from_secs(5));
    }

    #[test]
    fn batches_shrink_on_failure_and_grow_back_on_success() {
        let mut s = SyncSession::new(200, policy());
        s.failed(200);
        assert_eq!(s.batch_size(), 100);
        s.failed(100);
        s.failed(50);
        assert_eq!(s.batch_size(), 25);
        s.failed(1);
        assert_eq!(s.batch_size(), 1);
        for _ in 0..10 {
            s.succeeded();
        }
        assert_eq!(s.batch_size(), 200);
    }
}
