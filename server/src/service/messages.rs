//! Messages from coordinators to observer teams: to every team, a region's teams, or one
//! team. Laptops receive them on pull and report when they have shown them, so coordinators
//! see who has read what. A regional coordinator writes only to its regions' teams and sees
//! only the messages addressed within them (and those to every team).

use chrono::Utc;
use eom_shared::sync::TeamMessage;
use uuid::Uuid;

use super::scope::Scope;
use super::{Service, ServiceError};
use crate::store::{Account, Audience, NewMessage, Role, SentMessage};

/// Longest message, in characters: a message is read on a laptop between two stations.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Messages a pull carries (the newest).
pub const INBOX_LIMIT: u32 = 100;
/// Messages the coordinators' list shows (the newest).
pub const SENT_LIMIT: u32 = 200;
/// Read reports taken in one request.
pub const MAX_READ_IDS: usize = 500;

/// Who a coordinator asked to write to, as given: a region's name, a team's account id, or
/// neither (every team).
#[derive(Debug, Clone, Default)]
pub struct Addressee {
    pub region: Option<String>,
    pub team: Option<String>,
}

/// The text of a message, checked: not empty, not too long, no control characters but line
/// breaks and tabs.
pub fn message_body(raw: &str) -> Result<String, ServiceError> {
    let body = raw.trim().replace("\r\n", "\n");
    if body.is_empty() {
        return Err(ServiceError::invalid(
            "the message is empty",
            "write what the teams should know or do",
        ));
    }
    if body.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ServiceError::invalid(
            format!("the message is longer than {MAX_MESSAGE_CHARS} characters"),
            "shorten it, or send it as two messages",
        ));
    }
    if let Some(bad) = body
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(ServiceError::invalid(
            format!("the message holds the control character {bad:?}"),
            "send plain text",
        ));
    }
    Ok(body)
}

/// Whether a coordinator with `scope` sees a message.
fn in_view(scope: &Scope, message: &SentMessage) -> bool {
    match &message.audience {
        Audience::All => true,
        Audience::Region(region) => scope.sees(region),
        Audience::Team(_) => {
            message
                .team
                .as_ref()
                .and_then(|(_, region)| region.as_deref())
                .is_some_and(|region| scope.sees(region))
                || scope.is_all()
        }
    }
}

impl Service {
    /// Sends a message from `author` (a coordinator) and returns it as the list shows it.
    pub async fn send_message(
        &self,
        author: Account,
        to: Addressee,
        body: &str,
    ) -> Result<SentMessage, ServiceError> {
        let body = message_body(body)?;
        let scope = Scope::of(&author);
        let region = to
            .region
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        let team = to
            .team
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        let id = Uuid::now_v7();
        self.store_call(move |s| {
            let audience = match (region, team) {
                (Some(_), Some(_)) => {
                    return Err(ServiceError::invalid(
                        "a message goes to a region or to one team, not both",
                        "give either 'region' or 'team'",
                    ));
                }
                (None, None) if !scope.is_all() => {
                    return Err(ServiceError::invalid(
                        "a regional coordinator writes to the teams of its regions",
                        "choose one of your regions, or one team",
                    ));
                }
                (None, None) => Audience::All,
                (Some(region), None) => {
                    if !scope.sees(&region) {
                        return Err(ServiceError::NotFound(format!(
                            "there is no region '{region}' in your view"
                        )));
                    }
                    let regions = s.regions()?;
                    if !regions.contains(&region) {
                        return Err(ServiceError::invalid(
                            format!("there is no region '{region}' in the station list"),
                            format!("choose one of: {}", regions.join(", ")),
                        ));
                    }
                    Audience::Region(region)
                }
                (None, Some(team)) => {
                    let account = s
                        .list_accounts()?
                        .into_iter()
                        .find(|a| a.id == team && a.role == Role::Observer)
                        .filter(|a| a.regions().iter().any(|r| scope.sees(r)) || scope.is_all());
                    match account {
                        Some(a) => Audience::Team(a.id),
                        None => {
                            return Err(ServiceError::NotFound(format!(
                                "there is no observer team with id '{team}'"
                            )));
                        }
                    }
                }
            };
            s.create_message(&NewMessage {
                id,
                author_id: author.id.clone(),
                audience,
                body,
                sent_at: Utc::now(),
            })?;
            s.sent_messages(SENT_LIMIT)?
                .into_iter()
                .find(|m| m.id == id)
                .ok_or_else(|| ServiceError::Stopped("the message just stored is not there".into()))
        })
        .await
    }

    /// The messages a coordinator sees, newest first, with who has read them.
    pub async fn sent_messages(
        &self,
        coordinator: Account,
    ) -> Result<Vec<SentMessage>, ServiceError> {
        let scope = Scope::of(&coordinator);
        let all = self
            .store_call(|s| Ok(s.sent_messages(SENT_LIMIT)?))
            .await?;
        Ok(all.into_iter().filter(|m| in_view(&scope, m)).collect())
    }

    /// The messages addressed to an observer team, newest first.
    pub async fn inbox(&self, observer: &Account) -> Result<Vec<TeamMessage>, ServiceError> {
        let id = observer.id.clone();
        let found = self
            .store_call(move |s| Ok(s.inbox(&id, INBOX_LIMIT)?))
            .await?;
        Ok(found
            .into_iter()
            .map(|m| TeamMessage {
                id: m.id,
                from: m.from,
                body: m.body,
                sent_at: m.sent_at,
            })
            .collect())
    }

    /// Records that an observer's laptop showed these messages.
    pub async fn messages_read(
        &self,
        observer: Account,
        ids: Vec<Uuid>,
    ) -> Result<u64, ServiceError> {
        if ids.len() > MAX_READ_IDS {
            return Err(ServiceError::invalid(
                format!("more than {MAX_READ_IDS} messages in one report"),
                "send them in several requests",
            ));
        }
        self.store_call(move |s| Ok(s.mark_messages_read(&observer.id, &ids, Utc::now())?))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_plain_text_of_reasonable_length() {
        assert_eq!(
            message_body("  Polls close at 20:00.\r\nCall in. ").expect("fine"),
            "Polls close at 20:00.\nCall in."
        );
        assert!(message_body("   ").is_err());
        assert!(message_body(&"x".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
        assert!(message_body(&"ы".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert!(message_body("bell\u{7}").is_err());
    }
}
