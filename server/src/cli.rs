//! The `eom-server` command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::admin;
use crate::config::{DEFAULT_DB, DEFAULT_LISTEN, Database, ServeConfig};
use crate::ingest::writer::WriterConfig;
use crate::limits::Budgets;
use crate::open_database;
use crate::store::{Role, Store};
use eom_shared::limits::ObservationWindow;

#[derive(Debug, Parser)]
#[command(
    name = "eom-server",
    version,
    about = "The eom coordinators' server: receives observers' checklists, stores and aggregates them"
)]
pub struct Cli {
    /// The database: a SQLite file (created on first use), or a PostgreSQL URL
    /// (postgres://USER:PASSWORD@HOST:PORT/DATABASE) shared by several server instances.
    #[arg(long, global = true, env = "EOM_DB", default_value = DEFAULT_DB)]
    pub db: Database,

    /// How the server logs: readable text, or one JSON object per line for a log collector.
    #[arg(long, global = true, env = "EOM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server until Ctrl-C or SIGTERM.
    Serve(Box<ServeArgs>),
    /// Create the mission's database (a new SQLite file, or the tables in an empty
    /// PostgreSQL database) with the default forms. Only this and `serve` create one: every
    /// other command refuses a database that is not there.
    Init,
    /// Observer teams (they push checklists and pull forms): add one, import many, list,
    /// revoke, issue a new enrolment code.
    #[command(subcommand, visible_alias = "observers")]
    Observer(ObserverCommand),
    /// Coordinator accounts (they read submissions and reports).
    #[command(subcommand)]
    Coordinator(CoordinatorCommand),
    /// Administrator accounts (coordinators of the whole mission who also manage accounts,
    /// through the API as well as here).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The tamper-evident audit log of every write.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The list of polling stations and commissions.
    #[command(subcommand)]
    Stations(StationsCommand),
    /// The mission's checklist forms: install a new form or version, list, export.
    #[command(subcommand)]
    Forms(FormsCommand),
    /// The contests of the election, with their candidates: the counting form copies one
    /// protocol per contest.
    #[command(subcommand)]
    Contests(ContestsCommand),
    /// Results the election administration published, to compare with the protocols
    /// observers copied.
    #[command(subcommand)]
    Results(ResultsCommand),
    /// Report maintenance.
    #[command(subcommand)]
    Reports(ReportsCommand),
    /// Copy the live SQLite database to FILE (consistent, while the server runs). For
    /// PostgreSQL use pg_dump or the cluster's own backups.
    Backup {
        /// The new file; an existing one is never overwritten.
        file: PathBuf,
    },
    /// Move the mission from --db (e.g. eom.db) to an empty PostgreSQL database: accounts
    /// and their tokens, forms, stations, every revision, conflict and review. Then every
    /// report is compared on both sides.
    Migrate {
        /// The destination, e.g. postgres://eom:PASSWORD@db.internal/eom (or a new SQLite
        /// file).
        #[arg(long)]
        to: Database,
    },
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
        /// Add the simulated day to a database that already holds accounts or stations (a
        /// real mission's figures would mix with invented ones).
        #[arg(long)]
        force: bool,
    },
}

/// `eom-server serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[arg(long, env = "EOM_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Pushes that may wait for the database writer; beyond this the server answers 503
    /// with Retry-After instead of piling up.
    #[arg(long, env = "EOM_WRITE_QUEUE", default_value_t = WriterConfig::default().queue_capacity)]
    pub write_queue: usize,
    /// Most checklists stored in one transaction (group commit).
    #[arg(long, env = "EOM_MAX_GROUP", default_value_t = WriterConfig::default().max_group_items)]
    pub max_group: usize,
    /// The mission's time zone, an IANA name such as Asia/Almaty: laptops show and take
    /// times of day in it (default: each laptop's own clock).
    #[arg(long, env = "EOM_TIME_ZONE", value_parser = parse_zone)]
    pub time_zone: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM, e.g. fullchain.pem); needs --tls-key.
    #[arg(long, env = "EOM_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM, e.g. privkey.pem).
    #[arg(long, env = "EOM_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Most connections open at once; lowered to fit the open-file limit.
    #[arg(long, env = "EOM_MAX_CONNECTIONS", default_value_t = crate::net::Limits::default().max_connections)]
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers, and that an idle connection is
    /// kept open.
    #[arg(long, env = "EOM_HEADER_TIMEOUT", default_value_t = crate::net::Limits::default().header_timeout.as_secs())]
    pub header_timeout: u64,
    /// Oldest observation time accepted, in days before the checklist arrives.
    #[arg(long, env = "EOM_OBSERVED_DAYS_BACK", default_value_t = 14)]
    pub observed_days_back: u32,
    /// Latest observation time accepted, in minutes after the checklist arrives (laptop
    /// clocks run fast).
    #[arg(long, env = "EOM_OBSERVED_MINUTES_AHEAD", default_value_t = 15)]
    pub observed_minutes_ahead: u32,
    /// Sustained requests per second allowed per token (0: no limit); beyond it, 429.
    #[arg(long, env = "EOM_TOKEN_REQUESTS_PER_SECOND", default_value_t = Budgets::default().requests_per_second)]
    pub token_requests_per_second: u32,
    /// Requests a token may send at once above the sustained rate.
    #[arg(long, env = "EOM_TOKEN_REQUEST_BURST", default_value_t = Budgets::default().request_burst)]
    pub token_request_burst: u32,
    /// Request body MiB per hour allowed per token, after decompression (0: no limit).
    #[arg(long, env = "EOM_TOKEN_MIB_PER_HOUR", default_value_t = Budgets::default().mebibytes_per_hour)]
    pub token_mib_per_hour: u32,
    /// Dashboard sign-in attempts per minute allowed per address.
    #[arg(long, env = "EOM_SIGN_INS_PER_MINUTE", default_value_t = Budgets::default().sign_ins_per_minute)]
    pub sign_ins_per_minute: u32,
    /// A reverse proxy in front of the server (its IP address; repeat for several):
    /// requests from it are taken to come from the address it puts in X-Forwarded-For,
    /// for sign-in limits and logs. Without it the header is ignored, so it cannot be
    /// forged.
    #[arg(
        long = "trusted-proxy",
        value_name = "IP",
        env = "EOM_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Post every new critical finding as JSON to this URL (a chat bot, an on-call tool):
    /// within seconds of its checklist, retried with backoff until the receiver answers
    /// 2xx, kept across restarts. Each alert has an `id` to deduplicate on.
    #[arg(long, env = "EOM_ALERT_WEBHOOK", hide_env_values = true, value_name = "URL", value_parser = parse_webhook)]
    pub alert_webhook: Option<String>,
    /// Also e-mail every new critical finding through this SMTP server:
    /// smtps://user:password@mail.example:465, smtp://user:password@mail.example:587?tls=required
    /// (STARTTLS), or smtp://relay:25 on the mission's own network. Needs
    /// --alert-email-from and at least one recipient.
    #[arg(
        long,
        env = "EOM_ALERT_SMTP",
        hide_env_values = true,
        value_name = "URL",
        requires = "alert_email_from"
    )]
    pub alert_smtp: Option<String>,
    /// The sender of alert e-mails, e.g. "eom <eom@mission.example>".
    #[arg(long, env = "EOM_ALERT_EMAIL_FROM", value_name = "ADDRESS", value_parser = crate::alerts::email::parse_address)]
    pub alert_email_from: Option<lettre::message::Mailbox>,
    /// The core team: gets every alert (repeat for several addresses).
    #[arg(long = "alert-email", env = "EOM_ALERT_EMAILS", value_delimiter = ',', value_name = "ADDRESS", value_parser = crate::alerts::email::parse_address)]
    pub alert_emails: Vec<lettre::message::Mailbox>,
    /// A region's coordinators: get that region's alerts, e.g. North=north-desk@mission.example
    /// (repeat for each region or address).
    #[arg(long = "alert-email-region", value_name = "REGION=ADDRESS", value_parser = crate::alerts::email::parse_region_address)]
    pub alert_email_regions: Vec<(String, lettre::message::Mailbox)>,
    /// The language of alert e-mails: en, ru or kk.
    #[arg(long, env = "EOM_ALERT_LANG", default_value = "en", value_parser = ["en", "ru", "kk"])]
    pub alert_lang: String,
}

impl Command {
    /// Whether the command may create the database it is given: `serve` and `init` (and
    /// `demo`, which makes a database of its own); every other one must find it there.
    fn creates_database(&self) -> bool {
        matches!(
            self,
            Command::Serve(_) | Command::Init | Command::Demo { .. }
        )
    }
}

/// The database a command uses, as the operator should see it: an absolute path, or the
/// PostgreSQL URL without its password.
fn shown(db: &Database) -> String {
    match db {
        Database::Sqlite(path) => std::path::absolute(path)
            .unwrap_or_else(|_| path.clone())
            .display()
            .to_string(),
        Database::Postgres(_) => db.to_string(),
    }
}

/// Says which database the command uses (on standard error, so standard output stays what
/// scripts read), and refuses a SQLite file that is not there unless the command creates one:
/// an admin command run in the wrong folder must not make an empty `eom.db` and print a token
/// the running server will reject.
fn announce_database(cli: &Cli) -> anyhow::Result<()> {
    let where_ = shown(&cli.db);
    if let Database::Sqlite(path) = &cli.db
        && !cli.command.creates_database()
        && !path.exists()
    {
        anyhow::bail!(
            "there is no database at {where_}; give the mission's database with --db (or EOM_DB), \
             or create one with 'eom-server init' (or by starting 'eom-server serve')"
        );
    }
    if matches!(cli.command, Command::Serve(_)) {
        // The server's standard error is its log (JSON lines when asked).
        tracing::info!(database = %where_, "using the database");
    } else {
        eprintln!("eom-server: database {where_}");
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum ObserverCommand {
    /// Create an observer account and print its token once.
    Add(AddAccount),
    /// Create every team of a team list (CSV: name,region and optionally phone,stations;
    /// ',' or ';', UTF-8 or Windows-1251, as Excel saves it), each with a one-time enrolment
    /// code, all or nothing; write the enrolment sheet (CSV and printable HTML with QR codes).
    Import(ImportTeams),
    /// Issue a new one-time enrolment code for a team (a lost card, an expired code).
    Code {
        /// The account id, as 'list' shows it.
        id: String,
        /// Hours the code stays valid.
        #[arg(long, default_value_t = crate::enrolment::DEFAULT_VALID_HOURS)]
        code_valid_hours: i64,
        /// The server's address as the laptops reach it, to print the setup command.
        #[arg(long, env = "EOM_PUBLIC_URL")]
        server_url: Option<String>,
    },
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

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the chain and every stored revision, review and account against it; exits 1
    /// and names the first bad entry when something was edited or deleted behind the
    /// server's back.
    Verify,
    /// List entries, newest last.
    Show {
        /// Only the last N entries.
        #[arg(long)]
        last: Option<usize>,
        /// One JSON object per entry.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an administrator account and print its token once.
    Add(AddCoordinator),
    /// List administrator accounts.
    List,
    /// Revoke an administrator's token; with --new-token, print a replacement.
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
    /// Hours the one-time enrolment code stays valid.
    #[arg(long, default_value_t = crate::enrolment::DEFAULT_VALID_HOURS)]
    pub code_valid_hours: i64,
    /// Print {"id": ..., "token": ..., "enrolment_code": ...} instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportTeams {
    /// The team list, e.g. teams.csv.
    pub file: PathBuf,
    /// The server's address as the laptops reach it (https://eom.mission.example): it goes
    /// into each team's setup command and QR code.
    #[arg(long, env = "EOM_PUBLIC_URL")]
    pub server_url: String,
    /// The folder for enrolment.csv and enrolment.html (made if missing; files already there
    /// are never replaced). Default: enrolment-DATE-TIME in the current folder.
    #[arg(long)]
    pub sheet: Option<PathBuf>,
    /// Hours the one-time enrolment codes stay valid.
    #[arg(long, default_value_t = crate::enrolment::DEFAULT_VALID_HOURS)]
    pub code_valid_hours: i64,
    /// The language of the printed sheet: en, ru or kk.
    #[arg(long, default_value = "en", value_parser = ["en", "ru", "kk"])]
    pub lang: String,
}

#[derive(Debug, Args)]
pub struct AddCoordinator {
    #[arg(long)]
    pub name: String,
    /// Limit the coordinator to a region: it then sees only that region's checklists,
    /// figures, exports and dashboard pages. Repeat for several regions
    /// (--region North --region East); leave out for the whole mission.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
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
pub enum FormsCommand {
    /// Check a form definition (JSON: one form, a list, or {"forms": [...]}) and publish it
    /// as a new form or a new version of one; laptops receive it on their next sync.
    /// Checklists filled on earlier versions stay valid. All or nothing.
    Install {
        /// The definition file, e.g. one written by 'forms export' and edited.
        file: PathBuf,
    },
    /// Read an XLSForm spreadsheet (.xlsx: survey, choices and settings sheets, as ODK and
    /// Kobo use) and publish it like 'install'; unsupported rows are named with their sheet
    /// and row number, and then nothing is installed.
    Import {
        /// The spreadsheet.
        file: PathBuf,
        /// The stage, when the settings sheet has no 'stage' column: opening, voting,
        /// counting, tabulation or incident.
        #[arg(long, value_parser = parse_stage)]
        stage: Option<eom_shared::Stage>,
    },
    /// The newest version of every form.
    List {
        /// One JSON object per form.
        #[arg(long)]
        json: bool,
    },
    /// Write a form's definition as JSON (the newest version unless --version), to edit
    /// and install as the next version.
    Export {
        /// The form id, as 'forms list' shows it.
        id: String,
        #[arg(long)]
        version: Option<u32>,
        /// Write to FILE instead of standard output (an existing file is not overwritten).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContestsCommand {
    /// Read the contests (JSON: {"contests": [{"id", "title", "candidates", "against_all",
    /// "stations"}]}) and publish them as the next version of the counting form, one protocol
    /// section per contest; laptops receive it on their next sync.
    Import {
        /// The contests file.
        file: PathBuf,
    },
    /// The contests the counting form copies now, with their protocol line ids.
    List {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ResultsCommand {
    /// Import published results from a CSV file with the header station,contest,line,value
    /// (line: a protocol line id, as 'contests list' shows). Each import is a new version;
    /// a corrected file never overwrites an earlier one. All or nothing.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// When the administration published it: 2026-03-16T08:00:00+05:00, 2026-03-16 08:00
        /// (UTC) or 2026-03-16.
        #[arg(long, value_parser = crate::results::official::parse_published_at)]
        published_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// The comparison of copied protocols with the newest published results.
    Compare {
        /// The whole report as JSON (as GET /api/v1/reports/discrepancies gives it).
        #[arg(long)]
        json: bool,
        /// Texts in this language: en, ru or kk.
        #[arg(long, default_value = "en")]
        lang: String,
    },
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

fn parse_stage(raw: &str) -> Result<eom_shared::Stage, String> {
    eom_shared::Stage::parse(raw.trim()).ok_or_else(|| {
        format!("'{raw}' is not a stage: use opening, voting, counting, tabulation or incident")
    })
}

/// The webhook URL checked when the command line is read (kept as text: it is parsed again
/// where it is used).
fn parse_webhook(raw: &str) -> Result<String, String> {
    crate::alerts::webhook::parse_url(raw).map(|_| raw.trim().to_owned())
}

fn parse_zone(raw: &str) -> Result<String, String> {
    eom_shared::sync::parse_time_zone(raw).map(|tz| tz.name().to_owned())
}

/// Runs one command. Only `serve` needs an async runtime; the others work on the database
/// directly (SQLite and PostgreSQL both allow it while servers run).
pub fn run(cli: Cli) -> anyhow::Result<()> {
    announce_database(&cli)?;
    match cli.command {
        Command::Init => {
            let existed = match &cli.db {
                Database::Sqlite(path) => path.exists(),
                // An empty PostgreSQL database is made by its operator; init makes the tables.
                Database::Postgres(_) => false,
            };
            let store = open_database(&cli.db)?;
            let forms = store.latest_forms()?.len();
            if existed {
                println!(
                    "The database {} is already there; it is up to date ({forms} forms).",
                    shown(&cli.db)
                );
            } else {
                println!(
                    "Created the database {} with {forms} forms. Next: eom-server stations import FILE.csv",
                    shown(&cli.db)
                );
            }
            Ok(())
        }
        Command::Serve(args) => {
            let ServeArgs {
                listen,
                write_queue,
                max_group,
                time_zone,
                tls_cert,
                tls_key,
                max_connections,
                header_timeout,
                observed_days_back,
                observed_minutes_ahead,
                token_requests_per_second,
                token_request_burst,
                token_mib_per_hour,
                sign_ins_per_minute,
                trusted_proxies,
                alert_webhook,
                alert_smtp,
                alert_email_from,
                alert_emails,
                alert_email_regions,
                alert_lang,
            } = *args;
            let alert_email = match (alert_smtp, alert_email_from) {
                (Some(url), Some(from)) => {
                    let mut recipients = crate::alerts::email::Recipients {
                        core: alert_emails,
                        ..Default::default()
                    };
                    for (region, address) in alert_email_regions {
                        recipients.regions.entry(region).or_default().push(address);
                    }
                    if recipients.is_empty() {
                        anyhow::bail!(
                            "--alert-smtp needs someone to write to: give --alert-email (the core team) or --alert-email-region REGION=ADDRESS"
                        );
                    }
                    Some(crate::config::EmailAlerts {
                        smtp_url: url,
                        from,
                        recipients,
                        lang: alert_lang,
                    })
                }
                _ if !alert_emails.is_empty() || !alert_email_regions.is_empty() => {
                    anyhow::bail!(
                        "alert e-mail addresses need an SMTP server to send through: give --alert-smtp URL and --alert-email-from ADDRESS"
                    );
                }
                _ => None,
            };
            let runtime = tokio::runtime::Runtime::new().context("could not start the server")?;
            runtime.block_on(crate::serve(ServeConfig {
                db: cli.db,
                listen,
                writer: WriterConfig {
                    queue_capacity: write_queue,
                    max_group_items: max_group,
                },
                time_zone,
                limits: crate::net::Limits {
                    header_timeout: std::time::Duration::from_secs(header_timeout.max(1)),
                    max_connections,
                    ..crate::net::Limits::default()
                },
                budgets: Budgets {
                    requests_per_second: token_requests_per_second,
                    request_burst: token_request_burst,
                    mebibytes_per_hour: token_mib_per_hour,
                    sign_ins_per_minute,
                },
                tls: tls_cert.zip(tls_key),
                window: ObservationWindow {
                    back: chrono::Duration::days(i64::from(observed_days_back)),
                    ahead: chrono::Duration::minutes(i64::from(observed_minutes_ahead)),
                },
                trusted_proxies,
                alert_webhook: alert_webhook
                    .as_deref()
                    .map(crate::alerts::webhook::parse_url)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                alert_email,
            }))
        }
        Command::Observer(ObserverCommand::Add(a)) => {
            let store = open_database(&cli.db)?;
            add_account(
                store.as_ref(),
                Role::Observer,
                &a.name,
                &Vec::from_iter(a.region.clone()),
                Some(a.code_valid_hours),
                a.json,
            )
        }
        Command::Coordinator(CoordinatorCommand::Add(a)) => {
            let store = open_database(&cli.db)?;
            add_account(
                store.as_ref(),
                Role::Coordinator,
                &a.name,
                &a.regions,
                None,
                a.json,
            )
        }
        Command::Admin(AdminCommand::Add(a)) => {
            if !a.regions.is_empty() {
                anyhow::bail!(
                    "an administrator sees the whole mission: leave --region out (or make a regional coordinator with 'eom-server coordinator add --region')"
                );
            }
            let store = open_database(&cli.db)?;
            add_account(store.as_ref(), Role::Admin, &a.name, &[], None, a.json)
        }
        Command::Audit(AuditCommand::Verify) => {
            let store = open_database(&cli.db)?;
            match crate::audit::verify(store.as_ref())? {
                Ok(verified) => {
                    println!(
                        "The audit log is intact: {} entries, and every stored revision, review and account matches what was recorded.",
                        verified.entries
                    );
                    if let Some((seq, hash)) = verified.head {
                        println!(
                            "Last entry {seq}, hash {hash} (write it down elsewhere: it pins everything up to now)."
                        );
                    }
                    Ok(())
                }
                Err(tampering) => {
                    eprintln!("error: the audit log does not check out: {tampering}");
                    std::process::exit(1);
                }
            }
        }
        Command::Audit(AuditCommand::Show {
            last,
            json: as_json,
        }) => {
            let store = open_database(&cli.db)?;
            let mut entries = Vec::new();
            store.read_audit(
                &mut |e| {
                    entries.push(e);
                    if let Some(n) = last
                        && entries.len() > n
                    {
                        entries.remove(0);
                    }
                    Ok(())
                },
                &mut |_, _| Ok(()),
            )?;
            for e in entries {
                if as_json {
                    println!(
                        "{}",
                        json!({
                            "seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action,
                            "subject": e.subject, "digest": e.digest, "prev": e.prev, "hash": e.hash,
                        })
                    );
                } else {
                    println!(
                        "{:>6}  {}  {:<9} {}  by {}",
                        e.seq,
                        e.at.format("%Y-%m-%d %H:%M:%S"),
                        e.action,
                        e.subject,
                        e.actor
                    );
                }
            }
            Ok(())
        }
        Command::Admin(AdminCommand::List) => {
            list_accounts(open_database(&cli.db)?.as_ref(), Role::Admin)
        }
        Command::Observer(ObserverCommand::Import(i)) => {
            let store = open_database(&cli.db)?;
            import_teams(store.as_ref(), i)
        }
        Command::Observer(ObserverCommand::Code {
            id,
            code_valid_hours,
            server_url,
        }) => {
            let store = open_database(&cli.db)?;
            let team = store
                .list_accounts()?
                .into_iter()
                .find(|a| a.id == id.trim() && a.role == Role::Observer)
                .with_context(|| {
                    format!("there is no observer team with id '{id}'; 'eom-server observer list' shows them")
                })?;
            let (code, expires) =
                crate::enrolment::issue(store.as_ref(), &team.id, code_valid_hours)
                    .context("could not make the enrolment code")?;
            println!(
                "New one-time enrolment code for '{}' (valid until {}; works once; earlier codes stay valid until they expire or are used):",
                team.name,
                expires.format("%Y-%m-%d %H:%M UTC")
            );
            println!("{code}");
            println!(
                "On the team's laptop: {}",
                crate::teams::sheet::setup_command(
                    server_url.as_deref().unwrap_or("https://SERVER"),
                    &code
                )
            );
            Ok(())
        }
        Command::Observer(ObserverCommand::List) => {
            list_accounts(open_database(&cli.db)?.as_ref(), Role::Observer)
        }
        Command::Coordinator(CoordinatorCommand::List) => {
            list_accounts(open_database(&cli.db)?.as_ref(), Role::Coordinator)
        }
        Command::Observer(ObserverCommand::Revoke(r))
        | Command::Coordinator(CoordinatorCommand::Revoke(r))
        | Command::Admin(AdminCommand::Revoke(r)) => {
            let store = open_database(&cli.db)?;
            match admin::replace_token(store.as_ref(), &r.id, r.new_token, crate::audit::OPERATOR)?
            {
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
            let store = open_database(&cli.db)?;
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
            force,
        } => {
            let store = open_database(&cli.db)?;
            if !force && (!store.list_accounts()?.is_empty() || !store.regions()?.is_empty()) {
                anyhow::bail!(
                    "{} already holds accounts or stations: a simulated day would mix with them. \
                     Give demo a new file (--db demo.db), or add --force if this is a test database",
                    shown(&cli.db)
                );
            }
            let started = std::time::Instant::now();
            let summary = crate::demo::generate(
                store.as_ref(),
                crate::demo::DemoConfig {
                    observers,
                    stations,
                    seed,
                },
            )?;
            println!(
                "Simulated an election day in {}: {} regions, {} stations, {} teams, {} checklists ({:.1} s).",
                cli.db,
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
                cli.db
            );
            Ok(())
        }
        Command::Backup { file } => {
            let Database::Sqlite(path) = &cli.db else {
                anyhow::bail!(
                    "backup copies a SQLite database; for PostgreSQL use pg_dump {} or the cluster's backups",
                    cli.db
                );
            };
            crate::transfer::check_backup_target(&file)?;
            let store = crate::open_store(path)?;
            let started = std::time::Instant::now();
            store
                .backup(&file)
                .with_context(|| format!("could not back up {} to {}", cli.db, file.display()))?;
            println!(
                "Backed up {} to {} ({:.1} s). Restore by serving the copy: eom-server --db {} serve",
                cli.db,
                file.display(),
                started.elapsed().as_secs_f64(),
                file.display()
            );
            Ok(())
        }
        Command::Migrate { to } => {
            if to == cli.db {
                anyhow::bail!("--to names the database itself; give another one");
            }
            let from = open_database(&cli.db)?;
            let destination: std::sync::Arc<dyn Store> = match &to {
                Database::Sqlite(path) => {
                    crate::transfer::check_backup_target(path)?;
                    std::sync::Arc::new(crate::store::SqliteStore::open(path)?)
                }
                Database::Postgres(url) => std::sync::Arc::new(
                    crate::store::PostgresStore::connect(url)
                        .with_context(|| format!("could not open {to}"))?,
                ),
            };
            let started = std::time::Instant::now();
            let moved = crate::transfer::migrate(from.as_ref(), destination.as_ref())
                .with_context(|| format!("could not migrate {} to {to}", cli.db))?;
            println!(
                "Moved {} to {to} in {:.1} s: {} accounts, {} form versions, {} stations, {} checklists ({} revisions), {} conflicts, {} reviews, {} messages to teams, {} calls. Every report matches.",
                cli.db,
                started.elapsed().as_secs_f64(),
                moved.accounts,
                moved.forms,
                moved.stations,
                moved.checklists,
                moved.revisions,
                moved.conflicts,
                moved.reviews,
                moved.messages,
                moved.calls
            );
            println!(
                "Next: stop the servers on {}, then serve with --db {to}",
                cli.db
            );
            Ok(())
        }
        Command::Forms(command) => {
            let store = open_database(&cli.db)?;
            forms_command(store.as_ref(), command)
        }
        Command::Contests(command) => {
            let store = open_database(&cli.db)?;
            crate::results::commands::contests(store.as_ref(), command)
        }
        Command::Results(command) => {
            let store = open_database(&cli.db)?;
            crate::results::commands::results(store.as_ref(), command)
        }
        Command::Stations(StationsCommand::Import { file }) => {
            let store = open_database(&cli.db)?;
            let summary = admin::import_stations_csv(store.as_ref(), &file)?;
            println!(
                "Imported {}: {} added, {} updated, {} unchanged.",
                file.display(),
                summary.added,
                summary.updated,
                summary.unchanged
            );
            if summary.moved > 0 {
                println!(
                    "{} stations with checklists changed region, area, kind or registered voters: the figures were recounted.",
                    summary.moved
                );
            }
            Ok(())
        }
    }
}

fn forms_command(store: &dyn Store, command: FormsCommand) -> anyhow::Result<()> {
    match command {
        FormsCommand::Install { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("could not read {}", file.display()))?;
            let definitions = crate::forms::read_definitions(&text)
                .with_context(|| format!("{} was not installed", file.display()))?;
            report_installed(store, &definitions, &file)
        }
        FormsCommand::Import { file, stage } => {
            let sheets = crate::forms::xlsform::read_file(&file).map_err(anyhow::Error::msg)?;
            let imported = crate::forms::xlsform::import(&sheets, stage)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            for skipped in &imported.skipped {
                println!("Left out {skipped}.");
            }
            println!(
                "Read form '{}' version {} ({} questions) from {}.",
                imported.form.id,
                imported.form.version,
                imported.form.questions.len(),
                file.display()
            );
            report_installed(store, &[imported.form], &file)
        }
        FormsCommand::List { json: as_json } => {
            let forms = store.latest_forms()?;
            for form in forms {
                if as_json {
                    println!(
                        "{}",
                        json!({
                            "id": form.id.as_str(),
                            "version": form.version,
                            "stage": form.stage.as_str(),
                            "title": form.title,
                            "questions": form.questions.len(),
                            "checks": form.checks.len(),
                        })
                    );
                } else {
                    println!(
                        "{}  version {}  {}  {} questions  {}",
                        form.id,
                        form.version,
                        form.stage.as_str(),
                        form.questions.len(),
                        form.title.get("en")
                    );
                }
            }
            Ok(())
        }
        FormsCommand::Export {
            id,
            version,
            output,
        } => {
            let form_id = eom_shared::form::FormId::parse(id.trim())
                .map_err(|m| anyhow::anyhow!("{m}; 'eom-server forms list' shows the ids"))?;
            let form = match version {
                Some(v) => store.form(&form_id, v)?,
                None => store.latest_forms()?.into_iter().find(|f| f.id == form_id),
            };
            let Some(form) = form else {
                anyhow::bail!(
                    "there is no form '{id}'{}; 'eom-server forms list' shows them",
                    version.map(|v| format!(" version {v}")).unwrap_or_default()
                );
            };
            let text = serde_json::to_string_pretty(&form)? + "\n";
            match output {
                Some(path) => {
                    let mut file = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&path)
                        .with_context(|| {
                            format!(
                                "could not create {} (it must not exist yet)",
                                path.display()
                            )
                        })?;
                    std::io::Write::write_all(&mut file, text.as_bytes())?;
                    println!(
                        "Wrote form '{}' version {} to {}.",
                        form.id,
                        form.version,
                        path.display()
                    );
                }
                None => print!("{text}"),
            }
            Ok(())
        }
    }
}

/// Installs checked definitions and says what happened to each.
fn report_installed(
    store: &dyn Store,
    definitions: &[eom_shared::form::Form],
    file: &std::path::Path,
) -> anyhow::Result<()> {
    let outcomes = crate::forms::install(store, definitions)
        .with_context(|| format!("{} was not installed", file.display()))?;
    for (id, version, published) in outcomes {
        match published {
            crate::forms::Published::New => println!("Installed form '{id}', version {version}."),
            crate::forms::Published::NewVersion { previous } => println!(
                "Published version {version} of form '{id}' (was {previous}); laptops receive it on their next sync, and checklists filled on version {previous} are still accepted."
            ),
            crate::forms::Published::AlreadyInstalled => {
                println!("Form '{id}' version {version} is installed already; nothing changed.")
            }
        }
    }
    Ok(())
}

fn add_account(
    store: &dyn Store,
    role: Role,
    name: &str,
    regions: &[String],
    code_valid_hours: Option<i64>,
    as_json: bool,
) -> anyhow::Result<()> {
    let created = admin::create_account(store, name, role, regions, crate::audit::OPERATOR)
        .with_context(|| format!("could not create the {} account", role.as_str()))?;
    let code = code_valid_hours
        .map(|hours| crate::enrolment::issue(store, &created.account.id, hours))
        .transpose()
        .context("could not make the enrolment code")?;
    if as_json {
        let mut shown = json!({
            "id": created.account.id,
            "name": created.account.name,
            "role": role.as_str(),
            "region": created.account.only_region(),
            "regions": created.account.regions(),
            "token": created.token,
        });
        if let Some((code, expires)) = &code {
            shown["enrolment_code"] = json!(code);
            shown["enrolment_code_expires_at"] = json!(expires);
        }
        println!("{shown}");
        return Ok(());
    }
    println!(
        "Created {} '{}' (id {}){}.",
        role.as_str(),
        created.account.name,
        created.account.id,
        match created.account.regions().as_slice() {
            [] => String::new(),
            [one] => format!(", region {one}"),
            several => format!(", regions {}", several.join(", ")),
        }
    );
    println!("Token (shown only now; the server keeps only its hash):");
    println!("{}", created.token);
    if let Some((code, expires)) = &code {
        println!(
            "One-time enrolment code (valid until {}; works once, then the token above is replaced):",
            expires.format("%Y-%m-%d %H:%M UTC")
        );
        println!("{code}");
        println!("On the observer's laptop: eom setup --server https://SERVER --code {code}");
        println!("(or: eom setup --server https://SERVER --token <token>)");
    } else if role == Role::Observer {
        println!("On the observer's laptop: eom setup --server http://SERVER:8080 --token <token>");
    }
    Ok(())
}

fn import_teams(store: &dyn Store, i: ImportTeams) -> anyhow::Result<()> {
    let server_url = i.server_url.trim().to_owned();
    if !(server_url.starts_with("https://") || server_url.starts_with("http://")) {
        anyhow::bail!(
            "--server-url must be the address laptops reach the server at, e.g. https://eom.mission.example (got '{server_url}')"
        );
    }
    let sheet = i.sheet.unwrap_or_else(|| {
        PathBuf::from(format!(
            "enrolment-{}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        ))
    });
    // Checked before anything is created: a sheet that cannot be written would leave codes
    // nobody can hand out.
    for name in [
        crate::teams::sheet::CSV_FILE,
        crate::teams::sheet::HTML_FILE,
    ] {
        if sheet.join(name).exists() {
            anyhow::bail!(
                "{} is already there: choose another folder with --sheet, or move the old sheet away",
                sheet.join(name).display()
            );
        }
    }
    let teams =
        crate::teams::import_teams_csv(store, &i.file, i.code_valid_hours, crate::audit::OPERATOR)
            .with_context(|| format!("could not import the teams of {}", i.file.display()))?;
    let (csv, html) = crate::teams::sheet::write(&sheet, &server_url, &teams, &i.lang)
        .with_context(|| format!("created {} teams, but could not write the enrolment sheet in {}; issue new codes with 'eom-server observer code ID'", teams.len(), sheet.display()))?;
    println!(
        "Created {} observer {}, each with a one-time enrolment code.",
        teams.len(),
        if teams.len() == 1 { "team" } else { "teams" }
    );
    println!(
        "Enrolment sheet: {} (print it, one card per team)",
        html.display()
    );
    println!(
        "            and: {} (for a spreadsheet or mail merge)",
        csv.display()
    );
    println!(
        "Both hold working codes until they are used or expire ({}): keep them safe and delete them once the teams are set up.",
        teams
            .first()
            .map(|t| t.expires_at.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default()
    );
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
        let regions = a.regions();
        let shown = if regions.is_empty() {
            "-".to_owned()
        } else {
            regions.join(", ")
        };
        println!("{}  {}  {}", a.id, a.name, shown);
    }
    Ok(())
}
