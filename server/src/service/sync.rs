//! The observer's laptop: push checklists, pull forms, stations and reviews, restore its own
//! checklists on a new laptop.

use chrono::Utc;
use eom_shared::submission::SubmissionPayload;
use eom_shared::sync::{
    Feedback, MAX_PUSH_BATCH, MineItem, MineResponse, PullResponse, PushResponse,
};
use serde_json::Value;

use super::{Service, ServiceError};
use crate::ingest;
use crate::ingest::writer::QueueFull;
use crate::store::{Account, IngestBatch, SubmissionFilter};

/// Batches up to this size are validated on the request's own task.
const INLINE_PREPARE_MAX: usize = 4;

/// What an overloaded server asks clients to wait before retrying.
const RETRY_AFTER_SECS: u32 = 1;

/// How long a push waits for its commit before the client is told to retry. The data may
/// still be committed afterwards: the retry is then answered `duplicate`.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Checklists per page of `mine`.
pub const MINE_PER_PAGE: u32 = 100;

impl Service {
    /// One outcome per item, in order, committed before the answer.
    pub async fn push(
        &self,
        observer: Account,
        submissions: Vec<Value>,
    ) -> Result<PushResponse, ServiceError> {
        let count = submissions.len();
        if count > MAX_PUSH_BATCH {
            return Err(ServiceError::TooLarge(format!(
                "a push may carry at most {MAX_PUSH_BATCH} submissions; this one has {count}"
            )));
        }
        let forms = self.forms.clone();
        let arrival = ingest::Arrival::now(self.window);
        let mut prepared = if count <= INLINE_PREPARE_MAX && forms.covers(&submissions) {
            // A few checklists validate in microseconds when their forms are cached: cheaper
            // here than a hop to the blocking pool, which matters at thousands of pushes a
            // second. A form not cached yet is read on the blocking pool.
            ingest::prepare(self.store.as_ref(), &forms, submissions, &arrival)?
        } else {
            self.store_call(move |s| Ok(ingest::prepare(s, &forms, submissions, &arrival)?))
                .await?
        };
        let results = if prepared.items().is_empty() {
            ingest::finish(prepared, Vec::new(), Vec::new(), None)
        } else {
            let batch = IngestBatch {
                observer_id: observer.id,
                items: prepared.take_items(),
            };
            let overloaded = ServiceError::Overloaded {
                retry_after_secs: RETRY_AFTER_SECS,
            };
            let answer = self.writer.submit(batch).map_err(|QueueFull| {
                tracing::warn!("write queue full: answering 503");
                ServiceError::Overloaded {
                    retry_after_secs: RETRY_AFTER_SECS,
                }
            })?;
            let stored = tokio::time::timeout(WRITE_TIMEOUT, answer)
                .await
                .map_err(|_| overloaded)?
                .map_err(|_| ServiceError::Stopped("the writer thread stopped".into()))?;
            let (items, decisions) = stored?;
            ingest::finish(prepared, items, decisions, Some(&self.receipts))
        };
        crate::telemetry::pushed(&results);
        Ok(PushResponse {
            results,
            server_time: Utc::now(),
        })
    }

    /// Forms and stations changed since the cursor, and reviews of the observer's checklists.
    pub async fn pull(
        &self,
        observer: Account,
        since: u64,
        client_version: Option<String>,
    ) -> Result<PullResponse, ServiceError> {
        if let Some(version) = client_version {
            self.note_client_version(&observer.id, version).await?;
        }
        let time_zone = self.time_zone.as_deref().map(str::to_owned);
        let messages = self.inbox(&observer).await?;
        let changes = self
            .store_call(move |s| Ok(s.catalog_changes(since, &observer.id)?))
            .await?;
        Ok(PullResponse {
            cursor: changes.cursor.to_string(),
            server_time: Utc::now(),
            forms: changes.forms,
            stations: changes.stations,
            feedback: changes.feedback,
            time_zone,
            messages,
        })
    }

    /// Records the eom version a team's laptop pulls with, when it is not the one recorded.
    async fn note_client_version(
        &self,
        account: &str,
        version: String,
    ) -> Result<(), ServiceError> {
        let known = self
            .client_versions
            .lock()
            .map(|v| v.get(account) == Some(&version))
            .unwrap_or(false);
        if known {
            return Ok(());
        }
        let (id, noted) = (account.to_owned(), version.clone());
        self.store_call(move |s| Ok(s.note_client_version(&id, &noted)?))
            .await?;
        if let Ok(mut v) = self.client_versions.lock() {
            v.insert(account.to_owned(), version);
        }
        Ok(())
    }

    /// The observer's own checklists, latest revisions with their content and last review,
    /// page by page (`eom restore` on a new laptop).
    pub async fn mine(&self, observer: Account, page: u32) -> Result<MineResponse, ServiceError> {
        let page = page.max(1);
        self.store_call(move |s| {
            let filter = SubmissionFilter {
                observer: Some(observer.id.clone()),
                ..SubmissionFilter::default()
            };
            let listed = s.list_submissions(&filter, page, MINE_PER_PAGE)?;
            let mut items = Vec::with_capacity(listed.items.len());
            for summary in &listed.items {
                let Some(detail) = s.submission(summary.id)? else {
                    continue;
                };
                let Some(latest) = detail
                    .revisions
                    .iter()
                    .find(|r| r.revision == summary.revision)
                else {
                    continue;
                };
                let review = detail.reviews.last().map(|r| Feedback {
                    submission_id: summary.id,
                    revision: r.revision,
                    status: r.status,
                    comment: r.comment.clone(),
                    reviewer: r.reviewer.clone(),
                    at: r.at,
                });
                items.push(MineItem {
                    submission: SubmissionPayload {
                        id: summary.id,
                        revision: summary.revision,
                        content_hash: latest.content_hash.clone(),
                        content: latest.content(),
                    },
                    review,
                });
            }
            Ok(MineResponse {
                items,
                page,
                per_page: MINE_PER_PAGE,
                total: listed.total,
            })
        })
        .await
    }
}
