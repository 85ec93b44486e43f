//! `ferry-embed`: a small service that links Ferry's generated HL7 v2 → FHIR
//! R4 transformers, compiled from `specs/hl7v2` by `build.rs` through
//! `ferry_compiler::Build`.
//!
//! Reads HL7 v2 messages from stdin (MLLP frames, or messages separated by
//! any mix of CR, LF and CRLF, batch envelopes allowed), converts each one as
//! soon as it is complete, and writes:
//!
//! - each FHIR Bundle as one NDJSON line on stdout;
//! - each rejection as one JSON line on stderr,
//!   `{"message":N,"offset":BYTES,"code":..,"location":..,"reason":..}`,
//!   free of patient data. Content outside any message is a rejection too
//!   (`"message":null`): nothing is dropped silently.
//!
//! Exit code 0 when every message converted, 3 when some were rejected, 2 on
//! a usage or I/O error.
#![forbid(unsafe_code)]

mod convert;
mod stream;

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;
use ferry_runtime::Options;
use ferry_runtime::convert::TimeZone;

use convert::{Converter, Map, Summary, write_rejection};
use stream::{Splitter, Unit};

/// The transformers generated from `specs/hl7v2`: `adt_a01` and `oru_r01`.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/ferry.rs"));
}

/// Converts HL7 v2 messages on stdin to FHIR R4 Bundles (NDJSON on stdout);
/// rejections go to stderr as JSON lines.
#[derive(Debug, Parser)]
#[command(name = "ferry-embed", version)]
struct Args {
    /// Run this transformer on every message, instead of choosing by MSH-9
    /// (ADT^A01/A04/A08 → adt_a01, ORU^R01 → oru_r01).
    #[arg(long, value_enum, value_name = "MAP")]
    map: Option<Map>,
    /// IANA time zone of HL7 times without an offset (e.g. America/New_York).
    #[arg(long, env = "FERRY_TIME_ZONE", value_name = "ZONE")]
    time_zone: Option<String>,
}

/// Exit code: some message was rejected.
const EXIT_REJECTED: u8 = 3;
/// Exit code: usage or I/O error (clap uses 2 for usage errors too).
const EXIT_FAILURE: u8 = 2;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(summary) if summary.rejected == 0 => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(EXIT_REJECTED),
        Err(failure) => {
            // Best effort: stderr itself may be what failed.
            let _ = writeln!(io::stderr(), "ferry-embed: error: {failure}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// An operational failure: the run stops. Its text never holds message
/// content.
#[derive(Debug)]
enum Failure {
    /// `--time-zone` names no known zone.
    TimeZone { name: String, reason: String },
    /// Reading stdin failed.
    Read(io::Error),
    /// Writing a Bundle to stdout failed.
    WriteOutput(io::Error),
    /// Writing a rejection to stderr failed.
    WriteRejects(io::Error),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::TimeZone { name, reason } => write!(f, "unknown time zone `{name}`: {reason}"),
            Failure::Read(e) => write!(f, "cannot read stdin: {e}"),
            Failure::WriteOutput(e) => write!(f, "cannot write stdout: {e}"),
            Failure::WriteRejects(e) => write!(f, "cannot write stderr: {e}"),
        }
    }
}

fn run(args: &Args) -> Result<Summary, Failure> {
    let time_zone = match args.time_zone.as_deref() {
        None => None,
        Some(name) => Some(TimeZone::get(name).map_err(|e| Failure::TimeZone {
            name: name.to_owned(),
            reason: e.to_string(),
        })?),
    };
    let mut converter = Converter::new(args.map, Options { time_zone });
    let mut input = io::stdin().lock();
    let mut output = BufWriter::new(io::stdout().lock());
    let mut rejects = BufWriter::new(io::stderr().lock());
    let mut splitter = Splitter::new();
    let mut summary = Summary::default();
    loop {
        let eof = splitter.fill(&mut input).map_err(Failure::Read)? == 0;
        splitter.drain(eof, |unit| match unit {
            Unit::Message(message) => match converter.convert(&message) {
                Ok(bundle) => {
                    output
                        .write_all(bundle)
                        .and_then(|()| output.write_all(b"\n"))
                        .map_err(Failure::WriteOutput)?;
                    summary.converted += 1;
                    Ok(())
                }
                Err(rejection) => {
                    write_rejection(
                        &mut rejects,
                        Some(message.ordinal),
                        message.offset,
                        &rejection,
                    )
                    .map_err(Failure::WriteRejects)?;
                    summary.rejected += 1;
                    Ok(())
                }
            },
            Unit::Stray(error) => {
                let offset = error.location().span.map_or(0, |s| s.start);
                write_rejection(&mut rejects, None, offset, &error.into())
                    .map_err(Failure::WriteRejects)?;
                summary.rejected += 1;
                Ok(())
            }
        })?;
        // Before waiting for more input, hand out what is converted.
        output.flush().map_err(Failure::WriteOutput)?;
        rejects.flush().map_err(Failure::WriteRejects)?;
        if eof {
            return Ok(summary);
        }
    }
}
