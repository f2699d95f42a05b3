//! What a coordinator may see. A coordinator account with a region sees only that region's
//! checklists, figures, exports and dashboard pages; asking for anything else is answered as
//! if it did not exist (404), so a regional account learns nothing about other regions.
//! Administrators and coordinators without a region see the whole mission.

use eom_shared::SubmissionId;

use super::ServiceError;
use crate::store::{Account, ReportFilter, Role, SubmissionFilter};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Region(String),
}

impl Scope {
    pub fn of(account: &Account) -> Self {
        match (&account.role, &account.region) {
            (Role::Coordinator, Some(region)) => Scope::Region(region.clone()),
            _ => Scope::All,
        }
    }

    pub fn is_all(&self) -> bool {
        matches!(self, Scope::All)
    }

    /// Whether a checklist of `region` is in view.
    pub fn sees(&self, region: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Region(own) => own == region,
        }
    }

    /// The region a filter may name: none (then the scope's own) or one in view.
    fn region(&self, asked: Option<String>) -> Result<Option<String>, ServiceError> {
        match (self, asked) {
            (Scope::All, asked) => Ok(asked),
            (Scope::Region(own), None) => Ok(Some(own.clone())),
            (Scope::Region(own), Some(asked)) if &asked == own => Ok(Some(asked)),
            (Scope::Region(_), Some(asked)) => Err(not_found_region(&asked)),
        }
    }

    pub fn reports(&self, filter: ReportFilter) -> Result<ReportFilter, ServiceError> {
        Ok(ReportFilter {
            region: self.region(filter.region)?,
            ..filter
        })
    }

    pub fn submissions(&self, filter: SubmissionFilter) -> Result<SubmissionFilter, ServiceError> {
        Ok(SubmissionFilter {
            region: self.region(filter.region)?,
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

    fn account(role: Role, region: Option<&str>) -> Account {
        Account {
            id: "a".into(),
            name: "A".into(),
            role,
            region: region.map(str::to_owned),
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_regional_coordinator_is_held_to_its_region() {
        let north = Scope::of(&account(Role::Coordinator, Some("North")));
        assert_eq!(north, Scope::Region("North".into()));
        let f = north.reports(ReportFilter::default()).expect("own region");
        assert_eq!(f.region.as_deref(), Some("North"));
        assert!(
            north
                .reports(ReportFilter {
                    region: Some("South".into()),
                    ..ReportFilter::default()
                })
                .is_err()
        );
        assert!(north.sees("North") && !north.sees("South"));
        assert!(north.require_all().is_err());
        assert_eq!(Scope::of(&account(Role::Coordinator, None)), Scope::All);
        assert_eq!(Scope::of(&account(Role::Admin, Some("North"))), Scope::All);
    }
}
