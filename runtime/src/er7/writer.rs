//! Writing ER7, for FHIR → HL7 v2 maps.

use super::{Delimiters, escape};
use crate::error::{Error, Kind, Location, SegmentId};

/// Segment terminator written by a [`Writer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineEnding {
    /// `\r`, the standard.
    #[default]
    Cr,
    /// `\n` (files meant for people and diff tools).
    Lf,
    /// `\r\n`.
    CrLf,
}

impl LineEnding {
    fn bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Cr => b"\r",
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
        }
    }
}

/// Builds ER7 text segment by segment, moving forward through positions and
/// escaping every value, so that reading what it wrote gives back the same
/// values.
///
/// Positions are 1-based and HL7-numbered, and only move forward:
/// `field(5)` after `field(3)` writes the separators in between; going back
/// is a usage error, remembered and returned by [`Writer::finish`] (the
/// builder methods chain and never fail or panic).
///
/// ```
/// use ferry_runtime::er7::Writer;
/// let mut w = Writer::new();
/// w.segment("MSH").field(9).component(1).text("ADT").component(2).text("A01");
/// w.segment("PID").field(5).component(1).text("O'Brien|Smith").component(2).text("Ann");
/// w.field(8).null();
/// let bytes = w.finish().unwrap();
/// assert_eq!(bytes, b"MSH|^~\\&|||||||ADT^A01\rPID|||||O'Brien\\F\\Smith^Ann|||\"\"\r");
/// ```
#[derive(Debug, Clone)]
pub struct Writer {
    out: Vec<u8>,
    d: Delimiters,
    line_ending: LineEnding,
    in_segment: bool,
    /// The current segment is MSH/BHS/FHS (fields 1 and 2 are fixed).
    header: bool,
    field: usize,
    repetition: usize,
    component: usize,
    subcomponent: usize,
    segments: u32,
    error: Option<Error>,
}

impl Default for Writer {
    fn default() -> Self {
        Writer::new()
    }
}

impl Writer {
    /// A writer with the standard delimiters `|^~\&` and `\r` terminators.
    pub fn new() -> Writer {
        Writer {
            out: Vec::with_capacity(1024),
            d: Delimiters::default(),
            line_ending: LineEnding::Cr,
            in_segment: false,
            header: false,
            field: 0,
            repetition: 1,
            component: 1,
            subcomponent: 1,
            segments: 0,
            error: None,
        }
    }

    /// A writer with other delimiters. The component, repetition, escape and
    /// subcomponent characters must all be declared: without them values
    /// cannot be escaped.
    pub fn with_delimiters(d: Delimiters) -> Result<Writer, Error> {
        if d.component().is_none()
            || d.repetition().is_none()
            || d.escape().is_none()
            || d.subcomponent().is_none()
        {
            return Err(Error::new(
                Kind::Writer(
                    "the writer needs component, repetition, escape and subcomponent characters",
                ),
                Location::default(),
            ));
        }
        Ok(Writer { d, ..Writer::new() })
    }

    /// Set the segment terminator.
    #[must_use]
    pub fn line_ending(mut self, e: LineEnding) -> Writer {
        self.line_ending = e;
        self
    }

    fn fail(&mut self, why: &'static str) {
        if self.error.is_none() {
            let loc = Location {
                field: Some(self.field as u32),
                ..Location::default()
            };
            self.error = Some(Error::new(Kind::Writer(why), loc));
        }
    }

    fn end_segment(&mut self) {
        if self.in_segment {
            self.out.extend_from_slice(self.line_ending.bytes());
            self.in_segment = false;
        }
    }

    /// Start segment `id` (three upper-case letters/digits). For `MSH`,
    /// `BHS` and `FHS` the field separator and encoding characters (fields 1
    /// and 2) are written too, and the position is field 2.
    pub fn segment(&mut self, id: &str) -> &mut Writer {
        self.end_segment();
        if SegmentId::new(id.as_bytes()).is_none() {
            self.fail("a segment id is three upper-case letters or digits");
        }
        self.out.extend_from_slice(id.as_bytes());
        self.in_segment = true;
        self.segments += 1;
        self.repetition = 1;
        self.component = 1;
        self.subcomponent = 1;
        self.header = matches!(id, "MSH" | "BHS" | "FHS");
        if self.header {
            self.out.push(self.d.field);
            self.out.extend_from_slice(&self.d.encoding_characters());
            self.field = 2;
        } else {
            self.field = 0;
        }
        self
    }

    /// Move to field `n` (HL7 numbering).
    pub fn field(&mut self, n: usize) -> &mut Writer {
        if !self.in_segment {
            self.fail("field() before segment()");
        } else if n < self.field || n == 0 {
            self.fail("fields must be written in increasing order");
        } else {
            for _ in self.field..n {
                self.out.push(self.d.field);
            }
            if n > self.field {
                self.field = n;
                self.repetition = 1;
                self.component = 1;
                self.subcomponent = 1;
            }
        }
        self
    }

    fn check_in_field(&mut self) -> bool {
        if !self.in_segment || self.field == 0 {
            self.fail("a value needs a field(): call field(n) first");
            return false;
        }
        if self.header && self.field <= 2 {
            self.fail("MSH-1 and MSH-2 are written by segment()");
            return false;
        }
        true
    }

    /// Move to repetition `i` (1-based) of the current field.
    pub fn repetition(&mut self, i: usize) -> &mut Writer {
        if self.check_in_field() {
            if i < self.repetition || i == 0 {
                self.fail("repetitions must be written in increasing order");
            } else {
                for _ in self.repetition..i {
                    self.out.push(self.d.repetition);
                }
                if i > self.repetition {
                    self.repetition = i;
                    self.component = 1;
                    self.subcomponent = 1;
                }
            }
        }
        self
    }

    /// Move to component `j` (1-based) of the current repetition.
    pub fn component(&mut self, j: usize) -> &mut Writer {
        if self.check_in_field() {
            if j < self.component || j == 0 {
                self.fail("components must be written in increasing order");
            } else {
                for _ in self.component..j {
                    self.out.push(self.d.component);
                }
                if j > self.component {
                    self.component = j;
                    self.subcomponent = 1;
                }
            }
        }
        self
    }

    /// Move to subcomponent `k` (1-based) of the current component.
    pub fn subcomponent(&mut self, k: usize) -> &mut Writer {
        if self.check_in_field() {
            if k < self.subcomponent || k == 0 {
                self.fail("subcomponents must be written in increasing order");
            } else {
                for _ in self.subcomponent..k {
                    self.out.push(self.d.subcomponent);
                }
                self.subcomponent = k;
            }
        }
        self
    }

    /// Append `text` at the current position, escaped.
    pub fn text(&mut self, text: &str) -> &mut Writer {
        if self.check_in_field() {
            escape::escape_into(text.as_bytes(), &self.d, &mut self.out);
        }
        self
    }

    /// Write HL7's explicit null `""` at the current position.
    pub fn null(&mut self) -> &mut Writer {
        if self.check_in_field() {
            self.out.extend_from_slice(b"\"\"");
        }
        self
    }

    /// Append bytes as they are (already ER7: delimiters keep their meaning).
    /// Line ends are refused: they would end the segment.
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Writer {
        if bytes.contains(&b'\r') || bytes.contains(&b'\n') {
            self.fail("raw() bytes contain a line end");
        } else if self.check_in_field() {
            self.out.extend_from_slice(bytes);
        }
        self
    }

    /// End the last segment and return the message, or the first usage error.
    pub fn finish(mut self) -> Result<Vec<u8>, Error> {
        self.end_segment();
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.out),
        }
    }
}
