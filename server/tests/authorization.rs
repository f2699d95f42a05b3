//! The authorization matrix: every route against every kind of caller, with the status each
//! must get. A regional coordinator (South) asking about a North checklist or region gets 404,
//! as if it did not exist; an administrator sees what a coordinator sees and manages
//! accounts; a revoked token and an expired enrolment code get 401 everywhere a token is
//! needed.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{Duration, Utc};
use common::{TestApp, payload, voting};
use eom_server::admin;
use eom_server::store::{Role, Store};
use eom_shared::SubmissionId;
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Nobody,
    Garbage,
    Observer,
    OtherObserver,
    SouthCoordinator,
    Coordinator,
    Admin,
    Revoked,
    ExpiredCode,
}

const EVERYONE: [Who; 9] = [
    Who::Nobody,
    Who::Garbage,
    Who::Observer,
    Who::OtherObserver,
    Who::SouthCoordinator,
    Who::Coordinator,
    Who::Admin,
    Who::Revoked,
    Who::ExpiredCode,
];

/// Expected statuses for one route: (observers, south coordinator, coordinator, admin);
/// callers without a valid token get 401 wherever a token is needed.
struct Row {
    method: Method,
    path: String,
    body: Option<Value>,
    observers: u16,
    south: u16,
    coordinator: u16,
    admin: u16,
    /// No token needed: everyone gets `observers`' status.
    public: bool,
}

fn row(method: Method, path: &str, body: Option<Value>, expect: [u16; 4]) -> Row {
    Row {
        method,
        path: path.to_owned(),
        body,
        observers: expect[0],
        south: expect[1],
        coordinator: expect[2],
        admin: expect[3],
        public: false,
    }
}

fn public(method: Method, path: &str, body: Option<Value>, status: u16) -> Row {
    Row {
        public: true,
        ..row(method, path, body, [status; 4])
    }
}

impl Row {
    fn expected(&self, who: Who) -> u16 {
        if self.public {
            return self.observers;
        }
        match who {
            Who::Nobody | Who::Garbage | Who::Revoked | Who::ExpiredCode => 401,
            Who::Observer | Who::OtherObserver => self.observers,
            Who::SouthCoordinator => self.south,
            Who::Coordinator => self.coordinator,
            Who::Admin => self.admin,
        }
    }
}

#[tokio::test]
async fn every_route_answers_every_caller_as_it_must() {
    let app = TestApp::new();
    // A North checklist and a South one.
    let north = SubmissionId::new();
    let south = SubmissionId::new();
    let (status, body) = app
        .push_raw(
            &app.observer,
            json!({"submissions": [
                payload(north, 1, voting("PEC-1", "good")),
                payload(south, 1, voting("PEC-3", "bad")),
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(common::outcomes(&body), ["accepted", "accepted"]);

    let revoked = {
        let created = admin::create_account(
            app.store.as_ref(),
            "Lost laptop",
            Role::Observer,
            &[],
            eom_server::audit::OPERATOR,
        )
        .expect("account");
        admin::replace_token(
            app.store.as_ref(),
            &created.account.id,
            false,
            eom_server::audit::OPERATOR,
        )
        .expect("revoke");
        created.token
    };
    let expired_code = {
        let created = admin::create_account(
            app.store.as_ref(),
            "Late team",
            Role::Observer,
            &[],
            eom_server::audit::OPERATOR,
        )
        .expect("account");
        let code = "ABC-DEF-GHJ";
        let hash = eom_server::auth::hash_token("enrolment:ABCDEFGHJ");
        app.store
            .create_enrolment_code(&hash, &created.account.id, Utc::now() - Duration::hours(1))
            .expect("code");
        code.to_owned()
    };
    let target = admin::create_account(
        app.store.as_ref(),
        "To revoke",
        Role::Observer,
        &[],
        eom_server::audit::OPERATOR,
    )
    .expect("account")
    .account
    .id;
    let north_team = app
        .store
        .list_accounts()
        .expect("accounts")
        .into_iter()
        .find(|a| a.name == "Team 1")
        .expect("the North team")
        .id;
    let token = |who: Who| -> Option<String> {
        match who {
            Who::Nobody => None,
            Who::Garbage => Some("eom_not_a_token".to_owned()),
            Who::Observer => Some(app.observer.clone()),
            Who::OtherObserver => Some(app.other_observer.clone()),
            Who::SouthCoordinator => Some(app.south_coordinator.clone()),
            Who::Coordinator => Some(app.coordinator.clone()),
            Who::Admin => Some(app.admin.clone()),
            Who::Revoked => Some(revoked.clone()),
            Who::ExpiredCode => Some(expired_code.clone()),
        }
    };

    let get = Method::GET;
    let post = Method::POST;
    let review = Some(json!({"status": "verified"}));
    let rows = vec![
        public(get.clone(), "/api/v1/health", None, 200),
        public(get.clone(), "/api/v1/receipts/key", None, 200),
        public(
            post.clone(),
            "/api/v1/enrol",
            Some(json!({"code": expired_code})),
            401,
        ),
        row(
            post.clone(),
            "/api/v1/sync/push",
            Some(json!({"submissions": []})),
            [200, 403, 403, 403],
        ),
        row(get.clone(), "/api/v1/sync/pull", None, [200, 403, 403, 403]),
        row(get.clone(), "/api/v1/sync/mine", None, [200, 403, 403, 403]),
        row(
            get.clone(),
            "/api/v1/submissions",
            None,
            [403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/submissions?region=North",
            None,
            [403, 404, 200, 200],
        ),
        row(
            get.clone(),
            &format!("/api/v1/submissions/{north}"),
            None,
            [403, 404, 200, 200],
        ),
        row(
            get.clone(),
            &format!("/api/v1/submissions/{south}"),
            None,
            [403, 200, 200, 200],
        ),
        row(
            post.clone(),
            &format!("/api/v1/submissions/{north}/review"),
            review.clone(),
            [403, 404, 200, 200],
        ),
        row(
            post.clone(),
            &format!("/api/v1/submissions/{south}/review"),
            review,
            [403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/reports/summary",
            None,
            [403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/reports/assessments",
            None,
            [403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/reports/assessments?region=North",
            None,
            [403, 404, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/reports/access",
            None,
            [403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/reports/findings?region=North",
            None,
            [403, 404, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/reports/findings",
            None,
            [403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/reports/coverage",
            None,
            [403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/reports/timeline",
            None,
            [403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/reports/statement?region=North",
            None,
            [403, 404, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/reports/statement",
            None,
            [403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/reports/protocols?region=North",
            None,
            [403, 404, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/reports/protocols",
            None,
            [403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/export?format=jsonl",
            None,
            [403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/export?format=jsonl&region=North",
            None,
            [403, 404, 200, 200],
        ),
        row(get.clone(), "/metrics", None, [403, 404, 200, 200]),
        row(get.clone(), "/api/v1/accounts", None, [403, 403, 403, 200]),
        row(
            post.clone(),
            "/api/v1/accounts",
            Some(json!({"name": "Team 9", "role": "observer"})),
            [403, 403, 403, 200],
        ),
        row(
            post.clone(),
            &format!("/api/v1/accounts/{target}/revoke"),
            Some(json!({"new_token": true})),
            [403, 403, 403, 200],
        ),
        row(get.clone(), "/api/v1/teams", None, [403, 200, 200, 200]),
        row(
            get.clone(),
            &format!("/api/v1/teams/{north_team}/calls"),
            None,
            [403, 404, 200, 200],
        ),
        row(
            post.clone(),
            &format!("/api/v1/teams/{north_team}/calls"),
            Some(json!({"outcome": "no_answer"})),
            [403, 404, 200, 200],
        ),
        row(
            post.clone(),
            &format!("/api/v1/teams/{north_team}/code"),
            None,
            [403, 403, 403, 200],
        ),
        row(get.clone(), "/api/v1/messages", None, [403, 200, 200, 200]),
        row(
            post.clone(),
            "/api/v1/messages",
            Some(json!({"body": "Call in at noon", "region": "North"})),
            [403, 404, 200, 200],
        ),
        row(
            post.clone(),
            "/api/v1/messages",
            Some(json!({"body": "Call in at noon", "region": "South"})),
            [403, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/api/v1/messages",
            Some(json!({"body": "Call in at noon"})),
            [403, 400, 200, 200],
        ),
        row(
            post.clone(),
            "/api/v1/messages/read",
            Some(json!({"ids": []})),
            [200, 403, 403, 403],
        ),
        // The dashboard takes a session cookie, never a bearer token: sign in first.
        public(get.clone(), "/", None, 303),
        public(get.clone(), "/checklists", None, 303),
        public(get.clone(), &format!("/checklists/{north}"), None, 303),
        public(get.clone(), "/export", None, 303),
    ];

    let mut wrong = Vec::new();
    for r in &rows {
        for who in EVERYONE {
            let mut request = Request::builder().method(r.method.clone()).uri(&r.path);
            if let Some(t) = token(who) {
                request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            let body = match &r.body {
                Some(b) => {
                    request = request.header(header::CONTENT_TYPE, "application/json");
                    Body::from(b.to_string())
                }
                None => Body::empty(),
            };
            let response = app
                .router
                .clone()
                .oneshot(request.body(body).expect("request"))
                .await
                .expect("answers");
            let status = response.status().as_u16();
            let expected = r.expected(who);
            if status != expected {
                wrong.push(format!(
                    "{} {} as {who:?}: expected {expected}, got {status}",
                    r.method, r.path
                ));
            }
            if status >= 400 && !r.path.starts_with("/api/v1/export") {
                let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .expect("body");
                let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                if body["error"].as_str().is_none() {
                    wrong.push(format!(
                        "{} {} as {who:?}: no JSON error body",
                        r.method, r.path
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_regional_coordinators_figures_count_only_its_region() {
    let app = TestApp::new();
    let items: Vec<_> = [
        ("PEC-1", "bad"),
        ("PEC-2", "good"),
        ("PEC-3", "bad"),
        ("PEC-3", "good"),
    ]
    .into_iter()
    .map(|(station, overall)| payload(SubmissionId::new(), 1, voting(station, overall)))
    .collect();
    assert_eq!(app.push(&items).await.len(), 4);

    let voting_of = |summary: &Value| {
        summary["forms"]
            .as_array()
            .expect("forms")
            .iter()
            .find(|f| f["form_id"] == "voting")
            .cloned()
            .expect("voting")
    };
    let (_, everything) = app.get("/api/v1/reports/summary", &app.coordinator).await;
    let (_, south) = app
        .get("/api/v1/reports/summary", &app.south_coordinator)
        .await;
    assert_eq!(everything["total"], 4);
    assert_eq!(voting_of(&everything)["negative"], 2);
    assert_eq!(south["total"], 2, "{south}");
    assert_eq!(voting_of(&south)["checklists"], 2);
    assert_eq!(voting_of(&south)["negative"], 1);

    let (_, list) = app.get("/api/v1/submissions", &app.south_coordinator).await;
    assert_eq!(list["total"], 2);
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["region"] == "South"),
        "{list}"
    );
    let (_, assessments) = app
        .get("/api/v1/reports/assessments", &app.south_coordinator)
        .await;
    assert_eq!(assessments["filter"]["region"], "South");
}

#[tokio::test]
async fn a_coordinator_of_several_regions_sees_those_and_no_other() {
    let app = TestApp::new();
    let csv = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        csv.path(),
        "code,name,region,district,level,registered_voters\nPEC-9,Steppe school,East,D9,pec,700\n",
    )
    .expect("write csv");
    admin::import_stations_csv(app.store.as_ref(), csv.path()).expect("import");

    let (status, created, _) = app
        .send(
            Request::builder()
                .method("POST")
                .uri("/api/v1/accounts")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.admin))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"name": "South and East desk", "role": "coordinator",
                           "regions": ["South", " East ", "South"]})
                    .to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["regions"], json!(["South", "East"]), "{created}");
    let desk = created["token"].as_str().expect("token").to_owned();

    let north_id = SubmissionId::new();
    let items = vec![
        payload(north_id, 1, voting("PEC-1", "bad")),
        payload(SubmissionId::new(), 1, voting("PEC-3", "bad")),
        payload(SubmissionId::new(), 1, voting("PEC-9", "good")),
        payload(SubmissionId::new(), 1, voting("PEC-9", "good")),
    ];
    assert_eq!(app.push(&items).await.len(), 4);

    let (_, summary) = app.get("/api/v1/reports/summary", &desk).await;
    assert_eq!(summary["total"], 3, "{summary}");
    let voting_form = summary["forms"]
        .as_array()
        .expect("forms")
        .iter()
        .find(|f| f["form_id"] == "voting")
        .cloned()
        .expect("voting");
    assert_eq!(voting_form["negative"], 1, "{summary}");

    let (_, list) = app.get("/api/v1/submissions", &desk).await;
    assert_eq!(list["total"], 3, "{list}");
    let regions: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["region"].as_str())
        .collect();
    assert!(
        regions.iter().all(|r| *r == "South" || *r == "East"),
        "{list}"
    );

    let (status, east) = app.get("/api/v1/submissions?region=East", &desk).await;
    assert_eq!((status, east["total"].clone()), (StatusCode::OK, json!(2)));
    let (status, _) = app.get("/api/v1/submissions?region=North", &desk).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get(&format!("/api/v1/submissions/{north_id}"), &desk)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, assessments) = app.get("/api/v1/reports/assessments", &desk).await;
    assert_eq!(assessments["filter"]["region"], "South, East");
    let (_, coverage) = app.get("/api/v1/reports/coverage", &desk).await;
    let covered: Vec<&str> = coverage["regions"]
        .as_array()
        .expect("coverage regions")
        .iter()
        .filter_map(|r| r["region"].as_str())
        .collect();
    assert!(!covered.is_empty(), "{coverage}");
    assert!(covered.iter().all(|r| *r != "North"), "{coverage}");

    let (_, accounts) = app.get("/api/v1/accounts", &app.admin).await;
    let listed = accounts
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["name"] == "South and East desk")
        .cloned()
        .expect("listed");
    assert_eq!(listed["regions"], json!(["South", "East"]));
    assert!(listed.get("region").is_none(), "{listed}");
}

#[tokio::test]
async fn an_administrator_creates_and_revokes_accounts_through_the_api() {
    let app = TestApp::new();
    let request = |method: &str, path: &str, body: Value| {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.admin))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let (status, created, _) = app
        .send(request(
            "POST",
            "/api/v1/accounts",
            json!({"name": "Team 40", "role": "observer", "region": "South"}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let token = created["token"].as_str().expect("token").to_owned();
    assert_eq!(created["enrolment_code"].as_str().map(str::len), Some(11));
    assert_eq!(app.get("/api/v1/sync/pull", &token).await.0, StatusCode::OK);

    // Names with control characters (a terminal escape, a NUL) are refused.
    let (status, refused, _) = app
        .send(request(
            "POST",
            "/api/v1/accounts",
            json!({"name": "Team\u{1b}[2J", "role": "observer"}),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        admin::create_account(
            app.store.as_ref(),
            "Team\u{0}9",
            Role::Observer,
            &[],
            eom_server::audit::OPERATOR
        )
        .is_err(),
        "the command line refuses them too"
    );

    // Administrators are made on the command line only.
    let (status, refused, _) = app
        .send(request(
            "POST",
            "/api/v1/accounts",
            json!({"name": "Another admin", "role": "admin"}),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");

    let id = created["id"].as_str().expect("id");
    let (status, revoked, _) = app
        .send(request(
            "POST",
            &format!("/api/v1/accounts/{id}/revoke"),
            json!({}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(
        app.get("/api/v1/sync/pull", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, _) = app
        .send(request("POST", "/api/v1/accounts/nobody/revoke", json!({})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, accounts) = app.get("/api/v1/accounts", &app.admin).await;
    assert!(
        accounts
            .as_array()
            .expect("accounts")
            .iter()
            .any(|a| a["name"] == "Team 40" && a["region"] == "South")
    );

    // The audit log names the administrator, not the command line, for both changes.
    let admin_id = app
        .store
        .account_by_token_hash(&eom_server::auth::hash_token(&app.admin))
        .expect("read")
        .expect("the administrator")
        .id;
    let mut actors = Vec::new();
    app.store
        .read_audit(
            &mut |e| {
                if e.subject == format!("account:{id}") {
                    actors.push(e.actor);
                }
                Ok(())
            },
            &mut |_, _| Ok(()),
        )
        .expect("audit");
    assert_eq!(actors, [admin_id.clone(), admin_id], "made, then revoked");
}
