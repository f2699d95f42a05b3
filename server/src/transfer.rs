//! Moving a mission between databases, and copying a live one: `eom-server migrate --to`
//! (SQLite to PostgreSQL, or back) and `eom-server backup`.
//!
//! A migration copies every account (with its token hash, so laptops keep working), form
//! version, station, revision, conflict, review and the pull cursor, recomputes the totals in
//! the destination with the same rules, and then compares every report on both sides: it
//! only says "done" when they are equal.

use std::path::Path;

use anyhow::{Context, bail};

use crate::rules::contribution;
use crate::store::{Record, ReportFilter, Store, SubmissionFilter};

/// Records written per transaction.
const BATCH: usize = 5000;

/// What was moved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub accounts: u64,
    pub forms: u64,
    pub stations: u64,
    pub revisions: u64,
    pub checklists: u64,
    pub conflicts: u64,
    pub reviews: u64,
    pub messages: u64,
    pub calls: u64,
    pub official_figures: u64,
    pub attachments: u64,
}

impl Moved {
    fn count(&mut self, record: &Record) {
        match record {
            Record::Account { .. } => self.accounts += 1,
            Record::Form { .. } => self.forms += 1,
            Record::Station { .. } => self.stations += 1,
            Record::Revision { .. } => self.revisions += 1,
            Record::Current { .. } => self.checklists += 1,
            Record::Conflict { .. } => self.conflicts += 1,
            Record::Review { .. } => self.reviews += 1,
            Record::Message(_) => self.messages += 1,
            Record::Call(_) => self.calls += 1,
            Record::OfficialFigure { .. } => self.official_figures += 1,
            Record::Attachment { .. } => self.attachments += 1,
            Record::Cursor(_)
            | Record::ServerKey { .. }
            | Record::Audit(_)
            | Record::TeamDetails { .. }
            | Record::MessageRead { .. }
            | Record::Publication(_)
            | Record::AttachmentLink { .. } => {}
        }
    }
}

/// Copies the mission in `from` into the empty database `to`, recounts, and checks that
/// every report agrees.
pub fn migrate(from: &dyn Store, to: &dyn Store) -> anyhow::Result<Moved> {
    if !to.list_accounts()?.is_empty() || !to.latest_forms()?.is_empty() {
        bail!(
            "the destination already holds a mission; migrate into a new, empty database (createdb eom)"
        );
    }
    let mut moved = Moved::default();
    let mut batch = Vec::with_capacity(BATCH);
    from.dump(&mut |record| {
        moved.count(&record);
        batch.push(record);
        if batch.len() >= BATCH {
            to.load(&batch)?;
            batch.clear();
        }
        Ok(())
    })
    .context("the copy stopped; the destination is incomplete: drop and recreate it, then run migrate again")?;
    to.load(&batch)
        .context("the copy stopped; the destination is incomplete: drop and recreate it, then run migrate again")?;
    to.rebuild_tallies(&contribution)
        .context("could not recount the copied checklists")?;
    let differences = compare(from, to)?;
    if !differences.is_empty() {
        bail!(
            "the copy differs from the original: {}; keep using the original and report this",
            differences.join("; ")
        );
    }
    Ok(moved)
}

/// What differs between the reports of two databases; empty when they agree.
pub fn compare(a: &dyn Store, b: &dyn Store) -> anyhow::Result<Vec<String>> {
    let mut differences = Vec::new();
    let whole = ReportFilter::default();
    let mut check = |what: &str, left: String, right: String| {
        if left != right {
            differences.push(what.to_owned());
        }
    };
    let sorted = |mut lines: Vec<String>| {
        lines.sort();
        lines.join("\n")
    };
    check(
        "the per-form totals",
        format!("{:?}", a.form_tallies()?),
        format!("{:?}", b.form_tallies()?),
    );
    check(
        "the assessments",
        sorted(
            a.assessment_rows(&whole)?
                .iter()
                .map(|r| format!("{r:?}"))
                .collect(),
        ),
        sorted(
            b.assessment_rows(&whole)?
                .iter()
                .map(|r| format!("{r:?}"))
                .collect(),
        ),
    );
    check(
        "the findings",
        sorted(
            a.finding_rows(&whole)?
                .iter()
                .map(|r| format!("{r:?}"))
                .collect(),
        ),
        sorted(
            b.finding_rows(&whole)?
                .iter()
                .map(|r| format!("{r:?}"))
                .collect(),
        ),
    );
    let critical = |s: &dyn Store| -> anyhow::Result<String> {
        Ok(sorted(
            s.critical_findings(&whole, u32::MAX)?
                .iter()
                .map(|c| format!("{} {} {}", c.submission_id, c.question_id, c.observed_at))
                .collect(),
        ))
    };
    check("the critical findings", critical(a)?, critical(b)?);
    let coverage = |s: &dyn Store| -> anyhow::Result<String> {
        let c = s.coverage(&whole)?;
        Ok(sorted(
            c.stations
                .iter()
                .map(|x| format!("{x:?}"))
                .chain(c.visits.iter().map(|x| format!("{x:?}")))
                .collect(),
        ))
    };
    check("the coverage", coverage(a)?, coverage(b)?);
    check(
        "the timeline",
        format!("{:?}", a.arrivals(&whole)?),
        format!("{:?}", b.arrivals(&whole)?),
    );
    let all = SubmissionFilter::default();
    check(
        "the number of checklists",
        a.list_submissions(&all, 1, 1)?.total.to_string(),
        b.list_submissions(&all, 1, 1)?.total.to_string(),
    );
    Ok(differences)
}

/// Refuses to write over an existing file: a backup never destroys another one.
pub fn check_backup_target(file: &Path) -> anyhow::Result<()> {
    if file.exists() {
        bail!(
            "{} exists already; give a new file name (a backup never overwrites one)",
            file.display()
        );
    }
    Ok(())
}
