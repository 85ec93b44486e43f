//! Stage 2: names (and, in later versions, schemas and types).

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::Module;

/// Resolves the names of one module and reports what does not resolve.
pub fn resolve(_module: &Module) -> Vec<Diagnostic> {
    Vec::new()
}
