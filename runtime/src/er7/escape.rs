//! ER7 escape sequences: `\F\ \S\ \T\ \R\ \E\ \P\`, `\Xhh..\`, `\.br\`.

use std::borrow::Cow;

use super::Delimiters;

/// Replace escape sequences in `raw`. Borrows when `raw` holds no escape
/// character (the common case: one `memchr`).
///
/// - `\F\ \S\ \T\ \R\ \E\` → the field, component, subcomponent, repetition
///   and escape characters; `\P\` → the truncation character (2.7+), if
///   declared.
/// - `\Xhh..\` → the bytes `hh..` (an even number of hex digits), in the
///   message's character set.
/// - `\.br\` → a line feed (`\n`).
/// - Anything else (`\H\`, `\N\`, `\.sp\`, `\Cxxyy\`, `\Zxx\`, malformed
///   `\X\`, an escape character without a closing one) is kept verbatim,
///   escape characters included, so no input is lost.
pub fn unescape<'a>(raw: &'a [u8], d: &Delimiters) -> Cow<'a, [u8]> {
    let esc = d.escape;
    if esc == d.field {
        return Cow::Borrowed(raw);
    }
    // Values are mostly short, where a plain loop beats `memchr`'s setup.
    let found = if raw.len() < 32 {
        raw.iter().position(|&b| b == esc)
    } else {
        memchr::memchr(esc, raw)
    };
    let Some(first) = found else {
        return Cow::Borrowed(raw);
    };
    let mut out = Vec::with_capacity(raw.len());
    out.extend_from_slice(raw.get(..first).unwrap_or_default());
    let mut i = first;
    loop {
        // `i` is at an escape character.
        let after = raw.get(i + 1..).unwrap_or_default();
        let Some(len) = memchr::memchr(esc, after) else {
            out.extend_from_slice(raw.get(i..).unwrap_or_default());
            break;
        };
        let seq = after.get(..len).unwrap_or_default();
        let end = i + 1 + len; // closing escape
        if !decode_sequence(seq, d, &mut out) {
            out.extend_from_slice(raw.get(i..=end).unwrap_or_default());
        }
        let rest_start = end + 1;
        let rest = raw.get(rest_start..).unwrap_or_default();
        match memchr::memchr(esc, rest) {
            Some(n) => {
                out.extend_from_slice(rest.get(..n).unwrap_or_default());
                i = rest_start + n;
            }
            None => {
                out.extend_from_slice(rest);
                break;
            }
        }
    }
    Cow::Owned(out)
}

/// Push the decoded sequence; `false` if it is not one we decode.
fn decode_sequence(seq: &[u8], d: &Delimiters, out: &mut Vec<u8>) -> bool {
    let c = match seq {
        b"F" => d.field,
        b"S" if d.component != d.field => d.component,
        b"T" if d.subcomponent != d.field => d.subcomponent,
        b"R" if d.repetition != d.field => d.repetition,
        b"E" => d.escape,
        b"P" if d.truncation != d.field => d.truncation,
        b".br" => b'\n',
        [b'X', hex @ ..] if !hex.is_empty() && hex.len() % 2 == 0 => {
            let start = out.len();
            for pair in hex.chunks_exact(2) {
                match (hex_val(pair.first()), hex_val(pair.get(1))) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => {
                        out.truncate(start);
                        return false;
                    }
                }
            }
            return true;
        }
        _ => return false,
    };
    out.push(c);
    true
}

fn hex_val(b: Option<&u8>) -> Option<u8> {
    let b = *b?;
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Append `text` to `out`, escaped for use as a leaf value (a subcomponent,
/// or a component/field without finer structure): delimiters become
/// `\F\ \S\ \T\ \R\ \E\ \P\`, `\n` becomes `\.br\`, `\r` becomes `\X0D\`,
/// and a value that is exactly `""` (which would read as HL7's explicit
/// null) becomes `\X2222\`.
pub fn escape_into(text: &[u8], d: &Delimiters, out: &mut Vec<u8>) {
    if text == b"\"\"" {
        out.extend_from_slice(&[d.escape, b'X', b'2', b'2', b'2', b'2', d.escape]);
        return;
    }
    let needs = |b: u8| {
        b == d.field
            || b == d.component
            || b == d.repetition
            || b == d.escape
            || b == d.subcomponent
            || b == d.truncation
            || b == b'\r'
            || b == b'\n'
    };
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if !needs(b) {
            continue;
        }
        out.extend_from_slice(text.get(start..i).unwrap_or_default());
        start = i + 1;
        let code: &[u8] = if b == d.field {
            b"F"
        } else if b == d.component {
            b"S"
        } else if b == d.subcomponent {
            b"T"
        } else if b == d.repetition {
            b"R"
        } else if b == d.escape {
            b"E"
        } else if b == d.truncation {
            b"P"
        } else if b == b'\n' {
            b".br"
        } else {
            b"X0D"
        };
        out.push(d.escape);
        out.extend_from_slice(code);
        out.push(d.escape);
    }
    out.extend_from_slice(text.get(start..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn un(s: &str) -> String {
        String::from_utf8(unescape(s.as_bytes(), &Delimiters::with_truncation()).into_owned())
            .unwrap()
    }

    #[test]
    fn known_sequences_are_decoded() {
        assert_eq!(un(r"a\F\b\S\c\T\d\R\e\E\f\P\"), "a|b^c&d~e\\f#");
        assert_eq!(un(r"line1\.br\line2"), "line1\nline2");
        assert_eq!(un(r"\X0D0A\"), "\r\n");
        assert_eq!(un(r"\XC3A9\"), "é");
    }

    #[test]
    fn unknown_and_malformed_sequences_are_verbatim() {
        assert_eq!(un(r"\H\bold\N\"), r"\H\bold\N\");
        assert_eq!(un(r"C:\temp\x"), r"C:\temp\x");
        assert_eq!(un(r"trailing\"), r"trailing\");
        assert_eq!(un(r"\X0\ \XZZ\ \X\"), r"\X0\ \XZZ\ \X\");
        assert!(matches!(
            unescape(b"plain", &Delimiters::default()),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn escape_then_unescape_is_identity() {
        let d = Delimiters::with_truncation();
        for s in ["a|b^c&d~e\\f#g\nh\ri", "\"\"", "", "\\", "\\X41\\"] {
            let mut out = Vec::new();
            escape_into(s.as_bytes(), &d, &mut out);
            assert!(!out.contains(&b'\n') && !out.contains(&b'|'));
            assert_eq!(unescape(&out, &d).as_ref(), s.as_bytes(), "{s:?}");
        }
    }
}
