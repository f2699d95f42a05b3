//! Published results on PostgreSQL: one version per import, never overwritten.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{count, get, rows};
use crate::store::{OfficialFigure, OfficialResults, Publication, Record, StoreError};

/// Stores `publication` and its figures (the caller's transaction makes it all or nothing).
pub(super) async fn insert(
    tx: &impl GenericClient,
    publication: &Publication,
    figures: &[OfficialFigure],
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO result_publications (version, source, published_at, imported_at)
         VALUES ($1, $2, $3, $4)",
        &[
            &i64::from(publication.version),
            &publication.source,
            &publication.published_at,
            &publication.imported_at,
        ],
    )
    .await?;
    insert_figures(tx, publication.version, figures).await
}

pub(super) async fn insert_figures(
    tx: &impl GenericClient,
    version: u32,
    figures: &[OfficialFigure],
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO official_results (version, station, contest, line, value)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    for f in figures {
        tx.execute(
            &stmt,
            &[
                &i64::from(version),
                &f.station,
                &f.contest,
                &f.line,
                &f.value,
            ],
        )
        .await?;
    }
    Ok(())
}

/// The next publication, numbered after the last one. The table lock keeps two imports at
/// the same moment from taking one number.
pub(super) async fn import(
    tx: &impl GenericClient,
    source: &str,
    published_at: Option<DateTime<Utc>>,
    imported_at: DateTime<Utc>,
    figures: &[OfficialFigure],
) -> Result<Publication, StoreError> {
    tx.execute("LOCK TABLE result_publications IN EXCLUSIVE MODE", &[])
        .await?;
    let row = tx
        .query_one(
            "SELECT COALESCE(max(version), 0) AS last FROM result_publications",
            &[],
        )
        .await?;
    let last: u32 = count(&row, "last")?;
    let publication = Publication {
        version: last + 1,
        source: source.to_owned(),
        published_at,
        imported_at,
    };
    insert(tx, &publication, figures).await?;
    super::audit::append(
        tx,
        imported_at,
        vec![crate::audit::results_entry(&publication, figures)],
    )
    .await?;
    Ok(publication)
}

pub(super) fn read_publication(r: &Row) -> Result<Publication, StoreError> {
    Ok(Publication {
        version: count(r, "version")?,
        source: get(r, "source")?,
        published_at: get(r, "published_at")?,
        imported_at: get(r, "imported_at")?,
    })
}

pub(super) fn read_figure(r: &Row) -> Result<(u32, OfficialFigure), StoreError> {
    Ok((
        count(r, "version")?,
        OfficialFigure {
            station: get(r, "station")?,
            contest: get(r, "contest")?,
            line: get(r, "line")?,
            value: get(r, "value")?,
        },
    ))
}

pub(super) const PUBLICATIONS: &str = "SELECT * FROM result_publications ORDER BY version";
pub(super) const FIGURES: &str =
    "SELECT version, station, contest, line, value FROM official_results
     ORDER BY version, station, contest, line";

pub(super) async fn all(c: &impl GenericClient) -> Result<OfficialResults, StoreError> {
    let publications = rows(c.query(PUBLICATIONS, &[]).await?, read_publication)?;
    let figures = rows(c.query(FIGURES, &[]).await?, read_figure)?;
    Ok(OfficialResults {
        publications,
        figures,
    })
}

/// The readers `eom-server migrate` dumps these tables with.
pub(super) fn publication_record(r: &Row) -> Result<Record, StoreError> {
    read_publication(r).map(Record::Publication)
}

pub(super) fn figure_record(r: &Row) -> Result<Record, StoreError> {
    read_figure(r).map(|(version, figure)| Record::OfficialFigure { version, figure })
}
