//! Coordinators' messages to observer teams, and who has read them, on PostgreSQL.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::{get, parsed, rows};
use crate::store::{
    ADDRESSED, Audience, InboxMessage, NewMessage, RECIPIENTS, SentMessage, StoreError,
};

pub(super) async fn create(tx: &impl GenericClient, m: &NewMessage) -> Result<(), StoreError> {
    let (audience, target) = m.audience.stored();
    tx.execute(
        "INSERT INTO messages (id, author_id, audience, target, body, sent_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &m.id.to_string(),
            &m.author_id,
            &audience,
            &target,
            &m.body,
            &m.sent_at,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn inbox(
    c: &impl GenericClient,
    account_id: &str,
    limit: u32,
) -> Result<Vec<InboxMessage>, StoreError> {
    let found = c
        .query(
            &format!(
                "SELECT m.id, au.name AS author, m.body, m.sent_at
                 FROM messages m JOIN accounts au ON au.id = m.author_id, accounts a
                 WHERE a.id = $1 AND {ADDRESSED}
                 ORDER BY m.sent_at DESC, m.id DESC LIMIT $2"
            ),
            &[&account_id, &i64::from(limit)],
        )
        .await?;
    rows(found, |r| {
        Ok(InboxMessage {
            id: parsed(r, "id", Uuid::parse_str)?,
            from: get(r, "author")?,
            body: get(r, "body")?,
            sent_at: get(r, "sent_at")?,
        })
    })
}

pub(super) async fn mark_read(
    tx: &impl GenericClient,
    account_id: &str,
    ids: &[Uuid],
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    Ok(tx
        .execute(
            &format!(
                "INSERT INTO message_reads (message_id, account_id, read_at)
                 SELECT m.id, a.id, $3 FROM messages m, accounts a
                 WHERE m.id = ANY($1) AND a.id = $2 AND {ADDRESSED}
                 ON CONFLICT DO NOTHING"
            ),
            &[&ids, &account_id, &at],
        )
        .await?)
}

pub(super) async fn sent(
    c: &impl GenericClient,
    limit: u32,
) -> Result<Vec<SentMessage>, StoreError> {
    let limit = i64::from(limit);
    let found = c
        .query(
            &format!(
                "SELECT m.id, m.audience, m.target, m.body, m.sent_at, au.name AS author,
                        t.name AS team_name, t.region AS team_region, {RECIPIENTS} AS recipients
                 FROM messages m JOIN accounts au ON au.id = m.author_id
                 LEFT JOIN accounts t ON m.audience = 'team' AND t.id = m.target
                 ORDER BY m.sent_at DESC, m.id DESC LIMIT $1"
            ),
            &[&limit],
        )
        .await?;
    let mut messages = rows(found, |r| {
        let audience: String = get(r, "audience")?;
        let target: String = get(r, "target")?;
        let team_name: Option<String> = get(r, "team_name")?;
        let recipients: i64 = get(r, "recipients")?;
        Ok(SentMessage {
            id: parsed(r, "id", Uuid::parse_str)?,
            from: get(r, "author")?,
            audience: Audience::from_stored(&audience, &target)?,
            team: match team_name {
                Some(name) => Some((name, get(r, "team_region")?)),
                None => None,
            },
            body: get(r, "body")?,
            sent_at: get(r, "sent_at")?,
            recipients: u64::try_from(recipients).unwrap_or_default(),
            read_by: Vec::new(),
        })
    })?;
    let reads = c
        .query(
            "SELECT r.message_id, a.name, r.read_at
             FROM message_reads r JOIN accounts a ON a.id = r.account_id
             WHERE r.message_id IN (SELECT id FROM messages
                                    ORDER BY sent_at DESC, id DESC LIMIT $1)
             ORDER BY r.read_at, a.name",
            &[&limit],
        )
        .await?;
    for r in &reads {
        let id = parsed(r, "message_id", Uuid::parse_str)?;
        if let Some(m) = messages.iter_mut().find(|m| m.id == id) {
            m.read_by.push((get(r, "name")?, get(r, "read_at")?));
        }
    }
    Ok(messages)
}
