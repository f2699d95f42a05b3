//! Decoding a push batch: JSON parse, per-item parse, validation, hashing and tally
//! contributions (everything the server does before the database).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eom_server::ingest::{Arrival, FormCache, prepare};
use eom_server::open_store;
use eom_shared::limits::ObservationWindow;
use eom_shared::submission::{SubmissionContent, SubmissionId, SubmissionPayload};
use eom_shared::sync::{PushRequest, RawPushRequest};
use eom_shared::{FormId, StationCode};
use rand::SeedableRng;
use std::hint::black_box;

fn benches(c: &mut Criterion) {
    // A bench whose setup fails must fail, not report nothing.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = open_store(&dir.path().join("bench.db")).expect("the bench database opens");
    let forms = FormCache::default();
    let arrival = Arrival::now(ObservationWindow::unbounded());
    let form_list = eom_shared::default_forms::default_forms().expect("the default forms load");
    let voting = form_list
        .iter()
        .find(|f| f.id.as_str() == "voting")
        .expect("a voting form");
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let stations = eom_server::demo::station_list(200, &mut rng).expect("a station list");
    let batch: Vec<SubmissionPayload> = (0..200)
        .map(|i| {
            let station = &stations[i % 100];
            let answers =
                eom_server::demo::answers(voting, station, 1.0, chrono::Utc::now(), &mut rng);
            let content = SubmissionContent {
                form_id: FormId::parse("voting").expect("a form id"),
                form_version: 1,
                station: StationCode::parse(station.code.as_str()).expect("a station code"),
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
    let body = serde_json::to_vec(&PushRequest { submissions: batch }).expect("encodes");
    let mut group = c.benchmark_group("push batch of 200 voting checklists");
    group.throughput(Throughput::Elements(200));
    group.bench_function("parse JSON body", |b| {
        b.iter(|| serde_json::from_slice::<RawPushRequest>(black_box(&body)))
    });
    group.bench_function("parse + validate + hash + contributions", |b| {
        b.iter(|| {
            let raw: RawPushRequest = serde_json::from_slice(black_box(&body)).expect("parses");
            let prepared = prepare(&store, &forms, raw.submissions, &arrival).expect("prepares");
            assert_eq!(prepared.items().len(), 200, "every checklist is valid");
            prepared
        })
    });
    group.finish();
}

criterion_group!(push_decode, benches);
criterion_main!(push_decode);
