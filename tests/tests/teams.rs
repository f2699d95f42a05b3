//! Observer teams in bulk with the real binaries: a team list saved by a Russian-locale Excel
//! (`;`, Windows-1251) is imported, the enrolment sheet's codes set laptops up with
//! `eom setup --code`, and a list with a mistake creates nothing.

use eom_tests::{Laptop, Mission};

const TEAMS: &str = "name;region;phone;stations\r\n\
Команда Север;North;+7 701 111 22 33;PEC-001 PEC-002\r\n\
Команда Юг;South;+7 702 000 00 00;PEC-003\r\n";

fn observers(mission: &Mission) -> usize {
    mission
        .admin(&["observer", "list"])
        .ok()
        .stdout
        .lines()
        .filter(|l| !l.starts_with("No "))
        .count()
}

#[test]
fn a_team_list_from_excel_is_imported_and_its_codes_set_laptops_up() {
    let mut mission = Mission::new();
    mission.start();
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("teams.csv");
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(TEAMS);
    std::fs::write(&file, &bytes).expect("write teams");
    let sheet = dir.path().join("sheet");
    let run = mission
        .admin(&[
            "observers",
            "import",
            file.to_str().expect("utf-8"),
            "--server-url",
            mission.url(),
            "--sheet",
            sheet.to_str().expect("utf-8"),
            "--lang",
            "ru",
        ])
        .ok();
    assert!(
        run.stdout.contains("Created 2 observer teams"),
        "{}",
        run.stdout
    );
    assert_eq!(observers(&mission), 2);

    let mut rows = csv::Reader::from_path(sheet.join("enrolment.csv")).expect("the sheet's CSV");
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    let north = &rows[0];
    assert_eq!(&north[1], "Команда Север");
    assert_eq!(&north[2], "North");
    assert_eq!(&north[3], "+7 701 111 22 33");
    assert_eq!(&north[4], "PEC-001 PEC-002");
    let code = north[5].to_owned();
    assert_eq!(
        &north[7],
        format!("eom setup --server {} --code {code}", mission.url())
    );
    let html = std::fs::read_to_string(sheet.join("enrolment.html")).expect("the sheet");
    assert_eq!(html.matches("<svg").count(), 2, "a QR code per team");
    assert!(html.contains(&code) && html.contains(&rows[1][5]));
    assert!(
        html.contains("Одноразовый код"),
        "in the language asked for"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sheet.join("enrolment.html"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the sheet holds working codes");
    }

    // The code from the sheet sets a laptop up as that team.
    let laptop = Laptop::new();
    let run = laptop
        .eom(&["setup", "--server", mission.url(), "--code", &code])
        .ok();
    assert!(
        run.stdout.contains("The server accepts this token"),
        "{}",
        run.stdout
    );
    laptop.fill_voting(1, &["PEC-001"]);
    laptop.eom(&["sync"]).ok();
    let listed = mission.coordinator_get("/api/v1/submissions");
    assert_eq!(
        listed["items"][0]["observer_name"], "Команда Север",
        "{listed}"
    );
    // The team list says which version of eom the laptop runs, and the team's phone.
    let teams = mission.coordinator_get("/api/v1/teams");
    let north = teams
        .as_array()
        .expect("teams")
        .iter()
        .find(|t| t["name"] == "Команда Север")
        .expect("the team");
    assert_eq!(
        north["client_version"],
        env!("CARGO_PKG_VERSION"),
        "{north}"
    );
    assert_eq!(north["phone"], "+7 701 111 22 33");
    assert_eq!(north["stations"], serde_json::json!(["PEC-001", "PEC-002"]));

    // The same list again: every name is taken, nothing is created, the sheet stays.
    let again = mission.admin(&[
        "observers",
        "import",
        file.to_str().expect("utf-8"),
        "--server-url",
        mission.url(),
        "--sheet",
        dir.path().join("sheet2").to_str().expect("utf-8"),
    ]);
    assert!(!again.success());
    assert!(
        again
            .stderr
            .contains("line 2: the name 'Команда Север' is already used"),
        "{}",
        again.stderr
    );
    assert_eq!(observers(&mission), 2);
    assert!(!dir.path().join("sheet2").exists());
}

#[test]
fn a_team_list_with_a_mistake_creates_no_team() {
    let mission = Mission::new();
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("teams.csv");
    std::fs::write(
        &file,
        "name,region,stations\nTeam A,North,PEC-001\nTeam B,Nrth,\nTeam C,North,PEC-003\n",
    )
    .expect("write");
    let run = mission.admin(&[
        "observer",
        "import",
        file.to_str().expect("utf-8"),
        "--server-url",
        "https://eom.example",
        "--sheet",
        dir.path().join("sheet").to_str().expect("utf-8"),
    ]);
    assert!(!run.success());
    assert!(
        run.stderr.contains("line 3: there is no region 'Nrth'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("line 4: station 'PEC-003' is in South, not in the team's region North"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("line 3:").count(),
        1,
        "each problem once: {}",
        run.stderr
    );
    assert_eq!(observers(&mission), 0);
    assert!(!dir.path().join("sheet").exists());
}

/// The core team's Teams pages in headless chromium: the silent team with its phone, a call
/// logged, and an administrator's new code that sets a laptop up.
#[test]
fn the_teams_pages_log_a_call_and_issue_a_code_that_works() {
    let Some(driver) = eom_tests::browser::driver_or_skip("the teams pages test") else {
        return;
    };
    use eom_tests::browser::{browser, click, sign_in, text, type_into, wait_for};
    let mut mission = Mission::new();
    mission.start();
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("teams.csv");
    std::fs::write(
        &file,
        "name,region,phone\nTeam Lake,North,+7 701 555 01 02\n",
    )
    .expect("write");
    mission
        .admin(&[
            "observer",
            "import",
            file.to_str().expect("utf-8"),
            "--server-url",
            mission.url(),
            "--sheet",
            dir.path().join("sheet").to_str().expect("utf-8"),
        ])
        .ok();
    let admin = mission
        .admin(&["admin", "add", "--name", "Head of mission", "--json"])
        .ok()
        .json()["token"]
        .as_str()
        .expect("admin token")
        .to_owned();
    let base = mission.url().to_owned();
    let profile = tempfile::tempdir().expect("profile");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let code = runtime.block_on(async {
        let client = browser(&driver, profile.path(), 1200, 1000).await;
        sign_in(&client, &base, &admin).await;
        // The overview lists the team as silent, with its phone, linking to its page.
        let silent = text(&client, "#silent").await;
        assert!(
            silent.contains("Team Lake") && silent.contains("nothing received yet"),
            "{silent}"
        );
        assert!(silent.contains("+7 701 555 01 02"), "{silent}");
        click(&client, "header a[href='/teams']").await;
        wait_for(&client, "#teams").await;
        click(&client, "#teams tbody tr td a").await;
        wait_for(&client, "#log-call").await;
        click(&client, "#outcome option[value=no_answer]").await;
        type_into(&client, "#note", "Tried twice; will try again at 16:00").await;
        click(&client, "#log-call button").await;
        wait_for(&client, "#calls tbody tr").await;
        let logged = text(&client, "#calls tbody tr").await;
        assert!(
            logged.contains("no answer") && logged.contains("Head of mission"),
            "{logged}"
        );
        assert!(logged.contains("Tried twice"), "{logged}");
        click(&client, "#admin form[action$='/code'] button").await;
        wait_for(&client, "#new-code strong").await;
        let code = text(&client, "#new-code strong").await;
        assert!(
            !client
                .current_url()
                .await
                .expect("url")
                .as_str()
                .contains(&code),
            "the code never travels in a URL"
        );
        client.close().await.expect("close");
        code
    });
    let laptop = Laptop::new();
    laptop
        .eom(&["setup", "--server", mission.url(), "--code", &code])
        .ok();
    laptop.fill_voting(1, &["PEC-001"]);
    laptop.eom(&["sync"]).ok();
    assert_eq!(laptop.status()["delivered"], 1);
}
