//! The JSON body of every error answer from the server, so the client can read it back.

use serde::{Deserialize, Serialize};

/// `{"error": "unauthorized", "message": "...", "hint": "...", "retryable": false}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A stable, machine-readable code such as `unauthorized` or `overloaded`.
    pub error: String,
    /// What went wrong, for a person.
    pub message: String,
    /// What to do about it, when there is something to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Whether sending the same request again later can succeed.
    pub retryable: bool,
}
