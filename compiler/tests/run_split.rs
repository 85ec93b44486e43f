//! `run::documents`: splitting input files into documents, per input kind.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ferry_compiler::run::{self, Document, InputKind, Rejection};

const ADT: &str = "/work/shared/data/hl7v2/hl7-v2-to-fhir/v2/ADT";
const MSFT: &str = "/work/shared/data/hl7v2/microsoft-fhir-converter";

fn split<'a>(
    kind: InputKind,
    file: &'a Path,
    bytes: &'a [u8],
) -> (Vec<Document<'a>>, Vec<Rejection>) {
    let mut docs = Vec::new();
    let mut rejects = Vec::new();
    for item in run::documents(kind, file, bytes) {
        match item {
            Ok(d) => docs.push(d),
            Err(r) => rejects.push(r),
        }
    }
    (docs, rejects)
}

fn sorted_files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

fn msh_count(bytes: &[u8]) -> usize {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .split(|&b| b == b'\r' || b == b'\n')
        .filter(|line| line.starts_with(b"MSH|"))
        .count()
}

#[test]
fn real_adt_files_with_crlf_cr_and_lf_endings_are_one_message_each() {
    let files = sorted_files(ADT, "txt");
    assert!(files.len() >= 10, "{files:?}");
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let (docs, rejects) = split(InputKind::Hl7v2, file, &bytes);
        assert!(rejects.is_empty(), "{}: {rejects:?}", file.display());
        assert_eq!(docs.len(), 1, "{}", file.display());
        let doc = docs[0];
        assert_eq!((doc.ordinal, doc.offset), (1, 0));
        assert_eq!(doc.file, file.as_path());
        assert!(doc.bytes.starts_with(b"MSH|"));
        // The message runs to the end of its last segment: no line end kept.
        assert!(!doc.bytes.ends_with(b"\r") && !doc.bytes.ends_with(b"\n"));
    }
}

#[test]
fn microsoft_corpus_every_msh_is_a_document_at_its_offset() {
    let files = sorted_files(MSFT, "hl7");
    assert!(files.len() > 100);
    let mut total = 0;
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let (docs, rejects) = split(InputKind::Hl7v2, file, &bytes);
        assert!(rejects.is_empty(), "{}: {rejects:?}", file.display());
        assert_eq!(docs.len(), msh_count(&bytes), "{}", file.display());
        for (i, doc) in docs.iter().enumerate() {
            assert_eq!(doc.ordinal as usize, i + 1);
            assert_eq!(&bytes[doc.offset..doc.offset + 4], b"MSH|");
            assert_eq!(&bytes[doc.offset..doc.offset + doc.bytes.len()], doc.bytes);
        }
        total += docs.len();
    }
    assert_eq!(total, files.len(), "one message per file in this corpus");
}

/// All files of the Microsoft corpus in one buffer, each message re-ended
/// with a different line ending, as a batch, as MLLP frames, and bare.
#[test]
fn concatenated_corpus_in_every_framing_splits_back() {
    let mut messages: Vec<Vec<u8>> = Vec::new();
    for file in sorted_files(MSFT, "hl7").iter().take(40) {
        let bytes = std::fs::read(file).unwrap();
        let path = file.as_path();
        for doc in run::documents(InputKind::Hl7v2, path, &bytes) {
            messages.push(doc.unwrap().bytes.to_vec());
        }
    }
    let endings: [&[u8]; 3] = [b"\r", b"\n", b"\r\n"];
    let reend = |m: &[u8], i: usize| -> Vec<u8> {
        let mut out = Vec::new();
        for line in m
            .split(|&b| b == b'\r' || b == b'\n')
            .filter(|l| !l.is_empty())
        {
            out.extend_from_slice(line);
            out.extend_from_slice(endings[i % 3]);
        }
        out
    };
    for framing in ["bare", "mllp", "batch"] {
        let mut buf = Vec::new();
        let mut starts = Vec::new();
        if framing == "batch" {
            buf.extend_from_slice(b"FHS|^~\\&|SENDER\rBHS|^~\\&|SENDER\r");
        }
        for (i, m) in messages.iter().enumerate() {
            if framing == "mllp" {
                buf.push(0x0B);
            }
            starts.push(buf.len());
            buf.extend(reend(m, i));
            if framing == "mllp" {
                buf.extend_from_slice(b"\x1C\r");
            }
        }
        if framing == "batch" {
            buf.extend_from_slice(b"BTS|40\rFTS|1\r");
        }
        let file = PathBuf::from(format!("all.{framing}.hl7"));
        let (docs, rejects) = split(InputKind::Hl7v2, &file, &buf);
        assert!(rejects.is_empty(), "{framing}: {rejects:?}");
        assert_eq!(docs.len(), messages.len(), "{framing}");
        for (i, doc) in docs.iter().enumerate() {
            assert_eq!(doc.ordinal as usize, i + 1);
            assert_eq!(doc.offset, starts[i], "{framing} message {}", i + 1);
            assert!(doc.bytes.starts_with(b"MSH|"));
        }
    }
}

#[test]
fn stray_content_is_a_located_rejection_and_the_next_message_is_kept() {
    let bytes = b"garbage line\rmore\rMSH|^~\\&|A|B\rPID|1\r\r\nnot a segment\nMSH|^~\\&|C|D\r";
    let file = Path::new("stray.hl7");
    let items = run::documents(InputKind::Hl7v2, file, bytes);
    assert_eq!(items.len(), 3);
    let r = items[0].as_ref().unwrap_err();
    assert_eq!(r.code, "ER7-STRAY");
    let span = r.location.span.unwrap();
    assert_eq!((span.start, span.end), (0, 17));
    assert_eq!(r.location.message, None);
    let m1 = items[1].as_ref().unwrap();
    assert_eq!((m1.ordinal, m1.offset), (1, 18));
    // A non-segment line after a message belongs to it (the reader reports
    // it); stray content only exists outside messages.
    let m2 = items[2].as_ref().unwrap();
    assert_eq!(m2.ordinal, 2);
    assert_eq!(&bytes[m2.offset..m2.offset + 4], b"MSH|");
    assert!(!r.reason.contains("garbage"));
}

#[test]
fn empty_hl7_file_is_one_rejection() {
    for bytes in [&b""[..], b"\r\n\r\n", b"\x0B\x1C\r"] {
        let items = run::documents(InputKind::Hl7v2, Path::new("e.hl7"), bytes);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].as_ref().unwrap_err().code, "ER7-EMPTY");
    }
}

#[test]
fn one_json_value_is_one_document_pretty_or_not() {
    let bytes = b"\xEF\xBB\xBF\n  {\n  \"resourceType\": \"Patient\",\n  \"id\": \"x\"\n}\n\n";
    for kind in [InputKind::FhirJson, InputKind::RecordJson] {
        let (docs, rejects) = split(kind, Path::new("p.json"), bytes);
        assert!(rejects.is_empty());
        assert_eq!(docs.len(), 1);
        assert_eq!((docs[0].ordinal, docs[0].offset), (1, 6));
        assert!(docs[0].bytes.starts_with(b"{") && docs[0].bytes.ends_with(b"}"));
    }
}

#[test]
fn ndjson_with_a_bad_line_keeps_the_others_and_locates_the_bad_one() {
    let text = "{\"id\":\"a\"}\n\n{\"id\":\"b\"}\r\n{\"id\": SECRET-NAME}\n  {\"id\":\"d\"}  \n";
    let bytes = text.as_bytes();
    let (docs, rejects) = split(InputKind::FhirJson, Path::new("p.json"), bytes);
    let seen: Vec<(u32, usize, &[u8])> = docs
        .iter()
        .map(|d| (d.ordinal, d.offset, d.bytes))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, 0, &b"{\"id\":\"a\"}"[..]),
            (2, 12, b"{\"id\":\"b\"}"),
            (4, text.find("{\"id\":\"d\"}").unwrap(), b"{\"id\":\"d\"}"),
        ]
    );
    assert_eq!(rejects.len(), 1);
    let r = &rejects[0];
    assert_eq!(r.code, run::CODE_JSON_SYNTAX);
    assert_eq!(r.location.message, Some(3));
    let bad_line_start = text.find("{\"id\": SECRET").unwrap();
    let span = r.location.span.unwrap();
    let bad_line_end = bad_line_start + "{\"id\": SECRET-NAME}".len();
    assert_eq!(
        (span.start, span.end),
        (bad_line_start, bad_line_end),
        "the bad line"
    );
    assert_eq!(
        r.reason,
        "invalid JSON: unexpected character, expected a JSON value at line 4, column 8"
    );
    assert!(!r.to_string().contains("SECRET"));
}

#[test]
fn a_broken_pretty_document_is_one_rejection_not_one_per_line() {
    let text = "{\n  \"resourceType\": \"Patient\",\n  \"id\": \"x\",,\n  \"active\": true\n}\n";
    let items = run::documents(InputKind::FhirJson, Path::new("p.json"), text.as_bytes());
    assert_eq!(items.len(), 1);
    let r = items[0].as_ref().unwrap_err();
    assert_eq!(r.code, "JSON-SYNTAX");
    assert!(r.reason.ends_with("at line 3, column 13"), "{}", r.reason);
    let span = r.location.span.unwrap();
    assert_eq!(
        (span.start, span.end),
        (0, text.len() - 1),
        "the whole document"
    );
}

#[test]
fn ndjson_extension_forces_ndjson_and_blank_json_is_rejected() {
    let (docs, rejects) = split(InputKind::FhirJson, Path::new("one.ndjson"), b"[1,2]\n");
    assert!(rejects.is_empty());
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].bytes, b"[1,2]");
    let items = run::documents(InputKind::RecordJson, Path::new("e.json"), b" \n\t\r\n");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].as_ref().unwrap_err().code, run::CODE_JSON_EMPTY);
}

#[test]
fn record_json_array_is_one_document_per_element() {
    let text = "[\n  {\"name\": \"a,b]\", \"n\": [1, {\"x\": \"\\\"}\"}]},\n  {\"name\": \"c\"} ,\n  {}\n]\n";
    let bytes = text.as_bytes();
    let (docs, rejects) = split(InputKind::RecordJson, Path::new("r.json"), bytes);
    assert!(rejects.is_empty());
    let got: Vec<(u32, usize, &str)> = docs
        .iter()
        .map(|d| (d.ordinal, d.offset, std::str::from_utf8(d.bytes).unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 4, "{\"name\": \"a,b]\", \"n\": [1, {\"x\": \"\\\"}\"}]}"),
            (
                2,
                text.find("{\"name\": \"c\"}").unwrap(),
                "{\"name\": \"c\"}"
            ),
            (3, text.find("{}").unwrap(), "{}"),
        ]
    );
    // Each element is itself valid JSON.
    for d in &docs {
        ferry_runtime::json::read(d.bytes).unwrap();
    }
    // An empty array holds no document; FHIR JSON does not split arrays.
    assert!(run::documents(InputKind::RecordJson, Path::new("r.json"), b"[ ]").is_empty());
    let (docs, _) = split(InputKind::FhirJson, Path::new("r.json"), bytes);
    assert_eq!(docs.len(), 1);
}

#[test]
fn record_json_ndjson_of_arrays_is_not_split_further() {
    let (docs, rejects) = split(InputKind::RecordJson, Path::new("r.json"), b"[1]\n[2,3]\n");
    assert!(rejects.is_empty());
    assert_eq!(
        docs.iter().map(|d| d.bytes).collect::<Vec<_>>(),
        vec![&b"[1]"[..], b"[2,3]"]
    );
}
