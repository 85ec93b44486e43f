//! `ferry test`: example inputs beside a spec, their expected outputs, and a
//! comparison by JSON meaning with a readable diff.
//!
//! Layout: `specs/**/examples/<case>.<ext>` (`ext` is `hl7`, `json` or
//! `ndjson`) with `<case>.expected.json` beside it. The diff is for the
//! user's own test data, so it shows values.

use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ferry_runtime::json::{self, Object, Value};

use super::{Converter, Rejection, split};

/// Extensions of example inputs.
pub const INPUT_EXTENSIONS: [&str; 3] = ["hl7", "json", "ndjson"];
/// Suffix of an expected output file, replacing the input's extension.
pub const EXPECTED_SUFFIX: &str = ".expected.json";
/// The key of the object standing for a rejected document in an actual
/// output (see [`run_example`]).
pub const REJECTED_KEY: &str = "ferry:rejected";

/// One example found under a spec folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The folder holding `examples/` (the spec's folder).
    pub spec_dir: PathBuf,
    /// `<case>`: the input's file name without its extension.
    pub case: String,
    /// The input file.
    pub input: PathBuf,
    /// `<case>.expected.json` beside the input (it may not exist: that is a
    /// failing example, reported by [`run_example`]).
    pub expected: PathBuf,
}

/// Every example under `spec_dir`, sorted by input path. Unreadable folders
/// are skipped (an example that cannot be found cannot be run).
pub fn examples(spec_dir: &Path) -> Vec<Example> {
    let mut out = Vec::new();
    walk(spec_dir, &mut out, 0);
    out.sort_by(|a, b| a.input.cmp(&b.input));
    out
}

/// Folder depth followed at most (symlink loops end here).
const MAX_DEPTH: usize = 32;

fn walk(dir: &Path, out: &mut Vec<Example>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "examples") {
            collect_examples(dir, &path, out);
        }
        walk(&path, out, depth + 1);
    }
}

fn collect_examples(spec_dir: &Path, examples_dir: &Path, out: &mut Vec<Example>) {
    let Ok(entries) = std::fs::read_dir(examples_dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let input = entry.path();
        if !input.is_file() {
            continue;
        }
        let Some(name) = input.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(EXPECTED_SUFFIX) {
            continue;
        }
        let Some((case, ext)) = name.rsplit_once('.') else {
            continue;
        };
        if case.is_empty() || !INPUT_EXTENSIONS.contains(&ext) {
            continue;
        }
        out.push(Example {
            spec_dir: spec_dir.to_path_buf(),
            case: case.to_owned(),
            expected: examples_dir.join(format!("{case}{EXPECTED_SUFFIX}")),
            input,
        });
    }
}

/// Where an actual value differs from the expected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// Both have a value here, and they differ (different type, string,
    /// number text, boolean).
    Changed {
        /// The expected value.
        expected: Value,
        /// The actual value.
        actual: Value,
    },
    /// Expected a value here; the actual output has none.
    Missing {
        /// The expected value.
        expected: Value,
    },
    /// The actual output has a value the expected one does not.
    Unexpected {
        /// The actual value.
        actual: Value,
    },
}

/// The differences between two JSON values, each at a JSON pointer
/// (RFC 6901), in document order. Shows values: it is for test data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diff {
    /// `(pointer, difference)`, `""` being the whole value.
    pub entries: Vec<(String, Difference)>,
}

impl fmt::Display for Diff {
    /// One line per difference:
    /// `/name/0/family: expected "Smith", found "Smyth"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (pointer, difference) in &self.entries {
            let at = if pointer.is_empty() {
                "(root)"
            } else {
                pointer
            };
            match difference {
                Difference::Changed { expected, actual } => writeln!(
                    f,
                    "{at}: expected {}, found {}",
                    show(expected),
                    show(actual)
                )?,
                Difference::Missing { expected } => {
                    writeln!(f, "{at}: missing, expected {}", show(expected))?;
                }
                Difference::Unexpected { actual } => {
                    writeln!(f, "{at}: unexpected {}", show(actual))?;
                }
            }
        }
        Ok(())
    }
}

/// Compares by JSON meaning: object member order does not matter, array
/// order does, numbers are compared by their exact text (`1.0` ≠ `1.00`:
/// FHIR decimals keep their precision). `Ok` when equal.
pub fn compare(expected: &Value, actual: &Value) -> Result<(), Diff> {
    let mut diff = Diff::default();
    let mut pointer = String::new();
    diff_values(expected, actual, &mut pointer, &mut diff.entries);
    if diff.entries.is_empty() {
        Ok(())
    } else {
        Err(diff)
    }
}

fn diff_values(
    expected: &Value,
    actual: &Value,
    pointer: &mut String,
    out: &mut Vec<(String, Difference)>,
) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => diff_objects(e, a, pointer, out),
        (Value::Array(e), Value::Array(a)) => {
            let len = pointer.len();
            for i in 0..e.len().max(a.len()) {
                let _ = write!(pointer, "/{i}");
                match (e.get(i), a.get(i)) {
                    (Some(e), Some(a)) => diff_values(e, a, pointer, out),
                    (Some(e), None) => out.push((
                        pointer.clone(),
                        Difference::Missing {
                            expected: e.clone(),
                        },
                    )),
                    (None, Some(a)) => out.push((
                        pointer.clone(),
                        Difference::Unexpected { actual: a.clone() },
                    )),
                    (None, None) => {}
                }
                pointer.truncate(len);
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push((
            pointer.clone(),
            Difference::Changed {
                expected: e.clone(),
                actual: a.clone(),
            },
        )),
    }
}

fn diff_objects(
    expected: &Object,
    actual: &Object,
    pointer: &mut String,
    out: &mut Vec<(String, Difference)>,
) {
    let len = pointer.len();
    for (key, e) in expected.iter() {
        push_key(pointer, key);
        match actual.get(key) {
            Some(a) => diff_values(e, a, pointer, out),
            None => out.push((
                pointer.clone(),
                Difference::Missing {
                    expected: e.clone(),
                },
            )),
        }
        pointer.truncate(len);
    }
    for (key, a) in actual.iter() {
        if expected.get(key).is_none() {
            push_key(pointer, key);
            out.push((
                pointer.clone(),
                Difference::Unexpected { actual: a.clone() },
            ));
            pointer.truncate(len);
        }
    }
}

fn push_key(pointer: &mut String, key: &str) {
    pointer.push('/');
    pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
}

/// Compact JSON text of a value, for diffs; unlike the FHIR writer it elides
/// nothing (an empty string shows as `""`). Long values are cut at 200
/// characters.
fn show(value: &Value) -> String {
    let mut s = String::new();
    render(value, &mut s);
    if s.chars().count() > 200 {
        let cut: String = s.chars().take(200).collect();
        format!("{cut}…")
    } else {
        s
    }
}

fn render(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(n.as_str()),
        Value::String(s) => render_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                render(item, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            for (i, (k, v)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                render_str(k, out);
                out.push(':');
                render(v, out);
            }
            out.push('}');
        }
    }
}

fn render_str(s: &str, out: &mut String) {
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"?\""),
    }
}

/// How an example ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Actual output equals the expected file.
    Passed,
    /// They differ.
    Failed(Diff),
    /// `<case>.expected.json` does not exist: an error, never a pass.
    MissingExpected,
    /// The input or expected file could not be read or parsed; the text
    /// names the file and the problem.
    Error(String),
}

impl Outcome {
    /// Whether the example passed.
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed)
    }
}

/// The actual output of an input: the converted document when the input
/// holds exactly one, else an array with one element per document. A
/// rejected document stands as `{"ferry:rejected": {"code", "location",
/// "reason"}}` (location in file coordinates), so an example can expect a
/// rejection.
pub fn actual_output(
    converter: &dyn Converter,
    file: &Path,
    bytes: &[u8],
) -> Result<Value, String> {
    let mut outputs = Vec::new();
    let mut buf = Vec::new();
    for document in split::documents(converter.input_kind(), file, bytes) {
        let result = document.and_then(|document| {
            buf.clear();
            converter.convert(&document, &mut buf).map_err(|mut r| {
                r.location = r
                    .location
                    .offset_by(document.offset)
                    .in_message(document.ordinal);
                r
            })
        });
        let value = match result {
            Ok(()) => json::read(&buf).map_err(|e| {
                format!(
                    "the converter wrote invalid JSON for {}: {e}",
                    file.display()
                )
            })?,
            Err(rejection) => rejected(&rejection),
        };
        outputs.push(value);
    }
    Ok(match outputs.len() {
        1 => outputs.pop().unwrap_or(Value::Null),
        _ => Value::Array(outputs),
    })
}

fn rejected(rejection: &Rejection) -> Value {
    let mut inner = Object::new();
    inner.push("code".to_owned(), Value::String(rejection.code.to_string()));
    inner.push(
        "location".to_owned(),
        Value::String(rejection.location.to_string()),
    );
    inner.push(
        "reason".to_owned(),
        Value::String(rejection.reason.to_string()),
    );
    let mut outer = Object::new();
    outer.push(REJECTED_KEY.to_owned(), Value::Object(inner));
    Value::Object(outer)
}

/// Runs one example: converts its input and compares with its expected file.
pub fn run_example(example: &Example, converter: &dyn Converter) -> Outcome {
    let expected_bytes = match std::fs::read(&example.expected) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Outcome::MissingExpected,
        Err(e) => {
            return Outcome::Error(format!("cannot read {}: {e}", example.expected.display()));
        }
    };
    let expected = match json::read(&expected_bytes) {
        Ok(value) => value,
        Err(e) => return Outcome::Error(format!("{}: {e}", example.expected.display())),
    };
    let input = match std::fs::read(&example.input) {
        Ok(bytes) => bytes,
        Err(e) => return Outcome::Error(format!("cannot read {}: {e}", example.input.display())),
    };
    match actual_output(converter, &example.input, &input) {
        Ok(actual) => match compare(&expected, &actual) {
            Ok(()) => Outcome::Passed,
            Err(diff) => Outcome::Failed(diff),
        },
        Err(e) => Outcome::Error(e),
    }
}

/// Prints one line per example (`test <input> ... ok` / `FAILED`), the
/// diffs of the failures, and `test result: ok. 3 passed; 0 failed`.
/// Returns whether all passed.
pub fn report(results: &[(Example, Outcome)], out: &mut dyn Write) -> io::Result<bool> {
    let mut failed = 0usize;
    for (example, outcome) in results {
        let status = if outcome.passed() { "ok" } else { "FAILED" };
        writeln!(out, "test {} ... {status}", example.input.display())?;
    }
    for (example, outcome) in results {
        let detail = match outcome {
            Outcome::Passed => continue,
            Outcome::Failed(diff) => format!(
                "output differs from {}:\n{diff}",
                example.expected.display()
            ),
            Outcome::MissingExpected => format!(
                "missing {} (write the expected output there)\n",
                example.expected.display()
            ),
            Outcome::Error(e) => format!("{e}\n"),
        };
        failed += 1;
        write!(out, "\n---- {} ----\n{detail}", example.input.display())?;
    }
    let passed = results.len() - failed;
    let verdict = if failed == 0 { "ok" } else { "FAILED" };
    writeln!(
        out,
        "\ntest result: {verdict}. {passed} passed; {failed} failed"
    )?;
    Ok(failed == 0)
}
