//! Input file → documents, per [`InputKind`].
//!
//! Every byte of a file ends in a document or in a rejection: content the
//! splitter cannot place (ER7 lines outside any message, an NDJSON line that
//! is not JSON, an empty file) becomes a located [`Rejection`] whose span is
//! in file offsets, so the batch can report it like any other rejection.

use std::path::Path;

use ferry_runtime::er7;
use ferry_runtime::error::{Kind, Location};
use ferry_runtime::json::{self, ReadError, ReadErrorKind};

use super::{Document, InputKind, Rejection};

/// Rejection code: an NDJSON line (or a single-document JSON file) is not
/// valid JSON.
pub const CODE_JSON_SYNTAX: &str = "JSON-SYNTAX";
/// Rejection code: a JSON input file holds nothing but whitespace.
pub const CODE_JSON_EMPTY: &str = "JSON-EMPTY";

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Splits one input file into documents, in file order.
///
/// - [`InputKind::Hl7v2`]: [`er7::split_messages`] (MLLP frames, FHS/BHS
///   envelopes, any line ending, BOM). Lines outside any message become an
///   `ER7-STRAY` rejection; a file without any message an `ER7-EMPTY` one.
/// - [`InputKind::FhirJson`]: a file that is one JSON value is one document;
///   otherwise it is NDJSON (see below).
/// - [`InputKind::RecordJson`]: as FHIR JSON, except that a file whose one
///   value is an array gives one document per element (`[]` gives none).
///
/// A file is read as NDJSON when its extension is `ndjson` or `jsonl`, or
/// when it is not one JSON value but at least one of its lines is a JSON
/// object or array on its own. Otherwise a file that does not parse is one
/// `JSON-SYNTAX` rejection located where the whole-file read failed (a
/// pretty-printed document with one typo is one error, not one per line).
/// NDJSON ordinals count non-blank lines, good or bad; each bad line is one
/// `JSON-SYNTAX` rejection.
///
/// Rejections carry `Location { message: ordinal (when there is one), span:
/// the file byte range of the rejected content }` (for JSON: the whole bad
/// line or document, the reason giving line and column of the error) and
/// reasons without any input text.
pub fn documents<'a>(
    kind: InputKind,
    file: &'a Path,
    bytes: &'a [u8],
) -> Vec<Result<Document<'a>, Rejection>> {
    match kind {
        InputKind::Hl7v2 => hl7v2(file, bytes),
        InputKind::FhirJson => json_documents(file, bytes, false),
        InputKind::RecordJson => json_documents(file, bytes, true),
    }
}

fn hl7v2<'a>(file: &'a Path, bytes: &'a [u8]) -> Vec<Result<Document<'a>, Rejection>> {
    let mut out: Vec<_> = er7::split_messages(bytes)
        .map(|item| match item {
            Ok(er7::RawMessage {
                ordinal,
                offset,
                bytes,
            }) => Ok(Document {
                file,
                ordinal,
                offset,
                bytes,
            }),
            Err(e) => Err(Rejection::from(e)),
        })
        .collect();
    if out.is_empty() {
        out.push(Err(Rejection::from(ferry_runtime::error::Error::new(
            Kind::Empty,
            Location::at_span(0, bytes.len()),
        ))));
    }
    out
}

fn json_documents<'a>(
    file: &'a Path,
    bytes: &'a [u8],
    arrays_split: bool,
) -> Vec<Result<Document<'a>, Rejection>> {
    let forced_ndjson = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("ndjson") || e.eq_ignore_ascii_case("jsonl"));
    let (start, end) = trim(bytes, 0, bytes.len());
    if start == end {
        return vec![Err(Rejection::new(
            CODE_JSON_EMPTY,
            Location::at_span(0, bytes.len()),
            "the file holds no JSON value",
        ))];
    }
    if forced_ndjson {
        return ndjson(file, bytes);
    }
    match json::read(bytes) {
        Ok(value) => {
            if arrays_split && value.as_array().is_some() {
                array_elements(bytes, start, end)
                    .into_iter()
                    .zip(1u32..)
                    .map(|((s, e), ordinal)| {
                        Ok(Document {
                            file,
                            ordinal,
                            offset: s,
                            bytes: bytes.get(s..e).unwrap_or_default(),
                        })
                    })
                    .collect()
            } else {
                vec![Ok(Document {
                    file,
                    ordinal: 1,
                    offset: start,
                    bytes: bytes.get(start..end).unwrap_or_default(),
                })]
            }
        }
        Err(whole) => {
            if looks_like_ndjson(bytes) {
                ndjson(file, bytes)
            } else {
                vec![Err(Rejection::new(
                    CODE_JSON_SYNTAX,
                    Location::at_span(start, end).in_message(1),
                    syntax_reason(&whole, whole.line(), whole.column()),
                ))]
            }
        }
    }
}

/// `start..end` without surrounding JSON whitespace (and a leading BOM).
fn trim(bytes: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    if bytes.get(start..).is_some_and(|b| b.starts_with(BOM)) {
        start += BOM.len();
    }
    while start < end && matches!(bytes.get(start), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        start += 1;
    }
    while end > start && matches!(bytes.get(end - 1), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        end -= 1;
    }
    (start, end)
}

/// The lines of `bytes` split on `\n`: `(line number, start, end)`, 1-based
/// line numbers, `end` excluding the `\n`.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut pos = 0;
    let mut number = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let rest = bytes.get(start..).unwrap_or_default();
        let end = memchr::memchr(b'\n', rest).map_or(bytes.len(), |i| start + i);
        pos = end + 1;
        number += 1;
        Some((number, start, end))
    })
}

fn looks_like_ndjson(bytes: &[u8]) -> bool {
    lines(bytes).any(|(_, s, e)| {
        let (s, e) = trim(bytes, s, e);
        let line = bytes.get(s..e).unwrap_or_default();
        matches!(line.first(), Some(b'{' | b'['))
            && json::read(line).is_ok_and(|v| v.as_object().is_some() || v.as_array().is_some())
    })
}

fn ndjson<'a>(file: &'a Path, bytes: &'a [u8]) -> Vec<Result<Document<'a>, Rejection>> {
    let mut out = Vec::new();
    let mut ordinal = 0u32;
    for (number, s, e) in lines(bytes) {
        let (s, e) = trim(bytes, s, e);
        if s == e {
            continue;
        }
        ordinal = ordinal.saturating_add(1);
        let line = bytes.get(s..e).unwrap_or_default();
        match json::read(line) {
            Ok(_) => out.push(Ok(Document {
                file,
                ordinal,
                offset: s,
                bytes: line,
            })),
            Err(err) => {
                let at = s + err.offset().min(line.len());
                out.push(Err(Rejection::new(
                    CODE_JSON_SYNTAX,
                    Location::at_span(s, e).in_message(ordinal),
                    syntax_reason(&err, number, column_in_file(bytes, at)),
                )));
            }
        }
    }
    out
}

/// 1-based column (in characters) of `at` in its line.
fn column_in_file(bytes: &[u8], at: usize) -> usize {
    let before = bytes.get(..at).unwrap_or_default();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    before
        .get(line_start..)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count()
        + 1
}

/// A reason naming the problem and its place, never the input text. The
/// JSON pointer is left out: it holds keys, which vendor JSON may take from
/// data.
fn syntax_reason(err: &ReadError, line: usize, column: usize) -> String {
    let what = match err.kind() {
        ReadErrorKind::InvalidUtf8 => "invalid UTF-8".to_owned(),
        ReadErrorKind::UnexpectedEnd => "unexpected end of the JSON value".to_owned(),
        ReadErrorKind::Expected(what) => format!("unexpected character, expected {what}"),
        ReadErrorKind::InvalidEscape => "invalid escape in a string".to_owned(),
        ReadErrorKind::LoneSurrogate => "\\u escape of an unpaired surrogate".to_owned(),
        ReadErrorKind::ControlCharacter => "unescaped control character in a string".to_owned(),
        ReadErrorKind::InvalidNumber => "invalid number".to_owned(),
        ReadErrorKind::DuplicateKey => "duplicate key".to_owned(),
        ReadErrorKind::TooDeep => "nesting deeper than 128".to_owned(),
        ReadErrorKind::TrailingData => "data after the JSON value".to_owned(),
        _ => "invalid JSON".to_owned(),
    };
    format!("invalid JSON: {what} at line {line}, column {column}")
}

/// Byte ranges of the elements of the top-level array in
/// `bytes[start..end]`, each without surrounding whitespace.
///
/// Expects valid JSON whose value is an array (the caller has read it with
/// [`json::read`]); on other input it returns what it can and never panics.
/// The runtime reader builds a tree without positions, so this small scanner
/// finds the boundaries: it tracks nesting depth and skips strings
/// (including `\"` and `\\` escapes), splitting on commas at depth 1.
pub fn array_elements(bytes: &[u8], start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let end = end.min(bytes.len());
    let (mut pos, end) = trim(bytes, start, end);
    if bytes.get(pos) != Some(&b'[') {
        return out;
    }
    pos += 1;
    let mut depth = 1usize;
    let mut element_start = pos;
    let mut in_string = false;
    let mut escaped = false;
    while pos < end {
        let Some(&b) = bytes.get(pos) else { break };
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => depth += 1,
                b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        push_element(bytes, element_start, pos, &mut out);
                        return out;
                    }
                }
                b',' if depth == 1 => {
                    push_element(bytes, element_start, pos, &mut out);
                    element_start = pos + 1;
                }
                _ => {}
            }
        }
        pos += 1;
    }
    out
}

fn push_element(bytes: &[u8], start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let (s, e) = trim(bytes, start, end);
    if s < e {
        out.push((s, e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(bytes: &'a [u8], ranges: &[(usize, usize)]) -> Vec<&'a str> {
        ranges
            .iter()
            .map(|&(s, e)| std::str::from_utf8(&bytes[s..e]).unwrap_or("?"))
            .collect()
    }

    #[test]
    fn array_scanner_respects_strings_escapes_and_nesting() {
        let src = br#" [ {"a":"x,]\"}","b":[1,{"c":"\\"}]} , 2 ,"s\\",[[]],{} ] "#;
        let ranges = array_elements(src, 0, src.len());
        assert_eq!(
            texts(src, &ranges),
            vec![
                r#"{"a":"x,]\"}","b":[1,{"c":"\\"}]}"#,
                "2",
                r#""s\\""#,
                "[[]]",
                "{}"
            ]
        );
        assert!(array_elements(b"[]", 0, 2).is_empty());
        assert!(array_elements(b"[ \n ]", 0, 5).is_empty());
        assert!(array_elements(b"{}", 0, 2).is_empty());
        // Truncated input: no panic, no element invented past the end.
        assert!(array_elements(b"[1,", 0, 3).len() <= 1);
    }
}
