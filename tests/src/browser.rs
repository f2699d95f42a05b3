//! Headless chromium for the web tests, driven over WebDriver by chromedriver.
//!
//! Both are found on the `PATH`, as `.ci/run` finds them (it installs Debian's `chromium` and
//! `chromium-driver` when missing). In CI (`CI` set, as `.ci/run` exports it) a missing or
//! broken browser fails the test; elsewhere the test is skipped with a message written
//! straight to the terminal, where it is seen even though the test harness captures output.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// chromedriver, killed on drop.
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `name` as the shell would find it on the `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_driver() -> Result<Driver, String> {
    on_path("chromium").ok_or("chromium is not on the PATH")?;
    let binary = on_path("chromedriver").ok_or("chromedriver is not on the PATH")?;
    let port = free_port();
    let mut child = Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{} does not start: {e}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("no chromedriver output")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let ready = lines.any(|l| l.is_ok_and(|l| l.contains("started successfully")));
        let _ = tx.send(ready);
        // Keep draining its output so the driver never blocks on a full pipe.
        lines.for_each(drop);
    });
    let driver = Driver { child, port };
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(true) => Ok(driver),
        _ => Err("chromedriver did not report that it started".into()),
    }
}

/// chromedriver ready for `test`, or `None` (after saying so on the terminal) outside CI.
/// Panics in CI, where a skipped browser test would hide a broken page.
pub fn driver_or_skip(test: &str) -> Option<Driver> {
    match start_driver() {
        Ok(driver) => Some(driver),
        Err(reason) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: {reason}; chromium and chromedriver are required in CI (.ci/run installs them)"
            );
            // Straight to the process's stderr: `eprintln!` would be captured and hidden.
            let _ = writeln!(
                std::io::stderr(),
                "\nSKIPPED {test}: {reason}. Install Debian's chromium and chromium-driver to run it.\n"
            );
            None
        }
    }
}

/// A headless chromium session with its own profile folder.
pub async fn browser(driver: &Driver, profile: &Path, width: u32, height: u32) -> Client {
    let chromium = on_path("chromium").expect("checked by driver_or_skip");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::rustls()
        .expect("TLS set up")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("chromium starts under chromedriver")
}

/// Whether a WebDriver error is an element that a live page swapped out between finding it
/// and using it: worth finding again.
fn is_stale(e: &fantoccini::error::CmdError) -> bool {
    e.to_string().contains("stale element")
}

/// Clicks the element matching `css`, finding it again when a live page swapped it out.
pub async fn click(client: &Client, css: &str) {
    for _ in 0..20 {
        let element = client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"));
        match element.click().await {
            Ok(()) => return,
            Err(e) if is_stale(&e) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("cannot click {css}: {e}"),
        }
    }
    panic!("cannot click {css}: the page kept replacing it");
}

pub async fn type_into(client: &Client, css: &str, text: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
}

/// Waits (polling the page, as WebDriver does) until an element shows up, at most 20 s.
pub async fn wait_for(client: &Client, css: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"));
}

/// The text of the element matching `css`, found again when a live page swapped it out.
pub async fn text(client: &Client, css: &str) -> String {
    for _ in 0..20 {
        let element = client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"));
        match element.text().await {
            Ok(text) => return text.trim().to_owned(),
            Err(e) if is_stale(&e) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("no text of {css}: {e}"),
        }
    }
    panic!("no text of {css}: the page kept replacing it");
}

/// Signs in to the dashboard at `base` with a coordinator token and waits for the overview.
pub async fn sign_in(client: &Client, base: &str, token: &str) {
    client
        .goto(&format!("{base}/login"))
        .await
        .expect("open the sign-in page");
    type_into(client, "#token", token).await;
    click(client, "button[type=submit]").await;
    wait_for(client, "#assessments").await;
}

/// A running `eom ui` on a laptop, killed (SIGKILL) on drop.
pub struct ObserverApp {
    child: Child,
    /// The address it printed, with its per-launch secret.
    pub url: String,
}

impl Drop for ObserverApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ObserverApp {
    /// Starts `eom ui --no-browser` on `laptop` and waits for the address it prints.
    pub fn start(laptop: &crate::Laptop) -> Self {
        let mut child = laptop
            .command(&["ui", "--no-browser"])
            .spawn()
            .expect("eom ui starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref().map_while(Result::ok) {
                if line.starts_with("http://127.0.0.1:") {
                    let _ = tx.send(line);
                    break;
                }
            }
            lines.for_each(drop);
        });
        let url = crate::recv_within(&rx, Duration::from_secs(60), "eom ui prints its address");
        Self { child, url }
    }
}
