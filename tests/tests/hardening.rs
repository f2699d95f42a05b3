//! The real `eom-server` under attack and as an operator hardens it: a flood of idle and
//! half-sent connections beyond its open-file limit, HTTPS served by the server itself, the
//! database file's permissions, failed sign-ins logged without the token.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use eom_tests::tls::Authority;
use eom_tests::{Laptop, Mission, binary};

/// `eom-server serve` on a fresh database under `sh -c 'ulimit -n LIMIT'`, its stderr
/// collected line by line.
struct Served {
    child: Child,
    addr: SocketAddr,
    log: mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl Served {
    fn start(open_files: u32, options: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("eom.db");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {open_files} && exec \"$0\" \"$@\""))
            .arg(binary("eom-server"))
            .arg("--db")
            .arg(&db)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(options)
            .env("EOM_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("eom-server starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the listening line");
        let addr = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        let stderr = child.stderr.take().expect("stderr");
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            addr,
            log,
            _dir: dir,
        }
    }

    fn log_lines(&self) -> Vec<String> {
        self.log.try_iter().collect()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `GET /api/v1/health` on a new connection; the status line, or why there was none.
fn health(addr: SocketAddr, limit: Duration) -> Result<String, String> {
    let started = Instant::now();
    let mut stream = TcpStream::connect_timeout(&addr, limit).map_err(|e| e.to_string())?;
    let left = limit
        .saturating_sub(started.elapsed())
        .max(Duration::from_millis(1));
    stream
        .set_read_timeout(Some(left))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: eom\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    let status = text.lines().next().unwrap_or("").to_owned();
    if status.contains(" 200 ") && started.elapsed() <= limit {
        Ok(status)
    } else {
        Err(format!(
            "after {:?}: {:?}",
            started.elapsed(),
            &text[..text.len().min(200)]
        ))
    }
}

#[test]
fn two_thousand_idle_connections_do_not_stop_health_answering() {
    // The test opens 2,000 sockets of its own.
    let _ = rlimit::increase_nofile_limit(8192);
    let server = Served::start(1024, &[]);
    assert!(health(server.addr, Duration::from_secs(5)).is_ok());

    let mut held = Vec::new();
    let mut refused = 0;
    for i in 0..2000 {
        match TcpStream::connect_timeout(&server.addr, Duration::from_secs(2)) {
            Ok(mut s) => {
                // Every fourth one sends half a request and stops (slowloris).
                if i % 4 == 0 {
                    let _ =
                        s.write_all(b"POST /api/v1/sync/push HTTP/1.1\r\nHost: eom\r\nContent-Le");
                }
                held.push(s);
            }
            Err(_) => refused += 1,
        }
    }
    assert!(
        held.len() > 1500,
        "the flood itself could not connect: {refused} refused"
    );

    // While all of them are still open on this side, health answers, again and again.
    for round in 0..5 {
        if let Err(e) = health(server.addr, Duration::from_secs(2)) {
            panic!("round {round}: /api/v1/health did not answer within 2 s: {e}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = server.log_lines();
    assert!(
        !log.iter().any(|l| l.contains("Too many open files")),
        "the server ran out of files: {}",
        log.join("\n")
    );
    drop(held);
}

#[test]
fn the_server_serves_https_itself_and_a_laptop_syncs_over_it() {
    let authority = Authority::new("Mission CA");
    let dir = tempfile::tempdir().expect("temp dir");
    let cert = dir.path().join("fullchain.pem");
    let key = dir.path().join("privkey.pem");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&cert, &authority.server_cert_pem).expect("cert");
    std::fs::write(&key, &authority.server_key_pem).expect("key");
    std::fs::write(&ca, &authority.ca_pem).expect("ca");

    let mut mission = Mission::new();
    mission.start_with(&[
        "--tls-cert",
        cert.to_str().expect("utf-8"),
        "--tls-key",
        key.to_str().expect("utf-8"),
    ]);
    assert!(mission.url().starts_with("https://"), "{}", mission.url());
    let url = format!("https://localhost:{}", mission.addr().port());
    let token = mission.add_observer("Team 3", "North");
    let laptop = Laptop::new();
    laptop
        .eom(&[
            "setup",
            "--server",
            &url,
            "--token",
            &token,
            "--ca",
            ca.to_str().expect("utf-8"),
        ])
        .ok();
    laptop.fill_voting(2, &["PEC-001"]);
    laptop.eom(&["sync"]).ok();
    let status = laptop.status();
    assert_eq!(status["delivered"], 2, "{status}");
    assert_eq!(status["queued"], 0, "{status}");

    // Plain HTTP on the HTTPS port gets no answer as if it were served.
    let plain = health(mission.addr(), Duration::from_secs(5));
    assert!(plain.is_err(), "{plain:?}");
}

#[test]
fn a_bad_certificate_file_is_named_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cert = dir.path().join("cert.pem");
    std::fs::write(&cert, "not a certificate").expect("write");
    let run = Command::new(binary("eom-server"))
        .arg("--db")
        .arg(dir.path().join("eom.db"))
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&cert)
        .output()
        .expect("runs");
    assert!(!run.status.success());
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(said.contains("cert.pem"), "{said}");
    assert!(said.contains("fullchain.pem"), "{said}");
}

#[cfg(unix)]
#[test]
fn the_database_is_readable_by_its_owner_only_and_failed_sign_ins_are_logged() {
    use std::os::unix::fs::PermissionsExt;
    let server = Served::start(4096, &[]);
    let db = server._dir.path().join("eom.db");
    let mode = std::fs::metadata(&db).expect("db").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");

    let secret = "eom_secret_guess_0123456789";
    // Without --trusted-proxy a forwarded address is the client's to forge: ignored.
    let answer = sign_in(server.addr, secret, Some("198.51.100.7"));
    assert!(answer.contains("failed=1"), "{answer}");
    let log = server.log_until("failed dashboard sign-in");
    let line = log
        .iter()
        .find(|l| l.contains("failed dashboard sign-in"))
        .unwrap_or_else(|| panic!("no log line: {}", log.join("\n")));
    assert!(line.contains("127.0.0.1"), "{line}");
    assert!(!line.contains("198.51.100.7"), "{line}");
    assert!(
        !log.iter().any(|l| l.contains(secret)),
        "the token reached the log"
    );
}

/// One dashboard sign-in with a wrong token, optionally through a proxy naming `forwarded`;
/// the raw answer.
fn sign_in(addr: SocketAddr, token: &str, forwarded: Option<&str>) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let body = format!("token={token}");
    let forwarded = forwarded.map_or_else(String::new, |f| format!("X-Forwarded-For: {f}\r\n"));
    write!(
        stream,
        "POST /login HTTP/1.1\r\nHost: eom\r\n{forwarded}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

impl Served {
    /// Log lines until one holds `needle` (or five seconds pass).
    fn log_until(&self, needle: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut log = Vec::new();
        while Instant::now() < deadline && !log.iter().any(|l: &String| l.contains(needle)) {
            log.extend(self.log_lines());
            std::thread::sleep(Duration::from_millis(50));
        }
        log
    }
}

#[test]
fn behind_a_trusted_proxy_sign_ins_are_limited_and_logged_per_client() {
    let server = Served::start(
        4096,
        &["--trusted-proxy", "127.0.0.1", "--sign-ins-per-minute", "2"],
    );
    for _ in 0..2 {
        let answer = sign_in(server.addr, "wrong", Some("6.6.6.6, 198.51.100.7"));
        assert!(answer.contains("failed=1"), "{answer}");
    }
    let log = server.log_until("failed dashboard sign-in");
    let line = log
        .iter()
        .find(|l| l.contains("failed dashboard sign-in"))
        .unwrap_or_else(|| panic!("no log line: {}", log.join("\n")));
    assert!(
        line.contains("198.51.100.7") && !line.contains("6.6.6.6"),
        "the proxy's entry, not what the client wrote: {line}"
    );
    let third = sign_in(server.addr, "wrong", Some("198.51.100.7"));
    assert!(third.starts_with("HTTP/1.1 429"), "{third}");
    // Another client behind the same proxy has its own allowance.
    let other = sign_in(server.addr, "wrong", Some("198.51.100.8"));
    assert!(other.contains("failed=1"), "{other}");
}
