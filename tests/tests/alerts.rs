//! Alerts through the real binary: a critical finding reaches a webhook receiver on
//! loopback once, also when the receiver is down at first and the server is killed in
//! between.

use std::time::Duration;

use eom_tests::receiver::Receiver;
use eom_tests::{Laptop, Mission, voting_answers};
use serde_json::json;

fn stuffing() -> serde_json::Value {
    let mut answers = voting_answers("very_bad");
    answers["box_stuffing"] = json!(true);
    answers
}

#[test]
fn a_critical_finding_is_posted_once_to_the_webhook_across_a_failed_receiver_and_a_restart() {
    let receiver = Receiver::start(false);
    let mut mission = Mission::new();
    let token = mission.add_observer("Team 1", "North");
    mission.start();
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &token);
    // Found before the mission set up alerts: not replayed when it does.
    laptop.file("voting", "PEC-002", &stuffing());
    laptop.eom(&["sync"]).ok();
    mission.stop();

    let webhook = ["--alert-webhook", receiver.url()];
    mission.start_with(&webhook);
    let id = laptop.file("voting", "PEC-001", &stuffing());
    laptop.eom(&["sync"]).ok();
    // The receiver is down: the server tries and keeps the alert.
    receiver.wait_for(Duration::from_secs(60), "a first delivery attempt", |r| {
        !r.is_empty()
    });
    mission.stop();
    receiver.accept(true);
    mission.start_with(&webhook);
    receiver.wait_for(Duration::from_secs(60), "the alert, accepted", |r| {
        r.iter().any(|x| x.accepted)
    });
    // Several more rounds of the outbox (every 2 s) must send nothing more.
    std::thread::sleep(Duration::from_secs(7));

    let received = receiver.received();
    let accepted: Vec<_> = received.iter().filter(|r| r.accepted).collect();
    assert_eq!(
        accepted.len(),
        1,
        "exactly one accepted call: {received:#?}"
    );
    let alert = &accepted[0].body;
    assert_eq!(alert["event"], "critical_finding");
    assert_eq!(alert["submission_id"], id.as_str());
    assert_eq!(alert["station"], "PEC-001");
    assert_eq!(alert["station_name"], "School No. 1");
    assert_eq!(alert["region"], "North");
    assert_eq!(alert["question_id"], "box_stuffing");
    assert!(
        alert["question"]["en"]
            .as_str()
            .is_some_and(|q| q.to_lowercase().contains("stuff")),
        "the question's text: {alert}"
    );
    assert_eq!(alert["observer"], "Team 1");
    assert!(alert["attempt"].as_u64().is_some_and(|n| n >= 2), "{alert}");
    assert_eq!(
        accepted[0].idempotency_key.as_deref(),
        alert["id"].as_str(),
        "the id to deduplicate on is also the Idempotency-Key header"
    );
    assert!(
        received
            .iter()
            .all(|r| r.body["station"] == "PEC-001" && r.body["id"] == alert["id"]),
        "only the new finding is announced, never the one from before alerts: {received:#?}"
    );
}

#[test]
fn a_webhook_that_is_not_an_http_url_is_refused_at_start() {
    let mission = Mission::new();
    let run = mission.admin(&["serve", "--alert-webhook", "ftp://example.org/x"]);
    assert!(!run.success());
    assert!(
        run.stderr.contains("not an http or https URL"),
        "{}",
        run.stderr
    );
}
