//! Who is asking: bearer tokens for the API, sessions for the dashboard.

use chrono::{Duration, Utc};

use super::{Service, ServiceError};
use crate::auth::{generate_token, hash_token};
use crate::store::{Account, Role};

/// How long a dashboard sign-in lasts.
pub const SESSION_HOURS: i64 = 12;

impl Service {
    /// The account a bearer token belongs to, if any.
    pub async fn account_for_token(&self, token: &str) -> Result<Option<Account>, ServiceError> {
        let hash = hash_token(token);
        self.store_call(move |s| Ok(s.account_by_token_hash(&hash)?))
            .await
    }

    /// Exchanges a one-time enrolment code for a new observer token; `None` when the code is
    /// unknown, used or expired.
    pub async fn enrol(&self, code: String) -> Result<Option<(Account, String)>, ServiceError> {
        self.store_call(move |s| Ok(crate::enrolment::redeem(s, &code)?))
            .await
    }

    /// Signs a coordinator in to the dashboard: a new random session id (never the token),
    /// or `None` when the token is not a coordinator's.
    pub async fn sign_in(&self, token: &str) -> Result<Option<String>, ServiceError> {
        let Some(account) = self
            .account_for_token(token)
            .await?
            .filter(|a| a.role == Role::Coordinator)
        else {
            return Ok(None);
        };
        let session = generate_token();
        let hash = hash_token(&session);
        let expires = Utc::now() + Duration::hours(SESSION_HOURS);
        self.store_call(move |s| Ok(s.create_session(&hash, &account.id, expires)?))
            .await?;
        Ok(Some(session))
    }

    /// The coordinator signed in with this session id, if it is valid.
    pub async fn session(&self, session: &str) -> Result<Option<Account>, ServiceError> {
        let hash = hash_token(session);
        let account = self
            .store_call(move |s| Ok(s.session_account(&hash)?))
            .await?;
        Ok(account.filter(|a| a.role == Role::Coordinator))
    }

    pub async fn sign_out(&self, session: &str) -> Result<(), ServiceError> {
        let hash = hash_token(session);
        self.store_call(move |s| Ok(s.end_session(&hash)?)).await
    }
}
