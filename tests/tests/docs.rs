//! The documentation's examples are real: every ```ferry block of
//! docs/language.md checks clean, and each docs/diagnostics/CODE.md shows an
//! example that reports CODE and a fix that checks clean.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use ferry_compiler::check;
use ferry_compiler::diagnostic::{Code, Diagnostic, render};
use ferry_compiler::span::SourceMap;

fn docs() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

/// The ```ferry blocks of a Markdown text, with the line each starts on.
fn ferry_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (n, line) in markdown.lines().enumerate() {
        match &mut current {
            None if line.trim_end() == "```ferry" => current = Some((n + 2, String::new())),
            Some(_) if line.starts_with("```") => blocks.extend(current.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    blocks
}

fn check_text(name: &str, text: &str) -> (Vec<Diagnostic>, String) {
    let mut sources = SourceMap::new();
    check::add_source(&mut sources, name, text.as_bytes());
    let checked = check::check(&sources);
    let rendered = render::human(&sources, &checked.diagnostics, false);
    (checked.diagnostics, rendered)
}

#[test]
fn language_reference_examples_check_clean() {
    let text = std::fs::read_to_string(docs().join("language.md")).unwrap();
    let blocks = ferry_blocks(&text);
    assert!(blocks.len() >= 14, "found only {} examples", blocks.len());
    for (line, block) in blocks {
        let (diagnostics, rendered) = check_text(&format!("docs/language.md:{line}"), &block);
        assert!(
            diagnostics.is_empty(),
            "the example at docs/language.md line {line} does not check clean:\n{rendered}"
        );
    }
}

#[test]
fn every_explanation_shows_its_code_and_a_clean_fix() {
    for code in Code::ALL {
        let name = format!("docs/diagnostics/{}.md", code.as_str());
        let text = code.explain();
        let blocks = ferry_blocks(text);
        assert!(blocks.len() >= 2, "{name}: needs an example and a fix");
        let (found, rendered) = check_text(&name, &blocks[0].1);
        // E0005 is about bytes that Markdown cannot hold.
        if *code != Code::InvalidUtf8 {
            assert!(
                found.iter().any(|d| d.code == *code),
                "{name}: the example does not report {}:\n{rendered}",
                code.as_str()
            );
        }
        let (fixed, rendered) = check_text(&name, &blocks[1].1);
        assert!(
            fixed.is_empty(),
            "{name}: the fix does not check clean:\n{rendered}"
        );
    }
}

#[test]
fn readme_example_checks_clean() {
    let text = std::fs::read_to_string(docs().join("../README.md")).unwrap();
    let blocks = ferry_blocks(&text);
    assert!(!blocks.is_empty());
    for (line, block) in blocks {
        let (diagnostics, rendered) = check_text(&format!("README.md:{line}"), &block);
        assert!(
            diagnostics.is_empty(),
            "README example at line {line}:\n{rendered}"
        );
    }
}
