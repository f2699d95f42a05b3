//! Following the observer teams up: the team list with contacts and last contact, the call
//! log kept per team (NDI Apollo users asked for exactly that), and new enrolment codes. A
//! regional coordinator sees and logs calls for its regions' teams only; another team is
//! answered as if it did not exist.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::scope::Scope;
use super::{Service, ServiceError};
use crate::store::{Account, CallOutcome, CallRecord, NewCall, Team};

/// Longest note on a call.
pub const MAX_NOTE_CHARS: usize = 1000;

/// How long a team has been silent: whole minutes since its last checklist arrived, `None`
/// when none ever did.
pub fn silent_minutes(last_received_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<i64> {
    last_received_at.map(|t| (now - t).num_minutes().max(0))
}

fn in_view(scope: &Scope, team: &Account) -> bool {
    scope.is_all() || team.regions().iter().any(|r| scope.sees(r))
}

fn no_team(id: &str) -> ServiceError {
    ServiceError::NotFound(format!("there is no observer team with id '{id}'"))
}

impl Service {
    /// The teams a coordinator sees, by name.
    pub async fn teams(&self, viewer: &Account) -> Result<Vec<Team>, ServiceError> {
        let scope = Scope::of(viewer);
        let teams = self.store_call(|s| Ok(s.teams(None)?)).await?;
        Ok(teams
            .into_iter()
            .filter(|t| in_view(&scope, &t.account))
            .collect())
    }

    /// Some teams (those of `ids` the viewer sees), for the silent-teams list.
    pub async fn teams_by_id(
        &self,
        viewer: &Account,
        ids: Vec<String>,
    ) -> Result<Vec<Team>, ServiceError> {
        let scope = Scope::of(viewer);
        let teams = self.store_call(move |s| Ok(s.teams(Some(&ids))?)).await?;
        Ok(teams
            .into_iter()
            .filter(|t| in_view(&scope, &t.account))
            .collect())
    }

    /// One team and its calls, latest first.
    pub async fn team(
        &self,
        viewer: &Account,
        id: String,
    ) -> Result<(Team, Vec<CallRecord>), ServiceError> {
        let scope = Scope::of(viewer);
        self.store_call(move |s| {
            let team = s
                .teams(Some(std::slice::from_ref(&id)))?
                .into_iter()
                .find(|t| in_view(&scope, &t.account))
                .ok_or_else(|| no_team(&id))?;
            let calls = s.calls(&id)?;
            Ok((team, calls))
        })
        .await
    }

    /// Logs a follow-up call by `caller` to a team.
    pub async fn record_call(
        &self,
        caller: &Account,
        team_id: String,
        outcome: &str,
        note: &str,
    ) -> Result<(), ServiceError> {
        let outcome = CallOutcome::parse(outcome).ok_or_else(|| {
            ServiceError::invalid(
                format!("'{outcome}' is not an outcome of a call"),
                "use reached, no_answer or problem",
            )
        })?;
        let note = note.trim().to_owned();
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(ServiceError::invalid(
                format!("the note is longer than {MAX_NOTE_CHARS} characters"),
                "shorten it",
            ));
        }
        if let Some(bad) = note
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        {
            return Err(ServiceError::invalid(
                format!("the note holds the control character {bad:?}"),
                "write plain text",
            ));
        }
        // The team must be in the caller's view (a regional coordinator calls its own).
        self.team(caller, team_id.clone()).await?;
        let call = NewCall {
            id: Uuid::now_v7(),
            team_id: team_id.clone(),
            caller_id: caller.id.clone(),
            at: Utc::now(),
            outcome,
            note,
        };
        let recorded = self.store_call(move |s| Ok(s.record_call(&call)?)).await?;
        if recorded {
            Ok(())
        } else {
            Err(no_team(&team_id))
        }
    }

    /// A new one-time enrolment code for a team (administrators): the code and its expiry.
    pub async fn new_enrolment_code(
        &self,
        team_id: String,
    ) -> Result<(String, DateTime<Utc>), ServiceError> {
        self.store_call(move |s| {
            let known = s.teams(Some(std::slice::from_ref(&team_id)))?;
            if known.is_empty() {
                return Err(no_team(&team_id));
            }
            Ok(crate::enrolment::issue(
                s,
                &team_id,
                crate::enrolment::DEFAULT_VALID_HOURS,
            )?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn silence_is_counted_in_whole_minutes_and_never_is_none() {
        let now = Utc
            .with_ymd_and_hms(2026, 3, 19, 15, 0, 0)
            .single()
            .expect("time");
        let before = Utc
            .with_ymd_and_hms(2026, 3, 19, 11, 39, 30)
            .single()
            .expect("time");
        assert_eq!(silent_minutes(Some(before), now), Some(200));
        assert_eq!(silent_minutes(None, now), None);
        assert_eq!(
            silent_minutes(Some(now + chrono::Duration::minutes(3)), now),
            Some(0)
        );
    }
}
