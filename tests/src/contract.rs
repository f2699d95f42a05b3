//! The store contract: what every backend must do, checked through the [`Store`] trait only.
//!
//! Each check takes a fresh, empty store. `tests/store_contract.rs` runs every check against
//! every backend, so a backend that differs from the others in any outcome, cursor, figure,
//! review or export fails here, not in a mission's statement.

use chrono::{DateTime, Duration, TimeZone, Utc};
use eom_server::ingest::{Arrival, checked_item};
use eom_server::rules::{Verdict, contribution};
use eom_server::store::{
    Account, AlertOutcome, AssessmentRow, Audience, CallOutcome, ExportRow, IngestBatch,
    IngestDecision, IngestItem, NewAccount, NewCall, NewMessage, NewReview, NewTeam, ReportFilter,
    Role, SearchHits, Store, SubmissionFilter,
};
use eom_shared::limits::ObservationWindow;
use eom_shared::submission::{SubmissionContent, SubmissionId, SubmissionPayload};
use eom_shared::sync::ReviewStatus;
use eom_shared::{Area, FormId, Stage, Station, StationCode, StationKind, StationLevel};
use serde_json::{Map, Value, json};

/// Accounts and the station list every check starts from.
pub struct World {
    pub observer: Account,
    pub other: Account,
    pub coordinator: Account,
}

pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 19, hour, minute, 0)
        .single()
        .expect("time")
}

fn station(code: &str, region: &str, level: StationLevel) -> Station {
    Station {
        code: StationCode::parse(code).expect("code"),
        name: format!("Station {code}"),
        region: region.into(),
        district: "D1".into(),
        level,
        registered_voters: None,
        area: None,
        kind: StationKind::Regular,
        coordinates: None,
    }
}

fn placed(mut s: Station, area: Area, kind: StationKind) -> Station {
    s.area = Some(area);
    s.kind = kind;
    s
}

/// PEC-1 is urban; PEC-2 and PEC-3 rural, PEC-3 a special station; the commission says
/// nothing about its area.
pub fn stations() -> Vec<Station> {
    vec![
        placed(
            station("PEC-1", "North", StationLevel::Pec),
            Area::Urban,
            StationKind::Regular,
        ),
        placed(
            station("PEC-2", "North", StationLevel::Pec),
            Area::Rural,
            StationKind::Regular,
        ),
        placed(
            station("PEC-3", "South", StationLevel::Pec),
            Area::Rural,
            StationKind::Special,
        ),
        station("TEC-N", "North", StationLevel::Tec),
    ]
}

fn account(name: &str, role: Role, token_hash: &str) -> NewAccount {
    NewAccount {
        actor: "operator".into(),
        name: name.into(),
        role,
        region: Some("North".into()),
        token_hash: token_hash.into(),
    }
}

impl World {
    pub fn new(store: &dyn Store) -> Self {
        let forms = eom_shared::default_forms::default_forms().expect("default forms");
        assert_eq!(store.install_forms(&forms).expect("forms"), forms.len());
        store.import_stations(&stations()).expect("stations");
        let mut made = store
            .create_accounts(vec![
                account("Team 1", Role::Observer, "hash-1"),
                account("Team 2", Role::Observer, "hash-2"),
                account("Core", Role::Coordinator, "hash-c"),
            ])
            .expect("accounts");
        let coordinator = made.pop().expect("coordinator");
        let other = made.pop().expect("other");
        let observer = made.pop().expect("observer");
        Self {
            observer,
            other,
            coordinator,
        }
    }
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

/// A voting checklist at `station`, observed at `observed`.
pub fn voting(station: &str, overall: &str, observed: DateTime<Utc>) -> SubmissionContent {
    SubmissionContent {
        form_id: FormId::parse("voting").expect("id"),
        form_version: 1,
        station: StationCode::parse(station).expect("code"),
        observed_at: observed,
        answers: object(json!({
            "arrival_time": "09:30",
            "observers_unrestricted": true,
            "overcrowded": false, "unauthorized_present": false, "police_inside": false,
            "identity_checked": true, "voters_signed": true, "ballots_stamped": true,
            "booths_used": true, "group_voting": false, "ballots_photographed": false,
            "box_stuffing": false, "multiple_voting": false, "identical_signatures": false,
            "pressure_on_voters": false, "vote_buying": false, "voters_turned_away": false,
            "campaign_material": false, "mobile_box_procedure": "not_observed",
            "boxes_intact": true, "accessible": true, "complaints_filed": false,
            "overall": overall
        })),
        notes: String::new(),
    }
}

/// A voting checklist that saw ballot box stuffing (critical) with observers restricted.
pub fn stuffing(station: &str, observed: DateTime<Utc>) -> SubmissionContent {
    let mut c = voting(station, "very_bad", observed);
    c.answers.insert("box_stuffing".into(), json!(true));
    c.answers
        .insert("observers_unrestricted".into(), json!(false));
    c.answers
        .insert("access_restriction".into(), json!(["kept_far"]));
    c
}

pub fn item(
    store: &dyn Store,
    id: SubmissionId,
    revision: u32,
    c: SubmissionContent,
) -> IngestItem {
    let form = store
        .form(&c.form_id, c.form_version)
        .expect("form read")
        .expect("form known");
    let payload = SubmissionPayload {
        id,
        revision,
        content_hash: c.content_hash(),
        content: c,
    };
    // The contract's checklists are dated on a fixed day, not today.
    let arrival = Arrival::now(ObservationWindow::unbounded());
    match checked_item(&form, payload, &arrival) {
        Ok(item) => item,
        Err(issues) => panic!("test checklist invalid: {issues:?}"),
    }
}

/// Stores one batch from `observer` and returns the verdicts (or unknown station).
pub fn push(
    store: &dyn Store,
    observer: &Account,
    received: DateTime<Utc>,
    items: Vec<IngestItem>,
) -> Vec<IngestDecision> {
    let batches = [IngestBatch {
        observer_id: observer.id.clone(),
        items,
    }];
    let mut decided = store.ingest(received, &batches).expect("ingest");
    assert_eq!(decided.len(), 1);
    decided.pop().expect("one batch")
}

fn stored(v: Verdict) -> IngestDecision {
    IngestDecision::Stored(v)
}

fn new_id() -> SubmissionId {
    SubmissionId(uuid::Uuid::now_v7())
}

/// Every figure a report reads, in a comparable form.
#[derive(Debug, PartialEq)]
pub struct Figures {
    tallies: Vec<(String, u64, u64, u64)>,
    assessments: Vec<AssessmentRow>,
    findings: Vec<(String, String, u64, u64)>,
    critical: Vec<(SubmissionId, String)>,
    coverage: Vec<(String, Stage, StationLevel, u64, u64, u64)>,
    arrivals: Vec<(DateTime<Utc>, Stage, u64)>,
}

pub fn figures(store: &dyn Store, filter: &ReportFilter) -> Figures {
    let mut tallies: Vec<_> = store
        .form_tallies()
        .expect("tallies")
        .into_iter()
        .map(|t| (t.form_id.to_string(), t.checklists, t.assessed, t.negative))
        .collect();
    tallies.sort();
    let mut assessments: Vec<_> = store
        .assessment_rows(filter)
        .expect("assessments")
        .into_iter()
        .filter(|r| r.checklists > 0 || r.access_answered > 0)
        .collect();
    assessments.sort_by(|a, b| (&a.form_id, &a.region).cmp(&(&b.form_id, &b.region)));
    let mut findings: Vec<_> = store
        .finding_rows(filter)
        .expect("findings")
        .into_iter()
        .map(|r| (r.form_id, r.question_id, r.answered, r.concern))
        .filter(|r| r.2 > 0)
        .collect();
    findings.sort();
    let mut critical: Vec<_> = store
        .critical_findings(filter, 1000)
        .expect("critical")
        .into_iter()
        .map(|c| (c.submission_id, c.question_id))
        .collect();
    critical.sort();
    let mut coverage: Vec<_> = store
        .coverage(filter)
        .expect("coverage")
        .visits
        .into_iter()
        .map(|v| {
            (
                v.region, v.stage, v.level, v.visited, v.assessed, v.negative,
            )
        })
        .filter(|v| v.3 > 0)
        .collect();
    coverage.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    let arrivals = store
        .arrivals(filter)
        .expect("arrivals")
        .into_iter()
        .map(|a| (a.hour, a.stage, a.checklists))
        .collect();
    Figures {
        tallies,
        assessments,
        findings,
        critical,
        coverage,
        arrivals,
    }
}

fn tally(store: &dyn Store, form: &str) -> (u64, u64, u64) {
    store
        .form_tallies()
        .expect("tallies")
        .into_iter()
        .find(|t| t.form_id.as_str() == form)
        .map(|t| (t.checklists, t.assessed, t.negative))
        .expect("form listed")
}

// ---------------------------------------------------------------------------------------------
// The checks.

/// accepted, duplicate, conflict (other content, other owner), stale, unknown station.
pub fn ingest_outcomes(store: &dyn Store) {
    let w = World::new(store);
    let id = new_id();
    let first = voting("PEC-1", "good", at(9, 30));
    let decided = push(
        store,
        &w.observer,
        at(10, 0),
        vec![item(store, id, 1, first.clone())],
    );
    assert_eq!(decided, [stored(Verdict::Accept)]);

    // The same revision again: a retry.
    let decided = push(
        store,
        &w.observer,
        at(10, 1),
        vec![item(store, id, 1, first.clone())],
    );
    assert_eq!(decided, [stored(Verdict::Duplicate)]);

    // Other content under a stored revision: kept aside, nothing overwritten.
    let other_content = voting("PEC-1", "bad", at(9, 30));
    let decided = push(
        store,
        &w.observer,
        at(10, 2),
        vec![item(store, id, 1, other_content)],
    );
    assert_eq!(decided, [stored(Verdict::Conflict)]);

    // Revision 3, then revision 2 arriving late.
    let third = voting("PEC-1", "very_bad", at(9, 45));
    let second = voting("PEC-1", "bad", at(9, 40));
    let decided = push(
        store,
        &w.observer,
        at(10, 3),
        vec![item(store, id, 3, third), item(store, id, 2, second)],
    );
    assert_eq!(decided, [stored(Verdict::Accept), stored(Verdict::Stale)]);

    // Another observer using the same id: a conflict, never an overwrite.
    let theirs = voting("PEC-2", "good", at(9, 50));
    let decided = push(store, &w.other, at(10, 4), vec![item(store, id, 4, theirs)]);
    assert_eq!(decided, [stored(Verdict::Conflict)]);

    // A station not on the list.
    let nowhere = voting("PEC-99", "good", at(9, 50));
    let decided = push(
        store,
        &w.observer,
        at(10, 5),
        vec![item(store, new_id(), 1, nowhere)],
    );
    assert_eq!(decided, [IngestDecision::UnknownStation]);

    // A voting checklist at a territorial commission: not where voting is observed.
    let at_commission = voting("TEC-N", "good", at(9, 50));
    let decided = push(
        store,
        &w.observer,
        at(10, 5),
        vec![item(store, new_id(), 1, at_commission)],
    );
    assert_eq!(decided, [IngestDecision::WrongLevel(StationLevel::Tec)]);

    let detail = store.submission(id).expect("read").expect("stored");
    assert_eq!(
        detail.summary.revision, 3,
        "the newest revision stays current"
    );
    assert_eq!(detail.summary.observer_id, w.observer.id);
    assert_eq!(detail.summary.received_at, at(10, 3));
    assert_eq!(detail.summary.observed_at, at(9, 45));
    assert_eq!(detail.summary.stage, Stage::Voting);
    assert_eq!(
        detail
            .revisions
            .iter()
            .map(|r| r.revision)
            .collect::<Vec<_>>(),
        [1, 2, 3],
        "every revision is kept, oldest first"
    );
    assert_eq!(detail.revisions[0].content(), first);
    assert_eq!(detail.revisions[0].content_hash, first.content_hash());
    assert_eq!(detail.conflicts.len(), 2);
    // One checklist counted once, at its latest revision.
    assert_eq!(tally(store, "voting"), (1, 1, 1));
}

/// Several requests in one transaction: decisions per batch, per item, in order; the same
/// checklist twice in one group is stored once.
pub fn group_commit_decides_each_batch_in_order(store: &dyn Store) {
    let w = World::new(store);
    let id = new_id();
    let c = voting("PEC-1", "good", at(9, 0));
    let batches = [
        IngestBatch {
            observer_id: w.observer.id.clone(),
            items: vec![item(store, id, 1, c.clone())],
        },
        IngestBatch {
            observer_id: w.other.id.clone(),
            items: vec![
                item(store, new_id(), 1, voting("PEC-3", "bad", at(9, 5))),
                item(store, id, 1, c.clone()),
            ],
        },
        IngestBatch {
            observer_id: w.observer.id.clone(),
            items: vec![item(store, id, 1, c)],
        },
    ];
    let decided = store.ingest(at(10, 0), &batches).expect("ingest");
    assert_eq!(
        decided,
        [
            vec![stored(Verdict::Accept)],
            vec![stored(Verdict::Accept), stored(Verdict::Conflict)],
            vec![stored(Verdict::Duplicate)],
        ]
    );
    assert_eq!(tally(store, "voting"), (2, 2, 1));
    let page = store
        .list_submissions(&SubmissionFilter::default(), 1, 50)
        .expect("list");
    assert_eq!(page.total, 2);
}

/// Pull cursors: everything at first, nothing new after, then only what changed; reviews
/// reach only the checklist's own observer.
pub fn pull_cursors(store: &dyn Store) {
    let w = World::new(store);
    let first = store.catalog_changes(0, &w.observer.id).expect("pull");
    assert_eq!(first.forms.len(), 5);
    assert_eq!(first.stations.len(), 4);
    assert!(first.feedback.is_empty());
    let again = store
        .catalog_changes(first.cursor, &w.observer.id)
        .expect("pull");
    assert!(again.forms.is_empty() && again.stations.is_empty() && again.feedback.is_empty());
    assert_eq!(again.cursor, first.cursor);

    // An unchanged import changes nothing; one changed station moves the cursor.
    let summary = store.import_stations(&stations()).expect("import");
    assert_eq!(
        (summary.added, summary.updated, summary.unchanged),
        (0, 0, 4)
    );
    let mut changed = stations();
    changed[1].name = "School 2 (new building)".into();
    let summary = store.import_stations(&changed).expect("import");
    assert_eq!(
        (summary.added, summary.updated, summary.unchanged),
        (0, 1, 3)
    );
    let after = store
        .catalog_changes(first.cursor, &w.observer.id)
        .expect("pull");
    assert!(after.cursor > first.cursor);
    assert_eq!(after.stations.len(), 1);
    assert_eq!(after.stations[0].name, "School 2 (new building)");

    // A review goes to the checklist's observer only.
    let id = new_id();
    push(
        store,
        &w.observer,
        at(10, 0),
        vec![item(store, id, 1, voting("PEC-1", "bad", at(9, 0)))],
    );
    store
        .review(NewReview {
            submission_id: id,
            status: ReviewStatus::Flagged,
            comment: "check the time".into(),
            reviewer_id: w.coordinator.id.clone(),
        })
        .expect("review")
        .expect("known checklist");
    let mine = store
        .catalog_changes(after.cursor, &w.observer.id)
        .expect("pull");
    assert_eq!(mine.feedback.len(), 1);
    assert_eq!(mine.feedback[0].submission_id, id);
    assert_eq!(mine.feedback[0].status, ReviewStatus::Flagged);
    assert_eq!(mine.feedback[0].reviewer, "Core");
    assert!(mine.cursor > after.cursor);
    let theirs = store
        .catalog_changes(after.cursor, &w.other.id)
        .expect("pull");
    assert!(theirs.feedback.is_empty());
}

/// A known day: every report's figures, whole and filtered.
pub fn reports_on_known_data(store: &dyn Store) {
    let w = World::new(store);
    let mut north = Vec::new();
    for i in 0..6u32 {
        let station = if i % 2 == 0 { "PEC-1" } else { "PEC-2" };
        let overall = if i < 2 { "bad" } else { "good" };
        north.push(item(
            store,
            new_id(),
            1,
            voting(station, overall, at(8 + i % 2, 30)),
        ));
    }
    let stuffed = new_id();
    let south = vec![
        item(store, stuffed, 1, stuffing("PEC-3", at(9, 10))),
        item(store, new_id(), 1, voting("PEC-3", "very_good", at(9, 20))),
    ];
    push(store, &w.observer, at(10, 5), north);
    push(store, &w.other, at(11, 5), south);

    assert_eq!(tally(store, "voting"), (8, 8, 3));
    assert_eq!(tally(store, "opening"), (0, 0, 0));

    let all = store
        .assessment_rows(&ReportFilter::default())
        .expect("rows");
    let row = |region: &str| {
        all.iter()
            .find(|r| r.region == region && r.form_id == "voting")
            .cloned()
            .expect("row")
    };
    let n = row("North");
    assert_eq!((n.checklists, n.assessed, n.negative), (6, 6, 2));
    assert_eq!((n.access_answered, n.restricted), (6, 0));
    let s = row("South");
    assert_eq!((s.checklists, s.negative, s.restricted), (2, 1, 1));
    assert_eq!(s.stage, Stage::Voting);

    // The window selects hours of observation: from inclusive, to exclusive.
    let morning = ReportFilter {
        to_hour: Some(at(9, 0)),
        ..ReportFilter::default()
    };
    let rows = store.assessment_rows(&morning).expect("rows");
    assert_eq!(rows.iter().map(|r| r.checklists).sum::<u64>(), 3);
    let south_only = ReportFilter {
        regions: Some(vec!["South".into()]),
        ..ReportFilter::default()
    };
    let rows = store.assessment_rows(&south_only).expect("rows");
    assert_eq!(rows.iter().map(|r| r.checklists).sum::<u64>(), 2);
    // A coordinator of several regions: each of them, no other.
    let regions = |names: &[&str]| ReportFilter {
        regions: Some(names.iter().map(|n| (*n).to_owned()).collect()),
        ..ReportFilter::default()
    };
    let checklists = |f: &ReportFilter| {
        store
            .assessment_rows(f)
            .expect("rows")
            .iter()
            .map(|r| r.checklists)
            .sum::<u64>()
    };
    assert_eq!(
        checklists(&regions(&["South", "North"])),
        checklists(&ReportFilter::default())
    );
    assert_eq!(checklists(&regions(&["South", "Atlantis"])), 2);
    assert_eq!(checklists(&regions(&["Atlantis"])), 0);
    let stations_in = |f: &ReportFilter| {
        store
            .coverage(f)
            .expect("coverage")
            .stations
            .iter()
            .map(|s| s.stations)
            .sum::<u64>()
    };
    assert_eq!(
        (
            stations_in(&regions(&["North"])),
            stations_in(&regions(&["North", "South"]))
        ),
        (3, 4)
    );

    let findings = store
        .finding_rows(&ReportFilter::default())
        .expect("findings");
    let stuffing_row = findings
        .iter()
        .find(|f| f.question_id == "box_stuffing")
        .expect("box stuffing");
    assert_eq!((stuffing_row.answered, stuffing_row.concern), (8, 1));

    let critical = store
        .critical_findings(&ReportFilter::default(), 10)
        .expect("critical");
    assert_eq!(critical.len(), 1);
    assert_eq!(critical[0].submission_id, stuffed);
    assert_eq!(critical[0].question_id, "box_stuffing");
    assert_eq!(critical[0].station.as_str(), "PEC-3");
    assert_eq!(critical[0].observed_at, at(9, 10));
    assert_eq!(critical[0].observer_name, "Team 2");
    assert!(
        store
            .critical_findings(
                &ReportFilter {
                    regions: Some(vec!["North".into()]),
                    ..ReportFilter::default()
                },
                10
            )
            .expect("critical")
            .is_empty()
    );

    let coverage = store.coverage(&ReportFilter::default()).expect("coverage");
    let mut on_list: Vec<_> = coverage
        .stations
        .iter()
        .map(|s| (s.region.as_str(), s.level, s.stations))
        .collect();
    on_list.sort_by_key(|s| format!("{s:?}"));
    assert_eq!(
        on_list,
        [
            ("North", StationLevel::Pec, 2),
            ("North", StationLevel::Tec, 1),
            ("South", StationLevel::Pec, 1)
        ]
    );
    let visited = |region: &str| {
        coverage
            .visits
            .iter()
            .filter(|v| v.region == region && v.stage == Stage::Voting)
            .map(|v| v.visited)
            .sum::<u64>()
    };
    assert_eq!((visited("North"), visited("South")), (2, 1));

    let arrivals = store.arrivals(&ReportFilter::default()).expect("arrivals");
    assert_eq!(
        arrivals
            .iter()
            .map(|a| (a.hour, a.stage, a.checklists))
            .collect::<Vec<_>>(),
        [(at(10, 0), Stage::Voting, 6), (at(11, 0), Stage::Voting, 2)]
    );

    // Silent teams: both delivered, so none is silent before 10:00; before noon both are.
    let (silent, total) = store.silent_observers(at(10, 0), None, 10).expect("silent");
    assert_eq!((silent.len(), total), (0, 0));
    let (silent, total) = store.silent_observers(at(12, 0), None, 1).expect("silent");
    assert_eq!(
        (silent.len(), total),
        (1, 2),
        "the limit caps the list, not the total"
    );
    let in_regions = |names: &[&str]| {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        store
            .silent_observers(at(12, 0), Some(&names), 10)
            .expect("silent")
            .1
    };
    assert_eq!(
        (in_regions(&["South", "North"]), in_regions(&["South"])),
        (2, 0)
    );
    assert_eq!(
        silent[0].last_received_at,
        Some(at(10, 5)),
        "the longest silent first"
    );
}

/// A rejection takes a checklist out of every figure and its critical findings; withdrawing
/// it brings them back; a new revision of a rejected checklist stays out.
pub fn review_flip(store: &dyn Store) {
    let w = World::new(store);
    let id = new_id();
    push(
        store,
        &w.observer,
        at(10, 0),
        vec![
            item(store, id, 1, stuffing("PEC-1", at(9, 0))),
            item(store, new_id(), 1, voting("PEC-2", "good", at(9, 0))),
        ],
    );
    let whole = ReportFilter::default();
    let before = figures(store, &whole);
    assert_eq!(tally(store, "voting"), (2, 2, 1));

    let review = |status: ReviewStatus| {
        store
            .review(NewReview {
                submission_id: id,
                status,
                comment: "seen".into(),
                reviewer_id: w.coordinator.id.clone(),
            })
            .expect("review")
            .expect("known")
    };
    let history = review(ReviewStatus::Rejected);
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].status, ReviewStatus::Rejected);
    assert_eq!(tally(store, "voting"), (1, 1, 0));
    assert!(
        store
            .critical_findings(&whole, 10)
            .expect("critical")
            .is_empty()
    );
    let summary = store.submission(id).expect("read").expect("stored").summary;
    assert_eq!(summary.review_status, ReviewStatus::Rejected);
    assert_eq!(summary.reviewed_revision, Some(1));

    // Rejected twice changes nothing more.
    review(ReviewStatus::Rejected);
    assert_eq!(tally(store, "voting"), (1, 1, 0));

    // A new revision of a rejected checklist stays out.
    let decided = push(
        store,
        &w.observer,
        at(10, 30),
        vec![item(store, id, 2, voting("PEC-1", "bad", at(9, 5)))],
    );
    assert_eq!(decided, [stored(Verdict::Accept)]);
    assert_eq!(tally(store, "voting"), (1, 1, 0));

    let history = review(ReviewStatus::Verified);
    assert_eq!(history.len(), 3);
    assert_eq!(history[2].revision, 2);
    assert_eq!(tally(store, "voting"), (2, 2, 1));
    // Back in, now with its second revision's answers: no critical finding any more.
    assert!(
        store
            .critical_findings(&whole, 10)
            .expect("critical")
            .is_empty()
    );
    assert_ne!(figures(store, &whole), before);

    // A review of nothing is refused, not invented.
    assert!(
        store
            .review(NewReview {
                submission_id: new_id(),
                status: ReviewStatus::Verified,
                comment: String::new(),
                reviewer_id: w.coordinator.id.clone(),
            })
            .expect("review")
            .is_none()
    );
}

/// Counting every checklist again from its stored answers gives the running totals exactly.
pub fn rebuild_matches_running_totals(store: &dyn Store) {
    let w = World::new(store);
    let edited = new_id();
    let rejected = new_id();
    push(
        store,
        &w.observer,
        at(9, 59),
        vec![
            item(store, edited, 1, voting("PEC-1", "good", at(8, 10))),
            item(store, rejected, 1, stuffing("PEC-2", at(8, 20))),
            item(store, new_id(), 1, voting("PEC-3", "bad", at(9, 30))),
        ],
    );
    push(
        store,
        &w.other,
        at(11, 0),
        vec![item(store, edited, 2, voting("PEC-1", "bad", at(8, 10)))],
    );
    push(
        store,
        &w.observer,
        at(12, 0),
        vec![item(
            store,
            edited,
            2,
            voting("PEC-2", "very_bad", at(10, 45)),
        )],
    );
    store
        .review(NewReview {
            submission_id: rejected,
            status: ReviewStatus::Rejected,
            comment: "duplicate visit".into(),
            reviewer_id: w.coordinator.id.clone(),
        })
        .expect("review");
    let filters = [
        ReportFilter::default(),
        ReportFilter {
            regions: Some(vec!["North".into()]),
            from_hour: Some(at(9, 0)),
            ..ReportFilter::default()
        },
    ];
    let running: Vec<Figures> = filters.iter().map(|f| figures(store, f)).collect();
    let counted = store.rebuild_tallies(&contribution).expect("rebuild");
    assert_eq!(counted, 2, "the rejected checklist is not counted");
    let recounted: Vec<Figures> = filters.iter().map(|f| figures(store, f)).collect();
    assert_eq!(running, recounted);
    assert_eq!(tally(store, "voting"), (2, 2, 2));
}

/// Three voting checklists from `w.observer`: stuffing at PEC-1 (urban), a good one at PEC-2
/// (rural), and `pec3` at PEC-3 (rural, special).
fn three_stations_voting(store: &dyn Store, w: &World, pec3: &str) {
    push(
        store,
        &w.observer,
        at(10, 0),
        vec![
            item(store, new_id(), 1, stuffing("PEC-1", at(9, 0))),
            item(store, new_id(), 1, voting("PEC-2", "good", at(9, 10))),
            item(store, new_id(), 1, voting("PEC-3", pec3, at(9, 20))),
        ],
    );
}

/// Reports filtered by the stations' area and kind, and stations counted once however many
/// teams assessed them; a station list that moves an observed station recounts the totals.
pub fn split_by_station_attributes(store: &dyn Store) {
    let w = World::new(store);
    assert!(!store.recount_pending().expect("pending"));
    three_stations_voting(store, &w, "very_bad");
    // A second team at PEC-2 saw it differently.
    push(
        store,
        &w.other,
        at(10, 5),
        vec![item(store, new_id(), 1, voting("PEC-2", "bad", at(9, 40)))],
    );
    let within = |area: Option<Area>, kind: Option<StationKind>| ReportFilter {
        area,
        kind,
        ..ReportFilter::default()
    };
    let totals = |filter: &ReportFilter| {
        store
            .assessment_rows(filter)
            .expect("rows")
            .iter()
            .fold((0, 0, 0), |(c, n, r), row| {
                (c + row.checklists, n + row.negative, r + row.restricted)
            })
    };
    assert_eq!(totals(&within(Some(Area::Urban), None)), (1, 1, 1));
    assert_eq!(totals(&within(Some(Area::Rural), None)), (3, 2, 0));
    assert_eq!(
        totals(&within(Some(Area::Rural), Some(StationKind::Regular))),
        (2, 1, 0)
    );
    assert_eq!(totals(&within(None, Some(StationKind::Special))), (1, 1, 0));
    assert_eq!(totals(&within(None, Some(StationKind::Abroad))), (0, 0, 0));

    let voting_visits = |filter: &ReportFilter| {
        let counts = store.coverage(filter).expect("coverage");
        let listed: u64 = counts
            .stations
            .iter()
            .filter(|s| s.level == StationLevel::Pec)
            .map(|s| s.stations)
            .sum();
        let (visited, assessed, negative) = counts
            .visits
            .iter()
            .filter(|v| v.stage == Stage::Voting)
            .fold((0, 0, 0), |(v, a, n), c| {
                (v + c.visited, a + c.assessed, n + c.negative)
            });
        (listed, visited, assessed, negative)
    };
    // Four checklists from three stations, three of the stations assessed negatively by
    // at least one team.
    assert_eq!(voting_visits(&ReportFilter::default()), (3, 3, 3, 3));
    assert_eq!(
        voting_visits(&within(Some(Area::Rural), None)),
        (2, 2, 2, 2)
    );
    assert_eq!(
        voting_visits(&within(None, Some(StationKind::Regular))),
        (2, 2, 2, 2)
    );

    let critical = store
        .critical_findings(&within(Some(Area::Rural), None), 10)
        .expect("critical");
    assert!(critical.is_empty(), "the stuffing was at an urban station");
    assert_eq!(
        store
            .critical_findings(&within(Some(Area::Urban), None), 10)
            .expect("critical")
            .len(),
        1
    );
    let arrivals: u64 = store
        .arrivals(&within(Some(Area::Rural), None))
        .expect("arrivals")
        .iter()
        .map(|a| a.checklists)
        .sum();
    assert_eq!(arrivals, 3);
    let listed = |area| {
        store
            .list_submissions(
                &SubmissionFilter {
                    area: Some(area),
                    ..SubmissionFilter::default()
                },
                1,
                50,
            )
            .expect("list")
    };
    let rural = listed(Area::Rural);
    assert_eq!(rural.total, 3);
    assert!(rural.items.iter().all(|s| s.area == Some(Area::Rural)));
    assert_eq!(
        rural
            .items
            .iter()
            .filter(|s| s.kind == StationKind::Special)
            .count(),
        1
    );

    // The list is corrected: PEC-1 was rural all along. Its checklist moves with it.
    let mut corrected = stations();
    corrected[0].area = Some(Area::Rural);
    let summary = store.import_stations(&corrected).expect("import");
    assert_eq!((summary.updated, summary.moved), (1, 1));
    assert!(store.recount_pending().expect("pending"));
    assert_eq!(store.rebuild_tallies(&contribution).expect("rebuild"), 4);
    assert!(!store.recount_pending().expect("pending"));
    assert_eq!(totals(&within(Some(Area::Urban), None)), (0, 0, 0));
    assert_eq!(totals(&within(Some(Area::Rural), None)), (4, 3, 1));
    assert_eq!(listed(Area::Rural).total, 4);
    // A change that moves no observed station asks for no recount.
    let mut renamed = corrected.clone();
    renamed[3].name = "Northern commission".into();
    renamed[3].area = Some(Area::Urban);
    let summary = store.import_stations(&renamed).expect("import");
    assert_eq!((summary.updated, summary.moved), (1, 0));
    assert!(!store.recount_pending().expect("pending"));
}

/// An upgrade that changes how totals are kept empties them and asks for a recount (a row
/// in `recount_pending`); the server's start recounts them before it serves. `sql` runs one
/// statement below the API, as the migration would.
pub fn upgrade_recounts_the_totals(store: &dyn Store, sql: &dyn Fn(&str)) {
    let w = World::new(store);
    three_stations_voting(store, &w, "bad");
    let filter = ReportFilter {
        area: Some(Area::Rural),
        ..ReportFilter::default()
    };
    let before = (
        figures(store, &ReportFilter::default()),
        figures(store, &filter),
    );
    for table in [
        "tally_assessments",
        "tally_findings",
        "station_visits",
        "tally_arrivals",
        "critical_findings",
    ] {
        sql(&format!("DELETE FROM {table}"));
    }
    sql("INSERT INTO recount_pending (reason) VALUES ('an upgrade')");
    assert!(store.recount_pending().expect("pending"));
    assert_ne!(figures(store, &ReportFilter::default()), before.0);
    eom_server::bootstrap(store).expect("start");
    assert!(!store.recount_pending().expect("pending"));
    let after = (
        figures(store, &ReportFilter::default()),
        figures(store, &filter),
    );
    assert_eq!(after, before);
}

/// A counting checklist with the protocol copied: `received` ballots, of which 1,100 are
/// accounted for (issued plus cancelled).
fn counting_with_protocol(
    station: &str,
    received: i64,
    observed: DateTime<Utc>,
) -> SubmissionContent {
    SubmissionContent {
        form_id: FormId::parse("counting").expect("id"),
        form_version: 1,
        station: StationCode::parse(station).expect("code"),
        observed_at: observed,
        answers: object(json!({
            "arrival_time": "20:00", "observers_unrestricted": true, "could_see": true,
            "unauthorized_present": false, "unused_cancelled_first": true,
            "signatures_counted": true, "seals_intact": true, "each_ballot_shown": true,
            "validity_consistent": true, "ballots_misattributed": false, "figures_in_ink": true,
            "protocol_completed": true, "protocol_presigned": false, "copy_to_observers": true,
            "protocol_posted": true, "protocol_copied": true, "voters_main_list": 1000,
            "voters_additional_list": 20, "ballots_received": received,
            "ballots_issued_station": 600, "ballots_issued_mobile": 20, "ballots_issued_early": 0,
            "ballots_cancelled": 480, "ballots_in_stationary_boxes": 600,
            "ballots_in_mobile_boxes": 20, "invalid_ballots": 10, "valid_ballots": 610,
            "votes_1": 400, "votes_2": 210, "overall": "good"
        })),
        notes: String::new(),
    }
}

/// The checklists whose protocol failed a check are found by the check (the stations a
/// coordinator calls); an edit that fixes the figures takes the checklist off the list.
pub fn checklists_by_failed_check(store: &dyn Store) {
    let w = World::new(store);
    let wrong = new_id();
    let also_wrong = new_id();
    push(
        store,
        &w.observer,
        at(21, 0),
        vec![
            item(
                store,
                wrong,
                1,
                counting_with_protocol("PEC-1", 1150, at(20, 0)),
            ),
            item(
                store,
                also_wrong,
                1,
                counting_with_protocol("PEC-3", 1160, at(20, 5)),
            ),
            item(
                store,
                new_id(),
                1,
                counting_with_protocol("PEC-2", 1100, at(20, 10)),
            ),
        ],
    );
    let failed = |check: &str| {
        let mut ids: Vec<SubmissionId> = store
            .list_submissions(
                &SubmissionFilter {
                    failed_check: Some(eom_server::rules::contribution::check_key(check)),
                    ..SubmissionFilter::default()
                },
                1,
                50,
            )
            .expect("list")
            .items
            .into_iter()
            .map(|s| s.id)
            .collect();
        ids.sort();
        ids
    };
    let mut expected = vec![wrong, also_wrong];
    expected.sort();
    assert_eq!(failed("received_accounted_for"), expected);
    assert!(failed("found_equals_valid_plus_invalid").is_empty());
    assert!(failed("no_such_check").is_empty());
    // Corrected on the laptop: revision 2 adds up.
    push(
        store,
        &w.observer,
        at(21, 30),
        vec![item(
            store,
            wrong,
            2,
            counting_with_protocol("PEC-1", 1100, at(20, 0)),
        )],
    );
    assert_eq!(failed("received_accounted_for"), vec![also_wrong]);
}

/// Latest revisions only, oldest first, filtered; the sink can stop early.
pub fn export_streams_latest_revisions(store: &dyn Store) {
    let w = World::new(store);
    let a = new_id();
    let b = new_id();
    push(
        store,
        &w.observer,
        at(10, 0),
        vec![item(store, a, 1, voting("PEC-1", "good", at(9, 0)))],
    );
    push(
        store,
        &w.other,
        at(10, 10),
        vec![item(store, b, 1, voting("PEC-3", "bad", at(9, 0)))],
    );
    let mut edited = voting("PEC-1", "bad", at(9, 15));
    edited.notes = "queue outside".into();
    push(
        store,
        &w.observer,
        at(10, 20),
        vec![item(store, a, 2, edited)],
    );

    let mut rows: Vec<ExportRow> = Vec::new();
    store
        .export(&SubmissionFilter::default(), &mut |r| {
            rows.push(r);
            true
        })
        .expect("export");
    assert_eq!(
        rows.iter().map(|r| r.summary.id).collect::<Vec<_>>(),
        [a, b]
    );
    assert_eq!(rows[0].summary.revision, 2);
    assert_eq!(rows[0].notes, "queue outside");
    assert_eq!(rows[0].answers["overall"], json!("bad"));
    assert_eq!(rows[0].summary.observer_name, "Team 1");

    let mut south = Vec::new();
    store
        .export(
            &SubmissionFilter {
                regions: Some(vec!["South".into()]),
                ..SubmissionFilter::default()
            },
            &mut |r| {
                south.push(r.summary.id);
                true
            },
        )
        .expect("export");
    assert_eq!(south, [b]);

    let mut seen = 0;
    store
        .export(&SubmissionFilter::default(), &mut |_| {
            seen += 1;
            false
        })
        .expect("export");
    assert_eq!(seen, 1, "the sink stops the export");
}

/// Listing: newest first, filtered, paged, with the total.
pub fn list_filters_and_pages(store: &dyn Store) {
    let w = World::new(store);
    let mut ids = Vec::new();
    for minute in 0..5 {
        let id = new_id();
        ids.push(id);
        push(
            store,
            &w.observer,
            at(10, minute),
            vec![item(store, id, 1, voting("PEC-1", "good", at(9, minute)))],
        );
    }
    let flagged = ids[1];
    store
        .review(NewReview {
            submission_id: flagged,
            status: ReviewStatus::Flagged,
            comment: "check".into(),
            reviewer_id: w.coordinator.id.clone(),
        })
        .expect("review");
    let page = store
        .list_submissions(&SubmissionFilter::default(), 1, 2)
        .expect("list");
    assert_eq!(page.total, 5);
    assert_eq!(
        page.items.iter().map(|s| s.id).collect::<Vec<_>>(),
        [ids[4], ids[3]]
    );
    let last = store
        .list_submissions(&SubmissionFilter::default(), 3, 2)
        .expect("list");
    assert_eq!(
        last.items.iter().map(|s| s.id).collect::<Vec<_>>(),
        [ids[0]]
    );
    let only_flagged = store
        .list_submissions(
            &SubmissionFilter {
                review: Some(ReviewStatus::Flagged),
                ..SubmissionFilter::default()
            },
            1,
            50,
        )
        .expect("list");
    assert_eq!(only_flagged.items.len(), 1);
    assert_eq!(only_flagged.items[0].id, flagged);
    let none = store
        .list_submissions(
            &SubmissionFilter {
                observer: Some(w.other.id.clone()),
                ..SubmissionFilter::default()
            },
            1,
            50,
        )
        .expect("list");
    assert_eq!(none.total, 0);
}

/// Accounts, tokens and dashboard sessions.
pub fn accounts_and_sessions(store: &dyn Store) {
    let w = World::new(store);
    let found = store
        .account_by_token_hash("hash-1")
        .expect("lookup")
        .expect("known");
    assert_eq!(found, w.observer);
    assert!(
        store
            .account_by_token_hash("nope")
            .expect("lookup")
            .is_none()
    );
    assert_eq!(store.list_accounts().expect("list").len(), 3);

    let tomorrow = Utc::now() + Duration::hours(12);
    store
        .create_session("session-1", &w.coordinator.id, tomorrow)
        .expect("session");
    store
        .create_session("old", &w.coordinator.id, Utc::now() - Duration::seconds(1))
        .expect("session");
    assert_eq!(
        store.session_account("session-1").expect("read"),
        Some(w.coordinator.clone())
    );
    assert_eq!(store.session_account("old").expect("read"), None, "expired");
    store.end_session("session-1").expect("end");
    assert_eq!(store.session_account("session-1").expect("read"), None);

    // A new token ends the account's sessions; the old token stops working.
    store
        .create_session("session-2", &w.coordinator.id, tomorrow)
        .expect("session");
    assert!(
        store
            .set_token_hash(&w.coordinator.id, "hash-new", "operator")
            .expect("set")
    );
    assert_eq!(store.session_account("session-2").expect("read"), None);
    assert!(
        store
            .account_by_token_hash("hash-c")
            .expect("lookup")
            .is_none()
    );
    assert!(
        !store
            .set_token_hash("no-such-account", "x", "operator")
            .expect("set")
    );
}

/// The receipt key is made once: whoever stores first wins, and every later caller (another
/// instance starting at the same moment) gets that same key.
pub fn server_keys_are_made_once(store: &dyn Store) {
    let first = store.server_key("receipts", "aa").expect("store");
    assert_eq!(first, "aa");
    assert_eq!(store.server_key("receipts", "bb").expect("read"), "aa");
    assert_eq!(store.server_key("other", "cc").expect("store"), "cc");
}

/// An enrolment code gives its account a new token once; a used, expired or unknown code
/// gives nothing and changes nothing.
pub fn enrolment_codes_work_once(store: &dyn Store) {
    let w = World::new(store);
    let soon = Utc::now() + Duration::minutes(30);
    store
        .create_enrolment_code("code-1", &w.observer.id, soon)
        .expect("code");
    store
        .create_enrolment_code(
            "code-old",
            &w.observer.id,
            Utc::now() - Duration::seconds(1),
        )
        .expect("code");
    let enrolled = store
        .redeem_enrolment_code("code-1", "hash-enrolled")
        .expect("redeem");
    assert_eq!(enrolled, Some(w.observer.clone()));
    assert_eq!(
        store
            .account_by_token_hash("hash-enrolled")
            .expect("lookup"),
        Some(w.observer.clone())
    );
    for code in ["code-1", "code-old", "code-unknown"] {
        assert_eq!(
            store
                .redeem_enrolment_code(code, "hash-again")
                .expect("redeem"),
            None,
            "{code}"
        );
    }
    assert!(
        store
            .account_by_token_hash("hash-again")
            .expect("lookup")
            .is_none()
    );
}

/// Forms: installing is idempotent per (id, version); the newest version is current.
pub fn forms_are_versioned(store: &dyn Store) {
    let _ = World::new(store);
    let forms = eom_shared::default_forms::default_forms().expect("forms");
    assert_eq!(store.install_forms(&forms).expect("install"), 0);
    let mut v2 = forms[0].clone();
    v2.version = 2;
    assert_eq!(store.install_forms(&[v2.clone()]).expect("install"), 1);
    let latest = store.latest_forms().expect("latest");
    assert_eq!(latest.len(), forms.len());
    assert!(latest.iter().any(|f| f.id == v2.id && f.version == 2));
    assert_eq!(
        store.form(&v2.id, 1).expect("read").map(|f| f.version),
        Some(1)
    );
    assert_eq!(
        store.regions().expect("regions"),
        ["North".to_owned(), "South".to_owned()]
    );
}

// ---------------------------------------------------------------------------------------------
// Checks that take two stores.

/// A day with everything a migration must carry: edits, a late older revision, a conflict,
/// a rejection and a flag, two observers and a coordinator.
fn eventful_day(store: &dyn Store, w: &World) -> (SubmissionId, SubmissionId) {
    let edited = new_id();
    let rejected = new_id();
    push(
        store,
        &w.observer,
        at(10, 0),
        vec![
            item(store, edited, 1, voting("PEC-1", "good", at(9, 0))),
            item(store, rejected, 1, stuffing("PEC-2", at(9, 10))),
            item(store, new_id(), 1, voting("PEC-3", "bad", at(9, 20))),
        ],
    );
    push(
        store,
        &w.observer,
        at(10, 30),
        vec![
            item(store, edited, 3, voting("PEC-1", "very_bad", at(9, 40))),
            item(store, edited, 2, voting("PEC-1", "bad", at(9, 30))),
        ],
    );
    push(
        store,
        &w.other,
        at(11, 0),
        vec![
            item(store, edited, 3, voting("PEC-2", "good", at(9, 50))),
            item(store, new_id(), 1, stuffing("PEC-3", at(10, 50))),
        ],
    );
    for (id, status) in [
        (rejected, ReviewStatus::Rejected),
        (edited, ReviewStatus::Flagged),
    ] {
        store
            .review(NewReview {
                submission_id: id,
                status,
                comment: "see the notes".into(),
                reviewer_id: w.coordinator.id.clone(),
            })
            .expect("review");
    }
    (edited, rejected)
}

/// A mission moved to another database keeps every account and token, form, station,
/// revision, conflict, review, the pull cursor, and every report.
pub fn migration_keeps_everything(from: &dyn Store, to: &dyn Store) {
    let w = World::new(from);
    let (edited, rejected) = eventful_day(from, &w);
    let key = from.server_key("receipts", "ab").expect("key");
    // The core team's follow-up: a message read by one team, a call, a laptop's version.
    let message = uuid::Uuid::now_v7();
    from.create_message(&NewMessage {
        id: message,
        author_id: w.coordinator.id.clone(),
        audience: Audience::Region("North".into()),
        body: "Call in after the count".into(),
        sent_at: at(16, 0),
    })
    .expect("message");
    from.mark_messages_read(&w.observer.id, &[message], at(16, 5))
        .expect("read");
    from.record_call(&NewCall {
        id: uuid::Uuid::now_v7(),
        team_id: w.other.id.clone(),
        caller_id: w.coordinator.id.clone(),
        at: at(17, 0),
        outcome: CallOutcome::NoAnswer,
        note: "Will try again".into(),
    })
    .expect("call");
    from.note_client_version(&w.observer.id, "0.1.0")
        .expect("version");
    let figure = |line: &str, value| eom_server::store::OfficialFigure {
        station: "PEC-1".into(),
        contest: "party-list".into(),
        line: line.into(),
        value,
    };
    from.import_results(
        "results.csv",
        Some(at(23, 0)),
        at(23, 5),
        &[figure("valid_ballots", 610)],
    )
    .expect("results");
    from.import_results(
        "corrected.csv",
        None,
        at(23, 30),
        &[figure("valid_ballots", 600), figure("votes.amanat", 400)],
    )
    .expect("corrected");
    let bytes = photo(300_000, 7);
    let sha = eom_shared::sha256_hex(&bytes);
    let upload = eom_server::store::ChunkUpload {
        observer_id: &w.observer.id,
        submission_id: edited,
        sha256: &sha,
        size: bytes.len() as u64,
        mime: "image/jpeg",
        name: "protocol.jpg",
        offset: 0,
        bytes: &bytes,
        at: at(21, 0),
    };
    from.upload_chunk(&upload).expect("photo");
    let moved = eom_server::transfer::migrate(from, to).expect("migrate");
    assert_eq!(
        (
            moved.messages,
            moved.calls,
            moved.official_figures,
            moved.attachments
        ),
        (1, 1, 3, 1)
    );
    assert_eq!(
        from.attachments(edited).expect("list"),
        to.attachments(edited).expect("moved")
    );
    assert_eq!(
        to.attachment(edited, &sha).expect("read").map(|(_, b)| b),
        Some(bytes)
    );
    assert_eq!(
        from.official_results().expect("results"),
        to.official_results().expect("moved")
    );
    assert_eq!(
        from.sent_messages(10).expect("sent"),
        to.sent_messages(10).expect("moved")
    );
    assert_eq!(
        from.inbox(&w.observer.id, 10).expect("inbox"),
        to.inbox(&w.observer.id, 10).expect("moved")
    );
    assert_eq!(
        from.teams(None).expect("teams"),
        to.teams(None).expect("moved")
    );
    assert_eq!(
        from.calls(&w.other.id).expect("calls"),
        to.calls(&w.other.id).expect("moved")
    );
    // Receipts issued before the move still check out: the key moved with the mission.
    assert_eq!(to.server_key("receipts", "cd").expect("key"), key);
    // And the audit log moved whole: it verifies against the moved rows.
    let before = eom_server::audit::verify(from)
        .expect("read")
        .expect("intact");
    let after = eom_server::audit::verify(to)
        .expect("read")
        .expect("intact after the move");
    assert_eq!(before, after);
    assert_eq!(
        (
            moved.accounts,
            moved.forms,
            moved.stations,
            moved.checklists
        ),
        (3, 5, 4, 4)
    );
    assert_eq!((moved.revisions, moved.conflicts, moved.reviews), (6, 1, 2));

    for filter in [
        ReportFilter::default(),
        ReportFilter {
            regions: Some(vec!["South".into()]),
            from_hour: Some(at(10, 0)),
            ..ReportFilter::default()
        },
    ] {
        assert_eq!(figures(from, &filter), figures(to, &filter));
    }
    for id in [edited, rejected] {
        let (a, b) = (
            from.submission(id).expect("read").expect("there"),
            to.submission(id).expect("read").expect("moved"),
        );
        assert_eq!(a.summary, b.summary);
        assert_eq!(a.revisions, b.revisions);
        assert_eq!(a.conflicts, b.conflicts);
        assert_eq!(a.reviews, b.reviews);
    }
    // Laptops and coordinators keep their tokens; laptops keep their cursors.
    assert_eq!(
        to.account_by_token_hash("hash-1").expect("lookup"),
        Some(w.observer.clone())
    );
    let (a, b) = (
        from.catalog_changes(0, &w.observer.id).expect("pull"),
        to.catalog_changes(0, &w.observer.id).expect("pull"),
    );
    assert_eq!(a.cursor, b.cursor);
    assert_eq!(a.feedback, b.feedback);
    assert_eq!(a.stations, b.stations);
    // And the moved mission goes on: a retry is a duplicate, an edit is accepted.
    let retry = item(to, edited, 3, voting("PEC-1", "very_bad", at(9, 40)));
    let edit = item(to, edited, 4, voting("PEC-1", "good", at(9, 45)));
    assert_eq!(
        push(to, &w.observer, at(12, 0), vec![retry, edit]),
        [stored(Verdict::Duplicate), stored(Verdict::Accept)]
    );

    // A second migration into a database that holds a mission is refused.
    assert!(eom_server::transfer::migrate(from, to).is_err());
}

/// Two server instances on one database (`a` and `b`): the same checklist pushed through
/// both at the same moment is stored once, one `accepted` and one `duplicate`; checklists
/// pushed through both at once are all counted.
pub fn concurrent_instances(a: &dyn Store, b: &dyn Store) {
    let w = World::new(a);
    for round in 0..12 {
        let id = new_id();
        let content = voting("PEC-1", "bad", at(9, round));
        let (first, second) = (item(a, id, 1, content.clone()), item(b, id, 1, content));
        let barrier = std::sync::Barrier::new(2);
        let (x, y) = std::thread::scope(|s| {
            let x = s.spawn(|| {
                barrier.wait();
                push(a, &w.observer, at(10, round), vec![first])
            });
            let y = s.spawn(|| {
                barrier.wait();
                push(b, &w.observer, at(10, round), vec![second])
            });
            (x.join().expect("instance a"), y.join().expect("instance b"))
        });
        let mut outcomes = [x[0].clone(), y[0].clone()];
        outcomes.sort_by_key(|d| format!("{d:?}"));
        assert_eq!(
            outcomes,
            [stored(Verdict::Accept), stored(Verdict::Duplicate)],
            "round {round}"
        );
    }
    // Many writers at once, through both instances, onto the same totals.
    std::thread::scope(|s| {
        for writer in 0..4u32 {
            let store = if writer % 2 == 0 { a } else { b };
            let observer = if writer < 2 { &w.observer } else { &w.other };
            s.spawn(move || {
                for group in 0..10u32 {
                    let items = (0..10u32)
                        .map(|i| {
                            let overall = if i % 3 == 0 { "bad" } else { "good" };
                            let station = ["PEC-1", "PEC-2", "PEC-3"][(i % 3) as usize];
                            item(store, new_id(), 1, voting(station, overall, at(11, group)))
                        })
                        .collect();
                    push(store, observer, at(12, writer), items);
                }
            });
        }
    });
    let running = figures(a, &ReportFilter::default());
    assert_eq!(figures(b, &ReportFilter::default()), running);
    assert_eq!(tally(a, "voting"), (12 + 400, 12 + 400, 12 + 160));
    a.rebuild_tallies(&contribution).expect("rebuild");
    assert_eq!(figures(b, &ReportFilter::default()), running);
}

/// Stores one checklist, then lets `damage` break its stored stage below the API (as a bad
/// restore or a hand edit would): reading it must be an error that says so, never a default.
pub fn corrupt_rows_are_errors(store: &dyn Store, damage: &dyn Fn(&str)) {
    let w = World::new(store);
    let id = new_id();
    push(
        store,
        &w.observer,
        at(10, 0),
        vec![item(store, id, 1, voting("PEC-1", "good", at(9, 0)))],
    );
    damage(&id.to_string());
    match store.submission(id) {
        Err(eom_server::store::StoreError::Corrupt(what)) => {
            assert!(what.contains("stage"), "the error names the column: {what}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(matches!(
        store.list_submissions(&SubmissionFilter::default(), 1, 50),
        Err(eom_server::store::StoreError::Corrupt(_))
    ));
}

/// The audit log records every write, and `audit verify` catches a stored revision, review
/// or account edited or deleted below the API, an entry edited, and a row slipped in. `sql`
/// runs raw SQL on the backend's database (`$ID` is the checklist id); each damage is undone
/// before the next.
pub fn audit_log_catches_tampering(store: &dyn Store, sql: &dyn Fn(&str)) {
    use eom_server::audit::{Tampering, verify};
    let w = World::new(store);
    let (edited, rejected) = eventful_day(store, &w);
    let _ = rejected;
    let figure = |line: &str, value| eom_server::store::OfficialFigure {
        station: "PEC-1".into(),
        contest: "party-list".into(),
        line: line.into(),
        value,
    };
    store
        .import_results(
            "results.csv",
            None,
            at(23, 0),
            &[figure("votes.amanat", 400), figure("valid_ballots", 610)],
        )
        .expect("results");
    let intact = verify(store)
        .expect("read")
        .expect("an untouched log verifies");
    assert!(intact.entries >= 10, "{intact:?}");
    let mut actions = std::collections::BTreeSet::new();
    store
        .read_audit(
            &mut |e| {
                actions.insert(e.action);
                Ok(())
            },
            &mut |_, _| Ok(()),
        )
        .expect("read");
    for action in [
        "account", "forms", "stations", "revision", "conflict", "review", "results",
    ] {
        assert!(actions.contains(action), "no {action} entry: {actions:?}");
    }

    let id = edited.to_string();
    // Each damage appends an 'x' to a stored value; the undo takes it off again.
    let check = |table: &str, column: &str, row: &str, expected: &dyn Fn(&Tampering) -> bool| {
        let row = row.replace("$ID", &id);
        sql(&format!(
            "UPDATE {table} SET {column} = {column} || 'x' WHERE {row}"
        ));
        let found = verify(store).expect("read");
        sql(&format!(
            "UPDATE {table} SET {column} = substr({column}, 1, length({column}) - 1) WHERE {row}"
        ));
        match found {
            Err(t) if expected(&t) => {}
            other => panic!("after changing {table}.{column}: {other:?}"),
        }
        assert!(
            verify(store).expect("read").is_ok(),
            "undone: {table}.{column}"
        );
    };
    check(
        "revisions",
        "content_hash",
        "submission_id = '$ID' AND revision = 2",
        &|t| matches!(t, Tampering::ChangedRow { subject, .. } if subject == &format!("revision:{id}:2")),
    );
    check(
        "reviews",
        "comment",
        "submission_id = '$ID'",
        &|t| matches!(t, Tampering::ChangedRow { subject, .. } if subject.starts_with("review:")),
    );
    check(
        "accounts",
        "token_hash",
        "role = 'coordinator'",
        &|t| matches!(t, Tampering::ChangedRow { subject, .. } if subject.starts_with("account:")),
    );
    // A published figure changed behind the server's back (a discrepancy hidden).
    sql("UPDATE official_results SET value = value + 1 WHERE line = 'valid_ballots'");
    match verify(store).expect("read") {
        Err(Tampering::ChangedRow { subject, .. }) if subject == "results:1:results.csv" => {}
        other => panic!("after changing a published figure: {other:?}"),
    }
    sql("UPDATE official_results SET value = value - 1 WHERE line = 'valid_ballots'");
    assert!(
        verify(store).expect("read").is_ok(),
        "undone: official_results"
    );
    check("audit_log", "actor", "seq = 3", &|t| {
        matches!(t, Tampering::EditedEntry { seq: 3 })
    });
    // Deleting a revision row: the entry that recorded it says so.
    sql(&format!(
        "DELETE FROM revisions WHERE submission_id = '{id}' AND revision = 1"
    ));
    match verify(store).expect("read") {
        Err(Tampering::DeletedRow { subject, .. }) => {
            assert_eq!(subject, format!("revision:{id}:1"));
        }
        other => panic!("after deleting a revision: {other:?}"),
    }
    // Deleting an entry breaks the chain there.
    sql("DELETE FROM audit_log WHERE seq = 2");
    assert_eq!(
        verify(store).expect("read"),
        Err(Tampering::BrokenChain {
            seq: 3,
            previous: 1
        })
    );
}

/// The alert outbox: a channel's first use skips the findings already there; each later
/// critical finding is claimed once, leased, retried after a failure, and never again once
/// sent, through revisions and recounts; a rejected checklist's finding is dropped; two
/// channels are independent.
pub fn alert_outbox(store: &dyn Store) {
    let w = World::new(store);
    let morning = new_id();
    push(
        store,
        &w.observer,
        at(9, 0),
        vec![item(store, morning, 1, stuffing("PEC-1", at(8, 30)))],
    );
    let claim = |channel: &str, now: DateTime<Utc>| {
        store
            .claim_alerts(channel, now, now + Duration::seconds(45), 10)
            .expect("claim")
            .into_iter()
            .map(|a| (a.finding.submission_id, a.finding.question_id, a.attempts))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        claim("hook", at(10, 0)),
        [],
        "findings before the channel are not replayed"
    );

    let noon = new_id();
    push(
        store,
        &w.other,
        at(12, 0),
        vec![item(store, noon, 1, stuffing("PEC-2", at(11, 50)))],
    );
    let first = store
        .claim_alerts("hook", at(12, 0), at(12, 0) + Duration::seconds(45), 10)
        .expect("claim");
    assert_eq!(first.len(), 1, "one new critical finding: {first:?}");
    let alert = &first[0];
    assert_eq!(alert.finding.submission_id, noon);
    assert_eq!(alert.finding.question_id, "box_stuffing");
    assert_eq!(alert.finding.station.as_str(), "PEC-2");
    assert_eq!(alert.finding.observer_name, "Team 2");
    assert_eq!(alert.station_name, "Station PEC-2");
    assert_eq!(alert.attempts, 0);
    // Leased: not claimed again until the lease ends, by this instance or another.
    assert_eq!(claim("hook", at(12, 0) + Duration::seconds(30)), []);
    assert_eq!(
        claim("hook", at(12, 1)),
        [(noon, "box_stuffing".to_owned(), 0)],
        "a lease that ran out (the sender died) makes it due again"
    );
    store
        .finish_alert(
            "hook",
            noon,
            "box_stuffing",
            &AlertOutcome::Failed {
                error: "503".into(),
                retry_at: at(12, 5),
            },
            at(12, 1),
        )
        .expect("failed");
    assert_eq!(claim("hook", at(12, 4)), [], "waits for its retry time");
    assert_eq!(
        claim("hook", at(12, 5)),
        [(noon, "box_stuffing".to_owned(), 1)]
    );
    store
        .finish_alert("hook", noon, "box_stuffing", &AlertOutcome::Sent, at(12, 5))
        .expect("sent");
    // A second revision that keeps the finding, and a recount, announce nothing again.
    push(
        store,
        &w.other,
        at(12, 30),
        vec![item(store, noon, 2, stuffing("PEC-2", at(11, 55)))],
    );
    store.rebuild_tallies(&contribution).expect("recount");
    assert_eq!(claim("hook", at(13, 0)), []);
    // Another channel is first used now: everything there predates it.
    assert_eq!(claim("mail", at(13, 0)), []);

    // A finding whose checklist is rejected before it went out is not sent.
    let doubtful = new_id();
    push(
        store,
        &w.observer,
        at(14, 0),
        vec![item(store, doubtful, 1, stuffing("PEC-3", at(13, 50)))],
    );
    store
        .claim_alerts("hook", at(14, 0), at(14, 0), 10)
        .expect("queued and claimed with a lease that ends at once");
    store
        .review(NewReview {
            submission_id: doubtful,
            status: ReviewStatus::Rejected,
            comment: "test entry".into(),
            reviewer_id: w.coordinator.id.clone(),
        })
        .expect("review")
        .expect("known");
    assert_eq!(claim("hook", at(14, 1)), []);
    assert_eq!(
        claim("mail", at(14, 1)),
        [],
        "nor queued for a channel that had not seen it"
    );
}

/// Messages reach every team, a region's teams or one team, and nobody else; reads are
/// recorded once, only by teams the message is for; coordinators see recipients and readers.
pub fn messages_reach_their_audience(store: &dyn Store) {
    let w = World::new(store);
    let south = store
        .create_account(NewAccount {
            region: Some("South".into()),
            ..account("Team 3", Role::Observer, "hash-3")
        })
        .expect("south team");
    let send = |audience: Audience, body: &str, minute: u32| {
        let id = uuid::Uuid::now_v7();
        store
            .create_message(&NewMessage {
                id,
                author_id: w.coordinator.id.clone(),
                audience,
                body: body.into(),
                sent_at: at(10, minute),
            })
            .expect("message");
        id
    };
    let everyone = send(Audience::All, "Polls close at 20:00", 0);
    let north = send(Audience::Region("North".into()), "North: call in", 1);
    let one = send(Audience::Team(w.other.id.clone()), "Team 2: go to PEC-2", 2);
    let inbox = |a: &Account| {
        store
            .inbox(&a.id, 100)
            .expect("inbox")
            .into_iter()
            .map(|m| (m.id, m.from, m.body))
            .collect::<Vec<_>>()
    };
    let of = |id, body: &str| (id, "Core".to_owned(), body.to_owned());
    assert_eq!(
        inbox(&w.observer),
        [
            of(north, "North: call in"),
            of(everyone, "Polls close at 20:00")
        ],
        "newest first"
    );
    assert_eq!(
        inbox(&w.other),
        [
            of(one, "Team 2: go to PEC-2"),
            of(north, "North: call in"),
            of(everyone, "Polls close at 20:00")
        ]
    );
    assert_eq!(inbox(&south), [of(everyone, "Polls close at 20:00")]);
    assert_eq!(store.inbox(&w.other.id, 1).expect("inbox").len(), 1);

    assert_eq!(
        store
            .mark_messages_read(
                &w.observer.id,
                &[one, north, uuid::Uuid::now_v7()],
                at(11, 0)
            )
            .expect("read"),
        1,
        "only a message addressed to the team is marked"
    );
    assert_eq!(
        store
            .mark_messages_read(&w.observer.id, &[north], at(11, 5))
            .expect("read again"),
        0
    );
    store
        .mark_messages_read(&south.id, &[everyone], at(11, 2))
        .expect("read");

    let sent = store.sent_messages(100).expect("sent");
    let shown: Vec<_> = sent
        .iter()
        .map(|m| (m.id, m.audience.clone(), m.recipients, m.read_by.clone()))
        .collect();
    assert_eq!(
        shown,
        [
            (one, Audience::Team(w.other.id.clone()), 1, vec![]),
            (
                north,
                Audience::Region("North".into()),
                2,
                vec![("Team 1".to_owned(), at(11, 0))]
            ),
            (
                everyone,
                Audience::All,
                3,
                vec![("Team 3".to_owned(), at(11, 2))]
            ),
        ]
    );
    assert_eq!(
        sent[0].team,
        Some(("Team 2".to_owned(), Some("North".to_owned())))
    );
    assert_eq!(sent[0].from, "Core");
    assert_eq!(store.sent_messages(1).expect("sent").len(), 1);
}

/// The team import stores teams with contacts and working codes in one go; the team list
/// counts each team's checklists and keeps its last call; calls are logged per team.
pub fn teams_and_calls(store: &dyn Store) {
    let w = World::new(store);
    let new_team = |name: &str, phone: &str, stations: &[&str], code: &str| NewTeam {
        account: NewAccount {
            region: Some("South".into()),
            ..account(name, Role::Observer, &format!("hash-{name}"))
        },
        phone: phone.into(),
        stations: stations.iter().map(|s| (*s).to_owned()).collect(),
        code_hash: format!("code-{code}"),
        code_expires_at: Utc::now() + Duration::days(1),
    };
    let made = store
        .import_teams(vec![
            new_team("Team S1", "+7 700 000 00 01", &["PEC-3"], "a"),
            new_team("Team S2", "", &[], "b"),
        ])
        .expect("import");
    assert_eq!(made.len(), 2);
    assert_eq!(made[0].name, "Team S1");
    assert_eq!(made[0].only_region().as_deref(), Some("South"));
    let redeemed = store
        .redeem_enrolment_code("code-a", "new-token-a")
        .expect("redeem")
        .expect("the imported code works");
    assert_eq!(redeemed.id, made[0].id);

    push(
        store,
        &w.observer,
        at(10, 0),
        vec![
            item(store, new_id(), 1, voting("PEC-1", "good", at(9, 0))),
            item(store, new_id(), 1, voting("PEC-2", "good", at(9, 30))),
        ],
    );
    let call = |team: &str, minute: u32, outcome: CallOutcome, note: &str| {
        store
            .record_call(&NewCall {
                id: uuid::Uuid::now_v7(),
                team_id: team.to_owned(),
                caller_id: w.coordinator.id.clone(),
                at: at(12, minute),
                outcome,
                note: note.into(),
            })
            .expect("call")
    };
    assert!(call(&made[1].id, 0, CallOutcome::NoAnswer, ""));
    assert!(call(
        &made[1].id,
        20,
        CallOutcome::Problem,
        "Denied entry at PEC-3"
    ));
    assert!(
        !call(&w.coordinator.id, 5, CallOutcome::Reached, ""),
        "not a team"
    );
    assert!(!call("no-such-account", 5, CallOutcome::Reached, ""));

    let some = store
        .teams(Some(&[made[1].id.clone(), w.coordinator.id.clone()]))
        .expect("some teams");
    assert_eq!(some.len(), 1, "only observer teams, only those asked for");
    assert_eq!(some[0].account.name, "Team S2");
    assert!(some[0].last_call.is_some());
    let teams = store.teams(None).expect("teams");
    let shown: Vec<_> = teams
        .iter()
        .map(|t| {
            (
                t.account.name.as_str(),
                t.phone.as_str(),
                t.stations.clone(),
                t.checklists,
                t.last_received_at,
                t.last_call
                    .as_ref()
                    .map(|c| (c.outcome, c.note.clone(), c.at)),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("Team 1", "", vec![], 2, Some(at(10, 0)), None),
            ("Team 2", "", vec![], 0, None, None),
            (
                "Team S1",
                "+7 700 000 00 01",
                vec!["PEC-3".to_owned()],
                0,
                None,
                None
            ),
            (
                "Team S2",
                "",
                vec![],
                0,
                None,
                Some((
                    CallOutcome::Problem,
                    "Denied entry at PEC-3".to_owned(),
                    at(12, 20)
                ))
            ),
        ]
    );
    store
        .note_client_version(&made[0].id, "0.2.0")
        .expect("version");
    store
        .note_client_version(&w.observer.id, "0.1.9")
        .expect("a version for a team not imported");
    let versions: Vec<String> = store
        .teams(None)
        .expect("teams")
        .into_iter()
        .map(|t| t.client_version)
        .collect();
    assert_eq!(versions, ["0.1.9", "", "0.2.0", ""]);
    let log = store.calls(&made[1].id).expect("calls");
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].outcome, CallOutcome::Problem, "latest first");
    assert_eq!(log[1].outcome, CallOutcome::NoAnswer);
    assert_eq!(log[0].caller, "Core");
    assert!(store.calls(&made[0].id).expect("calls").is_empty());
}

/// A search matches a checklist by its station, its team or its region; an empty match
/// finds nothing; the export takes the same filter.
pub fn search_by_station_team_or_region(store: &dyn Store) {
    let w = World::new(store);
    let (north1, north2, south) = (new_id(), new_id(), new_id());
    push(
        store,
        &w.observer,
        at(10, 0),
        vec![
            item(store, north1, 1, voting("PEC-1", "good", at(9, 0))),
            item(store, south, 1, voting("PEC-3", "good", at(9, 5))),
        ],
    );
    push(
        store,
        &w.other,
        at(10, 5),
        vec![item(store, north2, 1, voting("PEC-2", "bad", at(9, 10)))],
    );
    let found = |hits: SearchHits| {
        let filter = SubmissionFilter {
            search: Some(hits),
            ..SubmissionFilter::default()
        };
        let mut listed: Vec<SubmissionId> = store
            .list_submissions(&filter, 1, 50)
            .expect("list")
            .items
            .iter()
            .map(|s| s.id)
            .collect();
        listed.sort();
        let mut exported = Vec::new();
        store
            .export(&filter, &mut |row| {
                exported.push(row.summary.id);
                true
            })
            .expect("export");
        exported.sort();
        assert_eq!(listed, exported, "the listing and the export agree");
        listed
    };
    let sorted = |mut v: Vec<SubmissionId>| {
        v.sort();
        v
    };
    let hits = |stations: &[&str], observers: &[&str], regions: &[&str]| SearchHits {
        stations: stations.iter().map(|s| (*s).to_owned()).collect(),
        observers: observers.iter().map(|s| (*s).to_owned()).collect(),
        regions: regions.iter().map(|s| (*s).to_owned()).collect(),
    };
    assert_eq!(found(hits(&["PEC-3"], &[], &[])), [south]);
    assert_eq!(found(hits(&[], &[&w.other.id], &[])), [north2]);
    assert_eq!(
        found(hits(&[], &[], &["North"])),
        sorted(vec![north1, north2])
    );
    assert_eq!(
        found(hits(&["PEC-3"], &[&w.other.id], &[])),
        sorted(vec![south, north2]),
        "any of them"
    );
    assert_eq!(found(hits(&[], &[], &[])), []);
}

/// The map's stations (those with coordinates) with what was observed there, and the
/// checklists and negative assessments per hour of observation, within the filters.
pub fn map_and_hours(store: &dyn Store) {
    let w = World::new(store);
    let mut placed = stations();
    placed[0].coordinates = Some(eom_shared::station::Coordinates {
        latitude: 43.25,
        longitude: 76.9,
    });
    placed[1].coordinates = Some(eom_shared::station::Coordinates {
        latitude: 51.1,
        longitude: 71.4,
    });
    store.import_stations(&placed).expect("coordinates");
    push(
        store,
        &w.observer,
        at(12, 0),
        vec![
            item(store, new_id(), 1, voting("PEC-1", "good", at(9, 0))),
            item(store, new_id(), 1, stuffing("PEC-1", at(9, 30))),
            item(store, new_id(), 1, voting("PEC-3", "bad", at(11, 0))),
        ],
    );
    let marks = |filter: &ReportFilter| {
        store
            .station_marks(filter)
            .expect("marks")
            .into_iter()
            .map(|m| (m.code, m.region, m.checklists, m.negative))
            .collect::<Vec<_>>()
    };
    let whole = ReportFilter::default();
    assert_eq!(
        marks(&whole),
        [
            ("PEC-1".to_owned(), "North".to_owned(), 2, 1),
            ("PEC-2".to_owned(), "North".to_owned(), 0, 0),
        ],
        "only stations with coordinates; one not observed"
    );
    let first = store.station_marks(&whole).expect("marks");
    assert_eq!((first[0].latitude, first[0].longitude), (43.25, 76.9));
    assert_eq!(first[0].name, "Station PEC-1");
    let later = ReportFilter {
        from_hour: Some(at(10, 0)),
        ..ReportFilter::default()
    };
    assert_eq!(
        marks(&later),
        [
            ("PEC-1".to_owned(), "North".to_owned(), 0, 0),
            ("PEC-2".to_owned(), "North".to_owned(), 0, 0),
        ]
    );
    let south = ReportFilter {
        regions: Some(vec!["South".into()]),
        ..ReportFilter::default()
    };
    assert_eq!(marks(&south), []);

    let hours = |filter: &ReportFilter| {
        store
            .observed_hours(filter)
            .expect("hours")
            .into_iter()
            .map(|h| (h.hour, h.stage, h.checklists, h.negative))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        hours(&whole),
        [
            (at(9, 0), Stage::Voting, 2, 1),
            (at(11, 0), Stage::Voting, 1, 1),
        ]
    );
    assert_eq!(hours(&later), [(at(11, 0), Stage::Voting, 1, 1)]);
    assert_eq!(
        hours(&ReportFilter {
            regions: Some(vec!["North".into()]),
            ..ReportFilter::default()
        }),
        [(at(9, 0), Stage::Voting, 2, 1)]
    );
}

/// Two contests (a party list everywhere, a district voted at PEC-2 only) for
/// [`results_compared_on_known_data`].
const CONTESTS: &str = r#"{"contests": [
    {"id": "party-list", "title": {"en": "Party list", "ru": "Партийный список"},
     "candidates": [{"id": "amanat", "name": {"en": "Amanat"}},
                    {"id": "ak-zhol", "name": {"en": "Ak Zhol"}}]},
    {"id": "district-1", "title": {"en": "District 1"},
     "candidates": [{"id": "ivanova", "name": {"en": "Ivanova"}}],
     "stations": ["PEC-2"]}]}"#;

/// A counting checklist on the contests' form (`version`) that copied the party list's
/// protocol (Amanat `amanat`, Ak Zhol 210) and, when `district`, the district's (Ivanova 610).
fn counting_per_contest(
    version: u32,
    station: &str,
    observed: DateTime<Utc>,
    amanat: i64,
    district: bool,
) -> SubmissionContent {
    let mut c = counting_with_protocol(station, 1100, observed);
    c.form_version = version;
    let lines: Vec<(String, Value)> = c
        .answers
        .iter()
        .filter(|(_, v)| v.is_i64())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut copy = |contest: &str, votes: &[(&str, i64)]| {
        c.answers.insert(format!("{contest}.copied"), json!(true));
        for (line, value) in &lines {
            if !line.starts_with("votes_") {
                c.answers.insert(format!("{contest}.{line}"), value.clone());
            }
        }
        for (candidate, n) in votes {
            c.answers
                .insert(format!("{contest}.votes.{candidate}"), json!(n));
        }
    };
    copy("party-list", &[("amanat", amanat), ("ak-zhol", 210)]);
    if district {
        copy("district-1", &[("ivanova", 610)]);
    }
    c.answers.retain(|k, _| !lines.iter().any(|(l, _)| l == k));
    c
}

/// Contests become the next counting form; published results are kept as numbered versions,
/// all or nothing; the comparison on known data finds what was built into it, on every
/// backend, within a coordinator's regions.
pub fn results_compared_on_known_data(store: &dyn Store) {
    use eom_server::forms::Published;
    use eom_server::results::{self, ResultsError, contests, official};
    let w = World::new(store);
    let file = eom_shared::contest::Contests::from_json(CONTESTS).expect("contests");
    let (form, published) = contests::import(store, &file.contests).expect("import");
    assert_eq!(
        (form.version, published),
        (2, Published::NewVersion { previous: 1 })
    );
    let (_, again) = contests::import(store, &file.contests).expect("again");
    assert_eq!(again, Published::AlreadyInstalled);
    let mut elsewhere = file.contests.clone();
    elsewhere[1].stations = Some(vec![StationCode::parse("PEC-404").expect("code")]);
    let refused = contests::import(store, &elsewhere).expect_err("unknown station");
    assert!(refused.to_string().contains("PEC-404"), "{refused}");
    assert_eq!(contests::current(store).expect("read"), Some(form.clone()));
    // The contests reach laptops with the forms.
    let pulled = store.catalog_changes(0, &w.observer.id).expect("pull");
    assert!(pulled.forms.iter().any(|f| f.contests == file.contests));

    let (a, b) = (new_id(), new_id());
    let (c, d) = (new_id(), new_id());
    let mut items = vec![
        item(
            store,
            a,
            1,
            counting_per_contest(2, "PEC-1", at(21, 0), 400, false),
        ),
        item(
            store,
            b,
            1,
            counting_per_contest(2, "PEC-2", at(21, 5), 400, true),
        ),
    ];
    push(store, &w.observer, at(21, 30), items.split_off(0));
    items.push(item(
        store,
        c,
        1,
        counting_per_contest(2, "PEC-2", at(21, 10), 390, false),
    ));
    items.push(item(
        store,
        d,
        1,
        counting_per_contest(2, "PEC-3", at(21, 15), 400, false),
    ));
    push(store, &w.other, at(21, 30), items);

    assert!(
        results::report(store, None, "en")
            .expect("report")
            .expect("contests")
            .publication
            .is_none()
    );
    assert!(
        results::statement_figures(store, None, "en")
            .expect("read")
            .is_none(),
        "no statement line before anything is published"
    );
    let figures = |station: &str, amanat: i64| {
        format!(
            "{station},party-list,votes.amanat,{amanat}\n{station},party-list,votes.ak-zhol,210\n{station},party-list,valid_ballots,610\n"
        )
    };
    let first = format!(
        "station,contest,line,value\n{}{}PEC-2,district-1,votes.ivanova,610\n",
        figures("PEC-1", 400),
        figures("PEC-2", 420)
    );
    let (publication, count) =
        official::import(store, "results.csv", first.as_bytes(), Some(at(23, 0))).expect("import");
    assert_eq!((publication.version, count), (1, 7));
    // A file with one wrong row imports nothing.
    let wrong = format!("{first}PEC-1,district-1,votes.ivanova,3\n");
    match official::import(store, "wrong.csv", wrong.as_bytes(), None) {
        Err(ResultsError::Lines(lines)) => assert!(lines[0].starts_with("line 9:"), "{lines:?}"),
        other => panic!("refused: {other:?}"),
    }
    assert_eq!(
        store.official_results().expect("read").publications.len(),
        1
    );

    let report = results::report(store, None, "en")
        .expect("report")
        .expect("contests");
    assert_eq!(
        (
            report.stations_copied,
            report.stations_compared,
            report.stations_differing
        ),
        (3, 2, 1)
    );
    let found: Vec<(&str, i64, i64, SubmissionId)> = report
        .discrepancies
        .iter()
        .map(|x| (x.line.as_str(), x.observed, x.official, x.submission_id))
        .collect();
    assert_eq!(
        found,
        [("votes.amanat", 400, 420, b), ("votes.amanat", 390, 420, c)],
        "both copies at PEC-2 differ from the publication; PEC-1 and the district match"
    );
    assert_eq!(
        report
            .unpublished
            .iter()
            .map(|u| u.submission_id)
            .collect::<Vec<_>>(),
        [d]
    );
    assert_eq!(report.disagreements.len(), 1);
    assert_eq!(report.disagreements[0].copies.len(), 2);
    // The review of either checklist shows the other team's value.
    let seen = results::disagreements_with(store, c).expect("read");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0]
            .copies
            .iter()
            .map(|x| (x.submission_id, x.value))
            .collect::<Vec<_>>(),
        [(b, 400), (c, 390)]
    );
    assert!(
        results::disagreements_with(store, a)
            .expect("read")
            .is_empty()
    );
    assert_eq!(
        report
            .official_arithmetic
            .iter()
            .map(|x| (x.station.as_str(), x.check.as_str()))
            .collect::<Vec<_>>(),
        [("PEC-2", "party-list.valid_equals_votes")],
        "420 + 210 published votes for 610 valid ballots"
    );
    assert_eq!(
        eom_server::results::statement_line(&report, "en"),
        "In 1 of 2 polling stations where observers copied the protocol, the published results differed."
    );
    let quick = results::statement_figures(store, None, "en")
        .expect("read")
        .expect("published");
    assert_eq!(
        (quick.stations_compared, quick.stations_differing),
        (2, 1),
        "the statement's figures agree with the report"
    );

    // The corrected publication: PEC-2's party list as copied by the first team.
    let corrected = format!("station,contest,line,value\n{}", figures("PEC-2", 400));
    let (publication, _) =
        official::import(store, "corrected.csv", corrected.as_bytes(), None).expect("import");
    assert_eq!(publication.version, 2);
    let report = results::report(store, None, "en")
        .expect("report")
        .expect("contests");
    assert_eq!(
        report
            .discrepancies
            .iter()
            .map(|x| (x.submission_id, x.version))
            .collect::<Vec<_>>(),
        [(c, 2)],
        "only the copy that disagrees is left"
    );
    assert!(report.official_arithmetic.is_empty());
    let kept = store.official_results().expect("read");
    assert_eq!(kept.publications.len(), 2);
    assert_eq!(kept.figures.len(), 10, "the first version is kept");

    // At the territorial commission, an observer watched PEC-2's protocol being entered.
    assert!(
        store
            .form(&FormId::parse("tabulation-entry").expect("id"), 1)
            .expect("read")
            .is_some(),
        "published with the contests"
    );
    let entry = SubmissionContent {
        form_id: FormId::parse("tabulation-entry").expect("id"),
        form_version: 1,
        station: StationCode::parse("TEC-N").expect("code"),
        observed_at: at(23, 40),
        answers: object(json!({
            "entry_station": "PEC-2", "entry_contest": "party-list",
            "observers_unrestricted": true, "entry_protocol_seen": true,
            "entry_matched": false, "entry_difference": "Amanat: 390 on the protocol, 400 entered",
            "overall": "bad"
        })),
        notes: String::new(),
    };
    let watched = new_id();
    push(
        store,
        &w.observer,
        at(23, 45),
        vec![item(store, watched, 1, entry)],
    );
    let report = results::report(store, None, "en")
        .expect("report")
        .expect("contests");
    assert_eq!(report.entries.len(), 1);
    let e = &report.entries[0];
    assert_eq!(
        (
            e.station.as_str(),
            e.commission.as_str(),
            e.matched,
            e.published_differs,
            e.submission_id
        ),
        ("PEC-2", "TEC-N", Some(false), true, watched)
    );

    // A coordinator of the South sees the South only.
    let south = results::report(store, Some(&["South".to_owned()]), "en")
        .expect("report")
        .expect("contests");
    assert_eq!((south.stations_copied, south.stations_compared), (1, 0));
    assert!(south.discrepancies.is_empty() && south.official_arithmetic.is_empty());
    assert!(
        south.entries.is_empty(),
        "the North's commission is out of view"
    );
}

/// Photo-like bytes: a JPEG header and `len` bytes that do not repeat.
pub fn photo(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, seed,
    ];
    let mut x: u32 = 0x9E37_79B9 ^ u32::from(seed);
    while bytes.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push((x & 0xFF) as u8);
    }
    bytes
}

/// Attachments arrive in chunks at the offset the store holds: repeats and probes change
/// nothing, a checklist of another team is not theirs to attach to, a contradicting chunk is
/// refused, a photo is kept once however many checklists hold it, and bytes that do not hash
/// to their name are thrown away.
pub fn attachments_resume_and_dedupe(store: &dyn Store) {
    use eom_server::store::{ChunkOutcome, ChunkUpload};
    use eom_shared::attachment::UploadState;
    let w = World::new(store);
    let (mine, theirs) = (new_id(), new_id());
    push(
        store,
        &w.observer,
        at(9, 0),
        vec![item(store, mine, 1, voting("PEC-1", "good", at(8, 30)))],
    );
    push(
        store,
        &w.other,
        at(9, 0),
        vec![item(store, theirs, 1, voting("PEC-2", "good", at(8, 30)))],
    );
    let bytes = photo(600_000, 1);
    let sha = eom_shared::sha256_hex(&bytes);
    fn part<'a>(
        bytes: &'a [u8],
        sha: &'a str,
        observer: &'a str,
        id: SubmissionId,
        offset: usize,
        len: usize,
    ) -> ChunkUpload<'a> {
        ChunkUpload {
            observer_id: observer,
            submission_id: id,
            sha256: sha,
            size: bytes.len() as u64,
            mime: "image/jpeg",
            name: "protocol.jpg",
            offset: offset as u64,
            bytes: &bytes[offset.min(bytes.len())..(offset + len).min(bytes.len())],
            at: at(21, 0),
        }
    }
    let chunk =
        |observer: &'static str, id, offset, len| part(&bytes, &sha, observer, id, offset, len);
    let state = |received: usize, complete| {
        ChunkOutcome::State(UploadState {
            received: received as u64,
            complete,
        })
    };
    const K: usize = 256 * 1024;
    // 'static, so that one closure makes every chunk (a test may leak two short strings).
    let me: &'static str = Box::leak(w.observer.id.clone().into_boxed_str());
    let other: &'static str = Box::leak(w.other.id.clone().into_boxed_str());
    assert_eq!(
        store.upload_chunk(&chunk(me, mine, 0, K)).expect("chunk"),
        state(K, false)
    );
    assert_eq!(
        store.upload_chunk(&chunk(me, mine, 0, K)).expect("repeat"),
        state(K, false),
        "a repeat stores nothing"
    );
    assert_eq!(
        store
            .upload_chunk(&chunk(me, mine, 2 * K, K))
            .expect("ahead"),
        state(K, false)
    );
    assert_eq!(
        store.upload_chunk(&chunk(me, mine, 0, 0)).expect("probe"),
        state(K, false)
    );
    assert_eq!(
        store
            .upload_chunk(&chunk(other, mine, K, K))
            .expect("not theirs"),
        ChunkOutcome::NoSuchChecklist
    );
    assert_eq!(
        store
            .upload_chunk(&chunk(me, new_id(), 0, K))
            .expect("unknown"),
        ChunkOutcome::NoSuchChecklist
    );
    let mut bigger = chunk(me, mine, K, K);
    bigger.size += 1;
    assert!(matches!(
        store.upload_chunk(&bigger).expect("mismatch"),
        ChunkOutcome::Mismatch(_)
    ));
    assert!(
        store.attachments(mine).expect("list").is_empty(),
        "listed once complete"
    );
    assert_eq!(
        store.upload_chunk(&chunk(me, mine, K, K)).expect("chunk"),
        state(2 * K, false)
    );
    assert_eq!(
        store
            .upload_chunk(&chunk(me, mine, 2 * K, K))
            .expect("last"),
        state(bytes.len(), true)
    );
    let listed = store.attachments(mine).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].sha256.as_str(),
            listed[0].size,
            listed[0].name.as_str()
        ),
        (sha.as_str(), 600_000, "protocol.jpg")
    );
    assert_eq!(
        store.attachment(mine, &sha).expect("read"),
        Some(("image/jpeg".to_owned(), bytes.clone()))
    );
    assert_eq!(
        store.attachment(theirs, &sha).expect("read"),
        None,
        "not attached there"
    );

    // The other team photographed the same protocol: no byte is sent twice.
    assert_eq!(
        store
            .upload_chunk(&chunk(other, theirs, 0, 0))
            .expect("probe"),
        state(bytes.len(), true)
    );
    assert_eq!(
        store
            .attachment(theirs, &sha)
            .expect("read")
            .map(|(_, b)| b.len()),
        Some(600_000)
    );

    // Bytes that do not hash to their name are not kept.
    let fake = "0".repeat(64);
    let wrong = ChunkUpload {
        sha256: &fake,
        ..chunk(me, mine, 0, bytes.len())
    };
    assert_eq!(
        store.upload_chunk(&wrong).expect("corrupt"),
        ChunkOutcome::Corrupt
    );
    assert_eq!(
        store
            .upload_chunk(&ChunkUpload {
                bytes: &[],
                ..wrong
            })
            .expect("probe"),
        state(0, false),
        "it starts again"
    );
    assert_eq!(store.attachment(mine, &fake).expect("read"), None);
}
