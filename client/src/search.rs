//! Finding a station the way people type it.

/// Folds case and the accents and letter variants people type without: "алм" finds
/// "Алматы", "hospital" finds "Hôpital", "казак" finds "Қазақ".
pub fn fold(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ā' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'ē' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'ı' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'ū' => 'u',
            'ç' | 'č' => 'c',
            'ñ' => 'n',
            'ş' | 'š' => 's',
            'ğ' => 'g',
            'ž' => 'z',
            'ё' => 'е',
            'й' => 'и',
            'ә' => 'а',
            'ғ' => 'г',
            'қ' => 'к',
            'ң' => 'н',
            'ө' => 'о',
            'ұ' | 'ү' => 'у',
            'һ' => 'х',
            'і' => 'и',
            other => other,
        })
        .collect()
}

/// Whether `typed` (folded) occurs in any of `fields` (folded).
pub fn matches(typed: &str, fields: &[&str]) -> bool {
    let needle = fold(typed.trim());
    needle.is_empty() || fields.iter().any(|f| fold(f).contains(&needle))
}

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
