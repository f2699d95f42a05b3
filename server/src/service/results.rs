//! The results comparison for a coordinator: the copied protocols in view, against the
//! published results.

use super::scope::Scope;
use super::{Service, ServiceError};
use crate::results::compare::DiscrepancyReport;

impl Service {
    /// Lines where another team's copy of a protocol this checklist copied differs.
    pub async fn disagreements_with(
        &self,
        id: eom_shared::SubmissionId,
    ) -> Result<Vec<crate::results::compare::Disagreement>, ServiceError> {
        self.store_call(move |store| Ok(crate::results::disagreements_with(store, id)?))
            .await
    }

    /// The counting form with the contests, if they were imported.
    pub async fn contest_form(&self) -> Result<Option<eom_shared::Form>, ServiceError> {
        self.store_call(|store| Ok(crate::results::contests::current(store)?))
            .await
    }

    /// The discrepancy report within `scope` (and `region`, if asked), texts in `lang`;
    /// `None` when no contests were imported.
    pub async fn discrepancies(
        &self,
        scope: &Scope,
        region: Option<String>,
        lang: &str,
    ) -> Result<Option<DiscrepancyReport>, ServiceError> {
        let regions = scope
            .reports(crate::store::ReportFilter {
                regions: region.map(|r| vec![r]),
                ..Default::default()
            })?
            .regions;
        let lang = crate::reports::statement::language(Some(lang)).to_owned();
        self.store_call(move |store| Ok(crate::results::report(store, regions.as_deref(), &lang)?))
            .await
    }
}
