//! `run::Batch` and `run::cli_run_with` with fake converters: output lines,
//! rejects lines (located, without values), counts, exit codes.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::result_large_err)] // the Converter interface returns Rejection

use std::path::{Path, PathBuf};

use ferry_compiler::run::{
    self, Batch, Converter, Document, InputKind, Rejection, RunArgs, Summary,
};
use ferry_runtime::error::{Location, SegmentId, Span};
use ferry_runtime::json::{self, Value};

const ADT: &str = "/work/shared/data/hl7v2/hl7-v2-to-fhir/v2/ADT";
const MSFT: &str = "/work/shared/data/hl7v2/microsoft-fhir-converter";

/// `{"controlId": MSH-10}`; rejects messages whose MSH-9 contains `A08`,
/// located at MSH-9 with a span relative to the message.
struct EchoControlId;

fn msh_field(message: &[u8], n: usize) -> Option<(usize, &[u8])> {
    let sep = *message.get(3)?;
    let line_end = message
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(message.len());
    let mut start = 4; // MSH-2 starts after "MSH|"
    for (i, field) in message[4..line_end].split(|&b| b == sep).enumerate() {
        if i + 2 == n {
            return Some((start, field));
        }
        start += field.len() + 1;
    }
    None
}

impl Converter for EchoControlId {
    fn input_kind(&self) -> InputKind {
        InputKind::Hl7v2
    }

    fn convert(&self, document: &Document<'_>, out: &mut Vec<u8>) -> Result<(), Rejection> {
        let (start, msh9) = msh_field(document.bytes, 9).unwrap();
        if msh9.windows(3).any(|w| w == b"A08") {
            let location = Location {
                segment: SegmentId::new(b"MSH"),
                field: Some(9),
                span: Some(Span::new(start, start + msh9.len())),
                ..Location::default()
            };
            return Err(Rejection::new("NOT-MAPPED", location, "A08 is not mapped")
                .with_value(String::from_utf8_lossy(msh9).into_owned()));
        }
        let (_, id) = msh_field(document.bytes, 10).unwrap();
        let mut w = json::JsonWriter::new(out, json::Style::Compact);
        let open = w.begin_object();
        w.member_str("controlId", &String::from_utf8_lossy(id));
        w.member_number("ratio", &json::Number::new("1.50").unwrap());
        w.end(open);
        Ok(())
    }
}

/// Record JSON: `{"n": <its "n">}`, or nothing at all for `{"empty":true}`.
struct EchoRecord;

impl Converter for EchoRecord {
    fn input_kind(&self) -> InputKind {
        InputKind::RecordJson
    }

    fn convert(&self, document: &Document<'_>, out: &mut Vec<u8>) -> Result<(), Rejection> {
        let value = json::read(document.bytes).unwrap();
        if value.get("empty").is_some() {
            return Ok(());
        }
        let mut w = json::JsonWriter::new(out, json::Style::Compact);
        let open = w.begin_object();
        if let Some(n) = value.get("n").and_then(Value::as_number) {
            w.member_number("n", n);
        }
        w.end(open);
        Ok(())
    }
}

fn adt_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(ADT)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| json::read(l).unwrap())
        .collect()
}

fn s<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{key} in {v:?}"))
}

fn n(v: &Value, key: &str) -> Option<i64> {
    v.get(key)
        .and_then(Value::as_number)
        .and_then(|n| n.as_i64())
}

#[test]
fn real_adt_files_convert_and_a08_is_rejected_without_values() {
    let files = adt_files();
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let summary = run::run(&EchoControlId, &files, &mut out, &mut rejects, false).unwrap();
    assert_eq!(summary.files, files.len());
    assert_eq!(summary.documents, files.len());
    assert_eq!(summary.rejected, 1, "one A08 file");
    assert_eq!(summary.converted, files.len() - 1);
    assert_eq!(summary.converted + summary.rejected, summary.documents);

    let outputs = lines(&out);
    assert_eq!(outputs.len(), summary.converted);
    assert!(outputs.iter().all(|o| !s(o, "controlId").is_empty()));
    // Decimals keep their text.
    assert!(String::from_utf8_lossy(&out).contains("\"ratio\":1.50"));

    let rejects_text = String::from_utf8(rejects).unwrap();
    let reject_lines = lines(rejects_text.as_bytes());
    assert_eq!(reject_lines.len(), 1);
    let r = &reject_lines[0];
    let keys: Vec<&str> = r.as_object().unwrap().iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        ["file", "message", "offset", "code", "location", "reason"]
    );
    assert!(s(r, "file").ends_with("A08-Update-Patient-v2.3.txt"));
    assert_eq!(n(r, "message"), Some(1));
    assert_eq!(n(r, "offset"), Some(0));
    assert_eq!(s(r, "code"), "NOT-MAPPED");
    // MSH|^~\&|Ntierprise|Ntierprise Clinic|Healthmatics EHR|Healthmatics Clinic|20190423113910||ADT^A08|
    let file = std::fs::read(Path::new(ADT).join("A08-Update-Patient-v2.3.txt")).unwrap();
    let msh9 = file.windows(7).position(|w| w == b"ADT^A08").unwrap();
    assert_eq!(
        s(r, "location"),
        format!("message 1, MSH-9, bytes {msh9}..{}", msh9 + 7)
    );
    assert_eq!(s(r, "reason"), "A08 is not mapped");
    // Neither the attached value nor anything else from the message.
    for value in ["ADT^A08", "Ntierprise", "8899-39"] {
        assert!(
            !rejects_text.contains(value),
            "{value} leaked: {rejects_text}"
        );
    }
}

#[test]
fn rejects_of_later_messages_point_into_the_file() {
    // Three MLLP-framed messages; the second is an A08 and starts mid-file.
    let m = |id: &str, event: &str| {
        format!(
            "\x0bMSH|^~\\&|S|F|R|F|20240101||ADT^{event}|{id}|P|2.5\rPID|1||SECRET^^^MRN\r\x1c\r"
        )
    };
    let bytes = format!("{}{}{}", m("C1", "A01"), m("C2", "A08"), m("C3", "A01"));
    let second = bytes.match_indices("MSH").nth(1).unwrap().0;
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let mut batch = Batch::new(&EchoControlId, &mut out, &mut rejects);
    batch
        .add_bytes(Path::new("in/mllp.hl7"), bytes.as_bytes())
        .unwrap();
    let summary = batch.finish().unwrap();
    assert_eq!(
        (summary.documents, summary.converted, summary.rejected),
        (3, 2, 1)
    );
    let ids: Vec<String> = lines(&out)
        .iter()
        .map(|o| s(o, "controlId").to_owned())
        .collect();
    assert_eq!(ids, ["C1", "C3"]);
    let r = &lines(&rejects)[0];
    assert_eq!(n(r, "message"), Some(2));
    assert_eq!(n(r, "offset"), Some(second as i64));
    let msh9 = second + bytes[second..].find("ADT^A08").unwrap();
    assert_eq!(
        s(r, "location"),
        format!("message 2, MSH-9, bytes {msh9}..{}", msh9 + 7)
    );
    assert!(!String::from_utf8_lossy(&rejects).contains("SECRET"));
}

#[test]
fn stray_content_and_empty_files_are_counted_and_rejected() {
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let mut batch = Batch::new(&EchoControlId, &mut out, &mut rejects);
    batch
        .add_bytes(
            Path::new("a.hl7"),
            b"SECRET NAME\r\nMSH|^~\\&|S|F|R|F|1||ADT^A01|X1|P|2.5\r",
        )
        .unwrap();
    batch.add_bytes(Path::new("b.hl7"), b"").unwrap();
    let summary = batch.finish().unwrap();
    assert_eq!(
        summary,
        Summary {
            files: 2,
            documents: 3,
            converted: 1,
            rejected: 2
        }
    );
    assert_eq!(
        summary.to_string(),
        "converted 1, rejected 2 (of 3 documents in 2 files)"
    );
    let rs = lines(&rejects);
    assert_eq!(s(&rs[0], "code"), "ER7-STRAY");
    assert_eq!(rs[0].get("message"), Some(&Value::Null));
    assert_eq!(n(&rs[0], "offset"), Some(0));
    assert_eq!(s(&rs[0], "location"), "bytes 0..11");
    assert_eq!(s(&rs[1], "code"), "ER7-EMPTY");
    assert_eq!(s(&rs[1], "file"), "b.hl7");
    assert!(!String::from_utf8_lossy(&rejects).contains("SECRET"));
}

#[test]
fn summary_text_is_singular_for_one() {
    let one = Summary {
        files: 1,
        documents: 1,
        converted: 1,
        rejected: 0,
    };
    assert_eq!(
        one.to_string(),
        "converted 1, rejected 0 (of 1 document in 1 file)"
    );
}

#[test]
fn pretty_output_reindents_and_keeps_decimal_text() {
    let file = Path::new(MSFT).join("ADT-A01-01.hl7");
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let mut batch = Batch::new(&EchoControlId, &mut out, &mut rejects).pretty(true);
    batch.add_file(&file).unwrap();
    batch.add_file(&file).unwrap();
    assert_eq!(batch.finish().unwrap().converted, 2);
    let text = String::from_utf8(out).unwrap();
    let one = text.split_once("}\n").unwrap().0;
    assert!(one.starts_with("{\n  \"controlId\": "), "{text}");
    assert!(one.ends_with("\"ratio\": 1.50\n"), "{text}");
    assert_eq!(text.matches("}\n").count(), 2);
    assert!(rejects.is_empty());
}

#[test]
fn record_arrays_ndjson_and_empty_output() {
    let array = b"[{\"n\": 1.0}, {\"n\": 2}, {\"empty\": true}]";
    let ndjson = b"{\"n\": 3}\n{\"n\": SECRET}\n{\"n\": 4.00}\n";
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let mut batch = Batch::new(&EchoRecord, &mut out, &mut rejects);
    batch.add_bytes(Path::new("r.json"), array).unwrap();
    batch.add_bytes(Path::new("r.ndjson"), ndjson).unwrap();
    let summary = batch.finish().unwrap();
    assert_eq!(
        (summary.documents, summary.converted, summary.rejected),
        (6, 4, 2)
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"n\":1.0}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4.00}\n"
    );
    let rs = lines(&rejects);
    assert_eq!(s(&rs[0], "code"), run::CODE_EMPTY_OUTPUT);
    assert_eq!(n(&rs[0], "message"), Some(3));
    assert_eq!(n(&rs[0], "offset"), Some(23));
    assert_eq!(s(&rs[0], "location"), "message 3, bytes 23..38");
    assert_eq!(s(&rs[1], "code"), "JSON-SYNTAX");
    assert_eq!(n(&rs[1], "message"), Some(2));
    assert_eq!(n(&rs[1], "offset"), Some(9), "the bad line's start");
    assert_eq!(s(&rs[1], "location"), "message 2, bytes 9..22");
    assert!(s(&rs[1], "reason").ends_with("at line 2, column 7"));
    assert!(!String::from_utf8_lossy(&rejects).contains("SECRET"));
}

#[test]
fn missing_input_file_is_an_error_naming_it() {
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let err = run::run(
        &EchoControlId,
        &[PathBuf::from("/nonexistent/x.hl7")],
        &mut out,
        &mut rejects,
        false,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot read /nonexistent/x.hl7"),
        "{err}"
    );
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferry-run-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn args(inputs: Vec<PathBuf>) -> RunArgs {
    RunArgs {
        spec: PathBuf::from("specs/hl7v2"),
        inputs,
        ..RunArgs::default()
    }
}

#[test]
fn cli_exit_codes_files_and_stderr_rejects() {
    let dir = temp_dir("cli");
    let ok = Path::new(MSFT).join("ADT-A01-01.hl7");
    let a08 = Path::new(MSFT).join("ADT-A08-01.hl7");

    // All converted, output and rejects to files: exit 0, empty rejects.
    let mut a = args(vec![ok.clone()]);
    a.output = Some(dir.join("out.ndjson"));
    a.rejects = Some(dir.join("rejects.ndjson"));
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = run::cli_run_with(&a, &EchoControlId, &mut stdout, &mut stderr).unwrap();
    assert_eq!(code, run::EXIT_OK);
    assert!(stdout.is_empty());
    assert_eq!(
        String::from_utf8(stderr).unwrap(),
        "converted 1, rejected 0 (of 1 document in 1 file)\n"
    );
    assert_eq!(
        lines(&std::fs::read(dir.join("out.ndjson")).unwrap()).len(),
        1
    );
    assert!(
        std::fs::read(dir.join("rejects.ndjson"))
            .unwrap()
            .is_empty()
    );

    // A rejection without --rejects: output on stdout, the reject line and
    // the summary on stderr, exit 3.
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = run::cli_run_with(
        &args(vec![ok.clone(), a08]),
        &EchoControlId,
        &mut stdout,
        &mut stderr,
    )
    .unwrap();
    assert_eq!(code, run::EXIT_REJECTED);
    assert_eq!(lines(&stdout).len(), 1);
    let stderr = String::from_utf8(stderr).unwrap();
    let (reject, summary) = stderr.split_once('\n').unwrap();
    assert_eq!(
        s(&json::read(reject.as_bytes()).unwrap(), "code"),
        "NOT-MAPPED"
    );
    assert_eq!(
        summary,
        "converted 1, rejected 1 (of 2 documents in 2 files)\n"
    );

    // A folder expands to its HL7 files.
    let code = run::cli_run_with(
        &args(vec![PathBuf::from(ADT)]),
        &EchoControlId,
        &mut Vec::new(),
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(code, run::EXIT_REJECTED, "the folder holds the A08 file");
}

#[test]
fn cli_failures_are_errors_and_create_no_output() {
    let dir = temp_dir("cli-fail");
    let ok = Path::new(MSFT).join("ADT-A01-01.hl7");

    let mut a = args(vec![ok.clone(), dir.join("missing.hl7")]);
    a.output = Some(dir.join("out.ndjson"));
    let err = run::cli_run_with(&a, &EchoControlId, &mut Vec::new(), &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("missing.hl7"), "{err}");
    assert!(!dir.join("out.ndjson").exists(), "inputs are checked first");

    let mut a = args(vec![ok]);
    a.output = Some(dir.join("no/such/dir/out.ndjson"));
    let err = run::cli_run_with(&a, &EchoControlId, &mut Vec::new(), &mut Vec::new()).unwrap_err();
    assert!(
        err.to_string().contains("cannot create the output file"),
        "{err}"
    );

    let err = run::cli_run_with(
        &args(vec![dir.clone()]),
        &EchoControlId,
        &mut Vec::new(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("no input files in folder"),
        "{err}"
    );
}
