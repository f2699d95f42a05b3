//! The poll-closing burst: N observers pushing at once, one checklist per request (as ODK
//! Collect does) or in batches (as `eom sync` does).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use eom_shared::submission::SubmissionPayload;
use eom_shared::sync::{PullResponse, PushOutcome, PushRequest, PushResponse};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::measure::{Factory, percentiles, read_tokens};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// One checklist per request.
    Single,
    /// `--batch-size` checklists per request.
    Batched,
}

#[derive(Debug, Args)]
pub struct IngestOptions {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, default_value = "loadgen-tokens.json")]
    tokens: PathBuf,
    #[arg(long, value_enum, default_value_t = Mode::Batched)]
    mode: Mode,
    /// Checklists per request in batched mode.
    #[arg(long, default_value_t = 200)]
    batch_size: usize,
    /// Requests in flight at once (simulated observers pushing at the same moment).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// How long to push, in seconds.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Share of checklists sent again as an edit (revision 2).
    #[arg(long, default_value_t = 0.05)]
    edit_share: f64,
    /// Share of checklists sent invalid (the overall assessment missing).
    #[arg(long, default_value_t = 0.02)]
    invalid_share: f64,
    /// Skip gzip (the real client always compresses).
    #[arg(long)]
    no_gzip: bool,
}

#[derive(Default)]
struct WorkerResult {
    latencies: Vec<Duration>,
    outcomes: HashMap<PushOutcome, u64>,
    /// Acknowledged (accepted or duplicate): id -> highest revision.
    acknowledged: HashMap<String, u32>,
    overloaded: u64,
    errors: Vec<String>,
    bytes: u64,
}

pub async fn run(o: IngestOptions) -> anyhow::Result<()> {
    let tokens = read_tokens(&o.tokens)?;
    if tokens.observers.is_empty() {
        bail!("no observer tokens in {}", o.tokens.display());
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(o.concurrency)
        .timeout(Duration::from_secs(60))
        .build()?;
    let pulled: PullResponse = http
        .get(format!("{}/api/v1/sync/pull", o.url))
        .bearer_auth(&tokens.observers[0])
        .send()
        .await
        .context("cannot reach the server")?
        .json()
        .await?;
    let factory = Arc::new(Factory::new(pulled.forms, tokens.stations.clone(), 1)?);
    let before = total_on_server(&http, &o.url, &tokens.coordinator).await?;
    let per_request = if o.mode == Mode::Single {
        1
    } else {
        o.batch_size.max(1)
    };
    let deadline = Instant::now() + Duration::from_secs(o.duration);
    let options = Arc::new(o);
    let observers = Arc::new(tokens.observers);

    println!(
        "Pushing for {} s: {:?} mode, {} checklist(s) per request, {} at once, {} observers.",
        options.duration,
        options.mode,
        per_request,
        options.concurrency,
        observers.len()
    );
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..options.concurrency {
        let (http, factory, options, observers) = (
            http.clone(),
            factory.clone(),
            options.clone(),
            observers.clone(),
        );
        workers.push(tokio::spawn(async move {
            worker(
                w,
                &http,
                &factory,
                &options,
                &observers,
                per_request,
                deadline,
            )
            .await
        }));
    }
    let mut total = WorkerResult::default();
    for w in workers {
        let r = w.await?;
        total.latencies.extend(r.latencies);
        for (k, v) in r.outcomes {
            *total.outcomes.entry(k).or_default() += v;
        }
        total.acknowledged.extend(r.acknowledged);
        total.overloaded += r.overloaded;
        total.errors.extend(r.errors);
        total.bytes += r.bytes;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stored: u64 = [
        PushOutcome::Accepted,
        PushOutcome::Duplicate,
        PushOutcome::Stale,
    ]
    .iter()
    .map(|k| total.outcomes.get(k).copied().unwrap_or(0))
    .sum();
    let items: u64 = total.outcomes.values().sum();
    println!(
        "Throughput: {:.0} checklists a second acknowledged ({} in {:.1} s); {:.0} requests a second.",
        stored as f64 / elapsed,
        stored,
        elapsed,
        total.latencies.len() as f64 / elapsed
    );
    println!("Latency: {}", percentiles(total.latencies));
    println!(
        "Outcomes: {:?}; 503 overloaded: {}; other errors: {}; {:.0} bytes on the wire per checklist.",
        total.outcomes,
        total.overloaded,
        total.errors.len(),
        total.bytes as f64 / items.max(1) as f64
    );
    for e in total.errors.iter().take(5) {
        println!("  error: {e}");
    }

    // What was acknowledged must be there, each checklist once.
    let after = total_on_server(&http, &options.url, &tokens.coordinator).await?;
    let new_ids = total.acknowledged.len() as u64;
    println!(
        "Check: the server gained {} checklists; {} distinct checklists were acknowledged.",
        after - before,
        new_ids
    );
    let mut rng = StdRng::seed_from_u64(3);
    let sample: Vec<(&String, &u32)> = total
        .acknowledged
        .iter()
        .filter(|_| rng.random_bool((500.0 / new_ids.max(1) as f64).min(1.0)))
        .collect();
    let mut wrong = 0;
    for (id, revision) in &sample {
        let detail: Value = http
            .get(format!("{}/api/v1/submissions/{id}", options.url))
            .bearer_auth(&tokens.coordinator)
            .send()
            .await?
            .json()
            .await?;
        if detail["revision"].as_u64() != Some(u64::from(**revision)) {
            wrong += 1;
        }
    }
    println!(
        "Check: {} sampled acknowledged checklists read back, {} not at the acknowledged revision.",
        sample.len(),
        wrong
    );
    if after - before != new_ids || wrong > 0 {
        bail!("the server does not hold exactly what it acknowledged");
    }
    Ok(())
}

async fn total_on_server(http: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<u64> {
    let summary: Value = http
        .get(format!("{url}/api/v1/reports/summary"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    summary["total"]
        .as_u64()
        .context("the summary has no total")
}

async fn worker(
    index: usize,
    http: &reqwest::Client,
    factory: &Factory,
    o: &IngestOptions,
    observers: &[String],
    per_request: usize,
    deadline: Instant,
) -> WorkerResult {
    let mut rng = StdRng::seed_from_u64(1000 + index as u64);
    let mut result = WorkerResult::default();
    // What each observer had acknowledged, to edit later with the same observer's token.
    let mut delivered: HashMap<usize, Vec<SubmissionPayload>> = HashMap::new();
    let mut round = 0usize;
    while Instant::now() < deadline {
        // Each request comes from the next observer of this worker's share.
        let observer = (index + round * o.concurrency) % observers.len();
        let token = &observers[observer];
        round += 1;
        let mine = delivered.entry(observer).or_default();
        let batch: Vec<SubmissionPayload> = (0..per_request)
            .map(|_| {
                if !mine.is_empty() && rng.random_bool(o.edit_share) {
                    // An edit of something this observer sent earlier: revision 2.
                    let mut edit = mine.swap_remove(rng.random_range(0..mine.len()));
                    edit.revision += 1;
                    edit.content.answers.insert("overall".into(), json!("bad"));
                    edit.content_hash = edit.content.content_hash();
                    edit
                } else {
                    let mut p = factory.checklist(&mut rng);
                    if rng.random_bool(o.invalid_share) {
                        p.content.answers.remove("overall");
                        p.content_hash = p.content.content_hash();
                    }
                    p
                }
            })
            .collect();
        let body = match serde_json::to_vec(&PushRequest {
            submissions: batch.clone(),
        }) {
            Ok(b) => b,
            Err(e) => {
                result.errors.push(e.to_string());
                continue;
            }
        };
        let (body, encoding) = if o.no_gzip {
            (body, None)
        } else {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            match gz.write_all(&body).and_then(|()| gz.finish()) {
                Ok(b) => (b, Some("gzip")),
                Err(e) => {
                    result.errors.push(e.to_string());
                    continue;
                }
            }
        };
        result.bytes += body.len() as u64;
        let mut request = http
            .post(format!("{}/api/v1/sync/push", o.url))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body);
        if let Some(e) = encoding {
            request = request.header("content-encoding", e);
        }
        let started = Instant::now();
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                result.errors.push(e.to_string());
                continue;
            }
        };
        let status = response.status();
        let answer = response.json::<PushResponse>().await;
        result.latencies.push(started.elapsed());
        match answer {
            Ok(answer) if status.is_success() => {
                for (sent, r) in batch.into_iter().zip(answer.results) {
                    *result.outcomes.entry(r.outcome).or_default() += 1;
                    if matches!(r.outcome, PushOutcome::Accepted | PushOutcome::Duplicate) {
                        let id = sent.id.to_string();
                        let best = result.acknowledged.entry(id).or_default();
                        *best = (*best).max(sent.revision);
                        let mine = delivered.entry(observer).or_default();
                        if mine.len() < 100 {
                            mine.push(sent);
                        }
                    }
                }
            }
            _ if status.as_u16() == 503 => result.overloaded += 1,
            other => result
                .errors
                .push(format!("HTTP {status}: {:?}", other.err())),
        }
    }
    result
}
