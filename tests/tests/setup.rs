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
