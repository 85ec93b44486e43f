//! Integers and codes.

use super::error::{ConvertError, ConvertErrorKind};

/// HL7 `NM` or `SI` → FHIR `integer` (32-bit signed).
///
/// Accepts an optional sign, digits with any leading zeros, and a fractional
/// part only if it is all zeros (`5.00` is exactly 5); `5.5` is
/// [`ConvertErrorKind::NotAnInteger`], values outside `i32` are
/// [`ConvertErrorKind::OutOfRange`]. No whitespace, no exponent.
pub fn integer(text: &str) -> Result<i32, ConvertError> {
    parse_i32(text, "integer", i32::MIN as i64, i32::MAX as i64)
}

/// HL7 `NM`/`SI` → FHIR `positiveInt` (1..=2147483647). Same syntax as
/// [`integer`].
pub fn positive_int(text: &str) -> Result<i32, ConvertError> {
    parse_i32(text, "positiveInt", 1, i32::MAX as i64)
}

/// HL7 `NM`/`SI` → FHIR `unsignedInt` (0..=2147483647). Same syntax as
/// [`integer`].
pub fn unsigned_int(text: &str) -> Result<i32, ConvertError> {
    parse_i32(text, "unsignedInt", 0, i32::MAX as i64)
}

fn parse_i32(text: &str, target: &'static str, min: i64, max: i64) -> Result<i32, ConvertError> {
    let err = |kind, detail| ConvertError::new(kind, target, detail, text);
    ConvertError::non_empty(text, target)?;
    let (negative, rest) = split_sign(text);
    let (int, frac) = match rest.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (rest, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
        return Err(err(
            ConvertErrorKind::Syntax,
            "expected an optional sign, digits and an optional point",
        ));
    }
    if int.is_empty() && frac.is_none_or(str::is_empty) {
        return Err(err(ConvertErrorKind::Syntax, "expected at least one digit"));
    }
    if frac.is_some_and(|f| f.bytes().any(|b| b != b'0')) {
        return Err(err(
            ConvertErrorKind::NotAnInteger,
            "the number has a non-zero fractional part",
        ));
    }
    let out_of_range = || err(ConvertErrorKind::OutOfRange, out_of_range_detail(target));
    let mut magnitude: i64 = 0;
    for b in int.bytes() {
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(b - b'0')))
            .filter(|m| *m <= 1 << 32)
            .ok_or_else(out_of_range)?;
    }
    let value = if negative { -magnitude } else { magnitude };
    if value < min || value > max {
        return Err(out_of_range());
    }
    i32::try_from(value).map_err(|_| out_of_range())
}

fn out_of_range_detail(target: &str) -> &'static str {
    match target {
        "positiveInt" => "outside 1..=2147483647",
        "unsignedInt" => "outside 0..=2147483647",
        _ => "outside the 32-bit range -2147483648..=2147483647",
    }
}

/// Any text (HL7 `ID`, `IS`, a table result) → FHIR `code`.
///
/// Checks FHIR's regex `[^\s]+(\s[^\s]+)*`: not empty, no leading or trailing
/// whitespace, no two whitespace characters in a row. Nothing is trimmed or
/// collapsed: a code that needs fixing is an error, not a silent change.
/// Returns the input unchanged.
pub fn code(text: &str) -> Result<&str, ConvertError> {
    let err = |kind, detail| ConvertError::new(kind, "code", detail, text);
    ConvertError::non_empty(text, "code")?;
    // `\s` in FHIR's (XML Schema / Java) regex: space, tab, CR, LF, FF, VT.
    let ws = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{c}' | '\u{b}');
    if text.starts_with(ws) || text.ends_with(ws) {
        return Err(err(
            ConvertErrorKind::Syntax,
            "a code has no leading or trailing whitespace",
        ));
    }
    let mut previous_ws = false;
    for c in text.chars() {
        let is_ws = ws(c);
        if is_ws && previous_ws {
            return Err(err(
                ConvertErrorKind::Syntax,
                "a code has no two whitespace characters in a row",
            ));
        }
        previous_ws = is_ws;
    }
    Ok(text)
}

/// An NM's sign and the rest: `-` is negative, `+` and none are not.
pub(super) fn split_sign(text: &str) -> (bool, &str) {
    if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = text.strip_prefix('+') {
        (false, rest)
    } else {
        (false, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind<T: std::fmt::Debug>(r: Result<T, ConvertError>) -> ConvertErrorKind {
        r.unwrap_err().kind()
    }

    #[test]
    fn integer_syntax_and_normalisation() {
        assert_eq!(integer("42").unwrap(), 42);
        assert_eq!(integer("+007").unwrap(), 7);
        assert_eq!(integer("-12").unwrap(), -12);
        assert_eq!(integer("5.000").unwrap(), 5);
        assert_eq!(integer("-0").unwrap(), 0);
        assert_eq!(kind(integer("5.5")), ConvertErrorKind::NotAnInteger);
        for bad in ["", "+", "-", ".", "1e3", " 1", "1 ", "1,000", "0x1", "1.-"] {
            assert_ne!(integer(bad).ok(), Some(1), "{bad:?}");
            assert!(integer(bad).is_err(), "{bad:?}");
        }
        assert_eq!(kind(integer("")), ConvertErrorKind::Empty);
        assert_eq!(kind(integer("1e3")), ConvertErrorKind::Syntax);
    }

    #[test]
    fn integer_ranges() {
        assert_eq!(integer("2147483647").unwrap(), i32::MAX);
        assert_eq!(integer("-2147483648").unwrap(), i32::MIN);
        assert_eq!(kind(integer("2147483648")), ConvertErrorKind::OutOfRange);
        assert_eq!(kind(integer("-2147483649")), ConvertErrorKind::OutOfRange);
        assert_eq!(
            kind(integer("99999999999999999999999999")),
            ConvertErrorKind::OutOfRange
        );
        assert_eq!(integer("00000000000000000000000001").unwrap(), 1);
    }

    #[test]
    fn positive_and_unsigned() {
        assert_eq!(positive_int("1").unwrap(), 1);
        assert_eq!(kind(positive_int("0")), ConvertErrorKind::OutOfRange);
        assert_eq!(unsigned_int("0").unwrap(), 0);
        assert_eq!(kind(unsigned_int("-1")), ConvertErrorKind::OutOfRange);
        assert_eq!(unsigned_int("2147483647").unwrap(), i32::MAX);
        assert_eq!(
            kind(unsigned_int("2147483648")),
            ConvertErrorKind::OutOfRange
        );
        let err = positive_int("0").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot convert to positiveInt: outside 1..=2147483647"
        );
    }

    #[test]
    fn codes() {
        assert_eq!(code("M").unwrap(), "M");
        assert_eq!(code("in progress").unwrap(), "in progress");
        assert_eq!(code("ÄÖ-1").unwrap(), "ÄÖ-1");
        for bad in [" M", "M ", "a  b", "a\t b", "\n"] {
            assert_eq!(kind(code(bad)), ConvertErrorKind::Syntax, "{bad:?}");
        }
        assert_eq!(kind(code("")), ConvertErrorKind::Empty);
    }
}
