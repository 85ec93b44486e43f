//! Support code for Ferry's generated transformers.
//!
//! The runtime never depends on the compiler; the interpreter in
//! `ferry-compiler` reuses this crate's reader and writer so both execution
//! paths share one parser and one JSON writer.
#![forbid(unsafe_code)]

pub mod convert;
pub mod er7;
pub mod error;
pub mod id;
pub mod json;
#[doc(hidden)]
pub mod rt;
mod swar;

pub use error::Rejection;
pub use rt::{Options, Outcome};

/// Includes the transformers `ferry_compiler::Build` wrote to `OUT_DIR`:
/// `include_generated!()` for the default include file (`ferry.rs`),
/// `include_generated!("name.rs")` for another. The same as
/// `include!(concat!(env!("OUT_DIR"), "/ferry.rs"))`.
#[macro_export]
macro_rules! include_generated {
    () => {
        include!(concat!(env!("OUT_DIR"), "/ferry.rs"));
    };
    ($file:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $file));
    };
}
