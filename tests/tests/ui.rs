//! `eom ui`, the observer's app in the browser, driven in headless chromium as an observer
//! would use it: find a station by typing part of its Cyrillic name in lower case, fill a
//! counting checklist in Russian (skip logic live, a validation message, a protocol warning),
//! lose the app half way (SIGKILL), find the draft after a restart, finish it, review, put it
//! in the outbox, sync to a real server, see it delivered and the coordinator's comment come
//! back. Also: the door (the per-launch secret, the Host header).

use std::time::{Duration, Instant};

use eom_tests::browser::{ObserverApp, browser, click, driver_or_skip, text, type_into, wait_for};
use eom_tests::{Laptop, Mission};
use fantoccini::{Client, Locator};
use serde_json::json;

/// Waits until the element matching `css` has (or has not) the class `class`.
async fn wait_class(client: &Client, css: &str, class: &str, present: bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let classes = client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .attr("class")
            .await
            .expect("class")
            .unwrap_or_default();
        if classes.split_whitespace().any(|c| c == class) == present {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css}: class {class} present={present} never came ({classes})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// With `EOM_SCREENSHOTS=DIR` (as `scripts/screenshots.sh` sets it), saves the page as
/// DIR/NAME.png for the README.
async fn screenshot(client: &Client, name: &str) {
    if let Some(dir) = std::env::var_os("EOM_SCREENSHOTS") {
        let png = client.screenshot().await.expect("screenshot");
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png)
            .expect("save the screenshot");
    }
}

async fn set_field(client: &Client, css: &str, value: &str) {
    let field = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no field {css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

#[test]
fn an_observer_fills_a_checklist_in_the_browser_survives_a_crash_and_syncs() {
    let Some(driver) = driver_or_skip("the eom ui test") else {
        return;
    };
    let mut mission = Mission::new();
    let csv = tempfile::NamedTempFile::new().expect("csv");
    std::fs::write(
        csv.path(),
        "code,name,region,district,level,registered_voters\nPEC-777,Школа № 7 имени Абая,North,Central,pec,1400\n",
    )
    .expect("write");
    mission
        .admin(&["stations", "import", csv.path().to_str().expect("utf-8")])
        .ok();
    mission.start();
    let token = mission.add_observer("Team 21", "North");
    let laptop = Laptop::new();
    laptop
        .eom_with_input(
            &[
                "setup",
                "--server",
                mission.url(),
                "--token",
                "-",
                "--lang",
                "ru",
            ],
            &format!("{token}\n"),
        )
        .ok();

    let profile = tempfile::tempdir().expect("profile");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app = ObserverApp::start(&laptop);
    runtime.block_on(async {
        let client = browser(&driver, profile.path(), 1366, 768).await;
        client.goto(&app.url).await.expect("open eom ui");
        wait_for(&client, "#new").await;
        assert_eq!(
            client.current_url().await.expect("url").query(),
            None,
            "the secret leaves the address bar"
        );
        click(&client, "#new").await;
        wait_for(&client, "#q").await;
        // Part of the Cyrillic name, in lower case.
        type_into(&client, "#q", "школа № 7").await;
        click(&client, "form.search button").await;
        wait_for(&client, "div.station[data-station='PEC-777']").await;
        screenshot(&client, "ui-new-checklist").await;
        click(
            &client,
            "div.station[data-station='PEC-777'] button[data-form=counting]",
        )
        .await;
        wait_for(&client, "#fill").await;
        assert_eq!(text(&client, "h1").await, "Закрытие и подсчёт голосов");

        set_field(&client, "#observed_time", "19:45").await;
        type_into(&client, "#in-arrival_time", "20:05").await;
        click(&client, "input[name=observers_unrestricted][value=true]").await;
        wait_class(&client, "#q-access_restriction", "hidden", true).await;
        // No copy of the protocol: its figures are not asked; with one, they are.
        click(&client, "input[name=protocol_copied][value=false]").await;
        wait_class(&client, "#q-voters_main_list", "hidden", true).await;
        click(&client, "input[name=protocol_copied][value=true]").await;
        wait_class(&client, "#q-voters_main_list", "hidden", false).await;
        // A figure that is not a number is explained at once.
        type_into(&client, "#in-voters_main_list", "abc").await;
        wait_for(&client, "#msg-voters_main_list .error").await;
        assert_eq!(
            text(&client, "#msg-voters_main_list .error").await,
            "Это не целое число."
        );
        // The protocol as posted: more ballots in the box than were issued, a finding.
        for (field, value) in [
            ("voters_main_list", "1800"),
            ("voters_additional_list", "0"),
            ("ballots_received", "2000"),
            ("ballots_issued_station", "1000"),
            ("ballots_issued_mobile", "0"),
            ("ballots_issued_early", "0"),
            ("ballots_cancelled", "1000"),
            ("ballots_in_stationary_boxes", "1100"),
            ("ballots_in_mobile_boxes", "0"),
            ("invalid_ballots", "100"),
            ("valid_ballots", "1000"),
            ("votes_1", "1000"),
        ] {
            set_field(&client, &format!("#in-{field}"), value).await;
        }
        click(&client, "input[name=could_see][value=true]").await;
        wait_for(&client, "#fill .msg .warning").await;
        client
            .execute(
                "document.getElementById('q-ballots_in_stationary_boxes').scrollIntoView()",
                vec![],
            )
            .await
            .expect("scroll");
        screenshot(&client, "ui-form").await;
        client.close().await.expect("close");
    });
    // Every answer reached the draft as it was given.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let drafts = laptop.store().drafts().expect("drafts");
        if drafts.first().is_some_and(|d| {
            d.content.answers.get("could_see") == Some(&json!(true))
                && d.content.answers.get("votes_1") == Some(&json!(1000))
        }) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the answers never reached the draft"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(app); // SIGKILL half way

    let app = ObserverApp::start(&laptop);
    let profile = tempfile::tempdir().expect("profile");
    runtime.block_on(async {
        let client = browser(&driver, profile.path(), 1366, 768).await;
        client.goto(&app.url).await.expect("open eom ui again");
        wait_for(&client, "a.draft").await;
        click(&client, "a.draft").await;
        wait_for(&client, "#fill").await;
        let kept = client
            .find(Locator::Css("#in-ballots_in_stationary_boxes"))
            .await
            .expect("field")
            .prop("value")
            .await
            .expect("value");
        assert_eq!(kept.as_deref(), Some("1100"));
        for (question, value) in [
            ("unauthorized_present", "false"),
            ("unused_cancelled_first", "true"),
            ("signatures_counted", "true"),
            ("seals_intact", "true"),
            ("each_ballot_shown", "true"),
            ("validity_consistent", "true"),
            ("ballots_misattributed", "false"),
            ("figures_in_ink", "true"),
            ("protocol_completed", "true"),
            ("protocol_presigned", "false"),
            ("copy_to_observers", "true"),
            ("protocol_posted", "true"),
            ("overall", "bad"),
        ] {
            click(&client, &format!("input[name={question}][value={value}]")).await;
        }
        click(&client, "#to-review").await;
        wait_for(&client, "#submit").await;
        assert!(
            client.find(Locator::Css("#errors")).await.is_err(),
            "nothing left to fix"
        );
        assert!(
            text(&client, "#warnings").await.contains("бюллетеней"),
            "the protocol warning, in Russian"
        );
        screenshot(&client, "ui-review").await;
        click(&client, "#submit").await;
        wait_for(&client, "td.state[data-state=queued]").await;
        click(&client, "#sync").await;
        wait_for(&client, "td.state[data-state=delivered]").await;
        client.close().await.expect("close");
    });

    let listed = mission.all_submissions();
    assert_eq!(listed.len(), 1);
    let id = listed.keys().next().expect("one").clone();
    let (status, _) = mission.coordinator_post(
        &format!("/api/v1/submissions/{id}/review"),
        &json!({"status": "flagged", "comment": "Пришлите фото протокола"}),
    );
    assert_eq!(status, 200);
    runtime.block_on(async {
        let client = browser(&driver, profile.path(), 1366, 768).await;
        client.goto(&app.url).await.expect("open");
        wait_for(&client, "#sync").await;
        click(&client, "#sync").await;
        wait_for(&client, "td.review[data-review=flagged]").await;
        let review = text(&client, "td.review").await;
        assert!(review.contains("Пришлите фото протокола"), "{review}");
        assert_eq!(
            text(&client, "td.state").await,
            "Доставлено",
            "sync state apart from review"
        );
        screenshot(&client, "ui-home").await;
        client.close().await.expect("close");
    });
    assert_eq!(mission.assert_holds_exactly(&laptop.ledger()), 1);
    // The time of the observation, typed as HH:MM on the form (no mission time zone here:
    // the laptop's own clock).
    let entry = &laptop.store().list(None).expect("list")[0];
    assert_eq!(
        entry
            .content
            .observed_at
            .with_timezone(&chrono::Local)
            .format("%H:%M")
            .to_string(),
        "19:45"
    );
}

#[test]
fn the_app_answers_only_its_own_address_with_its_secret() {
    let laptop = Laptop::new();
    laptop.setup_offline();
    let app = ObserverApp::start(&laptop);
    let base = app.url.split("/?").next().expect("base").to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        // No secret: nothing.
        let r = http.get(format!("{base}/")).send().await.expect("answer");
        assert_eq!(r.status(), 403);
        // A wrong secret: nothing.
        let r = http
            .get(format!("{base}/?key=0000"))
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), 403);
        // The printed address: a cookie, and the address bar loses the secret.
        let r = http.get(&app.url).send().await.expect("answer");
        assert!(r.status().is_redirection());
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a cookie")
            .to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let pair = cookie.split(';').next().expect("pair").to_owned();
        let r = http
            .get(format!("{base}/"))
            .header("cookie", &pair)
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), 200);
        assert!(r.headers().contains_key("content-security-policy"));
        // Another Host (a DNS-rebinding page) gets nothing, even with the cookie.
        let r = http
            .get(format!("{base}/"))
            .header("cookie", &pair)
            .header("host", "attacker.example:80")
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), 403);
        // A state change from another origin is refused.
        let r = http
            .post(format!("{base}/sync"))
            .header("cookie", &pair)
            .header("origin", "http://attacker.example")
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), 403);
    });
}

/// The file picker on a checklist's page: a photo chosen in the browser is kept on the laptop,
/// shown on the page, and reaches the coordinator with the next sync; a file that is not a
/// photo is refused with the reason on the page.
#[test]
fn a_photo_picked_in_the_browser_reaches_the_coordinator() {
    let Some(driver) = driver_or_skip("the eom ui photo test") else {
        return;
    };
    let mut mission = Mission::new();
    mission.start();
    let laptop = Laptop::new();
    laptop.setup(mission.url(), &mission.add_observer("Team 5", "North"));
    let id = laptop.fill_voting(1, &["PEC-001"])[0];
    laptop.eom(&["sync"]).ok();
    let dir = tempfile::tempdir().expect("dir");
    let photo = dir.path().join("protocol.jpg");
    let bytes = eom_tests::contract::photo(900_000, 9);
    std::fs::write(&photo, &bytes).expect("photo");
    let sha = eom_shared::sha256_hex(&bytes);
    let text_file = dir.path().join("notes.txt");
    std::fs::write(&text_file, "not a photo").expect("text");

    let profile = tempfile::tempdir().expect("profile");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app = ObserverApp::start(&laptop);
    let base = app.url.split("/?").next().expect("base").to_owned();
    runtime.block_on(async {
        let client = browser(&driver, profile.path(), 1366, 900).await;
        client.goto(&app.url).await.expect("open eom ui");
        wait_for(&client, "#new").await;
        client
            .goto(&format!("{base}/checklists/{id}"))
            .await
            .expect("the checklist");
        wait_for(&client, "#photo").await;
        // Picks a file and attaches it; answers the message of the page that comes back (the
        // page before may show a message too: the new one is the one that reads otherwise).
        let pick = |path: std::path::PathBuf, before: String| {
            let client = client.clone();
            async move {
                client
                    .find(Locator::Css("#photo"))
                    .await
                    .expect("picker")
                    .send_keys(path.to_str().expect("utf-8"))
                    .await
                    .expect("pick the file");
                click(&client, "#attach").await;
                let deadline = Instant::now() + Duration::from_secs(20);
                loop {
                    if let Ok(flash) = client.find(Locator::Css("#flash")).await
                        && let Ok(message) = flash.text().await
                        && message.trim() != before
                    {
                        return message.trim().to_owned();
                    }
                    assert!(Instant::now() < deadline, "no new message after attaching");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        let refused = pick(text_file.clone(), String::new()).await;
        assert!(refused.contains("not a JPEG"), "{refused}");
        let attached = pick(photo.clone(), refused).await;
        assert!(attached.contains("Attached protocol.jpg"), "{attached}");
        wait_for(&client, &format!("#photos figure[data-sha256='{sha}'] img")).await;
        let shown: bool = client
            .execute(
                "return document.querySelector('#photos img').naturalWidth >= 0",
                vec![],
            )
            .await
            .expect("script")
            .as_bool()
            .unwrap_or(false);
        assert!(shown);
        client.close().await.expect("close");
    });
    drop(app);
    let run = laptop.eom(&["sync"]).ok();
    assert!(run.stdout.contains("Sent 1 photo(s)"), "{}", run.stdout);
    let detail = mission.coordinator_get(&format!("/api/v1/submissions/{id}"));
    assert_eq!(detail["attachments"][0]["sha256"], sha.as_str());
    assert_eq!(detail["attachments"][0]["name"], "protocol.jpg");
}
