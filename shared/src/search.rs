//! Finding a station, a team or a region the way people type it, on the laptop and on the
//! dashboard alike: case, accents and the letters of Kazakh and Russian people type without
//! do not matter.

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
