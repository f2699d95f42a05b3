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

#[test]
fn a_critical_finding_is_emailed_to_the_core_team_and_its_regions_coordinators_only() {
    let sink = eom_tests::smtp_sink::SmtpSink::start();
    let mut mission = Mission::new();
    let token = mission.add_observer("Team 1", "North");
    let smtp = sink.url();
    mission.start_with(&[
        "--alert-smtp",
        &smtp,
        "--alert-email-from",
        "eom <eom@mission.example>",
        "--alert-email",
        "core@mission.example",
        "--alert-email-region",
        "North=north-desk@mission.example",
        "--alert-email-region",
        "South=south-desk@mission.example",
        "--alert-lang",
        "ru",
    ]);
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &token);
    laptop.file("voting", "PEC-001", &stuffing());
    laptop.eom(&["sync"]).ok();
    let mails = sink.wait_for(1, Duration::from_secs(60));
    assert_eq!(mails.len(), 1, "one e-mail for one finding: {mails:#?}");
    // Several more rounds of the outbox send nothing more.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(sink.mails().len(), 1);
    let mail = &mails[0];
    let mut to = mail.to.clone();
    to.sort();
    assert_eq!(to, ["core@mission.example", "north-desk@mission.example"]);
    assert_eq!(mail.from, "eom@mission.example");
    assert!(
        mail.data.contains("PEC-001 (North)"),
        "the subject: {}",
        mail.data
    );
    // The body: UTF-8 text, in base64, in the language asked for.
    let (_, body) = mail
        .data
        .split_once("\r\n\r\n")
        .expect("headers, then the body");
    let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    use base64::Engine as _;
    let text = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("a base64 body"),
    )
    .expect("UTF-8");
    assert!(text.contains("PEC-001 School No. 1"), "{text}");
    assert!(text.contains("Группа: Team 1"), "{text}");
    assert!(text.contains("вброс"), "the question in Russian: {text}");
}

#[test]
fn email_addresses_without_an_smtp_server_are_refused_at_start() {
    let mission = Mission::new();
    let run = mission.admin(&["serve", "--alert-email", "core@mission.example"]);
    assert!(!run.success());
    assert!(run.stderr.contains("--alert-smtp"), "{}", run.stderr);
}
