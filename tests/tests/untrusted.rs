//! The client trusts nothing it is sent: answers whose results name other checklists, answers
//! too large to be an eom server's, and absurd `Retry-After` values never mark anything
//! delivered, never exhaust the laptop's memory, and never hang `eom sync`.

use std::time::{Duration, Instant};

use eom_tests::fake_server::{Answer, FakeServer};
use eom_tests::proxy::{Fault, FaultProxy, Plan};
use eom_tests::{Laptop, Mission, finish_within};

const STATIONS: [&str; 2] = ["PEC-001", "PEC-002"];

/// A laptop with forms and stations from the real server, now pointed at `url`.
fn laptop_pointed_at(mission: &Mission, url: &str) -> Laptop {
    let laptop = Laptop::new();
    let token = mission.add_observer("Team 9", "North");
    laptop.setup(mission.url(), &token);
    laptop.eom(&["pull"]).ok();
    laptop.point_at(url, &token);
    laptop.fill_voting(3, &STATIONS);
    laptop
}

#[test]
fn results_that_name_other_checklists_mark_nothing_delivered() {
    let mut mission = Mission::new();
    mission.start();
    let proxy = FaultProxy::start(mission.addr(), Plan::Always(Fault::ForgeIds));
    let laptop = laptop_pointed_at(&mission, &proxy.url());
    let run = laptop.eom(&["sync", "--batch-size", "3"]);
    assert_eq!(run.status, Some(3), "{}{}", run.stdout, run.stderr);
    assert!(
        format!("{}{}", run.stdout, run.stderr).contains("not sent in its place"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(laptop.status()["queued"], 3);
    assert_eq!(laptop.status()["delivered"], 0);

    proxy.set_plan(Plan::Always(Fault::Pass));
    laptop.eom(&["sync"]).ok();
    assert_eq!(mission.assert_holds_exactly(&laptop.ledger()), 3);
}

#[test]
fn an_answer_of_a_gigabyte_is_refused_without_reading_it() {
    let mission = {
        let mut m = Mission::new();
        m.start();
        m
    };
    for declared in [true, false] {
        let fake = FakeServer::start(Answer::Huge {
            bytes: 1 << 30,
            declared,
        });
        let laptop = laptop_pointed_at(&mission, &fake.url());
        let sync = laptop.command(&["sync"]).spawn().expect("eom sync starts");
        let run = finish_within(sync, Duration::from_secs(120), "eom sync");
        assert_eq!(run.status, Some(3), "{}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains("MB") || run.stderr.contains("MB"),
            "says the answer was too large: {}{}",
            run.stdout,
            run.stderr
        );
        assert_eq!(laptop.status()["queued"], 3, "nothing marked delivered");
        // The client stopped reading at its cap (16 MB for a push answer); what the server got
        // out on one connection before noticing is that plus the sockets' buffers, far from a
        // gigabyte.
        let written = fake.bytes_written();
        assert!(
            written < 64 << 20,
            "declared={declared}: the client read {written} bytes of a 1 GB answer"
        );
    }
}

#[test]
fn a_huge_retry_after_does_not_hang_sync() {
    let mission = {
        let mut m = Mission::new();
        m.start();
        m
    };
    let fake = FakeServer::start(Answer::RetryAfter(999_999_999));
    let laptop = laptop_pointed_at(&mission, &fake.url());
    let started = Instant::now();
    let sync = laptop.command(&["sync"]).spawn().expect("eom sync starts");
    let run = finish_within(sync, Duration::from_secs(60), "eom sync");
    assert_eq!(run.status, Some(3), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("300 s"),
        "the wait asked for is capped and shown: {}",
        run.stdout
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(laptop.status()["queued"], 3);
}
