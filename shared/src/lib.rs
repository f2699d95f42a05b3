//! Types shared by the `eom` client and `eom-server`.
//!
//! Everything the two programs exchange is defined here, and so is the validation of a
//! checklist against its form: the laptop runs it to help the observer, the server runs the
//! same code to protect the data. This crate is pure: no I/O, no async runtime, no database.

pub mod attachment;
pub mod canonical;
pub mod contest;
pub mod csv_file;
pub mod default_forms;
pub mod error;
pub mod form;
pub mod limits;
pub mod receipt;
pub mod search;
pub mod station;
pub mod station_list;
pub mod submission;
pub mod sync;
pub mod validate;

pub use canonical::{canonical_json, sha256_hex};
pub use error::ErrorBody;
pub use form::{Assessment, Form, FormId, Labels, Question, QuestionKind, Stage};
pub use station::{Area, Coordinates, Station, StationCode, StationKind, StationLevel};
pub use submission::{ContentHash, SubmissionContent, SubmissionId, SubmissionPayload};
pub use validate::{Issue, IssueKind, Severity, Validation, validate, validate_submission};

/// Sent by the server in the `Eom-Version` header of every response, and in `/health`.
/// The client treats any answer without it as "not an eom server" (captive portal, proxy).
pub const VERSION_HEADER: &str = "Eom-Version";

/// The value of the `service` field of `GET /api/v1/health`.
pub const SERVICE_NAME: &str = "eom-server";

/// Version of this crate, which is the version of the wire protocol's types.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
