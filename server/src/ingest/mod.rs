//! The push path: parse each item on its own, validate it against its form with the same code
//! the laptop runs, recompute its hash, and let the store decide accepted / duplicate / stale /
//! conflict in one transaction.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use eom_shared::form::Form;
use eom_shared::limits::{MAX_REVISION, ObservationWindow};
use eom_shared::receipt::Receipt;
use eom_shared::submission::{SubmissionId, SubmissionPayload};
use eom_shared::sync::{PushOutcome, PushResult};
use eom_shared::{FormId, Issue, IssueKind, Severity, validate_submission};
use serde_json::Value;

use crate::rules::contribution;
use crate::store::{IngestBatch, IngestDecision, IngestItem, Store, StoreError};

pub mod writer;

/// Form definitions by (id, version). A released version never changes, so entries never go
/// stale and validation does not re-read and re-parse the definition for every item.
#[derive(Default)]
pub struct FormCache {
    forms: RwLock<HashMap<(FormId, u32), Arc<Form>>>,
}

impl FormCache {
    pub fn get(
        &self,
        store: &dyn Store,
        id: &FormId,
        version: u32,
    ) -> Result<Option<Arc<Form>>, StoreError> {
        let key = (id.clone(), version);
        if let Some(form) = self
            .forms
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(Some(form.clone()));
        }
        let Some(form) = store.form(id, version)? else {
            return Ok(None);
        };
        let form = Arc::new(form);
        self.forms
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, form.clone());
        Ok(Some(form))
    }

    /// Whether the forms these raw items name are all cached, so that validating them needs
    /// no storage call (which must not run on an async worker).
    pub fn covers(&self, raw: &[Value]) -> bool {
        let forms = self.forms.read().unwrap_or_else(|p| p.into_inner());
        raw.iter().all(|item| {
            let id = item["form_id"].as_str().and_then(|i| FormId::parse(i).ok());
            let version = item["form_version"]
                .as_u64()
                .and_then(|v| u32::try_from(v).ok());
            match (id, version) {
                (Some(id), Some(version)) => forms.contains_key(&(id, version)),
                // An item that does not name a form is refused without a lookup.
                _ => true,
            }
        })
    }
}

fn invalid(id: Option<SubmissionId>, revision: Option<u32>, issues: Vec<Issue>) -> PushResult {
    PushResult {
        id,
        revision,
        outcome: PushOutcome::Invalid,
        issues,
        receipt: None,
    }
}

/// Pulls what can be read of the id and revision out of an item that did not parse, so the
/// answer still says which checklist it was about.
fn best_effort_identity(raw: &Value) -> (Option<SubmissionId>, Option<u32>) {
    let id = raw
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| SubmissionId::parse(s).ok());
    let revision = raw
        .get("revision")
        .and_then(Value::as_u64)
        .and_then(|r| u32::try_from(r).ok());
    (id, revision)
}

/// A push batch after parsing and validation: answers already known for the items that
/// failed, and the valid items waiting for the store's decision.
pub struct Prepared {
    arrival: Arrival,
    results: Vec<Option<PushResult>>,
    items: Vec<IngestItem>,
    positions: Vec<usize>,
}

impl Prepared {
    /// The items the store has to decide on.
    pub fn items(&self) -> &[IngestItem] {
        &self.items
    }

    pub fn take_items(&mut self) -> Vec<IngestItem> {
        std::mem::take(&mut self.items)
    }
}

/// When a push arrives, and the span of observation times it may carry.
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    pub at: DateTime<Utc>,
    pub window: ObservationWindow,
}

impl Arrival {
    /// Arriving now, with the given window.
    pub fn now(window: ObservationWindow) -> Self {
        Self {
            at: Utc::now(),
            window,
        }
    }
}

/// Parses and validates each item on its own, so one bad item never sinks the batch.
pub fn prepare(
    store: &dyn Store,
    forms: &FormCache,
    raw: Vec<Value>,
    arrival: &Arrival,
) -> Result<Prepared, StoreError> {
    let mut results: Vec<Option<PushResult>> = vec![None; raw.len()];
    let mut items = Vec::new();
    let mut positions = Vec::new();

    for (index, value) in raw.into_iter().enumerate() {
        let (id, revision) = best_effort_identity(&value);
        let payload: SubmissionPayload = match serde_json::from_value(value) {
            Ok(p) => p,
            Err(e) => {
                results[index] = Some(invalid(
                    id,
                    revision,
                    vec![Issue::error(
                        None,
                        IssueKind::WrongType,
                        format!(
                            "item {} of the batch is not a valid submission: {e}",
                            index + 1
                        ),
                    )],
                ));
                continue;
            }
        };
        if payload.revision == 0 || payload.revision > MAX_REVISION {
            results[index] = Some(invalid(
                id,
                revision,
                vec![Issue::error(
                    None,
                    IssueKind::OutOfRange,
                    format!("revision numbers run from 1 to {MAX_REVISION}"),
                )],
            ));
            continue;
        }
        let Some(form) = forms.get(
            store,
            &payload.content.form_id,
            payload.content.form_version,
        )?
        else {
            results[index] = Some(invalid(
                id,
                revision,
                vec![Issue::error(
                    None,
                    IssueKind::UnknownForm,
                    format!(
                        "form '{}' version {} is not known to this server; run 'eom pull' and fill the current form",
                        payload.content.form_id, payload.content.form_version
                    ),
                )],
            ));
            continue;
        };
        match checked_item(&form, payload, arrival) {
            Ok(item) => items.push(item),
            Err(issues) => {
                results[index] = Some(invalid(id, revision, issues));
                continue;
            }
        }
        positions.push(index);
    }
    Ok(Prepared {
        arrival: *arrival,
        results,
        items,
        positions,
    })
}

/// Validates one submission against its form and, when it passes, makes it ready to store:
/// the server's own hash, its warnings, and what it adds to the report tallies.
pub fn checked_item(
    form: &Form,
    payload: SubmissionPayload,
    arrival: &Arrival,
) -> Result<IngestItem, Vec<Issue>> {
    let content = payload.content;
    let validation = validate_submission(form, &content, &arrival.window, arrival.at);
    if !validation.is_valid() {
        return Err(validation.issues);
    }
    let warnings: Vec<Issue> = validation
        .issues
        .into_iter()
        .filter(|i| i.severity == Severity::Warning)
        .collect();
    Ok(IngestItem {
        id: payload.id,
        revision: payload.revision,
        content_hash: content.content_hash(),
        contribution: contribution(form, &content.answers),
        stage: form.stage,
        content,
        warnings,
    })
}

/// Puts the store's decisions next to the answers known already, in the request's order.
/// Puts the store's decisions next to the answers known already, in the request's order;
/// with a `signer`, every revision the server now holds (`accepted` or `duplicate`) gets a
/// signed receipt.
pub fn finish(
    prepared: Prepared,
    items: Vec<IngestItem>,
    decisions: Vec<IngestDecision>,
    signer: Option<&SigningKey>,
) -> Vec<PushResult> {
    let Prepared {
        arrival,
        mut results,
        positions,
        ..
    } = prepared;
    for ((item, index), decision) in items.into_iter().zip(positions).zip(decisions) {
        results[index] = Some(match decision {
            IngestDecision::Stored(verdict) => {
                let outcome = verdict.outcome();
                let receipt = signer
                    .filter(|_| matches!(outcome, PushOutcome::Accepted | PushOutcome::Duplicate))
                    .map(|key| {
                        Receipt::sign(key, item.id, item.revision, item.content_hash, arrival.at)
                    });
                PushResult {
                    id: Some(item.id),
                    revision: Some(item.revision),
                    outcome,
                    issues: item.warnings,
                    receipt,
                }
            }
            IngestDecision::WrongLevel(level) => invalid(
                Some(item.id),
                Some(item.revision),
                vec![Issue::error(
                    None,
                    IssueKind::WrongStationLevel,
                    eom_shared::form::wrong_level_message(
                        item.stage,
                        item.content.station.as_str(),
                        level,
                    ),
                )],
            ),
            IngestDecision::UnknownStation => invalid(
                Some(item.id),
                Some(item.revision),
                vec![Issue::error(
                    None,
                    IssueKind::UnknownStation,
                    format!(
                        "station '{}' is not on the server's station list; check the code with 'eom stations --search', or ask the coordinator to import it",
                        item.content.station
                    ),
                )],
            ),
        });
    }
    results
        .into_iter()
        .map(|r| {
            // Every position is answered either while preparing or by the store; a gap would
            // be a bug, reported to the client as a retryable problem rather than a panic.
            r.unwrap_or_else(|| {
                invalid(
                    None,
                    None,
                    vec![Issue::error(
                        None,
                        IssueKind::WrongType,
                        "the server did not process this item; send it again".into(),
                    )],
                )
            })
        })
        .collect()
}

/// Processes one push batch for `observer_id` synchronously, in its own transaction.
/// The HTTP path goes through the [`writer::GroupCommitter`] instead, which shares commits.
pub fn push(
    store: &dyn Store,
    forms: &FormCache,
    observer_id: &str,
    arrival: &Arrival,
    raw: Vec<Value>,
) -> Result<Vec<PushResult>, StoreError> {
    let mut prepared = prepare(store, forms, raw, arrival)?;
    let items = prepared.take_items();
    let batch = [IngestBatch {
        observer_id: observer_id.to_owned(),
        items,
    }];
    let decisions = if batch[0].items.is_empty() {
        vec![Vec::new()]
    } else {
        store.ingest(arrival.at, &batch)?
    };
    let [IngestBatch { items, .. }] = batch;
    let decisions = decisions.into_iter().next().unwrap_or_default();
    Ok(finish(prepared, items, decisions, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_cached_forms_are_covered() {
        let cache = FormCache::default();
        let voting = vec![json!({"form_id": "voting", "form_version": 1})];
        assert!(!cache.covers(&voting));
        let form = eom_shared::default_forms::default_forms()
            .expect("forms")
            .into_iter()
            .find(|f| f.id.as_str() == "voting")
            .expect("voting");
        cache
            .forms
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert((form.id.clone(), 1), Arc::new(form));
        assert!(cache.covers(&voting));
        assert!(!cache.covers(&[json!({"form_id": "voting", "form_version": 2})]));
        assert!(cache.covers(&[json!({"not": "a checklist"})]));
    }
}
