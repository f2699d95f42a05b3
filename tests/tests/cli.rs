//! The terminal client's manners, as a new user meets them: suggestions for a mistyped
//! station or form, short references, a time of day for --observed-at, one form's questions,
//! no "Broken pipe" when piped to `head`, and nothing from the server that can rewrite the
//! terminal.

use eom_tests::{Laptop, Mission, PASSPHRASE, binary, voting_answers};
use serde_json::json;

fn laptop_for(mission: &Mission) -> Laptop {
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &mission.add_observer("Team 30", "North"));
    laptop
}

#[test]
fn mistyped_stations_and_forms_get_a_suggestion_and_refs_and_times_of_day_work() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission);
    let answers = laptop.answers_file(&voting_answers("good"));
    let answers = answers.to_str().expect("utf-8");

    let run = laptop.eom(&[
        "new",
        "voting",
        "--station",
        "PEC-0001",
        "--answers",
        answers,
    ]);
    assert!(!run.success());
    assert!(
        run.stderr.contains("did you mean 'PEC-001'"),
        "{}",
        run.stderr
    );
    let run = laptop.eom(&["new", "votng", "--station", "PEC-001", "--answers", answers]);
    assert!(!run.success());
    assert!(
        run.stderr.contains("did you mean 'voting'"),
        "{}",
        run.stderr
    );

    let run = laptop
        .eom(&[
            "new",
            "voting",
            "--station",
            "PEC-001",
            "--answers",
            answers,
            "--observed-at",
            "09:30",
        ])
        .ok();
    let id = run.last_line().to_owned();
    let shown = laptop
        .eom(&["show", &id[id.len() - 8..], "--json"])
        .ok()
        .json();
    assert_eq!(shown["id"], id.as_str(), "the short reference finds it");
    let observed =
        chrono::DateTime::parse_from_rfc3339(shown["observed_at"].as_str().expect("time"))
            .expect("a time")
            .with_timezone(&chrono::Local);
    assert_eq!(
        observed.format("%H:%M").to_string(),
        "09:30",
        "today at 09:30 on this laptop"
    );
    let listed = laptop.eom(&["list"]).ok();
    assert!(
        listed.stdout.contains(&id[id.len() - 8..]),
        "{}",
        listed.stdout
    );

    let form = laptop.eom(&["forms", "voting"]).ok();
    assert!(form.stdout.contains("arrival_time"), "{}", form.stdout);
    assert!(
        form.stdout.contains("not_observed"),
        "choices are listed: {}",
        form.stdout
    );
    let forms = laptop.eom(&["forms"]).ok();
    assert!(
        forms.stdout.starts_with("form"),
        "a header line: {}",
        forms.stdout
    );
    let status = laptop.eom(&["status", "--lang", "ru"]).ok();
    assert!(
        status.stdout.contains("Ждут отправки: 1"),
        "{}",
        status.stdout
    );
    let status = laptop.eom(&["status", "--lang", "kk"]).ok();
    assert!(
        status.stdout.contains("Жіберуді күтуде: 1"),
        "{}",
        status.stdout
    );
}

#[test]
fn piping_to_head_ends_quietly() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission);
    laptop.fill_voting(400, &["PEC-001", "PEC-002"]);
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' --home '{}' list | head -n 1",
            binary("eom").display(),
            laptop.home().display()
        ))
        .env("EOM_PASSPHRASE", PASSPHRASE)
        .env("EOM_KEY_CACHE_DIR", laptop.key_cache())
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.trim().is_empty(),
        "nothing but the first line: {stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("ref"));
}

#[test]
fn control_characters_from_the_server_never_reach_the_terminal() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission);
    let id = laptop.file("voting", "PEC-001", &voting_answers("bad"));
    laptop.eom(&["sync"]).ok();
    let (status, _) = mission.coordinator_post(
        &format!("/api/v1/submissions/{id}/review"),
        &json!({"status": "flagged", "comment": "Call us\u{1b}]0;owned\u{7}\u{1b}[2J now"}),
    );
    assert_eq!(status, 200);
    laptop.eom(&["sync"]).ok();
    for args in [vec!["list"], vec!["show", id.as_str()]] {
        let run = laptop.eom(&args).ok();
        assert!(run.stdout.contains("Call us"), "{}", run.stdout);
        assert!(
            !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{7}'),
            "{args:?} printed control characters: {:?}",
            run.stdout
        );
    }
}

#[test]
fn times_of_day_are_in_the_missions_time_zone() {
    let mut mission = Mission::new();
    let refused = mission.admin(&["serve", "--time-zone", "Almaty"]);
    assert!(!refused.success());
    assert!(refused.stderr.contains("Asia/Almaty"), "{}", refused.stderr);

    mission.start_with(&["--time-zone", "Asia/Almaty"]);
    let laptop = laptop_for(&mission);
    let answers = laptop.answers_file(&voting_answers("good"));
    let run = laptop
        .eom(&[
            "new",
            "voting",
            "--station",
            "PEC-001",
            "--answers",
            answers.to_str().expect("utf-8"),
            "--observed-at",
            "09:30",
        ])
        .ok();
    let id = run.last_line().to_owned();
    laptop.eom(&["sync"]).ok();
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    let observed =
        chrono::DateTime::parse_from_rfc3339(detail["observed_at"].as_str().expect("time"))
            .expect("a time");
    let almaty = eom_shared::sync::parse_time_zone("Asia/Almaty").expect("zone");
    let in_almaty = observed.with_timezone(&almaty);
    assert_eq!(in_almaty.format("%H:%M").to_string(), "09:30", "{observed}");
    // The latest 09:30 in Almaty that has come: today's, or yesterday's before 09:30.
    let now_there = chrono::Utc::now().with_timezone(&almaty);
    let expected_day = if now_there.format("%H:%M").to_string().as_str() >= "09:30" {
        now_there.date_naive()
    } else {
        now_there.date_naive() - chrono::Duration::days(1)
    };
    assert_eq!(
        in_almaty.date_naive(),
        expected_day,
        "the latest 09:30 in Almaty"
    );
    let listed = laptop.eom(&["list"]).ok();
    assert!(
        listed.stdout.contains("09:30"),
        "shown in the mission's time: {}",
        listed.stdout
    );
}

/// The laptop refuses what the server would: notes over the limit and an observation time far
/// from now are named before anything is queued, in the observer's words.
#[test]
fn the_laptop_applies_the_servers_limits_before_queueing() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission);
    let answers = laptop.answers_file(&voting_answers("good"));
    let answers = answers.to_str().expect("utf-8");
    let long = "ж".repeat(eom_shared::limits::MAX_NOTES_CHARS + 1);
    let run = laptop.eom(&[
        "new",
        "voting",
        "--station",
        "PEC-001",
        "--answers",
        answers,
        "--notes",
        &long,
    ]);
    assert!(!run.success(), "{}", run.stdout);
    assert!(run.stderr.contains("4000"), "{}", run.stderr);

    let run = laptop.eom(&[
        "new",
        "voting",
        "--station",
        "PEC-001",
        "--answers",
        answers,
        "--observed-at",
        "2020-03-19T10:00:00Z",
    ]);
    assert!(!run.success(), "{}", run.stdout);
    assert!(run.stderr.contains("observation time"), "{}", run.stderr);
    assert_eq!(laptop.status()["queued"], 0, "nothing was queued");

    laptop
        .eom(&[
            "new",
            "voting",
            "--station",
            "PEC-001",
            "--answers",
            answers,
            "--notes",
            "queue outside",
        ])
        .ok();
    assert_eq!(laptop.status()["queued"], 1);
}

#[test]
fn a_voting_checklist_is_refused_at_a_commission_before_it_is_queued() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission);
    let answers = laptop.answers_file(&voting_answers("good"));
    let run = laptop.eom(&[
        "new",
        "voting",
        "--station",
        "TEC-N",
        "--answers",
        answers.to_str().expect("utf-8"),
    ]);
    assert!(!run.success());
    assert!(
        run.stderr
            .contains("'TEC-N' is not a station where a voting checklist is filed"),
        "{}",
        run.stderr
    );
    assert!(
        laptop.store().list(None).expect("list").is_empty(),
        "nothing was queued"
    );
}
