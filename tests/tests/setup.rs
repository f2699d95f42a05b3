//! `eom setup` as a new observer meets it: the token typed on standard input and checked with
//! the server at once; a mistyped one refused while the coordinator is still at hand; a token
//! on the command line warned about; plain HTTP to another computer refused.

use eom_tests::{Laptop, Mission};

fn setup(laptop: &Laptop, server: &str, token: &str) -> eom_tests::Run {
    laptop.eom_with_input(
        &["setup", "--server", server, "--token", "-"],
        &format!("{token}\n"),
    )
}

#[test]
fn a_token_is_checked_with_the_server_and_a_mistyped_one_saves_nothing() {
    let mut mission = Mission::new();
    mission.start();
    let token = mission.add_observer("Team 3", "South");
    let laptop = Laptop::new();

    let mistyped = format!("{}x", &token[..token.len() - 1]);
    let run = setup(&laptop, mission.url(), &mistyped);
    assert!(!run.success());
    assert!(
        run.stderr.contains("does not accept this token"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Nothing was saved"), "{}", run.stderr);
    assert!(laptop.status()["server"].is_null(), "nothing saved");

    let run = setup(&laptop, mission.url(), &token).ok();
    assert!(
        run.stdout.contains("The server accepts this token"),
        "{}",
        run.stdout
    );
    assert_eq!(laptop.status()["server"], format!("{}/", mission.url()));
    // The check fetched the forms: a checklist can be filled at once.
    assert!(laptop.eom(&["forms"]).ok().stdout.contains("voting"));
}

#[test]
fn offline_the_token_is_saved_to_be_checked_later() {
    let mut mission = Mission::new();
    mission.start();
    let token = mission.add_observer("Team 4", "South");
    let url = mission.url().to_owned();
    mission.stop();
    let laptop = Laptop::new();
    let run = setup(&laptop, &url, &token).ok();
    assert!(
        run.stdout.contains("Could not check the token now"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("eom pull"), "{}", run.stdout);
    assert_eq!(laptop.status()["server"], format!("{url}/"));
}

#[test]
fn a_token_on_the_command_line_works_but_is_warned_about() {
    let mut mission = Mission::new();
    mission.start();
    let token = mission.add_observer("Team 5", "South");
    let laptop = Laptop::new();
    let run = laptop
        .eom(&["setup", "--server", mission.url(), "--token", &token])
        .ok();
    assert!(
        run.stderr.contains("can be seen by other users"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("The server accepts this token"),
        "{}",
        run.stdout
    );
}

#[test]
fn plain_http_to_another_computer_is_refused_unless_insisted_on() {
    let laptop = Laptop::new();
    // Refused before any connection is attempted (no traffic leaves this machine).
    let run = setup(&laptop, "203.0.113.5:8080", "eom_x");
    assert!(!run.success());
    assert!(run.stderr.contains("https://"), "{}", run.stderr);
    assert!(laptop.status()["server"].is_null());
    // Saved without contacting it, with a warning, when the observer insists.
    let run = laptop
        .eom_with_input(
            &[
                "setup",
                "--server",
                "http://203.0.113.5:8080",
                "--token",
                "-",
                "--insecure-http",
                "--no-check",
            ],
            "eom_x\n",
        )
        .ok();
    assert!(run.stderr.contains("plain http://"), "{}", run.stderr);
}

#[test]
fn a_new_laptop_restores_the_observers_checklists_and_reviews_and_carries_on() {
    let mut mission = Mission::new();
    mission.start();
    let token = mission.add_observer("Team 6", "North");
    let lost = Laptop::new();
    lost.setup(mission.url(), &token);
    let ids: Vec<String> = (0..3)
        .map(|i| {
            lost.file(
                "voting",
                ["PEC-001", "PEC-002", "PEC-001"][i],
                &eom_tests::voting_answers("good"),
            )
        })
        .collect();
    lost.store()
        .edit(
            eom_shared::SubmissionId::parse(&ids[0]).expect("id"),
            eom_tests::voting_content("PEC-001", "bad"),
        )
        .expect("edit");
    lost.eom(&["sync"]).ok();
    let (status, _) = mission.coordinator_post(
        &format!("/api/v1/submissions/{}/review", ids[1]),
        &serde_json::json!({"status": "flagged", "comment": "Which door was locked?"}),
    );
    assert_eq!(status, 200);
    // Another team's checklist must not come back to this laptop.
    let other = Laptop::new();
    other.setup(mission.url(), &mission.add_observer("Team 7", "North"));
    other.file("voting", "PEC-003", &eom_tests::voting_answers("good"));
    other.eom(&["sync"]).ok();

    // The laptop is seized; the team sets up a new one with the same token.
    let new = Laptop::new();
    new.setup(mission.url(), &token);
    let run = new.eom(&["restore"]).ok();
    assert!(
        run.stdout.contains("Restored 3 checklist(s)"),
        "{}",
        run.stdout
    );
    let listed = new.eom(&["list", "--json"]).ok().json();
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 3);
    for entry in listed {
        assert_eq!(entry["state"], "delivered");
        let id = entry["id"].as_str().expect("id");
        assert!(
            ids.iter().any(|i| i == id),
            "only this team's checklists: {id}"
        );
        if id == ids[0] {
            assert_eq!(entry["revision"], 2);
            assert_eq!(entry["answers"]["overall"], "bad");
        }
        if id == ids[1] {
            assert_eq!(entry["review"]["status"], "flagged");
            assert_eq!(entry["review"]["comment"], "Which door was locked?");
        }
    }
    let again = new.eom(&["restore"]).ok();
    assert!(
        again.stdout.contains("Restored 0 checklist(s)"),
        "{}",
        again.stdout
    );

    // It carries on: an edit on the new laptop is the next revision.
    let fixed = new.answers_file(&eom_tests::voting_answers("very_bad"));
    new.eom(&["edit", &ids[0], "--answers", fixed.to_str().expect("utf-8")])
        .ok();
    new.eom(&["sync"]).ok();
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{}", ids[0]));
    assert_eq!(detail["revision"], 3);
    assert_eq!(detail["overall"], "very_bad");
}

#[test]
fn the_missions_own_ca_is_pinned_and_a_certificate_it_did_not_sign_is_called_interception() {
    use eom_tests::tls::{Authority, TlsFront};
    let mut mission = Mission::new();
    mission.start();
    let token = mission.add_observer("Team 9", "North");
    let authority = Authority::new("Mission CA");
    let front = TlsFront::start(mission.addr(), &authority);
    let ca_file = tempfile::NamedTempFile::new().expect("a CA file");
    std::fs::write(ca_file.path(), &authority.ca_pem).expect("write");
    let laptop = Laptop::new();

    // The mission's CA is nobody else's: without it the server cannot be told from an
    // impostor, and setup says so instead of "offline".
    let run = setup(&laptop, &front.url(), &token);
    assert!(!run.success());
    assert!(
        run.stderr
            .contains("certificate not trusted — possible interception"),
        "{}",
        run.stderr
    );
    assert!(laptop.status()["server"].is_null(), "nothing saved");

    let run = laptop
        .eom_with_input(
            &[
                "setup",
                "--server",
                &front.url(),
                "--token",
                "-",
                "--ca",
                ca_file.path().to_str().expect("utf-8"),
            ],
            &format!("{token}\n"),
        )
        .ok();
    assert!(
        run.stdout.contains("The server accepts this token"),
        "{}",
        run.stdout
    );
    laptop.fill_voting(2, &["PEC-001"]);
    laptop.eom(&["sync"]).ok();
    assert_eq!(mission.all_submissions().len(), 2);

    // Someone in the middle with a certificate for the same name from another authority.
    let impostor = Authority::new("Impostor CA");
    let middle = TlsFront::start(mission.addr(), &impostor);
    laptop.point_at(&middle.url(), &token);
    laptop.fill_voting(1, &["PEC-001"]);
    let run = laptop.eom(&["sync"]);
    assert_eq!(run.status, Some(3));
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(
        said.contains("certificate not trusted — possible interception"),
        "{said}"
    );
    assert!(
        !said.contains("cannot reach"),
        "never reported as offline: {said}"
    );
    assert_eq!(laptop.status()["queued"], 1, "nothing marked delivered");
    assert_eq!(mission.all_submissions().len(), 2);
}

/// A short one-time enrolment code instead of a 68-character token: it sets one laptop up,
/// then never again; the long token printed with it is replaced when it is used.
#[test]
fn an_enrolment_code_sets_up_one_laptop_once() {
    let mut mission = Mission::new();
    mission.start();
    let added = mission
        .admin(&[
            "observer", "add", "--name", "Team E", "--region", "North", "--json",
        ])
        .ok()
        .json();
    let code = added["enrolment_code"].as_str().expect("a code").to_owned();
    assert_eq!(code.len(), 11, "{code}");
    let printed_token = added["token"].as_str().expect("a token").to_owned();

    let laptop = Laptop::new();
    let typed = code.to_lowercase();
    let run = laptop
        .eom(&["setup", "--server", mission.url(), "--code", &typed])
        .ok();
    assert!(
        run.stdout.contains("The server accepts this token"),
        "{}",
        run.stdout
    );
    laptop.fill_voting(1, &["PEC-001"]);
    laptop.eom(&["sync"]).ok();
    assert_eq!(laptop.status()["delivered"], 1);

    // The same code on another laptop: refused, nothing saved there.
    let other = Laptop::new();
    let run = other.eom(&["setup", "--server", mission.url(), "--code", &code]);
    assert!(!run.success());
    assert!(
        run.stderr.contains("does not accept this enrolment code"),
        "{}",
        run.stderr
    );
    assert!(other.status()["server"].is_null(), "nothing saved");
    // And the long token printed with the code was replaced by the enrolled laptop's.
    assert_eq!(mission.get("/api/v1/sync/pull", &printed_token).0, 401);
}
