//! JSON string escaping.

/// What each byte needs inside a JSON string: 0 = copy as is,
/// a letter = the short escape `\x`, `u` = `\u00XX`.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0A] = b'n';
    table[0x0C] = b'f';
    table[0x0D] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether any byte of `bytes` needs an escape: a C0 control, `"` or `\`.
/// Eight bytes at a time (SWAR, [`crate::swar::any_word`]); each test
/// below is exact for "any byte".
#[inline]
fn needs_escape(bytes: &[u8]) -> bool {
    use crate::swar::{ONES, any_word, below, eq};
    let (quote, backslash) = (ONES * u64::from(b'"'), ONES * u64::from(b'\\'));
    any_word(bytes, |w| {
        below(w, 0x20) | eq(w, quote) | eq(w, backslash) != 0
    })
}

/// Appends `s` as a quoted JSON string.
///
/// Escapes `"`, `\` and the C0 controls (short forms `\b \t \n \f \r`,
/// otherwise `\u00XX`); everything else, DEL and U+2028/U+2029 included, is
/// copied as UTF-8, which JSON allows. Unescaped runs are copied in one
/// `extend_from_slice`.
#[doc(hidden)]
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_escaped(out, s);
    out.push(b'"');
}

/// Appends `s` escaped as [`write_str`] does, without the quotes: a part of
/// a string written piece by piece.
#[doc(hidden)]
pub fn write_escaped(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // Most text needs no escape.
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let esc = ESCAPE[byte as usize];
        if esc == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if esc == b'u' {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(byte >> 4) as usize],
                HEX[(byte & 0xF) as usize],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', esc]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::{ESCAPE, needs_escape, write_str};
    use proptest::prelude::*;

    proptest! {
        /// The word-at-a-time test agrees with the table on any bytes.
        #[test]
        fn needs_escape_agrees_with_the_table(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b'"'), Just(b'\\'), Just(0x1Fu8), Just(0x20u8), 0x80u8..=0xFF, any::<u8>()],
                0..40,
            ),
        ) {
            prop_assert_eq!(needs_escape(&bytes), bytes.iter().any(|&b| ESCAPE[b as usize] != 0));
        }
    }

    fn esc(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quotes_and_backslash() {
        assert_eq!(esc(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(esc("/"), r#""/""#);
    }

    #[test]
    fn control_characters() {
        assert_eq!(esc("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(esc("\u{0}\u{1}\u{1f}"), r#""\u0000\u0001\u001f""#);
        assert_eq!(esc("\u{7f}"), "\"\u{7f}\"");
    }

    #[test]
    fn non_ascii_is_copied() {
        assert_eq!(
            esc("Müller \u{2028}\u{2029} 日本 🎉"),
            "\"Müller \u{2028}\u{2029} 日本 🎉\""
        );
        assert_eq!(esc(""), r#""""#);
    }
}
