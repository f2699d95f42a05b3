//! The `eom-server` command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::admin;
use crate::config::{DEFAULT_DB, DEFAULT_LISTEN, ServeConfig};
use crate::ingest::writer::WriterConfig;
use crate::store::{Role, Store};

#[derive(Debug, Parser)]
#[command(
    name = "eom-server",
    version,
    about = "The eom coordinators' server: receives observers' checklists, stores and aggregates them"
)]
pub struct Cli {
    /// SQLite database file (created on first use).
    #[arg(long, global = true, env = "EOM_DB", default_value = DEFAULT_DB)]
    pub db: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server until Ctrl-C or SIGTERM.
    Serve {
        /// Address to listen on; port 0 picks a free port (printed at start).
        #[arg(long, env = "EOM_LISTEN", default_value = DEFAULT_LISTEN)]
        listen: SocketAddr,
        /// Pushes that may wait for the database writer; beyond this the server answers 503
        /// with Retry-After instead of piling up.
        #[arg(long, env = "EOM_WRITE_QUEUE", default_value_t = WriterConfig::default().queue_capacity)]
        write_queue: usize,
        /// Most checklists stored in one transaction (group commit).
        #[arg(long, env = "EOM_MAX_GROUP", default_value_t = WriterConfig::default().max_group_items)]
        max_group: usize,
        /// The mission's time zone, an IANA name such as Asia/Almaty: laptops show and take
        /// times of day in it (default: each laptop's own clock).
        #[arg(long, env = "EOM_TIME_ZONE", value_parser = parse_zone)]
        time_zone: Option<String>,
    },
    /// Observer accounts (they push checklists and pull forms).
    #[command(subcommand)]
    Observer(ObserverCommand),
    /// Coordinator accounts (they read submissions and reports).
    #[command(subcommand)]
    Coordinator(CoordinatorCommand),
    /// The list of polling stations and commissions.
    #[command(subcommand)]
    Stations(StationsCommand),
    /// Report maintenance.
    #[command(subcommand)]
    Reports(ReportsCommand),
    /// Fill the database with a realistic simulated election day (regions, stations, teams,
    /// checklists, incidents) and print a coordinator token to explore it with.
    Demo {
        /// Observer teams to simulate (each files about ten checklists).
        #[arg(long, default_value_t = 60)]
        observers: usize,
        /// Polling stations to create.
        #[arg(long, default_value_t = 400)]
        stations: usize,
        /// Seed of the simulation, for a repeatable day.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ObserverCommand {
    /// Create an observer account and print its token once.
    Add(AddAccount),
    /// List observer accounts.
    List,
    /// Revoke an observer's token at once (a lost or seized laptop); with --new-token, print
    /// a replacement.
    Revoke(Revoke),
}

#[derive(Debug, Args)]
pub struct Revoke {
    /// The account id, as 'list' shows it.
    pub id: String,
    /// Issue and print a new token for the same account.
    #[arg(long)]
    pub new_token: bool,
}

#[derive(Debug, Subcommand)]
pub enum CoordinatorCommand {
    /// Create a coordinator account and print its token once.
    Add(AddCoordinator),
    /// List coordinator accounts.
    List,
    /// Revoke a coordinator's token; with --new-token, print a replacement.
    Revoke(Revoke),
}

#[derive(Debug, Args)]
pub struct AddAccount {
    /// The observer team's name, e.g. "Team 12 (Aigerim, Jonas)".
    #[arg(long)]
    pub name: String,
    /// The region the team is deployed to.
    #[arg(long)]
    pub region: Option<String>,
    /// Print {"id": ..., "token": ...} instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AddCoordinator {
    #[arg(long)]
    pub name: String,
    /// Print {"id": ..., "token": ...} instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// Recompute every running total behind the reports from the stored checklists (safe
    /// to run while the server runs; pushes wait for it).
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum StationsCommand {
    /// Import or update stations from a CSV file with the header
    /// code,name,region,district,level,registered_voters (level: pec, tec or dec).
    Import {
        /// The CSV file.
        file: PathBuf,
    },
}

fn parse_zone(raw: &str) -> Result<String, String> {
    eom_shared::sync::parse_time_zone(raw).map(|tz| tz.name().to_owned())
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            write_queue,
            max_group,
            time_zone,
        } => {
            crate::serve(ServeConfig {
                db: cli.db,
                listen,
                writer: WriterConfig {
                    queue_capacity: write_queue,
                    max_group_items: max_group,
                },
                time_zone,
            })
            .await
        }
        Command::Observer(ObserverCommand::Add(a)) => {
            let store = crate::open_store(&cli.db)?;
            add_account(&store, Role::Observer, &a.name, a.region.as_deref(), a.json)
        }
        Command::Coordinator(CoordinatorCommand::Add(a)) => {
            let store = crate::open_store(&cli.db)?;
            add_account(&store, Role::Coordinator, &a.name, None, a.json)
        }
        Command::Observer(ObserverCommand::List) => {
            list_accounts(&crate::open_store(&cli.db)?, Role::Observer)
        }
        Command::Coordinator(CoordinatorCommand::List) => {
            list_accounts(&crate::open_store(&cli.db)?, Role::Coordinator)
        }
        Command::Observer(ObserverCommand::Revoke(r))
        | Command::Coordinator(CoordinatorCommand::Revoke(r)) => {
            let store = crate::open_store(&cli.db)?;
            match admin::replace_token(&store, &r.id, r.new_token)? {
                Some(token) => {
                    println!(
                        "The old token of {} no longer works. New token (shown only now):",
                        r.id
                    );
                    println!("{token}");
                }
                None => println!("The token of {} is revoked; its checklists stay.", r.id),
            }
            Ok(())
        }
        Command::Reports(ReportsCommand::Rebuild) => {
            let store = crate::open_store(&cli.db)?;
            let started = std::time::Instant::now();
            let counted = store.rebuild_tallies(&crate::rules::contribution)?;
            println!(
                "Recounted {counted} checklists into the report totals in {:.1} s.",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Demo {
            observers,
            stations,
            seed,
        } => {
            let store = crate::open_store(&cli.db)?;
            let started = std::time::Instant::now();
            let summary = crate::demo::generate(
                &store,
                crate::demo::DemoConfig {
                    observers,
                    stations,
                    seed,
                },
            )?;
            println!(
                "Simulated an election day in {}: {} regions, {} stations, {} teams, {} checklists ({:.1} s).",
                cli.db.display(),
                summary.regions,
                summary.stations,
                summary.observers,
                summary.checklists,
                started.elapsed().as_secs_f64()
            );
            println!("Coordinator token (sign in to the dashboard with it):");
            println!("{}", summary.coordinator_token);
            println!(
                "Next: eom-server --db {} serve, then open http://127.0.0.1:8080/",
                cli.db.display()
            );
            Ok(())
        }
        Command::Stations(StationsCommand::Import { file }) => {
            let store = crate::open_store(&cli.db)?;
            let summary = admin::import_stations_csv(&store, &file)?;
            println!(
                "Imported {}: {} added, {} updated, {} unchanged.",
                file.display(),
                summary.added,
                summary.updated,
                summary.unchanged
            );
            Ok(())
        }
    }
}

fn add_account(
    store: &dyn Store,
    role: Role,
    name: &str,
    region: Option<&str>,
    as_json: bool,
) -> anyhow::Result<()> {
    let created = admin::create_account(store, name, role, region)
        .with_context(|| format!("could not create the {} account", role.as_str()))?;
    if as_json {
        println!(
            "{}",
            json!({
                "id": created.account.id,
                "name": created.account.name,
                "role": role.as_str(),
                "region": created.account.region,
                "token": created.token,
            })
        );
        return Ok(());
    }
    println!(
        "Created {} '{}' (id {}){}.",
        role.as_str(),
        created.account.name,
        created.account.id,
        created
            .account
            .region
            .as_deref()
            .map(|r| format!(", region {r}"))
            .unwrap_or_default()
    );
    println!("Token (shown only now; the server keeps only its hash):");
    println!("{}", created.token);
    if role == Role::Observer {
        println!("On the observer's laptop: eom setup --server http://SERVER:8080 --token <token>");
    }
    Ok(())
}

fn list_accounts(store: &dyn Store, role: Role) -> anyhow::Result<()> {
    let accounts: Vec<_> = store
        .list_accounts()?
        .into_iter()
        .filter(|a| a.role == role)
        .collect();
    if accounts.is_empty() {
        println!("No {} accounts yet.", role.as_str());
    }
    for a in accounts {
        println!(
            "{}  {}  {}",
            a.id,
            a.name,
            a.region.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}
