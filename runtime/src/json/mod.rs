//! FHIR JSON: a streaming writer shared by generated code and the
//! interpreter, and a reader into a small owned tree for the FHIR → v2
//! direction.
//!
//! Writer rules (see [`JsonWriter`]): empty strings, objects and arrays are
//! never written; member order is the caller's; decimals are written from
//! their text; nothing is allocated per value.
//!
//! Reader rules (see [`read`]): numbers keep their source text; duplicate
//! keys, lone surrogates and trailing data are errors; every error carries
//! byte offset, line, column and the JSON pointer of the value being read.

mod escape;
mod read;
mod value;
mod write;

#[doc(hidden)]
pub use escape::{write_escaped, write_str};
pub use read::{NdjsonLines, ReadError, ReadErrorKind, read, read_ndjson};
pub use value::{Number, Object, Value, bundle_resources, write_value};
pub use write::{JsonWriter, Open, Style};

#[cfg(test)]
mod write_tests;
