#![doc = include_str!("../../ARCHITECTURE.md")]
#![forbid(unsafe_code)]

pub mod build;
pub mod check;
pub mod codegen;
pub mod diagnostic;
pub mod interp;
pub mod ir;
pub mod run;
pub mod sema;
pub mod span;
pub mod syntax;

/// The embedded HL7 v2 and FHIR R4 definitions (crate `ferry-schema`).
pub use ferry_schema as schema;

pub use build::{Build, BuildError};
pub use diagnostic::{Code, Diagnostic, Severity};
pub use span::{FileId, SourceMap, Span};
