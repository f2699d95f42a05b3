//! A laptop that gives nothing away when seized: no file under the eom home holds an answer,
//! a note, a station code or the token in clear; the files are the owner's alone; a wrong
//! passphrase fails cleanly and changes nothing; `eom lock` forgets the key, `eom wipe`
//! destroys the data; a store written in clear by an earlier eom is encrypted in place.

use std::path::{Path, PathBuf};

use eom_tests::{Laptop, Mission, PASSPHRASE, binary, typed_answers, voting_answers};
use sha2::{Digest, Sha256};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `eom ARGS` with only the given environment for the passphrase and the key cache.
fn eom_with(
    laptop: &Laptop,
    args: &[&str],
    passphrase: Option<&str>,
    cache: &Path,
) -> eom_tests::Run {
    let mut command = std::process::Command::new(binary("eom"));
    command
        .arg("--home")
        .arg(laptop.home())
        .args(args)
        .env_remove("EOM_PASSPHRASE")
        .env_remove("XDG_RUNTIME_DIR")
        .env("EOM_KEY_CACHE_DIR", cache)
        .stdin(std::process::Stdio::null());
    if let Some(p) = passphrase {
        command.env("EOM_PASSPHRASE", p);
    }
    eom_tests::Run::from(command.output().expect("eom runs"))
}

fn digest(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).expect("read")).to_vec()
}

#[test]
fn no_file_under_the_home_holds_an_answer_a_note_a_station_or_the_token() {
    let mut mission = Mission::new();
    mission.start();
    let token = mission.add_observer("Team 8", "South");
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &token);

    // Filled through the questionnaire, with a note and a free-text remark to look for.
    let mut answers = voting_answers("bad");
    answers["remarks"] = "Chairman Zhumabekov ordered the observers out".into();
    let run = laptop
        .eom_with_input(
            &[
                "new",
                "voting",
                "--station",
                "PEC-003",
                "--notes",
                "Met informant near the school gate",
            ],
            &typed_answers("voting", &answers, 0),
        )
        .ok();
    let id = run.last_line().to_owned();
    // And a draft left half-way, and a delivered checklist.
    laptop.eom_with_input(&["new", "voting", "--station", "PEC-004"], "11:45\n");
    laptop.eom(&["sync"]).ok();
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    assert_eq!(
        detail["revisions"][0]["answers"]["remarks"],
        "Chairman Zhumabekov ordered the observers out",
        "the remark really was recorded and delivered"
    );

    let secrets: [&[u8]; 6] = [
        b"Zhumabekov",
        b"informant",
        b"PEC-003",
        b"PEC-004",
        b"School No. 1",
        token.as_bytes(),
    ];
    let files = files_under(laptop.home());
    assert!(files.iter().any(|f| f.ends_with("eom.db")));
    for file in &files {
        let bytes = std::fs::read(file).expect("read");
        for secret in secrets {
            assert!(
                !contains(&bytes, secret),
                "{} holds {:?} in clear",
                file.display(),
                String::from_utf8_lossy(secret)
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file).expect("meta").permissions().mode() & 0o777;
            assert_eq!(
                mode,
                0o600,
                "{} is readable by others ({mode:o})",
                file.display()
            );
        }
    }
}

#[test]
fn a_wrong_passphrase_fails_cleanly_and_changes_nothing() {
    let laptop = Laptop::new();
    laptop.setup_offline();
    let db = laptop.home().join("eom.db");
    let before = digest(&db);
    let empty = tempfile::tempdir().expect("an empty key cache");

    let run = eom_with(
        &laptop,
        &["status"],
        Some("not the passphrase"),
        empty.path(),
    );
    assert!(!run.success());
    assert!(
        run.stderr.contains("passphrase does not open"),
        "{}",
        run.stderr
    );
    assert_eq!(digest(&db), before, "nothing changed");
    // In the observer's language, too.
    let run = eom_with(
        &laptop,
        &["status", "--lang", "ru"],
        Some("not the passphrase"),
        empty.path(),
    );
    assert!(run.stderr.contains("не открывает"), "{}", run.stderr);

    // Without a passphrase and without a terminal to ask on, eom says what to do.
    let run = eom_with(&laptop, &["status"], None, empty.path());
    assert!(!run.success());
    assert!(run.stderr.contains("EOM_PASSPHRASE"), "{}", run.stderr);

    let run = eom_with(
        &laptop,
        &["status", "--json"],
        Some(PASSPHRASE),
        empty.path(),
    )
    .ok();
    assert_eq!(run.json()["server"], "http://127.0.0.1:9/");
}

#[test]
fn lock_forgets_the_key_and_wipe_destroys_the_data() {
    let laptop = Laptop::new();
    laptop.setup_offline();
    // Unlocked once: the next command needs no passphrase.
    eom_with(&laptop, &["status"], None, laptop.key_cache()).ok();
    let run = eom_with(&laptop, &["lock"], None, laptop.key_cache()).ok();
    assert!(run.stdout.contains("Locked"), "{}", run.stdout);
    let run = eom_with(&laptop, &["status"], None, laptop.key_cache());
    assert!(!run.success(), "locked: the passphrase is needed again");

    // Wiping needs no passphrase, only the typed confirmation.
    let refused = laptop.eom_with_input(&["wipe"], "no\n");
    assert!(!refused.success());
    assert!(laptop.home().join("eom.db").exists(), "not confirmed: kept");
    let note = laptop.home().join("my-notes.txt");
    std::fs::write(&note, "not eom's").expect("write");
    let run = laptop.eom_with_input(&["wipe"], "WIPE\n").ok();
    assert!(run.stdout.contains("Destroyed"), "{}", run.stdout);
    for f in ["eom.db", "eom.db-wal", "eom.db-shm", "eom.salt"] {
        assert!(!laptop.home().join(f).exists(), "{f} survived the wipe");
    }
    assert!(note.exists(), "files that are not eom's are left alone");
}

#[test]
fn a_store_kept_in_clear_by_an_earlier_eom_is_encrypted_in_place() {
    let laptop = Laptop::new();
    let db = laptop.home().join("eom.db");
    {
        // The store as eom wrote it before encryption: its first two migrations, in clear.
        let conn = rusqlite::Connection::open(&db).expect("plain database");
        conn.execute_batch(include_str!(
            "../../client/src/store/migrations/0001_initial.sql"
        ))
        .expect("schema");
        conn.execute_batch(include_str!(
            "../../client/src/store/migrations/0002_feedback.sql"
        ))
        .expect("schema");
        conn.execute_batch(
            "INSERT INTO settings VALUES ('server', 'http://127.0.0.1:9/'), ('token', 'eom_plain_token');
             PRAGMA user_version = 2;",
        )
        .expect("settings");
    }
    assert!(contains(
        &std::fs::read(&db).expect("read"),
        b"eom_plain_token"
    ));

    let run = laptop.eom(&["status", "--json"]).ok();
    assert_eq!(
        run.json()["server"],
        "http://127.0.0.1:9/",
        "everything kept"
    );
    for file in files_under(laptop.home()) {
        assert!(
            !contains(&std::fs::read(&file).expect("read"), b"eom_plain_token"),
            "{} still holds the token in clear",
            file.display()
        );
    }
}
