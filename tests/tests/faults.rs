//! Sync over networks that drop, cut, delay and impersonate: every checklist arrives exactly
//! once, at its latest revision, and nothing is marked delivered on a false answer.

use std::process::Child;
use std::time::Duration;

use eom_client::store::State;
use eom_tests::proxy::{Fault, FaultProxy, Plan};
use eom_tests::{Expected, Laptop, Ledger, Mission, finish_within, recv_within, voting_content};

const STATIONS: [&str; 4] = ["PEC-001", "PEC-002", "PEC-003", "PEC-004"];

/// A laptop that pulled forms and stations from the server directly, then syncs via `url`.
fn laptop_behind(mission: &Mission, url: &str, team: &str) -> Laptop {
    let laptop = Laptop::new();
    let token = mission.add_observer(team, "North");
    laptop.setup(mission.url(), &token);
    laptop.eom(&["pull"]).ok();
    laptop.point_at(url, &token);
    laptop
}

/// The longest any one `eom sync` may take in these tests before it counts as a hang.
const SYNC_LIMIT: Duration = Duration::from_secs(180);
/// The longest a test waits for a request to reach the proxy.
const ARRIVAL_LIMIT: Duration = Duration::from_secs(30);

fn wait(child: Child) -> (Option<i32>, String) {
    let run = finish_within(child, SYNC_LIMIT, "eom sync");
    (run.status, format!("{}{}", run.stdout, run.stderr))
}

#[test]
fn exactly_once_through_a_network_that_fails_a_third_of_the_time() {
    let mut mission = Mission::new();
    mission.start();
    let proxy = FaultProxy::start(
        mission.addr(),
        Plan::Random {
            // Four of the five fault kinds fail the request: 44% of requests fail on average,
            // comfortably above the 30% the assertion below demands.
            rate: 0.55,
            seed: 20_260_319,
            delay: Duration::from_millis(20),
        },
    );
    let laptops: Vec<Laptop> = (0..10)
        .map(|i| {
            let laptop = laptop_behind(&mission, &proxy.url(), &format!("Team {i}"));
            laptop.fill_voting(50, &STATIONS);
            laptop
        })
        .collect();

    let mut finished = vec![false; laptops.len()];
    let mut last_output = vec![String::new(); laptops.len()];
    let mut rounds = 0;
    for round in 0..80 {
        if finished.iter().all(|f| *f) {
            break;
        }
        rounds += 1;
        let running: Vec<(usize, Child)> = laptops
            .iter()
            .enumerate()
            .filter(|(i, _)| !finished[*i])
            .map(|(i, l)| {
                let child = l
                    .command(&["sync", "--batch-size", "8"])
                    .spawn()
                    .expect("eom sync starts");
                (i, child)
            })
            .collect();
        for (i, child) in running {
            let (code, output) = wait(child);
            finished[i] = code == Some(0);
            last_output[i] = output;
        }
        // Observers keep editing while the network misbehaves: revision 2 for ten checklists
        // of each team after the first round, revision 3 for five of them after the second.
        if round < 2 {
            for (i, laptop) in laptops.iter().enumerate() {
                let mut store = laptop.store();
                let entries = store.list(None).expect("list");
                for entry in entries.iter().take(10 - 5 * round) {
                    store
                        .edit(
                            entry.id,
                            voting_content(entry.content.station.as_str(), "very_bad"),
                        )
                        .expect("edit");
                }
                finished[i] = false;
            }
        }
    }
    eprintln!("sync rounds: {rounds}");
    for (i, done) in finished.iter().enumerate() {
        assert!(
            done,
            "laptop {i} never finished; last sync said:\n{}",
            last_output[i]
        );
    }

    let on_server = mission.all_submissions();
    assert_eq!(on_server.len(), 500, "every checklist exactly once");
    for laptop in &laptops {
        let store = laptop.store();
        let status = store.status().expect("status");
        assert_eq!((status.queued, status.delivered), (0, 50));
        for entry in store.list(None).expect("list") {
            assert_eq!(entry.state, State::Delivered);
            assert_eq!(
                on_server.get(&entry.id.to_string()).copied(),
                Some(u64::from(entry.revision)),
                "{} is on the server at its latest revision",
                entry.id
            );
            if entry.revision > 1 {
                let detail = mission.coordinator_get(&format!("/api/v1/submissions/{}", entry.id));
                let newest = detail["revisions"]
                    .as_array()
                    .and_then(|r| r.last())
                    .expect("revisions");
                assert_eq!(newest["content_hash"], entry.content_hash.0.as_str());
                assert_eq!(detail["overall"], "very_bad");
            }
        }
    }
    let mut ledger = Ledger::new();
    for laptop in &laptops {
        ledger.extend(laptop.ledger());
    }
    let revision_rows = mission.assert_holds_exactly(&ledger);
    // 500 first revisions, at most 15 edits per team: every (id, revision) stored once.
    assert!(
        (500..=650).contains(&revision_rows),
        "{revision_rows} revision rows"
    );
    let stats = proxy.stats();
    eprintln!("through the proxy: {stats:?}");
    assert!(
        stats.faults * 100 >= stats.connections * 30,
        "the network must really have failed at least 30% of the time: {stats:?}"
    );
}

#[test]
fn a_captive_portal_is_never_taken_for_the_server() {
    let mut mission = Mission::new();
    mission.start();
    let proxy = FaultProxy::start(mission.addr(), Plan::Always(Fault::CaptivePortal));
    let laptop = laptop_behind(&mission, &proxy.url(), "Team 1");
    laptop.fill_voting(5, &STATIONS);

    let run = laptop.eom(&["sync"]);
    assert_eq!(run.status, Some(3), "{}", run.stdout);
    assert!(run.stdout.contains("login page"), "{}", run.stdout);
    assert_eq!(laptop.status()["queued"], 5, "nothing marked delivered");
    assert_eq!(laptop.status()["delivered"], 0);
    assert!(mission.all_submissions().is_empty());

    proxy.set_plan(Plan::Always(Fault::Pass));
    laptop.eom(&["sync"]).ok();
    assert_eq!(laptop.status()["delivered"], 5);
    assert_eq!(mission.assert_holds_exactly(&laptop.ledger()), 5);
}

/// A genuine answer that lost its version header on the way (a middlebox rewrote it), or that
/// lists fewer results than items sent, is not trusted: nothing is marked delivered. The
/// server did store the items, so the next clean sync finds them already there.
#[test]
fn a_real_answer_stripped_of_its_version_or_a_result_marks_nothing_delivered() {
    for (fault, what) in [
        (Fault::StripVersion, "did not come from an eom server"),
        (Fault::DropLastResult, "results for"),
    ] {
        let mut mission = Mission::new();
        mission.start();
        let proxy = FaultProxy::start(mission.addr(), Plan::Always(fault));
        let laptop = laptop_behind(&mission, &proxy.url(), "Team 1");
        laptop.fill_voting(4, &STATIONS);

        let run = laptop.eom(&["sync", "--batch-size", "4"]);
        assert_eq!(run.status, Some(3), "{fault:?}: {}", run.stdout);
        assert!(
            format!("{}{}", run.stdout, run.stderr).contains(what),
            "{fault:?}: {}{}",
            run.stdout,
            run.stderr
        );
        assert_eq!(
            laptop.status()["queued"],
            4,
            "{fault:?}: nothing marked delivered"
        );
        assert_eq!(laptop.status()["delivered"], 0, "{fault:?}");
        assert_eq!(
            mission.all_submissions().len(),
            4,
            "{fault:?}: the server did store them"
        );

        proxy.set_plan(Plan::Always(Fault::Pass));
        let run = laptop.eom(&["sync"]).ok();
        assert!(
            run.stdout.contains("4 already on the server"),
            "{fault:?}: {}",
            run.stdout
        );
        assert_eq!(laptop.status()["delivered"], 4);
        assert_eq!(mission.assert_holds_exactly(&laptop.ledger()), 4);
    }
}

/// Laptops restored from older backups of one observer's folder. In the first backup a
/// checklist is still queued at revision 1, which the original then delivers: the restored
/// laptop's resend is a `duplicate`. In the second, another checklist is queued at revision 1,
/// which the original edits and delivers only as revision 2: the restored laptop's revision 1
/// is `stale`. Both count as delivered, neither replaces the newer revision, and the totals
/// count each checklist once.
#[test]
fn laptops_restored_from_an_older_backup_take_duplicate_and_stale_as_delivered() {
    let mut mission = Mission::new();
    mission.start();
    let original = Laptop::new();
    let token = mission.add_observer("Team 5", "South");
    original.setup(mission.url(), &token);
    original.eom(&["pull"]).ok();

    let first = original.fill_voting(1, &["PEC-003"])[0];
    let backup = tempfile::tempdir().expect("backup folder");
    copy_files(original.home(), backup.path());
    original.eom(&["sync"]).ok();
    let restored_early = Laptop::new();
    copy_files(backup.path(), restored_early.home());
    let run = restored_early.eom(&["sync"]).ok();
    assert!(
        run.stdout.contains("1 already on the server"),
        "{}",
        run.stdout
    );
    assert_eq!(restored_early.status()["delivered"], 1);

    let second = original.fill_voting(1, &["PEC-004"])[0];
    let backup = tempfile::tempdir().expect("backup folder");
    copy_files(original.home(), backup.path());
    original
        .store()
        .edit(second, voting_content("PEC-004", "very_bad"))
        .expect("edit");
    original.eom(&["sync"]).ok();
    let restored_late = Laptop::new();
    copy_files(backup.path(), restored_late.home());
    let run = restored_late.eom(&["sync"]).ok();
    assert!(
        run.stdout.contains("1 superseded by a newer revision"),
        "{}",
        run.stdout
    );
    let status = restored_late.status();
    assert_eq!(
        (status["queued"].clone(), status["delivered"].clone()),
        (0.into(), 2.into())
    );

    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{second}"));
    assert_eq!(
        (detail["revision"].clone(), detail["overall"].clone()),
        (2.into(), "very_bad".into()),
        "the old copy never replaces the newer revision"
    );
    assert!(mission.all_submissions().contains_key(&first.to_string()));
    // Revision 1 of the first; revisions 2 and 1 of the second (the late revision 1 is kept
    // in the history, never as the latest).
    assert_eq!(mission.assert_holds_exactly(&original.ledger()), 3);
}

fn copy_files(from: &std::path::Path, to: &std::path::Path) {
    for file in std::fs::read_dir(from).expect("folder") {
        let file = file.expect("entry").path();
        if file.is_file() {
            std::fs::copy(&file, to.join(file.file_name().expect("name"))).expect("copy");
        }
    }
}

#[test]
fn answers_lost_on_the_way_back_are_resent_and_counted_once() {
    let mut mission = Mission::new();
    mission.start();
    let proxy = FaultProxy::start(mission.addr(), Plan::Always(Fault::CutBeforeAnswer));
    let laptop = laptop_behind(&mission, &proxy.url(), "Team 1");
    laptop.fill_voting(3, &STATIONS);
    let run = laptop.eom(&["sync", "--batch-size", "3"]);
    assert_eq!(run.status, Some(3));
    // The server stored them, but the laptop was never told: they stay queued.
    assert_eq!(mission.all_submissions().len(), 3);
    assert_eq!(laptop.status()["queued"], 3);

    proxy.set_plan(Plan::Always(Fault::CutMidAnswer));
    assert_eq!(laptop.eom(&["sync"]).status, Some(3));
    assert_eq!(laptop.status()["queued"], 3);

    proxy.set_plan(Plan::Always(Fault::Pass));
    let run = laptop.eom(&["sync"]).ok();
    assert!(
        run.stdout.contains("3 already on the server"),
        "{}",
        run.stdout
    );
    assert_eq!(mission.assert_holds_exactly(&laptop.ledger()), 3);
}

#[test]
fn watch_mode_keeps_trying_until_everything_is_delivered() {
    let mut mission = Mission::new();
    mission.start();
    let proxy = FaultProxy::start(
        mission.addr(),
        Plan::Random {
            rate: 0.6,
            seed: 7,
            delay: Duration::from_millis(5),
        },
    );
    let laptop = laptop_behind(&mission, &proxy.url(), "Team 1");
    laptop.fill_voting(40, &STATIONS);
    let child = laptop
        .command(&["sync", "--watch", "--batch-size", "5", "--max-wait", "1"])
        .spawn()
        .expect("eom sync --watch starts");
    let (code, output) = wait(child);
    assert_eq!(code, Some(0), "{output}");
    assert_eq!(laptop.status()["delivered"], 40);
    assert_eq!(mission.assert_holds_exactly(&laptop.ledger()), 40);
}

#[test]
fn an_edit_made_while_a_push_is_in_flight_is_sent_next() {
    let mut mission = Mission::new();
    mission.start();
    let proxy = FaultProxy::start(mission.addr(), Plan::Always(Fault::Hold));
    let laptop = laptop_behind(&mission, &proxy.url(), "Team 1");
    let id = laptop.fill_voting(1, &STATIONS)[0];
    let arrivals = proxy.arrivals();
    let sync = laptop.command(&["sync"]).spawn().expect("eom sync starts");
    recv_within(&arrivals, ARRIVAL_LIMIT, "the push reaches the proxy");

    // Revision 1 is on its way; the observer edits.
    laptop
        .store()
        .edit(id, voting_content("PEC-001", "very_bad"))
        .expect("edit");
    proxy.set_plan(Plan::Always(Fault::Pass));
    proxy.release();
    let (code, output) = wait(sync);
    assert_eq!(code, Some(3), "revision 2 is still to be sent: {output}");
    let entry = laptop.store().get(id).expect("read").expect("present");
    assert_eq!((entry.revision, entry.state), (2, State::Queued));
    assert_eq!(mission.all_submissions()[&id.to_string()], 1);

    laptop.eom(&["sync"]).ok();
    assert_eq!(
        laptop
            .store()
            .get(id)
            .expect("read")
            .expect("present")
            .state,
        State::Delivered
    );
    assert_eq!(mission.assert_holds_exactly(&laptop.ledger()), 2);
}

#[test]
fn two_laptops_restored_from_one_backup_conflict_and_both_copies_are_kept() {
    let mut mission = Mission::new();
    mission.start();
    let first = Laptop::new();
    let token = mission.add_observer("Team 4", "South");
    first.setup(mission.url(), &token);
    first.eom(&["pull"]).ok();
    let id = first.fill_voting(1, &["PEC-003"])[0];
    first.eom(&["sync"]).ok();

    // The laptop's folder is restored onto a second laptop.
    let second = Laptop::new();
    copy_files(first.home(), second.home());
    first
        .store()
        .edit(id, voting_content("PEC-003", "bad"))
        .expect("edit on the first");
    second
        .store()
        .edit(id, voting_content("PEC-003", "very_good"))
        .expect("edit on the second");

    first.eom(&["sync"]).ok();
    let run = second.eom(&["sync"]);
    assert_eq!(run.status, Some(3));
    assert!(run.stdout.contains("Conflict"), "{}", run.stdout);
    let flagged = second
        .eom(&["list", "--state", "conflict", "--json"])
        .ok()
        .json();
    assert_eq!(flagged[0]["id"], id.to_string());

    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    assert_eq!(detail["revision"], 2);
    assert_eq!(
        detail["overall"], "bad",
        "the first copy is not overwritten"
    );
    let conflicts = detail["conflicts"].as_array().expect("conflicts");
    assert_eq!(conflicts.len(), 1, "the second copy is kept for review");
    assert_eq!(conflicts[0]["payload"]["answers"]["overall"], "very_good");

    // The second observer decides: a new revision supersedes both.
    second
        .store()
        .edit(id, voting_content("PEC-003", "good"))
        .expect("edit again");
    second.eom(&["sync"]).ok();
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    assert_eq!(
        (detail["revision"].clone(), detail["overall"].clone()),
        (3.into(), "good".into())
    );
    let ledger = Ledger::from([(
        id.to_string(),
        Expected::of(&voting_content("PEC-003", "good"), 3),
    )]);
    assert_eq!(mission.assert_holds_exactly(&ledger), 3);
}

#[test]
fn ctrl_c_stops_watch_mode_cleanly_and_keeps_the_outbox() {
    let mut mission = Mission::new();
    mission.start();
    let proxy = FaultProxy::start(mission.addr(), Plan::Always(Fault::CaptivePortal));
    let laptop = laptop_behind(&mission, &proxy.url(), "Team 1");
    laptop.fill_voting(3, &STATIONS);
    let arrivals = proxy.arrivals();
    let watch = laptop
        .command(&["sync", "--watch", "--max-wait", "1"])
        .spawn()
        .expect("eom sync --watch starts");
    for _ in 0..2 {
        recv_within(&arrivals, ARRIVAL_LIMIT, "it keeps trying");
    }
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &watch.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let (code, output) = wait(watch);
    assert_eq!(code, Some(130), "{output}");
    assert!(output.contains("Stopped"), "{output}");
    assert_eq!(laptop.status()["queued"], 3);
}
