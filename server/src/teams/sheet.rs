//! The enrolment sheet: what the core team prints or sends to set the teams' laptops up. A
//! CSV (for a mail merge or a spreadsheet) and a printable HTML page with one card per team:
//! its name, region, stations, one-time code and a QR code of the setup command, so that a
//! team types the code (or scans it) instead of a 68-character token.
//!
//! Both files hold working codes: they are created readable by their owner only, never over
//! an existing file, and the command says to delete them once the teams are set up.

use std::io::Write;
use std::path::{Path, PathBuf};

use maud::{DOCTYPE, Markup, PreEscaped, html};
use qrcode::QrCode;
use qrcode::render::svg;
use rust_i18n::t;

use super::EnrolledTeam;

pub const CSV_FILE: &str = "enrolment.csv";
pub const HTML_FILE: &str = "enrolment.html";

/// The command a team runs on its laptop.
pub fn setup_command(server_url: &str, code: &str) -> String {
    format!(
        "eom setup --server {} --code {code}",
        server_url.trim_end_matches('/')
    )
}

/// An inline SVG QR code of `text`.
fn qr_svg(text: &str) -> String {
    match QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<svg::Color<'_>>()
            .min_dimensions(160, 160)
            .quiet_zone(true)
            .build(),
        // A setup command is far below a QR code's capacity; should it not fit, the card
        // still carries the code and the command as text.
        Err(_) => String::new(),
    }
}

/// A file for secrets: created new (never over an existing one), owner-only on Unix.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn page(teams: &[EnrolledTeam], server_url: &str, lang: &str) -> Markup {
    const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1rem;color:#1d2330}\
        .cards{display:flex;flex-wrap:wrap;gap:.8rem}\
        .card{border:1px dashed #888;border-radius:6px;padding:.8rem;width:21rem;break-inside:avoid;page-break-inside:avoid}\
        .card h2{margin:0 0 .3rem;font-size:1.1rem}.code{font:700 1.5rem/1.2 ui-monospace,monospace;letter-spacing:.08em}\
        .cmd{font:12px ui-monospace,monospace;word-break:break-all}.muted{color:#5b6474}\
        .qr svg{width:160px;height:160px}@media print{.intro{display:none}}";
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                title { (t!("sheet.title", locale = lang)) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                div.intro {
                    h1 { (t!("sheet.title", locale = lang)) }
                    p { (t!("sheet.intro", locale = lang)) }
                }
                div.cards { @for team in teams {
                    @let command = setup_command(server_url, &team.code);
                    div.card {
                        h2 { (team.account.name) }
                        p.muted {
                            (team.account.only_region().unwrap_or_default())
                            @if !team.stations.is_empty() { " · " (team.stations.join(", ")) }
                        }
                        p { (t!("sheet.code", locale = lang)) br; span.code { (team.code) } }
                        div.qr { (PreEscaped(qr_svg(&command))) }
                        p.cmd { (command) }
                        p.muted { (t!("sheet.expires", time = team.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(), locale = lang)) }
                    }
                } }
            }
        }
    }
}

/// Writes `enrolment.csv` and `enrolment.html` into `dir` (made if missing); returns their
/// paths. Refuses to replace files already there.
pub fn write(
    dir: &Path,
    server_url: &str,
    teams: &[EnrolledTeam],
    lang: &str,
) -> std::io::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let csv_path = dir.join(CSV_FILE);
    let html_path = dir.join(HTML_FILE);
    for path in [&csv_path, &html_path] {
        if path.exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "{} is already there: choose another folder with --sheet, or move the old sheet away",
                    path.display()
                ),
            ));
        }
    }
    let mut csv = csv::Writer::from_writer(create_private(&csv_path)?);
    csv.write_record([
        "id",
        "name",
        "region",
        "phone",
        "stations",
        "code",
        "expires_at",
        "setup_command",
    ])?;
    for team in teams {
        csv.write_record([
            team.account.id.as_str(),
            team.account.name.as_str(),
            team.account.only_region().unwrap_or_default().as_str(),
            team.phone.as_str(),
            team.stations.join(" ").as_str(),
            team.code.as_str(),
            team.expires_at
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
                .as_str(),
            setup_command(server_url, &team.code).as_str(),
        ])?;
    }
    csv.flush()?;
    let mut html = create_private(&html_path)?;
    html.write_all(page(teams, server_url, lang).into_string().as_bytes())?;
    html.sync_all()?;
    Ok((csv_path, html_path))
}
