//! Finding a station the way people type it.

pub use eom_shared::search::{fold, matches};

/// The candidate `typed` most likely meant: the same but for case, or at most two letters off
/// (and unambiguous); `None` when nothing is that close.
pub fn closest<'a>(typed: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let typed = fold(typed.trim());
    let mut best: Option<(usize, &str)> = None;
    let mut tie = false;
    for candidate in candidates {
        let d = distance(&typed, &fold(candidate));
        match best {
            Some((b, _)) if d > b => {}
            Some((b, _)) if d == b => tie = true,
            _ => {
                best = Some((d, candidate));
                tie = false;
            }
        }
    }
    match best {
        Some((d, candidate)) if d <= 2 && !tie => Some(candidate),
        _ => None,
    }
}

/// Levenshtein distance, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_accents_do_not_matter_in_cyrillic_or_latin() {
        assert!(matches("алм", &["Алматы"]));
        assert!(matches("АЛМАТЫ", &["алматы"]));
        assert!(matches("казак", &["Қазақстан"]));
        assert!(matches("hopital", &["Hôpital Central"]));
        assert!(matches("шк", &["Школа № 7"]));
        assert!(!matches("астана", &["Алматы"]));
    }

    #[test]
    fn a_wrong_case_or_a_typo_finds_what_was_meant() {
        let codes = ["PEC-001", "PEC-002", "TEC-N"];
        assert_eq!(closest("pec-001", codes.iter().copied()), Some("PEC-001"));
        assert_eq!(closest("PEC-0001", codes.iter().copied()), Some("PEC-001"));
        assert_eq!(
            closest("PEC-00", codes.iter().copied()),
            None,
            "two are as close"
        );
        assert_eq!(closest("XYZ-999", codes.iter().copied()), None);
        assert_eq!(
            closest("votng", ["voting", "opening"].into_iter()),
            Some("voting")
        );
    }
}
