//! Stage 1: text → AST. `parse` never fails: it returns the tree it could
//! build and a diagnostic for everything it could not read.

pub mod ast;
mod expected;
mod parser;
pub mod print;
pub mod visit;

pub use parser::parse;
