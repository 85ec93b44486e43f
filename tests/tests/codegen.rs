//! The Rust backend keeps spec text in literals: `codegen/evil.ferry` holds
//! strings and table codes written to close their literal and add code.
//! The generated file's tokens hold no identifier from those strings, and the
//! module (compiled by this crate's build script) converts as the spec says,
//! writing each string back unchanged.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;

use ferry_tests::injection::evil;
use proc_macro2::{TokenStream, TokenTree};

fn tokens(stream: TokenStream, idents: &mut BTreeSet<String>, literals: &mut Vec<String>) {
    for tree in stream {
        match tree {
            TokenTree::Ident(i) => {
                idents.insert(i.to_string());
            }
            TokenTree::Literal(l) => literals.push(l.to_string()),
            TokenTree::Group(g) => tokens(g.stream(), idents, literals),
            TokenTree::Punct(_) => {}
        }
    }
}

#[test]
fn spec_text_stays_in_literals() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("codegen/evil.ferry");
    let generated = ferry_compiler::Build::new()
        .spec(&spec)
        .cargo_messages(false)
        .generate()
        .unwrap();
    let (_, code) = &generated.modules[0];
    let stream = TokenStream::from_str(code).unwrap();
    let (mut idents, mut literals) = (BTreeSet::new(), Vec::new());
    tokens(stream, &mut idents, &mut literals);
    for word in [
        "exit", "process", "panic", "evil2", "injected", "cfg", "any",
    ] {
        assert!(!idents.contains(word), "`{word}` became code");
    }
    // The payloads are there, as string literals.
    for payload in [
        r#""\"); std::process::exit(7); (\"""#,
        r#""} fn evil2() {""#,
        r#""*/ fn injected() {} /*""#,
    ] {
        assert!(literals.iter().any(|l| l == payload), "{payload} missing");
    }
}

#[test]
fn injected_strings_round_trip_through_the_generated_code() {
    let record = br#"{"id": "\"); std::process::exit(7); (\"", "note": "n-1"}"#;
    let mut out = Vec::new();
    evil::evil(record, &mut out).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        value["status"], "planned",
        "the table matched the payload code"
    );
    assert_eq!(
        value["class"]["system"],
        "urn:\"); std::process::exit(7); (\""
    );
    assert_eq!(value["class"]["code"], "} fn evil2() {");
    assert_eq!(value["identifier"][0]["system"], "\u{0}\n\r\t\\ end");

    let record = br##"{"id": "\\\"#[cfg(any())]", "note": "n-2"}"##;
    let mut out = Vec::new();
    evil::evil(record, &mut out).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value["status"], "finished");
}

#[test]
fn a_reason_with_quotes_is_kept_as_written() {
    // No `note`: no identifier, and the `require` rejects with its reason.
    let mut out = Vec::new();
    let rejection = evil::evil(br#"{"id": "x"}"#, &mut out).unwrap_err();
    assert_eq!(rejection.code, "REQUIRED");
    assert!(
        rejection.reason.ends_with("\"); panic!(\"boom\"); (\""),
        "{}",
        rejection.reason
    );
    assert!(out.is_empty());
}
