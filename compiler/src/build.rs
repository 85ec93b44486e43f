//! The build API: compile specs to Rust from a `build.rs`, as prost-build
//! does for `.proto` files.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     ferry_compiler::Build::new().spec("specs/adt_a01.ferry").compile()?;
//!     Ok(())
//! }
//! ```
//!
//! ```ignore
//! // src/lib.rs: one module per spec, named after the spec's file.
//! include!(concat!(env!("OUT_DIR"), "/ferry.rs"));
//! // adt_a01::adt_a01(input, &mut out)?;
//! ```
//!
//! Each spec `NAME.ferry` becomes `NAME.rs` in the output directory, and the
//! include file (`ferry.rs`) declares `pub mod NAME` for each. On errors the
//! rendered diagnostics go to stderr, each error also as a `cargo::error=`
//! line, and [`Build::compile`] returns `Err`. See `docs/codegen.md`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::check;
use crate::codegen;
use crate::diagnostic::{self, Diagnostic};

/// Compiles specs to Rust.
#[derive(Debug, Clone)]
pub struct Build {
    specs: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    include_file: PathBuf,
    format: bool,
    cargo: bool,
}

impl Default for Build {
    fn default() -> Build {
        Build::new()
    }
}

/// What [`Build::compile`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// One file per spec, in the order the specs were given.
    pub modules: Vec<Module>,
    /// The include file, declaring a module per spec.
    pub include_file: PathBuf,
}

/// One generated module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// The module's name (the spec file's stem).
    pub name: String,
    /// The spec it came from.
    pub spec: PathBuf,
    /// The file written.
    pub file: PathBuf,
}

/// Why a build failed.
#[derive(Debug)]
pub enum BuildError {
    /// No spec was given, or a directory held none.
    NoSpecs,
    /// No output directory: neither set nor `OUT_DIR` in the environment.
    NoOutDir,
    /// A spec or output file could not be read or written.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A spec's file name cannot name a Rust module.
    BadName { path: PathBuf, reason: String },
    /// Two specs would give the same module.
    DuplicateModule {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    /// Specs have errors; `rendered` is what `ferry check` prints, and
    /// `lines` one `FILE:LINE:COL: error[CODE]: message` line per error (what
    /// [`Build::compile`] gives cargo as `cargo::error=` lines).
    Check {
        errors: usize,
        rendered: String,
        lines: Vec<String>,
    },
    /// The Rust backend refused a program.
    Codegen {
        path: PathBuf,
        error: codegen::CodegenError,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoSpecs => f.write_str("no Ferry spec to compile"),
            BuildError::NoOutDir => {
                f.write_str("no output directory: call `out_dir` or run from a build script")
            }
            BuildError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            BuildError::BadName { path, reason } => write!(f, "{}: {reason}", path.display()),
            BuildError::DuplicateModule {
                name,
                first,
                second,
            } => write!(
                f,
                "{} and {} would both be module `{name}`",
                first.display(),
                second.display()
            ),
            BuildError::Check {
                errors, rendered, ..
            } => {
                write!(f, "{rendered}Ferry specs have {errors} error(s)")
            }
            BuildError::Codegen { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for BuildError {}

impl Build {
    /// A build with no specs, writing to `OUT_DIR`, formatted, telling
    /// cargo to rerun when a spec changes.
    pub fn new() -> Build {
        Build {
            specs: Vec::new(),
            out_dir: None,
            include_file: PathBuf::from("ferry.rs"),
            format: true,
            cargo: true,
        }
    }

    /// Adds a spec file, or a directory whose `.ferry` files (at any depth,
    /// in path order) are all compiled.
    #[must_use]
    pub fn spec(mut self, path: impl AsRef<Path>) -> Build {
        self.specs.push(path.as_ref().to_path_buf());
        self
    }

    /// Adds several specs.
    #[must_use]
    pub fn specs<P: AsRef<Path>>(mut self, paths: impl IntoIterator<Item = P>) -> Build {
        self.specs
            .extend(paths.into_iter().map(|p| p.as_ref().to_path_buf()));
        self
    }

    /// Where the generated files go (default: `OUT_DIR`).
    #[must_use]
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Build {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The include file's name in the output directory (default `ferry.rs`).
    #[must_use]
    pub fn include_file(mut self, name: impl AsRef<Path>) -> Build {
        self.include_file = name.as_ref().to_path_buf();
        self
    }

    /// Whether the code is formatted with prettyplease (default: yes);
    /// otherwise it is written as one token stream per item.
    #[must_use]
    pub fn format(mut self, on: bool) -> Build {
        self.format = on;
        self
    }

    /// Whether [`Build::compile`] prints `cargo::rerun-if-changed=` for every
    /// spec and folder and `cargo::error=` for every error (default: yes,
    /// for build scripts). [`Build::generate`] never prints.
    #[must_use]
    pub fn cargo_messages(mut self, on: bool) -> Build {
        self.cargo = on;
        self
    }

    /// Checks every spec, generates its module and writes the files.
    ///
    /// # Errors
    /// A [`BuildError`]; for spec errors, the rendered diagnostics are
    /// printed to stderr first (and as `cargo::error=` lines).
    pub fn compile(&self) -> Result<Output, BuildError> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(BuildError::NoOutDir)?,
        };
        if self.cargo {
            // Before checking: a failed build must rerun once a spec is fixed.
            // (A folder that cannot be read is reported by `generate`.)
            for path in self.watched().unwrap_or_default() {
                println!("cargo::rerun-if-changed={}", path.display());
            }
        }
        let generated = match self.generate() {
            Ok(g) => g,
            Err(e) => {
                if let BuildError::Check {
                    rendered, lines, ..
                } = &e
                {
                    eprint!("{rendered}");
                    if self.cargo {
                        for line in lines {
                            println!("cargo::error={line}");
                        }
                    }
                } else if self.cargo {
                    println!("cargo::error={}", one_line(&e.to_string()));
                }
                return Err(e);
            }
        };
        std::fs::create_dir_all(&out_dir).map_err(|error| BuildError::Io {
            path: out_dir.clone(),
            error,
        })?;
        let mut modules = Vec::new();
        for (module, code) in &generated.modules {
            let file = out_dir.join(format!("{}.rs", module.name));
            write_if_changed(&file, code)?;
            modules.push(Module {
                file,
                ..module.clone()
            });
        }
        let include_file = out_dir.join(&self.include_file);
        write_if_changed(&include_file, &generated.include)?;
        Ok(Output {
            modules,
            include_file,
        })
    }

    /// Generates the code without writing or printing anything: each
    /// module's text and the include file's text.
    ///
    /// # Errors
    /// As [`Build::compile`].
    pub fn generate(&self) -> Result<Generated, BuildError> {
        let specs = self.spec_files()?;
        let mut failed: Vec<(crate::span::SourceMap, Vec<Diagnostic>)> = Vec::new();
        let mut modules: Vec<(Module, String)> = Vec::new();
        for path in &specs {
            let name = module_name(path)?;
            if let Some((first, _)) = modules.iter().find(|(m, _)| m.name == name) {
                return Err(BuildError::DuplicateModule {
                    name,
                    first: first.spec.clone(),
                    second: path.clone(),
                });
            }
            let bytes = std::fs::read(path).map_err(|error| BuildError::Io {
                path: path.clone(),
                error,
            })?;
            let shown = path.display().to_string();
            match check::compile(&shown, &bytes) {
                Ok(compiled) => {
                    let code = if self.format {
                        codegen::generate(&compiled.program, &shown)
                    } else {
                        codegen::generate_unformatted(&compiled.program, &shown)
                    }
                    .map_err(|error| BuildError::Codegen {
                        path: path.clone(),
                        error,
                    })?;
                    modules.push((
                        Module {
                            name,
                            spec: path.clone(),
                            file: PathBuf::new(),
                        },
                        code,
                    ));
                }
                Err(f) => failed.push((f.sources, f.diagnostics)),
            }
        }
        if !failed.is_empty() {
            let mut rendered = String::new();
            let mut lines = Vec::new();
            for (sources, diagnostics) in &failed {
                rendered.push_str(&diagnostic::render::human(sources, diagnostics, false));
                lines.extend(
                    diagnostics
                        .iter()
                        .filter(|d| d.is_error())
                        .map(|d| cargo_line(sources, d)),
                );
            }
            return Err(BuildError::Check {
                errors: lines.len(),
                rendered,
                lines,
            });
        }
        let include = include_file(&modules);
        Ok(Generated { modules, include })
    }

    /// What a build depends on: every spec file, and every folder given
    /// (a spec added to it reruns the build too).
    pub fn watched(&self) -> Result<Vec<PathBuf>, BuildError> {
        let mut paths = self.spec_files()?;
        paths.extend(self.specs.iter().filter(|p| p.is_dir()).cloned());
        Ok(paths)
    }

    /// The spec files: files as given, directories searched for `.ferry`
    /// files in path order.
    fn spec_files(&self) -> Result<Vec<PathBuf>, BuildError> {
        let mut files = Vec::new();
        for path in &self.specs {
            if path.is_dir() {
                let mut found = Vec::new();
                walk(path, &mut found)?;
                found.sort();
                files.extend(found);
            } else {
                files.push(path.clone());
            }
        }
        if files.is_empty() {
            return Err(BuildError::NoSpecs);
        }
        Ok(files)
    }
}

/// Generated text, before it is written.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Each module with its code.
    pub modules: Vec<(Module, String)>,
    /// The include file's code.
    pub include: String,
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), BuildError> {
    let io = |error| BuildError::Io {
        path: dir.to_path_buf(),
        error,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            walk(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "ferry") {
            found.push(path);
        }
    }
    Ok(())
}

/// The module a spec becomes: its file stem, which must be a plain
/// identifier.
fn module_name(path: &Path) -> Result<String, BuildError> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    codegen::ident(&stem).map_err(|e| BuildError::BadName {
        path: path.to_path_buf(),
        reason: format!("the file name names the generated module; {e}"),
    })?;
    Ok(stem)
}

fn include_file(modules: &[(Module, String)]) -> String {
    let mut out = format!(
        "{} {}. Do not edit.\n",
        codegen::HEADER,
        env!("CARGO_PKG_VERSION")
    );
    for (m, _) in modules {
        let spec = m.spec.display().to_string().replace(['\n', '\r'], " ");
        out.push_str(&format!(
            "\n/// Generated from `{spec}`.\n#[allow(dead_code, clippy::result_large_err)]\npub mod {name} {{\n    include!(\"{name}.rs\");\n}}\n",
            spec = spec.escape_debug(),
            name = m.name,
        ));
    }
    out
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), BuildError> {
    // Unchanged files keep their time stamps, so cargo does not rebuild.
    if std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|error| BuildError::Io {
        path: path.to_path_buf(),
        error,
    })
}

/// `file:line:col: error[CODE]: message`, on one line.
fn cargo_line(sources: &crate::span::SourceMap, d: &Diagnostic) -> String {
    let place = d
        .span()
        .and_then(|span| {
            let file = sources.get(span.file)?;
            let (line, column) = file.line_column(span.start as usize);
            Some(format!("{}:{line}:{column}: ", file.name()))
        })
        .unwrap_or_default();
    one_line(&format!("{place}error[{}]: {}", d.code.as_str(), d.message))
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}
