//! Unlocking the store for a command, `eom lock` and `eom wipe`.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;

use rust_i18n::t;

use crate::store::{DATABASE_FILE, LocalStore, StoreError, create_private_dir};

/// The language without opening the store (locking and wiping need no passphrase): the
/// command's `--lang`/`EOM_LANG`, else the system's.
fn lang() -> String {
    crate::language::without_store()
}
use crate::vault;

/// Opens the store with the kept key, or the passphrase (`EOM_PASSPHRASE` or a prompt), and
/// keeps the key for the next commands.
pub fn unlock(home: &Path) -> anyhow::Result<LocalStore> {
    if let Some(key) = vault::cached(home) {
        match LocalStore::open(home, &key) {
            Ok(store) => return Ok(store),
            // The kept key no longer fits (the store was replaced): ask again.
            Err(StoreError::WrongKey) => {
                vault::forget(home);
            }
            Err(e) => return Err(e.into()),
        }
    }
    create_private_dir(home)?;
    let passphrase = vault::passphrase(LocalStore::needs_new_passphrase(home)?)?;
    let key = vault::derive(home, &passphrase)?;
    let store = LocalStore::open(home, &key)?;
    vault::remember(home, &key);
    Ok(store)
}

/// `eom lock`.
pub fn lock(home: &Path, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    if vault::forget(home) {
        writeln!(out, "{}", t!("lock.locked", locale = &lang()))?;
    } else {
        writeln!(out, "{}", t!("lock.nothing", locale = &lang()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The files `eom wipe` destroys, beside the database.
const STORE_FILES: [&str; 6] = [
    DATABASE_FILE,
    "eom.db-wal",
    "eom.db-shm",
    "eom.db-journal",
    "eom.db.encrypting",
    vault::SALT_FILE,
];

/// `eom wipe`: after a typed confirmation, overwrites and deletes the store, its salt and the
/// kept key. Other files in the folder are left alone.
pub fn wipe(
    home: &Path,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let present: Vec<_> = STORE_FILES
        .iter()
        .map(|f| home.join(f))
        .filter(|p| p.exists())
        .collect();
    if present.is_empty() {
        vault::forget(home);
        writeln!(
            out,
            "{}",
            t!("wipe.nothing", home = home.display(), locale = &lang())
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{}",
        t!("wipe.warning", home = home.display(), locale = &lang())
    )?;
    write!(out, "{}", t!("wipe.confirm", locale = &lang()))?;
    out.flush()?;
    let mut line = String::new();
    input.read_line(&mut line)?;
    if !line.trim().eq_ignore_ascii_case("wipe") {
        bail!("not confirmed: nothing was destroyed");
    }
    vault::forget(home);
    for path in &present {
        // Encrypted already; overwriting first leaves less behind on disks that write in place.
        if let Ok(meta) = std::fs::metadata(path) {
            let zeros = vec![0u8; meta.len().min(64 << 20) as usize];
            let _ = std::fs::write(path, zeros);
        }
        std::fs::remove_file(path)?;
    }
    writeln!(
        out,
        "{}",
        t!("wipe.done", count = present.len(), locale = &lang())
    )?;
    Ok(ExitCode::SUCCESS)
}
