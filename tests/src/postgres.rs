//! A real PostgreSQL for tests: Debian's `postgresql` package, a cluster made with `initdb` in
//! a temporary folder, started with `pg_ctl` on a free port and stopped when dropped. Nothing
//! installed by hand is used. `initdb` refuses to run as root, so as root the cluster belongs
//! to the package's `postgres` user.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use tempfile::TempDir;

/// A running cluster; stopped (immediately) when dropped.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    /// The user the cluster runs as when the tests run as root.
    run_as: Option<&'static str>,
    _dir: TempDir,
}

static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The folder with `initdb` and `pg_ctl`: `EOM_PG_BIN`, the PATH, or the newest
/// `/usr/lib/postgresql/*/bin` (Debian keeps them off the PATH).
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("EOM_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    // A link on the PATH (as some images make) leads to the package's folder, which has
    // `createdb` too.
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("initdb"))
            .filter_map(|initdb| initdb.canonicalize().ok())
            .filter_map(|initdb| initdb.parent().map(Path::to_path_buf))
            .find(|d| d.join("pg_ctl").is_file() && d.join("createdb").is_file())
    });
    if on_path.is_some() {
        return on_path;
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// `program`, run as `user` when given (through `runuser`, when the tests run as root).
fn as_user(user: Option<&str>, program: &Path) -> Command {
    match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.arg("-u").arg(user).arg("--").arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// How the client tools reach the cluster.
fn connection_args(port: &str) -> [&str; 6] {
    ["-h", "127.0.0.1", "-p", port, "-U", "postgres"]
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// The uid and gid of `user`, from `id`.
fn ids_of(user: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").arg(flag).arg(user).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

impl Postgres {
    /// A new cluster, or `None` (after saying so on the terminal) when PostgreSQL is not
    /// installed outside CI. Panics in CI, where a skipped backend would hide a broken one.
    pub fn start_or_skip(test: &str) -> Option<Self> {
        match Self::start() {
            Ok(pg) => Some(pg),
            Err(reason) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "{test}: {reason}; PostgreSQL is required in CI (.ci/run installs it)"
                );
                let _ = writeln!(
                    std::io::stderr(),
                    "\nSKIPPED {test}: {reason}. Install Debian's postgresql package to run it.\n"
                );
                None
            }
        }
    }

    pub fn start() -> Result<Self, String> {
        let bin = bin_dir().ok_or("PostgreSQL's initdb and pg_ctl were not found")?;
        let dir = tempfile::Builder::new()
            .prefix("eom-pg-")
            .tempdir()
            .map_err(|e| format!("no temporary folder: {e}"))?;
        let data = dir.path().join("data");
        let run_as = if running_as_root() {
            Some("postgres")
        } else {
            None
        };
        #[cfg(unix)]
        if let Some(user) = run_as {
            let (uid, gid) = ids_of(user).ok_or("there is no 'postgres' user to run as")?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| format!("cannot hand the folder to {user}: {e}"))?;
        }
        let pg = Self {
            bin,
            data,
            port: free_port(),
            run_as,
            _dir: dir,
        };
        pg.run(
            "initdb",
            &[
                "-D",
                &pg.data.display().to_string(),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "-N",
            ],
        )?;
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off \
             -c max_connections=200",
            pg.port,
            pg.data.display()
        );
        pg.run(
            "pg_ctl",
            &[
                "-D",
                &pg.data.display().to_string(),
                "-l",
                &pg.data.join("server.log").display().to_string(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )?;
        Ok(pg)
    }

    fn command(&self, program: &str) -> Command {
        as_user(self.run_as, &self.bin.join(program))
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<Output, String> {
        let out = self
            .command(program)
            .args(args)
            .current_dir(self.data.parent().unwrap_or(Path::new("/")))
            .output()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(out)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A new, empty database and its URL.
    pub fn create_database(&self) -> String {
        let name = format!(
            "eom_{}_{}",
            std::process::id(),
            DATABASES.fetch_add(1, Ordering::SeqCst)
        );
        let port = self.port.to_string();
        let mut args = connection_args(&port).to_vec();
        args.push(&name);
        self.run("createdb", &args)
            .unwrap_or_else(|e| panic!("{e}"));
        self.url(&name)
    }

    /// A handle for raw queries, which a test may keep beside the cluster.
    pub fn client(&self, url: &str) -> PgClient {
        PgClient {
            psql: self.bin.join("psql"),
            run_as: self.run_as,
            port: self.port,
            database: url.rsplit('/').next().unwrap_or_default().to_owned(),
        }
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// What the server logged, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args([
                "-D",
                &self.data.display().to_string(),
                "-m",
                "immediate",
                "stop",
            ])
            .output();
    }
}

/// Raw SQL through `psql`, for tests that check what is stored below the API.
#[derive(Debug, Clone)]
pub struct PgClient {
    psql: PathBuf,
    run_as: Option<&'static str>,
    port: u16,
    database: String,
}

impl PgClient {
    /// The rows of `sql`, each a list of column values as text.
    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        let port = self.port.to_string();
        let out = as_user(self.run_as, &self.psql)
            .args(connection_args(&port))
            .args(["-d", &self.database, "-At", "-F", "|", "-c", sql])
            .current_dir("/")
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split('|').map(str::to_owned).collect())
            .collect()
    }
}
