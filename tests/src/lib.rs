//! Test support for end-to-end tests: the real `eom-server` and `eom` binaries, real SQLite
//! files in temporary folders, real HTTP over loopback.
//!
//! `Mission` owns a server database and the server process; `Laptop` is one observer's `eom`
//! home folder. Processes are killed when their owner is dropped, so a failing test leaves
//! nothing running.

pub mod browser;
pub mod contract;
pub mod fake_server;
pub mod postgres;
pub mod proxy;
pub mod receiver;
pub mod smtp_sink;
pub mod tls;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// Path of a binary built by this workspace (next to the test executable's `deps` folder),
/// after checking that it is not older than the sources it is built from: a test must never
/// run a stale `eom-server` left over from an earlier build.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live in target/<profile>/deps");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "{} is not built: run the tests with 'cargo test --workspace', which builds it",
                path.display()
            )
        });
    let crate_dir = match name {
        "eom-server" => "server",
        "eom" => "client",
        other => panic!("no sources known for the binary {other}"),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace");
    for source in [crate_dir, "shared"] {
        if let Some((newest, modified)) = newest_file(&root.join(source))
            && modified > built
        {
            panic!(
                "{} is older than {}: it was not rebuilt. Run 'cargo test --workspace' (or \
                 'cargo build --workspace') so the tests run the current code",
                path.display(),
                newest.display()
            );
        }
    }
    path
}

/// The most recently modified file below `dir`, and when.
fn newest_file(dir: &Path) -> Option<(PathBuf, std::time::SystemTime)> {
    let mut newest: Option<(PathBuf, std::time::SystemTime)> = None;
    let mut stack = vec![dir.to_owned()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                // Benches and tests do not go into the binary.
                if !matches!(
                    path.file_name().and_then(|n| n.to_str()),
                    Some("benches" | "tests" | "target")
                ) {
                    stack.push(path);
                }
            } else if let Ok(modified) = meta.modified()
                && newest.as_ref().is_none_or(|(_, t)| modified > *t)
            {
                newest = Some((path, modified));
            }
        }
    }
    newest
}

/// Waits for `child` at most `limit` (reading its output meanwhile, so a full pipe never
/// blocks it); kills it and fails the test when it takes longer, so a hang shows up as a
/// failure with the command's output instead of a stuck CI run.
#[track_caller]
pub fn finish_within(child: Child, limit: Duration, what: &str) -> Run {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(output) => Run::from(output.expect("the process's output is readable")),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            let output = rx
                .recv_timeout(Duration::from_secs(10))
                .ok()
                .and_then(Result::ok)
                .map(Run::from);
            let (stdout, stderr) = output.map_or_else(Default::default, |r| (r.stdout, r.stderr));
            panic!("{what} did not finish within {limit:?}:\nstdout:\n{stdout}\nstderr:\n{stderr}");
        }
    }
}

/// Receives from `rx` or fails the test after `limit`: no wait in a test is unbounded.
#[track_caller]
pub fn recv_within<T>(rx: &std::sync::mpsc::Receiver<T>, limit: Duration, what: &str) -> T {
    rx.recv_timeout(limit)
        .unwrap_or_else(|e| panic!("{what}: nothing within {limit:?} ({e})"))
}

/// A finished command's exit status and output, for assertions with good messages.
pub struct Run {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: Output) -> Self {
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

    /// The command failed (as a user would see it: a non-zero exit status).
    #[track_caller]
    pub fn fails(self) -> Self {
        assert!(
            !self.success(),
            "command succeeded, but should have failed:\nstdout:\n{}",
            self.stdout
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

/// What the server must hold for one checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub form: String,
    pub revision: u64,
    /// The overall assessment of the latest revision.
    pub overall: Option<String>,
}

impl Expected {
    pub fn of(content: &eom_shared::SubmissionContent, revision: u32) -> Self {
        Self {
            form: content.form_id.as_str().to_owned(),
            revision: u64::from(revision),
            overall: content
                .answers
                .get("overall")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}

/// Checklist id -> what the server must hold for it.
pub type Ledger = HashMap<String, Expected>;

/// A coordinators' server: its database, and the `eom-server` process while it runs.
pub struct Mission {
    dir: TempDir,
    /// What `--db` is given: a SQLite file in `dir`, or a PostgreSQL URL.
    db: String,
    /// Raw access to a PostgreSQL database, when the mission is on one.
    pg: Option<postgres::PgClient>,
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
        let db = dir.path().join("eom.db").display().to_string();
        Self::set_up(dir, db, None)
    }

    /// A new mission on a new database of the PostgreSQL cluster `pg`.
    pub fn on_postgres(pg: &postgres::Postgres) -> Self {
        let url = pg.create_database();
        let client = pg.client(&url);
        Self::set_up(tempfile::tempdir().expect("temp dir"), url, Some(client))
    }

    /// Another server instance on the same database (as behind a load balancer), not
    /// started yet.
    pub fn twin(&self) -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            db: self.db.clone(),
            pg: self.pg.clone(),
            server: None,
            url: None,
            coordinator: self.coordinator.clone(),
        }
    }

    /// A server for another database holding this mission (after `eom-server migrate`), with
    /// the same coordinator token; not started yet.
    pub fn moved_to(&self, db: String, pg: Option<postgres::PgClient>) -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            db,
            pg,
            server: None,
            url: None,
            coordinator: self.coordinator.clone(),
        }
    }

    fn set_up(dir: TempDir, db: String, pg: Option<postgres::PgClient>) -> Self {
        let mut mission = Self {
            dir,
            db,
            pg,
            server: None,
            url: None,
            coordinator: None,
        };
        mission.admin(&["init"]).ok();
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

    /// The SQLite file of a mission on SQLite.
    pub fn db(&self) -> PathBuf {
        assert!(self.pg.is_none(), "this mission is on PostgreSQL");
        PathBuf::from(&self.db)
    }

    /// Runs `eom-server --db <db> ARGS` to completion.
    pub fn admin(&self, args: &[&str]) -> Run {
        let child = Command::new(binary("eom-server"))
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env("EOM_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("eom-server runs");
        finish_within(
            child,
            COMMAND_LIMIT,
            &format!("eom-server {}", args.join(" ")),
        )
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
            .arg(&self.db)
            .args(["serve", "--listen", &listen])
            .args(options)
            .env("EOM_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("eom-server starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("eom-server did not say where it listens within 60 s")
            });
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
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
        // A clean stop finishes open requests; a minute is far more than that takes.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return status.success() && sent,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return false;
                }
            }
        }
    }

    /// The server's socket address; known after the first `start`.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.url()
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .parse()
            .expect("the server prints a socket address")
    }

    /// Every checklist on the server: id -> latest revision, read page by page.
    pub fn all_submissions(&self) -> HashMap<String, u64> {
        let mut all = HashMap::new();
        for page in 1.. {
            let body =
                self.coordinator_get(&format!("/api/v1/submissions?per_page=500&page={page}"));
            let items = body["items"].as_array().expect("items");
            if items.is_empty() {
                break;
            }
            for item in items {
                let id = item["id"].as_str().expect("id").to_owned();
                all.insert(id, item["revision"].as_u64().expect("revision"));
            }
        }
        all
    }

    /// Checks, at every level a report reads, that the server holds exactly `expected` and
    /// nothing twice: the listed checklists (ids and latest revisions), the stored revision
    /// rows (one per id and revision, the newest being the expected one), the summary's total
    /// and per-form counts of checklists and negative assessments, and every report's running
    /// totals against a recount from the stored checklists (`eom-server reports rebuild`).
    /// Returns how many revision rows are stored.
    #[track_caller]
    pub fn assert_holds_exactly(&self, expected: &Ledger) -> u64 {
        let listed = self.all_submissions();
        let missing: Vec<&String> = expected
            .keys()
            .filter(|id| !listed.contains_key(*id))
            .collect();
        let unexpected: Vec<&String> = listed
            .keys()
            .filter(|id| !expected.contains_key(*id))
            .collect();
        assert!(
            missing.is_empty() && unexpected.is_empty(),
            "the server lists {} checklists, {} expected; missing {missing:?}, unexpected {unexpected:?}",
            listed.len(),
            expected.len()
        );
        for (id, want) in expected {
            assert_eq!(
                listed[id], want.revision,
                "{id} is listed at its latest revision"
            );
        }

        let rows: Vec<(String, u64, u64)> = self
            .raw("SELECT submission_id, COUNT(*), MAX(revision) FROM revisions GROUP BY submission_id")
            .into_iter()
            .map(|r| {
                let number = |i: usize| r[i].parse::<u64>().expect("a count");
                (r[0].clone(), number(1), number(2))
            })
            .collect();
        assert_eq!(
            rows.len(),
            expected.len(),
            "checklists with stored revisions"
        );
        let mut revision_rows = 0;
        for (id, count, newest) in rows {
            let want = expected
                .get(&id)
                .unwrap_or_else(|| panic!("revisions stored for unexpected checklist {id}"));
            assert_eq!(newest, want.revision, "{id}: newest stored revision");
            assert!(
                (1..=want.revision).contains(&count),
                "{id}: {count} revision rows for revision {}",
                want.revision
            );
            revision_rows += count;
        }
        let submissions: u64 = self.raw("SELECT COUNT(*) FROM submissions")[0][0]
            .parse()
            .expect("a count");
        assert_eq!(submissions, expected.len() as u64, "latest-state rows");

        let summary = self.coordinator_get("/api/v1/reports/summary");
        assert_eq!(
            summary["total"].as_u64(),
            Some(expected.len() as u64),
            "summary total: {summary}"
        );
        let mut forms: Vec<&str> = expected.values().map(|e| e.form.as_str()).collect();
        forms.sort_unstable();
        forms.dedup();
        for form in forms {
            let of_form = || expected.values().filter(|e| e.form == form);
            let negative = of_form()
                .filter(|e| matches!(e.overall.as_deref(), Some("bad" | "very_bad")))
                .count();
            let row = self.summary_of(form);
            assert_eq!(
                (row["checklists"].as_u64(), row["negative"].as_u64()),
                (Some(of_form().count() as u64), Some(negative as u64)),
                "{form}: checklists and negative assessments in the summary: {row}"
            );
        }

        let kept = self.report_snapshot();
        self.admin(&["reports", "rebuild"]).ok();
        assert_eq!(
            kept,
            self.report_snapshot(),
            "the running totals differ from a count from scratch"
        );
        revision_rows
    }

    /// The rows of `sql` run on the server's database directly (below the API), as text.
    pub fn raw(&self, sql: &str) -> Vec<Vec<String>> {
        if let Some(pg) = &self.pg {
            return pg.query(sql);
        }
        let db = rusqlite::Connection::open_with_flags(
            self.db(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open the server's database read-only");
        let mut stmt = db.prepare(sql).expect("a valid query");
        let columns = stmt.column_count();
        stmt.query_map([], |r| {
            (0..columns)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => String::new(),
                        rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                        rusqlite::types::ValueRef::Real(x) => x.to_string(),
                        rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                            String::from_utf8_lossy(t).into_owned()
                        }
                    })
                })
                .collect()
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows read")
    }

    /// Every report that reads running totals, as JSON.
    pub fn report_snapshot(&self) -> Vec<Value> {
        [
            "summary",
            "assessments",
            "access",
            "findings",
            "coverage?silent_minutes=100000",
            "timeline",
        ]
        .iter()
        .map(|r| self.coordinator_get(&format!("/api/v1/reports/{r}")))
        .collect()
    }

    /// The server's base URL; known after the first `start`.
    pub fn url(&self) -> &str {
        self.url.as_deref().expect("start the server first")
    }

    /// `GET` with a token, returning the status and JSON body.
    pub fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let (status, text) = self.get_text(path, token);
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `GET` with a token, returning the status and the body as text.
    pub fn get_text(&self, path: &str, token: &str) -> (u16, String) {
        let (status, body) = self.get_bytes(path, token);
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// `GET` with a token, returning the status and the body's bytes.
    pub fn get_bytes(&self, path: &str, token: &str) -> (u16, Vec<u8>) {
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
            let body = response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
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

/// The longest one `eom` command may take in a test before it counts as a hang.
pub const COMMAND_LIMIT: Duration = Duration::from_secs(180);

/// The passphrase of every test laptop's encrypted store.
pub const PASSPHRASE: &str = "correct horse battery staple";

/// One observer team's laptop: an `eom` home folder, and a folder (outside it) where `eom`
/// keeps the unlocked key between commands, as a session's runtime folder would.
pub struct Laptop {
    home: TempDir,
    keys: TempDir,
}

impl Laptop {
    pub fn new() -> Self {
        Self {
            home: tempfile::tempdir().expect("temp dir"),
            keys: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The folder where `eom` keeps the unlocked key between commands.
    pub fn key_cache(&self) -> &Path {
        self.keys.path()
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
            .env("EOM_PASSPHRASE", PASSPHRASE)
            .env("EOM_KEY_CACHE_DIR", self.key_cache())
            // The language comes from the laptop's setting, else English: never from the
            // machine the tests happen to run on.
            .env_remove("EOM_LANG")
            .env("LC_ALL", "C")
            .env("LANG", "C")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("eom runs");
        if let Some(mut stdin) = child.stdin.take() {
            // The process may exit before reading everything; that is its business.
            let _ = stdin.write_all(input.as_bytes());
        }
        finish_within(child, COMMAND_LIMIT, &format!("eom {}", args.join(" ")))
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

    /// Sets the laptop up for `url` with `token`, as an observer does: the token typed on
    /// standard input, checked with the server (which also fetches forms and stations).
    pub fn setup(&self, url: &str, token: &str) {
        self.eom_with_input(
            &["setup", "--server", url, "--token", "-"],
            &format!("{token}\n"),
        )
        .ok();
    }

    /// Sets the laptop up for a server that is not running (`http://127.0.0.1:9`), without
    /// contacting it: for tests of the laptop alone.
    pub fn setup_offline(&self) {
        self.point_at("http://127.0.0.1:9", "eom_x");
    }

    /// Points the laptop at `url` (a proxy or a fake server in front of the real one) without
    /// contacting it.
    pub fn point_at(&self, url: &str, token: &str) {
        self.eom_with_input(
            &["setup", "--server", url, "--token", "-", "--no-check"],
            &format!("{token}\n"),
        )
        .ok();
    }

    /// The laptop's local store, opened through the client library with the passphrase.
    pub fn store(&self) -> eom_client::store::LocalStore {
        let key = eom_client::vault::derive(self.home(), PASSPHRASE).expect("key");
        eom_client::store::LocalStore::open(self.home(), &key).expect("local store opens")
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

    /// What this laptop has filed, at the latest revision of each checklist: what the server
    /// must hold once everything is delivered.
    pub fn ledger(&self) -> Ledger {
        self.store()
            .list(None)
            .expect("list the outbox")
            .into_iter()
            .map(|e| (e.id.to_string(), Expected::of(&e.content, e.revision)))
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
            .env("EOM_PASSPHRASE", PASSPHRASE)
            .env("EOM_KEY_CACHE_DIR", self.key_cache())
            // The language comes from the laptop's setting, else English: never from the
            // machine the tests happen to run on.
            .env_remove("EOM_LANG")
            .env("LC_ALL", "C")
            .env("LANG", "C")
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

/// What an observer types in the questionnaire to give `answers` to the default form
/// `form_id`, one line per question asked (in form order, skipping those that do not apply),
/// with Enter for the first `keep` (already answered, as in a resumed draft).
pub fn typed_answers(form_id: &str, answers: &Value, keep: usize) -> String {
    use eom_shared::form::QuestionKind;
    // The version laptops fill: version 2 of the default forms.
    let form = eom_shared::default_forms::version_two()
        .expect("default forms")
        .into_iter()
        .find(|f| f.id.as_str() == form_id)
        .expect("the form");
    let given = answers.as_object().expect("answers object");
    let mut asked = std::collections::HashSet::new();
    let mut lines = Vec::new();
    for q in &form.questions {
        if !eom_shared::validate::is_relevant(q, given, &asked) {
            continue;
        }
        asked.insert(q.id.as_str());
        let line = match (given.get(&q.id), &q.kind) {
            (_, _) if lines.len() < keep => String::new(),
            (None, _) => String::new(),
            (Some(Value::Bool(b)), _) => if *b { "y" } else { "n" }.to_owned(),
            (Some(Value::Array(items)), QuestionKind::MultiChoice { .. }) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
            (Some(Value::String(s)), QuestionKind::Assessment) => s.replace('_', " "),
            (Some(Value::String(s)), _) => s.clone(),
            (Some(other), _) => other.to_string(),
        };
        lines.push(line);
    }
    lines.push(String::new());
    lines.join("\n")
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
