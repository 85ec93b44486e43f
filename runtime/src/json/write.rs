//! The streaming FHIR JSON writer.

use super::escape::write_str;
use super::value::Number;
use crate::convert::Decimal;

/// Output layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Style {
    /// No whitespace at all. One resource per line makes NDJSON.
    #[default]
    Compact,
    /// Two-space indentation, one member or item per line, `"key": value`.
    Pretty,
}

/// Streams FHIR JSON into a byte buffer, eliding everything empty.
///
/// FHIR forbids empty strings, objects and arrays, and Ferry's rule is that
/// absent input gives absent output. The writer enforces both in one pass:
///
/// - string members and items with an empty value are not written at all;
/// - opening a container ([`JsonWriter::member_object`],
///   [`JsonWriter::begin_array`], ...) writes the separator, key and bracket
///   at once and returns an [`Open`] that remembers the buffer length before
///   them; [`JsonWriter::end`] truncates back to it when nothing was written
///   inside, so neither the container nor its key nor its comma remain, at any
///   depth (an object holding only empty objects disappears entirely).
///
/// Members are written in exactly the order the caller writes them; the
/// mapping declares the order. Nothing is allocated per value: text goes
/// straight into the buffer.
///
/// Pair every `Open` with one `end`, innermost first. Writing a member while
/// an array is innermost (or an item while an object is) is a caller bug; it
/// is caught by a debug assertion and produces invalid JSON in release builds.
///
/// At top level, successive values are separated by a newline, so writing
/// several resources with [`Style::Compact`] produces NDJSON.
#[derive(Debug)]
pub struct JsonWriter<'a> {
    out: &'a mut Vec<u8>,
    style: Style,
    depth: u32,
    /// Nothing written yet in the innermost open container.
    empty: bool,
    /// The innermost open container is an object.
    in_object: bool,
}

/// An open object or array: hand it back to [`JsonWriter::end`].
#[derive(Debug)]
#[must_use = "pass it to JsonWriter::end to close the container"]
pub struct Open {
    rollback: usize,
    parent_empty: bool,
    parent_in_object: bool,
    close: u8,
}

impl<'a> JsonWriter<'a> {
    /// A writer appending to `out` (which may already hold data: it is
    /// never read or cleared).
    pub fn new(out: &'a mut Vec<u8>, style: Style) -> Self {
        JsonWriter {
            out,
            style,
            depth: 0,
            empty: true,
            in_object: false,
        }
    }

    /// Starts a top-level value or an array item that is an object.
    pub fn begin_object(&mut self) -> Open {
        self.open(None, b'{', b'}', true)
    }

    /// Starts a top-level value or an array item that is an array.
    pub fn begin_array(&mut self) -> Open {
        self.open(None, b'[', b']', false)
    }

    /// Starts member `key` whose value is an object.
    pub fn member_object(&mut self, key: &str) -> Open {
        self.open(Some(key), b'{', b'}', true)
    }

    /// Starts member `key` whose value is an array.
    pub fn member_array(&mut self, key: &str) -> Open {
        self.open(Some(key), b'[', b']', false)
    }

    /// Closes a container. Returns `false` (and leaves no trace of the
    /// container, its key or its separator) when nothing was written in it.
    pub fn end(&mut self, open: Open) -> bool {
        let Open {
            rollback,
            parent_empty,
            parent_in_object,
            close,
        } = open;
        self.depth = self.depth.saturating_sub(1);
        self.in_object = parent_in_object;
        if self.empty {
            self.out.truncate(rollback);
            self.empty = parent_empty;
            false
        } else {
            if self.style == Style::Pretty {
                self.newline_indent();
            }
            self.out.push(close);
            self.empty = false;
            true
        }
    }

    /// Writes member `key` with a string value, unless the value is empty.
    pub fn member_str(&mut self, key: &str, value: &str) {
        if !value.is_empty() {
            self.slot(Some(key));
            write_str(self.out, value);
        }
    }

    /// Writes an array item (or top-level value) that is a string, unless
    /// it is empty.
    pub fn item_str(&mut self, value: &str) {
        if !value.is_empty() {
            self.slot(None);
            write_str(self.out, value);
        }
    }

    /// Writes member `key` with a boolean value.
    pub fn member_bool(&mut self, key: &str, value: bool) {
        self.slot(Some(key));
        self.put_bool(value);
    }

    /// Writes a boolean array item or top-level value.
    pub fn item_bool(&mut self, value: bool) {
        self.slot(None);
        self.put_bool(value);
    }

    /// Writes member `key` with an integer value (FHIR `integer`,
    /// `positiveInt`, `unsignedInt`, `integer64`), formatted by `itoa`.
    pub fn member_int<I: itoa::Integer>(&mut self, key: &str, value: I) {
        self.slot(Some(key));
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// Writes an integer array item or top-level value.
    pub fn item_int<I: itoa::Integer>(&mut self, value: I) {
        self.slot(None);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// Writes member `key` with a decimal, as its text (never through `f64`).
    pub fn member_decimal(&mut self, key: &str, value: &Decimal<'_>) {
        self.slot(Some(key));
        value.write_to(self.out);
    }

    /// Writes a decimal array item or top-level value.
    pub fn item_decimal(&mut self, value: &Decimal<'_>) {
        self.slot(None);
        value.write_to(self.out);
    }

    /// Writes member `key` with a number read from JSON, as its source text.
    pub fn member_number(&mut self, key: &str, value: &Number) {
        self.slot(Some(key));
        self.out.extend_from_slice(value.as_str().as_bytes());
    }

    /// Writes a number read from JSON as an array item or top-level value.
    pub fn item_number(&mut self, value: &Number) {
        self.slot(None);
        self.out.extend_from_slice(value.as_str().as_bytes());
    }

    /// Writes a `null` array item. FHIR uses these only to keep a primitive
    /// array aligned with its `_element` extension array; a `null` counts as
    /// content, so the array around it is kept.
    pub fn item_null(&mut self) {
        self.slot(None);
        self.out.extend_from_slice(b"null");
    }

    /// True when nothing has been written in the innermost open container
    /// (or, at top level, nothing at all).
    pub fn is_empty_here(&self) -> bool {
        self.empty
    }

    fn put_bool(&mut self, value: bool) {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.out.extend_from_slice(text);
    }

    fn open(&mut self, key: Option<&str>, open: u8, close: u8, object: bool) -> Open {
        let handle = Open {
            rollback: self.out.len(),
            parent_empty: self.empty,
            parent_in_object: self.in_object,
            close,
        };
        self.slot(key);
        self.out.push(open);
        self.depth += 1;
        self.empty = true;
        self.in_object = object;
        handle
    }

    /// Writes what precedes a value: separator, newline and indent, key.
    fn slot(&mut self, key: Option<&str>) {
        debug_assert!(
            self.depth == 0 || key.is_some() == self.in_object,
            "member written in an array, or item written in an object"
        );
        if self.depth == 0 {
            if !self.empty {
                self.out.push(b'\n');
            }
        } else {
            if !self.empty {
                self.out.push(b',');
            }
            if self.style == Style::Pretty {
                self.newline_indent();
            }
        }
        if let Some(key) = key {
            write_str(self.out, key);
            self.out.push(b':');
            if self.style == Style::Pretty {
                self.out.push(b' ');
            }
        }
        self.empty = false;
    }

    fn newline_indent(&mut self) {
        self.out.push(b'\n');
        for _ in 0..self.depth {
            self.out.extend_from_slice(b"  ");
        }
    }
}
