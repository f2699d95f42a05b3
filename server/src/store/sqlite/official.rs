//! Published results in SQLite: one version per import, never overwritten.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::columns::{get, time, time_text};
use crate::store::{OfficialFigure, OfficialResults, Publication, StoreError};

/// Stores `publication` and its figures (the caller's transaction makes it all or nothing).
pub(super) fn insert(
    tx: &Connection,
    publication: &Publication,
    figures: &[OfficialFigure],
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO result_publications (version, source, published_at, imported_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            publication.version,
            publication.source,
            publication.published_at.map(time_text),
            time_text(publication.imported_at)
        ],
    )?;
    insert_figures(tx, publication.version, figures)
}

pub(super) fn insert_figures(
    tx: &Connection,
    version: u32,
    figures: &[OfficialFigure],
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO official_results (version, station, contest, line, value)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for f in figures {
        stmt.execute(params![version, f.station, f.contest, f.line, f.value])?;
    }
    Ok(())
}

/// The next publication, numbered after the last one.
pub(super) fn import(
    tx: &Connection,
    source: &str,
    published_at: Option<DateTime<Utc>>,
    imported_at: DateTime<Utc>,
    figures: &[OfficialFigure],
) -> Result<Publication, StoreError> {
    let last: Option<u32> = tx
        .query_row("SELECT max(version) FROM result_publications", [], |r| {
            r.get(0)
        })
        .optional()?
        .flatten();
    let publication = Publication {
        version: last.unwrap_or(0) + 1,
        source: source.to_owned(),
        published_at,
        imported_at,
    };
    insert(tx, &publication, figures)?;
    super::audit::append(
        tx,
        imported_at,
        vec![crate::audit::results_entry(&publication, figures)],
    )?;
    Ok(publication)
}

pub(super) fn publications(c: &Connection) -> Result<Vec<Publication>, StoreError> {
    let mut stmt = c.prepare_cached("SELECT * FROM result_publications ORDER BY version")?;
    let mut rows = stmt.query([])?;
    let mut found = Vec::new();
    while let Some(r) = rows.next()? {
        let published: Option<String> = get(r, "published_at")?;
        found.push(Publication {
            version: get(r, "version")?,
            source: get(r, "source")?,
            published_at: match published {
                Some(_) => Some(time(r, "published_at")?),
                None => None,
            },
            imported_at: time(r, "imported_at")?,
        });
    }
    Ok(found)
}

pub(super) fn all(c: &Connection) -> Result<OfficialResults, StoreError> {
    let publications = publications(c)?;
    let mut stmt = c.prepare_cached(
        "SELECT version, station, contest, line, value FROM official_results
         ORDER BY version, station, contest, line",
    )?;
    let mut rows = stmt.query([])?;
    let mut figures = Vec::new();
    while let Some(r) = rows.next()? {
        figures.push((
            get(r, "version")?,
            OfficialFigure {
                station: get(r, "station")?,
                contest: get(r, "contest")?,
                line: get(r, "line")?,
                value: get(r, "value")?,
            },
        ));
    }
    Ok(OfficialResults {
        publications,
        figures,
    })
}
