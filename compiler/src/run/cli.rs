//! `ferry run` as the binary runs it: files, stdout/stderr, exit codes.
//! Operational failures are miette reports (exit 2 in `main`); rejected
//! documents are data (exit 3).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use miette::{IntoDiagnostic, WrapErr, miette};

use super::{Batch, Converter, InputKind, RunArgs, Summary};

/// Exit code when every document was converted.
pub const EXIT_OK: u8 = 0;
/// Exit code for a usage or I/O failure (what `main` returns for an `Err`).
pub const EXIT_FAILURE: u8 = 2;
/// Exit code when at least one document was rejected.
pub const EXIT_REJECTED: u8 = 3;

/// Runs `ferry run` with `converter` (already built from `args.spec` and
/// `args.map`): output to `-o` or stdout, rejects to `--rejects` or, when
/// absent, to stderr as NDJSON lines (a rejected document is never silent),
/// then the summary line on stderr.
///
/// `Ok(0)` when all converted, `Ok(3)` when any was rejected; `Err` (exit 2
/// in `main`) when an input is missing or unreadable or an output cannot be
/// written. Inputs are all checked before any output file is created.
pub fn cli_run(args: &RunArgs, converter: &dyn Converter) -> miette::Result<ExitCode> {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    cli_run_with(args, converter, &mut stdout.lock(), &mut stderr.lock()).map(ExitCode::from)
}

/// [`cli_run`] with stdout and stderr given, for tests and embedding;
/// returns the exit code as a number.
pub fn cli_run_with(
    args: &RunArgs,
    converter: &dyn Converter,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> miette::Result<u8> {
    let RunArgs {
        spec: _,
        inputs,
        map: _,
        output,
        rejects,
        pretty,
    } = args;
    let files = input_files(inputs, converter.input_kind())?;

    let output: Box<dyn Write + '_> = match output {
        Some(path) => Box::new(BufWriter::new(create(path, "output")?)),
        None => Box::new(BufWriter::new(&mut *stdout)),
    };
    let summary = match rejects {
        Some(path) => {
            let rejects = BufWriter::new(create(path, "rejects")?);
            run_files(converter, &files, output, rejects, *pretty)?
        }
        None => run_files(converter, &files, output, &mut *stderr, *pretty)?,
    };
    // The summary is informative; a closed stderr must not fail the run.
    let _ = writeln!(stderr, "{summary}");
    Ok(if summary.rejected > 0 {
        EXIT_REJECTED
    } else {
        EXIT_OK
    })
}

fn run_files(
    converter: &dyn Converter,
    files: &[PathBuf],
    output: impl Write,
    rejects: impl Write,
    pretty: bool,
) -> miette::Result<Summary> {
    let mut batch = Batch::new(converter, output, rejects).pretty(pretty);
    for file in files {
        batch.add_file(file).map_err(|e| miette!("{e}"))?;
    }
    batch.finish().map_err(|e| miette!("{e}"))
}

fn create(path: &Path, what: &str) -> miette::Result<File> {
    File::create(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot create the {what} file {}", path.display()))
}

fn extensions(kind: InputKind) -> &'static [&'static str] {
    match kind {
        InputKind::Hl7v2 => &["hl7", "txt", "er7", "msg"],
        InputKind::FhirJson | InputKind::RecordJson => &["json", "ndjson", "jsonl"],
    }
}

/// Files as given; folders expanded to their files of `kind`'s extensions,
/// recursively, in name order. A missing input, or none at all, is an error.
fn input_files(inputs: &[PathBuf], kind: InputKind) -> miette::Result<Vec<PathBuf>> {
    if inputs.is_empty() {
        return Err(miette!("no input files"));
    }
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot read input {}", input.display()))?;
        if meta.is_dir() {
            let before = files.len();
            collect(input, extensions(kind), &mut files, 0)?;
            if files.len() == before {
                return Err(miette!(
                    "no input files in folder {} (looked for .{})",
                    input.display(),
                    extensions(kind).join(", .")
                ));
            }
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

fn collect(
    dir: &Path,
    extensions: &[&str],
    out: &mut Vec<PathBuf>,
    depth: usize,
) -> miette::Result<()> {
    if depth > 32 {
        return Err(miette!("folders nested too deep under {}", dir.display()));
    }
    let mut entries = std::fs::read_dir(dir)
        .and_then(|entries| {
            entries
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
        })
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot list folder {}", dir.display()))?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, extensions, out, depth + 1)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
        {
            out.push(path);
        }
    }
    Ok(())
}
