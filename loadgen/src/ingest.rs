//! The poll-closing burst: N observers pushing at once, one checklist per request (as ODK
//! Collect does) or in batches (as `eom sync` does).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use eom_shared::submission::SubmissionPayload;
use eom_shared::sync::{PullResponse, PushOutcome, PushRequest, PushResponse};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

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
    /// Closed loop: requests in flight at once (simulated observers pushing at the same
    /// moment), each sending the next when answered.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Open loop: send this many requests a second whatever the answers (constant offered
    /// rate); latency then counts from when each request was due. Replaces --concurrency.
    #[arg(long)]
    rate: Option<f64>,
    /// Open loop: most requests waiting for an answer; a request due beyond that is counted
    /// as not sent.
    #[arg(long, default_value_t = 4096)]
    max_in_flight: usize,
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
    /// From the intended send time to the parsed answer, for answers that stored something
    /// (503s and pushes whose every item was invalid are counted apart, not timed here).
    latencies: Vec<Duration>,
    outcomes: HashMap<PushOutcome, u64>,
    /// `accepted` items that were new checklists (revision 1).
    new_accepted: u64,
    /// `accepted` items that were edits (revision 2 or more).
    edits_accepted: u64,
    /// Acknowledged (accepted or duplicate): id -> highest revision.
    acknowledged: HashMap<String, u32>,
    overloaded: u64,
    /// Open loop: requests due when `--max-in-flight` were already waiting, so not sent.
    not_sent: u64,
    requests: u64,
    errors: Vec<String>,
    bytes: u64,
}

impl WorkerResult {
    fn merge(&mut self, r: WorkerResult) {
        self.latencies.extend(r.latencies);
        for (k, v) in r.outcomes {
            *self.outcomes.entry(k).or_default() += v;
        }
        self.new_accepted += r.new_accepted;
        self.edits_accepted += r.edits_accepted;
        for (id, revision) in r.acknowledged {
            let best = self.acknowledged.entry(id).or_default();
            *best = (*best).max(revision);
        }
        self.overloaded += r.overloaded;
        self.not_sent += r.not_sent;
        self.requests += r.requests;
        self.errors.extend(r.errors);
        self.bytes += r.bytes;
    }
}

/// What every request shares: the client, the checklist factory, and per observer what they
/// had acknowledged (to edit later with the same observer's token).
struct Load {
    http: reqwest::Client,
    factory: Factory,
    options: IngestOptions,
    observers: Vec<String>,
    per_request: usize,
    delivered: Mutex<HashMap<usize, Vec<SubmissionPayload>>>,
}

pub async fn run(o: IngestOptions) -> anyhow::Result<()> {
    let tokens = read_tokens(&o.tokens)?;
    if tokens.observers.is_empty() {
        bail!("no observer tokens in {}", o.tokens.display());
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(o.concurrency.max(o.max_in_flight))
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
    let factory = Factory::new(pulled.forms, tokens.stations.clone(), 1)?;
    let before = total_on_server(&http, &o.url, &tokens.coordinator).await?;
    let per_request = if o.mode == Mode::Single {
        1
    } else {
        o.batch_size.max(1)
    };
    let duration = Duration::from_secs(o.duration);
    let load = Arc::new(Load {
        http: http.clone(),
        factory,
        per_request,
        observers: tokens.observers,
        delivered: Mutex::new(HashMap::new()),
        options: o,
    });
    let o = &load.options;
    match o.rate {
        Some(rate) => println!(
            "Pushing for {} s: {:?} mode, {} checklist(s) per request, open loop at {rate} requests a second (at most {} in flight), {} observers.",
            o.duration,
            o.mode,
            per_request,
            o.max_in_flight,
            load.observers.len()
        ),
        None => println!(
            "Pushing for {} s: {:?} mode, {} checklist(s) per request, closed loop with {} at once, {} observers.",
            o.duration,
            o.mode,
            per_request,
            o.concurrency,
            load.observers.len()
        ),
    }
    let (total, elapsed) = match o.rate {
        Some(rate) => open_loop(&load, rate, duration).await?,
        None => closed_loop(&load, duration).await?,
    };
    report(&total, elapsed.as_secs_f64());

    // What was acknowledged must be there, each checklist once.
    let after = total_on_server(&http, &o.url, &tokens.coordinator).await?;
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
        // The coordinator's token has a request budget like any other: a 429 is waited out
        // (its Retry-After), never taken for a missing checklist.
        let detail: Value = loop {
            let response = http
                .get(format!("{}/api/v1/submissions/{id}", o.url))
                .bearer_auth(&tokens.coordinator)
                .send()
                .await?;
            if response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
                let wait = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(1)
                    .min(10);
                tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
                continue;
            }
            break response.json().await?;
        };
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

fn report(total: &WorkerResult, elapsed: f64) {
    let count = |k: PushOutcome| total.outcomes.get(&k).copied().unwrap_or(0);
    println!(
        "New checklists stored: {:.0} a second ({} in {:.1} s); edits stored: {:.0} a second ({}).",
        total.new_accepted as f64 / elapsed,
        total.new_accepted,
        elapsed,
        total.edits_accepted as f64 / elapsed,
        total.edits_accepted
    );
    println!(
        "Requests: {} sent ({:.0} a second); {} answered 503 (overloaded, {:.2}%); {} not sent (too many in flight); {} other errors.",
        total.requests,
        total.requests as f64 / elapsed,
        total.overloaded,
        100.0 * total.overloaded as f64 / total.requests.max(1) as f64,
        total.not_sent,
        total.errors.len()
    );
    println!(
        "Latency of requests that stored checklists: {}",
        percentiles(total.latencies.clone())
    );
    println!(
        "Items: accepted {}, duplicate {}, stale {}, conflict {}, invalid {}; {:.0} bytes on the wire per checklist.",
        count(PushOutcome::Accepted),
        count(PushOutcome::Duplicate),
        count(PushOutcome::Stale),
        count(PushOutcome::Conflict),
        count(PushOutcome::Invalid),
        total.bytes as f64 / total.outcomes.values().sum::<u64>().max(1) as f64
    );
    for e in total.errors.iter().take(5) {
        println!("  error: {e}");
    }
}

/// N workers, each sending its next request when the previous one is answered.
async fn closed_loop(
    load: &Arc<Load>,
    duration: Duration,
) -> anyhow::Result<(WorkerResult, Duration)> {
    let started = Instant::now();
    let deadline = started + duration;
    let concurrency = load.options.concurrency.max(1);
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let load = load.clone();
        workers.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(1000 + w as u64);
            let mut result = WorkerResult::default();
            let mut round = 0usize;
            while Instant::now() < deadline {
                // Each request comes from the next observer of this worker's share.
                let observer = (w + round * concurrency) % load.observers.len();
                round += 1;
                push_once(&load, observer, &mut rng, &mut result, Instant::now()).await;
            }
            result
        }));
    }
    let mut total = WorkerResult::default();
    for w in workers {
        total.merge(w.await?);
    }
    Ok((total, started.elapsed()))
}

/// Requests sent at a constant rate whatever the answers do (open loop), so a slow answer
/// cannot hold back the requests behind it; latency runs from when a request was due, so
/// time spent waiting to be sent counts too (no coordinated omission).
async fn open_loop(
    load: &Arc<Load>,
    rate: f64,
    duration: Duration,
) -> anyhow::Result<(WorkerResult, Duration)> {
    if !(rate.is_finite() && rate > 0.0) {
        bail!("--rate must be a positive number of requests a second");
    }
    // Every request's new checklists are built, hashed and compressed before the clock
    // starts, so that this work does not take the cores from the server while it is being
    // measured. Edits (of what an observer had acknowledged) are built when due.
    let count = (rate * duration.as_secs_f64()).ceil() as u64;
    println!("Building {count} requests before the clock starts.");
    let mut ready = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for i in 0..count {
        let mut rng = StdRng::seed_from_u64(i);
        ready.push(encode(&load.options, new_batch(load, &mut rng))?);
    }
    let permits = Arc::new(Semaphore::new(load.options.max_in_flight.max(1)));
    let mut total = WorkerResult::default();
    let mut tasks = Vec::new();
    let started = Instant::now();
    for (i, built) in (0u64..).zip(ready) {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            total.not_sent += 1;
            continue;
        };
        let load = load.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(u64::MAX - i);
            let mut result = WorkerResult::default();
            let observer = (i as usize) % load.observers.len();
            match with_edits(&load, observer, built, &mut rng) {
                Ok(built) => send(&load, observer, built, &mut result, due).await,
                Err(e) => result.errors.push(e.to_string()),
            }
            drop(permit);
            result
        }));
    }
    for t in tasks {
        total.merge(t.await?);
    }
    Ok((total, started.elapsed()))
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

/// One request ready to send: the checklists in it and its (compressed) body.
struct Built {
    batch: Vec<SubmissionPayload>,
    body: Vec<u8>,
    encoding: Option<&'static str>,
}

/// Builds one request for `observer`: new checklists (some invalid), some swapped for edits
/// of what this observer had acknowledged.
fn build(load: &Load, observer: usize, rng: &mut StdRng) -> anyhow::Result<Built> {
    let mut batch = new_batch(load, rng);
    swap_in_edits(load, observer, &mut batch, rng);
    encode(&load.options, batch)
}

/// New checklists for one request, some of them invalid.
fn new_batch(load: &Load, rng: &mut StdRng) -> Vec<SubmissionPayload> {
    (0..load.per_request)
        .map(|_| new_checklist(load, rng))
        .collect()
}

/// A request built ahead, with some of its checklists swapped for edits of what this
/// observer had acknowledged by now (encoded again only when something was swapped).
fn with_edits(
    load: &Load,
    observer: usize,
    mut built: Built,
    rng: &mut StdRng,
) -> anyhow::Result<Built> {
    if swap_in_edits(load, observer, &mut built.batch, rng) {
        encode(&load.options, built.batch)
    } else {
        Ok(built)
    }
}

/// Swaps each checklist, with the edit share's chance, for the next revision of one this
/// observer had acknowledged; whether any was swapped.
fn swap_in_edits(
    load: &Load,
    observer: usize,
    batch: &mut [SubmissionPayload],
    rng: &mut StdRng,
) -> bool {
    let mut delivered = load.delivered.lock().unwrap_or_else(|p| p.into_inner());
    let mine = delivered.entry(observer).or_default();
    let mut swapped = false;
    for item in batch {
        if !mine.is_empty() && rng.random_bool(load.options.edit_share) {
            *item = edit(mine.swap_remove(rng.random_range(0..mine.len())));
            swapped = true;
        }
    }
    swapped
}

/// The next revision of a checklist the same observer had acknowledged.
fn edit(mut edit: SubmissionPayload) -> SubmissionPayload {
    edit.revision += 1;
    edit.content.answers.insert("overall".into(), json!("bad"));
    edit.content_hash = edit.content.content_hash();
    edit
}

fn new_checklist(load: &Load, rng: &mut StdRng) -> SubmissionPayload {
    let mut p = load.factory.checklist(rng);
    if rng.random_bool(load.options.invalid_share) {
        p.content.answers.remove("overall");
        p.content_hash = p.content.content_hash();
    }
    p
}

fn encode(o: &IngestOptions, batch: Vec<SubmissionPayload>) -> anyhow::Result<Built> {
    let request = PushRequest { submissions: batch };
    let body = serde_json::to_vec(&request)?;
    let batch = request.submissions;
    if o.no_gzip {
        return Ok(Built {
            batch,
            body,
            encoding: None,
        });
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&body)?;
    Ok(Built {
        batch,
        body: gz.finish()?,
        encoding: Some("gzip"),
    })
}

/// Builds one request for `observer` and sends it; latency is measured from `due`.
async fn push_once(
    load: &Load,
    observer: usize,
    rng: &mut StdRng,
    result: &mut WorkerResult,
    due: Instant,
) {
    match build(load, observer, rng) {
        Ok(built) => send(load, observer, built, result, due).await,
        Err(e) => result.errors.push(e.to_string()),
    }
}

/// Sends one request and records what came back; latency is measured from `due`.
async fn send(load: &Load, observer: usize, built: Built, result: &mut WorkerResult, due: Instant) {
    let o = &load.options;
    let token = &load.observers[observer];
    let Built {
        batch,
        body,
        encoding,
    } = built;
    result.bytes += body.len() as u64;
    result.requests += 1;
    let mut request = load
        .http
        .post(format!("{}/api/v1/sync/push", o.url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body);
    if let Some(e) = encoding {
        request = request.header("content-encoding", e);
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            result.errors.push(e.to_string());
            return;
        }
    };
    let status = response.status();
    let answer = response.json::<PushResponse>().await;
    let took = due.elapsed();
    match answer {
        Ok(answer) if status.is_success() => {
            let mut stored_any = false;
            let mut delivered = load.delivered.lock().unwrap_or_else(|p| p.into_inner());
            for (sent, r) in batch.into_iter().zip(answer.results) {
                *result.outcomes.entry(r.outcome).or_default() += 1;
                if r.outcome == PushOutcome::Accepted {
                    if sent.revision == 1 {
                        result.new_accepted += 1;
                    } else {
                        result.edits_accepted += 1;
                    }
                }
                if matches!(r.outcome, PushOutcome::Accepted | PushOutcome::Duplicate) {
                    stored_any = true;
                    let id = sent.id.to_string();
                    let best = result.acknowledged.entry(id).or_default();
                    *best = (*best).max(sent.revision);
                    let mine = delivered.entry(observer).or_default();
                    if mine.len() < 100 {
                        mine.push(sent);
                    }
                }
            }
            if stored_any {
                result.latencies.push(took);
            }
        }
        _ if status.as_u16() == 503 => result.overloaded += 1,
        other => result
            .errors
            .push(format!("HTTP {status}: {:?}", other.err())),
    }
}
