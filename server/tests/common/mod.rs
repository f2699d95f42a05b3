//! Shared by the in-process API tests: a real SQLite database in a temporary folder, the
//! router driven with `tower::ServiceExt::oneshot`, accounts and a station list.
#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use eom_server::limits::Limiters;
use eom_server::service::Service;
use eom_server::store::{Role, SqliteStore};
use eom_server::{admin, app, open_store};
use eom_shared::limits::ObservationWindow;
use eom_shared::submission::{SubmissionContent, SubmissionId, SubmissionPayload};
use eom_shared::{FormId, StationCode};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub store: Arc<SqliteStore>,
    pub observer: String,
    pub other_observer: String,
    /// Sees the whole mission.
    pub coordinator: String,
    /// A coordinator limited to the South region.
    pub south_coordinator: String,
    pub admin: String,
    _dir: tempfile::TempDir,
}

pub const STATIONS: &str = "code,name,region,district,level,registered_voters
PEC-1,School 1,North,D1,pec,1200
PEC-2,School 2,North,D1,pec,900
PEC-3,Clinic 3,South,D7,pec,1500
TEC-N,Northern TEC,North,,tec,
";

impl TestApp {
    pub fn new() -> Self {
        Self::configured(|service| {
            // The fixtures are dated on a fixed election day and sent faster than a laptop
            // does; the window and the budgets have tests of their own.
            service.window = ObservationWindow::unbounded();
            service.limits = Arc::new(Limiters::unlimited());
        })
    }

    /// The server as `eom-server serve` runs it: default observation window and budgets.
    pub fn as_served() -> Self {
        Self::configured(|_| {})
    }

    pub fn configured(tweak: impl FnOnce(&mut Service)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(open_store(&dir.path().join("eom.db")).expect("store opens"));
        let csv = dir.path().join("stations.csv");
        std::fs::write(&csv, STATIONS).expect("write csv");
        admin::import_stations_csv(store.as_ref(), &csv).expect("stations import");
        let token = |role, name: &str, region: Option<&str>| {
            let regions: Vec<String> = region.into_iter().map(str::to_owned).collect();
            admin::create_account(
                store.as_ref(),
                name,
                role,
                &regions,
                eom_server::audit::OPERATOR,
            )
            .expect("account")
            .token
        };
        let observer = token(Role::Observer, "Team 1", Some("North"));
        let other_observer = token(Role::Observer, "Team 2", Some("North"));
        let coordinator = token(Role::Coordinator, "Core team", None);
        let south_coordinator = token(Role::Coordinator, "South desk", Some("South"));
        let admin = token(Role::Admin, "Operator", None);
        let mut service = Service::new(store.clone()).expect("state");
        tweak(&mut service);
        let router = app(service);
        Self {
            router,
            store,
            observer,
            other_observer,
            coordinator,
            south_coordinator,
            admin,
            _dir: dir,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value, Option<String>) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let version = response
            .headers()
            .get("Eom-Version")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
        };
        (status, body, version)
    }

    /// Like `send`, for answers that may not be JSON (then the body is `null`).
    pub async fn send_raw(&self, request: Request<Body>) -> (StatusCode, Value, Vec<u8>) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body, bytes.to_vec())
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let request = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        let (status, body, _) = self.send(request).await;
        (status, body)
    }

    pub async fn push_raw(&self, token: &str, body: Value) -> (StatusCode, Value) {
        let request = Request::post("/api/v1/sync/push")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        let (status, body, _) = self.send(request).await;
        (status, body)
    }

    /// Pushes as the first observer and returns the outcome names.
    pub async fn push(&self, items: &[SubmissionPayload]) -> Vec<String> {
        let (status, body) = self
            .push_raw(&self.observer, json!({ "submissions": items }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        outcomes(&body)
    }
}

pub fn outcomes(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["outcome"].as_str().expect("outcome").to_owned())
        .collect()
}

pub fn voting(station: &str, overall: &str) -> SubmissionContent {
    let answers: Map<String, Value> = json!({
        "arrival_time": "09:30",
        "observers_unrestricted": true,
        "overcrowded": false, "unauthorized_present": false, "police_inside": false,
        "identity_checked": true, "voters_signed": true, "ballots_stamped": true, "booths_used": true,
        "group_voting": false, "ballots_photographed": false, "box_stuffing": false,
        "multiple_voting": false, "identical_signatures": false, "pressure_on_voters": false,
        "vote_buying": false, "voters_turned_away": false, "campaign_material": false,
        "mobile_box_procedure": "not_observed", "boxes_intact": true, "accessible": true,
        "complaints_filed": false, "overall": overall
    })
    .as_object()
    .cloned()
    .expect("object");
    SubmissionContent {
        form_id: FormId::parse("voting").expect("id"),
        form_version: 1,
        station: StationCode::parse(station).expect("code"),
        observed_at: Utc
            .with_ymd_and_hms(2026, 3, 19, 9, 30, 0)
            .single()
            .expect("time"),
        answers,
        notes: String::new(),
    }
}

pub fn payload(id: SubmissionId, revision: u32, content: SubmissionContent) -> SubmissionPayload {
    SubmissionPayload {
        id,
        revision,
        content_hash: content.content_hash(),
        content,
    }
}
