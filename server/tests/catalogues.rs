//! Every word the server shows (the dashboard, the statement lines, the enrolment sheet)
//! exists in English, Russian and Kazakh: the catalogues in `server/locales/` carry the same
//! keys with the same placeholders, and every key the code names is in them (a missing key
//! would show as the key itself).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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

/// Keys written whole in the source: `"dash.nav.map"`, `"sheet.code"`.
fn keys_in(dir: &Path, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            keys_in(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("source");
            for prefix in ["\"dash.", "\"sheet.", "\"export."] {
                for piece in text.split(prefix).skip(1) {
                    let key: String = piece
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_' || *c == '.')
                        .collect();
                    if piece[key.len()..].starts_with('"') && !key.ends_with('.') {
                        found.insert(format!("{}{key}", &prefix[1..]));
                    }
                }
            }
        }
    }
}

#[test]
fn every_message_exists_in_english_russian_and_kazakh() {
    let en = catalogue("en");
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
fn every_key_the_code_names_is_in_the_catalogue() {
    let en = catalogue("en");
    let mut named = BTreeSet::new();
    keys_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut named,
    );
    assert!(named.len() > 100, "the scan found too few keys: {named:?}");
    // Keys made from a value: each value must have its text.
    for stage in ["opening", "voting", "counting", "tabulation", "incident"] {
        named.insert(format!("dash.stage.{stage}"));
    }
    for v in ["urban", "rural"] {
        named.insert(format!("dash.area.{v}"));
    }
    for v in ["regular", "special", "abroad"] {
        named.insert(format!("dash.kind.{v}"));
    }
    for v in ["none", "verified", "flagged", "rejected"] {
        named.insert(format!("dash.review.{v}"));
    }
    for v in ["very_good", "good", "bad", "very_bad"] {
        named.insert(format!("dash.assessment.{v}"));
    }
    for c in [
        "id",
        "revision",
        "form",
        "station",
        "region",
        "area",
        "kind",
        "observer",
        "observed_at",
        "received_at",
        "review",
        "notes",
    ] {
        named.insert(format!("export.col.{c}"));
    }
    for v in ["reached", "no_answer", "problem"] {
        named.insert(format!("dash.call.{v}"));
    }
    let missing: Vec<&String> = named.iter().filter(|k| !en.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "named in the code, not in the catalogue: {missing:?}"
    );
}
