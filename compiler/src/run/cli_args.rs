//! The arguments of `ferry run`. A plain struct, so the library can name it
//! without clap; with the `cli` feature it also derives `clap::Args`, ready
//! for `Command::Run(RunArgs)` in `main.rs`.

use std::path::PathBuf;

/// `ferry run SPEC INPUT... [--map NAME] [-o OUT] [--rejects FILE] [--pretty]`
///
/// `spec` and `map` choose the converter; the caller builds it (checks the
/// spec, picks the map) before handing it to [`super::cli_run`], which uses
/// only the I/O fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct RunArgs {
    /// The spec: a `.ferry` file or a folder of them.
    #[cfg_attr(feature = "cli", arg(value_name = "SPEC"))]
    pub spec: PathBuf,
    /// Input files; a folder stands for its files with an extension of the
    /// map's input kind (`hl7`, `txt`, `er7`, `msg` for HL7 v2; `json`,
    /// `ndjson`, `jsonl` for JSON), searched recursively, in name order.
    #[cfg_attr(feature = "cli", arg(value_name = "INPUT", required = true))]
    pub inputs: Vec<PathBuf>,
    /// The map to run, when the spec has more than one.
    #[cfg_attr(feature = "cli", arg(long, value_name = "NAME"))]
    pub map: Option<String>,
    /// Output file (NDJSON, or pretty JSON with --pretty); stdout if absent.
    #[cfg_attr(feature = "cli", arg(short = 'o', long = "output", value_name = "OUT"))]
    pub output: Option<PathBuf>,
    /// Rejects file (one JSON line per rejected document); if absent,
    /// rejects go to stderr as the same JSON lines.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub rejects: Option<PathBuf>,
    /// Write indented JSON documents instead of NDJSON.
    #[cfg_attr(feature = "cli", arg(long))]
    pub pretty: bool,
}
