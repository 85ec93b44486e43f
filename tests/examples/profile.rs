//! Runs one generated transformer, or the interpreter on the same spec,
//! over a corpus file, for profilers (`bench/instructions.sh` counts its
//! instructions with callgrind):
//! `cargo run --release -p ferry-tests --example profile -- adt|oru|interp-adt|interp-oru FILE [REPEAT]`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use ferry_compiler::interp::Interpreter;
use ferry_compiler::run::{Converter, Document};
use ferry_runtime::Options;
use ferry_runtime::convert::TimeZone;
use ferry_tests::generated::{adt_a01, oru_r01};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[2]).unwrap();
    let repeat: usize = args.get(3).map_or(1, |r| r.parse().unwrap());
    let messages: Vec<&[u8]> = ferry_runtime::er7::split_messages(&bytes)
        .map(|m| m.unwrap().bytes)
        .collect();
    let options = Options {
        time_zone: Some(TimeZone::get("America/New_York").unwrap()),
    };
    let kind = args[1].as_str();
    let spec = match kind {
        "interp-adt" => Some(("specs/hl7v2/adt_a01.ferry", "adt_a01")),
        "interp-oru" => Some(("specs/hl7v2/oru_r01.ferry", "oru_r01")),
        _ => None,
    };
    let program = spec.map(|(file, _)| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file);
        ferry_compiler::check::compile(file, &std::fs::read(path).unwrap())
            .unwrap()
            .program
    });
    let interpreter = program.as_ref().zip(spec).map(|(program, (_, map))| {
        let (id, _) = program.map_named(map).unwrap();
        Interpreter::new(program, id, options.clone())
    });
    let mut out = Vec::new();
    let mut written = 0;
    let start = std::time::Instant::now();
    for _ in 0..repeat {
        for m in &messages {
            out.clear();
            match (&interpreter, kind) {
                (Some(interpreter), _) => {
                    let doc = Document {
                        file: Path::new("corpus"),
                        ordinal: 1,
                        offset: 0,
                        bytes: m,
                    };
                    interpret(interpreter, &doc, &mut out);
                }
                (None, "adt") => generated_adt(m, &mut out, &options),
                (None, _) => generated_oru(m, &mut out, &options),
            }
            written += out.len();
        }
    }
    let n = messages.len() * repeat;
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{n} messages, {written} bytes out, {:.0} msgs/s",
        n as f64 / secs
    );
}

// One message through each execution, in functions of their own (never
// inlined, so that callgrind's `--toggle-collect` can count inside each
// alone, as `bench/instructions.sh` does: LTO may inline the generated
// entry points themselves into `main`).

#[inline(never)]
fn generated_adt(message: &[u8], out: &mut Vec<u8>, options: &Options) {
    adt_a01::adt_a01_with(message, out, options).unwrap();
}

#[inline(never)]
fn generated_oru(message: &[u8], out: &mut Vec<u8>, options: &Options) {
    oru_r01::oru_r01_with(message, out, options).unwrap();
}

#[inline(never)]
fn interpret(interpreter: &Interpreter<'_>, doc: &Document<'_>, out: &mut Vec<u8>) {
    interpreter.convert(doc, out).unwrap();
}
