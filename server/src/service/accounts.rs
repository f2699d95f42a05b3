//! Who is asking: bearer tokens for the API, sessions for the dashboard.

use chrono::{Duration, Utc};

use super::{Service, ServiceError};
use crate::auth::{generate_token, hash_token};
use crate::store::Account;

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
            .filter(|a| a.role.coordinates())
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
        Ok(account.filter(|a| a.role.coordinates()))
    }

    pub async fn sign_out(&self, session: &str) -> Result<(), ServiceError> {
        let hash = hash_token(session);
        self.store_call(move |s| Ok(s.end_session(&hash)?)).await
    }
}

/// A new account as the API shows it: its token and (for an observer) a one-time enrolment
/// code, both shown once.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CreatedView {
    pub id: String,
    pub name: String,
    pub role: &'static str,
    /// The account's region when it has exactly one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Every region of the account (a coordinator sees only these; none: the whole mission).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    pub token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrolment_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrolment_code_expires_at: Option<chrono::DateTime<Utc>>,
}

impl Service {
    /// Every account (administrators manage them).
    pub async fn accounts(&self) -> Result<Vec<Account>, ServiceError> {
        self.store_call(|s| Ok(s.list_accounts()?)).await
    }

    /// Creates an observer or coordinator account; `by` is the administrator's account id,
    /// for the audit log. Administrators are made only on the command line, so a stolen
    /// administrator token cannot make more of them.
    pub async fn add_account(
        &self,
        by: String,
        name: String,
        role: &str,
        regions: Vec<String>,
    ) -> Result<CreatedView, ServiceError> {
        let role = match crate::store::Role::parse(role.trim()) {
            Some(r @ (crate::store::Role::Observer | crate::store::Role::Coordinator)) => r,
            _ => {
                return Err(ServiceError::invalid(
                    format!("'{role}' is not a role the API creates"),
                    "use observer or coordinator; administrators are made with 'eom-server admin add'",
                ));
            }
        };
        // Names and regions are checked by `admin::create_account`, for the command line too.
        self.store_call(move |s| {
            let created = crate::admin::create_account(s, &name, role, &regions, &by)?;
            let code = if role == crate::store::Role::Observer {
                Some(crate::enrolment::issue(
                    s,
                    &created.account.id,
                    crate::enrolment::DEFAULT_VALID_HOURS,
                )?)
            } else {
                None
            };
            Ok(CreatedView {
                region: created.account.only_region(),
                regions: created.account.regions(),
                id: created.account.id,
                name: created.account.name,
                role: role.as_str(),
                token: created.token,
                enrolment_code: code.as_ref().map(|(c, _)| c.clone()),
                enrolment_code_expires_at: code.map(|(_, e)| e),
            })
        })
        .await
    }

    /// Revokes an account's token at once; with `new_token`, returns its replacement. `by`:
    /// the administrator's account id, for the audit log.
    pub async fn revoke(
        &self,
        by: String,
        id: String,
        new_token: bool,
    ) -> Result<Option<String>, ServiceError> {
        self.store_call(
            move |s| match crate::admin::replace_token(s, &id, new_token, &by) {
                Ok(token) => Ok(token),
                Err(crate::store::StoreError::Invalid(_)) => Err(ServiceError::NotFound(format!(
                    "there is no account with id '{id}'"
                ))),
                Err(e) => Err(e.into()),
            },
        )
        .await
    }
}
