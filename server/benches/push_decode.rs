//! Decoding a push batch: JSON parse, per-item parse, validation, hashing and tally
//! contributions (everything the server does before the database).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eom_server::ingest::{FormCache, prepare};
use eom_server::open_store;
use eom_shared::submission::{SubmissionContent, SubmissionId, SubmissionPayload};
use eom_shared::sync::{PushRequest, RawPushRequest};
use eom_shared::{FormId, StationCode};
use rand::SeedableRng;
use std::hint::black_box;

fn benches(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let Ok(store) = open_store(&dir.path().join("bench.db")) else {
        return;
    };
    let forms = FormCache::default();
    let Ok(form_list) = eom_shared::default_forms::default_forms() else {
        return;
    };
    let Some(voting) = form_list.iter().find(|f| f.id.as_str() == "voting") else {
        return;
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let Ok(stations) = eom_server::demo::station_list(200, &mut rng) else {
        return;
    };
    let batch: Vec<SubmissionPayload> = (0..200)
        .map(|i| {
            let station = &stations[i % 100];
            let answers =
                eom_server::demo::answers(voting, station, 1.0, chrono::Utc::now(), &mut rng);
            let content = SubmissionContent {
                form_id: FormId::parse("voting").unwrap_or_else(|_| voting.id.clone()),
                form_version: 1,
                station: StationCode::parse(station.code.as_str())
                    .unwrap_or_else(|_| station.code.clone()),
                observed_at: chrono::Utc::now(),
                answers,
                notes: String::new(),
            };
            SubmissionPayload {
                id: SubmissionId::new(),
                revision: 1,
                content_hash: content.content_hash(),
                content,
            }
        })
        .collect();
    let Ok(body) = serde_json::to_vec(&PushRequest { submissions: batch }) else {
        return;
    };
    let mut group = c.benchmark_group("push batch of 200 voting checklists");
    group.throughput(Throughput::Elements(200));
    group.bench_function("parse JSON body", |b| {
        b.iter(|| serde_json::from_slice::<RawPushRequest>(black_box(&body)))
    });
    group.bench_function("parse + validate + hash + contributions", |b| {
        b.iter(|| {
            let raw: RawPushRequest =
                serde_json::from_slice(black_box(&body)).unwrap_or(RawPushRequest {
                    submissions: Vec::new(),
                });
            prepare(&store, &forms, raw.submissions)
        })
    });
    group.finish();
}

criterion_group!(push_decode, benches);
criterion_main!(push_decode);
