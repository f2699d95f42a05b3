//! Dumping and loading a whole mission ([`Record`]s), for `eom-server migrate`.

use eom_shared::Stage;
use eom_shared::submission::SubmissionId;
use eom_shared::sync::ReviewStatus;
use rusqlite::{Connection, params};

use super::columns::{get, json, known, optional_time, parsed, time, time_text};
use super::{account_from_row, conflict_from_row, revision_from_row, station_from_row};
use crate::store::{Audience, CallOutcome, NewCall, NewMessage, Record, StoreError};

type Sink<'a> = &'a mut dyn FnMut(Record) -> Result<(), StoreError>;

/// Runs `query` and hands each row, read by `read`, to `sink`.
fn each(
    c: &Connection,
    query: &str,
    sink: Sink<'_>,
    read: impl Fn(&rusqlite::Row<'_>) -> Result<Record, StoreError>,
) -> Result<(), StoreError> {
    let mut stmt = c.prepare(query)?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        sink(read(row)?)?;
    }
    Ok(())
}

pub(super) fn dump(c: &Connection, sink: Sink<'_>) -> Result<(), StoreError> {
    each(c, "SELECT * FROM accounts ORDER BY id", sink, |r| {
        Ok(Record::Account {
            account: account_from_row(r)?,
            token_hash: get(r, "token_hash")?,
            last_received_at: optional_time(r, "last_received_at")?,
        })
    })?;
    each(
        c,
        "SELECT * FROM forms ORDER BY seq, id, version",
        sink,
        |r| {
            Ok(Record::Form {
                form: json(r, "definition")?,
                seq: get(r, "seq")?,
                installed_at: time(r, "installed_at")?,
            })
        },
    )?;
    each(c, "SELECT * FROM stations ORDER BY seq, code", sink, |r| {
        Ok(Record::Station {
            station: station_from_row(r)?,
            seq: get(r, "seq")?,
        })
    })?;
    each(
        c,
        "SELECT * FROM revisions ORDER BY submission_id, revision",
        sink,
        |r| {
            Ok(Record::Revision {
                id: parsed(r, "submission_id", SubmissionId::parse)?,
                observer_id: get(r, "observer_id")?,
                record: revision_from_row(r)?,
            })
        },
    )?;
    each(c, "SELECT * FROM submissions ORDER BY id", sink, |r| {
        Ok(Record::Current {
            id: parsed(r, "id", SubmissionId::parse)?,
            revision: get(r, "revision")?,
            observer_id: get(r, "observer_id")?,
            stage: parsed(r, "stage", known(Stage::parse))?,
            region: get(r, "region")?,
            first_received_at: time(r, "first_received_at")?,
            review_status: parsed(r, "review_status", known(ReviewStatus::parse))?,
            reviewed_revision: get(r, "reviewed_revision")?,
        })
    })?;
    each(
        c,
        "SELECT * FROM conflicts ORDER BY submission_id, revision, received_at",
        sink,
        |r| {
            Ok(Record::Conflict {
                id: parsed(r, "submission_id", SubmissionId::parse)?,
                record: conflict_from_row(r)?,
            })
        },
    )?;
    each(c, "SELECT * FROM reviews ORDER BY id", sink, |r| {
        Ok(Record::Review {
            id: parsed(r, "submission_id", SubmissionId::parse)?,
            revision: get(r, "revision")?,
            status: parsed(r, "status", known(ReviewStatus::parse))?,
            comment: get(r, "comment")?,
            reviewer_id: get(r, "reviewer_id")?,
            at: time(r, "created_at")?,
            seq: get(r, "seq")?,
        })
    })?;
    each(
        c,
        "SELECT * FROM team_details ORDER BY account_id",
        sink,
        |r| {
            let stations: String = get(r, "stations")?;
            Ok(Record::TeamDetails {
                account_id: get(r, "account_id")?,
                phone: get(r, "phone")?,
                stations: stations.lines().map(str::to_owned).collect(),
                client_version: get(r, "client_version")?,
            })
        },
    )?;
    each(
        c,
        "SELECT * FROM messages ORDER BY sent_at, id",
        sink,
        |r| {
            let (audience, target): (String, String) = (get(r, "audience")?, get(r, "target")?);
            Ok(Record::Message(NewMessage {
                id: parsed(r, "id", uuid::Uuid::parse_str)?,
                author_id: get(r, "author_id")?,
                audience: Audience::from_stored(&audience, &target)?,
                body: get(r, "body")?,
                sent_at: time(r, "sent_at")?,
            }))
        },
    )?;
    each(
        c,
        "SELECT * FROM message_reads ORDER BY message_id, account_id",
        sink,
        |r| {
            Ok(Record::MessageRead {
                message_id: parsed(r, "message_id", uuid::Uuid::parse_str)?,
                account_id: get(r, "account_id")?,
                read_at: time(r, "read_at")?,
            })
        },
    )?;
    each(
        c,
        "SELECT * FROM team_calls ORDER BY called_at, id",
        sink,
        |r| {
            let outcome: String = get(r, "outcome")?;
            Ok(Record::Call(NewCall {
                id: parsed(r, "id", uuid::Uuid::parse_str)?,
                team_id: get(r, "account_id")?,
                caller_id: get(r, "caller_id")?,
                at: time(r, "called_at")?,
                outcome: CallOutcome::parse(&outcome)
                    .ok_or_else(|| StoreError::corrupt(format!("call outcome '{outcome}'")))?,
                note: get(r, "note")?,
            }))
        },
    )?;
    super::attachments::dump(c, sink)?;
    let official = super::official::all(c)?;
    for publication in official.publications {
        sink(Record::Publication(publication))?;
    }
    for (version, figure) in official.figures {
        sink(Record::OfficialFigure { version, figure })?;
    }
    let keys: Vec<(String, String)> = c
        .prepare("SELECT purpose, secret FROM server_keys ORDER BY purpose")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (purpose, secret) in keys {
        sink(Record::ServerKey { purpose, secret })?;
    }
    super::audit::entries(c, &mut |entry| sink(Record::Audit(entry)))?;
    let cursor: u64 = c.query_row("SELECT value FROM catalog_sequence", [], |r| r.get(0))?;
    sink(Record::Cursor(cursor))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::database)
}

pub(super) fn load(tx: &Connection, records: &[Record]) -> Result<(), StoreError> {
    for record in records {
        match record {
            Record::Account {
                account,
                token_hash,
                last_received_at,
            } => {
                let (role, admin) = account.role.stored();
                tx.prepare_cached(
                    "INSERT INTO accounts (id, name, role, admin, region, token_hash, created_at, last_received_at)
                     VALUES (?1, ?2, ?3, ?8, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    account.id,
                    account.name,
                    role,
                    account.region,
                    token_hash,
                    time_text(account.created_at),
                    last_received_at.map(time_text),
                    admin
                ])?;
            }
            Record::Form {
                form,
                seq,
                installed_at,
            } => {
                tx.prepare_cached(
                    "INSERT INTO forms (id, version, stage, definition, seq, installed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    form.id.as_str(),
                    form.version,
                    form.stage.as_str(),
                    to_json(form)?,
                    seq,
                    time_text(*installed_at)
                ])?;
            }
            Record::Station { station: s, seq } => {
                tx.prepare_cached(
                    "INSERT INTO stations (code, name, region, district, level, registered_voters,
                       area, kind, latitude, longitude, seq)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )?
                .execute(params![
                    s.code.as_str(),
                    s.name,
                    s.region,
                    s.district,
                    s.level.as_str(),
                    s.registered_voters,
                    eom_shared::Area::stored(s.area),
                    s.kind.as_str(),
                    s.coordinates.map(|c| c.latitude),
                    s.coordinates.map(|c| c.longitude),
                    seq
                ])?;
            }
            Record::Revision {
                id,
                observer_id,
                record: r,
            } => {
                tx.prepare_cached(
                    "INSERT INTO revisions (submission_id, revision, content_hash, observer_id,
                       form_id, form_version, station_code, observed_at, answers, notes,
                       warnings, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )?
                .execute(params![
                    id.to_string(),
                    r.revision,
                    r.content_hash.0,
                    observer_id,
                    r.form_id.as_str(),
                    r.form_version,
                    r.station.as_str(),
                    time_text(r.observed_at),
                    to_json(&r.answers)?,
                    r.notes,
                    to_json(&r.warnings)?,
                    time_text(r.received_at)
                ])?;
            }
            Record::Current {
                id,
                revision,
                observer_id,
                stage,
                region,
                first_received_at,
                review_status,
                reviewed_revision,
            } => {
                // The rest comes from the current revision; what it contributes to the
                // totals is recomputed afterwards (`rebuild_tallies`).
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO submissions (id, revision, observer_id, form_id, form_version,
                           stage, station_code, region, observed_at, first_received_at,
                           received_at, review_status, reviewed_revision, observed_hour, findings)
                         SELECT submission_id, revision, ?3, form_id, form_version, ?4,
                           station_code, ?5, observed_at, ?6, received_at, ?7, ?8,
                           substr(observed_at, 1, 13), '{}'
                         FROM revisions WHERE submission_id = ?1 AND revision = ?2",
                    )?
                    .execute(params![
                        id.to_string(),
                        revision,
                        observer_id,
                        stage.as_str(),
                        region,
                        time_text(*first_received_at),
                        review_status.as_str(),
                        reviewed_revision
                    ])?;
                if inserted != 1 {
                    return Err(StoreError::corrupt(format!(
                        "checklist {id}: its current revision {revision} is missing"
                    )));
                }
            }
            Record::Conflict { id, record: r } => {
                tx.prepare_cached(
                    "INSERT INTO conflicts (submission_id, revision, content_hash, observer_id,
                       payload, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    id.to_string(),
                    r.revision,
                    r.content_hash.0,
                    r.observer_id,
                    to_json(&r.payload)?,
                    time_text(r.received_at)
                ])?;
            }
            Record::Review {
                id,
                revision,
                status,
                comment,
                reviewer_id,
                at,
                seq,
            } => {
                tx.prepare_cached(
                    "INSERT INTO reviews (submission_id, revision, status, comment, reviewer_id,
                       created_at, seq)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    id.to_string(),
                    revision,
                    status.as_str(),
                    comment,
                    reviewer_id,
                    time_text(*at),
                    seq
                ])?;
            }
            Record::Cursor(value) => {
                tx.execute(
                    "UPDATE catalog_sequence SET value = max(value, ?1)",
                    [value],
                )?;
            }
            Record::ServerKey { purpose, secret } => {
                tx.execute(
                    "INSERT INTO server_keys (purpose, secret, created_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (purpose) DO UPDATE SET secret = excluded.secret",
                    params![purpose, secret, time_text(chrono::Utc::now())],
                )?;
            }
            Record::Audit(e) => super::audit::insert(tx, e)?,
            Record::TeamDetails {
                account_id,
                phone,
                stations,
                client_version,
            } => {
                tx.execute(
                    "INSERT INTO team_details (account_id, phone, stations, client_version)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![account_id, phone, stations.join("\n"), client_version],
                )?;
            }
            Record::Message(m) => super::messages::create(tx, m)?,
            Record::MessageRead {
                message_id,
                account_id,
                read_at,
            } => {
                tx.execute(
                    "INSERT INTO message_reads (message_id, account_id, read_at) VALUES (?1, ?2, ?3)",
                    params![message_id.to_string(), account_id, time_text(*read_at)],
                )?;
            }
            Record::Call(call) => {
                super::teams::record_call(tx, call)?;
            }
            Record::Attachment {
                sha256,
                mime,
                data,
                created_at,
            } => super::attachments::insert_whole(tx, sha256, mime, data, *created_at)?,
            Record::AttachmentLink {
                submission_id,
                sha256,
                name,
                added_at,
            } => {
                super::attachments::insert_link(tx, *submission_id, sha256, name, *added_at)?;
            }
            Record::Publication(publication) => super::official::insert(tx, publication, &[])?,
            Record::OfficialFigure { version, figure } => {
                super::official::insert_figures(tx, *version, std::slice::from_ref(figure))?;
            }
        }
    }
    Ok(())
}
