//! Settings: command-line flags first, then `EOM_*` environment variables, then defaults.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

pub const DEFAULT_DB: &str = "eom.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

use crate::ingest::writer::WriterConfig;
use crate::store::postgres::{is_url, redact};

/// Where the mission's data lives: a SQLite file (the default) or a PostgreSQL database
/// shared by several server instances.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl FromStr for Database {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("give a SQLite file (eom.db) or a postgres:// URL".into());
        }
        Ok(if is_url(raw) {
            Database::Postgres(raw.to_owned())
        } else {
            Database::Sqlite(PathBuf::from(raw))
        })
    }
}

/// Shown without a PostgreSQL password.
impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub db: Database,
    pub listen: SocketAddr,
    pub writer: WriterConfig,
    /// The mission's time zone (IANA name), sent to laptops with the forms.
    pub time_zone: Option<String>,
    /// Timeouts and the connection cap.
    pub limits: crate::net::Limits,
    /// Per-token and per-address budgets.
    pub budgets: crate::limits::Budgets,
    /// HTTPS: the certificate chain and private key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Observation times accepted around the moment a checklist arrives.
    pub window: eom_shared::limits::ObservationWindow,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Where critical findings are posted as they arrive.
    pub alert_webhook: Option<reqwest::Url>,
    /// Where critical findings are e-mailed, if anywhere.
    pub alert_email: Option<EmailAlerts>,
}

/// E-mail alerts: the SMTP server, the sender, who gets what, in which language.
#[derive(Debug, Clone)]
pub struct EmailAlerts {
    pub smtp_url: String,
    pub from: lettre::message::Mailbox,
    pub recipients: crate::alerts::email::Recipients,
    pub lang: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_postgres_and_anything_else_a_file() {
        assert_eq!(
            "postgres://eom:pw@db/eom".parse::<Database>(),
            Ok(Database::Postgres("postgres://eom:pw@db/eom".into()))
        );
        assert_eq!(
            "data/eom.db".parse::<Database>(),
            Ok(Database::Sqlite("data/eom.db".into()))
        );
        assert!("".parse::<Database>().is_err());
        let shown = "postgresql://eom:pw@db/eom"
            .parse::<Database>()
            .expect("url")
            .to_string();
        assert!(!shown.contains("pw"), "{shown}");
    }
}
