//! The `eom` command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use eom_shared::form::{Form, Stage};
use eom_shared::station_list::read_station_csv;
use eom_shared::submission::SubmissionContent;
use eom_shared::sync::ReviewStatus;
use eom_shared::{Issue, StationCode};
use serde_json::{Map, Value, json};

use rust_i18n::t;

use crate::commands::{self, drafts::Filled};
use crate::remote::{ServerClient, parse_server_url};
use crate::store::{Entry, LocalStore, State};
use crate::sync::{self, DEFAULT_BATCH_SIZE, RetryPolicy, SyncReport, SyncSession};

/// Exit status of `eom sync` when something is still queued, rejected or in conflict.
pub const EXIT_NOT_DELIVERED: u8 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "eom",
    version,
    about = "Election observation checklists, filled offline and synced when a connection appears"
)]
pub struct Cli {
    /// Folder for eom's local database (default: the platform's data folder).
    #[arg(long, global = true, env = "EOM_HOME")]
    pub home: Option<PathBuf>,

    /// Language: en, ru or kk. With 'eom setup' it is kept for every later command; otherwise
    /// it applies to this command (default: the one kept, else the system's).
    #[arg(long = "lang", global = true, env = "EOM_LANG", value_name = "LANG")]
    pub language: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum ReceiptsCommand {
    /// Check every receipt against the server's key saved at setup; exits 1 if any fails.
    Verify {
        /// Print the receipts and the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Store the server address and your token. Asks for the token (so it never shows in the
    /// list of running programs or the shell history) and checks it with the server when online.
    Setup {
        /// The mission's server, e.g. https://eom.example.org (http:// only on this computer,
        /// or with --insecure-http).
        #[arg(long)]
        server: String,
        /// The token your coordinator gave you: '-' reads it from standard input; without this
        /// option eom asks for it. A token typed here is visible to other users: avoid it.
        #[arg(long, conflicts_with = "code")]
        token: Option<String>,
        /// The one-time enrolment code your coordinator gave you (e.g. K7P-4QX-M2D), instead
        /// of the token: the server exchanges it for the token once.
        #[arg(long)]
        code: Option<String>,
        /// Allow plain http:// to a server that is not on this computer: anyone on the network
        /// can then read and change what is sent.
        #[arg(long)]
        insecure_http: bool,
        /// Save without contacting the server to check the token.
        #[arg(long)]
        no_check: bool,
        /// The mission's own certificate authority (a PEM file from your coordinator): only a
        /// server with a certificate it signed is trusted.
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
    },
    /// Fetch forms and stations from the server into the local store.
    Pull,
    /// Bring your checklists (and the coordinators' reviews of them) back from the server to
    /// this laptop, after the old one was lost or seized. Nothing on this laptop is replaced.
    Restore,
    /// List the cached forms, or show one form's questions.
    Forms {
        /// A form id (e.g. voting): list its questions with their ids, types and choices.
        id: Option<String>,
        /// Print the full definitions as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List cached stations, or load a station list from a CSV file.
    #[command(args_conflicts_with_subcommands = true)]
    Stations {
        #[command(subcommand)]
        action: Option<StationsAction>,
        /// Only stations whose code, name or region contains this text (any case or accents).
        #[arg(long)]
        search: Option<String>,
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Fill a new checklist and queue it. Prints the new id alone on the last line.
    New {
        /// Form id, e.g. opening, voting, counting, tabulation, incident.
        form: String,
        /// Station or commission code.
        #[arg(long)]
        station: String,
        /// A JSON file of answers ({"question_id": answer, ...}); without it, eom asks
        /// question by question.
        #[arg(long)]
        answers: Option<PathBuf>,
        /// Free-text notes (never the names of people who told you something).
        #[arg(long)]
        notes: Option<String>,
        /// When you observed it: HH:MM (today, this laptop's clock) or a full time such as
        /// 2026-03-19T14:05:00+05:00; default: now.
        #[arg(long)]
        observed_at: Option<String>,
    },
    /// Change a checklist: saved as the next revision and queued. Without --answers, goes
    /// through the questions again with the saved answers (Enter keeps one, '<' goes back).
    Edit {
        /// Checklist id (or a unique prefix of it).
        id: String,
        /// A JSON file with the complete new answers (as 'eom answers ID' prints them).
        #[arg(long)]
        answers: Option<PathBuf>,
        /// New notes (default: keep the saved ones).
        #[arg(long)]
        notes: Option<String>,
        /// Move the checklist to another station or commission (a new revision).
        #[arg(long)]
        station: Option<String>,
    },
    /// List checklists being filled and not finished yet.
    Drafts {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Continue filling a draft where it was left.
    Resume {
        /// Draft id (or a unique prefix of it), as 'eom drafts' shows it.
        id: String,
    },
    /// Drop a draft (a checklist it edits stays as it was).
    Discard {
        /// Draft id (or a unique prefix of it).
        id: String,
    },
    /// Print a checklist's answers as JSON, ready for 'eom edit ID --answers FILE'.
    Answers {
        /// Checklist id (or a unique prefix of it).
        id: String,
    },
    /// Print an answers file to fill for a form: every question, unanswered (null).
    Template {
        /// Form id, e.g. voting.
        form: String,
    },
    /// Open the observer's app in the browser, served by this laptop (works offline).
    Ui {
        /// Where to listen, on this computer only (default: a free port on 127.0.0.1).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: std::net::SocketAddr,
        /// Print the address without opening a browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// The coordinators' messages to your team, unread first (they arrive with 'eom sync').
    Messages {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The server's signed receipts for what this laptop delivered.
    #[command(subcommand)]
    Receipts(ReceiptsCommand),
    /// Forget the unlocked key: the next command asks for the passphrase again.
    Lock,
    /// Destroy this laptop's eom data (every checklist, draft, the token), after you type
    /// WIPE to confirm. Checklists not yet delivered are lost.
    Wipe,
    /// List checklists on this laptop.
    List {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
        /// Only checklists in this state: queued, delivered, rejected, conflict.
        #[arg(long)]
        state: Option<String>,
    },
    /// Attach a photo (of the protocol, or of what the checklist reports) to a checklist:
    /// JPEG, PNG, WebP or HEIF, up to 20 MB. It is kept encrypted here and sent by 'eom sync'
    /// after its checklist, resuming where a cut connection stopped.
    Attach {
        /// Checklist id (or a unique part of it, as 'eom list' shows it).
        id: String,
        /// The photo.
        file: PathBuf,
    },
    /// Show one checklist with its answers and the server's messages.
    Show {
        /// Checklist id (or a unique part of it, as 'eom list' shows it).
        id: String,
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Counts per state and the time of the last successful sync.
    Status {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send everything queued, then pull forms and stations.
    Sync {
        /// Most checklists per request (smaller while requests fail).
        #[arg(long, default_value_t = DEFAULT_BATCH_SIZE)]
        batch_size: usize,
        /// Keep trying, with growing waits, until everything queued is delivered (Ctrl-C
        /// stops cleanly; nothing is lost).
        #[arg(long)]
        watch: bool,
        /// Longest wait between two attempts, in seconds.
        #[arg(long, default_value_t = 60)]
        max_wait: u64,
        /// First wait after a failure, in milliseconds (doubles with each failure).
        #[arg(long, default_value_t = 1000, hide = true, env = "EOM_RETRY_BASE_MS")]
        retry_base_ms: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum StationsAction {
    /// Load stations from a CSV file (code,name,region,district,level,registered_voters),
    /// for missions that hand out the station list before election day.
    Import { file: PathBuf },
}

pub async fn run(cli: Cli) -> ExitCode {
    match dispatch(cli).await {
        Ok(code) => code,
        // `eom list | head`: the reader has what it wanted.
        Err(e) if crate::terminal::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let lang = crate::language::without_store();
            let text = crate::messages::error_text(&e, &lang).unwrap_or_else(|| format!("{e:#}"));
            eprintln!("error: {}", crate::terminal::strip_controls(&text));
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let home = crate::home::resolve(cli.home).map_err(|e| anyhow!(e))?;
    if let Some(lang) = cli.language.as_deref() {
        crate::language::choose(lang).map_err(|e| anyhow!(e))?;
    }
    let stdout = &mut crate::terminal::Safe(std::io::stdout().lock());
    // Locking and wiping never need the passphrase: an observer in danger may not have time.
    match &cli.command {
        Command::Lock => return commands::lock::lock(&home, stdout),
        Command::Wipe => {
            let stdin = std::io::stdin();
            return commands::lock::wipe(&home, &mut stdin.lock(), stdout);
        }
        _ => {}
    }
    let mut store = commands::lock::unlock(&home)?;
    // From here on, errors too are in the language the laptop was set up with.
    let _ = crate::language::choose(&crate::language::current(&store));
    match cli.command {
        Command::Lock | Command::Wipe => {}
        Command::Ui { listen, no_browser } => {
            crate::ui::serve(store, listen, !no_browser).await?;
        }
        Command::Setup {
            server,
            token,
            code,
            insecure_http,
            no_check,
            ca,
        } => {
            let options = commands::setup::Options {
                server,
                token,
                code,
                lang: cli.language.clone(),
                insecure_http,
                ca,
                check: !no_check,
            };
            return commands::setup::run(&mut store, options, stdout).await;
        }
        Command::Pull => {
            let client = client(&store)?;
            let pulled = sync::pull(&mut store, &client).await?;
            let lang = crate::language::current(&store);
            writeln!(
                stdout,
                "{}",
                t!(
                    "cli.pulled",
                    forms = pulled.forms,
                    stations = pulled.stations,
                    locale = lang
                )
            )?;
            if pulled.feedback > 0 {
                writeln!(
                    stdout,
                    "{}",
                    t!("cli.pulled_reviews", count = pulled.feedback, locale = lang)
                )?;
            }
            if pulled.new_messages > 0 {
                writeln!(
                    stdout,
                    "{}",
                    t!(
                        "messages.arrived",
                        count = pulled.new_messages,
                        locale = lang
                    )
                )?;
            }
        }
        Command::Restore => {
            let client = client(&store)?;
            sync::pull(&mut store, &client).await?;
            let (mut added, mut seen, mut page) = (0, 0u64, 1u32);
            loop {
                let answer = client.mine(page).await?;
                if answer.items.is_empty() {
                    break;
                }
                seen += answer.items.len() as u64;
                added += store.restore(&answer.items)?;
                if seen >= answer.total {
                    break;
                }
                page += 1;
            }
            writeln!(
                stdout,
                "{}",
                t!(
                    "cli.restored",
                    added = added,
                    kept = seen as usize - added,
                    locale = &crate::language::current(&store)
                )
            )?;
        }
        Command::Forms { id: Some(id), json } => form_questions(&store, &id, json, stdout)?,
        Command::Forms { id: None, json } => forms(&store, json, stdout)?,
        Command::Stations {
            action: Some(StationsAction::Import { file }),
            ..
        } => {
            let list = read_station_csv(&file).with_context(|| file.display().to_string())?;
            store.import_stations(&list)?;
            writeln!(
                stdout,
                "{}",
                t!(
                    "cli.loaded_stations",
                    count = list.len(),
                    file = file.display(),
                    locale = &crate::language::current(&store)
                )
            )?;
        }
        Command::Stations {
            action: None,
            search,
            json,
        } => stations(&store, search.as_deref(), json, stdout)?,
        Command::New {
            form,
            station,
            answers,
            notes,
            observed_at,
        } => new(
            &mut store,
            &form,
            &station,
            answers.as_deref(),
            notes,
            observed_at,
            stdout,
        )?,
        Command::Edit {
            id,
            answers,
            notes,
            station,
        } => edit(
            &mut store,
            &id,
            answers.as_deref(),
            notes,
            station.as_deref(),
            stdout,
        )?,
        Command::Drafts { json } => commands::drafts::list(&store, json, stdout)?,
        Command::Resume { id } => {
            let draft = store.find_draft(&id)?;
            let form = cached_form(
                &store,
                draft.content.form_id.as_str(),
                Some(draft.content.form_version),
            )?;
            let lang = lang(&store)?;
            let stdin = std::io::stdin();
            let filled = commands::drafts::continue_draft(
                &mut store,
                &form,
                draft,
                &lang,
                &mut stdin.lock(),
                stdout,
            )?;
            report_filled(&filled, &lang, stdout)?;
        }
        Command::Discard { id } => {
            let draft = store.find_draft(&id)?;
            store.delete_draft(draft.id)?;
            writeln!(
                stdout,
                "{}",
                t!(
                    "cli.discarded",
                    id = draft.id,
                    locale = &crate::language::current(&store)
                )
            )?;
        }
        Command::Answers { id } => commands::answers::print_answers(&store.find(&id)?, stdout)?,
        Command::Template { form } => {
            commands::answers::print_template(&cached_form(&store, &form, None)?, stdout)?;
        }
        Command::List { json, state } => list(&store, json, state.as_deref(), stdout)?,
        Command::Attach { id, file } => {
            let lang = lang(&store)?;
            commands::attach::attach(&mut store, &id, &file, &lang, stdout)?;
        }
        Command::Show { id, json } => show(&store, &id, json, stdout)?,
        Command::Status { json } => status(&store, json, stdout)?,
        Command::Messages { json } => {
            let lang = lang(&store)?;
            commands::messages::show(&mut store, &lang, json, stdout)?;
        }
        Command::Receipts(ReceiptsCommand::Verify { json }) => {
            return commands::receipts::verify(&store, &lang(&store)?, json, stdout);
        }
        Command::Sync {
            batch_size,
            watch,
            max_wait,
            retry_base_ms,
        } => {
            let client = client(&store)?;
            let policy = RetryPolicy {
                base: Duration::from_millis(retry_base_ms.max(1)),
                cap: Duration::from_secs(max_wait.max(1)),
                ..RetryPolicy::default()
            };
            let mut session = SyncSession::new(batch_size, policy);
            return run_sync(&mut store, &client, &mut session, watch, stdout).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit status after Ctrl-C.
const EXIT_INTERRUPTED: u8 = 130;

/// One pass, or with `watch` as many as it takes; Ctrl-C stops between or during requests
/// without losing anything (the outbox only changes in whole transactions).
async fn run_sync(
    store: &mut LocalStore,
    client: &ServerClient,
    session: &mut SyncSession,
    watch: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let lang = crate::language::current(store);
    // One listener for the whole run, set up before the first request: a Ctrl-C that lands
    // between two passes is remembered rather than lost.
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        let pass = tokio::select! {
            report = session.run(store, client) => Some(report?),
            _ = &mut interrupted => None,
        };
        let Some(report) = pass else {
            writeln!(out, "{}", t!("cli.stopped", locale = lang))?;
            return Ok(ExitCode::from(EXIT_INTERRUPTED));
        };
        print_sync_report(&report, &lang, out)?;
        if !watch || !report.worth_retrying() {
            return Ok(if report.is_complete() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_NOT_DELIVERED)
            });
        }
        let delay = session
            .backoff
            .next_delay(report.push_error.as_ref().and_then(|e| e.retry_after()));
        writeln!(
            out,
            "{}",
            t!(
                "cli.retrying",
                seconds = format!("{:.1}", delay.as_secs_f64()),
                locale = lang
            )
        )?;
        out.flush()?;
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = &mut interrupted => {
                writeln!(out, "{}", t!("cli.stopped_count", count = report.still_queued, locale = lang))?;
                return Ok(ExitCode::from(EXIT_INTERRUPTED));
            }
        }
    }
}

pub(crate) fn client(store: &LocalStore) -> anyhow::Result<ServerClient> {
    let (Some(server), Some(token)) = (store.setting("server")?, store.setting("token")?) else {
        bail!(
            "{}",
            t!("cli.not_set_up", locale = &crate::language::current(store))
        );
    };
    let url = parse_server_url(&server).map_err(|e| anyhow!(e))?;
    let trust = crate::remote::Trust {
        ca_pem: store.setting(CA_SETTING)?.map(String::into_bytes),
    };
    Ok(ServerClient::with_trust(
        url,
        token,
        &trust,
        Duration::from_secs(60),
    )?)
}

/// The setting that holds the mission's CA certificate (PEM), set by `eom setup --ca`.
pub const CA_SETTING: &str = "ca_pem";

fn lang(store: &LocalStore) -> anyhow::Result<String> {
    Ok(crate::language::current(store))
}

fn forms(store: &LocalStore, as_json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let forms = store.forms()?;
    if as_json {
        writeln!(out, "{}", serde_json::to_string_pretty(&forms)?)?;
        return Ok(());
    }
    if forms.is_empty() {
        writeln!(out, "{}", t!("cli.no_forms", locale = &lang(store)?))?;
    }
    let lang = lang(store)?;
    if !forms.is_empty() {
        writeln!(
            out,
            "{:<12} {:<4} {:<11} {:>9}  title",
            "form", "ver", "stage", "questions"
        )?;
    }
    for f in forms {
        writeln!(
            out,
            "{:<12} v{:<3} {:<11} {:>9}  {}",
            f.id,
            f.version,
            f.stage,
            f.questions.len(),
            f.title.get(&lang)
        )?;
    }
    Ok(())
}

fn stations(
    store: &LocalStore,
    search: Option<&str>,
    as_json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let stations = store.stations(search)?;
    if as_json {
        writeln!(out, "{}", serde_json::to_string_pretty(&stations)?)?;
        return Ok(());
    }
    if stations.is_empty() {
        writeln!(out, "{}", t!("cli.no_stations", locale = &lang(store)?))?;
    }
    for s in stations {
        writeln!(
            out,
            "{:<12} {:<4} {:<16} {}",
            s.code,
            s.level.as_str(),
            s.region,
            s.name
        )?;
    }
    Ok(())
}

fn read_answers(path: &Path) -> anyhow::Result<Map<String, Value>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read answers from {}", path.display()))?;
    // Editors on Windows often start UTF-8 files with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let value: Value = serde_json::from_str(text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    match value {
        Value::Object(map) => Ok(map),
        _ => bail!(
            "{} must hold a JSON object of question ids and answers, e.g. {{\"arrival_time\": \"07:45\", \"overall\": \"good\"}}",
            path.display()
        ),
    }
}

fn cached_form(store: &LocalStore, id: &str, version: Option<u32>) -> anyhow::Result<Form> {
    if let Some(form) = store.form(id, version)? {
        return Ok(form);
    }
    let known: Vec<String> = store
        .forms()
        .unwrap_or_default()
        .into_iter()
        .map(|f| f.id.to_string())
        .collect();
    let lang = lang(store)?;
    if known.is_empty() {
        bail!("{}", t!("cli.form_missing_pull", form = id, locale = lang));
    }
    // A wrong case or a typo is the usual reason: say which form was meant.
    if let Some(meant) = crate::search::closest(id, known.iter().map(String::as_str))
        && version.is_none()
    {
        bail!(
            "{}",
            t!(
                "cli.form_did_you_mean",
                form = id,
                meant = meant,
                locale = lang
            )
        );
    }
    bail!(
        "{}",
        t!(
            "cli.form_missing",
            form = id,
            known = known.join(", "),
            locale = lang
        )
    )
}

/// The station a checklist of `stage` is filed at: on this laptop's list, and of a level the
/// stage is observed at (a voting checklist at a polling station, not at a commission).
fn check_station(store: &LocalStore, raw: &str, stage: Stage) -> anyhow::Result<StationCode> {
    let code = StationCode::parse(raw).map_err(|e| anyhow!(e))?;
    if let Some(station) = store.station(code.as_str())? {
        if !eom_shared::form::filed_at(stage, station.level) {
            bail!(
                "{}",
                t!(
                    "cli.wrong_station_level",
                    station = code,
                    stage = stage.as_str(),
                    locale = &lang(store)?
                )
            );
        }
        return Ok(code);
    }
    let stations = store.stations(None)?;
    if let Some(meant) =
        crate::search::closest(code.as_str(), stations.iter().map(|s| s.code.as_str()))
    {
        bail!(
            "{}",
            t!(
                "cli.station_did_you_mean",
                station = code,
                meant = meant,
                locale = &lang(store)?
            )
        );
    }
    bail!(
        "{}",
        t!(
            "cli.station_missing",
            station = code,
            locale = &lang(store)?
        )
    )
}

/// `eom forms ID`: the questions of one form, as an answers file names them.
fn form_questions(
    store: &LocalStore,
    id: &str,
    as_json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let form = cached_form(store, id, None)?;
    if as_json {
        writeln!(out, "{}", serde_json::to_string_pretty(&form)?)?;
        return Ok(());
    }
    let lang = lang(store)?;
    writeln!(
        out,
        "{} ({} v{})",
        form.title.get(&lang),
        form.id,
        form.version
    )?;
    writeln!(out, "{:<28} {:<13} {:<3} question", "id", "type", "req")?;
    for q in &form.questions {
        writeln!(
            out,
            "{:<28} {:<13} {:<3} {}",
            q.id,
            q.kind.type_name(),
            if q.required { "*" } else { "" },
            q.label.get(&lang)
        )?;
        for c in q.kind.choices() {
            writeln!(
                out,
                "{:<28} {:<13} {:<3}   {} = {}",
                "",
                "",
                "",
                c.id,
                c.label.get(&lang)
            )?;
        }
    }
    Ok(())
}

/// Validates; prints errors and refuses, or prints warnings and goes on.
/// Validates; prints errors and refuses, or prints warnings and goes on (in `lang`).
fn validated(
    form: &Form,
    content: &SubmissionContent,
    lang: &str,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let validation = crate::commands::drafts::check(form, content);
    for w in validation.warnings() {
        writeln!(out, "! {}", crate::messages::issue_text(w, form, lang))?;
    }
    let errors: Vec<&Issue> = validation.errors().collect();
    if !errors.is_empty() {
        let list: Vec<String> = errors
            .iter()
            .map(|e| {
                // The shared message names the question and the answer that controls it;
                // the catalogue's says the same in the observer's language.
                let text = if lang == "en" {
                    e.message.clone()
                } else {
                    crate::messages::issue_text(e, form, lang)
                };
                format!("  - {}{text}", question_prefix(form, e, lang))
            })
            .collect();
        bail!(
            "{}\n{}",
            t!("cli.not_saved", locale = lang),
            list.join("\n")
        );
    }
    Ok(())
}

/// "Label: " for an issue about a question, in languages whose messages do not name it.
fn question_prefix(form: &Form, issue: &Issue, lang: &str) -> String {
    match (
        lang,
        issue.question.as_deref().and_then(|q| form.question(q)),
    ) {
        ("en", _) | (_, None) => String::new(),
        (_, Some(q)) => format!("{} ({}): ", q.label.get(lang), q.id),
    }
}

fn new(
    store: &mut LocalStore,
    form_id: &str,
    station: &str,
    answers_file: Option<&Path>,
    notes: Option<String>,
    observed_at: Option<String>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let form = cached_form(store, form_id, None)?;
    let station = check_station(store, station, form.stage)?;
    let observed_at = match observed_at {
        Some(raw) => parse_observed_at(&raw, crate::clock::mission_zone(store), Utc::now())?,
        None => Utc::now(),
    };
    let Some(path) = answers_file else {
        let lang = lang(store)?;
        let stdin = std::io::stdin();
        let draft =
            commands::drafts::new_checklist(&form, station, observed_at, notes.unwrap_or_default());
        let filled = commands::drafts::begin(store, &form, draft, &lang, &mut stdin.lock(), out)?;
        return report_filled(&filled, &lang, out);
    };
    let answers = read_answers(path)?;
    let content = SubmissionContent {
        form_id: form.id.clone(),
        form_version: form.version,
        station,
        observed_at,
        answers,
        notes: notes.unwrap_or_default(),
    };
    validated(&form, &content, &lang(store)?, out)?;
    let entry = store.create(content)?;
    writeln!(
        out,
        "{}",
        t!(
            "cli.saved_new",
            form = entry.content.form_id,
            station = entry.content.station,
            locale = &lang(store)?
        )
    )?;
    writeln!(out, "{}", entry.id)?;
    Ok(())
}

/// `--observed-at`: `HH:MM` is today in the mission's time zone (or on this laptop's clock
/// where the server names none); anything else must be a full RFC 3339 time.
fn parse_observed_at(
    raw: &str,
    zone: Option<chrono_tz::Tz>,
    now: DateTime<Utc>,
) -> anyhow::Result<DateTime<Utc>> {
    let raw = raw.trim();
    if let Some(minutes) = eom_shared::validate::parse_time(raw) {
        let time = chrono::NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0)
            .ok_or_else(|| anyhow!("--observed-at {raw} is not a time of day"))?;
        return crate::clock::latest_at(time, zone, now)
            .ok_or_else(|| anyhow!("--observed-at {raw} does not exist today (a clock change)"));
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            anyhow!("--observed-at '{raw}' is not a time: write HH:MM (the latest such time, today or yesterday), e.g. 09:30, or a full time such as 2026-03-19T14:05:00+05:00")
        })
}

/// Says what became of a questionnaire run; the id alone on the last line, as `eom new` does.
fn report_filled(filled: &Filled, lang: &str, out: &mut impl Write) -> anyhow::Result<()> {
    match filled {
        Filled::Queued { id, revision: 1 } => {
            writeln!(out, "{}", t!("cli.saved_queued", locale = lang))?;
            writeln!(out, "{id}")?;
        }
        Filled::Queued { id, revision } => {
            writeln!(
                out,
                "{}",
                t!("cli.saved_revision", revision = revision, locale = lang)
            )?;
            writeln!(out, "{id}")?;
        }
        Filled::Kept { id } => {
            writeln!(out, "{}", t!("cli.draft_id", locale = lang))?;
            writeln!(out, "{id}")?;
        }
    }
    Ok(())
}

fn edit(
    store: &mut LocalStore,
    id: &str,
    answers_file: Option<&Path>,
    notes: Option<String>,
    station: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let entry = store.find(id)?;
    let form = cached_form(
        store,
        entry.content.form_id.as_str(),
        Some(entry.content.form_version),
    )?;
    let station = match station {
        Some(raw) => check_station(store, raw, form.stage)?,
        None => entry.content.station.clone(),
    };
    let Some(path) = answers_file else {
        let content = SubmissionContent {
            station,
            notes: notes.unwrap_or(entry.content.notes.clone()),
            ..entry.content.clone()
        };
        let lang = lang(store)?;
        let stdin = std::io::stdin();
        let draft = commands::drafts::edit_of(entry.id, entry.revision, content);
        let filled = commands::drafts::begin(store, &form, draft, &lang, &mut stdin.lock(), out)?;
        return report_filled(&filled, &lang, out);
    };
    let answers = read_answers(path)?;
    let content = SubmissionContent {
        answers,
        station,
        notes: notes.unwrap_or(entry.content.notes),
        ..entry.content
    };
    validated(&form, &content, &lang(store)?, out)?;
    let updated = store.edit(entry.id, content)?;
    writeln!(
        out,
        "{}",
        t!(
            "cli.saved_revision_of",
            revision = updated.revision,
            id = updated.id,
            locale = &lang(store)?
        )
    )?;
    Ok(())
}

fn list(
    store: &LocalStore,
    as_json: bool,
    state: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let state = state
        .map(State::parse)
        .transpose()
        .map_err(|e| anyhow!(e))?;
    let entries = store.list(state)?;
    if as_json {
        writeln!(out, "{}", serde_json::to_string_pretty(&entries)?)?;
        return Ok(());
    }
    if entries.is_empty() {
        writeln!(
            out,
            "No checklists{}.",
            state.map(|s| format!(" in state {s}")).unwrap_or_default()
        )?;
        return Ok(());
    }
    let zone = crate::clock::mission_zone(store);
    let lang = lang(store)?;
    let h = |key: &str| t!(key, locale = &lang).into_owned();
    writeln!(
        out,
        "{:<8}  {:<10} {:<12} {:>3}  {:<9}  {:<11}  {:<24}  {}",
        h("list.ref"),
        h("list.form"),
        h("list.station"),
        h("list.rev"),
        h("list.sending"),
        h("list.observed"),
        "",
        h("list.review")
    )?;
    for e in &entries {
        writeln!(
            out,
            "{:<8}  {:<10} {:<12} {:>3}  {:<9}  {:<11}  {:<24}  {}",
            short_ref(e.id),
            e.content.form_id,
            e.content.station,
            e.revision,
            e.state,
            crate::clock::show(e.content.observed_at, zone),
            attention(e),
            review_of(e)
        )?;
    }
    writeln!(out, "{}", t!("cli.refs_hint", locale = &lang))?;
    Ok(())
}

/// The coordinator's review, apart from the sending state: "rejected by the coordinator"
/// never reads as "delivered" or as a refusal by the server.
fn review_of(e: &Entry) -> String {
    match &e.review {
        None => "-".to_owned(),
        Some(r) if r.status == ReviewStatus::None => "-".to_owned(),
        Some(r) if r.comment.is_empty() => r.status.as_str().to_owned(),
        Some(r) => format!("{}: {}", r.status.as_str(), r.comment),
    }
}

/// A checklist's short reference: the last 8 characters of its id, which (unlike the first
/// ones, a timestamp) differ between checklists made in the same minute.
pub fn short_ref(id: eom_shared::SubmissionId) -> String {
    let text = id.to_string();
    text[text.len() - 8..].to_owned()
}

fn attention(e: &Entry) -> String {
    match e.state {
        State::Rejected => format!("! {} problem(s): eom show", e.issues.len()),
        State::Conflict => "! another copy differs".to_owned(),
        _ if !e.issues.is_empty() => format!("({} warning(s))", e.issues.len()),
        _ => String::new(),
    }
}

fn show(store: &LocalStore, id: &str, as_json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let entry = store.find(id)?;
    let revisions = store.revision_count(entry.id)?;
    if as_json {
        let mut value = serde_json::to_value(&entry)?;
        value["revisions_saved"] = json!(revisions);
        value["attachments"] = serde_json::to_value(store.attachments(entry.id)?)?;
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    let lang = lang(store)?;
    let form = store.form(
        entry.content.form_id.as_str(),
        Some(entry.content.form_version),
    )?;
    let station = store.station(entry.content.station.as_str())?;
    let l = lang.as_str();
    writeln!(out, "{}", t!("show.checklist", id = entry.id, locale = l))?;
    let form_text = format!(
        "{} v{}{}",
        entry.content.form_id,
        entry.content.form_version,
        form.as_ref()
            .map(|f| format!(" ({})", f.title.get(l)))
            .unwrap_or_default()
    );
    writeln!(out, "{}", t!("show.form", form = form_text, locale = l))?;
    let station_text = format!(
        "{}{}",
        entry.content.station,
        station
            .map(|s| format!(" ({}, {})", s.name, s.region))
            .unwrap_or_default()
    );
    writeln!(
        out,
        "{}",
        t!("show.station", station = station_text, locale = l)
    )?;
    let zone = crate::clock::mission_zone(store);
    writeln!(
        out,
        "{}",
        t!(
            "show.observed",
            time = crate::clock::show(entry.content.observed_at, zone),
            locale = l
        )
    )?;
    writeln!(
        out,
        "{}",
        t!(
            "show.state",
            state = entry.state,
            revision = entry.revision,
            saved = revisions,
            locale = l
        )
    )?;
    if let Some(at) = &entry.delivered_at {
        writeln!(out, "{}", t!("show.delivered", time = at, locale = l))?;
    }
    commands::attach::list(store, entry.id, l, out)?;
    if let Some(r) = &entry.review {
        let comment = if r.comment.is_empty() {
            String::new()
        } else {
            format!(": {}", r.comment)
        };
        writeln!(
            out,
            "{}",
            t!(
                "show.coordinator",
                status = r.status.as_str(),
                reviewer = r.reviewer,
                time = r.at,
                revision = r.revision,
                comment = comment,
                locale = l
            )
        )?;
        if matches!(r.status, ReviewStatus::Flagged | ReviewStatus::Rejected) {
            writeln!(out, "{}", t!("show.answer_it", id = entry.id, locale = l))?;
        }
    }
    if !entry.issues.is_empty() {
        writeln!(out, "{}", t!("show.server_says", locale = l))?;
        for issue in &entry.issues {
            let text = match &form {
                Some(f) if l != "en" => crate::messages::issue_text(issue, f, l),
                _ => issue.message.clone(),
            };
            writeln!(out, "  - {text}")?;
        }
        if entry.state == State::Rejected {
            writeln!(out, "{}", t!("show.fix", id = entry.id, locale = l))?;
        }
    }
    writeln!(out, "{}", t!("show.answers", locale = l))?;
    let label = |qid: &str| -> String {
        form.as_ref()
            .and_then(|f| f.question(qid))
            .map(|q| q.label.get(&lang).to_owned())
            .unwrap_or_else(|| qid.to_owned())
    };
    let ordered: Vec<&String> = match &form {
        Some(f) => f
            .questions
            .iter()
            .map(|q| &q.id)
            .filter(|id| entry.content.answers.contains_key(id.as_str()))
            .collect(),
        None => entry.content.answers.keys().collect(),
    };
    for qid in ordered {
        let value = &entry.content.answers[qid.as_str()];
        let shown = form.as_ref().and_then(|f| f.question(qid)).map_or_else(
            || value.to_string(),
            |q| crate::prompt::shown(q, value, &lang),
        );
        writeln!(out, "  {}: {shown}", label(qid))?;
    }
    if !entry.content.notes.is_empty() {
        writeln!(
            out,
            "{}",
            t!("show.notes", notes = entry.content.notes, locale = l)
        )?;
    }
    Ok(())
}

fn status(store: &LocalStore, as_json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let status = store.status()?;
    if as_json {
        writeln!(out, "{}", serde_json::to_string_pretty(&status)?)?;
        return Ok(());
    }
    let lang = lang(store)?;
    let not_set_up = t!("cli.status_not_set_up", locale = &lang);
    let server = status.server.as_deref().unwrap_or(&not_set_up);
    writeln!(
        out,
        "{}",
        t!("cli.status_server", server = server, locale = &lang)
    )?;
    writeln!(
        out,
        "{}",
        t!("cli.status_queued", count = status.queued, locale = &lang)
    )?;
    writeln!(
        out,
        "{}",
        t!(
            "cli.status_delivered",
            count = status.delivered,
            locale = &lang
        )
    )?;
    writeln!(
        out,
        "{}",
        t!(
            "cli.status_rejected",
            count = status.rejected,
            locale = &lang
        )
    )?;
    if status.conflict > 0 {
        writeln!(
            out,
            "{}",
            t!(
                "cli.status_conflict",
                count = status.conflict,
                locale = &lang
            )
        )?;
    }
    let never = t!("cli.never", locale = &lang);
    // In the mission's time, as every other time the observer reads.
    let zone = crate::clock::mission_zone(store);
    let last_sync = status.last_sync_at.as_deref().map(|at| {
        DateTime::parse_from_rfc3339(at).map_or_else(
            |_| at.to_owned(),
            |t| crate::clock::show(t.with_timezone(&Utc), zone),
        )
    });
    writeln!(
        out,
        "{}",
        t!(
            "cli.status_last_sync",
            time = last_sync.as_deref().unwrap_or(&never),
            locale = &lang
        )
    )?;
    Ok(())
}

/// A size in megabytes, one decimal.
fn megabytes(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1_048_576.0)
}

fn print_sync_report(report: &SyncReport, lang: &str, out: &mut impl Write) -> anyhow::Result<()> {
    if report.delivered() > 0 {
        writeln!(
            out,
            "{}",
            t!(
                "cli.delivered",
                count = report.delivered(),
                new = report.accepted,
                duplicate = report.duplicate,
                stale = report.stale,
                locale = lang
            )
        )?;
    }
    for (id, issues) in &report.rejected {
        writeln!(out, "{}", t!("cli.rejected", id = id, locale = lang))?;
        for issue in issues
            .iter()
            .filter(|i| i.severity == eom_shared::Severity::Error)
        {
            writeln!(out, "  - {}", issue.message)?;
        }
        writeln!(out, "  {}", t!("cli.rejected_fix", id = id, locale = lang))?;
    }
    for id in &report.conflicts {
        writeln!(out, "{}", t!("cli.conflict", id = id, locale = lang))?;
    }
    if let Some(e) = &report.push_error {
        writeln!(
            out,
            "{}",
            t!(
                "cli.could_not_send",
                reason = crate::messages::remote_error(e, lang),
                locale = lang
            )
        )?;
    }
    if let Some(e) = &report.pull_error {
        writeln!(
            out,
            "{}",
            t!(
                "cli.could_not_pull",
                reason = crate::messages::remote_error(e, lang),
                locale = lang
            )
        )?;
    }
    if report.pulled_forms + report.pulled_stations > 0 {
        writeln!(
            out,
            "{}",
            t!(
                "cli.pulled_sync",
                forms = report.pulled_forms,
                stations = report.pulled_stations,
                locale = lang
            )
        )?;
    }
    if report.pulled_feedback > 0 {
        writeln!(
            out,
            "{}",
            t!(
                "cli.reviewed",
                count = report.pulled_feedback,
                locale = lang
            )
        )?;
    }
    if report.new_messages > 0 {
        writeln!(
            out,
            "{}",
            t!(
                "messages.arrived",
                count = report.new_messages,
                locale = lang
            )
        )?;
    }
    if let Some(skew) = report.clock_skew_secs {
        writeln!(
            out,
            "{}",
            t!("cli.clock", minutes = skew / 60, locale = lang)
        )?;
    }
    for (name, at, size) in &report.attachments_resumed {
        writeln!(
            out,
            "{}",
            t!(
                "cli.attachment_resumed",
                name = name,
                at = megabytes(*at),
                size = megabytes(*size),
                locale = lang
            )
        )?;
    }
    if report.attachments_sent > 0 {
        writeln!(
            out,
            "{}",
            t!(
                "cli.attachments_sent",
                count = report.attachments_sent,
                locale = lang
            )
        )?;
    }
    if let Some(e) = &report.attachment_error {
        writeln!(
            out,
            "{}",
            t!(
                "cli.attachments_failed",
                reason = crate::messages::remote_error(e, lang),
                locale = lang
            )
        )?;
    }
    if report.attachments_waiting > 0 {
        writeln!(
            out,
            "{}",
            t!(
                "cli.attachments_waiting",
                count = report.attachments_waiting,
                locale = lang
            )
        )?;
    }
    if report.still_queued > 0 {
        writeln!(
            out,
            "{}",
            t!(
                "cli.still_queued",
                count = report.still_queued,
                locale = lang
            )
        )?;
    } else if report.is_complete() {
        writeln!(out, "{}", t!("cli.all_delivered", locale = lang))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Local;

    #[test]
    fn observed_at_takes_a_time_of_day_or_a_full_time() {
        use chrono::TimeZone;
        // Fixed moments of the laptop's own day, so the answer does not depend on when the
        // test runs: 09:30 is today in the afternoon, and yesterday's before 09:30.
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 19).expect("date");
        let local_at = |h: u32| {
            Local
                .from_local_datetime(&day.and_hms_opt(h, 0, 0).expect("time"))
                .earliest()
                .expect("a local time")
                .with_timezone(&Utc)
        };
        let now = local_at(15);
        let at = parse_observed_at("09:30", None, now).expect("HH:MM");
        let local = at.with_timezone(&Local);
        assert_eq!(local.format("%H:%M").to_string(), "09:30");
        assert_eq!(local.date_naive(), day, "today");
        let early = parse_observed_at("09:30", None, local_at(8)).expect("HH:MM");
        assert_eq!(
            early.with_timezone(&Local).date_naive(),
            day.pred_opt().expect("the day before"),
            "the latest 09:30 before 08:00 is yesterday's"
        );
        let almaty = eom_shared::sync::parse_time_zone("Asia/Almaty").expect("zone");
        let at = parse_observed_at("09:30", Some(almaty), now).expect("HH:MM");
        assert!(crate::clock::show(at, Some(almaty)).ends_with("09:30"));
        assert_eq!(
            parse_observed_at("2026-03-19T14:05:00+05:00", None, now)
                .expect("RFC 3339")
                .to_rfc3339(),
            "2026-03-19T09:05:00+00:00"
        );
        assert!(parse_observed_at("9h30", None, now).is_err());
        assert!(parse_observed_at("25:00", None, now).is_err());
    }
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
