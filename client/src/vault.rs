//! The key to the laptop's store. A seized laptop must give nothing away, so the local
//! database is encrypted (SQLCipher) with a key derived from the observer's passphrase by
//! Argon2id, slow and memory-hard, so that guessing passphrases on a copied disk is costly.
//!
//! - The passphrase comes from `EOM_PASSPHRASE` or a hidden prompt; a new store asks for it
//!   twice. The salt (random, not secret) is kept beside the database in `eom.salt`.
//! - So that each command does not ask again, the derived key is kept between commands in a
//!   file readable by its owner only, in the session's runtime folder (`XDG_RUNTIME_DIR`,
//!   which lives in memory and is gone at reboot or log-out) or in `EOM_KEY_CACHE_DIR`; where
//!   neither exists (Windows, macOS) nothing is kept and each command asks. It expires after
//!   12 hours; `eom lock` forgets it at once.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::RngCore;
use rust_i18n::t;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// The salt file beside the database.
pub const SALT_FILE: &str = "eom.salt";
/// How long an unlocked key is kept between commands.
const CACHE_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// Argon2id cost: 64 MiB of memory, 3 passes (OWASP's recommended minimum is 19 MiB, 2).
const KDF_MEMORY_KIB: u32 = 64 * 1024;
const KDF_PASSES: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "this laptop's data is locked: run eom in a terminal to type the passphrase, or set EOM_PASSPHRASE"
    )]
    NeedPassphrase,
    #[error("the two passphrases differ; nothing was created: try again")]
    Mismatch,
    #[error(
        "the passphrase is too short: use at least {0} characters (a few words are easier to remember than symbols)"
    )]
    TooShort(usize),
    #[error("cannot read or write {path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the key could not be derived: {0}")]
    Kdf(String),
}

/// Shortest passphrase accepted for a new store.
pub const MIN_PASSPHRASE: usize = 8;

/// A 256-bit key, wiped from memory when dropped.
pub struct Key(Zeroizing<[u8; 32]>);

impl Key {
    /// The key as SQLCipher takes a raw key: `x'<64 hex digits>'`.
    pub fn sqlcipher_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode(*self.0)))
    }
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> VaultError + '_ {
    move |source| VaultError::File {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `bytes` to `path`, readable and writable by its owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(file_error(path))?;
    file.write_all(bytes).map_err(file_error(path))?;
    file.sync_all().map_err(file_error(path))
}

/// The store's salt, created (random) the first time.
fn salt(home: &Path) -> Result<Vec<u8>, VaultError> {
    let path = home.join(SALT_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => hex::decode(text.trim()).map_err(|e| VaultError::File {
            path: path.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut salt = vec![0u8; 16];
            rand::rng().fill_bytes(&mut salt);
            write_private(&path, hex::encode(&salt).as_bytes())?;
            Ok(salt)
        }
        Err(e) => Err(file_error(&path)(e)),
    }
}

/// Derives the store's key from `passphrase` (Argon2id over the store's salt).
pub fn derive(home: &Path, passphrase: &str) -> Result<Key, VaultError> {
    let salt = salt(home)?;
    let params = argon2::Params::new(KDF_MEMORY_KIB, KDF_PASSES, 1, Some(32))
        .map_err(|e| VaultError::Kdf(e.to_string()))?;
    let kdf = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    kdf.hash_password_into(passphrase.as_bytes(), &salt, key.as_mut())
        .map_err(|e| VaultError::Kdf(e.to_string()))?;
    Ok(Key(key))
}

/// Where the unlocked key of `home` is kept between commands, if anywhere.
fn cache_path(home: &Path) -> Option<PathBuf> {
    let dir = std::env::var_os("EOM_KEY_CACHE_DIR")
        .or_else(|| std::env::var_os("XDG_RUNTIME_DIR"))
        .map(PathBuf::from)
        .filter(|d| d.is_dir())?;
    let home = std::fs::canonicalize(home).unwrap_or_else(|_| home.to_owned());
    let digest = Sha256::digest(home.to_string_lossy().as_bytes());
    Some(dir.join(format!("eom-key-{}", &hex::encode(digest)[..16])))
}

/// The key kept from an earlier command, if it has not expired.
pub fn cached(home: &Path) -> Option<Key> {
    let path = cache_path(home)?;
    let text = Zeroizing::new(std::fs::read_to_string(&path).ok()?);
    let (expires, hex_key) = text.trim().split_once(' ')?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    if expires.parse::<u64>().ok()? < now {
        let _ = std::fs::remove_file(&path);
        return None;
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(hex_key, bytes.as_mut()).ok()?;
    Some(Key(bytes))
}

/// Keeps `key` for the next commands (where a runtime folder exists).
pub fn remember(home: &Path, key: &Key) {
    let Some(path) = cache_path(home) else { return };
    let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) else {
        return;
    };
    let mut text = format!(
        "{} {}",
        (now + CACHE_LIFETIME).as_secs(),
        hex::encode(*key.0)
    );
    let _ = write_private(&path, text.as_bytes());
    text.zeroize();
}

/// Forgets the kept key; true when there was one.
pub fn forget(home: &Path) -> bool {
    cache_path(home).is_some_and(|p| std::fs::remove_file(p).is_ok())
}

/// The passphrase from `EOM_PASSPHRASE` or a hidden prompt (twice for a new store).
pub fn passphrase(new_store: bool) -> Result<Zeroizing<String>, VaultError> {
    if let Some(p) = std::env::var_os("EOM_PASSPHRASE") {
        let p = Zeroizing::new(p.to_string_lossy().into_owned());
        if new_store && p.chars().count() < MIN_PASSPHRASE {
            return Err(VaultError::TooShort(MIN_PASSPHRASE));
        }
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(VaultError::NeedPassphrase);
    }
    let lang = crate::language::without_store();
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|_| VaultError::NeedPassphrase)
    };
    if !new_store {
        return ask(&t!("vault.prompt", locale = &lang));
    }
    eprintln!("{}", t!("vault.choose", locale = &lang));
    let first = ask(&t!("vault.new", locale = &lang))?;
    if first.chars().count() < MIN_PASSPHRASE {
        return Err(VaultError::TooShort(MIN_PASSPHRASE));
    }
    let second = ask(&t!("vault.again", locale = &lang))?;
    if first != second {
        return Err(VaultError::Mismatch);
    }
    Ok(first)
}
