//! `cargo xtask` — project maintenance tasks.
//!
//! `cargo xtask schema [--check] [--data DIR]` reduces the raw HL7 v2 and FHIR R4 definitions
//! (default `../shared/data` beside the workspace, or `FERRY_SHARED_DATA`) into `schema/data/`.
//! With `--check` it writes nothing and fails when the committed files are stale.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ferry_schema::reduce::{default_data_dir, reduce, stale_files};

const USAGE: &str = "usage: cargo xtask schema [--check] [--data DIR]";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let mut args = args.into_iter();
    match args.next().as_deref() {
        Some("schema") => {}
        _ => return Err(USAGE.to_owned()),
    }
    let mut check = false;
    let mut data: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--check" => check = true,
            "--data" => data = Some(args.next().ok_or(USAGE)?.into()),
            _ => return Err(format!("unknown argument `{a}`\n{USAGE}")),
        }
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().unwrap_or(manifest);
    let data = data.unwrap_or_else(|| default_data_dir(root));
    if !data.is_dir() {
        return Err(format!(
            "shared data folder {} not found (use --data DIR or FERRY_SHARED_DATA)",
            data.display()
        ));
    }
    let out = root.join("schema").join("data");
    let reduced = reduce(&data)?;
    for n in &reduced.notes {
        eprintln!("note: {n}");
    }
    let stale = stale_files(&reduced, &out);
    if check {
        if stale.is_empty() {
            eprintln!("schema/data is up to date ({} files)", reduced.files.len());
            return Ok(());
        }
        return Err(format!(
            "schema/data is stale: {}; run `cargo xtask schema`",
            stale.join(", ")
        ));
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut total = 0;
    for (name, text) in &reduced.files {
        total += text.len();
        if stale.contains(name) {
            let path = out.join(name);
            std::fs::write(&path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!("wrote {name} ({} bytes)", text.len());
        }
    }
    eprintln!("schema/data: {} files, {total} bytes", reduced.files.len());
    Ok(())
}
