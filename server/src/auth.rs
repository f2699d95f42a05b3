//! Bearer tokens: random, shown once, stored only as a SHA-256 hash.
//!
//! Tokens carry 256 bits of randomness, so a fast hash is enough: there is nothing to brute
//! force, and checking a token costs one indexed lookup.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::RngCore;

use crate::error::ApiError;
use crate::service::Service;
use crate::service::scope::Scope;
use crate::store::{Account, Role};

const TOKEN_PREFIX: &str = "eom_";

/// A new random token (256 bits, hex) to hand to the account's owner once.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

pub fn hash_token(token: &str) -> String {
    eom_shared::sha256_hex(token.trim().as_bytes())
}

async fn authenticate(parts: &Parts, service: &Service) -> Result<Account, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("no Authorization header".into()))?;
    let token = header.to_str().ok().and_then(bearer_token).ok_or_else(|| {
        ApiError::Unauthorized("the Authorization header must be 'Bearer <token>'".into())
    })?;
    let account = service
        .account_for_token(token)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("this token is not known to the server".into()))?;
    service.limits.request(&account.id)?;
    Ok(account)
}

/// The token of an `Authorization: Bearer <token>` value; the scheme's case does not matter
/// (RFC 9110 section 11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// An authenticated observer: may push and pull.
pub struct Observer(pub Account);

/// An authenticated coordinator or administrator: may read submissions and reports (within
/// its scope), may not push.
pub struct Coordinator(pub Account);

impl FromRequestParts<Service> for Observer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, service: &Service) -> Result<Self, ApiError> {
        let account = authenticate(parts, service).await?;
        match account.role {
            Role::Observer => Ok(Observer(account)),
            Role::Coordinator | Role::Admin => Err(ApiError::Forbidden(
                "coordinator tokens cannot push or pull checklists; use an observer token".into(),
            )),
        }
    }
}

impl FromRequestParts<Service> for Coordinator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, service: &Service) -> Result<Self, ApiError> {
        let account = authenticate(parts, service).await?;
        match account.role {
            Role::Coordinator | Role::Admin => Ok(Coordinator(account)),
            Role::Observer => Err(ApiError::Forbidden(
                "this endpoint is for coordinators; an observer token may only push and pull"
                    .into(),
            )),
        }
    }
}

impl Coordinator {
    /// What this coordinator may see: one region, or the whole mission.
    pub fn scope(&self) -> Scope {
        Scope::of(&self.0)
    }
}

/// An authenticated administrator: manages accounts (and sees what coordinators see).
pub struct Admin(pub Account);

impl FromRequestParts<Service> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, service: &Service) -> Result<Self, ApiError> {
        let account = authenticate(parts, service).await?;
        match account.role {
            Role::Admin => Ok(Admin(account)),
            Role::Coordinator | Role::Observer => Err(ApiError::Forbidden(
                "only an administrator's token manages accounts ('eom-server admin add')".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_token(&a), hash_token(&format!(" {a}\n")));
        assert_ne!(hash_token(&a), a);
    }

    #[test]
    fn the_bearer_scheme_is_matched_in_any_case() {
        assert_eq!(bearer_token("Bearer eom_1"), Some("eom_1"));
        assert_eq!(bearer_token("bearer eom_1"), Some("eom_1"));
        assert_eq!(bearer_token("BEARER   eom_1 "), Some("eom_1"));
        assert_eq!(bearer_token("Basic eom_1"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("eom_1"), None);
    }
}
