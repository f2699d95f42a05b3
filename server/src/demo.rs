//! `eom-server demo`: a realistic simulated election day in a database, so that a newcomer
//! sees a living dashboard in one command, and benchmarks have a million checklists to chew.
//!
//! Regions differ in how often things go wrong; teams visit an opening, several voting
//! stations, a count and sometimes the tabulation; a few teams fall silent at midday; a few
//! incidents are critical. Every checklist goes through the same validation as a real push.

use std::collections::HashSet;

use anyhow::Context;
use chrono::{DateTime, Duration, Timelike, Utc};
use eom_shared::form::{Form, QuestionKind};
use eom_shared::station::{Area, Coordinates, Station, StationCode, StationKind, StationLevel};
use eom_shared::submission::{SubmissionContent, SubmissionId, SubmissionPayload};
use eom_shared::validate::is_relevant;
use eom_shared::{Assessment, Stage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use crate::admin;
use crate::auth::{generate_token, hash_token};
use crate::ingest::{Arrival, checked_item};
use crate::store::{IngestBatch, NewAccount, Role, Store};
use eom_shared::limits::ObservationWindow;

#[derive(Debug, Clone, Copy)]
pub struct DemoConfig {
    pub observers: usize,
    pub stations: usize,
    pub seed: u64,
}

pub struct DemoSummary {
    pub regions: usize,
    pub stations: usize,
    pub observers: usize,
    pub checklists: usize,
    pub coordinator_token: String,
}

/// Regions and how much more often than average things go wrong there.
const REGIONS: [(&str, f64); 8] = [
    ("Astana", 0.6),
    ("Almaty", 0.8),
    ("Shymkent", 1.6),
    ("Karaganda", 1.0),
    ("Aktobe", 1.2),
    ("Pavlodar", 0.9),
    ("Kostanay", 1.1),
    ("Atyrau", 1.8),
];

/// Where each demo region's centre lies (latitude, longitude), for stations on the map.
const CENTRES: [(f64, f64); 8] = [
    (51.17, 71.45),
    (43.24, 76.89),
    (42.32, 69.59),
    (49.81, 73.09),
    (50.28, 57.17),
    (52.29, 76.97),
    (53.21, 63.62),
    (47.11, 51.92),
];

/// How much more often than average things go wrong in `region` (1.0 when unknown).
pub fn irregularity(region: &str) -> f64 {
    REGIONS
        .iter()
        .find(|(name, _)| *name == region)
        .map_or(1.0, |(_, f)| *f)
}

/// Checklists stored per transaction.
const CHUNK: usize = 5000;

struct Visit {
    observer: usize,
    station: usize,
    stage: Stage,
    at: DateTime<Utc>,
}

pub fn generate(store: &dyn Store, config: DemoConfig) -> anyhow::Result<DemoSummary> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    // The demo's election day may lie anywhere: its times are not checked against today.
    let demo_arrival = Arrival {
        at: Utc::now(),
        window: ObservationWindow::unbounded(),
    };
    let forms = store.latest_forms()?;
    let form_for = |stage: Stage| -> anyhow::Result<&Form> {
        forms
            .iter()
            .find(|f| f.stage == stage)
            .with_context(|| format!("no {stage} form in the database"))
    };

    let stations = station_list(config.stations, &mut rng)?;
    let pecs = stations.len() - REGIONS.len();
    store.import_stations(&stations)?;

    // Observer teams, each in one region; their tokens are not kept (it is a demo).
    let accounts: Vec<NewAccount> = (0..config.observers)
        .map(|i| NewAccount {
            actor: crate::audit::OPERATOR.to_owned(),
            name: format!("Team {}", i + 1),
            role: Role::Observer,
            region: Some(REGIONS[i % REGIONS.len()].0.to_owned()),
            token_hash: hash_token(&generate_token()),
        })
        .collect();
    let observers = store.create_accounts(accounts)?;

    // The day ends now: opening 17 hours ago, the count and tabulation in the last hours.
    let start = Utc::now() - Duration::hours(17);
    let at = |rng: &mut StdRng, from_h: f64, to_h: f64| {
        let minutes = rng.random_range((from_h * 60.0) as i64..(to_h * 60.0) as i64);
        start + Duration::minutes(minutes)
    };
    let mut visits = Vec::new();
    for o in 0..observers.len() {
        let region = o % REGIONS.len();
        // Stations of the team's region.
        let pick = |rng: &mut StdRng| {
            let k = rng.random_range(0..pecs.div_ceil(REGIONS.len()).max(1));
            (k * REGIONS.len() + region).min(pecs - 1)
        };
        let silent_from_noon = rng.random_bool(0.08);
        let first = pick(&mut rng);
        visits.push(Visit {
            observer: o,
            station: first,
            stage: Stage::Opening,
            at: at(&mut rng, 0.5, 1.5),
        });
        for _ in 0..rng.random_range(6..9) {
            let when = at(&mut rng, 2.0, 13.5);
            if silent_from_noon && when > start + Duration::hours(6) {
                continue;
            }
            visits.push(Visit {
                observer: o,
                station: pick(&mut rng),
                stage: Stage::Voting,
                at: when,
            });
        }
        if silent_from_noon {
            continue;
        }
        visits.push(Visit {
            observer: o,
            station: pick(&mut rng),
            stage: Stage::Counting,
            at: at(&mut rng, 14.0, 16.0),
        });
        if rng.random_bool(0.3) {
            visits.push(Visit {
                observer: o,
                station: pecs + region,
                stage: Stage::Tabulation,
                at: at(&mut rng, 16.0, 16.9),
            });
        }
        if rng.random_bool(0.05) {
            visits.push(Visit {
                observer: o,
                station: pick(&mut rng),
                stage: Stage::Incident,
                at: at(&mut rng, 2.0, 16.0),
            });
        }
    }
    visits.sort_by_key(|v| v.at);

    // Deliveries as they would arrive: what was observed within the same quarter of an hour
    // reaches the server together a few minutes later.
    let mut chunks: Vec<&[Visit]> = Vec::new();
    let mut begin = 0;
    for i in 1..=visits.len() {
        let window_over = i == visits.len()
            || i - begin >= CHUNK
            || visits[i].at - visits[begin].at > Duration::minutes(15);
        if window_over {
            chunks.push(&visits[begin..i]);
            begin = i;
        }
    }
    let mut stored = 0;
    // Every 40th voting or counting checklist is corrected later by its team (a second
    // revision with another overall assessment), as real ones are.
    let mut corrections: Vec<(String, SubmissionId, Stage, SubmissionContent)> = Vec::new();
    let mut seen = 0usize;
    for chunk in chunks {
        let mut batches: Vec<IngestBatch> = Vec::new();
        for v in chunk {
            let form = form_for(v.stage)?;
            let (_, factor) = REGIONS[v.observer % REGIONS.len()];
            let station = &stations[v.station];
            let answers = answers(form, station, factor, v.at, &mut rng);
            let content = SubmissionContent {
                form_id: form.id.clone(),
                form_version: form.version,
                station: station.code.clone(),
                observed_at: v.at,
                answers,
                notes: String::new(),
            };
            let id = SubmissionId::new();
            if matches!(v.stage, Stage::Voting | Stage::Counting) {
                seen += 1;
                if seen.is_multiple_of(40) {
                    corrections.push((
                        observers[v.observer].id.clone(),
                        id,
                        v.stage,
                        content.clone(),
                    ));
                }
            }
            let payload = SubmissionPayload {
                id,
                revision: 1,
                content_hash: content.content_hash(),
                content,
            };
            let item = checked_item(form, payload, &demo_arrival).map_err(|issues| {
                anyhow::anyhow!("the demo made an invalid {} checklist: {issues:?}", form.id)
            })?;
            let observer_id = &observers[v.observer].id;
            match batches.iter_mut().find(|b| &b.observer_id == observer_id) {
                Some(b) => b.items.push(item),
                None => batches.push(IngestBatch {
                    observer_id: observer_id.clone(),
                    items: vec![item],
                }),
            }
        }
        let received = chunk.last().map_or_else(Utc::now, |v| v.at) + Duration::minutes(12);
        stored += chunk.len();
        store.ingest(received.min(Utc::now()), &batches)?;
    }

    // Stored a few thousand at a time, as the main day is: one transaction each.
    for group in corrections.chunks(CHUNK) {
        let mut batches = Vec::with_capacity(group.len());
        let mut latest = None;
        for (observer_id, id, stage, content) in group {
            let (observer_id, id, mut content) = (observer_id.clone(), *id, content.clone());
            let form = form_for(*stage)?;
            let corrected = match content.answers.get("overall").and_then(|a| a.as_str()) {
                Some("very_good") => "good",
                Some("good") => "bad",
                Some("bad") => "very_bad",
                _ => "bad",
            };
            content
                .answers
                .insert("overall".into(), serde_json::json!(corrected));
            content.notes = "Corrected after talking to the commission chair".into();
            let received = content.observed_at + Duration::minutes(55);
            latest = latest.max(Some(received));
            let payload = SubmissionPayload {
                id,
                revision: 2,
                content_hash: content.content_hash(),
                content,
            };
            let item = checked_item(form, payload, &demo_arrival).map_err(|issues| {
                anyhow::anyhow!("the demo made an invalid correction: {issues:?}")
            })?;
            batches.push(IngestBatch {
                observer_id,
                items: vec![item],
            });
        }
        store.ingest(latest.unwrap_or_else(Utc::now).min(Utc::now()), &batches)?;
    }

    let coordinator = admin::create_account(
        store,
        "Demo coordinator",
        Role::Coordinator,
        &[],
        crate::audit::OPERATOR,
    )?;
    Ok(DemoSummary {
        regions: REGIONS.len(),
        stations: stations.len(),
        observers: observers.len(),
        checklists: stored,
        coordinator_token: coordinator.token,
    })
}

/// A number in [-1, 1) that varies with `i` (`step` picks the pattern).
fn spread(i: usize, step: usize) -> f64 {
    let n = (i * step) % 200;
    f64::from(u32::try_from(n).unwrap_or(0)) / 100.0 - 1.0
}

/// Polling stations spread over the regions, then one territorial commission per region.
pub fn station_list(count: usize, rng: &mut StdRng) -> anyhow::Result<Vec<Station>> {
    let mut stations = Vec::new();
    for i in 0..count.max(REGIONS.len()) {
        let (region, _) = REGIONS[i % REGIONS.len()];
        let (latitude, longitude) = CENTRES[i % REGIONS.len()];
        // Two in five stations rural, one in twenty-five special (a hospital, a prison).
        let rural = (i / REGIONS.len()) % 5 < 2;
        stations.push(Station {
            code: StationCode::parse(&format!("PEC-{:05}", i + 1)).map_err(anyhow::Error::msg)?,
            name: format!("Polling station no. {}", i + 1),
            region: region.to_owned(),
            district: format!("{region} district {}", i % 5 + 1),
            level: StationLevel::Pec,
            registered_voters: Some(rng.random_range(400..3000)),
            area: Some(if rural { Area::Rural } else { Area::Urban }),
            kind: if i % 25 == 24 {
                StationKind::Special
            } else {
                StationKind::Regular
            },
            // Spread around the centre without drawing from `rng`, so the answers drawn
            // after it stay what they were for a seed.
            coordinates: Coordinates::new(
                latitude + spread(i, 37) * 1.2,
                longitude + spread(i, 61) * 2.0,
            )
            .ok(),
        });
    }
    for (i, (region, _)) in REGIONS.iter().enumerate() {
        stations.push(Station {
            code: StationCode::parse(&format!("TEC-{:02}", i + 1)).map_err(anyhow::Error::msg)?,
            name: format!("{region} territorial commission"),
            region: (*region).to_owned(),
            district: String::new(),
            level: StationLevel::Tec,
            registered_voters: None,
            area: Some(Area::Urban),
            kind: StationKind::Regular,
            coordinates: Coordinates::new(CENTRES[i].0, CENTRES[i].1).ok(),
        });
    }
    Ok(stations)
}

/// A plausible answer set: each question that signals a problem shows it with a probability
/// that depends on the stage and the region; the overall assessment follows what was seen.
pub fn answers(
    form: &Form,
    station: &Station,
    factor: f64,
    at: DateTime<Utc>,
    rng: &mut StdRng,
) -> Map<String, Value> {
    let (problem, negative) = match form.stage {
        Stage::Opening => (0.03, 0.05),
        Stage::Voting => (0.02, 0.04),
        Stage::Counting => (0.10, 0.30),
        Stage::Tabulation => (0.08, 0.25),
        Stage::Incident => (0.5, 0.0),
    };
    let problem = (problem * factor).min(0.9);
    let negative = (negative * factor).min(0.95);
    let mut answers = Map::new();
    let mut asked: HashSet<&str> = HashSet::new();
    for q in &form.questions {
        if !is_relevant(q, &answers, &asked) {
            continue;
        }
        asked.insert(&q.id);
        let bad = rng.random_bool(problem);
        let concern: Vec<&Value> = q.concern.iter().flat_map(|c| c.answers.iter()).collect();
        let value = match &q.kind {
            QuestionKind::YesNo => {
                let problem_answer = concern.first().and_then(|v| v.as_bool());
                match problem_answer {
                    Some(p) => Some(json!(if bad { p } else { !p })),
                    None if q.required => Some(json!(rng.random_bool(0.2))),
                    None => None,
                }
            }
            QuestionKind::SingleChoice { choices } | QuestionKind::MultiChoice { choices } => {
                let is_problem = |id: &str| concern.iter().any(|v| v.as_str() == Some(id));
                let good = choices.iter().find(|c| !is_problem(&c.id));
                let worst = choices.iter().find(|c| is_problem(&c.id));
                let chosen = if bad { worst.or(good) } else { good.or(worst) };
                match (chosen, &q.kind) {
                    (Some(c), QuestionKind::MultiChoice { .. }) => Some(json!([c.id])),
                    (Some(c), _) => Some(json!(c.id)),
                    (None, _) => None,
                }
            }
            QuestionKind::Number { min, max } => {
                Some(json!(number(&q.id, *min, *max, station, bad, rng)))
            }
            QuestionKind::Text { .. } => q.required.then(|| {
                json!("Seen by both team members; details given to the long-term observer.")
            }),
            QuestionKind::Time => Some(json!(format!("{:02}:{:02}", at.hour(), at.minute()))),
            QuestionKind::Assessment => {
                let a = if rng.random_bool(negative) {
                    if rng.random_bool(0.25) {
                        Assessment::VeryBad
                    } else {
                        Assessment::Bad
                    }
                } else if rng.random_bool(0.35) {
                    Assessment::VeryGood
                } else {
                    Assessment::Good
                };
                Some(json!(a.as_str()))
            }
        };
        if let Some(v) = value {
            answers.insert(q.id.clone(), v);
        }
    }
    if answers.get("protocol_copied") == Some(&json!(true)) {
        protocol(&mut answers, station, rng.random_bool(problem / 2.0), rng);
    }
    answers
}

fn number(
    id: &str,
    min: Option<i64>,
    max: Option<i64>,
    station: &Station,
    bad: bool,
    rng: &mut StdRng,
) -> i64 {
    let lo = min.unwrap_or(0);
    let registered = i64::from(station.registered_voters.unwrap_or(1500));
    let value = match id {
        // What the commission says at the observer's visit: the list as registered (a few
        // added on the day), and part of it having voted (more than the list where a station
        // was stuffed, as a protocol check then shows).
        "voters_on_list" => registered + rng.random_range(0..30),
        "voted_so_far" if bad && rng.random_bool(0.3) => registered + rng.random_range(20..200),
        "voted_so_far" => registered * rng.random_range(10..70) / 100,
        "minutes_late" => rng.random_range(5..90),
        "commission_members_present" => rng.random_range(5..13),
        "protocols_observed" => rng.random_range(10..40),
        "protocols_mismatched" => i64::from(bad),
        _ => rng.random_range(0..40),
    };
    value.max(lo).min(max.unwrap_or(i64::MAX))
}

/// Protocol figures that add up, or, for a station with stuffing, more ballots in the box than
/// were issued: the check flags it as a warning, as it would in the field.
fn protocol(answers: &mut Map<String, Value>, station: &Station, stuffed: bool, rng: &mut StdRng) {
    let voters = i64::from(station.registered_voters.unwrap_or(1500));
    let additional = rng.random_range(0..40);
    let issued_station = voters * rng.random_range(50..72) / 100;
    let mobile = rng.random_range(0..40);
    let early = rng.random_range(0..20);
    let issued = issued_station + mobile + early;
    let received = voters + additional;
    let cancelled = received - issued;
    let stationary = issued_station
        + early
        + if stuffed {
            rng.random_range(50..150)
        } else {
            0
        };
    let found = stationary + mobile;
    let invalid = found * rng.random_range(1..3) / 100;
    let valid = found - invalid;
    let first = valid * rng.random_range(45..80) / 100;
    let second = (valid - first) * rng.random_range(30..70) / 100;
    let third = valid - first - second;
    for (k, v) in [
        ("voters_main_list", voters),
        ("voters_additional_list", additional),
        ("ballots_received", received),
        ("ballots_issued_station", issued_station),
        ("ballots_issued_mobile", mobile),
        ("ballots_issued_early", early),
        ("ballots_cancelled", cancelled),
        ("ballots_in_stationary_boxes", stationary),
        ("ballots_in_mobile_boxes", mobile),
        ("invalid_ballots", invalid),
        ("valid_ballots", valid),
        ("votes_1", first),
        ("votes_2", second),
        ("votes_3", third),
    ] {
        answers.insert(k.into(), json!(v));
    }
}
