//! Coordinators' messages on the laptop: saved as pulled, shown unread first, and the reads
//! reported to the server at the next sync (so a coordinator sees who has read what, and the
//! laptop needs no connection to show them).

use chrono::{DateTime, Utc};
use eom_shared::sync::TeamMessage;
use rusqlite::params;
use serde::Serialize;
use uuid::Uuid;

use super::{LocalStore, StoreError, now_text};

/// A message as the laptop keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalMessage {
    pub id: Uuid,
    pub from: String,
    pub body: String,
    pub sent_at: DateTime<Utc>,
    /// When this laptop first showed it; `None`: unread.
    pub read_at: Option<DateTime<Utc>>,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Database(format!("'{text}' is not a time")))
}

impl LocalStore {
    /// Saves pulled messages; returns how many are new on this laptop.
    pub fn save_messages(&mut self, messages: &[TeamMessage]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        {
            let mut insert = tx.prepare(
                "INSERT INTO messages (id, sender, body, sent_at, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
            )?;
            let now = now_text();
            for m in messages {
                added += insert.execute(params![
                    m.id.to_string(),
                    m.from,
                    m.body,
                    m.sent_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    now
                ])?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Every message: unread first, then the newest first.
    pub fn messages(&self) -> Result<Vec<LocalMessage>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, sender, body, sent_at, read_at FROM messages
             ORDER BY read_at IS NOT NULL, sent_at DESC, id DESC",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, from, body, sent_at, read_at)| {
                Ok(LocalMessage {
                    id: Uuid::parse_str(&id)
                        .map_err(|_| StoreError::Database(format!("'{id}' is not a message id")))?,
                    from,
                    body,
                    sent_at: parse_time(&sent_at)?,
                    read_at: read_at.as_deref().map(parse_time).transpose()?,
                })
            })
            .collect()
    }

    /// How many messages the observer has not been shown yet.
    pub fn unread_messages(&self) -> Result<usize, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM messages WHERE read_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// Marks every unread message as shown now; returns how many were unread.
    pub fn mark_all_read(&mut self) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE messages SET read_at = ?1 WHERE read_at IS NULL",
            [now_text()],
        )?)
    }

    /// Messages shown here that the server has not been told about.
    pub fn unreported_reads(&self) -> Result<Vec<Uuid>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id FROM messages WHERE read_at IS NOT NULL AND read_reported = 0
             ORDER BY read_at LIMIT 500",
        )?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect())
    }

    pub fn reads_reported(&mut self, ids: &[Uuid]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for id in ids {
            tx.execute(
                "UPDATE messages SET read_reported = 1 WHERE id = ?1",
                [id.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
