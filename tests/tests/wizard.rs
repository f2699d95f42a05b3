//! The terminal questionnaire as an observer uses it, through the real `eom` binary with piped
//! standard input: drafts that survive the input ending and the process being killed, an edit
//! that goes through the saved answers again, answers files in and out.

use std::io::Write;
use std::time::{Duration, Instant};

use eom_tests::{Laptop, Mission, typed_answers, voting_answers};
use serde_json::Value;

fn laptop_for(mission: &Mission) -> Laptop {
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &mission.add_observer("Team 7", "North"));
    laptop.eom(&["pull"]).ok();
    laptop
}

fn drafts(laptop: &Laptop) -> Vec<Value> {
    laptop
        .eom(&["drafts", "--json"])
        .ok()
        .json()
        .as_array()
        .cloned()
        .expect("a list")
}

#[test]
fn a_draft_survives_the_input_ending_and_is_finished_later() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission);

    // Two answers (the optional departure time skipped with Enter), then the input ends: the
    // observer closed the terminal.
    let run = laptop
        .eom_with_input(&["new", "voting", "--station", "PEC-001"], "09:30\n\ny\n")
        .ok();
    assert!(run.stdout.contains("kept as a draft"), "{}", run.stdout);
    let id = run.last_line().to_owned();
    let kept = drafts(&laptop);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["id"], id.as_str());
    assert_eq!(kept[0]["answers"]["arrival_time"], "09:30");
    assert_eq!(kept[0]["answers"]["observers_unrestricted"], true);
    assert_eq!(laptop.status()["queued"], 0, "a draft is never queued");
    let run = laptop.eom(&["drafts"]).ok();
    assert!(run.stdout.contains("PEC-001"), "{}", run.stdout);

    // Resumed: Enter keeps the answers given (and the skipped one), the rest are typed.
    let typed = typed_answers("voting", &voting_answers("bad"), 3);
    let run = laptop.eom_with_input(&["resume", &id[..8]], &typed).ok();
    assert_eq!(run.last_line(), id, "{}", run.stdout);
    assert!(
        drafts(&laptop).is_empty(),
        "the draft is gone once finished"
    );
    assert_eq!(laptop.status()["queued"], 1);

    laptop.eom(&["sync"]).ok();
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    assert_eq!(detail["revision"], 1);
    assert_eq!(detail["overall"], "bad");
    assert_eq!(detail["revisions"][0]["answers"]["arrival_time"], "09:30");
}

#[test]
fn killing_eom_mid_checklist_keeps_every_answer_given() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission);
    let mut child = laptop
        .command(&["new", "voting", "--station", "PEC-002"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("eom new starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"10:05\n\ny\n").expect("type");
    stdin.flush().expect("flush");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let kept = drafts(&laptop);
        if kept
            .first()
            .is_some_and(|d| d["answers"].as_object().is_some_and(|a| a.len() == 2))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the answers never reached the draft: {kept:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let kept = drafts(&laptop);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["answers"]["arrival_time"], "10:05");
    assert_eq!(kept[0]["answers"]["observers_unrestricted"], true);
}

#[test]
fn an_edit_without_a_file_goes_through_the_saved_answers_and_syncs_as_revision_2() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission);
    let id = laptop.file("voting", "PEC-001", &voting_answers("good"));
    laptop.eom(&["sync"]).ok();

    // Change the first answer; Enter keeps every other one.
    let mut typed = String::from("10:15\n");
    typed.push_str(&"\n".repeat(60));
    let run = laptop.eom_with_input(&["edit", &id[..8]], &typed).ok();
    assert!(
        run.stdout.contains("[09:30]"),
        "the saved answer is shown: {}",
        run.stdout
    );
    assert!(run.stdout.contains("revision 2"), "{}", run.stdout);
    laptop.eom(&["sync"]).ok();

    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    assert_eq!(detail["revision"], 2);
    let newest = &detail["revisions"][1]["answers"];
    assert_eq!(newest["arrival_time"], "10:15");
    let mut expected = voting_answers("good");
    expected["arrival_time"] = "10:15".into();
    assert_eq!(newest, &expected, "every other answer kept as it was");
}

#[test]
fn answers_files_go_out_and_back_in_and_a_checklist_moves_station() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission);
    let id = laptop.file("voting", "PEC-001", &voting_answers("good"));

    let template = laptop.eom(&["template", "voting"]).ok().json();
    let fields = template.as_object().expect("an object");
    assert!(fields.contains_key("overall") && fields.values().all(Value::is_null));

    let mut answers = laptop.eom(&["answers", &id]).ok().json();
    assert_eq!(answers, voting_answers("good"));
    answers["overall"] = "very_bad".into();
    // Saved the way a Windows editor does, with a byte order mark.
    let path = laptop.home().join("fixed.json");
    std::fs::write(&path, format!("\u{feff}{answers}")).expect("write");
    laptop
        .eom(&[
            "edit",
            &id,
            "--answers",
            path.to_str().expect("utf-8"),
            "--station",
            "PEC-002",
        ])
        .ok();
    laptop.eom(&["sync"]).ok();
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    assert_eq!(
        (
            detail["revision"].clone(),
            detail["station"].clone(),
            detail["overall"].clone()
        ),
        (2.into(), "PEC-002".into(), "very_bad".into())
    );
}

#[test]
fn the_questionnaire_speaks_the_observers_language_and_takes_answers_in_it() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = laptop_for(&mission);
    // Kazakh prompts, a yes typed in Kazakh, an assessment typed in Russian words later.
    let run = laptop
        .eom_with_input(
            &["new", "voting", "--station", "PEC-001", "--lang", "kk"],
            "09:30\n\nиә\n",
        )
        .ok();
    assert!(
        run.stdout.contains("белгісі бар сұрақтар міндетті"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("иә/жоқ"), "{}", run.stdout);
    assert!(run.stdout.contains("Енгізу аяқталды"), "{}", run.stdout);
    let kept = drafts(&laptop);
    assert_eq!(kept[0]["answers"]["observers_unrestricted"], true);

    // Russian for this command only: a wrong answer explained in Russian.
    let run = laptop
        .eom_with_input(
            &["new", "voting", "--station", "PEC-001", "--lang", "ru"],
            "в полдень\n",
        )
        .ok();
    assert!(run.stdout.contains("не время"), "{}", run.stdout);
    assert!(run.stdout.contains("Ввод закончился"), "{}", run.stdout);
}
