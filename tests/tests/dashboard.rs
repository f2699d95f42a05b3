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

    // The demo day has checklists their teams corrected (a second revision).
    let listed = mission.coordinator_get("/api/v1/submissions?per_page=500");
    let corrected = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["revision"] == 2)
        .expect("a corrected checklist in the demo")["id"]
        .as_str()
        .expect("id")
        .to_owned();
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
        // The timeline is drawn on the page.
        assert!(
            client
                .find_all(Locator::Css("#timeline-chart rect.received"))
                .await
                .expect("bars")
                .len()
                > 1
        );
        screenshot(&client, "dashboard-overview").await;

        // The map: every station of the demo list has coordinates; its colours agree with
        // the legend.
        client.goto(&format!("{base}/map")).await.expect("map");
        wait_for(&client, "#map-chart").await;
        let circles = client
            .find_all(Locator::Css("#map-chart circle"))
            .await
            .expect("points");
        let negative = client
            .find_all(Locator::Css("#map-chart circle.negative"))
            .await
            .expect("red points");
        assert_eq!(
            circles.len(),
            48 + 8,
            "one point per polling station and regional commission"
        );
        assert!(
            !negative.is_empty(),
            "the demo day has negative assessments"
        );
        screenshot(&client, "dashboard-map").await;
        let legend = text(&client, "#map-legend").await;
        assert!(
            legend.contains(&format!("assessed negatively ({})", negative.len())),
            "{legend}"
        );

        // A checklist its team corrected: what the second revision changed.
        client
            .goto(&format!("{base}/checklists/{corrected}"))
            .await
            .expect("a corrected checklist");
        wait_for(
            &client,
            ".revision[data-revision='2'] tr[data-question=overall]",
        )
        .await;
        screenshot(&client, "dashboard-checklist").await;

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

/// The overview follows what arrives: a checklist pushed while it is open shows up without a
/// reload (the page's own script state survives). The Checklists search finds a station by a
/// lower-case fragment of its Cyrillic name.
#[test]
fn the_overview_updates_live_and_search_finds_a_cyrillic_station() {
    let Some(driver) = driver_or_skip("the live dashboard test") else {
        return;
    };
    use eom_tests::Laptop;
    use eom_tests::browser::sign_in;
    use std::time::{Duration, Instant};

    let mut mission = Mission::new();
    let dir = tempfile::tempdir().expect("dir");
    let more = dir.path().join("more.csv");
    std::fs::write(
        &more,
        "code,name,region,district,level,registered_voters\nPEC-107,Школа № 7 имени Абая,North,Central,pec,1000\n",
    )
    .expect("write");
    mission
        .admin(&["stations", "import", more.to_str().expect("utf-8")])
        .ok();
    let token = mission.add_observer("Team 1", "North");
    mission.start();
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &token);
    laptop.file("voting", "PEC-001", &eom_tests::voting_answers("good"));
    laptop.eom(&["sync"]).ok();

    let base = mission.url().to_owned();
    let coordinator = mission.coordinator_token().to_owned();
    let profile = tempfile::tempdir().expect("profile");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = runtime.block_on(async {
        let client = browser(&driver, profile.path(), 1200, 1400).await;
        sign_in(&client, &base, &coordinator).await;
        wait_for(&client, "#updated").await;
        assert_eq!(
            text(&client, "#assessments tr[data-stage=voting] td.count").await,
            "0 of 1"
        );
        client
            .execute("window.eomMarker = 42; return 1;", vec![])
            .await
            .expect("mark the page");
        client
    });

    // A bad voting checklist at the Cyrillic station arrives while the page is open.
    laptop.file("voting", "PEC-107", &eom_tests::voting_answers("bad"));
    laptop.eom(&["sync"]).ok();

    runtime.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // The page swaps its content in while it is read: an element found just before
            // the swap is gone by the time its text is asked for, so a failed read is retried.
            let count = match client
                .find(Locator::Css("#assessments tr[data-stage=voting] td.count"))
                .await
            {
                Ok(cell) => cell.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if count == "1 of 2" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the overview still shows {count} 30 s after the checklist arrived"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let marker = client
            .execute("return window.eomMarker;", vec![])
            .await
            .expect("read the mark");
        assert_eq!(marker, serde_json::json!(42), "updated without a reload");

        client
            .goto(&format!("{base}/checklists"))
            .await
            .expect("checklists");
        type_into(&client, "#search", "школа").await;
        click(&client, "form.filters button[type=submit]").await;
        // The old page's rows are there until the search's page replaces it: read the rows
        // once the address has the search in it and the new page has its table.
        let deadline = Instant::now() + Duration::from_secs(20);
        let rows = loop {
            let searched = client
                .current_url()
                .await
                .map(|u| u.query().is_some_and(|q| q.contains("search=")))
                .unwrap_or(false);
            let rows = client
                .find_all(Locator::Css("table tbody tr"))
                .await
                .unwrap_or_default();
            if searched && !rows.is_empty() {
                break rows;
            }
            assert!(Instant::now() < deadline, "the search's page never showed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(rows.len(), 1, "only the checklist at the Школа");
        let row = rows[0].text().await.expect("row");
        assert!(row.contains("PEC-107"), "{row}");
        client.close().await.expect("close");
    });
}

/// A checklist in the coordinator's language: the labels of the form, the critical answer
/// highlighted, what the second revision changed, and a review refused for want of a comment
/// shown on the page with what was chosen kept.
#[test]
fn a_checklist_reads_in_russian_with_its_problems_and_what_each_revision_changed() {
    let Some(driver) = driver_or_skip("the checklist page test") else {
        return;
    };
    use eom_tests::Laptop;
    use eom_tests::browser::sign_in;

    let mut mission = Mission::new();
    let token = mission.add_observer("Team 1", "North");
    mission.start();
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &token);
    let mut answers = eom_tests::voting_answers("very_bad");
    answers["box_stuffing"] = serde_json::json!(true);
    let id = laptop.file("voting", "PEC-001", &answers);
    laptop.eom(&["sync"]).ok();
    answers["overall"] = serde_json::json!("bad");
    let file = laptop.answers_file(&answers);
    laptop
        .eom(&["edit", &id, "--answers", file.to_str().expect("utf-8")])
        .ok();
    laptop.eom(&["sync"]).ok();

    let base = mission.url().to_owned();
    let coordinator = mission.coordinator_token().to_owned();
    let profile = tempfile::tempdir().expect("profile");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = browser(&driver, profile.path(), 1200, 1400).await;
        sign_in(&client, &base, &coordinator).await;
        click(&client, "#languages a[href='/lang/ru']").await;
        wait_for(&client, "#languages strong").await;
        assert_eq!(text(&client, "#languages strong").await, "RU");
        assert_eq!(text(&client, "header nav a[href='/']").await, "Обзор");

        client
            .goto(&format!("{base}/checklists/{id}"))
            .await
            .expect("checklist");
        wait_for(&client, "#revisions").await;
        let overall = text(
            &client,
            ".revision[data-revision='2'] tr[data-question=overall]",
        )
        .await;
        assert!(
            overall.contains("очень плохо") && overall.contains("плохо"),
            "{overall}"
        );
        let stuffing = text(
            &client,
            "#answers tr[data-question=box_stuffing].problem.critical",
        )
        .await;
        assert!(stuffing.contains("да"), "{stuffing}");

        click(&client, "#status option[value=rejected]").await;
        click(&client, "#review button").await;
        wait_for(&client, "#review-error").await;
        let refused = text(&client, "#review-error").await;
        assert!(refused.contains("comment"), "{refused}");
        let kept = client
            .find(Locator::Css("#status option[value=rejected]"))
            .await
            .expect("option")
            .prop("selected")
            .await
            .expect("selected");
        assert_eq!(kept.as_deref(), Some("true"), "the choice is kept");
        client.close().await.expect("close");
    });
}

/// Saves a screenshot for the README when `EOM_SCREENSHOTS` names a folder
/// (`scripts/screenshots.sh`).
async fn screenshot(client: &fantoccini::Client, name: &str) {
    if let Some(dir) = std::env::var_os("EOM_SCREENSHOTS") {
        let png = client.screenshot().await.expect("screenshot");
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png)
            .expect("save the screenshot");
    }
}
