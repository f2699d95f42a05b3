//! `eom setup`: the server's address and the observer's token.
//!
//! The token is a key to the mission's server: it is asked for (hidden) or read from standard
//! input, never required on the command line, where other users of the laptop see it in the
//! list of running programs and it stays in the shell history. A server that is not on this
//! computer must be reached over `https://`: over plain HTTP anyone on the hotel or polling
//! station network reads and changes the checklists. When the server can be reached, the token
//! is checked at once, so a mistyped one is caught while the coordinator is still at hand.

use std::io::{BufRead, IsTerminal, Write};
use std::net::IpAddr;
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use reqwest::Url;

use rust_i18n::t;

use crate::remote::{RemoteError, ServerClient, parse_server_url};
use crate::store::LocalStore;
use crate::sync;

pub struct Options {
    pub server: String,
    pub token: Option<String>,
    /// A one-time enrolment code to exchange for the token instead.
    pub code: Option<String>,
    pub lang: Option<String>,
    pub insecure_http: bool,
    pub ca: Option<std::path::PathBuf>,
    pub check: bool,
}

/// Whether `url` points at this computer (where plain HTTP never leaves the machine).
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Refuses plain HTTP to another computer unless the observer insists.
pub fn check_transport(url: &Url, insecure_http: bool) -> anyhow::Result<Option<String>> {
    if url.scheme() == "https" || is_loopback(url) {
        return Ok(None);
    }
    if !insecure_http {
        bail!(
            "{url} is plain http:// on another computer: anyone on the network could read and change your checklists. Use the https:// address your coordinator gave you (or, on a network the mission controls, add --insecure-http)"
        );
    }
    Ok(Some(format!(
        "warning: {url} is plain http://; anyone on this network can read and change what is sent"
    )))
}

/// The token from the option, standard input or a hidden prompt.
fn read_token(given: Option<String>, lang: &str) -> anyhow::Result<String> {
    let token = match given.as_deref() {
        Some("-") => read_line_from_stdin()?,
        Some(value) => {
            eprintln!(
                "warning: a token given on the command line can be seen by other users of this computer and stays in the shell history; next time leave --token out and paste it when asked (or use --token - to read it from standard input)"
            );
            value.to_owned()
        }
        None if std::io::stdin().is_terminal() => {
            rpassword::prompt_password(t!("setup.token_prompt", locale = lang).as_ref())
                .map_err(|e| anyhow!("cannot read the token: {e}"))?
        }
        None => read_line_from_stdin()?,
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        bail!("the token is empty: paste the token your coordinator gave you");
    }
    if token.chars().any(char::is_whitespace) || !token.is_ascii() {
        bail!("the token has spaces or unusual characters in it: copy it again, exactly as given");
    }
    Ok(token)
}

fn read_line_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| anyhow!("cannot read the token from standard input: {e}"))?;
    Ok(line)
}

pub async fn run(
    store: &mut LocalStore,
    options: Options,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let url = parse_server_url(&options.server).map_err(|e| anyhow!(e))?;
    if let Some(warning) = check_transport(&url, options.insecure_http)? {
        eprintln!("{warning}");
    }
    let chosen = match options.lang.as_deref() {
        Some(raw) => Some(
            crate::language::normalise(raw)
                .ok_or_else(|| anyhow!("language '{raw}' is not available: use en, ru or kk"))?,
        ),
        None => None,
    };
    let lang = chosen.map_or_else(|| crate::language::current(store), str::to_owned);
    let ca_pem = match &options.ca {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| anyhow!("cannot read the CA certificate {}: {e}", path.display()))?;
            crate::remote::parse_ca(&pem).map_err(|e| {
                anyhow!(
                    "{} is not a CA certificate in PEM form ({e}); ask your coordinator for the mission's CA file",
                    path.display()
                )
            })?;
            Some(pem)
        }
        None => store
            .setting(crate::cli::CA_SETTING)?
            .map(String::into_bytes),
    };

    let token = match &options.code {
        Some(code) => enrol(&url, code, ca_pem.clone(), &lang).await?,
        None => read_token(options.token, &lang)?,
    };
    let mut checked = false;
    if options.check {
        let trust = crate::remote::Trust {
            ca_pem: ca_pem.clone(),
        };
        let client = ServerClient::with_trust(url.clone(), token.clone(), &trust, CHECK_TIMEOUT)?;
        match sync::pull(store, &client).await {
            Ok(pulled) => {
                checked = true;
                writeln!(
                    out,
                    "{}",
                    t!(
                        "setup.accepted",
                        forms = pulled.forms,
                        stations = pulled.stations,
                        locale = &lang
                    )
                )?;
            }
            Err(sync::SyncError::Remote(RemoteError::Unauthorized { .. })) => {
                bail!(
                    "the server at {url} does not accept this token: check it with your coordinator (it is long: copy it whole). Nothing was saved"
                );
            }
            Err(sync::SyncError::Remote(e @ RemoteError::Untrusted { .. })) => {
                bail!(
                    "{}. Nothing was saved",
                    crate::messages::remote_error(&e, &lang)
                );
            }
            Err(sync::SyncError::Remote(RemoteError::Forbidden { .. })) => {
                bail!(
                    "the server at {url} knows this token, but not as an observer's (a coordinator's token?): use the observer token your coordinator gave this team. Nothing was saved"
                );
            }
            Err(sync::SyncError::Remote(e)) => {
                writeln!(
                    out,
                    "{}",
                    t!(
                        "setup.not_checked",
                        reason = crate::messages::remote_error(&e, &lang),
                        locale = &lang
                    )
                )?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(chosen) = chosen {
        store.set_setting("lang", chosen)?;
    }
    if let (Some(pem), Some(_)) = (&ca_pem, &options.ca) {
        store.set_setting(crate::cli::CA_SETTING, &String::from_utf8_lossy(pem))?;
    }
    store.set_setting("server", url.as_str())?;
    store.set_setting("token", &token)?;
    writeln!(
        out,
        "{}",
        t!(
            "setup.saved",
            url = url,
            path = store.path().display(),
            locale = &lang
        )
    )?;
    if !checked {
        writeln!(out, "{}", t!("setup.next", locale = &lang))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// How long `eom setup` waits for the server while checking the token.
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The token for a one-time enrolment code, from the server.
async fn enrol(
    url: &Url,
    code: &str,
    ca_pem: Option<Vec<u8>>,
    lang: &str,
) -> anyhow::Result<String> {
    let trust = crate::remote::Trust { ca_pem };
    let client = ServerClient::with_trust(url.clone(), String::new(), &trust, CHECK_TIMEOUT)?;
    match client.enrol(code.trim()).await {
        Ok(enrolled) => {
            let token = enrolled.token.trim().to_owned();
            if token.is_empty() || !token.is_ascii() || token.chars().any(char::is_whitespace) {
                bail!("the server answered the enrolment code without a usable token");
            }
            Ok(token)
        }
        Err(RemoteError::Unauthorized { .. }) => {
            bail!("{}", t!("setup.code_refused", locale = lang))
        }
        Err(e) => bail!(
            "{}",
            t!(
                "setup.code_unreachable",
                reason = crate::messages::remote_error(&e, lang),
                locale = lang
            )
        ),
    }
}
