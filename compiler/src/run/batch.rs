//! The batch: files → documents → converter → output and rejects.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ferry_runtime::json::{self, Style};
use serde::Serialize;

use super::{Converter, Document, Rejection, split};

/// Rejection code: the converter returned `Ok` but wrote nothing (every
/// output element was absent). Rejected rather than skipped so that no
/// document disappears without a trace.
pub const CODE_EMPTY_OUTPUT: &str = "EMPTY-OUTPUT";
/// Rejection code: the converter's output is not one JSON value (a bug in
/// the converter, reported per document rather than corrupting the output).
pub const CODE_BAD_OUTPUT: &str = "BAD-OUTPUT";

/// Counts of a batch. `documents == converted + rejected`; content the
/// splitter could not place (stray ER7 lines, a bad NDJSON line, an empty
/// file) counts as one rejected document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Input files read.
    pub files: usize,
    /// Documents seen (converted + rejected).
    pub documents: usize,
    /// Documents written to the output.
    pub converted: usize,
    /// Documents written to the rejects.
    pub rejected: usize,
}

impl fmt::Display for Summary {
    /// `converted 9, rejected 1 (of 10 documents in 2 files)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Summary {
            files,
            documents,
            converted,
            rejected,
        } = *self;
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "converted {converted}, rejected {rejected} (of {documents} document{} in {files} file{})",
            plural(documents),
            plural(files)
        )
    }
}

/// An operational failure of a batch (not a rejected document). Its text
/// names files, never their content.
#[derive(Debug)]
pub enum BatchError {
    /// An input file could not be read.
    Read {
        /// The file.
        file: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The output could not be written.
    WriteOutput(io::Error),
    /// The rejects could not be written.
    WriteRejects(io::Error),
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::Read { file, source } => {
                write!(f, "cannot read {}: {source}", file.display())
            }
            BatchError::WriteOutput(e) => write!(f, "cannot write the output: {e}"),
            BatchError::WriteRejects(e) => write!(f, "cannot write the rejects: {e}"),
        }
    }
}

impl std::error::Error for BatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BatchError::Read { source, .. } => Some(source),
            BatchError::WriteOutput(e) | BatchError::WriteRejects(e) => Some(e),
        }
    }
}

/// One line of the rejects file. Field order is the serialised order.
#[derive(Debug, Serialize)]
struct RejectLine<'a> {
    file: String,
    /// Ordinal of the document in its file; `null` for content outside any
    /// document (stray ER7 lines).
    message: Option<u32>,
    /// Byte offset of the document (or of the unplaced content) in the file.
    offset: usize,
    code: &'a str,
    /// [`ferry_runtime::error::Location`]'s `Display`: `message 2, PID-3[2].1,
    /// bytes 120..135` in file offsets.
    location: String,
    reason: &'a str,
}

/// Converts documents and writes each result to `output` or `rejects`.
///
/// Output is NDJSON (the converter's compact JSON, one document per line)
/// or, with [`Batch::pretty`], the documents re-indented with
/// [`Style::Pretty`] (numbers keep their text), each followed by a newline.
/// Each rejection is one NDJSON line in `rejects`:
/// `{"file","message","offset","code","location","reason"}`; the
/// rejection's attached value is never written.
///
/// Rejection locations from the converter are taken as relative to
/// [`Document::bytes`] (see [`Converter::convert`]); the batch shifts their
/// span by the document's offset and sets the message ordinal, so every
/// rejects line is in file coordinates.
pub struct Batch<'c, O: Write, R: Write> {
    converter: &'c dyn Converter,
    output: O,
    rejects: R,
    pretty: bool,
    summary: Summary,
    buf: Vec<u8>,
}

impl<O: Write, R: Write> fmt::Debug for Batch<'_, O, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("input_kind", &self.converter.input_kind())
            .field("pretty", &self.pretty)
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl<'c, O: Write, R: Write> Batch<'c, O, R> {
    /// A batch writing NDJSON to `output` and rejects to `rejects`. Wrap
    /// files and stdout in a `BufWriter`: the batch writes line by line.
    pub fn new(converter: &'c dyn Converter, output: O, rejects: R) -> Self {
        Batch {
            converter,
            output,
            rejects,
            pretty: false,
            summary: Summary::default(),
            buf: Vec::new(),
        }
    }

    /// Write pretty JSON documents instead of NDJSON.
    #[must_use]
    pub fn pretty(mut self, pretty: bool) -> Self {
        self.pretty = pretty;
        self
    }

    /// Reads `file` and converts every document in it.
    pub fn add_file(&mut self, file: &Path) -> Result<(), BatchError> {
        let bytes = std::fs::read(file).map_err(|source| BatchError::Read {
            file: file.to_path_buf(),
            source,
        })?;
        self.add_bytes(file, &bytes)
    }

    /// Converts every document of `bytes`, read from `file`.
    pub fn add_bytes(&mut self, file: &Path, bytes: &[u8]) -> Result<(), BatchError> {
        self.summary.files += 1;
        for document in split::documents(self.converter.input_kind(), file, bytes) {
            self.summary.documents += 1;
            match document {
                Ok(document) => self.convert(&document)?,
                Err(rejection) => {
                    let offset = rejection.location.span.map_or(0, |s| s.start);
                    self.reject(file, offset, &rejection)?;
                }
            }
        }
        Ok(())
    }

    fn convert(&mut self, document: &Document<'_>) -> Result<(), BatchError> {
        self.buf.clear();
        let result = self.converter.convert(document, &mut self.buf);
        let result = result.and_then(|()| self.finish_output(document));
        match result {
            Ok(()) => {
                self.output
                    .write_all(&self.buf)
                    .map_err(BatchError::WriteOutput)?;
                self.summary.converted += 1;
                Ok(())
            }
            Err(mut rejection) => {
                rejection.location = rejection
                    .location
                    .offset_by(document.offset)
                    .in_message(document.ordinal);
                self.reject(document.file, document.offset, &rejection)
            }
        }
    }

    /// Checks the converter's output in `buf` and turns it into what is
    /// written: one line, or a pretty document and a newline.
    fn finish_output(&mut self, document: &Document<'_>) -> Result<(), Rejection> {
        let whole = ferry_runtime::error::Location::at_span(0, document.bytes.len());
        if self.buf.iter().all(u8::is_ascii_whitespace) {
            return Err(Rejection::new(
                CODE_EMPTY_OUTPUT,
                whole,
                "the map produced no output (every output element was absent)",
            ));
        }
        if self.pretty {
            let value = json::read(&self.buf).map_err(|e| bad_output(whole, &e))?;
            self.buf = value.to_json(Style::Pretty);
        } else if self.buf.contains(&b'\n') {
            // A converter that breaks the contract must not break NDJSON.
            let value = json::read(&self.buf).map_err(|e| bad_output(whole, &e))?;
            self.buf = value.to_json(Style::Compact);
        }
        self.buf.push(b'\n');
        Ok(())
    }

    fn reject(
        &mut self,
        file: &Path,
        offset: usize,
        rejection: &Rejection,
    ) -> Result<(), BatchError> {
        let line = RejectLine {
            file: file.display().to_string(),
            message: rejection.location.message,
            offset,
            code: &rejection.code,
            location: rejection.location.to_string(),
            reason: &rejection.reason,
        };
        serde_json::to_writer(&mut self.rejects, &line)
            .map_err(io::Error::from)
            .and_then(|()| self.rejects.write_all(b"\n"))
            .map_err(BatchError::WriteRejects)?;
        self.summary.rejected += 1;
        Ok(())
    }

    /// The counts so far.
    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// Flushes both writers and returns the counts.
    pub fn finish(mut self) -> Result<Summary, BatchError> {
        self.output.flush().map_err(BatchError::WriteOutput)?;
        self.rejects.flush().map_err(BatchError::WriteRejects)?;
        Ok(self.summary)
    }
}

fn bad_output(whole: ferry_runtime::error::Location, e: &json::ReadError) -> Rejection {
    Rejection::new(
        CODE_BAD_OUTPUT,
        whole,
        format!(
            "the converter wrote invalid JSON (line {}, column {} of its output)",
            e.line(),
            e.column()
        ),
    )
}

/// Converts every document of `files` in order; see [`Batch`].
pub fn run<O: Write, R: Write>(
    converter: &dyn Converter,
    files: &[PathBuf],
    output: O,
    rejects: R,
    pretty: bool,
) -> Result<Summary, BatchError> {
    let mut batch = Batch::new(converter, output, rejects).pretty(pretty);
    for file in files {
        batch.add_file(file)?;
    }
    batch.finish()
}
