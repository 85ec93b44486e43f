//! `ferry test` support: example discovery, comparison by JSON meaning,
//! the diff and the report.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::result_large_err)] // the Converter interface returns Rejection

use std::path::{Path, PathBuf};

use ferry_compiler::run::{self, Converter, Difference, Document, InputKind, Outcome, Rejection};
use ferry_runtime::error::Location;
use ferry_runtime::json::{self, Value};

fn v(text: &str) -> Value {
    json::read(text.as_bytes()).unwrap()
}

fn diff(expected: &str, actual: &str) -> String {
    run::compare(&v(expected), &v(actual))
        .unwrap_err()
        .to_string()
}

#[test]
fn member_order_is_irrelevant_array_order_is_not() {
    assert_eq!(
        run::compare(
            &v(r#"{"a":1,"b":[1,2],"c":{"x":"y","z":null}}"#),
            &v(r#"{"c":{"z":null,"x":"y"},"b":[1,2],"a":1}"#)
        ),
        Ok(())
    );
    assert_eq!(
        diff("[1,2]", "[2,1]"),
        "/0: expected 1, found 2\n/1: expected 2, found 1\n"
    );
}

#[test]
fn decimals_compare_by_exact_text() {
    assert_eq!(
        diff(r#"{"v":1.0}"#, r#"{"v":1.00}"#),
        "/v: expected 1.0, found 1.00\n"
    );
    assert_eq!(diff("1", "1.0"), "(root): expected 1, found 1.0\n");
    assert!(run::compare(&v("1e3"), &v("1e3")).is_ok());
}

#[test]
fn diff_lists_pointers_with_missing_unexpected_and_changed_values() {
    let expected = r#"{"resourceType":"Patient","name":[{"family":"Smith","given":["A","B"]}],"a/b":{"~":""},"active":true}"#;
    let actual = r#"{"resourceType":"Patient","name":[{"family":"Smyth","given":["A"]},{"family":"X"}],"a/b":{"~":1},"gender":"male"}"#;
    let d = run::compare(&v(expected), &v(actual)).unwrap_err();
    let pointers: Vec<&str> = d.entries.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/name/0/family",
            "/name/0/given/1",
            "/name/1",
            "/a~1b/~0",
            "/active",
            "/gender"
        ]
    );
    assert!(matches!(d.entries[1].1, Difference::Missing { .. }));
    assert!(matches!(d.entries[2].1, Difference::Unexpected { .. }));
    assert_eq!(
        d.to_string(),
        "/name/0/family: expected \"Smith\", found \"Smyth\"\n\
         /name/0/given/1: missing, expected \"B\"\n\
         /name/1: unexpected {\"family\":\"X\"}\n\
         /a~1b/~0: expected \"\", found 1\n\
         /active: missing, expected true\n\
         /gender: unexpected \"male\"\n"
    );
    // Type changes are differences too.
    assert_eq!(
        diff(r#"{"a":"1"}"#, r#"{"a":1}"#),
        "/a: expected \"1\", found 1\n"
    );
    assert_eq!(
        diff(r#"{"a":{}}"#, r#"{"a":[]}"#),
        "/a: expected {}, found []\n"
    );
}

/// `{"id": MSH-10 of the message}`, or a rejection for `ADT^A08`.
struct Echo;

impl Converter for Echo {
    fn input_kind(&self) -> InputKind {
        InputKind::Hl7v2
    }

    fn convert(&self, document: &Document<'_>, out: &mut Vec<u8>) -> Result<(), Rejection> {
        let msh = document
            .bytes
            .split(|&b| b == b'\r' || b == b'\n')
            .next()
            .unwrap();
        let fields: Vec<&[u8]> = msh.split(|&b| b == b'|').collect();
        if fields[8] == b"ADT^A08" {
            return Err(Rejection::new(
                "NOT-MAPPED",
                Location::at_span(0, 3),
                "A08 is not mapped",
            ));
        }
        out.extend_from_slice(
            format!("{{\"id\":\"{}\"}}", String::from_utf8_lossy(fields[9])).as_bytes(),
        );
        Ok(())
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferry-examples-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn put(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const MSG1: &str = "MSH|^~\\&|S|F|R|F|20240101||ADT^A01|ID1|P|2.5\rPID|1\r";
const MSG2: &str = "MSH|^~\\&|S|F|R|F|20240101||ADT^A08|ID2|P|2.5\rPID|1\r";

#[test]
fn examples_are_discovered_run_and_reported() {
    let specs = temp_dir("specs");
    let ex = specs.join("hl7v2/examples");
    put(&ex.join("a01.hl7"), MSG1);
    put(&ex.join("a01.expected.json"), r#"{ "id": "ID1" }"#);
    put(&ex.join("wrong.hl7"), MSG1);
    put(&ex.join("wrong.expected.json"), r#"{"id":"ID9"}"#);
    put(&ex.join("no_expected.hl7"), MSG1);
    put(&ex.join("two.hl7"), &format!("{MSG1}{MSG2}"));
    put(
        &ex.join("two.expected.json"),
        r#"[{"id":"ID1"},{"ferry:rejected":{"code":"NOT-MAPPED","location":"message 2, bytes 51..54","reason":"A08 is not mapped"}}]"#,
    );
    put(&ex.join("notes.txt"), "not an example");
    put(&specs.join("telehealth/examples/session.json"), "{}");
    put(&specs.join("hl7v2/adt_a01.ferry"), "");

    let found = run::examples(&specs);
    let cases: Vec<(&str, &str)> = found
        .iter()
        .map(|e| {
            (
                e.spec_dir.file_name().unwrap().to_str().unwrap(),
                e.case.as_str(),
            )
        })
        .collect();
    assert_eq!(
        cases,
        [
            ("hl7v2", "a01"),
            ("hl7v2", "no_expected"),
            ("hl7v2", "two"),
            ("hl7v2", "wrong"),
            ("telehealth", "session")
        ]
    );
    assert_eq!(found[0].expected, ex.join("a01.expected.json"));

    let results: Vec<_> = found
        .iter()
        .filter(|e| e.spec_dir.ends_with("hl7v2"))
        .map(|e| (e.clone(), run::run_example(e, &Echo)))
        .collect();
    assert_eq!(results[0].1, Outcome::Passed);
    assert_eq!(
        results[1].1,
        Outcome::MissingExpected,
        "a missing expected file is not a pass"
    );
    assert_eq!(
        results[2].1,
        Outcome::Passed,
        "a batch and an expected rejection"
    );
    assert!(
        matches!(&results[3].1, Outcome::Failed(d) if d.to_string() == "/id: expected \"ID9\", found \"ID1\"\n")
    );

    let mut report = Vec::new();
    let all_passed = run::report(&results, &mut report).unwrap();
    assert!(!all_passed);
    let report = String::from_utf8(report).unwrap();
    let d = ex.display();
    assert_eq!(
        report,
        format!(
            "test {d}/a01.hl7 ... ok\n\
             test {d}/no_expected.hl7 ... FAILED\n\
             test {d}/two.hl7 ... ok\n\
             test {d}/wrong.hl7 ... FAILED\n\
             \n---- {d}/no_expected.hl7 ----\n\
             missing {d}/no_expected.expected.json (write the expected output there)\n\
             \n---- {d}/wrong.hl7 ----\n\
             output differs from {d}/wrong.expected.json:\n\
             /id: expected \"ID9\", found \"ID1\"\n\
             \ntest result: FAILED. 2 passed; 2 failed\n"
        )
    );
}

#[test]
fn unreadable_expected_is_an_error() {
    let specs = temp_dir("bad-expected");
    let ex = specs.join("examples");
    put(&ex.join("a.hl7"), MSG1);
    put(&ex.join("a.expected.json"), "{not json");
    let found = run::examples(&specs);
    assert_eq!(found.len(), 1);
    assert!(
        matches!(&run::run_example(&found[0], &Echo), Outcome::Error(e) if e.contains("a.expected.json"))
    );
}
