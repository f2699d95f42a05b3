//! The observer's language: `--lang` or `EOM_LANG` for this command, else the one chosen at
//! `eom setup --lang`, else the system's (`ru-KZ` gives Russian), else English.

use std::sync::OnceLock;

use crate::store::LocalStore;

/// Languages the client's own text is written in; forms may carry more.
pub const SUPPORTED: [&str; 3] = ["en", "ru", "kk"];

static CHOSEN: OnceLock<String> = OnceLock::new();

/// Sets the language for this process (`--lang`, `EOM_LANG`).
pub fn choose(lang: &str) -> Result<(), String> {
    let lang = normalise(lang)
        .ok_or_else(|| format!("language '{lang}' is not available: use en, ru or kk"))?;
    let _ = CHOSEN.set(lang.to_owned());
    Ok(())
}

/// `ru-KZ`, `ru_RU.UTF-8`, `RU` → `ru`; `None` for a language the client has no text in.
pub fn normalise(tag: &str) -> Option<&'static str> {
    let primary = tag
        .split(['-', '_', '.'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    SUPPORTED.into_iter().find(|l| *l == primary)
}

/// The language when the store cannot be read (it is locked): `--lang`, else the system's.
pub fn without_store() -> String {
    if let Some(lang) = CHOSEN.get() {
        return lang.clone();
    }
    sys_locale::get_locale()
        .and_then(|l| normalise(&l))
        .unwrap_or("en")
        .to_owned()
}

/// The language to speak to the observer in.
pub fn current(store: &LocalStore) -> String {
    if let Some(lang) = CHOSEN.get() {
        return lang.clone();
    }
    if let Some(lang) = store
        .setting("lang")
        .ok()
        .flatten()
        .and_then(|l| normalise(&l))
    {
        return lang.to_owned();
    }
    sys_locale::get_locale()
        .and_then(|l| normalise(&l))
        .unwrap_or("en")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_locales_map_to_the_clients_languages() {
        assert_eq!(normalise("ru-KZ"), Some("ru"));
        assert_eq!(normalise("kk_KZ.UTF-8"), Some("kk"));
        assert_eq!(normalise("EN"), Some("en"));
        assert_eq!(normalise("de-AT"), None);
    }
}
