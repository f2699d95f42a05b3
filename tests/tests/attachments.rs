//! A photo of the protocol, several megabytes, from the laptop to the coordinator through a
//! network that fails: `eom attach` keeps it, `eom sync` sends it in chunks, the laptop is
//! killed in the middle of the upload, and the next sync goes on from where the server is
//! instead of starting again. The coordinator gets the same bytes.

use std::time::Duration;

use eom_tests::contract::photo;
use eom_tests::proxy::{Fault, FaultProxy, Plan};
use eom_tests::{Laptop, Mission, finish_within, recv_within};

const SIZE: usize = 6 * 1024 * 1024;
const CHUNK: usize = eom_shared::attachment::CHUNK_BYTES;

#[test]
fn a_photo_survives_a_killed_laptop_and_a_bad_network_and_resumes() {
    let mut mission = Mission::new();
    mission.start();
    let proxy = FaultProxy::start(mission.addr(), Plan::Always(Fault::Pass));
    let laptop = Laptop::new();
    let token = mission.add_observer("Team 1", "North");
    laptop.setup(mission.url(), &token);
    laptop.point_at(&proxy.url(), &token);
    let id = laptop.fill_voting(1, &["PEC-001"])[0].to_string();

    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("protocol.jpg");
    let bytes = photo(SIZE, 5);
    std::fs::write(&file, &bytes).expect("write the photo");
    let sha = eom_shared::sha256_hex(&bytes);
    let attached = laptop
        .eom(&["attach", &id[..8], file.to_str().expect("utf-8")])
        .ok();
    assert!(attached.stdout.contains(&sha), "{}", attached.stdout);
    // Not a photo: refused with what to do.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a photo").expect("write");
    let refused = laptop
        .eom(&["attach", &id[..8], text.to_str().expect("utf-8")])
        .fails();
    assert!(refused.stderr.contains("not a JPEG"), "{}", refused.stderr);

    // The push, the first question where the upload is, and ten chunks go through; then the
    // network holds the next request and the laptop is killed.
    let arrivals = proxy.arrivals();
    let mut sync = laptop.command(&["sync"]).spawn().expect("eom sync starts");
    for _ in 0..12 {
        recv_within(&arrivals, Duration::from_secs(30), "the upload goes on");
    }
    proxy.set_plan(Plan::Always(Fault::Hold));
    recv_within(&arrivals, Duration::from_secs(30), "a held request");
    sync.kill().expect("SIGKILL");
    let _ = sync.wait();
    let shown = laptop.eom(&["show", &id[..8]]).ok();
    assert!(
        shown.stdout.contains("MB sent"),
        "the laptop knows how far it got: {}",
        shown.stdout
    );

    // The held request reaches the server after all; then a network that fails a third of
    // the time.
    proxy.set_plan(Plan::Random {
        rate: 0.4,
        seed: 20_261_129,
        delay: Duration::from_millis(10),
    });
    proxy.release();
    let before = proxy.stats().request_bytes;
    let run = finish_within(
        laptop
            .command(&[
                "sync",
                "--watch",
                "--retry-base-ms",
                "20",
                "--max-wait",
                "1",
            ])
            .spawn()
            .expect("eom sync starts"),
        Duration::from_secs(180),
        "eom sync --watch",
    );
    assert_eq!(run.status, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Sent 1 photo(s)"), "{}", run.stdout);
    let resumed = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Went on sending protocol.jpg from "))
        .unwrap_or_else(|| panic!("it resumed: {}", run.stdout));
    assert!(!resumed.contains("from 0.0 MB"), "{resumed}");
    let sent_after = proxy.stats().request_bytes - before;
    let faults = proxy.stats().faults;
    assert!(
        sent_after < SIZE - 10 * CHUNK + (faults + 4) * (CHUNK + 2048),
        "only the rest was sent again: {sent_after} bytes after the kill, {faults} faults"
    );

    // The coordinator sees it listed with its hash, and gets the same bytes.
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    assert_eq!(detail["attachments"][0]["sha256"], sha.as_str());
    assert_eq!(detail["attachments"][0]["size"], SIZE);
    let got = reqwest_bytes(
        &mission,
        &format!("/api/v1/submissions/{id}/attachments/{sha}"),
    );
    assert_eq!(got.len(), SIZE);
    assert_eq!(eom_shared::sha256_hex(&got), sha);
    let shown = laptop.eom(&["show", &id[..8]]).ok();
    assert!(shown.stdout.contains("on the server"), "{}", shown.stdout);
    // An observer token cannot read attachments back.
    let (status, _) = mission.get(
        &format!("/api/v1/submissions/{id}/attachments/{sha}"),
        &token,
    );
    assert_eq!(status, 403);
}

fn reqwest_bytes(mission: &Mission, path: &str) -> Vec<u8> {
    let (status, body) = mission.get_bytes(path, mission.coordinator_token());
    assert_eq!(status, 200);
    body
}
