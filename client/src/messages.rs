//! Validation messages in the observer's language. The shared validation says what is wrong
//! in English for logs and the API; the laptop shows the same finding from its catalogues, and
//! a failed protocol check in the form's own words.

use eom_shared::form::{Form, Question, QuestionKind};
use eom_shared::{Issue, IssueKind};
use rust_i18n::t;

/// An issue in the observer's language: the form's own text for a failed protocol check,
/// the catalogue's for the rest.
pub fn issue_text(issue: &Issue, form: &Form, lang: &str) -> String {
    if let Some(check) = issue
        .check
        .as_deref()
        .and_then(|id| form.checks.iter().find(|c| c.id == id))
    {
        return check.message.get(lang).to_owned();
    }
    answer_issue_text(
        issue,
        issue.question.as_deref().and_then(|q| form.question(q)),
        lang,
    )
}

/// A problem with one answer to `question`, in the observer's language.
pub fn answer_issue_text(issue: &Issue, question: Option<&Question>, lang: &str) -> String {
    let number = question.is_some_and(|q| matches!(q.kind, QuestionKind::Number { .. }));
    // The checklist's own fields, not questions of the form.
    match (issue.question.as_deref(), issue.kind) {
        (Some("notes"), IssueKind::TooLong) => {
            return t!(
                "issue.notes_too_long",
                max = eom_shared::limits::MAX_NOTES_CHARS,
                locale = lang
            )
            .into_owned();
        }
        (Some("observed_at"), IssueKind::OutOfRange) => {
            return t!("issue.observed_at_window", locale = lang).into_owned();
        }
        _ => {}
    }
    let key = match issue.kind {
        IssueKind::TooLong => "issue.too_long",
        IssueKind::Required => "issue.required",
        IssueKind::WrongType if number => "error.invalid_number",
        IssueKind::WrongType => "issue.wrong_type",
        IssueKind::OutOfRange => "issue.out_of_range",
        IssueKind::ExclusiveChoice => "issue.exclusive_choice",
        IssueKind::WrongStationLevel => "issue.wrong_station_level",
        _ => "issue.other",
    };
    t!(key, locale = lang).into_owned()
}

/// What went wrong talking to the server, in the observer's language (technical details the
/// server or the network gave stay as they came).
pub fn remote_error(error: &crate::remote::RemoteError, lang: &str) -> String {
    use crate::remote::RemoteError as E;
    match error {
        E::Unreachable { url, reason } => {
            t!(
                "remote.unreachable",
                url = url,
                reason = reason,
                locale = lang
            )
        }
        E::Untrusted { url, reason } => {
            t!(
                "remote.untrusted",
                url = url,
                reason = reason,
                locale = lang
            )
        }
        E::NotEomServer { status, detail } => {
            t!(
                "remote.not_eom",
                status = status,
                detail = detail,
                locale = lang
            )
        }
        E::Unauthorized { message } => t!("remote.unauthorized", message = message, locale = lang),
        E::Forbidden { message } => t!("remote.forbidden", message = message, locale = lang),
        E::Overloaded { retry_after_secs } => {
            t!(
                "remote.overloaded",
                seconds = retry_after_secs,
                locale = lang
            )
        }
        E::TooLarge { message } => t!("remote.too_large", message = message, locale = lang),
        E::Server {
            status, message, ..
        } => t!(
            "remote.server",
            status = status,
            message = message,
            locale = lang
        ),
    }
    .into_owned()
}

/// The errors that stop a command before it can say anything else, in the observer's
/// language; `None` for the rest, which keep their own (technical) text.
pub fn error_text(error: &anyhow::Error, lang: &str) -> Option<String> {
    use crate::store::StoreError;
    use crate::vault::VaultError;
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<VaultError>() {
            return match e {
                VaultError::NeedPassphrase => Some(t!("error.need_passphrase", locale = lang)),
                VaultError::Mismatch => Some(t!("error.mismatch", locale = lang)),
                VaultError::TooShort(min) => Some(t!("error.too_short", min = min, locale = lang)),
                _ => None,
            }
            .map(|t| t.into_owned());
        }
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            return match e {
                StoreError::WrongKey => Some(t!("error.wrong_key", locale = lang)),
                StoreError::Busy => Some(t!("error.busy", locale = lang)),
                _ => None,
            }
            .map(|t| t.into_owned());
        }
        if let Some(e) = cause.downcast_ref::<crate::remote::RemoteError>() {
            return Some(remote_error(e, lang));
        }
    }
    None
}
