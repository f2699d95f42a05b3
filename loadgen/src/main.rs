//! `eom-loadgen`: measures eom the way election day loads it.
//!
//! - `prepare` makes a database with stations, observer accounts and a coordinator, and
//!   writes their tokens to a file;
//! - `ingest` plays N observers pushing realistic checklists (valid ones, some edits, some
//!   invalid) one per request or in batches, reports throughput, latency percentiles and
//!   errors, then checks that the server holds exactly what it acknowledged;
//! - `reports` times the coordinators' report endpoints;
//! - `client` times the real client library delivering a full outbox, and the bytes it sends;
//! - `raw-sqlite` inserts the same rows straight into a database with the server's schema:
//!   an upper bound for ingest on this disk, to compare the server against.

mod ingest;
mod measure;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: the load generator shares the machine with the
/// server it measures, and with glibc's allocator a sixth of its time went to page faults and
/// zeroing for the compressor's buffers, which glibc hands back to the kernel after every
/// request (profiled with perf, BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "eom-loadgen",
    version,
    about = "Load generator and benchmarks for eom"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create stations, observers and a coordinator in a database (a SQLite file or a
    /// postgres:// URL); write their tokens to a file.
    Prepare {
        #[arg(long)]
        db: eom_server::config::Database,
        #[arg(long, default_value_t = 256)]
        observers: usize,
        #[arg(long, default_value_t = 2000)]
        stations: usize,
        /// Where to write the tokens (JSON).
        #[arg(long, default_value = "loadgen-tokens.json")]
        out: PathBuf,
    },
    /// Push checklists as N observers for a while, then verify what the server holds.
    Ingest(ingest::IngestOptions),
    /// Time the report endpoints.
    Reports {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value = "loadgen-tokens.json")]
        tokens: PathBuf,
        /// Timed requests per endpoint (after a few untimed warm-up requests); with 200, p99 is
        /// the second-slowest, not the maximum.
        #[arg(long, default_value_t = 200)]
        requests: usize,
    },
    /// Time the client library delivering a full outbox; count the bytes on the wire.
    Client {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value = "loadgen-tokens.json")]
        tokens: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        checklists: usize,
    },
    /// Insert the same rows straight into a database with the server's schema (WAL,
    /// synchronous=FULL): an upper bound for ingest on this disk.
    RawSqlite {
        /// A new database file; put it on the same disk as the server's database.
        #[arg(long, default_value = "raw-bound.db")]
        db: PathBuf,
        #[arg(long, default_value_t = 200_000)]
        rows: usize,
        /// Rows per transaction.
        #[arg(long, default_value_t = 2000)]
        batch: usize,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            // Storage is opened outside the runtime: the PostgreSQL store blocks on its own.
            Command::Prepare {
                db,
                observers,
                stations,
                out,
            } => tokio::task::spawn_blocking(move || {
                measure::prepare(&db, observers, stations, &out)
            })
            .await
            .map_err(anyhow::Error::from)
            .and_then(|r| r),
            Command::Ingest(options) => ingest::run(options).await,
            Command::Reports {
                url,
                tokens,
                requests,
            } => measure::reports(&url, &tokens, requests).await,
            Command::Client {
                url,
                tokens,
                checklists,
            } => measure::client(&url, &tokens, checklists).await,
            Command::RawSqlite { db, rows, batch } => measure::raw_sqlite(&db, rows, batch),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
