//! Settings: command-line flags first, then `EOM_*` environment variables, then defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

pub const DEFAULT_DB: &str = "eom.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

use crate::ingest::writer::WriterConfig;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub db: PathBuf,
    pub listen: SocketAddr,
    pub writer: WriterConfig,
    /// The mission's time zone (IANA name), sent to laptops with the forms.
    pub time_zone: Option<String>,
}
