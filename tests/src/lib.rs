//! Test support for end-to-end tests: the real `eom-server` and `eom` binaries, real SQLite
//! files in temporary folders, real HTTP over loopback.
//!
//! `Mission` owns a server database and the server process; `Laptop` is one observer's `eom`
//! home folder. Processes are killed when their owner is dropped, so a failing test leaves
//! nothing running.

pub mod proxy;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

/// Path of a binary built by this workspace (next to the test executable's `deps` folder).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live in target/<profile>/deps");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: run the tests with 'cargo test --workspace', which builds it",
        path.display()
    );
    path
}

/// A finished command's exit status and output, for assertions with good messages.
pub struct Run {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Self {
            status: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn success(&self) -> bool {
        self.status == Some(0)
    }

    #[track_caller]
    pub fn ok(self) -> Self {
        assert!(
            self.success(),
            "command failed ({:?}):\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn last_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or("").trim()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

/// A coordinators' server: its database, and the `eom-server` process while it runs.
pub struct Mission {
    dir: TempDir,
    server: Option<Child>,
    url: Option<String>,
    coordinator: Option<String>,
}

pub const STATIONS_CSV: &str = "code,name,region,district,level,registered_voters
PEC-001,School No. 1,North,Central,pec,1800
PEC-002,School No. 2,North,Central,pec,1500
PEC-003,House of Culture,South,Riverside,pec,2100
PEC-004,Clinic No. 4,South,Riverside,pec,900
TEC-N,Northern Territorial Commission,North,Central,tec,
";

impl Mission {
    /// A new database with the station list imported and a coordinator account.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut mission = Self {
            dir,
            server: None,
            url: None,
            coordinator: None,
        };
        let csv = mission.dir.path().join("stations.csv");
        std::fs::write(&csv, STATIONS_CSV).expect("write stations");
        mission
            .admin(&["stations", "import", csv.to_str().expect("utf-8 path")])
            .ok();
        let created = mission
            .admin(&["coordinator", "add", "--name", "Core team", "--json"])
            .ok()
            .json();
        mission.coordinator = Some(created["token"].as_str().expect("token").to_owned());
        mission
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("eom.db")
    }

    /// Runs `eom-server --db <db> ARGS` to completion.
    pub fn admin(&self, args: &[&str]) -> Run {
        let output = Command::new(binary("eom-server"))
            .arg("--db")
            .arg(self.db())
            .args(args)
            .env("EOM_LOG", "warn")
            .output()
            .expect("eom-server runs");
        Run::from(output)
    }

    /// Creates an observer account and returns its token.
    pub fn add_observer(&self, name: &str, region: &str) -> String {
        let created = self
            .admin(&[
                "observer", "add", "--name", name, "--region", region, "--json",
            ])
            .ok()
            .json();
        created["token"].as_str().expect("token").to_owned()
    }

    pub fn coordinator_token(&self) -> &str {
        self.coordinator.as_deref().expect("made in new()")
    }

    /// Starts the server on a free port (or, after a `stop`, on the port it had before).
    pub fn start(&mut self) {
        self.start_with(&[]);
    }

    /// Starts the server with extra `serve` options, e.g. `--write-queue 1`.
    pub fn start_with(&mut self, options: &[&str]) {
        assert!(self.server.is_none(), "the server is already running");
        let listen = self.url.as_deref().map_or("127.0.0.1:0".to_owned(), |u| {
            u.trim_start_matches("http://").to_owned()
        });
        let mut child = Command::new(binary("eom-server"))
            .arg("--db")
            .arg(self.db())
            .args(["serve", "--listen", &listen])
            .args(options)
            .env("EOM_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("eom-server starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the server's first line");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("the server did not say where it listens: {line:?}"))
            .to_owned();
        self.url = Some(url);
        self.server = Some(child);
    }

    /// Stops the server process (SIGKILL: nothing gets a chance to flush).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Asks the server to stop with SIGTERM, as a service manager would, and returns whether
    /// it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        let Some(mut child) = self.server.take() else {
            return false;
        };
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !sent {
            let _ = child.kill();
        }
        child.wait().is_ok_and(|s| s.success()) && sent
    }

    /// The server's socket address; known after the first `start`.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.url()
            .trim_start_matches("http://")
            .parse()
            .expect("the server prints a socket address")
    }

    /// Every checklist on the server: id -> latest revision, read page by page.
    pub fn all_submissions(&self) -> std::collections::HashMap<String, u64> {
        let mut all = std::collections::HashMap::new();
        for page in 1.. {
            let body =
                self.coordinator_get(&format!("/api/v1/submissions?per_page=500&page={page}"));
            let items = body["items"].as_array().expect("items");
            if items.is_empty() {
                break;
            }
            for item in items {
                let id = item["id"].as_str().expect("id").to_owned();
                let previous = all.insert(id.clone(), item["revision"].as_u64().expect("revision"));
                assert!(previous.is_none(), "{id} is listed twice");
            }
        }
        all
    }

    /// The server's base URL; known after the first `start`.
    pub fn url(&self) -> &str {
        self.url.as_deref().expect("start the server first")
    }

    /// `GET` with a token, returning the status and JSON body.
    pub fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.url());
        let token = token.to_owned();
        runtime().block_on(async move {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .timeout(Duration::from_secs(30))
                .send()
                .await
                .expect("the server answers");
            let status = response.status().as_u16();
            let body = response.json::<Value>().await.unwrap_or(Value::Null);
            (status, body)
        })
    }

    /// `POST` a JSON body as the coordinator, returning the status and JSON answer.
    pub fn coordinator_post(&self, path: &str, body: &Value) -> (u16, Value) {
        let url = format!("{}{path}", self.url());
        let token = self.coordinator_token().to_owned();
        let body = body.clone();
        runtime().block_on(async move {
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .timeout(Duration::from_secs(30))
                .send()
                .await
                .expect("the server answers");
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        })
    }

    /// `GET` as the coordinator, asserting 200.
    #[track_caller]
    pub fn coordinator_get(&self, path: &str) -> Value {
        let (status, body) = self.get(path, self.coordinator_token());
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// The summary row of one form.
    pub fn summary_of(&self, form: &str) -> Value {
        let summary = self.coordinator_get("/api/v1/reports/summary");
        summary["forms"]
            .as_array()
            .expect("forms")
            .iter()
            .find(|f| f["form_id"] == form)
            .cloned()
            .unwrap_or_else(|| panic!("no {form} row in {summary}"))
    }
}

impl Default for Mission {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Mission {
    fn drop(&mut self) {
        self.stop();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// One observer team's laptop: an `eom` home folder.
pub struct Laptop {
    home: TempDir,
}

impl Laptop {
    pub fn new() -> Self {
        Self {
            home: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Runs `eom --home <home> ARGS` to completion.
    pub fn eom(&self, args: &[&str]) -> Run {
        self.eom_with_input(args, "")
    }

    /// Runs `eom` with `input` on its standard input.
    pub fn eom_with_input(&self, args: &[&str], input: &str) -> Run {
        let mut child = Command::new(binary("eom"))
            .arg("--home")
            .arg(self.home())
            .args(args)
            // Retry waits of milliseconds keep failure tests quick; the policy is the same.
            .env("EOM_RETRY_BASE_MS", "5")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("eom runs");
        if let Some(mut stdin) = child.stdin.take() {
            // The process may exit before reading everything; that is its business.
            let _ = stdin.write_all(input.as_bytes());
        }
        Run::from(child.wait_with_output().expect("eom finishes"))
    }

    /// Writes `answers` to a file and files a new checklist with it; returns the new id.
    #[track_caller]
    pub fn file(&self, form: &str, station: &str, answers: &Value) -> String {
        let path = self.answers_file(answers);
        let run = self
            .eom(&[
                "new",
                form,
                "--station",
                station,
                "--answers",
                path.to_str().expect("utf-8"),
            ])
            .ok();
        run.last_line().to_owned()
    }

    pub fn answers_file(&self, answers: &Value) -> PathBuf {
        let path = self
            .home()
            .join(format!("answers-{}.json", uuid::Uuid::now_v7()));
        std::fs::write(&path, answers.to_string()).expect("write answers");
        path
    }

    /// Points the laptop at `url` with `token`.
    pub fn setup(&self, url: &str, token: &str) {
        self.eom(&["setup", "--server", url, "--token", token]).ok();
    }

    /// The laptop's local store, opened through the client library.
    pub fn store(&self) -> eom_client::store::LocalStore {
        eom_client::store::LocalStore::open(self.home()).expect("local store opens")
    }

    /// Files `n` voting checklists through the client library (as `eom new` does, without a
    /// process per checklist), spread over `stations`; returns their ids.
    pub fn fill_voting(&self, n: usize, stations: &[&str]) -> Vec<eom_shared::SubmissionId> {
        let mut store = self.store();
        (0..n)
            .map(|i| {
                let overall = ["very_good", "good", "bad", "very_bad"][i % 4];
                let content = voting_content(stations[i % stations.len()], overall);
                store.create(content).expect("saved").id
            })
            .collect()
    }

    /// `eom --home <home> ARGS` as a command to spawn (e.g. to kill it midway).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary("eom"));
        command
            .arg("--home")
            .arg(self.home())
            .args(args)
            .env("EOM_RETRY_BASE_MS", "5")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    pub fn status(&self) -> Value {
        self.eom(&["status", "--json"]).ok().json()
    }
}

impl Default for Laptop {
    fn default() -> Self {
        Self::new()
    }
}

/// A complete voting checklist with the given overall assessment.
pub fn voting_answers(overall: &str) -> Value {
    serde_json::json!({
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
}

/// A voting checklist's content, as the client library saves it.
pub fn voting_content(station: &str, overall: &str) -> eom_shared::SubmissionContent {
    eom_shared::SubmissionContent {
        form_id: eom_shared::FormId::parse("voting").expect("form id"),
        form_version: 1,
        station: eom_shared::StationCode::parse(station).expect("station code"),
        observed_at: chrono::Utc::now(),
        answers: voting_answers(overall)
            .as_object()
            .cloned()
            .expect("answers are an object"),
        notes: String::new(),
    }
}

/// A complete opening checklist.
pub fn opening_answers(overall: &str) -> Value {
    serde_json::json!({
        "arrival_time": "06:45",
        "observers_unrestricted": true,
        "commission_members_present": 9,
        "unauthorized_present": false,
        "boxes_shown_empty": true, "boxes_sealed": true, "mobile_box": "yes",
        "ballots_counted": true, "ballots_recorded": true, "voter_list_present": true,
        "materials_missing": ["none"], "booths_secret": true, "procedures_followed": true,
        "opened_on_time": true, "overall": overall
    })
}
