//! Observer teams on PostgreSQL: the team import (accounts, contact details and enrolment
//! codes in one transaction), the team list and the follow-up call log.

use std::collections::HashMap;

use chrono::Utc;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{account_from_row, get, insert_accounts};
use crate::store::{Account, CallOutcome, CallRecord, NewCall, NewTeam, StoreError, Team};

pub(super) async fn import(
    tx: &deadpool_postgres::Transaction<'_>,
    teams: Vec<NewTeam>,
) -> Result<Vec<Account>, StoreError> {
    let accounts: Vec<_> = teams.iter().map(|t| t.account.clone()).collect();
    let created = insert_accounts(tx, &accounts).await?;
    let now = Utc::now();
    for (account, team) in created.iter().zip(&teams) {
        tx.execute(
            "INSERT INTO team_details (account_id, phone, stations) VALUES ($1, $2, $3)",
            &[&account.id, &team.phone, &team.stations.join("\n")],
        )
        .await?;
        tx.execute(
            "INSERT INTO enrolment_codes (code_hash, account_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)",
            &[&team.code_hash, &account.id, &now, &team.code_expires_at],
        )
        .await?;
    }
    Ok(created)
}

fn call_from_row(r: &Row) -> Result<CallRecord, StoreError> {
    let outcome: String = get(r, "outcome")?;
    Ok(CallRecord {
        team_id: get(r, "account_id")?,
        caller: get(r, "caller")?,
        at: get(r, "called_at")?,
        outcome: CallOutcome::parse(&outcome)
            .ok_or_else(|| StoreError::corrupt(format!("call outcome '{outcome}'")))?,
        note: get(r, "note")?,
    })
}

pub(super) async fn list(
    c: &impl GenericClient,
    only: Option<&[String]>,
) -> Result<Vec<Team>, StoreError> {
    let only: Option<Vec<String>> = only.map(<[String]>::to_vec);
    let mut last_calls: HashMap<String, CallRecord> = HashMap::new();
    for r in c
        .query(
            "SELECT DISTINCT ON (c.account_id)
                    c.account_id, au.name AS caller, c.called_at, c.outcome, c.note
             FROM team_calls c JOIN accounts au ON au.id = c.caller_id
             WHERE $1::text[] IS NULL OR c.account_id = ANY($1)
             ORDER BY c.account_id, c.called_at DESC, c.id DESC",
            &[&only],
        )
        .await?
    {
        let call = call_from_row(&r)?;
        last_calls.insert(call.team_id.clone(), call);
    }
    let found = c
        .query(
            "SELECT a.*, coalesce(d.phone, '') AS phone, coalesce(d.stations, '') AS stations, coalesce(d.client_version, '') AS client_version,
                    (SELECT count(*) FROM submissions s WHERE s.observer_id = a.id) AS checklists
             FROM accounts a LEFT JOIN team_details d ON d.account_id = a.id
             WHERE a.role = 'observer' AND ($1::text[] IS NULL OR a.id = ANY($1))
             ORDER BY a.name, a.id",
            &[&only],
        )
        .await?;
    let mut teams = Vec::with_capacity(found.len());
    for r in &found {
        let account = account_from_row(r)?;
        let stations: String = get(r, "stations")?;
        let checklists: i64 = get(r, "checklists")?;
        teams.push(Team {
            last_call: last_calls.remove(&account.id),
            client_version: get(r, "client_version")?,
            account,
            phone: get(r, "phone")?,
            stations: stations.lines().map(str::to_owned).collect(),
            checklists: u64::try_from(checklists).unwrap_or_default(),
            last_received_at: get(r, "last_received_at")?,
        });
    }
    Ok(teams)
}

pub(super) async fn record_call(
    tx: &impl GenericClient,
    call: &NewCall,
) -> Result<bool, StoreError> {
    Ok(tx
        .execute(
            "INSERT INTO team_calls (id, account_id, caller_id, called_at, outcome, note)
             SELECT $1, a.id, $3, $4, $5, $6 FROM accounts a
             WHERE a.id = $2 AND a.role = 'observer'",
            &[
                &call.id.to_string(),
                &call.team_id,
                &call.caller_id,
                &call.at,
                &call.outcome.as_str(),
                &call.note,
            ],
        )
        .await?
        == 1)
}

pub(super) async fn calls(
    c: &impl GenericClient,
    team_id: &str,
) -> Result<Vec<CallRecord>, StoreError> {
    let found = c
        .query(
            "SELECT c.account_id, au.name AS caller, c.called_at, c.outcome, c.note
             FROM team_calls c JOIN accounts au ON au.id = c.caller_id
             WHERE c.account_id = $1
             ORDER BY c.called_at DESC, c.id DESC",
            &[&team_id],
        )
        .await?;
    found.iter().map(call_from_row).collect()
}

pub(super) async fn note_client_version(
    tx: &impl GenericClient,
    account_id: &str,
    version: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO team_details (account_id, client_version)
         SELECT id, $2 FROM accounts WHERE id = $1
         ON CONFLICT (account_id) DO UPDATE SET client_version = excluded.client_version",
        &[&account_id, &version],
    )
    .await?;
    Ok(())
}
