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
use ferry_compiler::interp::{Interpreter, Options};
use ferry_compiler::ir::{MapId, Program};
use ferry_compiler::run;
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
    /// Convert messages with a spec: NDJSON out, rejects with located reasons.
    ///
    /// Exit codes: 0 all converted, 1 the spec has errors, 2 usage or I/O
    /// failure, 3 some documents were rejected.
    Run {
        #[command(flatten)]
        args: run::RunArgs,
        /// IANA time zone of HL7 times that carry no offset
        /// (e.g. America/New_York); without it such times are rejected.
        #[arg(long, env = "FERRY_TIME_ZONE", value_name = "ZONE")]
        time_zone: Option<String>,
    },
    /// Run the examples beside the specs (`examples/<case>.hl7` with
    /// `<case>.expected.json`) and compare by JSON meaning.
    Test {
        /// A folder of specs (default: specs).
        path: Option<PathBuf>,
        #[arg(long, env = "FERRY_TIME_ZONE", value_name = "ZONE")]
        time_zone: Option<String>,
    },
    /// Generate Rust code from specs, for checking in (a `build.rs` uses
    /// `ferry_compiler::Build` instead). Writes `NAME.rs` per spec and an
    /// include file declaring a module per spec.
    Build {
        /// Spec files or folders of `.ferry` files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Where to write the files.
        #[arg(long, value_name = "DIR")]
        out_dir: PathBuf,
        /// Name of the include file in the output folder.
        #[arg(long, default_value = "ferry.rs", value_name = "NAME")]
        include_file: PathBuf,
        /// Write the token stream unformatted.
        #[arg(long)]
        no_format: bool,
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
        Command::Build {
            paths,
            out_dir,
            include_file,
            no_format,
        } => build(&paths, &out_dir, &include_file, !no_format),
        Command::Run { args, time_zone } => run_specs(&args, time_zone.as_deref(), color),
        Command::Test { path, time_zone } => test_examples(
            &path.unwrap_or_else(|| PathBuf::from("specs")),
            time_zone.as_deref(),
            color,
        ),
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

fn build(
    paths: &[PathBuf],
    out_dir: &Path,
    include_file: &Path,
    format: bool,
) -> miette::Result<ExitCode> {
    let result = ferry_compiler::Build::new()
        .specs(paths)
        .out_dir(out_dir)
        .include_file(include_file)
        .format(format)
        .cargo_messages(false)
        .compile();
    match result {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            for m in &output.modules {
                let _ = writeln!(
                    stdout,
                    "{} -> {} (module {})",
                    m.spec.display(),
                    m.file.display(),
                    m.name
                );
            }
            let _ = writeln!(stdout, "include file: {}", output.include_file.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(ferry_compiler::BuildError::Check { .. }) => Ok(ExitCode::from(1)),
        Err(e) => Err(miette!("{e}")),
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

/// A checked, lowered spec file.
struct Loaded {
    file: PathBuf,
    program: Program,
}

/// Checks and lowers one spec; prints its diagnostics on failure.
fn load_spec(file: &Path, color: bool) -> miette::Result<Result<Loaded, ExitCode>> {
    let bytes = std::fs::read(file)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read {}", file.display()))?;
    match check::compile(&file.display().to_string(), &bytes) {
        Ok(compiled) => {
            if !compiled.warnings.is_empty() {
                eprint!(
                    "{}",
                    diagnostic::render::human(&compiled.sources, &compiled.warnings, color)
                );
            }
            Ok(Ok(Loaded {
                file: file.to_path_buf(),
                program: compiled.program,
            }))
        }
        Err(failed) => {
            eprint!(
                "{}",
                diagnostic::render::human(&failed.sources, &failed.diagnostics, color)
            );
            eprintln!(
                "{} does not check: fix it before running it",
                file.display()
            );
            Ok(Err(ExitCode::from(1)))
        }
    }
}

/// The map to run: the one named, else the only map no other map calls.
fn entry_map(loaded: &Loaded, name: Option<&str>) -> miette::Result<MapId> {
    if let Some(name) = name {
        return loaded
            .program
            .map_named(name)
            .map(|(id, _)| id)
            .ok_or_else(|| miette!("{} has no map `{name}`", loaded.file.display()));
    }
    let roots = loaded.program.roots();
    match roots.as_slice() {
        [one] => Ok(*one),
        _ => {
            let names: Vec<&str> = roots
                .iter()
                .filter_map(|id| loaded.program.map(*id).map(|m| m.name.as_str()))
                .collect();
            Err(miette!(
                help = format!("choose one with --map: {}", names.join(", ")),
                "{} has {} maps that no other map calls",
                loaded.file.display(),
                names.len()
            ))
        }
    }
}

fn time_zone(name: Option<&str>) -> miette::Result<Options> {
    let time_zone = match name {
        None => None,
        Some(name) => Some(
            ferry_runtime::convert::TimeZone::get(name)
                .into_diagnostic()
                .wrap_err_with(|| format!("unknown time zone `{name}`"))?,
        ),
    };
    Ok(Options { time_zone })
}

fn run_specs(args: &run::RunArgs, zone: Option<&str>, color: bool) -> miette::Result<ExitCode> {
    let specs = collect_specs(std::slice::from_ref(&args.spec))?;
    let mut chosen = None;
    for file in &specs {
        let loaded = match load_spec(file, color)? {
            Ok(l) => l,
            Err(code) => return Ok(code),
        };
        let has_map = args
            .map
            .as_deref()
            .is_none_or(|m| loaded.program.map_named(m).is_some());
        if has_map {
            if chosen.is_some() {
                return Err(miette!(
                    help = "name the spec file, or the map with --map",
                    "more than one spec under {} could run",
                    args.spec.display()
                ));
            }
            chosen = Some(loaded);
        }
    }
    let Some(loaded) = chosen else {
        return Err(miette!(
            "no spec under {} has the map to run",
            args.spec.display()
        ));
    };
    let entry = entry_map(&loaded, args.map.as_deref())?;
    let interpreter = Interpreter::new(&loaded.program, entry, time_zone(zone)?);
    run::cli_run(args, &interpreter)
}

/// The spec an example belongs to: the one whose file stem starts the case
/// name, or the only spec of the folder.
fn spec_of<'l>(example: &run::Example, specs: &'l [Loaded]) -> Option<&'l Loaded> {
    let here: Vec<&Loaded> = specs
        .iter()
        .filter(|l| l.file.parent() == Some(example.spec_dir.as_path()))
        .collect();
    if let [only] = here.as_slice() {
        return Some(only);
    }
    here.into_iter().find(|l| {
        l.file
            .file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|stem| example.case.starts_with(stem))
    })
}

fn test_examples(path: &Path, zone: Option<&str>, color: bool) -> miette::Result<ExitCode> {
    let options = time_zone(zone)?;
    let mut specs = Vec::new();
    for file in collect_specs(&[path.to_path_buf()])? {
        match load_spec(&file, color)? {
            Ok(l) => specs.push(l),
            Err(code) => return Ok(code),
        }
    }
    let examples = run::examples(path);
    if examples.is_empty() {
        return Err(miette!(
            help = "put `<case>.hl7` and `<case>.expected.json` in an `examples` folder beside the spec",
            "no examples under {}",
            path.display()
        ));
    }
    let mut results = Vec::new();
    for example in examples {
        let outcome = match spec_of(&example, &specs) {
            None => run::Outcome::Error(format!(
                "no spec in {} matches the case name `{}`",
                example.spec_dir.display(),
                example.case
            )),
            Some(loaded) => {
                let entry = entry_map(loaded, None)?;
                let interpreter = Interpreter::new(&loaded.program, entry, options.clone());
                run::run_example(&example, &interpreter)
            }
        };
        results.push((example, outcome));
    }
    let mut out = std::io::stdout().lock();
    let passed = run::report(&results, &mut out)
        .into_diagnostic()
        .wrap_err("cannot write the report")?;
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
