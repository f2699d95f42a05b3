//! Signed receipts: the server's word, in a form anyone can check, that it held a checklist
//! revision with a given content hash at a given time.
//!
//! The server signs, with its Ed25519 key, the text `eom receipt v1`, the checklist id, the
//! revision, the content hash and the time, one per line. The laptop keeps every receipt and
//! the server's public key (fetched at setup), so an observer can later prove what they
//! delivered and when, even if the server's records are changed or lost.

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::submission::{ContentHash, SubmissionId};

/// `GET /api/v1/receipts/key`: the public key receipts are signed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptKey {
    /// Always `ed25519`.
    pub algorithm: String,
    /// The 32-byte public key, hex.
    pub public_key: String,
}

/// One receipt, as it travels in a push answer and as the laptop keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    pub id: SubmissionId,
    pub revision: u32,
    pub content_hash: ContentHash,
    /// When the push carrying it arrived at the server.
    pub received_at: DateTime<Utc>,
    /// Ed25519 signature over [`Receipt::signed_text`], hex.
    pub signature: String,
}

impl Receipt {
    /// Exactly what is signed.
    pub fn signed_text(
        id: SubmissionId,
        revision: u32,
        content_hash: &ContentHash,
        received_at: DateTime<Utc>,
    ) -> String {
        format!(
            "eom receipt v1\n{id}\n{revision}\n{}\n{}",
            content_hash.0,
            received_at.to_rfc3339_opts(SecondsFormat::Millis, true)
        )
    }

    pub fn sign(
        key: &SigningKey,
        id: SubmissionId,
        revision: u32,
        content_hash: ContentHash,
        received_at: DateTime<Utc>,
    ) -> Self {
        let text = Self::signed_text(id, revision, &content_hash, received_at);
        let signature = hex::encode(key.sign(text.as_bytes()).to_bytes());
        Self {
            id,
            revision,
            content_hash,
            received_at,
            signature,
        }
    }

    /// Whether the signature is the key's over this receipt's fields.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let Some(bytes) = hex::decode(&self.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
        else {
            return false;
        };
        let text = Self::signed_text(self.id, self.revision, &self.content_hash, self.received_at);
        key.verify(text.as_bytes(), &Signature::from_bytes(&bytes))
            .is_ok()
    }
}

impl ReceiptKey {
    pub fn of(key: &VerifyingKey) -> Self {
        Self {
            algorithm: "ed25519".to_owned(),
            public_key: hex::encode(key.to_bytes()),
        }
    }

    /// The key, when it is an Ed25519 public key in hex.
    pub fn parse(&self) -> Result<VerifyingKey, String> {
        if self.algorithm != "ed25519" {
            return Err(format!(
                "receipts signed with '{}' cannot be checked",
                self.algorithm
            ));
        }
        hex::decode(self.public_key.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .and_then(|b| VerifyingKey::from_bytes(&b).ok())
            .ok_or_else(|| "the server's receipt key is not an Ed25519 public key".to_owned())
    }
}

/// A signing key from its 32 secret bytes in hex.
pub fn signing_key(secret_hex: &str) -> Result<SigningKey, String> {
    hex::decode(secret_hex.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(|b| SigningKey::from_bytes(&b))
        .ok_or_else(|| "the stored receipt key is not 32 bytes of hex".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn receipt() -> Receipt {
        Receipt::sign(
            &key(),
            SubmissionId::parse("0193a0d0-0000-7000-8000-000000000001").expect("id"),
            2,
            ContentHash("ab".repeat(32)),
            DateTime::parse_from_rfc3339("2026-03-19T10:15:00Z")
                .expect("time")
                .with_timezone(&Utc),
        )
    }

    #[test]
    fn a_receipt_verifies_with_the_servers_key_and_nothing_else() {
        let r = receipt();
        let public = key().verifying_key();
        assert!(r.verify(&public));
        assert!(!r.verify(&SigningKey::from_bytes(&[8u8; 32]).verifying_key()));
        let published = ReceiptKey::of(&public);
        assert_eq!(published.parse().expect("key"), public);
    }

    #[test]
    fn any_altered_field_breaks_the_signature() {
        let public = key().verifying_key();
        let mut r = receipt();
        r.revision = 3;
        assert!(!r.verify(&public));
        let mut r = receipt();
        r.content_hash = ContentHash("cd".repeat(32));
        assert!(!r.verify(&public));
        let mut r = receipt();
        r.received_at += chrono::Duration::seconds(1);
        assert!(!r.verify(&public));
        let mut r = receipt();
        r.signature = "00".repeat(64);
        assert!(!r.verify(&public));
        r.signature = "zz".into();
        assert!(!r.verify(&public));
    }
}
