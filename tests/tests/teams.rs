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
