//! The interpreter never panics: arbitrary bytes, and real messages with
//! bytes changed, inserted or cut, each end converted or rejected with a
//! reason (never a panic, never output that is not JSON).
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::LazyLock;

use ferry_compiler::interp::{Interpreter, Options};
use ferry_compiler::ir::Program;
use ferry_compiler::run::{Converter, Document};
use proptest::prelude::*;

fn program(spec: &str) -> Program {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../specs/hl7v2")
        .join(spec);
    ferry_compiler::check::compile(spec, &std::fs::read(path).unwrap())
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics))
        .program
}

static ADT: LazyLock<Program> = LazyLock::new(|| program("adt_a01.ferry"));
static ORU: LazyLock<Program> = LazyLock::new(|| program("oru_r01.ferry"));

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../specs/hl7v2/examples")
            .join(name),
    )
    .unwrap()
}

fn convert(program: &Program, map: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let (id, _) = program.map_named(map).unwrap();
    let zone = ferry_runtime::convert::TimeZone::get("America/New_York").ok();
    let interp = Interpreter::new(program, id, Options { time_zone: zone });
    let doc = Document {
        file: Path::new("prop.hl7"),
        ordinal: 1,
        offset: 0,
        bytes,
    };
    let mut out = Vec::new();
    match interp.convert(&doc, &mut out) {
        Ok(()) => {
            prop_assert!(
                ferry_runtime::json::read(&out).is_ok(),
                "output is not JSON"
            );
        }
        Err(rejection) => {
            prop_assert!(!rejection.reason.is_empty());
            prop_assert!(out.is_empty(), "a rejection leaves the output as it was");
        }
    }
    Ok(())
}

/// A real message with some bytes replaced, inserted or cut.
fn mutated(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len().max(1);
    let delimiters = prop::sample::select(vec![
        b'|', b'^', b'~', b'\\', b'&', b'\r', b'\n', b'"', b'0', b'X', 0xC3,
    ]);
    prop::collection::vec((0..len, delimiters, 0..3u8), 1..12).prop_map(move |edits| {
        let mut bytes = base.clone();
        for (at, byte, how) in edits {
            let at = at.min(bytes.len());
            match how {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => bytes.truncate(at.max(8)),
            }
        }
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        convert(&ADT, "adt_a01", &bytes)?;
    }

    #[test]
    fn mutated_adt_messages_never_panic(bytes in mutated(sample("adt_a01-ms-adt-a01-01.hl7"))) {
        convert(&ADT, "adt_a01", &bytes)?;
    }

    #[test]
    fn mutated_oru_messages_never_panic(bytes in mutated(sample("oru_r01-ms-lab-oru-1.hl7"))) {
        convert(&ORU, "oru_r01", &bytes)?;
    }
}
