//! Batch conversion (`ferry run`) and example tests (`ferry test`): reading
//! inputs into documents, handing each to a [`Converter`], writing NDJSON
//! output and a rejects file. Nothing is dropped: every document ends in the
//! output or in the rejects.
//!
//! The converter is the interpreter of a checked spec; this module does not
//! know how a document is converted, only where it came from and where the
//! result goes.
//!
//! See `docs/run.md` for the file formats, rejects and exit codes.

// `Rejection` (the runtime's type, 144 bytes) is the error of the
// `Converter` interface and of splitting. It is built once per rejected
// document, never in an inner loop, and boxing it would change the interface
// the interpreter and generated code share; so the size lint is off here.
#![allow(clippy::result_large_err)]

use std::path::Path;

pub use ferry_runtime::error::Rejection;

mod batch;
#[cfg(feature = "cli")]
mod cli;
mod example;
mod split;

pub use batch::{Batch, BatchError, CODE_BAD_OUTPUT, CODE_EMPTY_OUTPUT, Summary, run};
#[cfg(feature = "cli")]
pub use cli::{EXIT_FAILURE, EXIT_OK, EXIT_REJECTED, cli_run, cli_run_with};
pub use cli_args::RunArgs;
pub use example::{
    Diff, Difference, EXPECTED_SUFFIX, Example, INPUT_EXTENSIONS, Outcome, REJECTED_KEY,
    actual_output, compare, examples, report, run_example,
};
pub use split::{CODE_JSON_EMPTY, CODE_JSON_SYNTAX, array_elements, documents};

mod cli_args;

/// What a map reads, which decides how an input file is split into documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// HL7 v2 ER7: one or many messages per file (any line ending, MLLP
    /// framing, FHS/BHS batch envelopes, a BOM).
    Hl7v2,
    /// FHIR JSON: one resource (or Bundle) per file, or NDJSON, one per line.
    FhirJson,
    /// A vendor JSON record: one document per file, a JSON array of
    /// documents, or NDJSON.
    RecordJson,
}

/// One input document, with where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// The file it was read from.
    pub file: &'a Path,
    /// 1-based ordinal of the document in its file.
    pub ordinal: u32,
    /// Byte offset of the document's first byte in the file.
    pub offset: usize,
    /// The document's bytes (one ER7 message, one JSON value).
    pub bytes: &'a [u8],
}

/// Converts one document into one output document.
pub trait Converter {
    /// What the converter reads.
    fn input_kind(&self) -> InputKind;

    /// Appends the converted document (one JSON value, compact, no trailing
    /// newline) to `out`, or rejects the document with a PHI-free reason.
    /// On rejection `out` is left as it was.
    ///
    /// The rejection's location is relative to the document: its span
    /// indexes `document.bytes`, as the runtime's errors for a message read
    /// alone do. [`Batch`] shifts it by `document.offset` and sets the
    /// message ordinal, so a converter must not do either.
    fn convert(&self, document: &Document<'_>, out: &mut Vec<u8>) -> Result<(), Rejection>;
}
