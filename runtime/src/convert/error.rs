//! The error every typed conversion returns.

use std::fmt;

/// What went wrong in a conversion. A closed set so callers (and the located
/// rejection that embeds a [`ConvertError`]) can match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConvertErrorKind {
    /// The source text is empty where a value is required.
    Empty,
    /// The text does not follow the source type's syntax
    /// (HL7 DTM, NM, FHIR decimal, FHIR date/time, ...).
    Syntax,
    /// A calendar date that does not exist: month 13, 30 February,
    /// 29 February outside a leap year, year 0000.
    ImpossibleDate,
    /// Hour, minute or second out of range (hour 24 included, see
    /// `docs/runtime-values.md`).
    TimeOutOfRange,
    /// A UTC offset outside -14:00..=+14:00, with minutes ≥ 60, or a zone
    /// offset with seconds (local mean time before 1900).
    OffsetOutOfRange,
    /// The source has a time of day but no offset, and no time zone was
    /// configured: Ferry does not assume UTC.
    MissingTimeZone,
    /// The local time falls in a daylight-saving gap of the configured time
    /// zone (it never happened on a wall clock there).
    NonexistentLocalTime,
    /// The target needs more precision than the source has
    /// (`instant` needs seconds).
    InsufficientPrecision,
    /// A number has a fractional part where an integer is required.
    NotAnInteger,
    /// An integer outside the target type's range.
    OutOfRange,
    /// A part of a deterministic id key is empty, which would make every
    /// record without that value share one id.
    EmptyIdPart,
}

/// A failed typed conversion.
///
/// `Display` never shows the source value, so the error can go into logs and
/// reject files without leaking patient data; [`ConvertError::display_with_values`]
/// is the explicit opt-in that includes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertError {
    kind: ConvertErrorKind,
    target: &'static str,
    detail: &'static str,
    value: Box<str>,
}

impl ConvertError {
    /// A new error. `target` names the type converted to (`"dateTime"`),
    /// `detail` says which rule failed without quoting the value.
    #[doc(hidden)]
    pub fn new(
        kind: ConvertErrorKind,
        target: &'static str,
        detail: &'static str,
        value: &str,
    ) -> Self {
        ConvertError {
            kind,
            target,
            detail,
            value: value.into(),
        }
    }

    /// `Err(Empty)` for empty text: the check every conversion starts with.
    pub(crate) fn non_empty(text: &str, target: &'static str) -> Result<(), ConvertError> {
        if text.is_empty() {
            return Err(ConvertError::new(
                ConvertErrorKind::Empty,
                target,
                "empty text",
                text,
            ));
        }
        Ok(())
    }

    /// The kind of failure.
    pub fn kind(&self) -> ConvertErrorKind {
        self.kind
    }

    /// The type the conversion was producing, e.g. `"dateTime"`, `"positiveInt"`.
    pub fn target(&self) -> &'static str {
        self.target
    }

    /// The rule that failed, in words, without the value.
    pub fn detail(&self) -> &'static str {
        self.detail
    }

    /// The offending source text. May be patient data: handle with care.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// A `Display` that also quotes the offending value. Use only where
    /// patient data may be shown (a developer's terminal, a PHI-cleared log).
    pub fn display_with_values(&self) -> impl fmt::Display + '_ {
        WithValue(self)
    }
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot convert to {}: {}", self.target, self.detail)
    }
}

impl std::error::Error for ConvertError {}

struct WithValue<'a>(&'a ConvertError);

impl fmt::Display for WithValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (value {:?})", self.0, self.0.value)
    }
}
