//! Operator tasks run from the command line: accounts and the station list. They open the
//! database directly and work while the server is running (SQLite WAL allows it).

use std::path::Path;

use eom_shared::station_list::{StationListError, read_station_csv};

use crate::auth::{generate_token, hash_token};
use crate::store::{Account, ImportSummary, NewAccount, Role, Store, StoreError, regions_column};

/// A new account and its token, which is shown once and never stored in clear.
pub struct CreatedAccount {
    pub account: Account,
    pub token: String,
}

/// Longest account name or region name.
pub const MAX_NAME_CHARS: usize = 200;

/// Makes an account. `regions`: an observer team's deployment region (at most one), or the
/// regions a coordinator is limited to (none: the whole mission); an administrator has none.
/// `actor` is who makes it, for the audit log (see [`NewAccount::actor`]).
pub fn create_account(
    store: &dyn Store,
    name: &str,
    role: Role,
    regions: &[String],
    actor: &str,
) -> Result<CreatedAccount, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid(
            "the name is empty: give the observer team's or coordinator's name".into(),
        ));
    }
    let mut kept: Vec<String> = Vec::new();
    for region in regions.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        if !kept.iter().any(|k| k == region) {
            kept.push(region.to_owned());
        }
    }
    if let Some(bad) = eom_shared::limits::control_character(name).or_else(|| {
        kept.iter()
            .find_map(|r| eom_shared::limits::control_character(r))
    }) {
        return Err(StoreError::Invalid(format!(
            "the name or region holds the control character {bad:?}: use plain text"
        )));
    }
    if std::iter::once(name)
        .chain(kept.iter().map(String::as_str))
        .any(|t| t.chars().count() > MAX_NAME_CHARS)
    {
        return Err(StoreError::Invalid(format!(
            "the name or a region is longer than {MAX_NAME_CHARS} characters: shorten it"
        )));
    }
    match role {
        Role::Observer if kept.len() > 1 => {
            return Err(StoreError::Invalid(
                "an observer team is deployed to one region: give one".into(),
            ));
        }
        Role::Admin if !kept.is_empty() => {
            return Err(StoreError::Invalid(
                "an administrator sees the whole mission: give no region (or make a regional coordinator)".into(),
            ));
        }
        _ => {}
    }
    let token = generate_token();
    let account = store.create_account(NewAccount {
        actor: actor.to_owned(),
        name: name.to_owned(),
        role,
        region: regions_column(&kept),
        token_hash: hash_token(&token),
    })?;
    Ok(CreatedAccount { account, token })
}

/// Revokes an account's token at once (a lost or seized laptop), optionally issuing a new
/// one. Its checklists stay; requests with the old token are refused from now on. `actor`:
/// who does it, for the audit log.
pub fn replace_token(
    store: &dyn Store,
    account_id: &str,
    issue_new: bool,
    actor: &str,
) -> Result<Option<String>, StoreError> {
    let new_token = issue_new.then(generate_token);
    let hash = match &new_token {
        Some(token) => hash_token(token),
        // No token hashes to this: it is not hex.
        None => format!("revoked:{}", uuid::Uuid::now_v7()),
    };
    if !store.set_token_hash(account_id.trim(), &hash, actor)? {
        return Err(StoreError::Invalid(format!(
            "there is no account with id '{account_id}'; 'eom-server observer list' shows them"
        )));
    }
    Ok(new_token)
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot import {path}")]
    File {
        path: String,
        source: StationListError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads a station CSV (`code,name,region,district,level,registered_voters`, optionally
/// `area,kind,latitude,longitude`) and imports it all or nothing: a bad row is reported with
/// its line number and nothing is half-imported. When it moves stations that already have
/// checklists to another region, area or kind, the totals are recounted at once.
pub fn import_stations_csv(store: &dyn Store, path: &Path) -> Result<ImportSummary, ImportError> {
    let stations = read_station_csv(path).map_err(|source| ImportError::File {
        path: path.display().to_string(),
        source,
    })?;
    let summary = store.import_stations(&stations)?;
    recount_if_pending(store)?;
    Ok(summary)
}

/// Recounts every total when the store asks for it (after an upgrade that changed how totals
/// are kept, or a station list that moved observed stations); returns how many checklists
/// were counted, `None` when nothing was pending.
pub fn recount_if_pending(store: &dyn Store) -> Result<Option<u64>, StoreError> {
    if !store.recount_pending()? {
        return Ok(None);
    }
    let counted = store.rebuild_tallies(&crate::rules::contribution)?;
    tracing::info!(counted, "recounted the totals");
    Ok(Some(counted))
}
