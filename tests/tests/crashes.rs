//! Processes killed with SIGKILL at the worst moments, and a server that refuses work it
//! cannot take: nothing acknowledged is lost, nothing is stored twice.

use std::collections::HashSet;
use std::sync::mpsc;
use std::time::Duration;

use eom_shared::submission::{SubmissionId, SubmissionPayload};
use eom_tests::proxy::{Fault, FaultProxy, Plan};
use eom_tests::{Expected, Laptop, Ledger, Mission, finish_within, recv_within, voting_content};
use serde_json::{Value, json};

const STATIONS: [&str; 4] = ["PEC-001", "PEC-002", "PEC-003", "PEC-004"];

fn payloads(n: usize) -> Vec<SubmissionPayload> {
    (0..n)
        .map(|i| {
            let content = voting_content(STATIONS[i % STATIONS.len()], "good");
            SubmissionPayload {
                id: SubmissionId::new(),
                revision: 1,
                content_hash: content.content_hash(),
                content,
            }
        })
        .collect()
}

/// Status, `Retry-After` and JSON body of one push answer.
type Answer = (u16, Option<String>, Value);

/// Pushes `batch` once; `Ok` with the response's outcomes, `Err` when there was no answer.
async fn push(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    batch: &[SubmissionPayload],
) -> Result<Answer, reqwest::Error> {
    let response = http
        .post(format!("{url}/api/v1/sync/push"))
        .bearer_auth(token)
        .json(&json!({ "submissions": batch }))
        .timeout(Duration::from_secs(20))
        .send()
        .await?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.json::<Value>().await?;
    Ok((status, retry_after, body))
}

#[test]
fn a_server_killed_mid_stream_keeps_everything_it_acknowledged() {
    let mut mission = Mission::new();
    mission.start();
    let token = mission.add_observer("Team 1", "North");
    let url = mission.url().to_owned();
    let all = payloads(600);
    let (progress, acks) = mpsc::channel::<usize>();

    // One observer streams batches of four, retrying each until it is answered.
    let stream = all.clone();
    let pusher = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let http = reqwest::Client::new();
            let mut acknowledged: HashSet<String> = HashSet::new();
            for batch in stream.chunks(4) {
                loop {
                    match push(&http, &url, &token, batch).await {
                        Ok((200, _, body)) => {
                            for r in body["results"].as_array().expect("results") {
                                let outcome = r["outcome"].as_str().expect("outcome");
                                assert!(outcome == "accepted" || outcome == "duplicate", "{r}");
                                acknowledged.insert(r["id"].as_str().expect("id").to_owned());
                            }
                            let _ = progress.send(acknowledged.len());
                            break;
                        }
                        // No answer (the server is down or was killed mid-request), or not
                        // ready: the batch is simply sent again.
                        _ => tokio::time::sleep(Duration::from_millis(10)).await,
                    }
                }
            }
            acknowledged
        })
    });

    for kill in 1..=3 {
        while recv_within(
            &acks,
            Duration::from_secs(60),
            "the pusher reports progress",
        ) < kill * 120
        {}
        mission.stop(); // SIGKILL
        mission.start();
    }
    let acknowledged = pusher.join().expect("pusher finishes");
    assert_eq!(acknowledged.len(), 600);

    // Every acknowledged checklist is kept, each counted once in every total.
    let ledger: Ledger = all
        .iter()
        .map(|p| (p.id.to_string(), Expected::of(&p.content, p.revision)))
        .collect();
    assert!(acknowledged.iter().all(|id| ledger.contains_key(id)));
    assert_eq!(mission.assert_holds_exactly(&ledger), 600);
}

/// A write the database refuses (here a trigger that aborts every insert of a revision, as a
/// failing disk or a full one would) is never acknowledged: the push gets no 200, the laptop
/// keeps everything queued, and once the database works again everything arrives once.
#[test]
fn a_write_that_fails_is_never_acknowledged() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &mission.add_observer("Team 6", "North"));
    laptop.eom(&["pull"]).ok();
    laptop.fill_voting(5, &STATIONS);

    let db = rusqlite::Connection::open(mission.db()).expect("open the server's database");
    db.execute_batch(
        "CREATE TRIGGER test_failing_disk BEFORE INSERT ON revisions
         BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END;",
    )
    .expect("install the failing trigger");
    let run = laptop.eom(&["sync"]);
    assert_eq!(run.status, Some(3), "{}{}", run.stdout, run.stderr);
    let status = laptop.status();
    assert_eq!(
        (status["queued"].clone(), status["delivered"].clone()),
        (5.into(), 0.into()),
        "nothing is marked delivered when the server could not store it"
    );
    assert!(mission.all_submissions().is_empty());

    db.execute_batch("DROP TRIGGER test_failing_disk")
        .expect("the disk works again");
    laptop.eom(&["sync"]).ok();
    assert_eq!(laptop.status()["delivered"], 5);
    assert_eq!(mission.assert_holds_exactly(&laptop.ledger()), 5);
}

#[test]
fn a_client_killed_mid_sync_resumes_without_loss_or_duplicates() {
    let mut mission = Mission::new();
    mission.start();
    // A slow network stretches the sync out so that it can be killed in the middle.
    let proxy = FaultProxy::start(
        mission.addr(),
        Plan::Always(Fault::Delay(Duration::from_millis(15))),
    );
    let laptop = Laptop::new();
    let token = mission.add_observer("Team 2", "North");
    laptop.setup(mission.url(), &token);
    laptop.eom(&["pull"]).ok();
    laptop.point_at(&proxy.url(), &token);
    laptop.fill_voting(200, &STATIONS);

    let arrivals = proxy.arrivals();
    for _ in 0..3 {
        let mut sync = laptop
            .command(&["sync", "--batch-size", "4"])
            .spawn()
            .expect("eom sync starts");
        for _ in 0..6 {
            recv_within(&arrivals, Duration::from_secs(30), "requests arrive");
        }
        sync.kill().expect("SIGKILL");
        sync.wait().expect("reaped");
    }
    let delivered_before = laptop.status()["delivered"].as_u64().expect("count");
    assert!(delivered_before < 200, "the sync was really interrupted");

    laptop.eom(&["sync"]).ok();
    let status = laptop.status();
    assert_eq!(
        (status["queued"].clone(), status["delivered"].clone()),
        (0.into(), 200.into())
    );
    assert_eq!(mission.assert_holds_exactly(&laptop.ledger()), 200);
}

#[test]
fn a_full_write_queue_answers_503_and_clients_still_deliver_everything() {
    let mut mission = Mission::new();
    mission.start_with(&["--write-queue", "1", "--max-group", "1"]);
    let token = mission.add_observer("Team 3", "South");
    let url = mission.url().to_owned();
    let burst = payloads(40);

    // Another process holds the database's write lock, so the writer stalls on its first
    // group and the queue behind it fills up.
    let lock = rusqlite::Connection::open(mission.db()).expect("open the server's database");
    lock.execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let answers = runtime.block_on(async {
        let http = reqwest::Client::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for item in burst.iter().cloned() {
            let (http, url, token, tx) = (http.clone(), url.clone(), token.clone(), tx.clone());
            tokio::spawn(async move {
                let answer = push(&http, &url, &token, std::slice::from_ref(&item)).await;
                let _ = tx.send((item, answer.expect("the server answers")));
            });
        }
        drop(tx);
        let mut answers = Vec::new();
        let mut locked = true;
        while let Some(answer) = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("every push is answered within a minute")
        {
            if locked && answer.1.0 == 503 {
                // The queue is full: let the writer go on.
                lock.execute_batch("COMMIT").expect("release the lock");
                locked = false;
            }
            answers.push(answer);
        }
        answers
    });
    let refused: Vec<&(SubmissionPayload, Answer)> = answers
        .iter()
        .filter(|(_, (status, _, _))| *status == 503)
        .collect();
    assert!(
        !refused.is_empty(),
        "a burst against a queue of one must be refused in part"
    );
    for (_, (_, retry_after, body)) in &refused {
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert_eq!(body["error"], "overloaded");
        assert_eq!(body["retryable"], true);
    }
    assert!(
        answers
            .iter()
            .all(|(_, (status, _, _))| *status == 200 || *status == 503)
    );

    // Refused items sent again once the burst is over are stored; nothing else doubles.
    runtime.block_on(async {
        let http = reqwest::Client::new();
        for (item, _) in &refused {
            let (status, _, body) = push(&http, &url, &token, std::slice::from_ref(item))
                .await
                .expect("answer");
            assert_eq!(
                (status, body["results"][0]["outcome"].as_str()),
                (200, Some("accepted"))
            );
        }
    });
    assert_eq!(mission.all_submissions().len(), 40);

    // Laptops syncing at once against the same small queue get 503s and retry after the
    // server's Retry-After until everything is in.
    let laptops: Vec<Laptop> = (0..4)
        .map(|i| {
            let laptop = Laptop::new();
            laptop.setup(
                mission.url(),
                &mission.add_observer(&format!("Team {i}"), "North"),
            );
            laptop.eom(&["pull"]).ok();
            laptop.fill_voting(20, &STATIONS);
            laptop
        })
        .collect();
    let syncs: Vec<_> = laptops
        .iter()
        .map(|l| {
            l.command(&["sync", "--watch", "--batch-size", "5", "--max-wait", "2"])
                .spawn()
                .expect("eom sync starts")
        })
        .collect();
    for sync in syncs {
        finish_within(sync, Duration::from_secs(180), "eom sync --watch").ok();
    }
    let mut ledger: Ledger = burst
        .iter()
        .map(|p| (p.id.to_string(), Expected::of(&p.content, p.revision)))
        .collect();
    for laptop in &laptops {
        ledger.extend(laptop.ledger());
    }
    assert_eq!(mission.assert_holds_exactly(&ledger), 120);
}
