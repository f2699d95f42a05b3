//! Answers files: `eom answers ID` prints a checklist's answers in the form that
//! `eom edit ID --answers FILE` takes back; `eom template FORM` prints a file to fill, every
//! question present with `null` (unanswered).

use std::io::Write;

use eom_shared::form::Form;
use serde_json::Value;

use crate::store::Entry;

/// `eom answers ID`.
pub fn print_answers(entry: &Entry, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&Value::Object(entry.content.answers.clone()))?
    )?;
    Ok(())
}

/// `eom template FORM`: every question id in form order, unanswered (`null`). Written by
/// hand so that the order is the form's, which a JSON map would not keep.
pub fn print_template(form: &Form, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(out, "{{")?;
    let last = form.questions.len().saturating_sub(1);
    for (i, q) in form.questions.iter().enumerate() {
        writeln!(
            out,
            "  {}: null{}",
            Value::from(q.id.as_str()),
            if i == last { "" } else { "," }
        )?;
    }
    writeln!(out, "}}")?;
    Ok(())
}
