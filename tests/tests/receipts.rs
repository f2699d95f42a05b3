//! Signed receipts, end to end: after a sync the laptop holds a receipt for every delivered
//! checklist, `eom receipts verify` checks them against the key saved at setup, and a receipt
//! altered on the laptop (an earlier time, another revision) no longer checks out.

use eom_shared::receipt::ReceiptKey;
use eom_tests::{Laptop, Mission, PASSPHRASE};

/// Runs SQL on the laptop's encrypted store, as someone with the passphrase could.
fn tamper(laptop: &Laptop, sql: &str) {
    let key = eom_client::vault::derive(laptop.home(), PASSPHRASE).expect("key");
    let conn = rusqlite::Connection::open(laptop.home().join(eom_client::store::DATABASE_FILE))
        .expect("open");
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", *key.sqlcipher_literal()))
        .expect("key");
    conn.execute_batch(sql).expect("tamper");
}

#[test]
fn receipts_verify_after_a_sync_and_an_altered_one_fails() {
    let mut mission = Mission::new();
    mission.start();
    let token = mission.add_observer("Team 5", "North");
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &token);
    laptop.fill_voting(3, &["PEC-001", "PEC-002"]);
    laptop.eom(&["sync"]).ok();

    // The key the laptop saved is the one the server publishes.
    let (status, published) = mission.get("/api/v1/receipts/key", "");
    assert_eq!(status, 200);
    let published: ReceiptKey = serde_json::from_value(published).expect("a key");
    let checked = laptop.eom(&["receipts", "verify", "--json"]).ok().json();
    assert_eq!(checked["key"], published.public_key);
    assert_eq!(checked["receipts"], 3, "{checked}");
    assert_eq!(checked["failed"].as_array().map(Vec::len), Some(0));
    let run = laptop.eom(&["receipts", "verify"]).ok();
    assert!(run.stdout.contains("All 3 receipts"), "{}", run.stdout);

    // Each receipt names what the server holds.
    let held = mission.all_submissions();
    for r in checked["receipts_list"].as_array().expect("receipts") {
        let id = r["id"].as_str().expect("id");
        assert_eq!(held.get(id).copied(), r["revision"].as_u64(), "{r}");
    }

    // Moving a receipt's time back an hour breaks its signature.
    tamper(
        &laptop,
        "UPDATE receipts SET received_at = '2026-01-01T00:00:00.000Z'
         WHERE rowid = (SELECT min(rowid) FROM receipts)",
    );
    let run = laptop.eom(&["receipts", "verify"]);
    assert_eq!(run.status, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("1 of 3"), "{}", run.stdout);
}
