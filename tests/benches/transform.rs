//! Generated transformers against the interpreter on a corpus of 10,000
//! messages: ADT^A01 → transaction Bundle (`bench/gen_adt.py`, ~1.8 KB
//! messages, the corpus `bench/peers.sh` gives the peers) and ORU^R01 →
//! Bundle (`bench/gen_oru.py`, ~1.1 KB). Throughput is reported in
//! messages and input bytes per second, one core.
//!
//! `cargo bench -p ferry-tests --bench transform` (needs python3 for the
//! corpus generators).
//!
//! Targets (issue 6): generated ≥ 150,000 ADT^A01 msgs/s, interpreter ≥
//! 30,000. Results are recorded in `docs/codegen.md`.

// Benchmark harness code: a failed unwrap is a broken benchmark.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::result_large_err)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ferry_compiler::interp::Interpreter;
use ferry_compiler::run::{Converter, Document};
use ferry_runtime::convert::TimeZone;
use ferry_runtime::{Options, Outcome, Rejection};
use ferry_tests::generated::{adt_a01, oru_r01};

const MESSAGES: usize = 10_000;

type Entry = fn(&[u8], &mut Vec<u8>, &Options) -> Result<Outcome, Rejection>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The generator's corpus, split into messages.
fn corpus(generator: &str) -> Vec<Vec<u8>> {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{generator}-{MESSAGES}.hl7"));
    if !file.exists() {
        let status = std::process::Command::new("python3")
            .arg(root().join("bench").join(format!("{generator}.py")))
            .args(["-n", &MESSAGES.to_string(), "-o"])
            .arg(&file)
            .status()
            .expect("python3 runs the corpus generator");
        assert!(status.success());
    }
    let bytes = std::fs::read(&file).unwrap();
    ferry_runtime::er7::split_messages(&bytes)
        .map(|m| m.unwrap().bytes.to_vec())
        .collect()
}

fn bench_spec(c: &mut Criterion, name: &str, spec: &str, map: &str, generator: &str, entry: Entry) {
    let messages = corpus(generator);
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let options = Options {
        time_zone: Some(TimeZone::get("America/New_York").unwrap()),
    };
    let program = ferry_compiler::check::compile(spec, &std::fs::read(root().join(spec)).unwrap())
        .unwrap()
        .program;
    let (id, _) = program.map_named(map).unwrap();
    let interpreter = Interpreter::new(&program, id, options.clone());

    // Every message converts, and both paths write the same bytes.
    let mut out = Vec::new();
    let mut expected = Vec::new();
    for m in &messages {
        out.clear();
        expected.clear();
        entry(m, &mut out, &options).unwrap();
        let doc = Document {
            file: Path::new("corpus"),
            ordinal: 1,
            offset: 0,
            bytes: m,
        };
        interpreter.convert(&doc, &mut expected).unwrap();
        assert_eq!(out, expected);
    }

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::ElementsAndBytes {
        elements: messages.len() as u64,
        bytes: bytes as u64,
    });
    group.sample_size(10);
    group.bench_function("generated", |b| {
        b.iter(|| {
            for m in &messages {
                out.clear();
                black_box(entry(black_box(m), &mut out, &options).unwrap());
            }
        });
    });
    group.bench_function("interpreter", |b| {
        b.iter(|| {
            for m in &messages {
                out.clear();
                let doc = Document {
                    file: Path::new("corpus"),
                    ordinal: 1,
                    offset: 0,
                    bytes: m,
                };
                interpreter.convert(black_box(&doc), &mut out).unwrap();
            }
        });
    });
    group.finish();
}

fn transform(c: &mut Criterion) {
    bench_spec(
        c,
        "adt_a01",
        "specs/hl7v2/adt_a01.ferry",
        "adt_a01",
        "gen_adt",
        adt_a01::adt_a01_with,
    );
    bench_spec(
        c,
        "oru_r01",
        "specs/hl7v2/oru_r01.ferry",
        "oru_r01",
        "gen_oru",
        oru_r01::oru_r01_with,
    );
}

criterion_group!(benches, transform);
criterion_main!(benches);
