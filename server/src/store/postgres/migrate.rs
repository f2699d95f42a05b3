//! Dumping and loading a whole mission ([`Record`]s), for `eom-server migrate`.

use deadpool_postgres::GenericClient;
use eom_shared::Stage;
use eom_shared::submission::SubmissionId;
use eom_shared::sync::ReviewStatus;
use serde_json::Value;
use tokio_postgres::Row;
use tokio_postgres::types::Json;

use super::{
    account_from_row, conflict_from_row, count, get, json, known, optional_count, parsed,
    revision_from_row, station_from_row,
};
use crate::store::{Audience, CallOutcome, NewCall, NewMessage, Record, StoreError};

/// The queries of a dump, in the order `load` needs, each with its row reader.
pub(super) type Reader = fn(&Row) -> Result<Record, StoreError>;

pub(super) const DUMP: &[(&str, Reader)] = &[
    ("SELECT * FROM accounts ORDER BY id", read_account),
    ("SELECT * FROM forms ORDER BY seq, id, version", read_form),
    ("SELECT * FROM stations ORDER BY seq, code", read_station),
    (
        "SELECT * FROM revisions ORDER BY submission_id, revision",
        read_revision,
    ),
    ("SELECT * FROM submissions ORDER BY id", read_current),
    (
        "SELECT * FROM conflicts ORDER BY submission_id, revision, received_at",
        read_conflict,
    ),
    ("SELECT * FROM reviews ORDER BY id", read_review),
    (
        "SELECT * FROM team_details ORDER BY account_id",
        read_team_details,
    ),
    ("SELECT * FROM messages ORDER BY sent_at, id", read_message),
    (
        "SELECT * FROM message_reads ORDER BY message_id, account_id",
        read_message_read,
    ),
    ("SELECT * FROM team_calls ORDER BY called_at, id", read_call),
    (
        super::official::PUBLICATIONS,
        super::official::publication_record,
    ),
    (super::official::FIGURES, super::official::figure_record),
    (
        super::attachments::ATTACHMENTS,
        super::attachments::attachment_record,
    ),
    (super::attachments::LINKS, super::attachments::link_record),
    (
        "SELECT purpose, secret FROM server_keys ORDER BY purpose",
        read_key,
    ),
    ("SELECT * FROM audit_log ORDER BY seq", read_audit),
    ("SELECT value FROM catalog_sequence", read_cursor),
];

fn read_team_details(r: &Row) -> Result<Record, StoreError> {
    let stations: String = get(r, "stations")?;
    Ok(Record::TeamDetails {
        account_id: get(r, "account_id")?,
        phone: get(r, "phone")?,
        stations: stations.lines().map(str::to_owned).collect(),
        client_version: get(r, "client_version")?,
    })
}

fn read_message(r: &Row) -> Result<Record, StoreError> {
    let (audience, target): (String, String) = (get(r, "audience")?, get(r, "target")?);
    Ok(Record::Message(NewMessage {
        id: parsed(r, "id", uuid::Uuid::parse_str)?,
        author_id: get(r, "author_id")?,
        audience: Audience::from_stored(&audience, &target)?,
        body: get(r, "body")?,
        sent_at: get(r, "sent_at")?,
    }))
}

fn read_message_read(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::MessageRead {
        message_id: parsed(r, "message_id", uuid::Uuid::parse_str)?,
        account_id: get(r, "account_id")?,
        read_at: get(r, "read_at")?,
    })
}

fn read_call(r: &Row) -> Result<Record, StoreError> {
    let outcome: String = get(r, "outcome")?;
    Ok(Record::Call(NewCall {
        id: parsed(r, "id", uuid::Uuid::parse_str)?,
        team_id: get(r, "account_id")?,
        caller_id: get(r, "caller_id")?,
        at: get(r, "called_at")?,
        outcome: CallOutcome::parse(&outcome)
            .ok_or_else(|| StoreError::corrupt(format!("call outcome '{outcome}'")))?,
        note: get(r, "note")?,
    }))
}

fn read_account(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::Account {
        account: account_from_row(r)?,
        token_hash: get(r, "token_hash")?,
        last_received_at: get(r, "last_received_at")?,
    })
}

fn read_form(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::Form {
        form: json(r, "definition")?,
        seq: count(r, "seq")?,
        installed_at: get(r, "installed_at")?,
    })
}

fn read_station(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::Station {
        station: station_from_row(r)?,
        seq: count(r, "seq")?,
    })
}

fn read_revision(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::Revision {
        id: parsed(r, "submission_id", SubmissionId::parse)?,
        observer_id: get(r, "observer_id")?,
        record: revision_from_row(r)?,
    })
}

fn read_current(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::Current {
        id: parsed(r, "id", SubmissionId::parse)?,
        revision: count(r, "revision")?,
        observer_id: get(r, "observer_id")?,
        stage: parsed(r, "stage", known(Stage::parse))?,
        region: get(r, "region")?,
        first_received_at: get(r, "first_received_at")?,
        review_status: parsed(r, "review_status", known(ReviewStatus::parse))?,
        reviewed_revision: optional_count(r, "reviewed_revision")?,
    })
}

fn read_conflict(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::Conflict {
        id: parsed(r, "submission_id", SubmissionId::parse)?,
        record: conflict_from_row(r)?,
    })
}

fn read_review(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::Review {
        id: parsed(r, "submission_id", SubmissionId::parse)?,
        revision: count(r, "revision")?,
        status: parsed(r, "status", known(ReviewStatus::parse))?,
        comment: get(r, "comment")?,
        reviewer_id: get(r, "reviewer_id")?,
        at: get(r, "created_at")?,
        seq: count(r, "seq")?,
    })
}

fn read_key(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::ServerKey {
        purpose: get(r, "purpose")?,
        secret: get(r, "secret")?,
    })
}

fn read_audit(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::Audit(crate::audit::AuditEntry {
        seq: count(r, "seq")?,
        at: get(r, "at")?,
        actor: get(r, "actor")?,
        action: get(r, "action")?,
        subject: get(r, "subject")?,
        digest: get(r, "digest")?,
        prev: get(r, "prev")?,
        hash: get(r, "hash")?,
    }))
}

fn read_cursor(r: &Row) -> Result<Record, StoreError> {
    Ok(Record::Cursor(count(r, "value")?))
}

fn bigint<T: TryInto<i64>>(value: T) -> Result<i64, StoreError> {
    value
        .try_into()
        .map_err(|_| StoreError::Invalid("a number is too large for PostgreSQL".into()))
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, StoreError> {
    serde_json::to_value(value).map_err(StoreError::database)
}

pub(super) async fn load(tx: &impl GenericClient, records: &[Record]) -> Result<(), StoreError> {
    for record in records {
        match record {
            Record::Account {
                account,
                token_hash,
                last_received_at,
            } => {
                let (role, admin) = account.role.stored();
                tx.execute(
                    "INSERT INTO accounts (id, name, role, region, token_hash, created_at, last_received_at, admin)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        &account.id,
                        &account.name,
                        &role,
                        &account.region,
                        token_hash,
                        &account.created_at,
                        last_received_at,
                        &admin,
                    ],
                )
                .await?;
            }
            Record::Form {
                form,
                seq,
                installed_at,
            } => {
                tx.execute(
                    "INSERT INTO forms (id, version, stage, definition, seq, installed_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &form.id.as_str(),
                        &i64::from(form.version),
                        &form.stage.as_str(),
                        &Json(form),
                        &bigint(*seq)?,
                        installed_at,
                    ],
                )
                .await?;
            }
            Record::Station { station: s, seq } => {
                tx.execute(
                    "INSERT INTO stations (code, name, region, district, level, registered_voters,
                       area, kind, latitude, longitude, seq)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    &[
                        &s.code.as_str(),
                        &s.name,
                        &s.region,
                        &s.district,
                        &s.level.as_str(),
                        &s.registered_voters.map(i64::from),
                        &eom_shared::Area::stored(s.area),
                        &s.kind.as_str(),
                        &s.coordinates.map(|c| c.latitude),
                        &s.coordinates.map(|c| c.longitude),
                        &bigint(*seq)?,
                    ],
                )
                .await?;
            }
            Record::Revision {
                id,
                observer_id,
                record: r,
            } => {
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO revisions (submission_id, revision, content_hash, observer_id,
                           form_id, form_version, station_code, observed_at, answers, notes,
                           warnings, received_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    )
                    .await?;
                tx.execute(
                    &stmt,
                    &[
                        &id.to_string(),
                        &i64::from(r.revision),
                        &r.content_hash.0,
                        observer_id,
                        &r.form_id.as_str(),
                        &i64::from(r.form_version),
                        &r.station.as_str(),
                        &r.observed_at,
                        &Value::Object(r.answers.clone()),
                        &r.notes,
                        &to_value(&r.warnings)?,
                        &r.received_at,
                    ],
                )
                .await?;
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
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO submissions (id, revision, observer_id, form_id, form_version,
                           stage, station_code, region, observed_at, observed_hour,
                           first_received_at, received_at, review_status, reviewed_revision,
                           findings)
                         SELECT submission_id, revision, $3, form_id, form_version, $4,
                           station_code, $5, observed_at, date_trunc('hour', observed_at), $6,
                           received_at, $7, $8, '[]'::jsonb
                         FROM revisions WHERE submission_id = $1 AND revision = $2",
                    )
                    .await?;
                let inserted = tx
                    .execute(
                        &stmt,
                        &[
                            &id.to_string(),
                            &i64::from(*revision),
                            observer_id,
                            &stage.as_str(),
                            region,
                            first_received_at,
                            &review_status.as_str(),
                            &reviewed_revision.map(i64::from),
                        ],
                    )
                    .await?;
                if inserted != 1 {
                    return Err(StoreError::corrupt(format!(
                        "checklist {id}: its current revision {revision} is missing"
                    )));
                }
            }
            Record::Conflict { id, record: r } => {
                tx.execute(
                    "INSERT INTO conflicts (submission_id, revision, content_hash, observer_id,
                       payload, received_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &id.to_string(),
                        &i64::from(r.revision),
                        &r.content_hash.0,
                        &r.observer_id,
                        &r.payload,
                        &r.received_at,
                    ],
                )
                .await?;
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
                tx.execute(
                    "INSERT INTO reviews (submission_id, revision, status, comment, reviewer_id,
                       created_at, seq)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &id.to_string(),
                        &i64::from(*revision),
                        &status.as_str(),
                        comment,
                        reviewer_id,
                        at,
                        &bigint(*seq)?,
                    ],
                )
                .await?;
            }
            Record::Cursor(value) => {
                tx.execute(
                    "UPDATE catalog_sequence SET value = greatest(value, $1)",
                    &[&bigint(*value)?],
                )
                .await?;
            }
            Record::ServerKey { purpose, secret } => {
                tx.execute(
                    "INSERT INTO server_keys (purpose, secret, created_at) VALUES ($1, $2, now())
                     ON CONFLICT (purpose) DO UPDATE SET secret = excluded.secret",
                    &[purpose, secret],
                )
                .await?;
            }
            Record::Audit(e) => {
                tx.execute(
                    "INSERT INTO audit_log (seq, at, actor, action, subject, digest, prev, hash)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        &bigint(e.seq)?,
                        &e.at,
                        &e.actor,
                        &e.action,
                        &e.subject,
                        &e.digest,
                        &e.prev,
                        &e.hash,
                    ],
                )
                .await?;
            }
            Record::TeamDetails {
                account_id,
                phone,
                stations,
                client_version,
            } => {
                tx.execute(
                    "INSERT INTO team_details (account_id, phone, stations, client_version)
                     VALUES ($1, $2, $3, $4)",
                    &[account_id, phone, &stations.join("\n"), client_version],
                )
                .await?;
            }
            Record::Message(m) => super::messages::create(tx, m).await?,
            Record::MessageRead {
                message_id,
                account_id,
                read_at,
            } => {
                tx.execute(
                    "INSERT INTO message_reads (message_id, account_id, read_at) VALUES ($1, $2, $3)",
                    &[&message_id.to_string(), account_id, read_at],
                )
                .await?;
            }
            Record::Call(call) => {
                super::teams::record_call(tx, call).await?;
            }
            Record::Attachment {
                sha256,
                mime,
                data,
                created_at,
            } => super::attachments::insert_whole(tx, sha256, mime, data, *created_at).await?,
            Record::AttachmentLink {
                submission_id,
                sha256,
                name,
                added_at,
            } => {
                super::attachments::insert_link(tx, *submission_id, sha256, name, *added_at)
                    .await?;
            }
            Record::Publication(publication) => {
                super::official::insert(tx, publication, &[]).await?;
            }
            Record::OfficialFigure { version, figure } => {
                super::official::insert_figures(tx, *version, std::slice::from_ref(figure)).await?;
            }
        }
    }
    Ok(())
}
