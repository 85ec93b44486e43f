//! Delimiters declared by MSH-1 / MSH-2 (and BHS/FHS-1/-2).

use crate::error::{Error, Kind, Location};

/// The five (six with the 2.7 truncation character) encoding characters of a
/// message.
///
/// A delimiter that MSH-2 does not declare (e.g. `MSH|^~|`) is "not used".
/// Internally it is stored as the field separator, which by construction
/// never occurs inside a field, so splitting a field by it finds nothing and
/// the hot path needs no `Option` checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Delimiters {
    pub(crate) field: u8,
    pub(crate) component: u8,
    pub(crate) repetition: u8,
    pub(crate) escape: u8,
    pub(crate) subcomponent: u8,
    pub(crate) truncation: u8,
}

impl Default for Delimiters {
    /// `|^~\&` — the recommended set, without a truncation character.
    fn default() -> Self {
        Delimiters::DEFAULT
    }
}

impl Delimiters {
    /// `|^~\&`, as [`Delimiters::default`].
    pub(crate) const DEFAULT: Delimiters = Delimiters {
        field: b'|',
        component: b'^',
        repetition: b'~',
        escape: b'\\',
        subcomponent: b'&',
        truncation: b'|',
    };

    /// Build a set from explicit characters. `None` means "not used".
    /// Fails if a character is not ASCII, is CR/LF, or is used twice.
    pub fn new(
        field: u8,
        component: Option<u8>,
        repetition: Option<u8>,
        escape: Option<u8>,
        subcomponent: Option<u8>,
        truncation: Option<u8>,
    ) -> Result<Delimiters, Error> {
        let d = Delimiters {
            field,
            component: component.unwrap_or(field),
            repetition: repetition.unwrap_or(field),
            escape: escape.unwrap_or(field),
            subcomponent: subcomponent.unwrap_or(field),
            truncation: truncation.unwrap_or(field),
        };
        d.validate()?;
        Ok(d)
    }

    /// `|^~\&#` — the 2.7+ set with the truncation character `#`.
    pub fn with_truncation() -> Delimiters {
        Delimiters {
            truncation: b'#',
            ..Delimiters::default()
        }
    }

    fn validate(&self) -> Result<(), Error> {
        let bad = |why| Err(Error::new(Kind::BadDelimiters(why), Location::default()));
        let used = self.used();
        for (i, &c) in used.iter().enumerate() {
            if !c.is_ascii() {
                return bad("a delimiter is not an ASCII character");
            }
            if c == b'\r' || c == b'\n' {
                return bad("a delimiter is a line end");
            }
            if used.iter().skip(i + 1).any(|&o| o == c) {
                return bad("the same character is used for two delimiters");
            }
        }
        Ok(())
    }

    /// The delimiters in use, field separator first (on the stack: every
    /// message's header is checked).
    fn used(&self) -> smallvec::SmallVec<[u8; 6]> {
        let mut v = smallvec::SmallVec::new();
        v.push(self.field);
        for c in [
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
            self.truncation,
        ] {
            if c != self.field {
                v.push(c);
            }
        }
        v
    }

    /// Read the delimiters from the start of a header segment
    /// (`MSH`, `BHS` or `FHS`): byte 3 is the field separator, the bytes up to
    /// the next field separator or line end are the encoding characters in the
    /// order component, repetition, escape, subcomponent, truncation.
    pub fn from_header(segment: &[u8]) -> Result<Delimiters, Error> {
        let bad = |why, end| {
            Err(Error::new(
                Kind::BadDelimiters(why),
                Location::at_span(3, end),
            ))
        };
        let Some(&field) = segment.get(3) else {
            return bad("the segment ends before MSH-1", segment.len());
        };
        let rest = segment.get(4..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|&b| b == field || b == b'\r' || b == b'\n')
            .unwrap_or(rest.len());
        let enc = rest.get(..len).unwrap_or_default();
        if enc.len() > 5 {
            return bad("MSH-2 has more than five encoding characters", 4 + len);
        }
        let at = |i: usize| enc.get(i).copied();
        Delimiters::new(field, at(0), at(1), at(2), at(3), at(4)).map_err(|mut e| {
            e.location_mut().span = Some(crate::error::Span::new(3, 4 + len));
            e
        })
    }

    /// The field separator (MSH-1).
    pub fn field(&self) -> u8 {
        self.field
    }
    /// The component separator, if used.
    pub fn component(&self) -> Option<u8> {
        self.opt(self.component)
    }
    /// The repetition separator, if used.
    pub fn repetition(&self) -> Option<u8> {
        self.opt(self.repetition)
    }
    /// The escape character, if used.
    pub fn escape(&self) -> Option<u8> {
        self.opt(self.escape)
    }
    /// The subcomponent separator, if used.
    pub fn subcomponent(&self) -> Option<u8> {
        self.opt(self.subcomponent)
    }
    /// The truncation character (HL7 2.7+), if declared.
    pub fn truncation(&self) -> Option<u8> {
        self.opt(self.truncation)
    }

    fn opt(&self, c: u8) -> Option<u8> {
        (c != self.field).then_some(c)
    }

    /// MSH-2 as written: the declared encoding characters, in order.
    pub fn encoding_characters(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(5);
        for c in [
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
            self.truncation,
        ] {
            if c == self.field {
                break;
            }
            v.push(c);
        }
        v
    }
}
