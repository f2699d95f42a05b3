//! Canonical JSON: one byte sequence for one value, whatever the key order it arrived in.
//!
//! The content hash must not depend on how a JSON library happened to order object keys, so
//! keys are sorted here explicitly (by their UTF-8 bytes) instead of relying on a
//! `serde_json` feature flag that another crate in the build could switch.

use std::io::{self, Write};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Serialises `value` with object keys sorted and no insignificant white space.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail, and serde_json writes UTF-8 only.
    let _ = write_value(value, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A SHA-256 that canonical JSON is written into directly, without building the text.
#[derive(Default)]
pub struct CanonicalHasher(Sha256);

impl CanonicalHasher {
    /// Lower-case hex of the digest of everything written.
    pub fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

impl Write for CanonicalHasher {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes `value` as canonical JSON to `out`.
pub fn write_value(value: &Value, out: &mut impl Write) -> io::Result<()> {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.write_all(b"{")?;
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_string(key, out)?;
                out.write_all(b":")?;
                write_value(item, out)?;
            }
            out.write_all(b"}")
        }
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_value(item, out)?;
            }
            out.write_all(b"]")
        }
        // Strings, numbers, booleans and null have a single serde_json rendering.
        other => serde_json::to_writer(out, other).map_err(io::Error::other),
    }
}

/// Writes `s` as a JSON string (serde_json's escaping, which is deterministic).
pub fn write_string(s: &str, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer(out, s).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// In the `preserve_order` test build, the maps below iterate in the order written, so
    /// this fails if `write_value` stops sorting; the default build (sorted maps) cannot tell.
    #[test]
    fn sorts_keys_at_every_depth() {
        let v = json!({"b": 1, "a": {"d": [3, {"z": true, "y": null}], "c": "x"}});
        #[cfg(feature = "preserve_order")]
        assert_eq!(
            v.as_object()
                .and_then(|m| m.keys().next())
                .map(String::as_str),
            Some("b"),
            "with preserve_order the map must keep arrival order, or this test proves nothing"
        );
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}"#
        );
    }

    #[test]
    fn escapes_strings_like_json() {
        let v = json!({"q": "line\n\"quoted\" Қазақ"});
        assert_eq!(canonical_json(&v), r#"{"q":"line\n\"quoted\" Қазақ"}"#);
    }

    #[test]
    fn sha256_of_empty_input_is_the_known_value() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
