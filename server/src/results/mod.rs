//! Results integrity: the protocols observers copied, against what the administration
//! published.
//!
//! - [`contests`]: the contests of the election become the counting form's protocol section
//!   (`eom-server contests import`), so observers copy one protocol per contest.
//! - [`official`]: published results, read from a long CSV file and kept as numbered
//!   publications; a corrected file is a new version, never an overwrite.
//! - [`compare`]: the comparison, pure: each copied line against the newest published figure
//!   for its station and contest, copies that disagree with each other, published figures that
//!   fail the protocol's own arithmetic, and totals per region and candidate.

pub mod commands;
pub mod compare;
pub mod contests;
pub mod official;
pub mod table;

use std::collections::HashMap;

use eom_shared::form::Stage;
use eom_shared::sync::ReviewStatus;

use crate::store::{Store, StoreError, SubmissionFilter};
use compare::{CopiedProtocol, DiscrepancyReport};

/// The question of the voting checklist that counts the voters so far.
const VOTED_SO_FAR: &str = "voted_so_far";

/// The comparison over the checklists of `regions` (all: `None`), rejected checklists left
/// out, texts in `lang`; `None` when no contests were imported.
pub fn report(
    store: &dyn Store,
    regions: Option<&[String]>,
    lang: &str,
) -> Result<Option<DiscrepancyReport>, StoreError> {
    let official = store.official_results()?;
    report_reading(store, official, regions, lang, Reading::Everything)
}

/// The statement line's figures (stations compared and differing) over `regions`: `None`
/// before contests and a publication. Reads the counting checklists only (not the day's
/// voting checklists the turnout needs, nor the entries at commissions).
pub fn statement_figures(
    store: &dyn Store,
    regions: Option<&[String]>,
    lang: &str,
) -> Result<Option<DiscrepancyReport>, StoreError> {
    let official = store.official_results()?;
    if official.publications.is_empty() {
        return Ok(None);
    }
    report_reading(store, official, regions, lang, Reading::CopiesOnly)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    Everything,
    CopiesOnly,
}

fn report_reading(
    store: &dyn Store,
    mut official: crate::store::OfficialResults,
    regions: Option<&[String]>,
    lang: &str,
    reading: Reading,
) -> Result<Option<DiscrepancyReport>, StoreError> {
    let Some(form) = contests::current(store)? else {
        return Ok(None);
    };
    let mut copies: Vec<CopiedProtocol> = Vec::new();
    let mut voted: HashMap<String, (chrono::DateTime<chrono::Utc>, i64)> = HashMap::new();
    for stage_form in store.latest_forms()?.iter().filter(|f| {
        f.stage == Stage::Counting || (f.stage == Stage::Voting && reading == Reading::Everything)
    }) {
        let filter = SubmissionFilter {
            form: Some(stage_form.id.to_string()),
            regions: regions.map(<[String]>::to_vec),
            ..Default::default()
        };
        let counting = stage_form.stage == Stage::Counting;
        store.export(&filter, &mut |row| {
            if row.summary.review_status == ReviewStatus::Rejected {
                return true;
            }
            if counting {
                copies.extend(compare::copied_protocols(&form, &row.summary, &row.answers));
            } else if let Some(n) = row.answers.get(VOTED_SO_FAR).and_then(|v| v.as_i64()) {
                let at = row.summary.observed_at;
                let station = row.summary.station.as_str();
                if voted.get(station).is_none_or(|(seen, _)| *seen < at) {
                    voted.insert(station.to_owned(), (at, n));
                }
            }
            true
        })?;
    }
    if let Some(regions) = regions {
        let in_view: std::collections::HashSet<String> = store
            .catalog_changes(0, "")?
            .stations
            .into_iter()
            .filter(|s| regions.contains(&s.region))
            .map(|s| s.code.as_str().to_owned())
            .collect();
        official
            .figures
            .retain(|(_, f)| in_view.contains(&f.station));
    }
    let voted: HashMap<String, i64> = voted.into_iter().map(|(s, (_, n))| (s, n)).collect();
    let entries = match reading {
        Reading::Everything => entries_watched(store, regions)?,
        Reading::CopiesOnly => Vec::new(),
    };
    let mut report = compare::compare(&form, &copies, &official, &voted, &entries, lang);
    let mut photos: HashMap<eom_shared::SubmissionId, Vec<String>> = HashMap::new();
    let with_photos = match reading {
        Reading::Everything => report.discrepancies.as_mut_slice(),
        Reading::CopiesOnly => &mut [],
    };
    for d in with_photos {
        if let std::collections::hash_map::Entry::Vacant(slot) = photos.entry(d.submission_id) {
            let found = store.attachments(d.submission_id)?;
            slot.insert(found.into_iter().map(|a| a.sha256).collect());
        }
        d.photos = photos.get(&d.submission_id).cloned().unwrap_or_default();
    }
    Ok(Some(report))
}

/// Where other teams' copies of the protocols a checklist copied give other figures: for the
/// review of one checklist (each line with every copy's value).
pub fn disagreements_with(
    store: &dyn Store,
    id: eom_shared::SubmissionId,
) -> Result<Vec<compare::Disagreement>, StoreError> {
    let Some(form) = contests::current(store)? else {
        return Ok(Vec::new());
    };
    let Some(detail) = store.submission(id)? else {
        return Ok(Vec::new());
    };
    let filter = SubmissionFilter {
        form: Some(detail.summary.form_id.to_string()),
        station: Some(detail.summary.station.as_str().to_owned()),
        ..Default::default()
    };
    let mut copies = Vec::new();
    store.export(&filter, &mut |row| {
        if row.summary.review_status != ReviewStatus::Rejected || row.summary.id == id {
            copies.extend(compare::copied_protocols(&form, &row.summary, &row.answers));
        }
        true
    })?;
    let report = compare::compare(
        &form,
        &copies,
        &Default::default(),
        &HashMap::new(),
        &[],
        "en",
    );
    Ok(report
        .disagreements
        .into_iter()
        .filter(|d| d.copies.iter().any(|c| c.submission_id == id))
        .collect())
}

/// The protocols observers watched being entered at commissions (`tabulation-entry`
/// checklists, rejected ones left out).
fn entries_watched(
    store: &dyn Store,
    regions: Option<&[String]>,
) -> Result<Vec<compare::EntryWatched>, StoreError> {
    use eom_shared::default_forms::{
        ENTRY_CONTEST, ENTRY_DIFFERENCE, ENTRY_MATCHED, ENTRY_STATION, TABULATION_ENTRY,
    };
    let filter = SubmissionFilter {
        form: Some(TABULATION_ENTRY.to_owned()),
        regions: regions.map(<[String]>::to_vec),
        ..Default::default()
    };
    let mut entries = Vec::new();
    store.export(&filter, &mut |row| {
        if row.summary.review_status != ReviewStatus::Rejected {
            let text = |id: &str| {
                row.answers
                    .get(id)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            };
            entries.push(compare::EntryWatched {
                station: text(ENTRY_STATION),
                commission: row.summary.station.as_str().to_owned(),
                contest: text(ENTRY_CONTEST),
                matched: row.answers.get(ENTRY_MATCHED).and_then(|v| v.as_bool()),
                difference: text(ENTRY_DIFFERENCE),
                submission_id: row.summary.id,
                team: row.summary.observer_name.clone(),
                published_differs: false,
            });
        }
        true
    })?;
    Ok(entries)
}

/// The statement line: "In N of M polling stations where observers copied the protocol, the
/// published results differed", in `lang`.
pub fn statement_line(report: &DiscrepancyReport, lang: &str) -> String {
    rust_i18n::t!(
        "statement.results",
        differing = report.stations_differing,
        compared = report.stations_compared,
        locale = lang
    )
    .into_owned()
}

/// Why contests or results were not imported. Nothing is half-imported.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The file or what it says is wrong; the message says where and what to do.
    #[error("{0}")]
    Invalid(String),
    /// Rows of the file that cannot be read, each with its line number.
    #[error("{} line(s) of the file are wrong, and nothing was imported:\n{}", .0.len(), .0.join("\n"))]
    Lines(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::forms::InstallError> for ResultsError {
    fn from(e: crate::forms::InstallError) -> Self {
        match e {
            crate::forms::InstallError::Invalid(m) => ResultsError::Invalid(m),
            crate::forms::InstallError::Store(s) => ResultsError::Store(s),
        }
    }
}

/// The counting form with two contests (a party list everywhere with "against all", a district
/// voted at ALA-002 only), for the tests of this module.
#[cfg(test)]
pub(crate) fn example_form() -> eom_shared::Form {
    let base = eom_shared::default_forms::version_two()
        .expect("forms")
        .into_iter()
        .find(|f| f.id.as_str() == "counting")
        .expect("counting");
    let contests = eom_shared::contest::Contests::from_json(
        r#"{"contests": [
            {"id": "party-list", "title": {"en": "Party list"},
             "candidates": [{"id": "amanat", "name": {"en": "Amanat"}},
                            {"id": "ak-zhol", "name": {"en": "Ak Zhol"}}],
             "against_all": true},
            {"id": "district-5", "title": {"en": "District 5"},
             "candidates": [{"id": "ivanova", "name": {"en": "Ivanova"}}],
             "stations": ["ALA-002"]}]}"#,
    )
    .expect("contests");
    eom_shared::contest::with_contests(&base, &contests.contests, 3).expect("form")
}
