//! Two `eom-server` instances on one PostgreSQL, as behind a load balancer: laptops sync
//! through both, one instance is killed in the middle of a delivery, and the mission still
//! holds every checklist exactly once with every report equal to a count from scratch.

use std::process::Stdio;
use std::time::Duration;

use eom_tests::postgres::Postgres;
use eom_tests::proxy::{Fault, FaultProxy, Plan};
use eom_tests::{Laptop, Ledger, Mission, finish_within};

#[test]
fn two_instances_on_one_database_survive_losing_one() {
    let Some(pg) = Postgres::start_or_skip("two_instances_on_one_database_survive_losing_one")
    else {
        return;
    };
    let mut a = Mission::on_postgres(&pg);
    a.start();
    let mut b = a.twin();
    b.start();
    assert_ne!(a.url(), b.url());

    // A coordinator signed in through A is signed in on B, and signing out through B ends
    // the session everywhere: sessions live in the database, not in an instance.
    let cookie = sign_in(a.url(), a.coordinator_token());
    let (status, page) = dashboard(b.url(), "/", &cookie);
    assert_eq!(status, 200);
    assert!(page.contains("Statement lines"), "the overview through B");
    // The form token of the page B served works on B (it is derived from the session).
    sign_out(b.url(), &cookie, &form_token(&page));
    let (status, _) = dashboard(a.url(), "/", &cookie);
    assert_eq!(status, 303, "signed out on A too");

    // Four teams: two set up through each instance.
    let laptops: Vec<Laptop> = (0..4).map(|_| Laptop::new()).collect();
    let tokens: Vec<String> = (0..4)
        .map(|i| a.add_observer(&format!("Team {i}"), "North"))
        .collect();
    for (i, laptop) in laptops.iter().enumerate() {
        let instance = if i % 2 == 0 { &a } else { &b };
        laptop.setup(instance.url(), &tokens[i]);
    }
    let stations = ["PEC-001", "PEC-002", "PEC-003", "PEC-004"];
    for laptop in &laptops {
        laptop.fill_voting(15, &stations);
        laptop.eom(&["sync"]).ok();
    }

    // Each team's next sync goes through the other instance (the balancer's choice).
    for (i, laptop) in laptops.iter().enumerate() {
        let other = if i % 2 == 0 { &b } else { &a };
        laptop.point_at(other.url(), &tokens[i]);
        laptop.fill_voting(5, &stations);
        laptop.eom(&["sync"]).ok();
    }

    // A big delivery through instance A, which dies while it is being received.
    let busy = &laptops[0];
    busy.fill_voting(600, &stations);
    let proxy = FaultProxy::start(a.addr(), Plan::Always(Fault::Pass));
    let arrivals = proxy.arrivals();
    busy.point_at(&proxy.url(), &tokens[0]);
    let sync = busy
        .command(&["sync"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("eom sync starts");
    // The second request reaching A means a push is under way: kill A now.
    for _ in 0..2 {
        eom_tests::recv_within(&arrivals, Duration::from_secs(60), "a push through A");
    }
    a.stop();
    let interrupted = finish_within(sync, Duration::from_secs(120), "eom sync while A dies");
    assert!(
        !interrupted.success() || busy.status()["queued"].as_u64() == Some(0),
        "a sync cut short says so, or it had finished"
    );

    // The laptop keeps what was not confirmed and delivers it through B.
    busy.point_at(b.url(), &tokens[0]);
    busy.eom(&["sync"]).ok();
    for (laptop, token) in laptops.iter().zip(&tokens) {
        laptop.point_at(b.url(), token);
        laptop.eom(&["sync"]).ok();
        assert_eq!(laptop.status()["queued"].as_u64(), Some(0), "all delivered");
    }

    let mut expected = Ledger::new();
    for laptop in &laptops {
        expected.extend(laptop.ledger());
    }
    assert_eq!(expected.len(), 4 * 20 + 600);
    b.assert_holds_exactly(&expected);

    // A comes back and answers with the same figures as B.
    a.start();
    for report in [
        "summary",
        "assessments",
        "coverage?silent_minutes=100000",
        "timeline",
    ] {
        assert_eq!(
            a.coordinator_get(&format!("/api/v1/reports/{report}")),
            b.coordinator_get(&format!("/api/v1/reports/{report}")),
            "{report} differs between the instances"
        );
    }
}

#[test]
fn a_demo_mission_moves_to_postgres_with_every_report_unchanged() {
    let Some(pg) =
        Postgres::start_or_skip("a_demo_mission_moves_to_postgres_with_every_report_unchanged")
    else {
        return;
    };
    let mut sqlite = Mission::new();
    let demo = sqlite
        .admin(&["demo", "--observers", "40", "--stations", "80", "--force"])
        .ok();
    let demo_token = demo
        .stdout
        .lines()
        .find(|l| l.starts_with("eom_"))
        .expect("the demo prints a coordinator token")
        .to_owned();
    sqlite.start();
    let before = sqlite.report_snapshot();
    let statement = sqlite.coordinator_get("/api/v1/reports/statement");
    let listed = sqlite.coordinator_get("/api/v1/submissions?per_page=500");
    sqlite.stop();

    let url = pg.create_database();
    // A URL with a password (the test cluster trusts local connections and ignores it): the
    // password is never printed.
    let with_password = url.replace("postgres://postgres@", "postgres://postgres:s3cret@");
    let moved = sqlite.admin(&["migrate", "--to", &with_password]).ok();
    assert!(
        moved.stdout.contains("Every report matches"),
        "{}",
        moved.stdout
    );
    assert!(
        !moved.stdout.contains("s3cret") && moved.stdout.contains("postgres:***@"),
        "the password is never printed: {}",
        moved.stdout
    );

    let mut postgres = sqlite.moved_to(url.clone(), Some(pg.client(&url)));
    postgres.start();
    let after = postgres.report_snapshot();
    for (a, b) in before.iter().zip(&after) {
        if let Some(difference) = first_difference(a, b, "") {
            panic!("a report changed in the move: {difference}");
        }
    }
    assert_eq!(
        postgres.coordinator_get("/api/v1/reports/statement"),
        statement
    );
    assert_eq!(
        postgres.coordinator_get("/api/v1/submissions?per_page=500"),
        listed,
        "the same checklists, revisions, reviews and times"
    );
    // The demo's own coordinator token works on the moved mission.
    let (status, _) = postgres.get("/api/v1/reports/summary", &demo_token);
    assert_eq!(status, 200);

    // Migrating again into a database that holds a mission is refused, with a reason.
    let again = sqlite.admin(&["migrate", "--to", &url]);
    assert!(!again.success());
    assert!(
        again.stderr.contains("already holds a mission"),
        "{}",
        again.stderr
    );
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// Signs in to the dashboard at `base` and returns the session cookie ("name=value").
fn sign_in(base: &str, token: &str) -> String {
    block_on(async {
        let response = client()
            .post(format!("{base}/login"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Origin", base)
            .body(format!("token={token}"))
            .send()
            .await
            .expect("sign-in answered");
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a session cookie");
        cookie.split(';').next().unwrap_or_default().to_owned()
    })
}

fn dashboard(base: &str, path: &str, cookie: &str) -> (u16, String) {
    block_on(async {
        let response = client()
            .get(format!("{base}{path}"))
            .header("Cookie", cookie)
            .send()
            .await
            .expect("page answered");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    })
}

/// The hidden `csrf` field of a dashboard page.
fn form_token(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no form token on the page: {page}"));
    page[at + 19..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn sign_out(base: &str, cookie: &str, csrf: &str) {
    block_on(async {
        client()
            .post(format!("{base}/logout"))
            .header("Cookie", cookie)
            .header("Origin", base)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}"))
            .send()
            .await
            .expect("sign-out answered");
    });
}

/// Where two JSON values first differ, as a path and the two values there.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                first_difference(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &format!("{path}.{k}"),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}: {a} before, {b} after")),
    }
}
