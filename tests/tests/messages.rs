//! Messages from the core team to observer teams, end to end with the real binaries and
//! headless chromium: written on the dashboard to one region, received by that region's
//! laptop at its sync (shown in `eom ui` and `eom messages`), not by a laptop elsewhere, and
//! the read seen by the coordinator.

use eom_tests::browser::{
    ObserverApp, browser, click, driver_or_skip, sign_in, text, type_into, wait_for,
};
use eom_tests::{Laptop, Mission};
use serde_json::Value;

const MESSAGE: &str = "Закрытие в 20:00: позвоните координатору после подсчёта";

#[test]
fn a_coordinators_message_reaches_the_laptops_of_its_region_only_and_its_read_is_seen() {
    let Some(driver) = driver_or_skip("the messages test") else {
        return;
    };
    let mut mission = Mission::new();
    let north_token = mission.add_observer("Team North", "North");
    let south_token = mission.add_observer("Team South", "South");
    mission.start();
    let north = Laptop::new();
    north.setup(mission.url(), &north_token);
    let south = Laptop::new();
    south.setup(mission.url(), &south_token);

    let base = mission.url().to_owned();
    let token = mission.coordinator_token().to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dashboard_profile = tempfile::tempdir().expect("profile");
    let dashboard = runtime.block_on(async {
        let client = browser(&driver, dashboard_profile.path(), 1200, 1000).await;
        sign_in(&client, &base, &token).await;
        click(&client, "header a[href='/messages']").await;
        wait_for(&client, "#send-message").await;
        click(&client, "#to option[value='region:North']").await;
        type_into(&client, "#body", MESSAGE).await;
        click(&client, "#send-message button").await;
        wait_for(&client, "#messages tbody tr").await;
        assert_eq!(
            text(&client, "#messages tbody tr td.read").await,
            "0 of 1",
            "addressed to the one North team, read by none yet"
        );
        client
    });

    // The North laptop receives it with its sync; the South one does not.
    let synced = north.eom(&["sync"]).ok();
    assert!(synced.stdout.contains("1 new message"), "{}", synced.stdout);
    let synced = south.eom(&["sync"]).ok();
    assert!(!synced.stdout.contains("message"), "{}", synced.stdout);
    let south_messages: Value =
        serde_json::from_str(&south.eom(&["messages", "--json"]).ok().stdout).expect("json");
    assert_eq!(south_messages, Value::Array(vec![]));

    // The North team sees it in eom ui, unread, and opening it marks it read.
    let app = ObserverApp::start(&north);
    let ui_profile = tempfile::tempdir().expect("profile");
    runtime.block_on(async {
        let client = browser(&driver, ui_profile.path(), 1000, 900).await;
        client.goto(&app.url).await.expect("open eom ui");
        wait_for(&client, "#unread-messages a").await;
        click(&client, "#unread-messages a").await;
        wait_for(&client, "article.message").await;
        let shown = text(&client, "article.message").await;
        assert!(shown.contains(MESSAGE), "{shown}");
        assert!(shown.contains("Core team"), "{shown}");
        client.goto(&app.url).await.expect("home again");
        wait_for(&client, "#counts").await;
        assert!(
            client
                .find(fantoccini::Locator::Css("#unread-messages"))
                .await
                .is_err(),
            "no unread message left"
        );
        client.close().await.expect("close");
    });
    drop(app);
    let listed: Value =
        serde_json::from_str(&north.eom(&["messages", "--json"]).ok().stdout).expect("json");
    assert_eq!(listed[0]["body"], MESSAGE);
    assert!(listed[0]["read_at"].is_string(), "{listed}");

    // The read reaches the server at the next sync, and the coordinator sees it.
    north.eom(&["sync"]).ok();
    runtime.block_on(async {
        dashboard.refresh().await.expect("reload");
        wait_for(&dashboard, "#messages tbody tr").await;
        let read = text(&dashboard, "#messages tbody tr td.read").await;
        assert!(read.starts_with("1 of 1"), "{read}");
        assert!(read.contains("Team North"), "{read}");
        dashboard.close().await.expect("close");
    });
    let api = mission.coordinator_get("/api/v1/messages");
    assert_eq!(api[0]["audience"], "region");
    assert_eq!(api[0]["region"], "North");
    assert_eq!(api[0]["read"][0]["team"], "Team North");
}
