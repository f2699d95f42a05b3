//! Exports of checklists (latest revisions) as CSV, XLSX and JSON Lines, written row by row
//! to any `Write` so that a million checklists stream out in constant memory.

use std::io::{self, Write};

use eom_shared::form::{Form, QuestionKind};
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

    /// CSV and XLSX have one column per question, so they are made for one form at a time.
    pub fn needs_form(self) -> bool {
        self != Self::Jsonl
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

/// Writes rows in one format; `finish` closes the file properly.
pub enum Exporter<W: Write> {
    Csv(Box<csv::Writer<W>>, Form),
    Xlsx(Box<XlsxWriter<W>>, Form),
    Jsonl(W),
}

impl<W: Write> Exporter<W> {
    pub fn start(format: ExportFormat, form: Option<Form>, out: W) -> io::Result<Self> {
        let form = match (format.needs_form(), form) {
            (true, Some(f)) => Some(f),
            (true, None) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "this format needs a form",
                ));
            }
            (false, f) => f,
        };
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
            (ExportFormat::Xlsx, Some(form)) => {
                let mut w = XlsxWriter::start(out, form.id.as_str())?;
                w.row(&header(&form), &[])?;
                Self::Xlsx(Box::new(w), form)
            }
            (_, _) => Self::Jsonl(out),
        })
    }

    pub fn write(&mut self, row: &ExportRow) -> io::Result<()> {
        match self {
            Self::Csv(w, form) => {
                Ok(w.write_record(cells(form, row).into_iter().map(spreadsheet_safe))?)
            }
            Self::Xlsx(w, form) => {
                let numeric: Vec<bool> = FIXED_COLUMNS
                    .iter()
                    .map(|c| *c == "revision")
                    .chain(
                        form.questions
                            .iter()
                            .map(|q| matches!(q.kind, QuestionKind::Number { .. })),
                    )
                    .collect();
                w.row(&cells(form, row), &numeric)
            }
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
            Self::Xlsx(w, _) => w.finish(),
            Self::Jsonl(mut w) => w.flush(),
        }
    }
}

/// A minimal XLSX writer that streams: one worksheet with inline strings, written into a zip
/// stream as rows arrive, so nothing but the current row is held in memory. The first row is
/// the header: bold, frozen while scrolling, with a filter on every column.
pub struct XlsxWriter<W: Write> {
    zip: zip::ZipWriter<zip::write::StreamWriter<W>>,
    row: u64,
    /// Columns of the widest row, for the filter's range.
    columns: usize,
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    io::Error::other(e)
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
/// Two cell formats: 0 plain, 1 bold (the header).
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>"#;

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

impl<W: Write> XlsxWriter<W> {
    pub fn start(out: W, sheet: &str) -> io::Result<Self> {
        let mut zip = zip::ZipWriter::new_stream(out);
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        for (name, body) in [
            ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
            ("_rels/.rels", ROOT_RELS.to_owned()),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.to_owned()),
            ("xl/styles.xml", STYLES.to_owned()),
            (
                "xl/workbook.xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
                    xml_escape(sheet)
                ),
            ),
        ] {
            zip.start_file(name, options).map_err(zip_err)?;
            zip.write_all(body.as_bytes())?;
        }
        zip.start_file("xl/worksheets/sheet1.xml", options)
            .map_err(zip_err)?;
        zip.write_all(
            br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>"#,
        )?;
        Ok(Self {
            zip,
            row: 0,
            columns: 0,
        })
    }

    /// One row; cells flagged numeric and holding an integer are written as numbers.
    pub fn row(&mut self, cells: &[String], numeric: &[bool]) -> io::Result<()> {
        self.row += 1;
        self.columns = self.columns.max(cells.len());
        // The header row is bold.
        let style = if self.row == 1 { " s=\"1\"" } else { "" };
        let mut xml = format!("<row r=\"{}\">", self.row);
        for (i, cell) in cells.iter().enumerate() {
            if numeric.get(i).copied().unwrap_or(false) && cell.parse::<i64>().is_ok() {
                xml.push_str(&format!("<c{style}><v>{cell}</v></c>"));
            } else if !cell.is_empty() {
                xml.push_str(&format!(
                    "<c t=\"inlineStr\"{style}><is><t xml:space=\"preserve\">{}</t></is></c>",
                    xml_escape(cell)
                ));
            } else {
                xml.push_str("<c/>");
            }
        }
        xml.push_str("</row>");
        self.zip.write_all(xml.as_bytes())
    }

    pub fn finish(mut self) -> io::Result<()> {
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
        let mut out = self.zip.finish().map_err(zip_err)?;
        out.flush()
    }
}

#[cfg(test)]
mod formula_tests {
    use super::{column_name, spreadsheet_safe};

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
