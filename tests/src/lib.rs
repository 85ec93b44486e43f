//! End-to-end tests of Ferry live in `tests/tests/`. This library holds the
//! transformers generated from every spec in `specs/` (by `build.rs`, through
//! `ferry_compiler::Build`), compiled here under `#![deny(warnings)]` so a
//! warning in generated code fails the build.
#![forbid(unsafe_code)]
#![deny(warnings)]

pub mod messages;

/// One module per spec in `specs/`, named after the spec's file.
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/ferry.rs"));
}

/// `codegen/evil.ferry`: strings and table codes written to break out of
/// their literals. The module compiling, and converting as the spec says,
/// is the test that they did not.
pub mod injection {
    include!(concat!(env!("OUT_DIR"), "/injection.rs"));
}
