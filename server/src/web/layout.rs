//! The page frame and the few pieces every page uses.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use rust_i18n::t;

use crate::reports::figures::Share;

const STYLE: &str = r#"
:root { --ink: #1d2330; --muted: #5b6474; --line: #d8dde6; --bad: #b3261e; --accent: #1f5fbf; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f7f9; }
header { background: #1d2330; color: #fff; padding: .6rem 1rem; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; align-items: center; }
header a { color: #fff; text-decoration: none; }
header nav { display: flex; flex-wrap: wrap; gap: .9rem; flex: 1; }
header form { margin: 0; }
header button { background: none; border: 1px solid #fff6; color: #fff; border-radius: 4px; padding: .2rem .6rem; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem; }
main.narrow { max-width: 380px; margin-top: 12vh; }
h1 { font-size: 1.4rem; margin: .4rem 0 1rem; } h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; margin-bottom: 1rem; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { background: #e8ebf0; border-radius: 3px; height: .8rem; min-width: 80px; position: relative; }
.bar span { position: absolute; inset: 0 auto 0 0; background: var(--bad); border-radius: 3px; }
.flash { background: #e6f0ff; border: 1px solid #b8cff5; border-radius: 6px; padding: .5rem .8rem; }
.muted { color: var(--muted); }
tr.problem td { background: #fdecea; } tr.critical td:first-child { box-shadow: inset 3px 0 var(--bad); }
del { color: var(--bad); } ins { color: #2e7d32; } .revision h3 { font-size: 1rem; margin: .8rem 0 .3rem; }
#languages a, #languages strong { font-size: .85rem; }
#updated::before { content: "● "; color: #2e7d32; } [data-offline] #updated::before { color: var(--bad); } .error { color: var(--bad); font-weight: 600; }
.statement li { margin: .2rem 0; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; }
label { display: block; font-size: .8rem; color: var(--muted); }
input, select, textarea, button { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 4px; }
textarea { width: 100%; min-height: 4rem; } button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
main.narrow input { width: 100%; margin-bottom: .6rem; }
#photos figure { display: inline-block; margin: 0 1rem 1rem 0; max-width: 22rem; vertical-align: top; }
#photos img { max-width: 100%; border: 1px solid #d0d5dd; }
#photos figcaption { font-size: .8rem; color: #555; word-break: break-all; }
.tag { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .8rem; background: #e8ebf0; }
.tag.flagged { background: #fff1c2; } .tag.rejected { background: #f9d2cf; } .tag.verified { background: #d5f0dc; }
a { color: var(--accent); }
@media (max-width: 600px) { body { font-size: 14px; } th, td { padding: .3rem; } }
"#;

/// A page without the navigation (sign-in).
pub fn bare(title: &str, lang: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · eom" }
                style { (PreEscaped(STYLE)) }
                script src="/assets/dashboard.js" defer {}
            }
            body { (body) }
        }
    }
}

/// A signed-in page with the navigation, in the viewer's language.
pub fn page(title: &str, user: Option<&super::Viewer>, body: Markup) -> Markup {
    let lang = user.map_or("en", |u| u.lang);
    let nav = |key: &str| tr(lang, key);
    bare(
        title,
        lang,
        html! {
            header {
                strong { a href="/" { "eom" } }
                nav {
                    a href="/" { (nav("dash.nav.overview")) }
                    a href="/regions" { (nav("dash.nav.regions")) }
                    a href="/map" { (nav("dash.nav.map")) }
                    a href="/findings" { (nav("dash.nav.findings")) }
                    a href="/checklists" { (nav("dash.nav.checklists")) }
                    a href="/results" { (nav("dash.nav.results")) }
                    a href="/teams" { (nav("dash.nav.teams")) }
                    a href="/messages" { (nav("dash.nav.messages")) }
                }
                span #languages {
                    @for l in super::LANGUAGES {
                        @if l == lang { strong { (l.to_uppercase()) } } @else { a href=(format!("/lang/{l}")) { (l.to_uppercase()) } }
                        " "
                    }
                }
                @if let Some(user) = user {
                    span class="muted" { (user.name) }
                    form method="post" action="/logout" {
                        input type="hidden" name=(super::guard::FIELD) value=(user.csrf);
                        button type="submit" { (nav("dash.nav.sign_out")) }
                    }
                }
            }
            main { h1 { (title) } (body) }
        },
    )
}

/// A time as the core team reads it: day and time of day in the mission's time zone (an
/// IANA name), else in UTC, marked so.
pub fn when(t: chrono::DateTime<chrono::Utc>, zone: Option<&str>) -> String {
    const FORMAT: &str = "%d.%m %H:%M";
    match zone.and_then(|z| eom_shared::sync::parse_time_zone(z).ok()) {
        Some(z) => t.with_timezone(&z).format(FORMAT).to_string(),
        None => format!("{} UTC", t.format(FORMAT)),
    }
}

/// A dashboard text in the viewer's language.
pub fn tr(lang: &str, key: &str) -> String {
    t!(key, locale = lang).into_owned()
}

/// How long a team has been silent, as the core team says it: "silent for 3 h 20 min",
/// "silent for 45 min", "nothing received yet".
pub fn silent_for(
    lang: &str,
    last_received_at: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    match crate::service::teams::silent_minutes(last_received_at, now) {
        None => tr(lang, "dash.silent.never"),
        Some(m) if m < 60 => t!("dash.silent.minutes", minutes = m, locale = lang).into_owned(),
        Some(m) if m < 24 * 60 => t!(
            "dash.silent.hours",
            hours = m / 60,
            minutes = m % 60,
            locale = lang
        )
        .into_owned(),
        Some(m) => t!(
            "dash.silent.days",
            days = m / (24 * 60),
            hours = m % (24 * 60) / 60,
            locale = lang
        )
        .into_owned(),
    }
}

/// The mark of a live page: its script follows the server's changes and swaps the fresh
/// page in; the line says when the figures shown were read.
pub fn live_mark(lang: &str, zone: Option<&str>) -> Markup {
    let now = chrono::Utc::now();
    let time = match zone.and_then(|z| eom_shared::sync::parse_time_zone(z).ok()) {
        Some(z) => now.with_timezone(&z).format("%H:%M:%S").to_string(),
        None => format!("{} UTC", now.format("%H:%M:%S")),
    };
    html! { p #updated class="muted" data-live { (t!("dash.live", time = time, locale = lang)) } }
}

pub fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// "16%" with its bar, "8 of 50" and the 95% interval.
pub fn share_cells(lang: &str, s: &Share) -> Markup {
    html! {
        @match (s.share, s.ci_low, s.ci_high) {
            (Some(p), Some(lo), Some(hi)) => {
                td class="num share" { (percent(p)) }
                td { div class="bar" { span style=(format!("width:{:.1}%", p * 100.0)) {} } }
                td class="num count" { (t!("dash.of", part = s.part, whole = s.whole, locale = lang)) }
                td class="num ci muted" { (percent(lo)) "–" (percent(hi)) }
            }
            _ => {
                td class="num share muted" { "–" }
                td {}
                td class="num count" { (t!("dash.of", part = 0, whole = 0, locale = lang)) }
                td {}
            }
        }
    }
}

pub fn share_headers(lang: &str, what: &str) -> Markup {
    html! {
        th { (what) } th {} th class="num" { (tr(lang, "dash.share.count")) } th class="num" { (tr(lang, "dash.share.ci")) }
    }
}
