//! Drafts: a checklist being filled or edited in the terminal is saved after every answer,
//! so killing `eom` (or the laptop's battery dying) loses at most the answer being typed.
//! `eom drafts` lists them, `eom resume ID` continues one, `eom discard ID` drops one; a
//! draft becomes a queued checklist (or the next revision of one) only when it is complete
//! and valid, in the same transaction that deletes it.

use std::io::{BufRead, Write};

use anyhow::anyhow;
use chrono::{DateTime, Utc};
use eom_shared::StationCode;
use eom_shared::form::Form;
use eom_shared::submission::{SubmissionContent, SubmissionId};

use rust_i18n::t;

use crate::prompt::{self, PromptError};
use crate::store::{Draft, LocalStore};

/// How a questionnaire run ended.
pub enum Filled {
    /// Complete and valid: saved to the outbox.
    Queued { id: SubmissionId, revision: u32 },
    /// Left as a draft (input ended, or the answers do not pass validation yet).
    Kept { id: SubmissionId },
}

/// A draft for a new checklist of `form` at `station`, nothing answered yet.
pub fn new_checklist(
    form: &Form,
    station: StationCode,
    observed_at: DateTime<Utc>,
    notes: String,
) -> Draft {
    Draft {
        id: SubmissionId::new(),
        base_revision: None,
        content: SubmissionContent {
            form_id: form.id.clone(),
            form_version: form.version,
            station,
            observed_at,
            answers: Default::default(),
            notes,
        },
        created_at: String::new(),
        updated_at: String::new(),
    }
}

/// A draft editing the saved checklist `id` (at `revision`), starting from `content`.
pub fn edit_of(id: SubmissionId, revision: u32, content: SubmissionContent) -> Draft {
    Draft {
        id,
        base_revision: Some(revision),
        content,
        created_at: String::new(),
        updated_at: String::new(),
    }
}

/// Saves `draft` at once (so even an empty one survives), then asks its questions.
pub fn begin(
    store: &mut LocalStore,
    form: &Form,
    draft: Draft,
    lang: &str,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> anyhow::Result<Filled> {
    store.save_draft(&draft)?;
    continue_draft(store, form, draft, lang, input, out)
}

/// Asks the draft's questions (answers given so far are kept with Enter), saving after every
/// answer; finishes it when complete and valid.
pub fn continue_draft(
    store: &mut LocalStore,
    form: &Form,
    mut draft: Draft,
    lang: &str,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> anyhow::Result<Filled> {
    let mut answers = std::mem::take(&mut draft.content.answers);
    // Asked as at the draft's station: without the contests it does not vote in.
    let local = eom_shared::contest::for_station(form, &draft.content.station);
    let result = {
        let mut save = |a: &serde_json::Map<String, serde_json::Value>| {
            draft.content.answers = a.clone();
            store.save_draft(&draft).map_err(|e| e.to_string())
        };
        prompt::fill(&local, lang, &mut answers, input, out, &mut save)
    };
    draft.content.answers = answers;
    match result {
        Ok(()) => {}
        Err(PromptError::InputEnded) => {
            store.save_draft(&draft)?;
            writeln!(out)?;
            writeln!(
                out,
                "{}",
                t!("wizard.input_ended", id = draft.id, locale = lang)
            )?;
            return Ok(Filled::Kept { id: draft.id });
        }
        Err(e) => return Err(anyhow!(e)),
    }
    let validation = check(form, &draft.content);
    for w in validation.warnings() {
        writeln!(out, "! {}", crate::messages::issue_text(w, form, lang))?;
    }
    let errors: Vec<String> = validation
        .errors()
        .map(|e| format!("  - {}", crate::messages::issue_text(e, form, lang)))
        .collect();
    if !errors.is_empty() {
        store.save_draft(&draft)?;
        writeln!(
            out,
            "{}\n{}\n{}",
            t!("wizard.fix_first", locale = lang),
            errors.join("\n"),
            t!("wizard.resume", id = draft.id, locale = lang)
        )?;
        return Ok(Filled::Kept { id: draft.id });
    }
    let entry = store.finish_draft(&draft)?;
    Ok(Filled::Queued {
        id: entry.id,
        revision: entry.revision,
    })
}

/// `eom drafts [--json]`.
pub fn list(store: &LocalStore, as_json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let drafts = store.drafts()?;
    if as_json {
        writeln!(out, "{}", serde_json::to_string_pretty(&drafts)?)?;
        return Ok(());
    }
    if drafts.is_empty() {
        writeln!(out, "No drafts.")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<36}  {:<10} {:<12} {:>8}  {:<7}  last saved",
        "id", "form", "station", "answers", "kind"
    )?;
    for d in &drafts {
        writeln!(
            out,
            "{:<36}  {:<10} {:<12} {:>8}  {:<7}  {}",
            d.id.to_string(),
            d.content.form_id,
            d.content.station,
            d.content.answers.len(),
            match d.base_revision {
                None => "new".to_owned(),
                Some(r) => format!("edit r{r}"),
            },
            d.updated_at
        )?;
    }
    writeln!(
        out,
        "'eom resume ID' continues one; 'eom discard ID' drops one."
    )?;
    Ok(())
}

/// Validates a checklist as the server will when it arrives: its answers, the length of its
/// notes, and its observation time against this laptop's clock.
pub fn check(form: &Form, content: &SubmissionContent) -> eom_shared::Validation {
    eom_shared::validate_submission(
        form,
        content,
        &eom_shared::limits::ObservationWindow::default(),
        chrono::Utc::now(),
    )
}
