//! A webhook receiver on `127.0.0.1:0` for alert tests: records every request it gets and
//! answers 200 when accepting, 503 otherwise. It runs on a thread of its own and stops with
//! the process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// One request as received, and what the receiver answered.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: Value,
    pub idempotency_key: Option<String>,
    pub accepted: bool,
}

#[derive(Default)]
struct Shared {
    accepting: AtomicBool,
    received: Mutex<Vec<Received>>,
}

pub struct Receiver {
    shared: Arc<Shared>,
    url: String,
}

impl Receiver {
    /// Starts a receiver that answers 200 when `accepting`, 503 otherwise.
    pub fn start(accepting: bool) -> Self {
        let shared = Arc::new(Shared::default());
        shared.accepting.store(accepting, Ordering::SeqCst);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("http://{}/hook", listener.local_addr().expect("address"));
        let state = shared.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("receiver runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new()
                    .route("/hook", post(receive))
                    .with_state(state);
                let _ = axum::serve(listener, app).await;
            });
        });
        Self { shared, url }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn accept(&self, accepting: bool) {
        self.shared.accepting.store(accepting, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits up to `limit` for a request that satisfies `what`; panics naming `waiting_for`.
    pub fn wait_for(
        &self,
        limit: Duration,
        waiting_for: &str,
        what: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + limit;
        loop {
            let received = self.received();
            if what(&received) {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "waited {limit:?} for {waiting_for}; received: {received:#?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let accepted = shared.accepting.load(Ordering::SeqCst);
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    shared
        .received
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Received {
            body,
            idempotency_key: headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            accepted,
        });
    if accepted {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}
