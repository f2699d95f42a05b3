//! Two `eom-server` instances on one PostgreSQL, as behind a load balancer: laptops sync
//! through both, one instance is killed in the middle of a delivery, and the mission still
//! holds every checklist exactly once with every report equal to a count from scratch.

use std::process::Stdio;
use std::time::Duration;

use eom_tests::postgres::Postgres;
use eom_tests::proxy::{Fault, FaultProxy, Plan};
use eom_tests::{Laptop, Ledger, Mission, finish_within};

#[test]
fn two_instances_on_one_database_survive_losing_one() {
    let Some(pg) = Postgres::start_or_skip("two_instances_on_one_database_survive_losing_one")
    else {
        return;
    };
    let mut a = Mission::on_postgres(&pg);
    a.start();
    let mut b = a.twin();
    b.start();
    assert_ne!(a.url(), b.url());

    // Four teams: two set up through each instance.
    let laptops: Vec<Laptop> = (0..4).map(|_| Laptop::new()).collect();
    let tokens: Vec<String> = (0..4)
        .map(|i| a.add_observer(&format!("Team {i}"), "North"))
        .collect();
    for (i, laptop) in laptops.iter().enumerate() {
        let instance = if i % 2 == 0 { &a } else { &b };
        laptop.setup(instance.url(), &tokens[i]);
    }
    let stations = ["PEC-001", "PEC-002", "PEC-003", "PEC-004"];
    for laptop in &laptops {
        laptop.fill_voting(15, &stations);
        laptop.eom(&["sync"]).ok();
    }

    // Each team's next sync goes through the other instance (the balancer's choice).
    for (i, laptop) in laptops.iter().enumerate() {
        let other = if i % 2 == 0 { &b } else { &a };
        laptop.point_at(other.url(), &tokens[i]);
        laptop.fill_voting(5, &stations);
        laptop.eom(&["sync"]).ok();
    }

    // A big delivery through instance A, which dies while it is being received.
    let busy = &laptops[0];
    busy.fill_voting(600, &stations);
    let proxy = FaultProxy::start(a.addr(), Plan::Always(Fault::Pass));
    let arrivals = proxy.arrivals();
    busy.point_at(&proxy.url(), &tokens[0]);
    let sync = busy
        .command(&["sync"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("eom sync starts");
    // The second request reaching A means a push is under way: kill A now.
    for _ in 0..2 {
        eom_tests::recv_within(&arrivals, Duration::from_secs(60), "a push through A");
    }
    a.stop();
    let interrupted = finish_within(sync, Duration::from_secs(120), "eom sync while A dies");
    assert!(
        !interrupted.success() || busy.status()["queued"].as_u64() == Some(0),
        "a sync cut short says so, or it had finished"
    );

    // The laptop keeps what was not confirmed and delivers it through B.
    busy.point_at(b.url(), &tokens[0]);
    busy.eom(&["sync"]).ok();
    for (laptop, token) in laptops.iter().zip(&tokens) {
        laptop.point_at(b.url(), token);
        laptop.eom(&["sync"]).ok();
        assert_eq!(laptop.status()["queued"].as_u64(), Some(0), "all delivered");
    }

    let mut expected = Ledger::new();
    for laptop in &laptops {
        expected.extend(laptop.ledger());
    }
    assert_eq!(expected.len(), 4 * 20 + 600);
    b.assert_holds_exactly(&expected);

    // A comes back and answers with the same figures as B.
    a.start();
    for report in [
        "summary",
        "assessments",
        "coverage?silent_minutes=100000",
        "timeline",
    ] {
        assert_eq!(
            a.coordinator_get(&format!("/api/v1/reports/{report}")),
            b.coordinator_get(&format!("/api/v1/reports/{report}")),
            "{report} differs between the instances"
        );
    }
}
