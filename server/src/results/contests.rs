//! The contests of the election, published as a version of the counting form.
//!
//! Importing contests makes the next version of the counting form from the newest version
//! without contests ([`eom_shared::contest::with_contests`]). Laptops receive it on their
//! next pull like any form; checklists filled on earlier versions stay valid. Importing the
//! same contests again changes nothing. The form for watching protocols entered at a
//! commission (`tabulation-entry`) is published with the first contests.

use std::collections::HashSet;

use eom_shared::contest::{Contest, ProtocolTemplate, with_contests};
use eom_shared::form::{Form, Stage};

use super::ResultsError;
use crate::forms::Published;
use crate::store::{Store, StoreError};

/// The newest counting form that copies protocols per contest, if contests were imported.
pub fn current(store: &dyn Store) -> Result<Option<Form>, StoreError> {
    Ok(store
        .latest_forms()?
        .into_iter()
        .find(|f| f.stage == Stage::Counting && !f.contests.is_empty()))
}

/// The form for watching protocols entered at a commission, when it is not installed yet.
fn entry_form_if_missing(store: &dyn Store) -> Result<Option<Form>, ResultsError> {
    let form = eom_shared::default_forms::tabulation_entry().map_err(ResultsError::Invalid)?;
    Ok(store
        .form(&form.id, form.version)?
        .is_none()
        .then_some(form))
}

/// Publishes `contests` as the next version of the counting form; returns it and what
/// happened.
pub fn import(store: &dyn Store, contests: &[Contest]) -> Result<(Form, Published), ResultsError> {
    eom_shared::contest::check_contests(contests).map_err(ResultsError::Invalid)?;
    let known: HashSet<String> = store
        .catalog_changes(0, "")?
        .stations
        .into_iter()
        .map(|s| s.code.as_str().to_owned())
        .collect();
    let mut unknown: Vec<String> = Vec::new();
    for contest in contests {
        for station in contest.stations.iter().flatten() {
            if !known.contains(station.as_str()) {
                unknown.push(format!("'{station}' (contest '{}')", contest.id));
            }
        }
    }
    if !unknown.is_empty() {
        return Err(ResultsError::Invalid(format!(
            "these stations are not in the station list: {}; import the station list first (eom-server stations import FILE.csv) or correct the codes",
            unknown.join(", ")
        )));
    }
    let latest = store
        .latest_forms()?
        .into_iter()
        .find(|f| {
            f.stage == Stage::Counting
                && (!f.contests.is_empty() || ProtocolTemplate::of(f).is_some())
        })
        .ok_or_else(|| {
            ResultsError::Invalid(
                "there is no counting form with a protocol section to copy per contest; install one first (eom-server forms install)".into(),
            )
        })?;
    if latest.contests == contests {
        if let Some(entry) = entry_form_if_missing(store)? {
            crate::forms::install(store, &[entry])?;
        }
        return Ok((latest, Published::AlreadyInstalled));
    }
    let mut base = latest.clone();
    while !base.contests.is_empty() {
        let earlier = base.version.checked_sub(1).filter(|v| *v > 0);
        base = match earlier
            .map(|v| store.form(&base.id, v))
            .transpose()?
            .flatten()
        {
            Some(form) => form,
            None => {
                return Err(ResultsError::Invalid(format!(
                    "every version of form '{}' has contests: install a version without them to build on",
                    latest.id
                )));
            }
        };
    }
    let form = with_contests(&base, contests, latest.version + 1).map_err(ResultsError::Invalid)?;
    let mut forms = vec![form.clone()];
    forms.extend(entry_form_if_missing(store)?);
    let outcome = crate::forms::install(store, &forms)?;
    let published = outcome
        .into_iter()
        .next()
        .map_or(Published::AlreadyInstalled, |(_, _, p)| p);
    Ok((form, published))
}
