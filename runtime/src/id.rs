//! Deterministic resource ids: UUID v5 under one fixed Ferry namespace, so a
//! rerun over the same input produces the same ids and never duplicates.
//!
//! The name hashed is the **id key**, `{ResourceType}|{part}|{part}…`, where
//! every piece has `\` written as `\\` and `|` as `\|`. The escaping makes the
//! key injective: `("a|b")` and `("a", "b")` cannot produce the same key. The
//! key is hashed as UTF-8 bytes, streamed into SHA-1 without building a
//! string: `uuid5(FERRY_NAMESPACE, key)` in any UUID library gives the same
//! id (`python3 -c 'import uuid; print(uuid.uuid5(uuid.UUID("1bf3e013-11b6-4333-a31e-4c0e73ab486b"), "Patient|urn:oid:1.2.3|12345"))'`).
//!
//! Empty parts are rejected: an id built from a missing MRN would otherwise
//! be shared by every patient without one (the silent collision other
//! converters have).

use sha1::Digest;
use std::fmt;

use uuid::Uuid;

use crate::convert::{ConvertError, ConvertErrorKind};

/// The namespace of every Ferry id. Generated once (v4) for Ferry; never
/// change it, or every id changes.
pub const FERRY_NAMESPACE: Uuid = Uuid::from_u128(0x1bf3e013_11b6_4333_a31e_4c0e73ab486b);

/// A deterministic resource id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(Uuid);

impl ResourceId {
    /// The UUID.
    pub fn uuid(&self) -> Uuid {
        self.0
    }

    /// The id of an id key built by [`id_key`] (or [`push_escaped`]):
    /// `resource_id(t, parts)` is `ResourceId::of_key(&id_key(t, parts))`.
    /// Does not check the key; [`resource_id`] rejects empty parts.
    pub fn of_key(key: &str) -> ResourceId {
        let mut hasher = sha1::Sha1::new();
        hasher.update(FERRY_NAMESPACE.as_bytes());
        hasher.update(key.as_bytes());
        ResourceId::of_hash(hasher)
    }

    /// The UUID v5 of what `hasher` was fed.
    fn of_hash(hasher: sha1::Sha1) -> ResourceId {
        let digest = hasher.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        ResourceId(uuid::Builder::from_sha1_bytes(bytes).into_uuid())
    }

    /// The lowercase hyphenated text (36 characters), as a `String`.
    pub fn to_text_string(&self) -> String {
        let mut buf = [0u8; 36];
        self.0.hyphenated().encode_lower(&mut buf).to_owned()
    }

    /// Appends the lowercase hyphenated text (36 characters) to `out`.
    pub fn push_text(&self, out: &mut Vec<u8>) {
        let mut buf = [0u8; 36];
        out.extend_from_slice(self.0.hyphenated().encode_lower(&mut buf).as_bytes());
    }

    /// The lowercase hyphenated text (36 characters): a valid FHIR `id`.
    pub fn text(&self) -> IdText {
        let mut buf = [0u8; 45];
        buf[..9].copy_from_slice(b"urn:uuid:");
        self.0.hyphenated().encode_lower(&mut buf[9..]);
        IdText { buf, start: 9 }
    }

    /// `urn:uuid:` followed by the id: a Bundle `fullUrl` or reference.
    pub fn urn(&self) -> IdText {
        let mut text = self.text();
        text.start = 0;
        text
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

/// An id's text held inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdText {
    buf: [u8; 45],
    start: u8,
}

impl IdText {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written, so this never falls back.
        std::str::from_utf8(&self.buf[usize::from(self.start)..]).unwrap_or_default()
    }
}

impl fmt::Debug for IdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for IdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The id of a `resource_type` resource identified by `parts` (typically
/// identifier system and value), as documented in the module.
///
/// Fails with [`ConvertErrorKind::EmptyIdPart`] when the type or any part is
/// empty, and when there are no parts.
pub fn resource_id(resource_type: &str, parts: &[&str]) -> Result<ResourceId, ConvertError> {
    if resource_type.is_empty() || parts.is_empty() || parts.iter().any(|p| p.is_empty()) {
        return Err(empty_id_part());
    }
    let mut hasher = sha1::Sha1::new();
    hasher.update(FERRY_NAMESPACE.as_bytes());
    update_escaped(&mut hasher, resource_type);
    for part in parts {
        hasher.update(b"|");
        update_escaped(&mut hasher, part);
    }
    Ok(ResourceId::of_hash(hasher))
}

/// The error of an id key with an empty type or part, or without parts.
pub fn empty_id_part() -> ConvertError {
    ConvertError::new(
        ConvertErrorKind::EmptyIdPart,
        "id",
        "a deterministic id needs a resource type and non-empty key parts",
        "",
    )
}

/// The id key [`resource_id`] hashes, as a string (for logs, docs and
/// cross-checks; `resource_id` itself never builds it).
pub fn id_key(resource_type: &str, parts: &[&str]) -> String {
    let mut key = escape(resource_type);
    for part in parts {
        key.push('|');
        key.push_str(&escape(part));
    }
    key
}

fn escape(piece: &str) -> String {
    let mut s = String::with_capacity(piece.len());
    push_escaped(&mut s, piece);
    s
}

/// Appends `piece` to an id key, with `\` written as `\\` and `|` as `\|`.
pub fn push_escaped(key: &mut String, piece: &str) {
    // Most parts hold neither: tested eight bytes at a time.
    if !crate::swar::has_either(piece.as_bytes(), b'|', b'\\') {
        key.push_str(piece);
        return;
    }
    // Runs between the escaped bytes are copied whole (`|` and `\\` are
    // ASCII, so every cut is a char boundary).
    let mut start = 0;
    for (i, b) in piece.bytes().enumerate() {
        if b == b'|' || b == b'\\' {
            key.push_str(piece.get(start..i).unwrap_or_default());
            key.push('\\');
            start = i;
        }
    }
    key.push_str(piece.get(start..).unwrap_or_default());
}

fn update_escaped(hasher: &mut sha1::Sha1, piece: &str) {
    let bytes = piece.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'|' || b == b'\\' {
            hasher.update(&bytes[start..i]);
            hasher.update(b"\\");
            start = i;
        }
    }
    hasher.update(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_input_same_id() {
        let a = resource_id("Patient", &["urn:oid:1.2.3", "12345"]).unwrap();
        let b = resource_id("Patient", &["urn:oid:1.2.3", "12345"]).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.uuid().get_version_num(), 5);
        assert_ne!(
            a,
            resource_id("Patient", &["urn:oid:1.2.3", "12346"]).unwrap()
        );
        assert_ne!(
            a,
            resource_id("Encounter", &["urn:oid:1.2.3", "12345"]).unwrap()
        );
    }

    #[test]
    fn escaping_prevents_collisions() {
        let joined = resource_id("Patient", &["a|b"]).unwrap();
        let split = resource_id("Patient", &["a", "b"]).unwrap();
        assert_ne!(joined, split);
        assert_eq!(id_key("Patient", &["a|b"]), r"Patient|a\|b");
        assert_eq!(id_key("Patient", &["a", "b"]), "Patient|a|b");
        // A trailing backslash cannot swallow the separator.
        assert_ne!(
            resource_id("Patient", &["a\\", "b"]).unwrap(),
            resource_id("Patient", &["a\\|b"]).unwrap()
        );
        assert_eq!(id_key("Patient", &["a\\", "b"]), r"Patient|a\\|b");
        assert_eq!(id_key("Patient", &["a\\|b"]), r"Patient|a\\\|b");
    }

    #[test]
    fn streaming_hash_equals_uuid_v5_of_the_key() {
        for parts in [&["x"][..], &["sys|tem", "va\\lue"], &["Müller", "日本"]] {
            let key = id_key("Patient", parts);
            let expected = Uuid::new_v5(&FERRY_NAMESPACE, key.as_bytes());
            assert_eq!(
                resource_id("Patient", parts).unwrap().uuid(),
                expected,
                "{key}"
            );
            assert_eq!(ResourceId::of_key(&key).uuid(), expected, "{key}");
        }
    }

    proptest::proptest! {
        /// Escaping by runs writes what escaping char by char writes.
        #[test]
        fn push_escaped_escapes_every_pipe_and_backslash(piece in "[a|\\\\é日]{0,12}") {
            let mut expected = String::from("K|");
            for c in piece.chars() {
                if c == '|' || c == '\\' {
                    expected.push('\\');
                }
                expected.push(c);
            }
            let mut key = String::from("K|");
            push_escaped(&mut key, &piece);
            proptest::prop_assert_eq!(key, expected);
        }
    }

    /// Known vectors computed with Python's `uuid.uuid5` under
    /// `FERRY_NAMESPACE`: any UUID library reproduces Ferry ids.
    #[test]
    fn known_vectors_match_python_uuid5() {
        let cases: [(&[&str], &str); 3] = [
            (
                &["urn:oid:1.2.3", "12345"],
                "5a430a1a-9c92-5108-b7d2-a294bbf2ec78",
            ),
            (&["a|b"], "84bd6d2c-8e70-53fd-ad98-8edc3147f5c3"),
            (&["Müller"], "d937ed9f-29ed-5482-b667-016bf5dfea0d"),
        ];
        for (parts, expected) in cases {
            let id = resource_id("Patient", parts).unwrap();
            assert_eq!(id.text().as_str(), expected, "{parts:?}");
        }
    }

    #[test]
    fn empty_parts_are_rejected() {
        for parts in [&[][..], &[""], &["sys", ""]] {
            let err = resource_id("Patient", parts).unwrap_err();
            assert_eq!(err.kind(), ConvertErrorKind::EmptyIdPart);
        }
        assert!(resource_id("", &["x"]).is_err());
    }

    #[test]
    fn text_forms() {
        let id = resource_id("Patient", &["urn:oid:1.2.3", "12345"]).unwrap();
        let text = id.text();
        assert_eq!(text.as_str().len(), 36);
        assert_eq!(text.as_str(), id.to_string());
        assert_eq!(id.to_text_string(), id.to_string());
        assert_eq!(id.urn().as_str(), format!("urn:uuid:{id}"));
    }
}
