//! Located, PHI-safe errors shared by the whole runtime.
//!
//! Every error the runtime (and the code generated against it) produces says
//! *where* it happened — message ordinal, segment and its occurrence, field,
//! repetition, component, subcomponent, byte span — and *what* went wrong, as
//! a closed [`Kind`]. It never says what the patient data was: an offending
//! value may be attached to an [`Error`] or a [`Rejection`], but it only
//! appears in text through the explicit [`Error::with_values`] /
//! [`Rejection::with_values`] opt-in.

use std::borrow::Cow;
use std::fmt;

/// A three-character segment identifier such as `PID` or `ZPD`.
///
/// Only ASCII upper-case letters and digits are kept, so a segment id is never
/// patient data and is always safe to print.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SegmentId([u8; 3]);

impl SegmentId {
    /// `Some` if `bytes` is exactly three ASCII upper-case letters or digits.
    pub fn new(bytes: &[u8]) -> Option<SegmentId> {
        match bytes {
            [a, b, c]
                if [a, b, c]
                    .iter()
                    .all(|x| x.is_ascii_uppercase() || x.is_ascii_digit()) =>
            {
                Some(SegmentId([*a, *b, *c]))
            }
            _ => None,
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// The id as bytes.
    pub fn as_bytes(&self) -> &[u8; 3] {
        &self.0
    }
}

impl fmt::Debug for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A half-open byte range `start..end` into the input the error refers to
/// (the whole file when the message came from [`crate::er7::split_messages`]
/// and the offset was added, otherwise the message's own bytes).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Where something happened. Every part is optional: a file-level problem has
/// only a span, a field-level one has message, segment and field.
///
/// All numbers are 1-based, as HL7 writes them: `PID-5[2].1.2` is field 5 of
/// PID, second repetition, first component, second subcomponent. For `MSH`
/// (and `BHS`/`FHS`) the field number is the standard one: MSH-1 is the field
/// separator, MSH-2 the encoding characters, MSH-3 the sending application.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Location {
    /// Ordinal of the message in its file (1-based).
    pub message: Option<u32>,
    /// Segment id.
    pub segment: Option<SegmentId>,
    /// Which occurrence of that segment id in the message (1-based).
    pub segment_occurrence: Option<u32>,
    /// Field number (1-based; HL7 numbering, MSH-1 is the field separator).
    pub field: Option<u32>,
    /// Repetition (1-based).
    pub repetition: Option<u32>,
    /// Component (1-based).
    pub component: Option<u32>,
    /// Subcomponent (1-based).
    pub subcomponent: Option<u32>,
    /// Byte span.
    pub span: Option<Span>,
}

impl Location {
    /// A location with only a byte span.
    pub fn at_span(start: usize, end: usize) -> Location {
        Location {
            span: Some(Span::new(start, end)),
            ..Location::default()
        }
    }

    /// The same location in message `n` (1-based).
    #[must_use]
    pub fn in_message(mut self, n: u32) -> Location {
        self.message = Some(n);
        self
    }

    /// Shift the byte span by `offset` (the message's offset in its file).
    #[must_use]
    pub fn offset_by(mut self, offset: usize) -> Location {
        if let Some(span) = &mut self.span {
            span.start = span.start.saturating_add(offset);
            span.end = span.end.saturating_add(offset);
        }
        self
    }

    /// The HL7 path part, e.g. `PID-5[2].1.2` or `OBX#3-5`; empty if no
    /// segment is known.
    pub fn path(&self) -> String {
        let mut s = String::new();
        let Some(seg) = self.segment else {
            return s;
        };
        s.push_str(seg.as_str());
        if let Some(occ) = self.segment_occurrence.filter(|&o| o != 1) {
            s.push('#');
            s.push_str(&occ.to_string());
        }
        if let Some(field) = self.field {
            s.push('-');
            s.push_str(&field.to_string());
            if let Some(rep) = self.repetition {
                s.push('[');
                s.push_str(&rep.to_string());
                s.push(']');
            }
            if let Some(c) = self.component {
                s.push('.');
                s.push_str(&c.to_string());
                if let Some(sc) = self.subcomponent {
                    s.push('.');
                    s.push_str(&sc.to_string());
                }
            }
        }
        s
    }
}

impl fmt::Display for Location {
    /// `message 3, PID#2-5[2].1.2, bytes 120..135` — parts that are unknown
    /// are left out; `#n` is the segment occurrence, shown when not 1.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(m) = self.message {
            write!(f, "message {m}")?;
            sep = ", ";
        }
        let path = self.path();
        if !path.is_empty() {
            write!(f, "{sep}{path}")?;
            sep = ", ";
        }
        if let Some(span) = self.span {
            write!(f, "{sep}bytes {}..{}", span.start, span.end)?;
            sep = ", ";
        }
        if sep.is_empty() {
            f.write_str("unknown location")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// What went wrong. Closed set; every variant's text is free of patient data.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// The input holds no message at all (empty, or only whitespace/framing).
    Empty,
    /// A message does not start with `MSH` (after an optional BOM / MLLP start byte).
    NotMsh,
    /// MSH-1/MSH-2 do not define usable delimiters: missing, non-ASCII, a line
    /// end, or the same character used twice. The reason is a fixed text.
    BadDelimiters(&'static str),
    /// MSH-18 names a character set the reader does not decode. Carries the
    /// declared name (a table 0211 code, not patient data; non-printable
    /// characters are replaced).
    UnsupportedCharset(Box<str>),
    /// Bytes that are not valid in the message's character set.
    InvalidEncoding(&'static str),
    /// The message is larger than 4 GiB (offsets are 32-bit).
    TooLarge,
    /// Bytes in a file that belong to no message (neither a segment of a
    /// message, nor batch/file envelope, nor framing, nor blank lines).
    StrayContent,
    /// The writer was used wrongly (bad segment id, moving backwards).
    Writer(&'static str),
    /// A typed conversion failed (date, number, code...). The text must be
    /// PHI-free: it describes the expected shape, never the value.
    Conversion(Cow<'static, str>),
}

impl Kind {
    /// A stable short code for the kind, for rejects files and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Kind::Empty => "ER7-EMPTY",
            Kind::NotMsh => "ER7-NOT-MSH",
            Kind::BadDelimiters(_) => "ER7-DELIMITERS",
            Kind::UnsupportedCharset(_) => "ER7-CHARSET",
            Kind::InvalidEncoding(_) => "ER7-ENCODING",
            Kind::TooLarge => "ER7-TOO-LARGE",
            Kind::StrayContent => "ER7-STRAY",
            Kind::Writer(_) => "ER7-WRITER",
            Kind::Conversion(_) => "CONVERSION",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Empty => f.write_str("no HL7 v2 message in the input"),
            Kind::NotMsh => f.write_str("message does not start with an MSH segment"),
            Kind::BadDelimiters(why) => write!(f, "unusable delimiters in MSH-1/MSH-2: {why}"),
            Kind::UnsupportedCharset(name) => {
                write!(
                    f,
                    "unsupported character set {name:?} in MSH-18 (supported: ASCII, 8859/1, UNICODE UTF-8)"
                )
            }
            Kind::InvalidEncoding(cs) => write!(f, "bytes not valid in character set {cs}"),
            Kind::TooLarge => f.write_str("message larger than 4 GiB"),
            Kind::StrayContent => f.write_str("content outside any message"),
            Kind::Writer(why) => write!(f, "invalid ER7 writer use: {why}"),
            Kind::Conversion(why) => write!(f, "conversion failed: {why}"),
        }
    }
}

/// A runtime error: a [`Kind`], a [`Location`] and, optionally, the offending
/// value — which `Display` never shows (see [`Error::with_values`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: Kind,
    location: Location,
    value: Option<Box<str>>,
}

impl Error {
    /// An error of `kind` at `location`.
    pub fn new(kind: Kind, location: Location) -> Error {
        Error {
            kind,
            location,
            value: None,
        }
    }

    /// A PHI-free conversion error (the text must not contain the value;
    /// attach the value with [`Error::with_value`]).
    pub fn conversion(message: impl Into<Cow<'static, str>>, location: Location) -> Error {
        Error::new(Kind::Conversion(message.into()), location)
    }

    /// Attach the offending value (possibly patient data). Shown only
    /// through [`Error::with_values`].
    #[must_use]
    pub fn with_value(mut self, value: impl Into<Box<str>>) -> Error {
        self.value = Some(value.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &Kind {
        &self.kind
    }

    /// Where.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Mutable location, to add context (message ordinal, file offset).
    pub fn location_mut(&mut self) -> &mut Location {
        &mut self.location
    }

    /// The attached value, if any. Patient data: handle with care.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// A `Display` that also shows the attached value. Opt-in only: use it
    /// where PHI may be shown (a developer's terminal, never a shared log).
    pub fn with_values(&self) -> WithValues<'_, Error> {
        WithValues(self)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.kind, self.location)
    }
}

impl fmt::Debug for Error {
    /// Same as `Display`: no values, so `{:?}` in a log is safe too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Error({}: {} at {}",
            self.kind.code(),
            self.kind,
            self.location
        )?;
        if self.value.is_some() {
            f.write_str(", value redacted")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for Error {}

/// Why a generated transformer refused a message: a stable `code`, where, and
/// a PHI-free `reason`. Goes to the rejects file; can be replayed after a fix.
#[derive(Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Stable code (`ER7-ENCODING`, `REQUIRED`, a spec-defined code...).
    pub code: Cow<'static, str>,
    /// Where.
    pub location: Location,
    /// Why, in words that contain no patient data.
    pub reason: Cow<'static, str>,
    value: Option<Box<str>>,
}

impl Rejection {
    /// A rejection with `code`, `location` and PHI-free `reason`.
    pub fn new(
        code: impl Into<Cow<'static, str>>,
        location: Location,
        reason: impl Into<Cow<'static, str>>,
    ) -> Rejection {
        Rejection {
            code: code.into(),
            location,
            reason: reason.into(),
            value: None,
        }
    }

    /// Attach the offending value; shown only through [`Rejection::with_values`].
    #[must_use]
    pub fn with_value(mut self, value: impl Into<Box<str>>) -> Rejection {
        self.value = Some(value.into());
        self
    }

    /// The attached value, if any. Patient data: handle with care.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// A `Display` that also shows the attached value (opt-in).
    pub fn with_values(&self) -> WithValues<'_, Rejection> {
        WithValues(self)
    }
}

impl From<Error> for Rejection {
    fn from(e: Error) -> Rejection {
        let code = e.kind.code();
        let reason = e.kind.to_string();
        Rejection {
            code: Cow::Borrowed(code),
            location: e.location,
            reason: Cow::Owned(reason),
            value: e.value,
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rejected [{}] at {}: {}",
            self.code, self.location, self.reason
        )
    }
}

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rejection({self}")?;
        if self.value.is_some() {
            f.write_str(", value redacted")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for Rejection {}

/// Opt-in display of an error *with* its attached value (possibly PHI).
#[derive(Debug, Clone, Copy)]
pub struct WithValues<'a, T>(&'a T);

impl fmt::Display for WithValues<'_, Error> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)?;
        if let Some(v) = &self.0.value {
            write!(f, ": value {v:?}")?;
        }
        Ok(())
    }
}

impl fmt::Display for WithValues<'_, Rejection> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)?;
        if let Some(v) = &self.0.value {
            write!(f, ": value {v:?}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid_location() -> Location {
        Location {
            message: Some(3),
            segment: SegmentId::new(b"PID"),
            segment_occurrence: Some(2),
            field: Some(5),
            repetition: Some(2),
            component: Some(1),
            subcomponent: Some(2),
            span: Some(Span::new(120, 135)),
        }
    }

    #[test]
    fn location_display_is_an_hl7_path() {
        assert_eq!(
            pid_location().to_string(),
            "message 3, PID#2-5[2].1.2, bytes 120..135"
        );
        assert_eq!(Location::default().to_string(), "unknown location");
        assert_eq!(
            Location::at_span(1, 2).offset_by(10).to_string(),
            "bytes 11..12"
        );
    }

    #[test]
    fn values_are_redacted_unless_asked_for() {
        let e =
            Error::conversion("expected a date YYYYMMDD", pid_location()).with_value("SMITH^JOHN");
        let shown = e.to_string();
        assert!(!shown.contains("SMITH"), "{shown}");
        assert!(!format!("{e:?}").contains("SMITH"));
        assert!(e.with_values().to_string().contains("SMITH^JOHN"));
        let r = Rejection::from(e);
        assert_eq!(r.code, "CONVERSION");
        assert!(!r.to_string().contains("SMITH"));
        assert!(!format!("{r:?}").contains("SMITH"));
        assert!(
            r.with_values()
                .to_string()
                .ends_with(": value \"SMITH^JOHN\"")
        );
    }

    #[test]
    fn segment_ids_are_sanitised() {
        assert!(SegmentId::new(b"PID").is_some());
        assert!(SegmentId::new(b"Z1A").is_some());
        assert!(SegmentId::new(b"pid").is_none());
        assert!(SegmentId::new(b"PIDX").is_none());
        assert!(SegmentId::new("PÏ".as_bytes()).is_none());
    }
}
