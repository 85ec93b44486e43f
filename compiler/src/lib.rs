#![doc = include_str!("../../ARCHITECTURE.md")]
#![forbid(unsafe_code)]

/// The embedded HL7 v2 and FHIR R4 definitions (crate `ferry-schema`).
pub use ferry_schema as schema;
