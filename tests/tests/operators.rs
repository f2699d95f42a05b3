//! The operator's tools on the real binary: a backup of a live database that serves the same
//! figures, and logs a collector can read.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use eom_tests::{Laptop, Mission, binary, recv_within};

#[test]
fn a_backup_of_the_live_database_serves_the_same_figures() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &mission.add_observer("Team 1", "North"));
    laptop.fill_voting(40, &["PEC-001", "PEC-002", "PEC-003"]);
    laptop.eom(&["sync"]).ok();

    // Taken while the server runs and keeps storing.
    let folder = tempfile::tempdir().expect("temp dir");
    let copy = folder.path().join("copy.db");
    let copy_arg = copy.to_str().expect("utf-8 path");
    let done = mission.admin(&["backup", copy_arg]).ok();
    assert!(done.stdout.contains("Backed up"), "{}", done.stdout);
    laptop.fill_voting(5, &["PEC-004"]);
    laptop.eom(&["sync"]).ok();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).expect("copy").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the copy is its owner's only");
    }

    // A backup never overwrites a file.
    let again = mission.admin(&["backup", copy_arg]);
    assert!(!again.success());
    assert!(again.stderr.contains("exists already"), "{}", again.stderr);

    // The copy holds the 40 checklists delivered before it was taken, and its figures are
    // those a recount gives.
    let mut restored = mission.moved_to(copy.display().to_string(), None);
    restored.start();
    let summary = restored.coordinator_get("/api/v1/reports/summary");
    assert_eq!(summary["total"], 40, "{summary}");
    let kept = restored.report_snapshot();
    restored.admin(&["reports", "rebuild"]).ok();
    assert_eq!(restored.report_snapshot(), kept);
    assert_eq!(
        mission.coordinator_get("/api/v1/reports/summary")["total"],
        45
    );

    // On PostgreSQL the tool to use is named.
    let refused = Command::new(binary("eom-server"))
        .args(["--db", "postgres://eom@127.0.0.1:9/eom", "backup"])
        .arg(folder.path().join("pg.db"))
        .output()
        .expect("eom-server runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pg_dump"));
}

#[test]
fn logs_can_be_json_lines() {
    let folder = tempfile::tempdir().expect("temp dir");
    let mut server = Command::new(binary("eom-server"))
        .arg("--db")
        .arg(folder.path().join("eom.db"))
        .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
        .env("EOM_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("eom-server starts");
    let stderr = server.stderr.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // The database it uses, then (a new one) that it installed the default forms.
    let lines = [
        recv_within(&rx, Duration::from_secs(60), "the first log line"),
        recv_within(&rx, Duration::from_secs(60), "the second log line"),
    ];
    let _ = server.kill();
    let _ = server.wait();
    let entries: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
        })
        .collect();
    for entry in &entries {
        assert_eq!(entry["level"], "INFO", "{entry}");
        assert!(entry["timestamp"].is_string(), "{entry}");
    }
    assert!(
        entries[0]["fields"]["database"]
            .as_str()
            .is_some_and(|d| d.ends_with("eom.db")),
        "{}",
        entries[0]
    );
    assert!(
        entries[1]["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("default forms")),
        "{}",
        entries[1]
    );
}

/// `eom-server audit verify` passes on a mission as the server wrote it, and fails, naming
/// the entry, once a stored revision is edited in the database behind the server's back.
#[test]
fn audit_verify_catches_a_revision_edited_behind_the_servers_back() {
    let mut mission = Mission::new();
    mission.start();
    let token = mission.add_observer("Team A", "North");
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &token);
    let ids = laptop.fill_voting(3, &["PEC-001"]);
    laptop.eom(&["sync"]).ok();

    let run = mission.admin(&["audit", "verify"]).ok();
    assert!(run.stdout.contains("intact"), "{}", run.stdout);
    let shown = mission.admin(&["audit", "show", "--json"]).ok();
    let revisions = shown
        .stdout
        .lines()
        .filter(|l| l.contains("\"action\":\"revision\""))
        .count();
    assert_eq!(revisions, 3, "{}", shown.stdout);

    let db = rusqlite::Connection::open(mission.db()).expect("open the database");
    db.execute(
        "UPDATE revisions SET notes = 'forged', content_hash = 'ab' WHERE submission_id = ?1",
        [ids[1].to_string()],
    )
    .expect("tamper");
    let run = mission.admin(&["audit", "verify"]);
    assert_eq!(run.status, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains(&format!("revision:{}:1 was changed", ids[1])),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("entry "), "{}", run.stderr);
}

#[test]
fn a_coordinator_of_several_regions_is_made_on_the_command_line_and_sees_them() {
    let mut mission = Mission::new();
    mission.start();
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &mission.add_observer("Team R", "North"));
    laptop.fill_voting(2, &["PEC-001", "PEC-003"]);
    laptop.eom(&["sync"]).ok();

    let made = mission
        .admin(&[
            "coordinator",
            "add",
            "--name",
            "Two-region desk",
            "--region",
            "South",
            "--region",
            "North",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(made["regions"], serde_json::json!(["South", "North"]));
    let both = made["token"].as_str().expect("token").to_owned();
    let south = mission
        .admin(&[
            "coordinator",
            "add",
            "--name",
            "South desk",
            "--region",
            "South",
        ])
        .ok();
    assert!(south.stdout.contains("region South"), "{}", south.stdout);
    let listed = mission.admin(&["coordinator", "list"]).ok();
    assert!(
        listed.stdout.contains("Two-region desk  South, North"),
        "{}",
        listed.stdout
    );

    let (status, summary) = mission.get("/api/v1/reports/summary", &both);
    assert_eq!(
        (status, summary["total"].clone()),
        (200, serde_json::json!(2))
    );
    let (status, _) = mission.get("/api/v1/submissions?region=East", &both);
    assert_eq!(status, 404);
    let admin_with_region = mission.admin(&["admin", "add", "--name", "Op", "--region", "North"]);
    assert!(!admin_with_region.success());
}

/// A station list as Russian-locale Excel saves it (`;` between fields, Windows-1251 text)
/// imports with its Cyrillic names intact; a file that cannot be read says how to save it
/// again, and each problem is printed once.
#[test]
fn a_station_list_saved_by_russian_excel_imports_and_a_bad_one_is_explained_once() {
    let mut mission = Mission::new();
    mission.start();
    let folder = tempfile::tempdir().expect("temp dir");
    let excel = folder.path().join("участки.csv");
    let text = "code;name;region;district;level;registered_voters\r\n\
                PEC-801;Школа №1;Алматы;Медеуский;pec;1800\r\n\
                PEC-802;\"Клуб; сельский\";Алматы;;pec;\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    std::fs::write(&excel, &bytes).expect("write");
    let run = mission
        .admin(&["stations", "import", excel.to_str().expect("utf-8")])
        .ok();
    assert!(run.stdout.contains("2 added"), "{}", run.stdout);
    let (status, pulled) = mission.get(
        "/api/v1/sync/pull",
        &mission.add_observer("Team A", "Алматы"),
    );
    assert_eq!(status, 200, "{pulled}");
    let names: Vec<&str> = pulled["stations"]
        .as_array()
        .expect("stations")
        .iter()
        .filter(|s| s["region"] == "Алматы")
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["Школа №1", "Клуб; сельский"]);

    // A header without the region column: named once.
    let no_region = folder.path().join("no-region.csv");
    std::fs::write(
        &no_region,
        "code;name;district;level;registered_voters\nPEC-9;X;D;pec;1\n",
    )
    .expect("write");
    let refused = mission.admin(&["stations", "import", no_region.to_str().expect("utf-8")]);
    assert!(!refused.success());
    assert_eq!(
        refused.stderr.matches("missing: region").count(),
        1,
        "{}",
        refused.stderr
    );
    // A spreadsheet file given as CSV: how to save it again.
    let xlsx = folder.path().join("stations.csv");
    std::fs::write(&xlsx, b"PK\x03\x04\x14\x00\x00\x00\x08\x00\x98\x00\xff\xfe").expect("write");
    let refused = mission.admin(&["stations", "import", xlsx.to_str().expect("utf-8")]);
    assert!(!refused.success());
    assert!(refused.stderr.contains("CSV UTF-8"), "{}", refused.stderr);
    assert_eq!(
        refused.stderr.matches("Save As").count(),
        2,
        "Excel and LibreOffice, once each: {}",
        refused.stderr
    );
}

/// Administration that cannot hurt the mission by accident: a command run in the wrong
/// folder makes no empty database (and so prints no token the server would reject), `init`
/// makes one and says where, every command names the database it uses, and `demo` will not
/// mix a simulated day into a database that holds a mission.
#[test]
fn admin_commands_refuse_a_missing_database_and_demo_refuses_a_real_one() {
    let folder = tempfile::tempdir().expect("temp dir");
    let missing = folder.path().join("eom.db");
    let admin = |args: &[&str]| {
        Command::new(binary("eom-server"))
            .arg("--db")
            .arg(&missing)
            .args(args)
            .env("EOM_LOG", "warn")
            .output()
            .expect("eom-server runs")
    };
    let absolute = std::path::absolute(&missing).expect("absolute");
    let refused = admin(&["observer", "add", "--name", "Team 1"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("there is no database at"), "{said}");
    assert!(said.contains(&absolute.display().to_string()), "{said}");
    assert!(said.contains("eom-server init"), "{said}");
    assert!(refused.stdout.is_empty(), "no token printed");
    assert!(!missing.exists(), "nothing was created");

    let made = admin(&["init"]);
    assert!(made.status.success());
    let said = String::from_utf8_lossy(&made.stdout);
    assert!(said.contains("Created the database"), "{said}");
    assert!(missing.exists());
    let added = admin(&["observer", "add", "--name", "Team 1", "--region", "North"]);
    assert!(added.status.success());
    let said = String::from_utf8_lossy(&added.stderr);
    assert!(
        said.contains(&format!("eom-server: database {}", absolute.display())),
        "{said}"
    );

    // A database that holds accounts: demo refuses it and adds nothing.
    let refused = admin(&["demo", "--observers", "2", "--stations", "8"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("already holds accounts or stations"),
        "{said}"
    );
    let listed = admin(&["observer", "list"]);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout)
            .matches("Team")
            .count(),
        1,
        "only the real team: {}",
        String::from_utf8_lossy(&listed.stdout)
    );
    // A new file is the demo's own.
    let demo = Command::new(binary("eom-server"))
        .arg("--db")
        .arg(folder.path().join("demo.db"))
        .args(["demo", "--observers", "2", "--stations", "8"])
        .env("EOM_LOG", "warn")
        .output()
        .expect("demo runs");
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
}
