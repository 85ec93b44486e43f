//! UI tests: every `tests/ui/*.ferry` is checked and its rendered diagnostics
//! are compared with the snapshot beside it (`tests/ui/snapshots/`).
//! Read a changed snapshot before accepting it.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use ferry_compiler::check;
use ferry_compiler::diagnostic::{Code, render};
use ferry_compiler::span::SourceMap;

fn render_case(path: &Path) -> (String, Vec<(Code, bool)>) {
    let bytes = std::fs::read(path).unwrap();
    let name = format!("ui/{}", path.file_name().unwrap().to_string_lossy());
    let mut sources = SourceMap::new();
    let (_, encoding) = check::add_source(&mut sources, &name, &bytes);
    let mut checked = check::check(&sources);
    checked.diagnostics.extend(encoding);
    ferry_compiler::diagnostic::sort(&mut checked.diagnostics);
    let codes = checked
        .diagnostics
        .iter()
        .map(|d| (d.code, d.is_error()))
        .collect();
    (render::human(&sources, &checked.diagnostics, false), codes)
}

#[test]
fn ui() {
    insta::glob!("../ui", "*.ferry", |path| {
        let (rendered, codes) = render_case(path);
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        // A case named after a code must report that code.
        if let Some(code) = stem.split('_').next().and_then(Code::parse) {
            assert!(
                codes.iter().any(|(c, _)| *c == code),
                "{stem}: expected {code:?}, got {codes:?}"
            );
        }
        if stem.starts_with("clean_") {
            assert!(
                codes.is_empty(),
                "{stem}: expected no diagnostics, got {codes:?}"
            );
        }
        insta::with_settings!({ snapshot_path => "../ui/snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(rendered);
        });
    });
}

/// Every diagnostic code has at least one UI case named after it.
#[test]
fn every_code_has_a_ui_case() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_lowercase())
        .collect();
    for code in Code::ALL {
        let prefix = format!("{}_", code.as_str().to_lowercase());
        assert!(
            names
                .iter()
                .any(|n| n.starts_with(&prefix) && n.ends_with(".ferry")),
            "no tests/ui case for {}",
            code.as_str()
        );
    }
    assert!(names.iter().filter(|n| n.ends_with(".ferry")).count() >= 30);
}

/// The acceptance case: five independent mistakes, five errors, one run.
#[test]
fn five_independent_mistakes_are_all_reported() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/five_independent_mistakes.ferry");
    let (_, codes) = render_case(&path);
    let errors: Vec<Code> = codes.iter().filter(|(_, e)| *e).map(|(c, _)| *c).collect();
    assert_eq!(
        errors,
        vec![
            Code::UnknownTable,
            Code::SyntaxError,
            Code::UnknownCallee,
            Code::UnknownName,
            Code::UnterminatedString,
        ]
    );
}
