//! The one edge where diagnostics become text: codespan-reporting draws
//! every snippet; JSON is one object per line for CI tools.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::term::{self, Config, Styles, StylesWriter, termcolor};

use super::{Diagnostic, Severity};
use crate::span::SourceMap;

/// Renders diagnostics as codespan-reporting draws them; `color` adds ANSI styles.
pub fn human(sources: &SourceMap, diagnostics: &[Diagnostic], color: bool) -> String {
    let config = Config::default();
    let styles = Styles::default();
    let mut buffer = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    for diagnostic in diagnostics {
        let cs = to_codespan(diagnostic);
        let mut writer = StylesWriter::new(&mut buffer, &styles);
        if term::emit_to_write_style(&mut writer, &config, sources, &cs).is_err() {
            // A label outside its file: render without snippets rather than lose it.
            let bare = cs::Diagnostic {
                labels: Vec::new(),
                ..cs
            };
            let mut writer = StylesWriter::new(&mut buffer, &styles);
            let _ = term::emit_to_write_style(&mut writer, &config, sources, &bare);
        }
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

fn to_codespan(d: &Diagnostic) -> cs::Diagnostic<crate::span::FileId> {
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let style = if l.primary {
                cs::LabelStyle::Primary
            } else {
                cs::LabelStyle::Secondary
            };
            cs::Label::new(style, l.span.file, l.span.range()).with_message(&l.message)
        })
        .collect();
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
    if let Some(help) = &d.help {
        notes.push(format!("help: {help}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// One JSON object per line: file, line, column, end {line, column},
/// severity, code, message, plus help and notes when present.
pub fn json(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let mut object = serde_json::Map::new();
        if let Some(span) = d.span()
            && let Some(file) = sources.get(span.file)
        {
            let (line, column) = file.line_column(span.start as usize);
            let (end_line, end_column) = file.line_column(span.end as usize);
            object.insert("file".into(), file.name().into());
            object.insert("line".into(), line.into());
            object.insert("column".into(), column.into());
            object.insert(
                "end".into(),
                serde_json::json!({ "line": end_line, "column": end_column }),
            );
        }
        object.insert("severity".into(), d.severity.as_str().into());
        object.insert("code".into(), d.code.as_str().into());
        object.insert("message".into(), d.message.clone().into());
        if let Some(help) = &d.help {
            object.insert("help".into(), help.clone().into());
        }
        if !d.notes.is_empty() {
            object.insert("notes".into(), d.notes.clone().into());
        }
        out.push_str(&serde_json::Value::Object(object).to_string());
        out.push('\n');
    }
    out
}
