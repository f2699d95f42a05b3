//! Live updates for the dashboard: open pages learn within seconds that something was
//! stored, wherever it was stored.
//!
//! Every write that changes what the pages show (a checklist, a review, an account, the
//! station list or the forms) appends to the audit log, so the log's last sequence number is a
//! change stamp every instance sees, from whichever instance wrote. One task per server reads
//! it every [`POLL`] and publishes it; each open page holds a server-sent-events stream
//! ([`crate::web`]) that says "changed" when it moves, and the page's script fetches itself
//! again and swaps the content in, without a reload.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::store::Store;

/// How often the change stamp is read.
pub const POLL: Duration = Duration::from_secs(2);

pub struct Live {
    stamp: watch::Sender<u64>,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            stamp: watch::Sender::new(0),
        }
    }
}

impl Live {
    /// The stamp now, and every change from here on.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.stamp.subscribe()
    }

    /// Sets the stamp as it is when the server starts, before any page follows it: the first
    /// read then finds nothing moved, and no page reloads for nothing.
    pub fn prime(&self, stamp: u64) {
        self.stamp.send_replace(stamp);
    }

    /// Reads the stamp every [`POLL`] until the process ends, publishing each change.
    pub fn watch(self: Arc<Self>, store: Arc<dyn Store>) {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(POLL);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let store = store.clone();
                match tokio::task::spawn_blocking(move || store.change_stamp()).await {
                    Ok(Ok(stamp)) => {
                        self.stamp.send_if_modified(|current| {
                            let moved = *current != stamp;
                            *current = stamp;
                            moved
                        });
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "live updates: cannot read the change stamp")
                    }
                    Err(e) => tracing::warn!(error = %e, "live updates: the read stopped"),
                }
            }
        });
    }
}
