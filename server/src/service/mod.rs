//! The service layer: what the server does, for the JSON API and the dashboard alike.
//!
//! Handlers in `api` and `web` parse the request, call one function here, and present the
//! result; neither imports the other, and both get the same figures, the same checks and the
//! same errors. Storage work runs on the blocking thread pool through [`Service::store_call`].

pub mod accounts;
pub mod attachments;
pub mod export;
pub mod messages;
pub mod reports;
pub mod results;
pub mod scope;
pub mod submissions;
pub mod sync;
pub mod teams;

use std::sync::Arc;

use anyhow::Context;
use ed25519_dalek::SigningKey;
use eom_shared::limits::ObservationWindow;

use crate::ingest::FormCache;
use crate::ingest::writer::{GroupCommitter, WriterConfig};
use crate::store::{Store, StoreError};

/// Everything a request can reach; cheap to clone (the axum state).
#[derive(Clone)]
pub struct Service {
    pub store: Arc<dyn Store>,
    pub forms: Arc<FormCache>,
    pub writer: Arc<GroupCommitter>,
    /// The mission's time zone, sent to laptops with the forms.
    pub time_zone: Option<Arc<str>>,
    /// Observation times accepted around the moment a checklist arrives.
    pub window: ObservationWindow,
    /// Served over HTTPS: cookies are marked `Secure`.
    pub https: bool,
    /// Per-token request and byte budgets, and sign-in attempts per address.
    pub limits: Arc<crate::limits::Limiters>,
    /// Signs push receipts; the same key on every instance (it lives in the database).
    pub receipts: Arc<SigningKey>,
    /// Reverse proxies in front of the server: a request from one of them is taken to come
    /// from the address it names in `X-Forwarded-For` (for sign-in limits and logs).
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
    /// The change stamp open dashboard pages follow.
    pub live: Arc<crate::live::Live>,
    /// The eom version each team's laptop last pulled with, as recorded: a write only when it
    /// changes, so pulls stay reads.
    pub client_versions: Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
}

/// Why a service call did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request itself is wrong; `hint` says what to do instead.
    #[error("{message}")]
    Invalid {
        message: String,
        hint: Option<String>,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    TooLarge(String),
    /// The write queue is full or a commit is slow: the client retries later.
    #[error("the server is busy")]
    Overloaded { retry_after_secs: u32 },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file made in memory could not be written.
    #[error("could not write the file")]
    Write(#[source] std::io::Error),
    /// A storage task or the writer thread ended without an answer.
    #[error("a storage task stopped: {0}")]
    Stopped(String),
}

impl ServiceError {
    pub fn invalid(message: impl Into<String>, hint: impl Into<String>) -> Self {
        ServiceError::Invalid {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

impl From<tokio::task::JoinError> for ServiceError {
    fn from(e: tokio::task::JoinError) -> Self {
        ServiceError::Stopped(e.to_string())
    }
}

/// The key receipts are signed with: the stored one, or a new random one stored now.
fn receipt_key(store: &dyn Store) -> anyhow::Result<SigningKey> {
    let mut candidate = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut candidate);
    let stored = store
        .server_key(RECEIPT_KEY, &hex::encode(candidate))
        .context("could not read or store the receipt key")?;
    eom_shared::receipt::signing_key(&stored).map_err(anyhow::Error::msg)
}

/// The `server_keys` purpose of the receipt-signing key.
pub const RECEIPT_KEY: &str = "receipts";

impl Service {
    /// A service with the default write queue.
    pub fn new(store: Arc<dyn Store>) -> anyhow::Result<Self> {
        Self::with_writer(store, WriterConfig::default())
    }

    /// Reads (or, the first time, makes) the receipt key, so call it off the async workers.
    pub fn with_writer(store: Arc<dyn Store>, writer: WriterConfig) -> anyhow::Result<Self> {
        let receipts = receipt_key(store.as_ref())?;
        let committer = GroupCommitter::start(store.clone(), writer)
            .context("could not start the writer thread")?;
        Ok(Self {
            store,
            forms: Arc::new(FormCache::default()),
            writer: Arc::new(committer),
            time_zone: None,
            window: ObservationWindow::default(),
            https: false,
            limits: Arc::new(crate::limits::Limiters::default()),
            receipts: Arc::new(receipts),
            trusted_proxies: Arc::new([]),
            live: Arc::new(crate::live::Live::default()),
            client_versions: Arc::default(),
        })
    }

    /// Runs blocking storage work off the async workers.
    pub async fn store_call<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        F: FnOnce(&dyn Store) -> Result<T, ServiceError> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref())).await?
    }
}
