//! `compile()`-style chaining of the front-end stages for `ferry check`.

use crate::diagnostic::{self, Code, Diagnostic, Severity};
use crate::sema;
use crate::span::{FileId, SourceMap, Span};
use crate::syntax::{self, ast};

/// Files larger than this are refused: spans are `u32` offsets, and no
/// mapping spec is anywhere near this size.
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// Per-file cap on reported syntax errors: a binary file would otherwise
/// print one per line.
pub const MAX_SYNTAX_ERRORS: usize = 50;

/// Adds a file's bytes to the source map. Text that is not UTF-8 is kept
/// with U+FFFD in place of each bad sequence (so every span stays inside the
/// file as it is shown) and reported as E0005 at the first bad byte.
pub fn add_source(
    sources: &mut SourceMap,
    name: &str,
    bytes: &[u8],
) -> (FileId, Option<Diagnostic>) {
    let bytes = &bytes[..bytes.len().min(MAX_FILE_BYTES)];
    match std::str::from_utf8(bytes) {
        Ok(text) => (sources.add(name, text), None),
        Err(error) => {
            let at = error.valid_up_to();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let bad = text.matches('\u{FFFD}').count();
            let id = sources.add(name, text);
            let width = '\u{FFFD}'.len_utf8();
            let diagnostic = Diagnostic::new(Code::InvalidUtf8, "file is not UTF-8 text")
                .primary(Span::new(id, at, at + width), "this byte is not UTF-8")
                .note(format!(
                    "{bad} invalid byte sequence(s) were read as U+FFFD; the first is at byte {at}"
                ))
                .help("save the spec as UTF-8 (Ferry specs are UTF-8 text)");
            (id, Some(diagnostic))
        }
    }
}

/// The front end over every file of `sources`: parse, then resolve names.
#[derive(Debug)]
pub struct Checked {
    pub modules: Vec<ast::Module>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
}

/// Parses and checks every file in `sources`; diagnostics come out sorted by
/// file and position.
pub fn check(sources: &SourceMap) -> Checked {
    let mut modules = Vec::new();
    let mut diagnostics = Vec::new();
    for (id, file) in sources.files() {
        let (module, mut found) = syntax::parse(id, file.text());
        cap_syntax_errors(&mut found);
        found.extend(sema::resolve(&module));
        found.extend(sema::check(&module));
        modules.push(module);
        diagnostics.extend(found);
    }
    diagnostic::sort(&mut diagnostics);
    Checked {
        modules,
        diagnostics,
    }
}

fn cap_syntax_errors(found: &mut Vec<Diagnostic>) {
    let syntax = |d: &Diagnostic| d.code == Code::SyntaxError;
    let total = found.iter().filter(|d| syntax(d)).count();
    if total <= MAX_SYNTAX_ERRORS {
        return;
    }
    let mut seen = 0;
    found.retain(|d| {
        if syntax(d) {
            seen += 1;
            seen <= MAX_SYNTAX_ERRORS
        } else {
            true
        }
    });
    if let Some(last) = found.iter_mut().rev().find(|d| syntax(d)) {
        last.notes.push(format!(
            "{} more syntax errors in this file are not shown",
            total - MAX_SYNTAX_ERRORS
        ));
    }
}

/// A spec that checked and lowered, with its warnings.
#[derive(Debug)]
pub struct Compiled {
    pub program: crate::ir::Program,
    pub sources: SourceMap,
    pub warnings: Vec<Diagnostic>,
}

/// A spec that did not check: the sources and every diagnostic.
#[derive(Debug)]
pub struct Failed {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks one spec file and lowers it to a runnable [`crate::ir::Program`].
pub fn compile(name: &str, bytes: &[u8]) -> Result<Compiled, Failed> {
    compile_with(name, bytes, crate::ir::lower::lower)
}

/// [`compile`] to the plain plan, where every rule computes what it reads
/// ([`crate::ir::lower::lower_plain`]): for tests that hold the shared plan
/// the interpreter and the generated code run to it.
#[doc(hidden)]
pub fn compile_plain(name: &str, bytes: &[u8]) -> Result<Compiled, Failed> {
    compile_with(name, bytes, crate::ir::lower::lower_plain)
}

fn compile_with(
    name: &str,
    bytes: &[u8],
    lower: fn(&crate::syntax::ast::Module) -> Option<crate::ir::Program>,
) -> Result<Compiled, Failed> {
    let mut sources = SourceMap::new();
    let (_, encoding) = add_source(&mut sources, name, bytes);
    let mut checked = check(&sources);
    checked.diagnostics.extend(encoding);
    diagnostic::sort(&mut checked.diagnostics);
    if checked.error_count() > 0 {
        return Err(Failed {
            sources,
            diagnostics: checked.diagnostics,
        });
    }
    match checked.modules.first().and_then(lower) {
        Some(program) => Ok(Compiled {
            program,
            sources,
            warnings: checked.diagnostics,
        }),
        None => {
            let d = Diagnostic::new(
                Code::MissingUse,
                "the spec cannot be lowered to a runnable plan",
            )
            .note("a runnable spec names its standards with `use` and checks without errors");
            checked.diagnostics.push(d);
            Err(Failed {
                sources,
                diagnostics: checked.diagnostics,
            })
        }
    }
}
