//! The coordinators' dashboard in a real headless browser (Debian's chromium, driven over
//! WebDriver by chromedriver): sign in, read the overview, open a checklist, flag it.
//!
//! `.ci/run` installs chromium and chromedriver and exports `CI`: there a missing browser fails
//! the test; elsewhere it is skipped with a message on the terminal (see `eom_tests::browser`).

use eom_tests::Mission;
use eom_tests::browser::{browser, click, driver_or_skip, text, type_into, wait_for};
use fantoccini::Locator;
use serde_json::Value;

#[test]
fn a_coordinator_signs_in_reads_the_overview_and_flags_a_checklist() {
    let Some(driver) = driver_or_skip("the dashboard test") else {
        return;
    };
    let mut mission = Mission::new();
    mission
        .admin(&[
            "demo",
            "--observers",
            "24",
            "--stations",
            "48",
            "--seed",
            "3",
            "--force",
        ])
        .ok();
    mission.start();
    let api = mission.coordinator_get("/api/v1/reports/assessments");
    let voting: &Value = api["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["stage"] == "voting")
        .expect("voting");
    let expected_share = format!(
        "{:.0}%",
        voting["negative"]["share"].as_f64().expect("voting share") * 100.0
    );
    let expected_count = format!(
        "{} of {}",
        voting["negative"]["part"], voting["negative"]["whole"]
    );

    let profile = tempfile::tempdir().expect("profile dir");
    let base = mission.url().to_owned();
    let token = mission.coordinator_token().to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let href = runtime.block_on(async {
        let client = browser(&driver, profile.path(), 1200, 1600).await;

        // Unsigned visitors are sent to the sign-in page; a wrong token is refused.
        client.goto(&format!("{base}/")).await.expect("open");
        assert!(
            client
                .current_url()
                .await
                .expect("url")
                .path()
                .starts_with("/login")
        );
        type_into(&client, "#token", "eom_wrong").await;
        click(&client, "button[type=submit]").await;
        wait_for(&client, ".error").await;
        assert!(
            text(&client, ".error")
                .await
                .contains("not a coordinator token")
        );

        type_into(&client, "#token", &token).await;
        click(&client, "button[type=submit]").await;
        wait_for(&client, "#assessments").await;
        assert_eq!(client.current_url().await.expect("url").path(), "/");
        let cookies = client.get_all_cookies().await.expect("cookies");
        let session = cookies
            .iter()
            .find(|c| c.name() == "eom_session")
            .expect("a session cookie");
        assert_ne!(
            session.value(),
            token,
            "the browser never keeps the token itself"
        );
        assert_eq!(session.http_only(), Some(true));

        // The overview shows the same figures as the JSON API.
        assert_eq!(
            text(&client, "#assessments tr[data-stage=voting] td.share").await,
            expected_share
        );
        assert_eq!(
            text(&client, "#assessments tr[data-stage=voting] td.count").await,
            expected_count
        );
        let statement = text(&client, "#statement").await;
        assert!(
            statement.contains("Voting was assessed negatively in"),
            "{statement}"
        );
        let screenshot = client.screenshot().await.expect("screenshot");
        let shots = std::env::temp_dir().join("eom-dashboard-overview.png");
        std::fs::write(&shots, screenshot).expect("save the screenshot");

        // Open a checklist from the list and flag it.
        client
            .goto(&format!("{base}/checklists?form=counting"))
            .await
            .expect("list");
        let link = client
            .find(Locator::Css("table tbody tr td a"))
            .await
            .expect("a checklist link");
        let href = link.attr("href").await.expect("href").expect("link target");
        link.click().await.expect("open the checklist");
        wait_for(&client, "form[action$='/review']").await;
        assert_eq!(client.current_url().await.expect("url").path(), href);
        click(&client, "#status option[value=flagged]").await;
        type_into(
            &client,
            "#comment",
            "Protocol copy unreadable: please send a photo",
        )
        .await;
        click(&client, "form[action$='/review'] button").await;
        wait_for(&client, "#review-status.flagged").await;
        assert_eq!(text(&client, "#review-status").await, "flagged");

        // Signing out ends the session: the pages ask for the token again.
        click(&client, "header form button").await;
        wait_for(&client, "#token").await;
        client.goto(&format!("{base}/")).await.expect("open");
        wait_for(&client, "#token").await;
        client.close().await.expect("close the browser");
        href
    });

    let id = href.trim_start_matches("/checklists/");
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    assert_eq!(detail["review_status"], "flagged");
    assert_eq!(
        detail["reviews"][0]["comment"],
        "Protocol copy unreadable: please send a photo"
    );
}
