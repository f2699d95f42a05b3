//! Exports of checklists (latest revisions) as CSV, XLSX and JSON Lines, written row by row
//! to any `Write` so that a million checklists stream out in constant memory.

use std::io::{self, Write};

use eom_shared::form::Form;
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

use super::timefmt;
use crate::store::ExportRow;
use crate::views::SubmissionView;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    /// CSV as Excel opens it by double-click in any locale: a UTF-8 byte-order mark (without
    /// it Excel reads Cyrillic as mojibake) and `;` between fields (a comma is the decimal
    /// separator in Russian and Kazakh locales).
    ExcelCsv,
    Xlsx,
    Jsonl,
}

impl ExportFormat {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "csv-excel" | "excel" => Some(Self::ExcelCsv),
            "xlsx" => Some(Self::Xlsx),
            "jsonl" | "ndjson" => Some(Self::Jsonl),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv | Self::ExcelCsv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Jsonl => "application/x-ndjson",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv | Self::ExcelCsv => "csv",
            Self::Xlsx => "xlsx",
            Self::Jsonl => "jsonl",
        }
    }

    /// CSV has one column per question, so it is made for one form at a time (XLSX has a
    /// sheet per form).
    pub fn needs_form(self) -> bool {
        matches!(self, Self::Csv | Self::ExcelCsv)
    }
}

const FIXED_COLUMNS: [&str; 12] = [
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
];

/// The header row: fixed columns, then one labelled column per question.
pub fn header(form: &Form) -> Vec<String> {
    FIXED_COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .chain(
            form.questions
                .iter()
                .map(|q| format!("{} [{}]", q.label.get("en"), q.id)),
        )
        .collect()
}

/// One checklist as the cells of its row.
pub fn cells(form: &Form, row: &ExportRow) -> Vec<String> {
    let s = &row.summary;
    let mut out = vec![
        s.id.to_string(),
        s.revision.to_string(),
        s.form_id.to_string(),
        s.station.to_string(),
        s.region.clone(),
        eom_shared::Area::stored(s.area).to_owned(),
        s.kind.as_str().to_owned(),
        s.observer_name.clone(),
        timefmt::text(s.observed_at),
        timefmt::text(s.received_at),
        s.review_status.as_str().to_owned(),
        row.notes.clone(),
    ];
    for q in &form.questions {
        out.push(match row.answers.get(&q.id) {
            None | Some(Value::Null) => String::new(),
            Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
            Some(Value::String(text)) => text.clone(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(";"),
            Some(other) => other.to_string(),
        });
    }
    out
}

/// A CSV cell that a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+cmd|...`,
/// `@SUM(...)`, `-1+1`) gets a leading apostrophe, so it is shown as the text it is. Plain
/// numbers, negative ones included, are left as they are. (XLSX cells are written as inline
/// strings, which spreadsheets never evaluate; JSONL stays raw.)
pub fn spreadsheet_safe(cell: String) -> String {
    let risky = cell
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r' | '|'));
    if risky && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell
    }
}

/// What an XLSX export is written for: the reader's language (labels of questions and
/// answers) and the mission's time zone (times are real spreadsheet times in it).
#[derive(Debug, Clone, Default)]
pub struct Presentation {
    pub lang: String,
    pub zone: Option<chrono_tz::Tz>,
}

/// One cell of a spreadsheet row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(i64),
    /// A time, written as a spreadsheet date-time in the presentation's zone.
    Time(chrono::DateTime<chrono::Utc>),
}

fn say(lang: &str, key: &str) -> String {
    rust_i18n::t!(key, locale = lang).into_owned()
}

/// The XLSX header row: the fixed columns and each question's label, in the reader's
/// language (the question id after it, as analysts match columns by it).
pub fn labelled_header(form: &Form, p: &Presentation) -> Vec<Cell> {
    FIXED_COLUMNS
        .iter()
        .map(|c| {
            let name = say(&p.lang, &format!("export.col.{c}"));
            Cell::Text(match (*c, p.zone) {
                ("observed_at" | "received_at", Some(zone)) => format!("{name} ({zone})"),
                ("observed_at" | "received_at", None) => format!("{name} (UTC)"),
                _ => name,
            })
        })
        .chain(
            form.questions
                .iter()
                .map(|q| Cell::Text(format!("{} [{}]", q.label.get(&p.lang), q.id))),
        )
        .collect()
}

/// One checklist as an XLSX row: answers by their labels in the reader's language, numbers
/// as numbers, times as times.
pub fn labelled_cells(form: &Form, row: &ExportRow, p: &Presentation) -> Vec<Cell> {
    let s = &row.summary;
    let l = p.lang.as_str();
    let words = [
        say(l, "dash.answer.yes"),
        say(l, "dash.answer.no"),
        say(l, "dash.answer.not_observed"),
        say(l, "dash.assessment.very_good"),
        say(l, "dash.assessment.good"),
        say(l, "dash.assessment.bad"),
        say(l, "dash.assessment.very_bad"),
    ];
    let words = eom_shared::form::AnswerWords {
        yes: &words[0],
        no: &words[1],
        not_observed: &words[2],
        assessments: [&words[3], &words[4], &words[5], &words[6]],
    };
    let mut out = vec![
        Cell::Text(s.id.to_string()),
        Cell::Number(i64::from(s.revision)),
        Cell::Text(form.title.get(l).to_owned()),
        Cell::Text(s.station.to_string()),
        Cell::Text(s.region.clone()),
        Cell::Text(s.area.map_or_else(String::new, |a| {
            say(l, &format!("dash.area.{}", a.as_str()))
        })),
        Cell::Text(say(l, &format!("dash.kind.{}", s.kind.as_str()))),
        Cell::Text(s.observer_name.clone()),
        Cell::Time(s.observed_at),
        Cell::Time(s.received_at),
        Cell::Text(say(l, &format!("dash.review.{}", s.review_status.as_str()))),
        Cell::Text(row.notes.clone()),
    ];
    for q in &form.questions {
        out.push(match row.answers.get(&q.id) {
            None | Some(Value::Null) => Cell::Text(String::new()),
            Some(Value::Number(n)) if n.as_i64().is_some() => {
                Cell::Number(n.as_i64().unwrap_or_default())
            }
            Some(v) => Cell::Text(eom_shared::form::answer_text(q, v, l, &words)),
        });
    }
    out
}

/// Writes rows in one format; `finish` closes the file properly. An XLSX file has a sheet
/// per form: `begin_form` starts the next one.
pub enum Exporter<W: Write> {
    Csv(Box<csv::Writer<W>>, Form),
    Xlsx(Box<XlsxWorkbook<W>>, Option<Form>, Presentation),
    Jsonl(W),
}

impl<W: Write> Exporter<W> {
    pub fn start(
        format: ExportFormat,
        form: Option<Form>,
        out: W,
        presentation: Presentation,
    ) -> io::Result<Self> {
        Ok(match (format, form) {
            (ExportFormat::Csv, Some(form)) => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(header(&form).into_iter().map(spreadsheet_safe))?;
                Self::Csv(Box::new(w), form)
            }
            (ExportFormat::ExcelCsv, Some(form)) => {
                let mut out = out;
                out.write_all(b"\xEF\xBB\xBF")?;
                let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(out);
                w.write_record(header(&form).into_iter().map(spreadsheet_safe))?;
                Self::Csv(Box::new(w), form)
            }
            (ExportFormat::Csv | ExportFormat::ExcelCsv, None) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "CSV needs a form",
                ));
            }
            (ExportFormat::Xlsx, _) => Self::Xlsx(
                Box::new(XlsxWorkbook::start(out, presentation.zone)),
                None,
                presentation,
            ),
            (ExportFormat::Jsonl, _) => Self::Jsonl(out),
        })
    }

    /// Starts the sheet of `form` (XLSX; the other formats hold one form or all in one).
    pub fn begin_form(&mut self, form: &Form) -> io::Result<()> {
        if let Self::Xlsx(w, current, p) = self {
            w.begin_sheet(form.title.get(&p.lang))?;
            w.row(&labelled_header(form, p), true)?;
            *current = Some(form.clone());
        }
        Ok(())
    }

    pub fn write(&mut self, row: &ExportRow) -> io::Result<()> {
        match self {
            Self::Csv(w, form) => {
                Ok(w.write_record(cells(form, row).into_iter().map(spreadsheet_safe))?)
            }
            Self::Xlsx(w, Some(form), p) => w.row(&labelled_cells(form, row, p), false),
            Self::Xlsx(_, None, _) => Err(io::Error::other("a row before its sheet")),
            Self::Jsonl(w) => {
                let mut value = serde_json::to_value(SubmissionView::from(row.summary.clone()))?;
                value["answers"] = Value::Object(row.answers.clone());
                value["notes"] = json!(row.notes);
                serde_json::to_writer(&mut *w, &value)?;
                w.write_all(b"\n")
            }
        }
    }

    pub fn finish(self) -> io::Result<()> {
        match self {
            Self::Csv(mut w, _) => w.flush(),
            Self::Xlsx(w, _, _) => w.finish(),
            Self::Jsonl(mut w) => w.flush(),
        }
    }
}

/// A minimal XLSX writer that streams: worksheets of inline strings, numbers and times,
/// written into a zip stream as rows arrive, so nothing but the current row is held in
/// memory; the workbook's parts that list the sheets are written at the end. Each sheet's
/// first row is the header: bold, frozen while scrolling, with a filter on every column.
pub struct XlsxWorkbook<W: Write> {
    zip: zip::ZipWriter<zip::write::StreamWriter<W>>,
    zone: Option<chrono_tz::Tz>,
    /// Names of the sheets begun so far.
    sheets: Vec<String>,
    /// Rows of the open sheet, and the columns of its widest row.
    row: u64,
    columns: usize,
    open: bool,
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    io::Error::other(e)
}

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
/// Three cell formats: 0 plain, 1 bold (the header), 2 a date and time.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>"#;

/// A column's letters: 1 is A, 27 is AA.
fn column_name(mut n: usize) -> String {
    let mut name = Vec::new();
    while n > 0 {
        let rest = (n - 1) % 26;
        name.push(b'A' + u8::try_from(rest).unwrap_or(0));
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A spreadsheet's serial date: days since 1899-12-30, the time of day as the fraction.
pub fn serial_date(t: chrono::DateTime<chrono::Utc>, zone: Option<chrono_tz::Tz>) -> f64 {
    let local = match zone {
        Some(z) => t.with_timezone(&z).naive_local(),
        None => t.naive_utc(),
    };
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    (local - epoch).num_milliseconds() as f64 / 86_400_000.0
}

/// A sheet name Excel takes: at most 31 characters, none of `[]:*?/\`, unique in the book.
fn sheet_name(wanted: &str, taken: &[String]) -> String {
    let clean: String = wanted
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') && !c.is_control())
        .take(28)
        .collect();
    let clean = if clean.trim().is_empty() {
        "Sheet".to_owned()
    } else {
        clean.trim().to_owned()
    };
    let mut name = clean.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = format!("{clean} {n}");
        n += 1;
    }
    name
}

impl<W: Write> XlsxWorkbook<W> {
    pub fn start(out: W, zone: Option<chrono_tz::Tz>) -> Self {
        Self {
            zip: zip::ZipWriter::new_stream(out),
            zone,
            sheets: Vec::new(),
            row: 0,
            columns: 0,
            open: false,
        }
    }

    fn options() -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true)
    }

    /// Starts a new worksheet, closing the open one.
    pub fn begin_sheet(&mut self, name: &str) -> io::Result<()> {
        self.end_sheet()?;
        let name = sheet_name(name, &self.sheets);
        self.sheets.push(name);
        self.zip
            .start_file(
                format!("xl/worksheets/sheet{}.xml", self.sheets.len()),
                Self::options(),
            )
            .map_err(zip_err)?;
        self.zip.write_all(
            br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>"#,
        )?;
        self.row = 0;
        self.columns = 0;
        self.open = true;
        Ok(())
    }

    /// One row of the open sheet; `bold` for the header.
    pub fn row(&mut self, cells: &[Cell], bold: bool) -> io::Result<()> {
        if !self.open {
            self.begin_sheet("Sheet")?;
        }
        self.row += 1;
        self.columns = self.columns.max(cells.len());
        let style = if bold { " s=\"1\"" } else { "" };
        let mut xml = format!("<row r=\"{}\">", self.row);
        for cell in cells {
            match cell {
                Cell::Number(n) => xml.push_str(&format!("<c{style}><v>{n}</v></c>")),
                Cell::Time(t) => xml.push_str(&format!(
                    "<c s=\"2\"><v>{:.6}</v></c>",
                    serial_date(*t, self.zone)
                )),
                Cell::Text(text) if text.is_empty() => xml.push_str("<c/>"),
                Cell::Text(text) => xml.push_str(&format!(
                    "<c t=\"inlineStr\"{style}><is><t xml:space=\"preserve\">{}</t></is></c>",
                    xml_escape(text)
                )),
            }
        }
        xml.push_str("</row>");
        self.zip.write_all(xml.as_bytes())
    }

    fn end_sheet(&mut self) -> io::Result<()> {
        if !self.open {
            return Ok(());
        }
        self.zip.write_all(b"</sheetData>")?;
        if self.columns > 0 {
            // A filter on every column of the header, over every row written.
            self.zip.write_all(
                format!(
                    "<autoFilter ref=\"A1:{}{}\"/>",
                    column_name(self.columns),
                    self.row.max(1)
                )
                .as_bytes(),
            )?;
        }
        self.zip.write_all(b"</worksheet>")?;
        self.open = false;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        if self.sheets.is_empty() {
            // A workbook has at least one sheet, if only an empty one.
            self.begin_sheet("Sheet")?;
        }
        self.end_sheet()?;
        let n = self.sheets.len();
        let overrides: String = (1..=n)
            .map(|i| format!(r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#))
            .collect();
        let sheets: String = self
            .sheets
            .iter()
            .enumerate()
            .map(|(i, name)| {
                format!(
                    r#"<sheet name="{}" sheetId="{}" r:id="rId{}"/>"#,
                    xml_escape(name),
                    i + 1,
                    i + 1
                )
            })
            .collect();
        let rels: String = (1..=n)
            .map(|i| format!(r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#))
            .collect();
        for (name, body) in [
            (
                "[Content_Types].xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#
                ),
            ),
            ("_rels/.rels", ROOT_RELS.to_owned()),
            (
                "xl/_rels/workbook.xml.rels",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#,
                    n + 1
                ),
            ),
            ("xl/styles.xml", STYLES.to_owned()),
            (
                "xl/workbook.xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>"#
                ),
            ),
        ] {
            self.zip
                .start_file(name, Self::options())
                .map_err(zip_err)?;
            self.zip.write_all(body.as_bytes())?;
        }
        let mut out = self.zip.finish().map_err(zip_err)?;
        out.flush()
    }
}

#[cfg(test)]
mod formula_tests {
    use super::{column_name, serial_date, sheet_name, spreadsheet_safe};

    #[test]
    fn times_are_spreadsheet_serial_dates_in_the_missions_zone() {
        use chrono::TimeZone;
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 3, 19, 9, 0, 0)
            .single()
            .expect("time");
        // 2026-03-19 is day 46100 of the 1900 date system; 09:00 is 0.375 of it.
        assert!((serial_date(t, None) - 46100.375).abs() < 1e-9);
        let almaty = "Asia/Almaty".parse().ok();
        assert!(
            (serial_date(t, almaty) - 46_100.583_333).abs() < 1e-5,
            "14:00 in Almaty"
        );
    }

    #[test]
    fn sheet_names_are_what_excel_takes() {
        assert_eq!(sheet_name("Voting", &[]), "Voting");
        assert_eq!(sheet_name("Voting", &["voting".into()]), "Voting 2");
        assert_eq!(sheet_name("a/b:c[d]", &[]), "abcd");
        assert!(
            sheet_name("Подсчёт голосов и составление протокола", &[])
                .chars()
                .count()
                <= 31
        );
        assert_eq!(sheet_name("", &[]), "Sheet");
    }

    #[test]
    fn columns_are_named_as_spreadsheets_name_them() {
        assert_eq!(column_name(1), "A");
        assert_eq!(column_name(26), "Z");
        assert_eq!(column_name(27), "AA");
        assert_eq!(column_name(52), "AZ");
        assert_eq!(column_name(703), "AAA");
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_neutralised() {
        for risky in [
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "\t=1+1",
            "\r=1+1",
        ] {
            assert_eq!(spreadsheet_safe(risky.to_owned()), format!("'{risky}"));
        }
        for plain in ["-12", "+5", "3.5", "yes", "", "a=b", "Team 1 @ PEC-1"] {
            assert_eq!(spreadsheet_safe(plain.to_owned()), plain);
        }
    }
}
