//! Forms a mission installs: a definition file is checked and published as a new form or a
//! new version of one. Laptops receive it on their next pull.
//!
//! A released version never changes: checklists filled on it keep validating exactly as
//! they did, and they keep being accepted after a newer version is out. Reports merge the
//! versions of a form by question id, so a new version may add, drop, reorder or reword
//! questions, but may not change the form's stage or the type of a question it keeps (a
//! yes/no question that became a number would be counted as one thing in one version and
//! another in the next); such a change needs a new question id.

pub mod xlsform;

use eom_shared::form::{Form, FormId};

use crate::store::{Store, StoreError};

/// What installing one definition did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// A form id not seen before.
    New,
    /// A newer version of an installed form.
    NewVersion { previous: u32 },
    /// This exact version is installed already: nothing changed.
    AlreadyInstalled,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The file or a definition in it is wrong; the message says where and what to do.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The definitions in a file: one form object, a list of them, or `{"forms": [...]}`. Each
/// error names the form (by position) and the path of the bad field.
pub fn read_definitions(text: &str) -> Result<Vec<Form>, InstallError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        InstallError::Invalid(format!(
            "the file is not JSON ({e}); a form definition is a JSON object like those 'eom-server forms export ID' writes"
        ))
    })?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut object) if object.contains_key("forms") => {
            match object.remove("forms") {
                Some(serde_json::Value::Array(items)) => items,
                _ => {
                    return Err(InstallError::Invalid(
                        "'forms' must be a list of form definitions".into(),
                    ));
                }
            }
        }
        single @ serde_json::Value::Object(_) => vec![single],
        _ => {
            return Err(InstallError::Invalid(
                "the file must hold a form definition (a JSON object) or a list of them".into(),
            ));
        }
    };
    if items.is_empty() {
        return Err(InstallError::Invalid(
            "the file holds no form definition".into(),
        ));
    }
    let several = items.len() > 1;
    let mut forms: Vec<Form> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let form = Form::from_json(&item.to_string()).map_err(|e| {
            // Positions in the re-written item are not positions in the file.
            let e = match e.rsplit_once(" at line ") {
                Some((message, _)) => message.to_owned(),
                None => e,
            };
            InstallError::Invalid(if several {
                format!("form {} of the file: {e}", i + 1)
            } else {
                e
            })
        })?;
        if forms
            .iter()
            .any(|f| f.id == form.id && f.version == form.version)
        {
            return Err(InstallError::Invalid(format!(
                "the file holds version {} of form '{}' twice",
                form.version, form.id
            )));
        }
        forms.push(form);
    }
    Ok(forms)
}

/// Whether `new` may be published, given the newest installed version of its form and the
/// installed definition of the same version, if any.
pub fn check_publication(
    latest: Option<&Form>,
    same_version: Option<&Form>,
    new: &Form,
) -> Result<Published, String> {
    if let Some(installed) = same_version {
        if installed == new {
            return Ok(Published::AlreadyInstalled);
        }
        let next = latest.map_or(new.version, |l| l.version) + 1;
        return Err(format!(
            "version {} of form '{}' is released and never changes (checklists were filled on it); publish the change as version {next}",
            new.version, new.id
        ));
    }
    let Some(latest) = latest else {
        return Ok(Published::New);
    };
    if new.version < latest.version {
        return Err(format!(
            "form '{}' is at version {} already; publish the change as version {}",
            new.id,
            latest.version,
            latest.version + 1
        ));
    }
    if new.stage != latest.stage {
        return Err(format!(
            "form '{}' is a {} form; a new version cannot change its stage: give the form a new id",
            new.id,
            latest.stage.as_str(),
        ));
    }
    for question in &new.questions {
        if let Some(before) = latest.question(&question.id)
            && before.kind.type_name() != question.kind.type_name()
        {
            return Err(format!(
                "question '{}' of form '{}' was {} in version {} and is {} now; reports merge versions by question id, so give the changed question a new id",
                question.id,
                new.id,
                before.kind.type_name(),
                latest.version,
                question.kind.type_name()
            ));
        }
    }
    Ok(Published::NewVersion {
        previous: latest.version,
    })
}

/// Checks every definition against what is installed, then installs them together (all or
/// none). Returns what happened to each, in the file's order.
pub fn install(
    store: &dyn Store,
    forms: &[Form],
) -> Result<Vec<(FormId, u32, Published)>, InstallError> {
    let installed = store.latest_forms()?;
    let mut outcomes = Vec::with_capacity(forms.len());
    for form in forms {
        let latest = installed.iter().find(|f| f.id == form.id);
        let same = store.form(&form.id, form.version)?;
        let published =
            check_publication(latest, same.as_ref(), form).map_err(InstallError::Invalid)?;
        outcomes.push((form.id.clone(), form.version, published));
    }
    let fresh: Vec<Form> = forms
        .iter()
        .zip(&outcomes)
        .filter(|(_, (_, _, p))| *p != Published::AlreadyInstalled)
        .map(|(f, _)| f.clone())
        .collect();
    if !fresh.is_empty() {
        store.install_forms(&fresh)?;
    }
    // Another operator may have published the same version a moment before: what is stored
    // must be what this file says.
    for form in &fresh {
        if store.form(&form.id, form.version)?.as_ref() != Some(form) {
            return Err(InstallError::Invalid(format!(
                "version {} of form '{}' was published by someone else at the same moment; export it and compare",
                form.version, form.id
            )));
        }
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eom_shared::default_forms::default_forms;

    fn voting() -> Form {
        default_forms()
            .expect("defaults")
            .into_iter()
            .find(|f| f.id.as_str() == "voting")
            .expect("voting")
    }

    #[test]
    fn versions_rise_and_released_ones_never_change() {
        let v1 = voting();
        assert_eq!(check_publication(None, None, &v1), Ok(Published::New));
        assert_eq!(
            check_publication(Some(&v1), Some(&v1), &v1),
            Ok(Published::AlreadyInstalled)
        );

        let mut edited = v1.clone();
        edited.questions[0].label = eom_shared::form::Labels::en("Reworded");
        let refused = check_publication(Some(&v1), Some(&v1), &edited).expect_err("changed");
        assert!(
            refused.contains("publish the change as version 2"),
            "{refused}"
        );

        let mut v2 = edited.clone();
        v2.version = 2;
        assert_eq!(
            check_publication(Some(&v1), None, &v2),
            Ok(Published::NewVersion { previous: 1 })
        );
        // Version 2 was skipped and 3 is out: 2 cannot come after it.
        let v3 = Form {
            version: 3,
            ..v2.clone()
        };
        let refused = check_publication(Some(&v3), None, &v2).expect_err("older");
        assert!(refused.contains("at version 3 already"), "{refused}");
    }

    #[test]
    fn a_new_version_keeps_the_stage_and_the_type_of_kept_questions() {
        let v1 = voting();
        let mut restaged = v1.clone();
        restaged.version = 2;
        restaged.stage = eom_shared::form::Stage::Opening;
        let refused = check_publication(Some(&v1), None, &restaged).expect_err("stage");
        assert!(refused.contains("cannot change its stage"), "{refused}");

        let mut retyped = v1.clone();
        retyped.version = 2;
        let access = retyped
            .questions
            .iter_mut()
            .find(|q| q.id == "observers_unrestricted")
            .expect("access question");
        access.kind = eom_shared::form::QuestionKind::Number {
            min: None,
            max: None,
        };
        let refused = check_publication(Some(&v1), None, &retyped).expect_err("type");
        assert!(
            refused.contains("'observers_unrestricted'") && refused.contains("new id"),
            "{refused}"
        );
    }

    #[test]
    fn version_two_of_the_default_forms_can_be_published_over_version_one() {
        let v1 = default_forms().expect("v1");
        for v2 in eom_shared::default_forms::version_two().expect("v2") {
            let latest = v1.iter().find(|f| f.id == v2.id);
            assert_eq!(
                check_publication(latest, None, &v2),
                Ok(Published::NewVersion { previous: 1 }),
                "{}",
                v2.id
            );
        }
    }

    #[test]
    fn files_hold_one_form_or_several_and_errors_name_the_field() {
        let one = serde_json::to_string(&voting()).expect("json");
        assert_eq!(read_definitions(&one).expect("one").len(), 1);
        let mut second = voting();
        second.version = 2;
        let listed = serde_json::json!({"forms": [voting(), second]}).to_string();
        assert_eq!(read_definitions(&listed).expect("listed").len(), 2);
        let twice = serde_json::json!([voting(), voting()]).to_string();
        assert!(read_definitions(&twice).is_err());

        let mut bad: serde_json::Value = serde_json::from_str(&one).expect("value");
        bad["questions"][2]["label"] = serde_json::json!({"ru": "только по-русски"});
        let InstallError::Invalid(message) =
            read_definitions(&bad.to_string()).expect_err("no English")
        else {
            panic!("not an input error");
        };
        assert!(message.contains("questions[2]"), "{message}");
        assert!(message.contains("English"), "{message}");
        assert!(read_definitions("[]").is_err());
        assert!(read_definitions("{not json").is_err());
    }
}
