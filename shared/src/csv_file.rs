//! CSV files as spreadsheets save them. Excel in a Russian or Kazakh locale writes `;` between
//! fields and, unless told otherwise, Windows-1251 text; "CSV UTF-8" adds a byte-order mark;
//! "Unicode text" is UTF-16 with tabs. Imports take all of these, and a file that is none of
//! them is refused with the steps to save it again, never read as mojibake.

/// How to save a file so that it can be read, for error messages.
pub const RESAVE_HINT: &str = "save it again as CSV in UTF-8: in Excel, File > Save As > \
     'CSV UTF-8 (Comma delimited) (*.csv)'; in LibreOffice, File > Save As > 'Text CSV', \
     tick 'Edit filter settings' and choose 'Unicode (UTF-8)'";

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The text of a file: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order
/// mark, or Windows-1251 (Cyrillic), recognised in that order; Windows line ends (CR LF) are
/// read as LF, so that the line numbers errors give count as an editor does (the `csv`
/// crate counts a CR LF file's records one line short).
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    decode_text(bytes).map(|text| {
        if text.contains('\r') {
            text.replace("\r\n", "\n")
        } else {
            text
        }
    })
}

fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return String::from_utf8(rest.to_vec())
            .map_err(|_| format!("the file says it is UTF-8 but is not; {RESAVE_HINT}"));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _, had_errors) = encoding.decode(bytes);
        if !had_errors {
            return Ok(text.into_owned());
        }
    }
    // Not UTF-8: a Cyrillic spreadsheet's legacy encoding. Every byte but 0x98 is a character
    // there, so a file that decodes cleanly and holds letters is taken as Windows-1251.
    let (text, had_errors) = encoding_rs::WINDOWS_1251.decode_without_bom_handling(bytes);
    if !had_errors && !bytes.contains(&0) && text.chars().any(char::is_alphabetic) {
        return Ok(text.into_owned());
    }
    Err(format!(
        "the file is not text in UTF-8 or Windows-1251 (is it a spreadsheet file, .xlsx?); {RESAVE_HINT}"
    ))
}

/// The field separator of a CSV text: the one of `,` `;` and tab that splits its header into
/// the most of the `expected` column names (`,` when none does better).
pub fn delimiter(text: &str, expected: &[&str]) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let found = |separator: char| {
        header
            .split(separator)
            .map(|h| h.trim().trim_matches('"').trim())
            .filter(|h| expected.iter().any(|e| e.eq_ignore_ascii_case(h)))
            .count()
    };
    let mut best = (found(','), b',');
    for separator in [';', '\t'] {
        let n = found(separator);
        if n > best.0 {
            best = (n, separator as u8);
        }
    }
    best.1
}

/// A CSV reader over a decoded file held in memory.
pub type Reader = csv::Reader<std::io::Cursor<Vec<u8>>>;

/// A CSV reader over a file as a spreadsheet saved it ([`decode`]d, its separator found by
/// the `expected` column names), fields trimmed and rows of any length, and its header row.
/// `Err` says why the file cannot be read at all.
pub fn reader(bytes: &[u8], expected: &[&str]) -> Result<(Reader, csv::StringRecord), String> {
    let text = decode(bytes)?;
    let separator = delimiter(&text, expected);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .delimiter(separator)
        .from_reader(std::io::Cursor::new(text.into_bytes()));
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    Ok((reader, headers))
}

/// Where a file's columns are: each required one's position, and each optional one's if there.
pub type Columns = (Vec<usize>, Vec<Option<usize>>);

/// Where the `required` and `optional` columns are in `headers` (in any case); `Err` lists
/// the required columns that are missing.
pub fn columns<'a>(
    headers: &csv::StringRecord,
    required: &[&'a str],
    optional: &[&str],
) -> Result<Columns, Vec<&'a str>> {
    let position = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| position(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok((
        required.iter().filter_map(|c| position(c)).collect(),
        optional.iter().map(|c| position(c)).collect(),
    ))
}

/// Each row of `reader` with its line number, or `line N: why` for a row that cannot be read
/// (so that one pass names every bad row).
pub fn rows(
    reader: &mut Reader,
) -> impl Iterator<Item = Result<(u64, csv::StringRecord), String>> + '_ {
    reader.records().map(|record| match record {
        Ok(r) => Ok((r.position().map_or(0, |p| p.line()), r)),
        Err(e) => Err(format!(
            "line {}: {e}",
            e.position().map_or(0, |p| p.line())
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_a_bom_utf16_and_windows_1251_are_read() {
        assert_eq!(decode("код,Алматы".as_bytes()).as_deref(), Ok("код,Алматы"));
        let mut bom = UTF8_BOM.to_vec();
        bom.extend_from_slice("код".as_bytes());
        assert_eq!(decode(&bom).as_deref(), Ok("код"));
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Школа №1;Алматы");
        assert_eq!(decode(&cp1251).as_deref(), Ok("Школа №1;Алматы"));
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "код\tАлматы".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(decode(&utf16).as_deref(), Ok("код\tАлматы"));
    }

    #[test]
    fn a_binary_file_is_refused_with_how_to_save_it() {
        let xlsx = b"PK\x03\x04\x14\x00\x00\x00\x08\x00\x98\x00";
        let message = decode(xlsx).expect_err("refused");
        assert!(message.contains("CSV UTF-8"), "{message}");
    }

    #[test]
    fn the_separator_is_the_one_that_finds_the_columns() {
        let expected = ["code", "name", "region"];
        assert_eq!(delimiter("code;name;region\nA;B;C", &expected), b';');
        assert_eq!(delimiter("code,name,region", &expected), b',');
        assert_eq!(delimiter("\"code\"\t\"name\"\tregion", &expected), b'\t');
        assert_eq!(delimiter("Code; Name, with comma; Region", &expected), b';');
        assert_eq!(delimiter("nothing here", &expected), b',');
    }
}
