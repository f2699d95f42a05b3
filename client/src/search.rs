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
}
