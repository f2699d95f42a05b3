//! Aggregation for coordinators: pure functions over what the store counted.

pub mod export;
pub mod figures;
pub mod filter;
pub mod statement;
pub mod timefmt;

use eom_shared::Stage;
use serde::Serialize;

use crate::store::FormTally;

/// `GET /api/v1/reports/summary`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// All checklists and reports, each at its latest revision.
    pub total: u64,
    pub forms: Vec<FormSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormSummary {
    pub form_id: String,
    pub stage: Stage,
    /// Checklists of this form, each counted once at its latest revision.
    pub checklists: u64,
    /// Those assessed bad or very bad overall.
    pub negative: u64,
    /// `negative` over the checklists that carry an overall assessment; `null` when none do
    /// (incident reports have no overall assessment).
    pub negative_share: Option<f64>,
}

pub fn summary(tallies: &[FormTally]) -> Summary {
    let forms: Vec<FormSummary> = tallies
        .iter()
        .map(|t| FormSummary {
            form_id: t.form_id.to_string(),
            stage: t.stage,
            checklists: t.checklists,
            negative: t.negative,
            negative_share: share(t.negative, t.assessed),
        })
        .collect();
    Summary {
        total: forms.iter().map(|f| f.checklists).sum(),
        forms,
    }
}

/// `part / whole`, or `None` when there is nothing to divide by.
pub fn share(part: u64, whole: u64) -> Option<f64> {
    // Counts stay far below 2^52, so the conversion to f64 is exact.
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eom_shared::FormId;

    fn tally(id: &str, stage: Stage, checklists: u64, assessed: u64, negative: u64) -> FormTally {
        FormTally {
            form_id: FormId::parse(id).expect("valid id"),
            stage,
            checklists,
            assessed,
            negative,
        }
    }

    #[test]
    fn shares_are_over_assessed_checklists() {
        let s = summary(&[
            tally("voting", Stage::Voting, 50, 50, 2),
            tally("counting", Stage::Counting, 10, 10, 3),
            tally("incident", Stage::Incident, 4, 0, 0),
            tally("opening", Stage::Opening, 0, 0, 0),
        ]);
        assert_eq!(s.total, 64);
        assert_eq!(s.forms[0].negative_share, Some(0.04));
        assert_eq!(s.forms[1].negative_share, Some(0.3));
        assert_eq!(s.forms[2].negative_share, None);
        assert_eq!(s.forms[3].negative_share, None);
    }
}
