//! Operators' metrics, in the Prometheus text format at `GET /metrics`, through the
//! `metrics` facade: requests per route and status with their latency, push outcomes per
//! kind, the write queue's depth, group-commit latency and size, and checklists per stage.
//!
//! One recorder per process (the `metrics` facade has one global recorder); every server
//! started in the process renders it.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use eom_shared::sync::PushResult;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::store::FormTally;

/// Latency buckets, in seconds: a push should answer in milliseconds; a minute is a failure.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// Checklists per group commit.
const ITEMS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 8192.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use.
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = builder
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Full("eom_commit_items".into()), ITEMS)
                })
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics may be empty");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(
        "eom_http_requests_total",
        "HTTP requests by route and status"
    );
    metrics::describe_histogram!(
        "eom_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by route"
    );
    metrics::describe_counter!(
        "eom_push_items_total",
        "Pushed checklists by outcome (accepted, duplicate, stale, conflict, invalid)"
    );
    metrics::describe_gauge!("eom_write_queue_depth", "Pushes waiting for the writer");
    metrics::describe_histogram!(
        "eom_commit_duration_seconds",
        metrics::Unit::Seconds,
        "Time to store one group commit, durably"
    );
    metrics::describe_histogram!("eom_commit_items", "Checklists stored per group commit");
    metrics::describe_counter!("eom_commit_failures_total", "Group commits that failed");
    metrics::describe_gauge!(
        "eom_checklists",
        "Checklists counted in the figures (latest revisions, rejected left out), by stage"
    );
}

/// Middleware: counts each request by method, route template (never the raw path, so ids
/// do not make a series each) and status, and times it.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    counter!("eom_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    histogram!("eom_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

pub fn pushed(results: &[PushResult]) {
    for r in results {
        counter!("eom_push_items_total", "outcome" => r.outcome.as_str()).increment(1);
    }
}

pub fn queued() {
    gauge!("eom_write_queue_depth").increment(1.0);
}

pub fn dequeued(n: usize) {
    // Queue depths stay far below 2^52.
    gauge!("eom_write_queue_depth").decrement(n as f64);
}

pub fn committed(took: Duration, items: usize, ok: bool) {
    histogram!("eom_commit_duration_seconds").record(took.as_secs_f64());
    histogram!("eom_commit_items").record(items as f64);
    if !ok {
        counter!("eom_commit_failures_total").increment(1);
    }
}

/// Renders every metric, with checklists per stage read at scrape time.
pub fn render(tallies: &[FormTally]) -> String {
    let handle = handle();
    let mut per_stage: std::collections::BTreeMap<&str, u64> = Default::default();
    for t in tallies {
        *per_stage.entry(t.stage.as_str()).or_default() += t.checklists;
    }
    for (stage, n) in per_stage {
        // Counts stay far below 2^52, so the conversion is exact.
        gauge!("eom_checklists", "stage" => stage).set(n as f64);
    }
    handle.run_upkeep();
    handle.render()
}
