//! MSH-18 character sets.

use std::borrow::Cow;

use crate::error::{Error, Kind, Location};

/// How the bytes of a message are decoded to text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Charset {
    /// MSH-18 empty. HL7's default is ASCII; the reader accepts UTF-8 (a
    /// superset) and rejects other non-ASCII bytes with a located error —
    /// set [`crate::er7::MessageIndex::set_default_charset`] to read Latin-1
    /// feeds that do not declare it.
    #[default]
    Unspecified,
    /// `ASCII`: bytes above 0x7F are an error.
    Ascii,
    /// `8859/1` (ISO-8859-1, Latin-1): every byte is a character.
    Latin1,
    /// `UNICODE UTF-8` (also accepted: `UTF-8`, `UTF8`, and the deprecated,
    /// ambiguous `UNICODE`, which real senders use for UTF-8).
    Utf8,
}

impl Charset {
    /// Parse an MSH-18 value (first repetition), ignoring case and
    /// surrounding spaces.
    pub fn from_msh18(value: &[u8]) -> Result<Charset, Error> {
        let v = value.trim_ascii();
        let eq = |s: &str| v.eq_ignore_ascii_case(s.as_bytes());
        if v.is_empty() {
            Ok(Charset::Unspecified)
        } else if eq("ASCII") {
            Ok(Charset::Ascii)
        } else if eq("8859/1") || eq("ISO-8859-1") || eq("ISO IR100") {
            Ok(Charset::Latin1)
        } else if eq("UNICODE UTF-8") || eq("UTF-8") || eq("UTF8") || eq("UNICODE") {
            Ok(Charset::Utf8)
        } else {
            let name: String = v
                .iter()
                .take(32)
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        '?'
                    }
                })
                .collect();
            Err(Error::new(
                Kind::UnsupportedCharset(name.into()),
                Location::default(),
            ))
        }
    }

    /// A display name.
    pub fn name(&self) -> &'static str {
        match self {
            Charset::Unspecified => "unspecified (ASCII/UTF-8)",
            Charset::Ascii => "ASCII",
            Charset::Latin1 => "8859/1",
            Charset::Utf8 => "UNICODE UTF-8",
        }
    }

    /// Check a whole message once: its text when its bytes are text as
    /// they stand (`None` for Latin-1, whose bytes above 0x7F are not
    /// UTF-8), or the byte offset of the first invalid byte.
    pub(crate) fn check<'b>(&self, bytes: &'b [u8]) -> Result<Option<&'b str>, usize> {
        match self {
            Charset::Latin1 => return Ok(None),
            Charset::Ascii => {
                if let Some(at) = bytes.iter().position(|b| !b.is_ascii()) {
                    return Err(at);
                }
            }
            Charset::Unspecified | Charset::Utf8 => {}
        }
        std::str::from_utf8(bytes)
            .map(Some)
            .map_err(|e| e.valid_up_to())
    }

    /// Decode bytes already validated by `check` (or produced by
    /// `\X..\` escapes, which may be invalid: those become U+FFFD).
    pub(crate) fn decode<'a>(&self, bytes: Cow<'a, [u8]>) -> Cow<'a, str> {
        match (self, bytes) {
            (Charset::Latin1, b) if !b.is_ascii() => {
                Cow::Owned(b.iter().map(|&c| c as char).collect())
            }
            // Checking is faster than the lossy decoder's chunk walk, and
            // the text is almost always valid.
            (_, Cow::Borrowed(b)) => match std::str::from_utf8(b) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => String::from_utf8_lossy(b),
            },
            (_, Cow::Owned(v)) => match String::from_utf8(v) {
                Ok(s) => Cow::Owned(s),
                Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            },
        }
    }
}
