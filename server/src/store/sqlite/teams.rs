//! Observer teams in SQLite: the team import (accounts, contact details and enrolment codes in
//! one transaction), the team list and the follow-up call log.

use std::collections::HashMap;

use chrono::Utc;
use rusqlite::{Connection, Transaction, params};

use super::columns::{get, optional_time, time, time_text};
use super::{account_from_row, insert_accounts};
use crate::store::{Account, CallOutcome, CallRecord, NewCall, NewTeam, StoreError, Team};

pub(super) fn import(
    tx: &Transaction<'_>,
    teams: Vec<NewTeam>,
) -> Result<Vec<Account>, StoreError> {
    let mut details = Vec::with_capacity(teams.len());
    let mut accounts = Vec::with_capacity(teams.len());
    for team in teams {
        details.push((
            team.phone,
            team.stations,
            team.code_hash,
            team.code_expires_at,
        ));
        accounts.push(team.account);
    }
    let created = insert_accounts(tx, accounts)?;
    let now = time_text(Utc::now());
    let mut contact = tx.prepare_cached(
        "INSERT INTO team_details (account_id, phone, stations) VALUES (?1, ?2, ?3)",
    )?;
    let mut code = tx.prepare_cached(
        "INSERT INTO enrolment_codes (code_hash, account_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (account, (phone, stations, code_hash, expires)) in created.iter().zip(details) {
        contact.execute(params![account.id, phone, stations.join("\n")])?;
        code.execute(params![code_hash, account.id, now, time_text(expires)])?;
    }
    Ok(created)
}

fn outcome(raw: &str) -> Result<CallOutcome, StoreError> {
    CallOutcome::parse(raw).ok_or_else(|| StoreError::corrupt(format!("call outcome '{raw}'")))
}

fn call_from_row(r: &rusqlite::Row<'_>) -> Result<CallRecord, StoreError> {
    Ok(CallRecord {
        team_id: get(r, "account_id")?,
        caller: get(r, "caller")?,
        at: time(r, "called_at")?,
        outcome: outcome(&get::<String>(r, "outcome")?)?,
        note: get(r, "note")?,
    })
}

pub(super) fn list(c: &Connection, only: Option<&[String]>) -> Result<Vec<Team>, StoreError> {
    let only = only.map(|ids| serde_json::Value::from(ids.to_vec()).to_string());
    let mut last_calls: HashMap<String, CallRecord> = HashMap::new();
    let mut stmt = c.prepare_cached(
        "SELECT c.account_id, au.name AS caller, c.called_at, c.outcome, c.note
         FROM team_calls c JOIN accounts au ON au.id = c.caller_id
         WHERE ?1 IS NULL OR c.account_id IN (SELECT value FROM json_each(?1))
         ORDER BY c.called_at, c.id",
    )?;
    let mut rows = stmt.query([&only])?;
    while let Some(r) = rows.next()? {
        let call = call_from_row(r)?;
        last_calls.insert(call.team_id.clone(), call);
    }
    let mut stmt = c.prepare_cached(
        "SELECT a.*, coalesce(d.phone, '') AS phone, coalesce(d.stations, '') AS stations, coalesce(d.client_version, '') AS client_version,
                (SELECT count(*) FROM submissions s WHERE s.observer_id = a.id) AS checklists
         FROM accounts a LEFT JOIN team_details d ON d.account_id = a.id
         WHERE a.role = 'observer'
           AND (?1 IS NULL OR a.id IN (SELECT value FROM json_each(?1)))
         ORDER BY a.name, a.id",
    )?;
    let mut rows = stmt.query([&only])?;
    let mut teams = Vec::new();
    while let Some(r) = rows.next()? {
        let account = account_from_row(r)?;
        let stations: String = get(r, "stations")?;
        teams.push(Team {
            last_call: last_calls.remove(&account.id),
            client_version: get(r, "client_version")?,
            account,
            phone: get(r, "phone")?,
            stations: stations.lines().map(str::to_owned).collect(),
            checklists: get::<i64>(r, "checklists")?.max(0) as u64,
            last_received_at: optional_time(r, "last_received_at")?,
        });
    }
    Ok(teams)
}

pub(super) fn record_call(tx: &Connection, call: &NewCall) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "INSERT INTO team_calls (id, account_id, caller_id, called_at, outcome, note)
         SELECT ?1, a.id, ?3, ?4, ?5, ?6 FROM accounts a WHERE a.id = ?2 AND a.role = 'observer'",
        params![
            call.id.to_string(),
            call.team_id,
            call.caller_id,
            time_text(call.at),
            call.outcome.as_str(),
            call.note
        ],
    )? == 1)
}

pub(super) fn calls(c: &Connection, team_id: &str) -> Result<Vec<CallRecord>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT c.account_id, au.name AS caller, c.called_at, c.outcome, c.note
         FROM team_calls c JOIN accounts au ON au.id = c.caller_id
         WHERE c.account_id = ?1
         ORDER BY c.called_at DESC, c.id DESC",
    )?;
    let mut rows = stmt.query([team_id])?;
    let mut found = Vec::new();
    while let Some(r) = rows.next()? {
        found.push(call_from_row(r)?);
    }
    Ok(found)
}

pub(super) fn note_client_version(
    tx: &Transaction<'_>,
    account_id: &str,
    version: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO team_details (account_id, client_version)
         SELECT id, ?2 FROM accounts WHERE id = ?1
         ON CONFLICT (account_id) DO UPDATE SET client_version = excluded.client_version",
        params![account_id, version],
    )?;
    Ok(())
}
