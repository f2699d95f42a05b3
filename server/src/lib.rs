//! `eom-server`: receives observers' checklists, validates, deduplicates, stores and
//! aggregates them for coordinators. `main.rs` is a thin wrapper over [`cli::run`].

pub mod admin;
pub mod alerts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod enrolment;
pub mod error;
pub mod forms;
pub mod http;
pub mod ingest;
pub mod limits;
pub mod live;
pub mod net;
pub mod reports;
pub mod results;
pub mod rules;
pub mod service;
pub mod store;
pub mod teams;
pub mod telemetry;
pub mod transfer;
pub mod views;
pub mod web;

// The message catalogues (`server/locales/*.yml`): the statement lines in each language.
rust_i18n::i18n!("locales", fallback = "en");

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::{Database, ServeConfig};
use crate::service::Service;
use crate::store::{PostgresStore, SqliteStore, Store};

pub use http::app;

/// Opens the database, migrating it, and loads the default forms into a new database.
pub fn open_store(path: &Path) -> anyhow::Result<SqliteStore> {
    let store = SqliteStore::open(path)
        .with_context(|| format!("could not open the database {}", path.display()))?;
    bootstrap(&store)?;
    Ok(store)
}

/// Opens (creating and migrating as needed) the mission's database, SQLite or PostgreSQL,
/// with the default forms in a new one.
pub fn open_database(db: &Database) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = match db {
        Database::Sqlite(path) => Arc::new(open_store(path)?),
        Database::Postgres(url) => {
            // Its errors name the database (without the password) and what to check.
            let store = PostgresStore::connect(url)?;
            bootstrap(&store)?;
            Arc::new(store)
        }
    };
    Ok(store)
}

/// Installs the default forms (versions 1 and 2) when the database has none yet, and recounts the totals when
/// an upgrade changed how they are kept.
pub fn bootstrap(store: &dyn Store) -> anyhow::Result<()> {
    if store.latest_forms()?.is_empty() {
        // Both versions: version 2 is what laptops fill; version 1 stays valid for any
        // checklist a laptop set up with it still holds.
        let mut forms = eom_shared::default_forms::default_forms().map_err(anyhow::Error::msg)?;
        forms.extend(eom_shared::default_forms::version_two().map_err(anyhow::Error::msg)?);
        let added = store.install_forms(&forms)?;
        tracing::info!(added, "installed the default forms");
    }
    admin::recount_if_pending(store).context("could not recount the totals")?;
    Ok(())
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let tls = match &config.tls {
        Some((cert, key)) => Some(net::load_tls(cert, key)?),
        None => None,
    };
    let db = config.db.clone();
    let writer = config.writer;
    // Opening the database and reading the receipt key are storage calls: off the workers.
    let mut service =
        tokio::task::spawn_blocking(move || Service::with_writer(open_database(&db)?, writer))
            .await??;
    let listener = TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "could not listen on {}; is another server using it? choose another with --listen",
            config.listen
        )
    })?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // Printed on stdout so that scripts and tests can find a port chosen with :0.
    println!(
        "eom-server listening on {scheme}://{addr} (database {})",
        config.db
    );
    service.time_zone = config.time_zone.map(Into::into);
    service.https = tls.is_some();
    service.window = config.window;
    service.trusted_proxies = config.trusted_proxies.into();
    service.limits = Arc::new(limits::Limiters::new(config.budgets));
    let store = service.store.clone();
    let stamp = tokio::task::spawn_blocking(move || store.change_stamp())
        .await?
        .context("could not read the change stamp")?;
    service.live.prime(stamp);
    service.live.clone().watch(service.store.clone());
    // Buckets of tokens that stopped sending are dropped every few minutes.
    let limiters = service.limits.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            every.tick().await;
            limiters.forget_idle();
        }
    });
    if let Some(url) = config.alert_webhook {
        tracing::info!(webhook = %url.host_str().unwrap_or_default(), "critical findings are posted to the alert webhook");
        alerts::start(service.store.clone(), alerts::webhook::Webhook::new(url)?)
            .await
            .context("could not set up the alert webhook")?;
    }
    if let Some(email) = config.alert_email {
        tracing::info!(
            core = email.recipients.core.len(),
            regions = email.recipients.regions.len(),
            "critical findings are e-mailed"
        );
        let destination =
            alerts::email::Email::new(&email.smtp_url, email.from, email.recipients, &email.lang)
                .map_err(anyhow::Error::msg)?;
        alerts::start(service.store.clone(), destination)
            .await
            .context("could not set up the alert e-mails")?;
    }
    net::serve(
        listener,
        app(service),
        config.limits,
        tls,
        shutdown_signal(),
    )
    .await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing open requests");
}
