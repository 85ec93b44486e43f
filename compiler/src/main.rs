//! The `ferry` command line.
//!
//! Exit codes: 0 clean (warnings allowed), 1 the specs have errors, 2 usage
//! or I/O failure. Diagnostics are drawn by codespan-reporting; miette only
//! carries operational errors (missing file, bad flag) and never draws snippets.
#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ferry_compiler::check::{self, Checked};
use ferry_compiler::diagnostic::{self, Code};
use ferry_compiler::span::SourceMap;
use miette::{IntoDiagnostic, WrapErr, miette};

#[derive(Parser, Debug)]
#[command(
    name = "ferry",
    version,
    about = "Ferry: checked HL7 v2 / FHIR R4 / vendor JSON mappings"
)]
struct Cli {
    /// When to color output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check specs (files or folders of `.ferry` files) and report every problem.
    Check {
        /// Files or folders; folders are searched for `*.ferry` files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the long explanation of a diagnostic code, e.g. `ferry explain E0101`.
    Explain {
        /// A code such as E0001 or W0101.
        code: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    /// Rendered diagnostics on stderr.
    Human,
    /// One JSON object per diagnostic per line on stdout.
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let result = match cli.command {
        Command::Check { paths, format } => run_check(&paths, format, color),
        Command::Explain { code } => explain(&code),
    };
    match result {
        Ok(code) => code,
        Err(report) => {
            let handler = if color {
                miette::GraphicalReportHandler::new()
            } else {
                miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            };
            let mut text = String::new();
            if handler.render_report(&mut text, report.as_ref()).is_err() {
                text = format!("error: {report}");
            }
            eprint!("{text}");
            ExitCode::from(2)
        }
    }
}

fn run_check(paths: &[PathBuf], format: Format, color: bool) -> miette::Result<ExitCode> {
    let files = collect_specs(paths)?;
    let mut sources = SourceMap::new();
    let mut encoding = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot read {}", file.display()))?;
        let (_, problem) = check::add_source(&mut sources, &file.display().to_string(), &bytes);
        encoding.extend(problem);
    }
    let mut checked: Checked = check::check(&sources);
    checked.diagnostics.extend(encoding);
    diagnostic::sort(&mut checked.diagnostics);

    match format {
        Format::Json => {
            let text = diagnostic::render::json(&sources, &checked.diagnostics);
            write_out(&mut std::io::stdout().lock(), &text)?;
        }
        Format::Human => {
            let mut text = diagnostic::render::human(&sources, &checked.diagnostics, color);
            text.push_str(&summary(files.len(), &checked));
            write_out(&mut std::io::stderr().lock(), &text)?;
        }
    }
    Ok(if checked.error_count() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn summary(files: usize, checked: &Checked) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "checked {}: {}, {}\n",
        plural(files, "file"),
        plural(checked.error_count(), "error"),
        plural(checked.warning_count(), "warning"),
    )
}

fn write_out(out: &mut impl Write, text: &str) -> miette::Result<()> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .into_diagnostic()
        .wrap_err("cannot write the diagnostics")
}

/// Files as given, folders searched recursively for `*.ferry`, in a stable order.
fn collect_specs(paths: &[PathBuf]) -> miette::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            let before = files.len();
            walk(path, &mut files)?;
            if files.len() == before {
                return Err(miette!(
                    help = "name the .ferry files to check, or a folder that holds some",
                    "no .ferry files under {}",
                    path.display()
                ));
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> miette::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot list {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot list {}", dir.display()))?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            walk(&entry, files)?;
        } else if entry.extension().is_some_and(|e| e == "ferry") {
            files.push(entry);
        }
    }
    Ok(())
}

fn explain(code: &str) -> miette::Result<ExitCode> {
    match Code::parse(code) {
        Some(code) => {
            write_out(&mut std::io::stdout().lock(), code.explain())?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
            Err(miette!(
                help = format!("known codes: {}", all.join(", ")),
                "no diagnostic code `{code}`"
            ))
        }
    }
}
