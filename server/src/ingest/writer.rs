//! Group commit: one writer thread takes pushes from a bounded queue and stores everything
//! waiting in one transaction, so many requests share one `fsync`.
//!
//! When the queue is full the request is refused at once (503 with `Retry-After`) instead of
//! piling up: a client that is told to come back later loses nothing, while a server that
//! queues without bound runs out of memory at poll closing.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use chrono::Utc;
use tokio::sync::oneshot;

use crate::store::{IngestBatch, IngestDecision, IngestItem, Store, StoreError};

#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// Pushes that may wait for the writer; beyond this, 503.
    pub queue_capacity: usize,
    /// Most items stored in one transaction.
    pub max_group_items: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 256,
            max_group_items: 8192,
        }
    }
}

/// The items of one push and the store's decision on each, in order.
pub type Stored = Result<(Vec<IngestItem>, Vec<IngestDecision>), StoreError>;

struct Job {
    batch: IngestBatch,
    reply: oneshot::Sender<Stored>,
}

/// The queue is full; the caller should answer 503 and let the client retry.
#[derive(Debug)]
pub struct QueueFull;

pub struct GroupCommitter {
    queue: SyncSender<Job>,
    _thread: JoinHandle<()>,
}

impl GroupCommitter {
    pub fn start(store: Arc<dyn Store>, config: WriterConfig) -> std::io::Result<Self> {
        let (queue, jobs) = sync_channel(config.queue_capacity.max(1));
        let thread = std::thread::Builder::new()
            .name("eom-writer".into())
            .spawn(move || run(store.as_ref(), &jobs, config.max_group_items.max(1)))?;
        Ok(Self {
            queue,
            _thread: thread,
        })
    }

    /// Queues a batch; the answer arrives on the returned channel once it is committed.
    pub fn submit(&self, batch: IngestBatch) -> Result<oneshot::Receiver<Stored>, QueueFull> {
        let (reply, answer) = oneshot::channel();
        match self.queue.try_send(Job { batch, reply }) {
            Ok(()) => {
                crate::telemetry::queued();
                Ok(answer)
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(QueueFull),
        }
    }
}

fn run(store: &dyn Store, jobs: &Receiver<Job>, max_group_items: usize) {
    // Ends when every sender is gone, i.e. when the server shuts down.
    while let Ok(first) = jobs.recv() {
        let mut count = first.batch.items.len();
        let mut group = vec![first];
        while count < max_group_items {
            match jobs.try_recv() {
                Ok(job) => {
                    count += job.batch.items.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        crate::telemetry::dequeued(group.len());
        let (batches, replies): (Vec<IngestBatch>, Vec<oneshot::Sender<Stored>>) =
            group.into_iter().map(|j| (j.batch, j.reply)).unzip();
        let started = std::time::Instant::now();
        let stored = store.ingest(Utc::now(), &batches);
        crate::telemetry::committed(started.elapsed(), count, stored.is_ok());
        match stored {
            Ok(decisions) => {
                for ((batch, reply), decided) in batches.into_iter().zip(replies).zip(decisions) {
                    // A requester that gave up is fine: its data is committed, and a retry
                    // will be answered `duplicate`.
                    let _ = reply.send(Ok((batch.items, decided)));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, requests = replies.len(), "group commit failed");
                for reply in replies {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}
