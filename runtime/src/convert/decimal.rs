//! FHIR `decimal` values kept as text.
//!
//! A decimal never goes through `f64`: `1.50` stays `1.50` (FHIR treats the
//! trailing zero as precision) and `0.1` stays exactly `0.1`.

use std::fmt;

use super::error::{ConvertError, ConvertErrorKind};

const TARGET: &str = "decimal";

/// A decimal number as validated, normalised text, borrowed from the source.
///
/// It is stored as slices of the source so normalising an HL7 `NM` (dropping a
/// `+`, leading zeros, a bare trailing `.`) never allocates. The text it writes
/// always matches FHIR's decimal regex
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal<'a> {
    negative: bool,
    /// Integer digits without leading zeros; `"0"` for zero.
    int: &'a str,
    /// Fraction digits, possibly empty (then no `.` is written).
    frac: &'a str,
    /// The exponent including its `e`/`E`, possibly empty.
    exp: &'a str,
}

impl<'a> Decimal<'a> {
    /// Parses text that must already be a FHIR decimal (the same grammar as a
    /// JSON number). Nothing is normalised: the text is kept exactly.
    pub fn parse_fhir(text: &'a str) -> Result<Self, ConvertError> {
        let syntax = |detail| ConvertError::new(ConvertErrorKind::Syntax, TARGET, detail, text);
        ConvertError::non_empty(text, TARGET)?;
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let int_len = digit_run(rest);
        let int = &rest[..int_len];
        if int.is_empty() {
            return Err(syntax("expected a digit"));
        }
        if int.len() > 1 && int.starts_with('0') {
            return Err(syntax("leading zeros are not allowed in a FHIR decimal"));
        }
        let mut rest = &rest[int_len..];
        let mut frac = "";
        if let Some(after) = rest.strip_prefix('.') {
            let n = digit_run(after);
            if n == 0 {
                return Err(syntax("expected a digit after the decimal point"));
            }
            frac = &after[..n];
            rest = &after[n..];
        }
        let exp = rest;
        if !exp.is_empty() && !valid_exponent(exp) {
            return Err(syntax("invalid exponent or trailing characters"));
        }
        Ok(Decimal {
            negative,
            int,
            frac,
            exp,
        })
    }

    /// Converts an HL7 v2 `NM` value. The normalisation, all of it:
    ///
    /// - a leading `+` is dropped (`+1.50` → `1.50`);
    /// - leading zeros of the integer part are dropped, keeping one digit
    ///   (`007` → `7`, `000.5` → `0.5`);
    /// - a missing integer part becomes `0` (`.5` → `0.5`, `-.5` → `-0.5`);
    /// - a bare trailing point is dropped (`5.` → `5`);
    /// - fraction digits are kept as written, trailing zeros included
    ///   (`1.50` stays `1.50`: FHIR reads them as precision);
    /// - a `-` sign is kept, also on zero (`-0` is a valid FHIR decimal).
    ///
    /// Rejected: empty text, whitespace anywhere, exponents (not NM syntax),
    /// a sign or point without digits, any other character.
    pub fn from_nm(text: &'a str) -> Result<Self, ConvertError> {
        let syntax = |detail| ConvertError::new(ConvertErrorKind::Syntax, TARGET, detail, text);
        ConvertError::non_empty(text, TARGET)?;
        let (negative, rest) = super::number::split_sign(text);
        let int_len = digit_run(rest);
        let raw_int = &rest[..int_len];
        let rest = &rest[int_len..];
        let frac = match rest.strip_prefix('.') {
            Some(after) => {
                if digit_run(after) != after.len() {
                    return Err(syntax(
                        "an NM value has only digits after the decimal point",
                    ));
                }
                after
            }
            None if rest.is_empty() => "",
            None => return Err(syntax("an NM value has only a sign, digits and a point")),
        };
        if raw_int.is_empty() && frac.is_empty() {
            return Err(syntax("an NM value needs at least one digit"));
        }
        let trimmed = raw_int.trim_start_matches('0');
        let int = if trimmed.is_empty() { "0" } else { trimmed };
        Ok(Decimal {
            negative,
            int,
            frac,
            exp: "",
        })
    }

    /// True for a `-` sign (also on zero).
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Integer digits (no sign, no leading zeros).
    pub fn integer_digits(&self) -> &'a str {
        self.int
    }

    /// Fraction digits as written; empty when there is no point.
    pub fn fraction_digits(&self) -> &'a str {
        self.frac
    }

    /// The exponent with its `e`/`E` and sign as written; empty when absent.
    pub fn exponent(&self) -> &'a str {
        self.exp
    }

    /// Appends the FHIR text to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        if self.negative {
            out.push(b'-');
        }
        out.extend_from_slice(self.int.as_bytes());
        if !self.frac.is_empty() {
            out.push(b'.');
            out.extend_from_slice(self.frac.as_bytes());
        }
        out.extend_from_slice(self.exp.as_bytes());
    }
}

/// Writes the FHIR text. A decimal's own text is the value the caller asked
/// for, so it is shown as is.
impl fmt::Display for Decimal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str(self.int)?;
        if !self.frac.is_empty() {
            f.write_str(".")?;
            f.write_str(self.frac)?;
        }
        f.write_str(self.exp)
    }
}

fn digit_run(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

fn valid_exponent(exp: &str) -> bool {
    let Some(rest) = exp.strip_prefix(['e', 'E']) else {
        return false;
    };
    let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
    !digits.is_empty() && digit_run(digits) == digits.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nm(s: &str) -> Result<String, ConvertErrorKind> {
        Decimal::from_nm(s)
            .map(|d| d.to_string())
            .map_err(|e| e.kind())
    }

    fn fhir(s: &str) -> Result<String, ConvertErrorKind> {
        Decimal::parse_fhir(s)
            .map(|d| d.to_string())
            .map_err(|e| e.kind())
    }

    #[test]
    fn nm_normalisation() {
        assert_eq!(nm("+1.50"), Ok("1.50".into()));
        assert_eq!(nm(".5"), Ok("0.5".into()));
        assert_eq!(nm("-.5"), Ok("-0.5".into()));
        assert_eq!(nm("007"), Ok("7".into()));
        assert_eq!(nm("000"), Ok("0".into()));
        assert_eq!(nm("000.250"), Ok("0.250".into()));
        assert_eq!(nm("5."), Ok("5".into()));
        assert_eq!(nm("-0"), Ok("-0".into()));
        assert_eq!(
            nm("123456789012345678901234567890.1"),
            Ok("123456789012345678901234567890.1".into())
        );
    }

    #[test]
    fn nm_rejections() {
        for bad in [
            "+", "-", ".", "+.", "1e5", " 1", "1 ", "1,5", "1.2.3", "--1", "0x10", "１",
        ] {
            assert_eq!(nm(bad), Err(ConvertErrorKind::Syntax), "{bad:?}");
        }
        assert_eq!(nm(""), Err(ConvertErrorKind::Empty));
    }

    #[test]
    fn fhir_decimal_is_kept_exactly() {
        for ok in [
            "0", "-0", "1.50", "0.1", "1e5", "1.0E-10", "-12.5e+3", "100",
        ] {
            assert_eq!(fhir(ok), Ok(ok.to_string()));
        }
        for bad in ["01", "+1", ".5", "5.", "1e", "1e+", "NaN", "1 ", "--1", "-"] {
            assert_eq!(fhir(bad), Err(ConvertErrorKind::Syntax), "{bad:?}");
        }
    }

    #[test]
    fn error_display_hides_the_value() {
        let err = Decimal::from_nm("12,5kg").err();
        let err = err
            .as_ref()
            .map(|e| (e.to_string(), e.display_with_values().to_string()));
        let Some((plain, with)) = err else {
            unreachable!("12,5kg is not NM")
        };
        assert!(!plain.contains("12,5kg"), "{plain}");
        assert!(with.contains("\"12,5kg\""), "{with}");
    }
}
