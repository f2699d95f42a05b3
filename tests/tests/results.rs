//! Results integrity with the real binaries, on the README's example files: contests become
//! the counting form laptops fill, two teams copy the protocols of one station, published
//! results are imported (and refused when wrong), and the discrepancy report, its CSV and the
//! statement line say what was built into the files; a corrected publication resolves a
//! discrepancy and keeps the first version.

use eom_tests::browser::{browser, click, driver_or_skip, sign_in, text, wait_for};
use eom_tests::{Laptop, Mission};
use fantoccini::Locator;
use serde_json::{Value, json};

fn example(name: &str) -> String {
    format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn answers() -> Value {
    let text = std::fs::read_to_string(example("counting-contests-answers.json")).expect("example");
    serde_json::from_str(&text).expect("json")
}

#[test]
fn copied_protocols_are_compared_with_the_published_results() {
    let mut mission = Mission::new();
    mission
        .admin(&["stations", "import", &example("stations.csv")])
        .ok();
    let imported = mission
        .admin(&["contests", "import", &example("contests.json")])
        .ok();
    assert!(
        imported
            .stdout
            .contains("Published version 3 of form 'counting' with 2 contest(s)"),
        "{}",
        imported.stdout
    );
    let listed = mission.admin(&["contests", "list"]).ok();
    assert!(listed.stdout.contains("votes.amanat") && listed.stdout.contains("against_all"));
    // Before anything is published the results file is refused with what to do; nothing is
    // half-imported from a file with a wrong line.
    let dir = tempfile::tempdir().expect("dir");
    let wrong = dir.path().join("wrong.csv");
    let good = std::fs::read_to_string(example("results.csv")).expect("results");
    std::fs::write(
        &wrong,
        format!("{good}PEC-102,maslikhat,votes.ivanova,5\nPEC-001,parliament,votes.nobody,x\n"),
    )
    .expect("write");
    let refused = mission
        .admin(&["results", "import", wrong.to_str().expect("utf-8")])
        .fails();
    assert!(
        refused
            .stderr
            .contains("line 22: station 'PEC-102' does not vote in contest 'maslikhat'"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("line 23:") && refused.stderr.contains("'x' is not a whole number"),
        "{}",
        refused.stderr
    );

    mission.start();
    let (a, b) = (Laptop::new(), Laptop::new());
    a.setup(mission.url(), &mission.add_observer("Team A", "Almaty"));
    b.setup(mission.url(), &mission.add_observer("Team B", "Almaty"));
    // The laptops received the contests with the form: one protocol per contest, a line per
    // candidate.
    let form = a.eom(&["forms", "counting", "--json"]).ok().json();
    assert_eq!(form["version"], 3);
    assert_eq!(form["contests"][0]["id"], "parliament");
    let ids: Vec<&str> = form["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .filter_map(|q| q["id"].as_str())
        .collect();
    for id in [
        "parliament.valid_ballots",
        "parliament.votes.amanat",
        "parliament.against_all",
        "maslikhat.votes.ivanova",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }

    let team_a = a.file("counting", "PEC-001", &answers());
    // Team B copied the party list at the same station, two figures differently.
    let mut other = answers();
    let map = other.as_object_mut().expect("object");
    map.retain(|k, _| !k.starts_with("maslikhat."));
    map.insert("maslikhat.copied".into(), json!(false));
    map.insert("parliament.votes.ak-zhol".into(), json!(210));
    map.insert("parliament.against_all".into(), json!(15));
    let team_b = b.file("counting", "PEC-001", &other);
    // And at PEC-003, whose results are never published.
    b.file("counting", "PEC-003", &other);
    // The council is not voted at PEC-101: copying it there is refused on the laptop.
    let refused = b
        .eom(&[
            "new",
            "counting",
            "--station",
            "PEC-101",
            "--answers",
            b.answers_file(&answers()).to_str().expect("utf-8"),
        ])
        .fails();
    assert!(
        refused.stderr.contains("does not vote in"),
        "{}",
        refused.stderr
    );
    // Team B photographed the protocol it copied.
    let photo = dir.path().join("protocol-pec-001.jpg");
    let bytes = eom_tests::contract::photo(1_500_000, 11);
    std::fs::write(&photo, &bytes).expect("photo");
    let sha = eom_shared::sha256_hex(&bytes);
    b.eom(&["attach", &team_b, photo.to_str().expect("utf-8")])
        .ok();
    a.eom(&["sync"]).ok();
    let synced = b.eom(&["sync"]).ok();
    assert!(
        synced.stdout.contains("Sent 1 photo(s)"),
        "{}",
        synced.stdout
    );

    let before = mission.coordinator_get("/api/v1/reports/discrepancies");
    assert_eq!(before["contests"], true);
    assert_eq!(before["publication"], Value::Null);
    assert_eq!(before["stations_copied"], 2);

    mission
        .admin(&[
            "results",
            "import",
            &example("results.csv"),
            "--published-at",
            "2026-03-20T08:00:00+05:00",
        ])
        .ok();
    let report = mission.coordinator_get("/api/v1/reports/discrepancies");
    assert_eq!(
        report["statement"],
        "In 1 of 1 polling stations where observers copied the protocol, the published results differed."
    );
    let found: Vec<(String, String, i64, i64)> = report["discrepancies"]
        .as_array()
        .expect("discrepancies")
        .iter()
        .map(|d| {
            (
                d["submission_id"].as_str().expect("id")[..8].to_owned(),
                d["line"].as_str().expect("line").to_owned(),
                d["observed"].as_i64().expect("observed"),
                d["official"].as_i64().expect("official"),
            )
        })
        .collect();
    let short = |id: &str| id[..8].to_owned();
    let expected = [
        (short(&team_a), "votes.amanat", 700, 760),
        (short(&team_a), "votes.respublica", 150, 90),
        (short(&team_b), "against_all", 15, 25),
        (short(&team_b), "votes.ak-zhol", 210, 200),
        (short(&team_b), "votes.amanat", 700, 760),
        (short(&team_b), "votes.respublica", 150, 90),
    ];
    let mut sorted = found.clone();
    sorted.sort();
    let mut expected: Vec<(String, String, i64, i64)> = expected
        .into_iter()
        .map(|(id, l, o, p)| (id, l.to_owned(), o, p))
        .collect();
    expected.sort();
    assert_eq!(
        sorted, expected,
        "the council at PEC-001 matches; the party list does not"
    );
    assert_eq!(
        report["discrepancies"][0]["team"]
            .as_str()
            .map(|t| t.starts_with("Team")),
        Some(true)
    );
    assert_eq!(report["unpublished"][0]["station"], "PEC-003");
    assert_eq!(
        report["disagreements"].as_array().map(Vec::len),
        Some(2),
        "ak-zhol and against all"
    );
    assert_eq!(report["official_arithmetic"][0]["station"], "PEC-101");
    assert_eq!(
        report["regions"][0]["votes_affected"], 120,
        "60 votes moved from Respublica to Amanat, as the closer copy says (the other is 140 off)"
    );
    let amanat = report["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .find(|c| c["line"] == "votes.amanat")
        .expect("Amanat");
    assert_eq!(
        (amanat["observed"].as_i64(), amanat["official"].as_i64()),
        (Some(700), Some(760))
    );

    let (status, _) = mission.get(
        "/api/v1/reports/discrepancies?format=pdf",
        mission.coordinator_token(),
    );
    assert_eq!(status, 400);
    let (status, csv_text) = mission.get_text(
        "/api/v1/reports/discrepancies?format=csv",
        mission.coordinator_token(),
    );
    assert_eq!(status, 200);
    let mut rows = csv::Reader::from_reader(csv_text.as_bytes());
    let kinds: Vec<String> = rows
        .records()
        .map(|r| r.expect("row")[0].to_owned())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "discrepancy").count(), 6);
    assert!(
        kinds.contains(&"not_published".to_owned())
            && kinds.contains(&"official_arithmetic".to_owned())
    );

    // The export keeps a column for the protocol lines of the form before the contests, so
    // checklists filled on it keep their figures.
    let (status, export) = mission.get_text(
        "/api/v1/export?format=csv&form=counting",
        mission.coordinator_token(),
    );
    assert_eq!(status, 200);
    let header = export.lines().next().unwrap_or_default();
    assert!(
        header.contains("[parliament.votes.amanat]") && header.contains("[valid_ballots]"),
        "{header}"
    );
    assert!(header.ends_with("[overall]"), "{header}");

    let statement = mission.coordinator_get("/api/v1/reports/statement?lang=ru");
    assert!(
        statement["lines"].as_array().expect("lines").iter().any(|l| l.as_str() == Some("На 1 из 1 участков, где наблюдатели переписали протокол, опубликованные итоги отличались.")),
        "{statement}"
    );

    // The corrected publication: Team A's copy now matches; Team B's two figures remain.
    let corrected = mission
        .admin(&["results", "import", &example("results-corrected.csv")])
        .ok();
    assert!(
        corrected.stdout.contains("version 2"),
        "{}",
        corrected.stdout
    );
    let report = mission.coordinator_get("/api/v1/reports/discrepancies");
    let left: Vec<&str> = report["discrepancies"]
        .as_array()
        .expect("discrepancies")
        .iter()
        .map(|d| d["line"].as_str().expect("line"))
        .collect();
    assert_eq!(left, ["against_all", "votes.ak-zhol"]);
    assert_eq!(report["publication"]["version"], 2);
    assert_eq!(
        report["official_arithmetic"][0]["station"], "PEC-101",
        "the first version's other stations stay"
    );
    let compared = mission.admin(&["results", "compare"]).ok();
    assert!(
        compared.stdout.contains("In 1 of 1 polling stations"),
        "{}",
        compared.stdout
    );
    // Both publications and the photo are in the audit log, and the chain holds.
    let audit = mission.admin(&["audit", "show", "--last", "20"]).ok();
    assert_eq!(
        audit.stdout.matches("results:").count(),
        2,
        "{}",
        audit.stdout
    );
    assert!(
        audit.stdout.contains(&format!("attachment:{team_b}:{sha}")),
        "{}",
        audit.stdout
    );
    mission.admin(&["audit", "verify"]).ok();
    let photos = &report["discrepancies"][0]["photos"];
    assert_eq!(
        photos[0],
        sha.as_str(),
        "the discrepancy links the photo of the protocol"
    );

    // The coordinator's page: the statement, the discrepancies with the checklist and its
    // photo, and the photo beside the figures on the checklist's page.
    let Some(driver) = driver_or_skip("the results page test") else {
        return;
    };
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
        client.goto(&format!("{base}/results")).await.expect("results page");
        wait_for(&client, "#discrepancies").await;
        assert_eq!(
            text(&client, "#results-statement").await,
            "In 1 of 1 polling stations where observers copied the protocol, the published results differed."
        );
        let rows = client
            .find_all(Locator::Css("#discrepancies tbody tr"))
            .await
            .expect("rows");
        assert_eq!(rows.len(), 2);
        let photo_link = client
            .find(Locator::Css("#discrepancies a.photo"))
            .await
            .expect("a photo link")
            .attr("href")
            .await
            .expect("href")
            .unwrap_or_default();
        assert_eq!(photo_link, format!("/checklists/{team_b}/attachments/{sha}"));
        assert!(text(&client, "#official-arithmetic").await.contains("PEC-101"));
        // Karaganda's page: PEC-101's published figures, and none of Almaty's.
        client
            .goto(&format!("{base}/results?region=Karaganda"))
            .await
            .expect("one region");
        wait_for(&client, "#official-arithmetic").await;
        assert!(client.find(Locator::Css("#discrepancies")).await.is_err());
        client.goto(&format!("{base}/results")).await.expect("results page");
        wait_for(&client, "#discrepancies").await;
        click(&client, &format!("#discrepancies a[href='/checklists/{team_b}']")).await;
        wait_for(&client, &format!("#photos figure[data-sha256='{sha}'] img")).await;
        let differ = text(&client, "#disagreements").await;
        assert!(
            differ.contains("Team A: 200") && differ.contains("Team B: 210"),
            "the review shows the other team's copy: {differ}"
        );
        let fetched: bool = client
            .execute(
                "const i = document.querySelector('#photos img'); return i.complete;",
                vec![],
            )
            .await
            .expect("script")
            .as_bool()
            .unwrap_or(false);
        assert!(fetched, "the photo was fetched from the server");
        client.close().await.expect("close");
    });
}
