//! Every shared ADT^A01/A04/A08 and ORU^R01 sample goes through the shipped
//! specs: each message converts (its Bundle is snapshotted) or is rejected
//! with a located reason that docs/conversion-report.md explains. Nothing
//! else may happen.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ferry_compiler::interp::{Interpreter, Options};
use ferry_compiler::run::{Converter, Document};
use ferry_runtime::json::{self, Style};

fn shared() -> PathBuf {
    ferry_tests::shared::dir()
}

fn samples(types: &[&str]) -> Vec<String> {
    ferry_tests::shared::er7_samples(types)
}

/// The rejections the conversion report documents, by file.
const DOCUMENTED_REJECTIONS: &[(&str, &str)] = &[
    // The file holds MSH and IN1 only: no PID, so no patient key.
    (
        "microsoft-fhir-converter/Hl7v2TestTimezoneInput.hl7v2",
        "ID-KEY",
    ),
];

fn convert_all(spec: &str, map: &str, types: &[&str]) -> usize {
    if !shared().exists() {
        eprintln!("shared data not found at {}: skipped", shared().display());
        return 0;
    }
    let spec_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../specs/hl7v2")
        .join(spec);
    let compiled = ferry_compiler::check::compile(spec, &std::fs::read(&spec_path).unwrap())
        .unwrap_or_else(|f| panic!("{spec} does not check: {:?}", f.diagnostics));
    let (id, _) = compiled.program.map_named(map).unwrap();
    let zone = ferry_runtime::convert::TimeZone::get("America/New_York").unwrap();
    let interp = Interpreter::new(
        &compiled.program,
        id,
        Options {
            time_zone: Some(zone),
        },
    );
    let files = samples(types);
    assert!(!files.is_empty());
    let mut converted = 0;
    for file in &files {
        let path = shared().join(file);
        let bytes = std::fs::read(&path).unwrap();
        let mut text = String::new();
        for message in ferry_runtime::er7::split_messages(&bytes) {
            let message = message.unwrap();
            let doc = Document {
                file: &path,
                ordinal: message.ordinal,
                offset: message.offset,
                bytes: message.bytes,
            };
            let mut out = Vec::new();
            match interp.convert(&doc, &mut out) {
                Ok(()) => {
                    converted += 1;
                    let value = json::read(&out).expect("output is JSON");
                    text.push_str(&String::from_utf8(value.to_json(Style::Pretty)).unwrap());
                    text.push('\n');
                }
                Err(rejection) => {
                    let documented = DOCUMENTED_REJECTIONS
                        .iter()
                        .any(|(f, code)| f == file && *code == rejection.code);
                    assert!(documented, "{file}: undocumented rejection {rejection}");
                    assert!(!rejection.reason.is_empty());
                    assert_eq!(rejection.location.message, Some(message.ordinal));
                    text.push_str(&format!("rejected: {rejection}\n"));
                }
            }
        }
        let name = format!("{}__{}", map, file.replace(['/', ' ', '(', ')'], "_"));
        insta::with_settings!({ omit_expression => true, description => file.as_str() }, {
            insta::assert_snapshot!(name, text);
        });
    }
    converted
}

#[test]
fn adt_samples_convert_or_are_rejected_with_a_documented_reason() {
    let converted = convert_all(
        "adt_a01.ferry",
        "adt_a01",
        &["ADT_A01", "ADT_A04", "ADT_A08"],
    );
    if shared().exists() {
        assert_eq!(converted, 18, "19 samples, one documented rejection");
    }
}

#[test]
fn oru_samples_convert() {
    let converted = convert_all("oru_r01.ferry", "oru_r01", &["ORU_R01"]);
    if shared().exists() {
        assert_eq!(converted, 8);
    }
}
