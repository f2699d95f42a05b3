//! One-time enrolment codes: `K7P-4QX-M2D`, read out over the phone or written on paper
//! instead of a 68-character token. A code works once, expires, and is stored only as a hash;
//! using it gives the laptop a fresh token (the account's earlier token stops working).
//!
//! Nine characters from an alphabet without look-alikes (no 0/O, 1/I/L) carry 44 bits: with
//! attempts limited per address and a code valid for days, guessing one is out of reach.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use crate::auth::{generate_token, hash_token};
use crate::store::{Account, Store, StoreError};

const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const GROUPS: usize = 3;
const GROUP_LEN: usize = 3;

/// How long a new code stays valid unless the operator says otherwise.
pub const DEFAULT_VALID_HOURS: i64 = 72;

/// A new random code, grouped for reading aloud: `K7P-4QX-M2D`.
pub fn generate_code() -> String {
    let mut rng = rand::rng();
    (0..GROUPS)
        .map(|_| {
            (0..GROUP_LEN)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as typed, reduced to what identifies it: upper case, without dashes or spaces.
/// `None` when it cannot be a code at all.
pub fn normalise(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == GROUPS * GROUP_LEN && code.bytes().all(|b| ALPHABET.contains(&b)))
        .then_some(code)
}

fn code_hash(normalised: &str) -> String {
    hash_token(&format!("enrolment:{normalised}"))
}

/// The stored hash of a code as [`generate_code`] makes it.
pub fn code_hash_of(code: &str) -> String {
    code_hash(&normalise(code).unwrap_or_default())
}

/// Makes a code for `account_id`, valid for `hours`; returns it and its expiry.
pub fn issue(
    store: &dyn Store,
    account_id: &str,
    hours: i64,
) -> Result<(String, DateTime<Utc>), StoreError> {
    let code = generate_code();
    let expires = Utc::now() + Duration::hours(hours.max(1));
    store.create_enrolment_code(&code_hash_of(&code), account_id, expires)?;
    Ok((code, expires))
}

/// Uses a code: the account and its new token, or `None` when the code is unknown, used or
/// expired.
pub fn redeem(store: &dyn Store, raw: &str) -> Result<Option<(Account, String)>, StoreError> {
    let Some(normalised) = normalise(raw) else {
        return Ok(None);
    };
    let token = generate_token();
    Ok(store
        .redeem_enrolment_code(&code_hash(&normalised), &hash_token(&token))?
        .map(|account| (account, token)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_unambiguous_and_read_back_however_typed() {
        let code = generate_code();
        assert_eq!(code.len(), 11);
        assert_eq!(code.matches('-').count(), 2);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(normalise(&typed), normalise(&code));
        assert!(normalise(&code).is_some());
        assert_eq!(normalise("K7P-4QX-M2"), None);
        assert_eq!(normalise("K7P-4QX-M2O"), None, "O is not in the alphabet");
        assert_ne!(generate_code(), generate_code());
    }
}
