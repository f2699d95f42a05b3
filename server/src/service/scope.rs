//! What a coordinator may see. A coordinator account with regions sees only those regions'
//! checklists, figures, exports and dashboard pages; asking for anything else is answered as
//! if it did not exist (404), so a regional account learns nothing about other regions.
//! Administrators and coordinators without a region see the whole mission.

use eom_shared::SubmissionId;

use super::ServiceError;
use crate::store::{Account, ReportFilter, Role, SubmissionFilter};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Never empty.
    Regions(Vec<String>),
}

impl Scope {
    pub fn of(account: &Account) -> Self {
        let regions = account.regions();
        if account.role == Role::Coordinator && !regions.is_empty() {
            Scope::Regions(regions)
        } else {
            Scope::All
        }
    }

    pub fn is_all(&self) -> bool {
        matches!(self, Scope::All)
    }

    /// Whether a checklist of `region` is in view.
    pub fn sees(&self, region: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Regions(own) => own.iter().any(|r| r == region),
        }
    }

    /// The regions a filter may select: those asked for if all are in view, else the scope's
    /// own (none: every region).
    fn regions(&self, asked: Option<Vec<String>>) -> Result<Option<Vec<String>>, ServiceError> {
        match (self, asked) {
            (Scope::All, asked) => Ok(asked),
            (Scope::Regions(own), None) => Ok(Some(own.clone())),
            (Scope::Regions(_), Some(asked)) => match asked.iter().find(|r| !self.sees(r)) {
                None => Ok(Some(asked)),
                Some(hidden) => Err(not_found_region(hidden)),
            },
        }
    }

    pub fn reports(&self, filter: ReportFilter) -> Result<ReportFilter, ServiceError> {
        Ok(ReportFilter {
            regions: self.regions(filter.regions)?,
            ..filter
        })
    }

    pub fn submissions(&self, filter: SubmissionFilter) -> Result<SubmissionFilter, ServiceError> {
        Ok(SubmissionFilter {
            regions: self.regions(filter.regions)?,
            ..filter
        })
    }

    /// The answer for a checklist out of view: the same as for one that does not exist.
    pub fn hidden(id: SubmissionId) -> ServiceError {
        ServiceError::NotFound(format!("no checklist with id {id}"))
    }

    /// For what only the whole mission's coordinators see (operator metrics).
    pub fn require_all(&self) -> Result<(), ServiceError> {
        if self.is_all() {
            Ok(())
        } else {
            Err(ServiceError::NotFound(
                "no such endpoint for a regional coordinator".to_owned(),
            ))
        }
    }
}

fn not_found_region(asked: &str) -> ServiceError {
    ServiceError::NotFound(format!("there is no region '{asked}' in your view"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::regions_column;

    fn account(role: Role, regions: &[&str]) -> Account {
        let regions: Vec<String> = regions.iter().map(|r| (*r).to_owned()).collect();
        Account {
            id: "a".into(),
            name: "A".into(),
            role,
            region: regions_column(&regions),
            created_at: chrono::Utc::now(),
        }
    }

    fn asking(region: &str) -> ReportFilter {
        ReportFilter {
            regions: Some(vec![region.to_owned()]),
            ..ReportFilter::default()
        }
    }

    #[test]
    fn a_regional_coordinator_is_held_to_its_region() {
        let north = Scope::of(&account(Role::Coordinator, &["North"]));
        assert_eq!(north, Scope::Regions(vec!["North".into()]));
        let f = north.reports(ReportFilter::default()).expect("own region");
        assert_eq!(f.regions, Some(vec!["North".to_owned()]));
        assert!(north.reports(asking("South")).is_err());
        assert!(north.sees("North") && !north.sees("South"));
        assert!(north.require_all().is_err());
        assert_eq!(Scope::of(&account(Role::Coordinator, &[])), Scope::All);
        assert_eq!(Scope::of(&account(Role::Admin, &["North"])), Scope::All);
    }

    #[test]
    fn a_coordinator_of_several_regions_sees_each_and_no_other() {
        let two = Scope::of(&account(Role::Coordinator, &["North", "East"]));
        let all_of_them = two.reports(ReportFilter::default()).expect("own regions");
        assert_eq!(
            all_of_them.regions,
            Some(vec!["North".to_owned(), "East".to_owned()])
        );
        let east = two.reports(asking("East")).expect("one of its regions");
        assert_eq!(east.regions, Some(vec!["East".to_owned()]));
        assert!(two.reports(asking("South")).is_err());
        assert!(two.sees("East") && two.sees("North") && !two.sees("South"));
        assert!(!two.sees("North\nEast"), "the stored list is not a region");
    }
}
