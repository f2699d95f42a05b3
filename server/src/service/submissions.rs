//! Checklists for coordinators: listing, one checklist in full, reviews.

use eom_shared::SubmissionId;
use eom_shared::form::Form;
use eom_shared::sync::ReviewStatus;

use eom_shared::limits::MAX_COMMENT_CHARS;

use super::scope::Scope;
use super::{Service, ServiceError};
use crate::store::{NewReview, ReviewRecord, SubmissionDetail, SubmissionFilter, SubmissionPage};

/// Most checklists on one page of a listing.
pub const MAX_PER_PAGE: u32 = 500;

/// Longest search text.
pub const MAX_SEARCH_CHARS: usize = 100;

impl Service {
    /// Latest revisions, newest first, filtered; `page` counts from 1.
    /// `filter` narrowed to what `text` finds: stations whose code or name holds it, teams
    /// and regions whose name does, folding case and accents as people type ("шк" finds
    /// "Школа № 7"). Nothing found: no checklist matches.
    pub async fn searching(
        &self,
        mut filter: SubmissionFilter,
        text: Option<&str>,
    ) -> Result<SubmissionFilter, ServiceError> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(filter);
        };
        if text.chars().count() > MAX_SEARCH_CHARS {
            return Err(ServiceError::invalid(
                format!("the search is longer than {MAX_SEARCH_CHARS} characters"),
                "type part of a station's code or name, a team's or a region's name",
            ));
        }
        let needle = eom_shared::search::fold(text);
        let hits = self
            .store_call(move |s| {
                let found = |field: &str| eom_shared::search::fold(field).contains(&needle);
                let stations = s
                    .catalog_changes(0, "")?
                    .stations
                    .into_iter()
                    .filter(|st| found(st.code.as_str()) || found(&st.name))
                    .map(|st| st.code.to_string())
                    .collect();
                let observers = s
                    .list_accounts()?
                    .into_iter()
                    .filter(|a| a.role == crate::store::Role::Observer && found(&a.name))
                    .map(|a| a.id)
                    .collect();
                let regions = s.regions()?.into_iter().filter(|r| found(r)).collect();
                Ok(crate::store::SearchHits {
                    stations,
                    observers,
                    regions,
                })
            })
            .await?;
        filter.search = Some(hits);
        Ok(filter)
    }

    pub async fn list_submissions(
        &self,
        filter: SubmissionFilter,
        page: u32,
        per_page: u32,
    ) -> Result<SubmissionPage, ServiceError> {
        if page == 0 {
            return Err(ServiceError::invalid(
                "page numbers start at 1",
                "use page=1 for the first page",
            ));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(ServiceError::invalid(
                format!("per_page must be between 1 and {MAX_PER_PAGE}"),
                "leave it out for the default",
            ));
        }
        self.store_call(move |s| Ok(s.list_submissions(&filter, page, per_page)?))
            .await
    }

    /// Every revision of one checklist, its conflicts and reviews.
    pub async fn submission(
        &self,
        id: SubmissionId,
        scope: &Scope,
    ) -> Result<SubmissionDetail, ServiceError> {
        self.store_call(move |s| Ok(s.submission(id)?))
            .await?
            .filter(|d| scope.sees(&d.summary.region))
            .ok_or_else(|| Scope::hidden(id))
    }

    /// One checklist and the form of its latest revision (for labels), if still known.
    pub async fn submission_with_form(
        &self,
        id: SubmissionId,
        scope: &Scope,
    ) -> Result<(SubmissionDetail, Option<Form>), ServiceError> {
        let found = self
            .store_call(move |s| {
                let Some(detail) = s.submission(id)? else {
                    return Ok(None);
                };
                let (form_id, version) = detail
                    .revisions
                    .last()
                    .map_or((detail.summary.form_id.clone(), 0), |r| {
                        (r.form_id.clone(), r.form_version)
                    });
                let form = match s.form(&form_id, version)? {
                    Some(f) => Some(f),
                    None => s.latest_forms()?.into_iter().find(|f| f.id == form_id),
                };
                Ok(Some((detail, form)))
            })
            .await?;
        found
            .filter(|(d, _)| scope.sees(&d.summary.region))
            .ok_or_else(|| Scope::hidden(id))
    }

    /// Checks a review and records it: a flag or a rejection needs a comment, which the
    /// observer will see.
    pub async fn review(
        &self,
        reviewer_id: String,
        scope: &Scope,
        id: SubmissionId,
        status: &str,
        comment: &str,
    ) -> Result<Vec<ReviewRecord>, ServiceError> {
        if !scope.is_all() {
            // Out of view is the same as unknown, before anything is checked or written.
            self.submission(id, scope).await?;
        }
        let status = ReviewStatus::parse(status.trim()).ok_or_else(|| {
            ServiceError::invalid(
                format!("'{status}' is not a review status"),
                "use verified, flagged, rejected, or none to withdraw a review",
            )
        })?;
        let comment = comment.trim().to_owned();
        let length = comment.chars().count();
        if length > MAX_COMMENT_CHARS {
            return Err(ServiceError::invalid(
                format!(
                    "the comment is {length} characters long; at most {MAX_COMMENT_CHARS} are kept"
                ),
                "shorten the comment; the observer reads it on a laptop",
            ));
        }
        if matches!(status, ReviewStatus::Flagged | ReviewStatus::Rejected) && comment.is_empty() {
            return Err(ServiceError::invalid(
                format!("a checklist marked {} needs a comment", status.as_str()),
                "say what the observer should check or why it is left out; they will see it",
            ));
        }
        let review = NewReview {
            submission_id: id,
            status,
            comment,
            reviewer_id,
        };
        self.store_call(move |s| Ok(s.review(review)?))
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no checklist with id {id}")))
    }
}
