//! Coordinators' messages to observer teams, and who has read them, in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};
use uuid::Uuid;

use super::columns::{get, parsed, time, time_text};
use crate::store::{
    ADDRESSED, Audience, InboxMessage, NewMessage, RECIPIENTS, SentMessage, StoreError,
};

pub(super) fn create(tx: &Connection, m: &NewMessage) -> Result<(), StoreError> {
    let (audience, target) = m.audience.stored();
    tx.execute(
        "INSERT INTO messages (id, author_id, audience, target, body, sent_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            m.id.to_string(),
            m.author_id,
            audience,
            target,
            m.body,
            time_text(m.sent_at)
        ],
    )?;
    Ok(())
}

pub(super) fn inbox(
    c: &Connection,
    account_id: &str,
    limit: u32,
) -> Result<Vec<InboxMessage>, StoreError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT m.id, au.name AS author, m.body, m.sent_at
         FROM messages m JOIN accounts au ON au.id = m.author_id, accounts a
         WHERE a.id = ?1 AND {ADDRESSED}
         ORDER BY m.sent_at DESC, m.id DESC LIMIT ?2"
    ))?;
    let mut rows = stmt.query(params![account_id, limit])?;
    let mut found = Vec::new();
    while let Some(r) = rows.next()? {
        found.push(InboxMessage {
            id: parsed(r, "id", Uuid::parse_str)?,
            from: get(r, "author")?,
            body: get(r, "body")?,
            sent_at: time(r, "sent_at")?,
        });
    }
    Ok(found)
}

pub(super) fn mark_read(
    tx: &Transaction<'_>,
    account_id: &str,
    ids: &[Uuid],
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT INTO message_reads (message_id, account_id, read_at)
         SELECT m.id, a.id, ?3 FROM messages m, accounts a
         WHERE m.id = ?1 AND a.id = ?2 AND {ADDRESSED}
         ON CONFLICT DO NOTHING"
    ))?;
    let mut marked = 0;
    for id in ids {
        marked += stmt.execute(params![id.to_string(), account_id, time_text(at)])? as u64;
    }
    Ok(marked)
}

pub(super) fn sent(c: &Connection, limit: u32) -> Result<Vec<SentMessage>, StoreError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT m.id, m.audience, m.target, m.body, m.sent_at, au.name AS author,
                t.name AS team_name, t.region AS team_region, {RECIPIENTS} AS recipients
         FROM messages m JOIN accounts au ON au.id = m.author_id
         LEFT JOIN accounts t ON m.audience = 'team' AND t.id = m.target
         ORDER BY m.sent_at DESC, m.id DESC LIMIT ?1"
    ))?;
    let mut rows = stmt.query(params![limit])?;
    let mut found = Vec::new();
    while let Some(r) = rows.next()? {
        let audience: String = get(r, "audience")?;
        let target: String = get(r, "target")?;
        let team_name: Option<String> = get(r, "team_name")?;
        found.push(SentMessage {
            id: parsed(r, "id", Uuid::parse_str)?,
            from: get(r, "author")?,
            audience: Audience::from_stored(&audience, &target)?,
            team: team_name
                .map(|n| Ok::<_, StoreError>((n, get(r, "team_region")?)))
                .transpose()?,
            body: get(r, "body")?,
            sent_at: time(r, "sent_at")?,
            recipients: get::<i64>(r, "recipients")?.max(0) as u64,
            read_by: Vec::new(),
        });
    }
    let mut reads = c.prepare_cached(
        "SELECT r.message_id, a.name, r.read_at
         FROM message_reads r JOIN accounts a ON a.id = r.account_id
         WHERE r.message_id IN (SELECT id FROM messages ORDER BY sent_at DESC, id DESC LIMIT ?1)
         ORDER BY r.read_at, a.name",
    )?;
    let mut rows = reads.query(params![limit])?;
    while let Some(r) = rows.next()? {
        let id = parsed(r, "message_id", Uuid::parse_str)?;
        if let Some(m) = found.iter_mut().find(|m| m.id == id) {
            m.read_by.push((get(r, "name")?, time(r, "read_at")?));
        }
    }
    Ok(found)
}
