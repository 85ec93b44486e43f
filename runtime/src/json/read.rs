//! The FHIR JSON reader: bytes → [`Value`], with located errors.
//!
//! A small recursive-descent parser rather than `serde_json`: numbers must
//! keep their text (serde_json's `arbitrary_precision` would do it, but it is
//! a feature that unifies across the whole dependency graph and changes
//! `serde_json::Value` for every other crate), errors need the JSON pointer
//! of the value being read, and FHIR forbids duplicate keys, which
//! serde_json accepts silently.

use std::fmt;

use super::value::{Number, Object, Value};

/// Deepest nesting accepted. FHIR resources nest far less; the limit keeps
/// hostile input from overflowing the stack.
const MAX_DEPTH: usize = 128;

/// What is wrong with the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// The bytes are not UTF-8.
    InvalidUtf8,
    /// The input ends inside a value (or holds no value at all).
    UnexpectedEnd,
    /// Another character was expected; the text says which.
    Expected(&'static str),
    /// A backslash escape that JSON does not have.
    InvalidEscape,
    /// A `\u` escape of half a surrogate pair.
    LoneSurrogate,
    /// A raw control character inside a string.
    ControlCharacter,
    /// A malformed number (`01`, `1.`, `.5`, `1e`).
    InvalidNumber,
    /// The same key twice in one object (FHIR forbids it).
    DuplicateKey,
    /// Nesting deeper than 128.
    TooDeep,
    /// More data after the value.
    TrailingData,
}

impl ReadErrorKind {
    fn describe(&self) -> &'static str {
        match self {
            ReadErrorKind::InvalidUtf8 => "invalid UTF-8",
            ReadErrorKind::UnexpectedEnd => "unexpected end of input",
            ReadErrorKind::Expected(_) => "unexpected character",
            ReadErrorKind::InvalidEscape => "invalid escape in string",
            ReadErrorKind::LoneSurrogate => "\\u escape of an unpaired surrogate",
            ReadErrorKind::ControlCharacter => "unescaped control character in string",
            ReadErrorKind::InvalidNumber => "invalid number",
            ReadErrorKind::DuplicateKey => "duplicate key",
            ReadErrorKind::TooDeep => "nesting deeper than 128",
            ReadErrorKind::TrailingData => "data after the JSON value",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Key(Box<str>),
    Index(usize),
}

/// A located read error: byte offset, line and column (1-based, in
/// characters), and the JSON pointer of the value being read. `Display`
/// never shows values from the input (keys appear in the pointer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    kind: ReadErrorKind,
    offset: usize,
    line: usize,
    column: usize,
    /// Innermost segment first (pushed while unwinding).
    path: Vec<Segment>,
}

impl ReadError {
    /// What is wrong.
    pub fn kind(&self) -> ReadErrorKind {
        self.kind
    }

    /// Byte offset into the whole input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// 1-based line.
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column, counted in characters.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The JSON pointer (RFC 6901) of the value where reading failed, e.g.
    /// `/entry/3/resource/name/0`; `""` for the top-level value.
    pub fn pointer(&self) -> String {
        let mut out = String::new();
        for segment in self.path.iter().rev() {
            out.push('/');
            match segment {
                Segment::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
                Segment::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }

    fn within(mut self, segment: Segment) -> Self {
        self.path.push(segment);
        self
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())?;
        if let ReadErrorKind::Expected(what) = self.kind {
            write!(f, ", expected {what}")?;
        }
        write!(
            f,
            " at line {}, column {} (byte {})",
            self.line, self.column, self.offset
        )?;
        if !self.path.is_empty() {
            write!(f, " in {}", self.pointer())?;
        }
        Ok(())
    }
}

impl std::error::Error for ReadError {}

/// Reads one JSON document (a resource, a Bundle, any JSON value). A UTF-8
/// byte order mark at the start is skipped; whitespace around the value is
/// allowed, anything else after it is an error.
pub fn read(input: &[u8]) -> Result<Value, ReadError> {
    let input = check_utf8(input, 0, 0)?;
    let start = if input.starts_with('\u{feff}') { 3 } else { 0 };
    Parser::new(input, start, input.len(), 0).document()
}

/// Reads NDJSON: one JSON value per line; blank lines are skipped; each
/// line's error is located in the whole input (line numbers count every
/// line). Iteration continues after a bad line.
pub fn read_ndjson(input: &[u8]) -> NdjsonLines<'_> {
    NdjsonLines {
        input,
        pos: 0,
        line: 0,
        started: false,
    }
}

/// Iterator over NDJSON lines; see [`read_ndjson`].
#[derive(Debug)]
pub struct NdjsonLines<'a> {
    input: &'a [u8],
    pos: usize,
    line: usize,
    started: bool,
}

impl Iterator for NdjsonLines<'_> {
    type Item = Result<Value, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.pos >= self.input.len() {
                return None;
            }
            let start = self.pos;
            let end =
                memchr::memchr(b'\n', &self.input[start..]).map_or(self.input.len(), |i| start + i);
            self.pos = end + 1;
            let line_index = self.line;
            self.line += 1;
            let mut bytes = &self.input[start..end];
            let mut offset = start;
            if !self.started && bytes.starts_with(b"\xEF\xBB\xBF") {
                bytes = &bytes[3..];
                offset += 3;
            }
            self.started = true;
            if bytes.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                continue;
            }
            let text = match check_utf8(bytes, offset, line_index) {
                Ok(text) => text,
                Err(e) => return Some(Err(e)),
            };
            let result = Parser::new(text, 0, text.len(), line_index)
                .document()
                .map_err(|mut e| {
                    e.offset += offset;
                    e
                });
            return Some(result);
        }
    }
}

fn check_utf8(input: &[u8], base_offset: usize, base_line: usize) -> Result<&str, ReadError> {
    std::str::from_utf8(input).map_err(|e| {
        let valid = e.valid_up_to();
        let (line, column) = position(&input[..valid]);
        ReadError {
            kind: ReadErrorKind::InvalidUtf8,
            offset: base_offset + valid,
            line: base_line + line,
            column,
            path: Vec::new(),
        }
    })
}

/// 1-based line and column (in characters) just after `before`.
fn position(before: &[u8]) -> (usize, usize) {
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    // Count characters: every byte that does not continue a UTF-8 sequence.
    let column = before[line_start..]
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count()
        + 1;
    (line, column)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    end: usize,
    base_line: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, start: usize, end: usize, base_line: usize) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: start,
            end,
            base_line,
            depth: 0,
        }
    }

    fn error_at(&self, kind: ReadErrorKind, offset: usize) -> ReadError {
        let (line, column) = position(&self.bytes[..offset.min(self.bytes.len())]);
        ReadError {
            kind,
            offset,
            line: self.base_line + line,
            column,
            path: Vec::new(),
        }
    }

    fn error(&self, kind: ReadErrorKind) -> ReadError {
        let kind = if self.pos >= self.end && matches!(kind, ReadErrorKind::Expected(_)) {
            ReadErrorKind::UnexpectedEnd
        } else {
            kind
        };
        self.error_at(kind, self.pos)
    }

    fn document(mut self) -> Result<Value, ReadError> {
        let value = self.value()?;
        self.skip_ws();
        if self.pos < self.end {
            return Err(self.error(ReadErrorKind::TrailingData));
        }
        Ok(value)
    }

    fn peek(&self) -> Option<u8> {
        if self.pos < self.end {
            Some(self.bytes[self.pos])
        } else {
            None
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, what: &'static str) -> Result<(), ReadError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(ReadErrorKind::Expected(what)))
        }
    }

    fn value(&mut self) -> Result<Value, ReadError> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            _ => Err(self.error(ReadErrorKind::Expected("a JSON value"))),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Value, ReadError>) -> Result<Value, ReadError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(ReadErrorKind::TooDeep));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn literal(&mut self, word: &'static str, value: Value) -> Result<Value, ReadError> {
        if self.bytes[self.pos..self.end].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error(ReadErrorKind::Expected("a JSON value")))
        }
    }

    fn object(&mut self) -> Result<Value, ReadError> {
        self.pos += 1; // '{'
        let mut members: Vec<(String, Value)> = Vec::new();
        let mut key_offsets = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(Object::new()));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error(ReadErrorKind::Expected("a string key")));
            }
            let key_offset = self.pos;
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':', "':'")
                .map_err(|e| e.within(Segment::Key(key.as_str().into())))?;
            let value = self
                .value()
                .map_err(|e| e.within(Segment::Key(key.as_str().into())))?;
            key_offsets.push(key_offset);
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.error(ReadErrorKind::Expected("',' or '}'"))),
            }
        }
        if let Some(dup) = duplicate(&members) {
            let key = members[dup].0.as_str().into();
            return Err(self
                .error_at(ReadErrorKind::DuplicateKey, key_offsets[dup])
                .within(Segment::Key(key)));
        }
        Ok(Value::Object(Object::from_members_unchecked(members)))
    }

    fn array(&mut self) -> Result<Value, ReadError> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            let index = items.len();
            items.push(self.value().map_err(|e| e.within(Segment::Index(index)))?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.error(ReadErrorKind::Expected("',' or ']'"))),
            }
        }
        Ok(Value::Array(items))
    }

    fn number(&mut self) -> Result<Number, ReadError> {
        let start = self.pos;
        let bad = |p: &Self| Err(p.error_at(ReadErrorKind::InvalidNumber, start));
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return bad(self),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return bad(self);
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return bad(self);
            }
            self.digits();
        }
        // `01` or `1x`: the number must end at a delimiter.
        if let Some(b'0'..=b'9' | b'.' | b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'+' | b'-') =
            self.peek()
        {
            return bad(self);
        }
        match Number::new(&self.text[start..self.pos]) {
            Some(n) => Ok(n),
            None => bad(self),
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<String, ReadError> {
        self.pos += 1; // '"'
        let start = self.pos;
        // Fast path: no escapes.
        while let Some(b) = self.peek() {
            match b {
                b'"' => {
                    let s = self.text[start..self.pos].to_owned();
                    self.pos += 1;
                    return Ok(s);
                }
                b'\\' => break,
                0x00..=0x1F => return Err(self.error(ReadErrorKind::ControlCharacter)),
                _ => self.pos += 1,
            }
        }
        let mut out = self.text[start..self.pos].to_owned();
        loop {
            let run = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run..self.pos]);
            match self.peek() {
                None => return Err(self.error(ReadErrorKind::UnexpectedEnd)),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => return Err(self.error(ReadErrorKind::ControlCharacter)),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ReadError> {
        let at = self.pos;
        self.pos += 1; // '\'
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4(at)?;
                let c = match first {
                    0xD800..=0xDBFF => {
                        if self.bytes[self.pos..self.end].starts_with(b"\\u") {
                            self.pos += 2;
                            let second = self.hex4(at)?;
                            if !(0xDC00..=0xDFFF).contains(&second) {
                                return Err(self.error_at(ReadErrorKind::LoneSurrogate, at));
                            }
                            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                        } else {
                            return Err(self.error_at(ReadErrorKind::LoneSurrogate, at));
                        }
                    }
                    0xDC00..=0xDFFF => return Err(self.error_at(ReadErrorKind::LoneSurrogate, at)),
                    c => c,
                };
                out.push(
                    char::from_u32(c)
                        .ok_or_else(|| self.error_at(ReadErrorKind::LoneSurrogate, at))?,
                );
                return Ok(());
            }
            _ => return Err(self.error_at(ReadErrorKind::InvalidEscape, at)),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self, at: usize) -> Result<u32, ReadError> {
        let mut n = 0u32;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| (b as char).to_digit(16))
                .ok_or_else(|| self.error_at(ReadErrorKind::InvalidEscape, at))?;
            n = n * 16 + digit;
            self.pos += 1;
        }
        Ok(n)
    }
}

/// Index of the first member whose key appeared before, if any.
fn duplicate(members: &[(String, Value)]) -> Option<usize> {
    if members.len() <= 16 {
        return (1..members.len()).find(|&i| members[..i].iter().any(|(k, _)| *k == members[i].0));
    }
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by(|&a, &b| members[a].0.cmp(&members[b].0).then(a.cmp(&b)));
    order
        .windows(2)
        .filter(|w| members[w[0]].0 == members[w[1]].0)
        .map(|w| w[1])
        .min()
}
