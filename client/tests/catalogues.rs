//! Every word of the observer's app exists in English, Russian and Kazakh: the catalogues in
//! `client/locales/` carry the same keys, none empty, and the placeholders a message fills in
//! are the same in every language.

use std::collections::{BTreeMap, BTreeSet};

rust_i18n::i18n!("locales", fallback = "en");

use rust_i18n::t;

fn catalogue(lang: &str) -> BTreeMap<String, String> {
    let path = format!("{}/locales/{lang}.yml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#') && !l.starts_with("_version"))
        .map(|l| {
            let (key, value) = l.split_once(':').unwrap_or_else(|| panic!("{path}: {l}"));
            (
                key.trim().to_owned(),
                value.trim().trim_matches('"').to_owned(),
            )
        })
        .collect()
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("%{")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

#[test]
fn every_message_exists_in_english_russian_and_kazakh() {
    let en = catalogue("en");
    assert!(en.len() > 50, "the English catalogue looks truncated");
    for lang in ["ru", "kk"] {
        let other = catalogue(lang);
        let missing: Vec<&String> = en.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<&String> = other.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(extra.is_empty(), "{lang} has keys English lacks: {extra:?}");
        for (key, text) in &other {
            assert!(!text.is_empty(), "{lang}: {key} is empty");
            assert_eq!(
                placeholders(text),
                placeholders(&en[key]),
                "{lang}: {key} fills in other values than English"
            );
        }
    }
}

#[test]
fn the_app_speaks_the_chosen_language() {
    assert_eq!(t!("state.delivered", locale = "ru"), "Доставлено");
    assert_eq!(t!("state.delivered", locale = "kk"), "Жеткізілді");
    assert_eq!(t!("state.delivered", locale = "de"), "Delivered");
}

#[test]
fn the_default_forms_have_russian_and_kazakh_text_for_every_question_and_choice() {
    for form in eom_shared::default_forms::default_forms().expect("forms") {
        for lang in ["ru", "kk"] {
            assert!(form.title.has(lang), "{}: no {lang} title", form.id);
            for q in &form.questions {
                assert!(q.label.has(lang), "{}/{}: no {lang} label", form.id, q.id);
                for c in q.kind.choices() {
                    assert!(
                        c.label.has(lang),
                        "{}/{}/{}: no {lang}",
                        form.id,
                        q.id,
                        c.id
                    );
                }
            }
            for check in &form.checks {
                assert!(
                    check.message.has(lang),
                    "{}/{}: no {lang}",
                    form.id,
                    check.id
                );
            }
        }
    }
}
