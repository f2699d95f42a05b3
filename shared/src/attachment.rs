//! Attachments: photos of the protocol (and of anything else an observer documents), sent
//! apart from the answers.
//!
//! An attachment is named by the SHA-256 of its bytes: the same photo attached twice, or by two
//! teams, is stored once, and the server checks the bytes it assembled against the name before
//! it keeps them. It travels in chunks, each sent at the offset the server says it has, so an
//! upload cut by a bad link or a killed laptop resumes where it stopped instead of restarting.

use serde::{Deserialize, Serialize};

/// The largest attachment: a phone photo of a protocol is 2 to 8 MB.
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;

/// The size of one upload request's body: small enough to get through on a bad link, large
/// enough that a photo takes a few dozen requests.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// The image types an attachment may be, recognised from its first bytes (not its name).
pub const TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/heif"];

/// The longest file name kept.
pub const MAX_NAME_CHARS: usize = 200;

/// The type of an attachment from its first bytes, if it is one eom accepts.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let kind = infer::get(bytes)?;
    let mime = match kind.mime_type() {
        "image/heic" | "image/heif" => "image/heif",
        other => other,
    };
    TYPES.into_iter().find(|t| *t == mime)
}

/// Why a file cannot be attached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Problem {
    Empty,
    /// Its size in megabytes.
    TooLarge(f64),
    NotAnImage,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Empty => write!(f, "the file is empty"),
            Problem::TooLarge(mb) => write!(
                f,
                "the file is {mb:.1} MB and the limit is {} MB: take the photo at a lower resolution",
                MAX_BYTES / 1_048_576
            ),
            Problem::NotAnImage => write!(
                f,
                "the file is not a JPEG, PNG, WebP or HEIF image: attach the photo itself"
            ),
        }
    }
}

/// The type of a file that may be attached, or why it may not.
pub fn check(bytes: &[u8]) -> Result<&'static str, Problem> {
    if bytes.is_empty() {
        return Err(Problem::Empty);
    }
    if bytes.len() as u64 > MAX_BYTES {
        return Err(Problem::TooLarge(bytes.len() as f64 / 1_048_576.0));
    }
    sniff(bytes).ok_or(Problem::NotAnImage)
}

/// A SHA-256 in lower-case hex, as attachments are named.
pub fn is_sha256(raw: &str) -> bool {
    raw.len() == 64 && raw.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

/// What the server holds of an upload: `received` bytes so far; `complete` once every byte
/// arrived and matched the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadState {
    pub received: u64,
    pub complete: bool,
}

/// An attachment of a checklist, as its detail lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentInfo {
    pub sha256: String,
    pub name: String,
    pub mime: String,
    pub size: u64,
    pub added_at: chrono::DateTime<chrono::Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D,
    ];

    #[test]
    fn images_are_recognised_by_their_bytes_not_their_names() {
        assert_eq!(check(JPEG), Ok("image/jpeg"));
        assert_eq!(check(PNG), Ok("image/png"));
        assert_eq!(check(b"%PDF-1.7 not a photo"), Err(Problem::NotAnImage));
        assert_eq!(check(b"MZ\x90\x00 a program"), Err(Problem::NotAnImage));
        assert_eq!(check(&[]), Err(Problem::Empty));
        let mut huge = JPEG.to_vec();
        huge.resize(MAX_BYTES as usize + 1, 0);
        let too_large = check(&huge).expect_err("too big");
        assert!(
            too_large.to_string().contains("limit is 20 MB"),
            "{too_large}"
        );
    }

    #[test]
    fn names_are_lower_case_sha256() {
        let name = crate::sha256_hex(JPEG);
        assert!(is_sha256(&name));
        assert!(!is_sha256(&name.to_uppercase()));
        assert!(!is_sha256("../../etc/passwd"));
    }
}
