//! `eom attach ID FILE`: a photo of the protocol (or of anything else the checklist
//! documents), kept encrypted on the laptop and sent by `eom sync` after its checklist.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use rust_i18n::t;

use eom_shared::attachment::Problem;

use crate::store::{Attached, LocalStore};

/// Attaches `file` to the checklist `id` (or a unique prefix); the type is read from the
/// bytes, not the name.
pub fn attach(
    store: &mut LocalStore,
    id: &str,
    file: &Path,
    lang: &str,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let entry = store.find(id)?;
    let bytes = std::fs::read(file)
        .with_context(|| t!("attach.unreadable", file = file.display(), locale = lang))?;
    let mime = match eom_shared::attachment::check(&bytes) {
        Ok(mime) => mime,
        Err(problem) => bail!(
            "{}",
            t!(
                "attach.refused",
                file = file.display(),
                reason = problem_text(problem, lang),
                locale = lang
            )
        ),
    };
    let name: String = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(eom_shared::attachment::MAX_NAME_CHARS)
        .collect();
    match store.add_attachment(entry.id, &name, mime, &bytes)? {
        Attached::New(a) => writeln!(
            out,
            "{}",
            t!(
                "attach.added",
                name = a.name,
                size = format!("{:.1}", a.size as f64 / 1_048_576.0),
                id = entry.id,
                sha = a.sha256,
                locale = lang
            )
        )?,
        Attached::Already(a) => writeln!(
            out,
            "{}",
            t!("attach.already", name = a.name, locale = lang)
        )?,
    }
    Ok(())
}

/// Why a file cannot be attached, in the observer's language.
pub fn problem_text(problem: Problem, lang: &str) -> String {
    match problem {
        Problem::Empty => t!("attach.empty", locale = lang),
        Problem::TooLarge(mb) => t!(
            "attach.too_large",
            size = format!("{mb:.1}"),
            limit = eom_shared::attachment::MAX_BYTES / 1_048_576,
            locale = lang
        ),
        Problem::NotAnImage => t!("attach.not_image", locale = lang),
    }
    .into_owned()
}

/// The attachments of a checklist, for `eom show`.
pub fn list(
    store: &LocalStore,
    id: eom_shared::SubmissionId,
    lang: &str,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let attachments = store.attachments(id)?;
    if attachments.is_empty() {
        return Ok(());
    }
    writeln!(out, "{}", t!("attach.heading", locale = lang))?;
    for a in attachments {
        let state = if a.done {
            t!("attach.on_server", locale = lang)
        } else {
            t!(
                "attach.progress",
                sent = format!("{:.1}", a.sent as f64 / 1_048_576.0),
                size = format!("{:.1}", a.size as f64 / 1_048_576.0),
                locale = lang
            )
        };
        writeln!(
            out,
            "  {}  {}  {}  SHA-256 {}",
            a.name, a.mime, state, a.sha256
        )?;
    }
    Ok(())
}
