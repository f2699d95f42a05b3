//! `eom messages`: the coordinators' messages to this team, unread first. Showing them marks
//! them read; the server hears of it at the next sync.

use std::io::Write;

use rust_i18n::t;

use crate::clock;
use crate::store::LocalStore;

pub fn show(
    store: &mut LocalStore,
    lang: &str,
    as_json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let messages = store.messages()?;
    if as_json {
        serde_json::to_writer_pretty(&mut *out, &messages)?;
        writeln!(out)?;
    } else if messages.is_empty() {
        writeln!(out, "{}", t!("messages.none", locale = lang))?;
    } else {
        let unread = messages.iter().filter(|m| m.read_at.is_none()).count();
        if unread > 0 {
            writeln!(
                out,
                "{}",
                t!("messages.unread", count = unread, locale = lang)
            )?;
        }
        let zone = clock::mission_zone(store);
        for m in &messages {
            writeln!(out)?;
            let mark = if m.read_at.is_none() {
                t!("messages.new_mark", locale = lang).into_owned()
            } else {
                String::new()
            };
            writeln!(out, "{mark}{} — {}", clock::show(m.sent_at, zone), m.from)?;
            for line in m.body.lines() {
                writeln!(out, "  {line}")?;
            }
        }
    }
    store.mark_all_read()?;
    Ok(())
}
