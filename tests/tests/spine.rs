//! The whole path, as a mission runs it: accounts and stations on the server, checklists filed
//! on a laptop with no connection, delivered exactly once when the server can be reached.

use eom_tests::{Laptop, Mission, opening_answers, voting_answers};
use serde_json::json;

/// A laptop set up against the mission's server: setup checks the token and fetches the
/// forms and stations; a pull afterwards brings nothing new.
fn laptop_for(mission: &Mission, team: &str, region: &str) -> Laptop {
    let laptop = Laptop::new();
    let token = mission.add_observer(team, region);
    let run = laptop
        .eom_with_input(
            &["setup", "--server", mission.url(), "--token", "-"],
            &format!("{token}\n"),
        )
        .ok();
    assert!(run.stdout.contains("Fetched 5 forms"), "{}", run.stdout);
    let pulled = laptop.eom(&["pull"]).ok();
    assert!(
        pulled.stdout.contains("Pulled 0 forms"),
        "{}",
        pulled.stdout
    );
    laptop
}

#[test]
fn a_day_offline_then_delivered_exactly_once() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission, "Team 7", "North");
    // The connection goes: the server is unreachable for the rest of the morning.
    mission.stop();

    let mut ids = vec![
        laptop.file("opening", "PEC-001", &opening_answers("good")),
        laptop.file("voting", "PEC-001", &voting_answers("good")),
        laptop.file("voting", "PEC-002", &voting_answers("bad")),
    ];
    // One more, typed question by question at the terminal.
    let typed = [
        "10:40", "", // arrival, departure (optional)
        "n", "1", // observers restricted: kept too far away
        "", "", // voters on list, voted so far (optional)
        "n", "n", // overcrowded, unauthorized present
        "", "", "", // members directing, voters recorded, organised transport (optional)
        "n", "y", "y", "y", "y", // police inside, identity, signed, stamped, booths
        "n", "n", "n", "n", // group voting, photographed, stuffing, multiple voting
        "", "", "", // carousel, proxy, supplementary lists (optional)
        "n", "n", "n", "n", "n", // signatures, pressure, buying, turned away, campaign
        "3", "", // mobile box: not observed; followed the mobile box (optional)
        "y", "y", "n", "", "", // boxes intact, accessible, complaints, remarks, chair
        "very bad",
    ]
    .join("\n");
    let run = laptop
        .eom_with_input(&["new", "voting", "--station", "PEC-003"], &typed)
        .ok();
    ids.push(run.last_line().to_owned());
    for id in &ids {
        assert_eq!(id.len(), 36, "the last line is the id alone: {id:?}");
    }

    let failed = laptop.eom(&["sync"]);
    assert!(!failed.success(), "sync must fail while the server is down");
    assert!(
        failed.stdout.contains("Could not send"),
        "{}",
        failed.stdout
    );
    assert!(
        failed.stdout.contains("Still queued: 4"),
        "{}",
        failed.stdout
    );
    let status = laptop.status();
    assert_eq!(status["queued"], 4, "nothing is lost: {status}");
    assert!(status["last_sync_at"].is_null());

    mission.start();
    let synced = laptop.eom(&["sync"]).ok();
    assert!(synced.stdout.contains("Delivered 4"), "{}", synced.stdout);
    let status = laptop.status();
    assert_eq!(
        (status["queued"].clone(), status["delivered"].clone()),
        (json!(0), json!(4))
    );
    assert!(status["last_sync_at"].is_string());

    let listed = mission.coordinator_get("/api/v1/submissions");
    assert_eq!(listed["total"], 4);
    for id in &ids {
        let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
        assert_eq!(detail["revisions"].as_array().expect("revisions").len(), 1);
        assert_eq!(detail["observer_name"], "Team 7");
    }
    let typed_in = mission.coordinator_get(&format!("/api/v1/submissions/{}", ids[3]));
    let answers = &typed_in["revisions"][0]["answers"];
    assert_eq!(answers["access_restriction"], json!(["kept_far"]));
    assert_eq!(answers["overall"], "very_bad");
    let voting = mission.summary_of("voting");
    assert_eq!(
        (voting["checklists"].clone(), voting["negative"].clone()),
        (json!(3), json!(2))
    );

    // A second sync has nothing to send and changes nothing on the server.
    let again = laptop.eom(&["sync"]).ok();
    assert!(
        again.stdout.contains("Everything is delivered"),
        "{}",
        again.stdout
    );
    assert!(!again.stdout.contains("Delivered"), "{}", again.stdout);
    assert_eq!(mission.coordinator_get("/api/v1/submissions")["total"], 4);
    for id in &ids {
        let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
        assert_eq!(detail["revisions"].as_array().expect("revisions").len(), 1);
    }
}

#[test]
fn an_edit_arrives_as_revision_2_and_replaces_revision_1() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission, "Team 3", "South");
    let id = laptop.file("voting", "PEC-003", &voting_answers("good"));
    laptop.eom(&["sync"]).ok();
    let before = mission.summary_of("voting");
    assert_eq!(
        (before["checklists"].clone(), before["negative"].clone()),
        (json!(1), json!(0))
    );

    // Edit by a prefix of the id, as an observer would copy it from 'eom list'.
    let changed = laptop.answers_file(&voting_answers("very_bad"));
    let edited = laptop
        .eom(&[
            "edit",
            &id[..13],
            "--answers",
            changed.to_str().expect("utf-8"),
        ])
        .ok();
    assert!(edited.stdout.contains("revision 2"), "{}", edited.stdout);
    let shown = laptop.eom(&["show", &id, "--json"]).ok().json();
    assert_eq!(
        (shown["revision"].clone(), shown["state"].clone()),
        (json!(2), json!("queued"))
    );

    laptop.eom(&["sync"]).ok();
    let after = mission.summary_of("voting");
    assert_eq!(after["checklists"], 1, "an edit replaces, it does not add");
    assert_eq!(after["negative"], 1);
    assert_eq!(after["negative_share"], 1.0);
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    assert_eq!(detail["revision"], 2);
    let revisions: Vec<u64> = detail["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .map(|r| r["revision"].as_u64().expect("number"))
        .collect();
    assert_eq!(revisions, [1, 2]);
    assert_eq!(detail["revisions"][0]["answers"]["overall"], "good");
}

#[test]
fn a_checklist_the_server_refuses_is_kept_with_its_reason_until_fixed() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission, "Team 9", "North");
    // Before election day the mission handed out a station list that includes a station the
    // server was never told about.
    let extra = laptop.home().join("extra.csv");
    std::fs::write(
        &extra,
        "code,name,region,district,level,registered_voters\nPEC-999,Village hall,North,Hills,pec,300\n",
    )
    .expect("write csv");
    laptop
        .eom(&["stations", "import", extra.to_str().expect("utf-8")])
        .ok();
    let refused = laptop.file("voting", "PEC-999", &voting_answers("good"));
    let fine = laptop.file("voting", "PEC-001", &voting_answers("good"));

    let run = laptop.eom(&["sync"]);
    assert!(!run.success(), "a rejected checklist makes sync fail");
    assert!(
        run.stdout
            .contains(&format!("Rejected by the server: {refused}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("PEC-999"),
        "the reason is shown: {}",
        run.stdout
    );

    let rejected = laptop
        .eom(&["list", "--state", "rejected", "--json"])
        .ok()
        .json();
    let rejected = rejected.as_array().expect("list");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["id"], refused);
    assert_eq!(rejected[0]["issues"][0]["kind"], "unknown_station");
    let shown = laptop.eom(&["show", &refused]).ok();
    assert!(shown.stdout.contains("Server says"), "{}", shown.stdout);
    assert!(shown.stdout.contains("eom edit"), "{}", shown.stdout);
    assert_eq!(laptop.status()["rejected"], 1);

    // The rest of the batch went through.
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{fine}"));
    assert_eq!(detail["station"], "PEC-001");
    let (status, _) = mission.get(
        &format!("/api/v1/submissions/{refused}"),
        mission.coordinator_token(),
    );
    assert_eq!(status, 404);

    // Once the coordinator adds the station, the observer's fix (a new revision) goes through.
    let csv = laptop.home().join("server-extra.csv");
    std::fs::write(
        &csv,
        "code,name,region,district,level,registered_voters\nPEC-999,Village hall,North,Hills,pec,300\n",
    )
    .expect("write csv");
    mission
        .admin(&["stations", "import", csv.to_str().expect("utf-8")])
        .ok();
    let fixed = laptop.answers_file(&voting_answers("good"));
    laptop
        .eom(&[
            "edit",
            &refused,
            "--answers",
            fixed.to_str().expect("utf-8"),
        ])
        .ok();
    laptop.eom(&["sync"]).ok();
    assert_eq!(laptop.status()["rejected"], 0);
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{refused}"));
    assert_eq!(detail["revision"], 2);
}

#[test]
fn the_client_refuses_invalid_answers_and_saves_nothing() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission, "Team 2", "North");
    let mut answers = voting_answers("excellent");
    answers["minutes_late"] = json!(5);
    let file = laptop.answers_file(&answers);
    let run = laptop.eom(&[
        "new",
        "voting",
        "--station",
        "PEC-001",
        "--answers",
        file.to_str().expect("utf-8"),
    ]);
    assert!(!run.success());
    assert!(run.stderr.contains("overall"), "{}", run.stderr);
    assert!(run.stderr.contains("minutes_late"), "{}", run.stderr);
    let unknown = laptop.eom(&[
        "new",
        "voting",
        "--station",
        "PEC-777",
        "--answers",
        file.to_str().expect("utf-8"),
    ]);
    assert!(!unknown.success());
    assert!(
        unknown.stderr.contains("eom stations --search"),
        "{}",
        unknown.stderr
    );
    assert_eq!(laptop.eom(&["list", "--json"]).ok().json(), json!([]));
}

#[test]
fn tokens_are_limited_to_their_role() {
    let mut mission = Mission::new();
    mission.start();
    let observer = mission.add_observer("Team 1", "North");
    for path in ["/api/v1/submissions", "/api/v1/reports/summary"] {
        let (status, body) = mission.get(path, &observer);
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["error"], "forbidden");
        let (status, _) = mission.get(path, "eom_made-up");
        assert_eq!(status, 401);
        let (status, _) = mission.get(path, mission.coordinator_token());
        assert_eq!(status, 200);
    }
    // A coordinator's token cannot be used to sync a laptop: setup says so and saves nothing.
    let laptop = Laptop::new();
    let run = laptop.eom_with_input(
        &["setup", "--server", mission.url(), "--token", "-"],
        &format!("{}\n", mission.coordinator_token()),
    );
    assert!(!run.success());
    assert!(run.stderr.contains("observer"), "{}", run.stderr);
    let run = laptop.eom(&["pull"]);
    assert!(!run.success());
    assert!(run.stderr.contains("eom setup"), "{}", run.stderr);
}

#[test]
fn the_server_restarts_on_its_database_with_everything_kept() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission, "Team 5", "South");
    let id = laptop.file("voting", "PEC-004", &voting_answers("bad"));
    laptop.eom(&["sync"]).ok();
    assert!(mission.terminate(), "SIGTERM stops the server cleanly");
    mission.start();
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    assert_eq!(detail["overall"], "bad");
    // Forms are loaded once, not again on every start: five forms in two versions.
    let (_, pull) = mission.get(
        "/api/v1/sync/pull",
        &mission.add_observer("Team 6", "South"),
    );
    assert_eq!(pull["forms"].as_array().expect("forms").len(), 10);
}

#[test]
fn the_observer_sees_the_coordinators_comments_and_answers_with_an_edit() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission, "Team 8", "North");
    let id = laptop.file("voting", "PEC-002", &voting_answers("very_bad"));
    laptop.eom(&["sync"]).ok();

    let (status, _) = mission.coordinator_post(
        &format!("/api/v1/submissions/{id}/review"),
        &json!({"status": "flagged", "comment": "Very bad? Please describe what you saw in the notes."}),
    );
    assert_eq!(status, 200);

    let synced = laptop.eom(&["sync"]).ok();
    assert!(synced.stdout.contains("reviewed 1"), "{}", synced.stdout);
    let listed = laptop.eom(&["list"]).ok();
    assert!(
        listed.stdout.contains("flagged: Very bad? Please describe"),
        "{}",
        listed.stdout
    );
    let shown = laptop.eom(&["show", &id]).ok();
    assert!(
        shown.stdout.contains("Coordinator: flagged by Core team"),
        "{}",
        shown.stdout
    );
    let as_json = laptop.eom(&["show", &id, "--json"]).ok().json();
    assert_eq!(as_json["review"]["status"], "flagged");

    // The observer answers with a corrected revision.
    let fixed = laptop.answers_file(&voting_answers("bad"));
    laptop
        .eom(&[
            "edit",
            &id,
            "--answers",
            fixed.to_str().expect("utf-8"),
            "--notes",
            "Group voting in booth 2 all morning",
        ])
        .ok();
    laptop.eom(&["sync"]).ok();
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    assert_eq!(detail["revision"], 2);
    assert_eq!(
        detail["reviewed_revision"], 1,
        "the dashboard can tell it was edited since"
    );
    assert_eq!(
        detail["revisions"][1]["notes"],
        "Group voting in booth 2 all morning"
    );
}

#[test]
fn a_revoked_token_is_refused_and_a_new_one_carries_on() {
    let mut mission = Mission::new();
    mission.start();
    let created = mission
        .admin(&[
            "observer", "add", "--name", "Team 11", "--region", "North", "--json",
        ])
        .ok()
        .json();
    let (account, token) = (
        created["id"].as_str().expect("id").to_owned(),
        created["token"].as_str().expect("token").to_owned(),
    );
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &token);
    laptop.eom(&["pull"]).ok();
    let first = laptop.file("voting", "PEC-001", &voting_answers("good"));
    laptop.eom(&["sync"]).ok();

    // The laptop is seized: the coordinator revokes its token.
    mission.admin(&["observer", "revoke", &account]).ok();
    laptop.file("voting", "PEC-002", &voting_answers("good"));
    let refused = laptop.eom(&["sync"]);
    assert_eq!(refused.status, Some(3));
    assert!(
        refused.stdout.contains("refused the token"),
        "{}",
        refused.stdout
    );
    assert_eq!(laptop.status()["queued"], 1, "nothing lost");

    // The team gets a new token for the same account and carries on.
    let rotated = mission
        .admin(&["observer", "revoke", &account, "--new-token"])
        .ok();
    let new_token = rotated.last_line().to_owned();
    laptop.setup(mission.url(), &new_token);
    laptop.eom(&["sync"]).ok();
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{first}"));
    assert_eq!(detail["observer_id"], account.as_str());
    assert_eq!(mission.all_submissions().len(), 2);

    let unknown = mission.admin(&["observer", "revoke", "no-such-account"]);
    assert!(!unknown.success());
    assert!(
        unknown.stderr.contains("observer list"),
        "{}",
        unknown.stderr
    );
}
