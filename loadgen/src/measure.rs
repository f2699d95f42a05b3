//! Setup, report timing, client delivery and the raw-SQLite baseline.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use eom_client::remote::{ServerClient, parse_server_url};
use eom_client::store::LocalStore;
use eom_client::sync::{RetryPolicy, SyncSession};
use eom_server::store::{NewAccount, Role, Store};
use eom_server::{admin, demo, open_store};
use eom_shared::form::{Form, Stage};
use eom_shared::station::Station;
use eom_shared::submission::{SubmissionContent, SubmissionId, SubmissionPayload};
use eom_shared::sync::PushRequest;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What `prepare` writes and the other commands read.
#[derive(Debug, Serialize, Deserialize)]
pub struct Tokens {
    pub coordinator: String,
    pub observers: Vec<String>,
    pub stations: Vec<Station>,
}

pub fn read_tokens(path: &Path) -> anyhow::Result<Tokens> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {}: run 'eom-loadgen prepare' first",
            path.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a tokens file", path.display()))
}

pub fn prepare(
    db: &eom_server::config::Database,
    observers: usize,
    stations: usize,
    out: &Path,
) -> anyhow::Result<()> {
    let store = eom_server::open_database(db)?;
    let mut rng = StdRng::seed_from_u64(7);
    let list = demo::station_list(stations, &mut rng)?;
    store.import_stations(&list)?;
    let mut tokens = Vec::with_capacity(observers);
    let accounts: Vec<NewAccount> = (0..observers)
        .map(|i| {
            let token = eom_server::auth::generate_token();
            let hash = eom_server::auth::hash_token(&token);
            tokens.push(token);
            NewAccount {
                actor: eom_server::audit::OPERATOR.to_owned(),
                name: format!("Load team {}", i + 1),
                role: Role::Observer,
                region: Some(list[i % list.len()].region.clone()),
                token_hash: hash,
            }
        })
        .collect();
    store.create_accounts(accounts)?;
    let coordinator = admin::create_account(
        store.as_ref(),
        "Load coordinator",
        Role::Coordinator,
        &[],
        eom_server::audit::OPERATOR,
    )?;
    let file = Tokens {
        coordinator: coordinator.token,
        observers: tokens,
        stations: list
            .into_iter()
            .filter(|s| s.level == eom_shared::StationLevel::Pec)
            .collect(),
    };
    std::fs::write(out, serde_json::to_string(&file)?)?;
    println!(
        "Prepared {}: {} stations, {} observers; tokens in {}.",
        db,
        file.stations.len(),
        observers,
        out.display()
    );
    Ok(())
}

/// Makes realistic checklists quickly: answer sets are drawn once from the demo's simulation
/// and reused with new ids, stations and times, so generating load costs little CPU next to
/// the server it measures.
pub struct Factory {
    forms: Vec<Form>,
    stations: Vec<Station>,
    pool: Vec<(usize, Map<String, Value>)>,
}

impl Factory {
    pub fn new(forms: Vec<Form>, stations: Vec<Station>, seed: u64) -> anyhow::Result<Self> {
        let forms: Vec<Form> = forms
            .into_iter()
            .filter(|f| matches!(f.stage, Stage::Voting | Stage::Counting))
            .collect();
        if forms.is_empty() || stations.is_empty() {
            bail!("the server has no voting/counting forms or no stations");
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let mut pool = Vec::new();
        for i in 0..512 {
            // Four voting checklists for each count, as on election day.
            let f = if i % 5 == 4 { forms.len() - 1 } else { 0 };
            let station = &stations[rng.random_range(0..stations.len())];
            let answers = demo::answers(
                &forms[f],
                station,
                demo::irregularity(&station.region),
                Utc::now(),
                &mut rng,
            );
            pool.push((f, answers));
        }
        Ok(Self {
            forms,
            stations,
            pool,
        })
    }

    pub fn checklist(&self, rng: &mut StdRng) -> SubmissionPayload {
        let (f, answers) = &self.pool[rng.random_range(0..self.pool.len())];
        let form = &self.forms[*f];
        let station = &self.stations[rng.random_range(0..self.stations.len())];
        let content = SubmissionContent {
            form_id: form.id.clone(),
            form_version: form.version,
            station: station.code.clone(),
            observed_at: Utc::now(),
            answers: answers.clone(),
            notes: String::new(),
        };
        SubmissionPayload {
            id: SubmissionId::new(),
            revision: 1,
            content_hash: content.content_hash(),
            content,
        }
    }
}

/// p50/p95/p99 and max of a set of latencies, in milliseconds.
pub fn percentiles(mut samples: Vec<Duration>) -> String {
    if samples.is_empty() {
        return "no samples".into();
    }
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_secs_f64() * 1000.0
    };
    format!(
        "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} requests)",
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0),
        samples.len()
    )
}

pub async fn reports(url: &str, tokens: &Path, requests: usize) -> anyhow::Result<()> {
    let tokens = read_tokens(tokens)?;
    let http = reqwest::Client::new();
    let (_, summary) = get(&http, url, &tokens.coordinator, "/api/v1/reports/summary").await?;
    println!("Checklists on the server: {}", summary["total"]);
    // A real region with checklists, from the server itself: a filter on an empty or unknown
    // region would time a different (trivial) query.
    let (_, assessments) = get(
        &http,
        url,
        &tokens.coordinator,
        "/api/v1/reports/assessments",
    )
    .await?;
    let region = assessments["regions"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .filter_map(|r| r["region"].as_str())
                .find(|r| !r.is_empty())
        })
        .context("the server reports no region with checklists: nothing to filter by")?
        .to_owned();
    let mut by_region = reqwest::Url::parse("http://host/api/v1/reports/assessments")?;
    by_region.query_pairs_mut().append_pair("region", &region);
    let endpoints = [
        "/api/v1/reports/summary".to_owned(),
        "/api/v1/reports/assessments".to_owned(),
        format!(
            "{}?{}",
            by_region.path(),
            by_region.query().unwrap_or_default()
        ),
        "/api/v1/reports/access".to_owned(),
        "/api/v1/reports/findings".to_owned(),
        "/api/v1/reports/coverage".to_owned(),
        "/api/v1/reports/timeline".to_owned(),
        "/api/v1/reports/statement".to_owned(),
        "/api/v1/submissions?per_page=50".to_owned(),
    ];
    println!(
        "Per-region figures filter by {region:?}; {WARM_UP} warm-up requests per endpoint, then {requests} timed."
    );
    for endpoint in endpoints {
        for _ in 0..WARM_UP {
            get(&http, url, &tokens.coordinator, &endpoint).await?;
        }
        let mut samples = Vec::with_capacity(requests);
        for _ in 0..requests {
            let (took, _) = get(&http, url, &tokens.coordinator, &endpoint).await?;
            samples.push(took);
        }
        println!("{endpoint:<48} {}", percentiles(samples));
    }
    Ok(())
}

/// Untimed requests per endpoint before timing: caches, prepared statements, connections.
const WARM_UP: usize = 5;

async fn get(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    path: &str,
) -> anyhow::Result<(Duration, Value)> {
    let started = Instant::now();
    let response = http
        .get(format!("{url}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("GET {path}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .with_context(|| format!("GET {path}"))?;
    let took = started.elapsed();
    if !status.is_success() {
        bail!("GET {path} answered {status}: {body}");
    }
    Ok((took, body))
}

pub async fn client(url: &str, tokens: &Path, checklists: usize) -> anyhow::Result<()> {
    let tokens = read_tokens(tokens)?;
    let token = tokens
        .observers
        .last()
        .context("the tokens file has no observers")?
        .clone();
    let home = tempfile::tempdir()?;
    let key = eom_client::vault::derive(home.path(), "loadgen passphrase")?;
    let mut store = LocalStore::open(home.path(), &key)?;
    let server = ServerClient::new(parse_server_url(url).map_err(anyhow::Error::msg)?, token)?;
    eom_client::sync::pull(&mut store, &server).await?;
    let forms = store.forms()?;
    let factory = Factory::new(forms, tokens.stations.clone(), 11)?;
    let mut rng = StdRng::seed_from_u64(12);
    let mut wire_bytes = 0usize;
    let mut json_bytes = 0usize;
    let mut batch = Vec::new();
    for _ in 0..checklists {
        let payload = factory.checklist(&mut rng);
        store.create(payload.content.clone())?;
        batch.push(payload);
        if batch.len() == eom_client::sync::DEFAULT_BATCH_SIZE {
            let (json, gz) = encoded_sizes(&batch)?;
            json_bytes += json;
            wire_bytes += gz;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        let (json, gz) = encoded_sizes(&batch)?;
        json_bytes += json;
        wire_bytes += gz;
    }
    let started = Instant::now();
    let mut session =
        SyncSession::new(eom_client::sync::DEFAULT_BATCH_SIZE, RetryPolicy::default());
    let report = session.run(&mut store, &server).await?;
    let took = started.elapsed();
    println!(
        "Delivered {} of {} queued checklists in {:.2} s ({:.0} a second); still queued: {}.",
        report.delivered(),
        checklists,
        took.as_secs_f64(),
        report.delivered() as f64 / took.as_secs_f64(),
        report.still_queued
    );
    println!(
        "Request bodies: {:.0} bytes of JSON, {:.0} bytes gzip-compressed on the wire per checklist.",
        json_bytes as f64 / checklists as f64,
        wire_bytes as f64 / checklists as f64
    );
    Ok(())
}

/// The size of a push body as the client sends it: JSON, then gzip at the client's level.
fn encoded_sizes(batch: &[SubmissionPayload]) -> anyhow::Result<(usize, usize)> {
    use std::io::Write;
    let json = serde_json::to_vec(&PushRequest {
        submissions: batch.to_vec(),
    })?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&json)?;
    Ok((json.len(), gz.finish()?.len()))
}

/// The same two rows per checklist that ingest writes (the revision and the latest-state row,
/// every column filled), inserted with prepared statements into a database with the server's
/// own schema (its migrations: indexes, foreign keys) at `path`, which should sit on the same
/// disk as the server's database. Nothing else: no HTTP, parsing, validation, hashing or
/// tallies. An upper bound for ingest on this disk, not a target it could reach.
pub fn raw_sqlite(path: &Path, rows: usize, batch: usize) -> anyhow::Result<()> {
    if path.exists() {
        bail!(
            "{} exists; give a new file (it is filled with test rows)",
            path.display()
        );
    }
    let store = open_store(path)?;
    let mut rng = StdRng::seed_from_u64(5);
    let stations = demo::station_list(2000, &mut rng)?;
    store.import_stations(&stations)?;
    let observer = admin::create_account(
        &store,
        "Raw bound",
        Role::Observer,
        &[],
        eom_server::audit::OPERATOR,
    )?;
    drop(store);
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let forms = eom_shared::default_forms::default_forms().map_err(anyhow::Error::msg)?;
    let regions: std::collections::HashMap<String, String> = stations
        .iter()
        .map(|s| (s.code.as_str().to_owned(), s.region.clone()))
        .collect();
    let factory = Factory::new(forms, stations, 9)?;
    let mut took = Duration::ZERO;
    let mut left = rows;
    while left > 0 {
        let n = batch.max(1).min(left);
        left -= n;
        // Making the rows is not timed: only what SQLite does with them.
        let chunk: Vec<SubmissionPayload> = (0..n).map(|_| factory.checklist(&mut rng)).collect();
        let now = Utc::now();
        let received = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let started = Instant::now();
        let tx = conn.transaction()?;
        {
            let mut rev = tx.prepare_cached(
                "INSERT INTO revisions (submission_id, revision, content_hash, observer_id, form_id,
                   form_version, station_code, observed_at, answers, notes, warnings, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '[]', ?11)",
            )?;
            let mut sub = tx.prepare_cached(
                "INSERT INTO submissions (id, revision, observer_id, form_id, form_version, stage,
                   station_code, region, overall, observed_at, first_received_at, received_at,
                   observed_hour, restricted, findings)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, 0, '{}')",
            )?;
            for p in &chunk {
                let id = p.id.to_string();
                let answers = serde_json::to_string(&p.content.answers)?;
                let observed = p
                    .content
                    .observed_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                rev.execute(rusqlite::params![
                    id,
                    p.revision,
                    p.content_hash.0,
                    observer.account.id,
                    p.content.form_id.as_str(),
                    p.content.form_version,
                    p.content.station.as_str(),
                    observed,
                    answers,
                    p.content.notes,
                    received
                ])?;
                sub.execute(rusqlite::params![
                    id,
                    p.revision,
                    observer.account.id,
                    p.content.form_id.as_str(),
                    p.content.form_version,
                    p.content.form_id.as_str(),
                    p.content.station.as_str(),
                    regions.get(p.content.station.as_str()),
                    p.content.answers.get("overall").and_then(Value::as_str),
                    observed,
                    received,
                    &observed[..13]
                ])?;
            }
        }
        tx.commit()?;
        took += started.elapsed();
    }
    println!(
        "Raw SQLite bound: {rows} checklists (revision + latest-state row each, the server's schema and indexes) in {:.2} s: {:.0} a second, {} per transaction, WAL, synchronous=FULL, at {}.",
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64(),
        batch,
        path.display()
    );
    Ok(())
}
