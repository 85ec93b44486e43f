//! The stable diagnostic codes. A code never changes meaning once released;
//! retired codes are not reused. Each code's long form (what triggers it, an
//! example, the fix) is `docs/diagnostics/CODE.md`, printed by
//! `ferry explain CODE`.

use super::Severity;

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $severity:ident; )*) => {
        /// A diagnostic code. Variant docs name the input that triggers it;
        /// `ferry explain` prints the long form.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in code order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable code, e.g. `E0001`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// The long form: what triggers it, an example and the fix (Markdown).
            pub fn explain(self) -> &'static str {
                match self {
                    $(Code::$variant => include_str!(concat!("../../../docs/diagnostics/", $code, ".md")),)*
                }
            }

            /// Looks a code up by its text, case-insensitively (`e0001`).
            pub fn parse(text: &str) -> Option<Code> {
                let text = text.trim();
                Code::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(text))
            }
        }
    };
}

codes! {
    /// The text does not follow the grammar: `map p PID -> Patient {` (missing `:`).
    SyntaxError = "E0001", Error;
    /// A string literal has no closing quote on its line: `"unknown`.
    UnterminatedString = "E0002", Error;
    /// A string literal has an escape Ferry does not know: `"a\qb"`.
    InvalidEscape = "E0003", Error;
    /// A position or index is too large to be real: `PID-99999999999`.
    NumberOutOfRange = "E0004", Error;
    /// The file is not UTF-8 text (random bytes, a Latin-1 file).
    InvalidUtf8 = "E0005", Error;
    /// `use` names a standard Ferry does not know: `use hl7 "2.5"`.
    UnknownStandard = "E0006", Error;
    /// `use` names a version Ferry has no definitions for: `use hl7v2 "2.9"`.
    UnsupportedVersion = "E0007", Error;
    /// Two `use` lines for one standard: `use fhir "R4"` twice or with two versions.
    ConflictingUse = "E0008", Error;
    /// A position counted from zero: `PID-0`, `cx.0`, `PID-3[0]`; Ferry counts from 1.
    ZeroPosition = "E0009", Error;
    /// A call of a name that is neither a map nor a built-in function: `patinet(PID)`.
    UnknownCallee = "E0101", Error;
    /// `via` names no table: `PID-8 via sexx`.
    UnknownTable = "E0102", Error;
    /// A record field's type is neither a built-in type nor a record: `started: datetme`.
    UnknownType = "E0103", Error;
    /// A lower-case name that no `let`, `each ... as` or source `as` binds: `xpm.1`.
    UnknownName = "E0104", Error;
    /// Two maps, tables, records or top-level lets share a name.
    DuplicateDeclaration = "E0105", Error;
    /// Two bindings in one scope share a name: `let x` twice in a block.
    DuplicateBinding = "E0106", Error;
    /// A call with the wrong number of arguments: `date(PID-7, PID-8)`.
    WrongArgumentCount = "E0107", Error;
    /// A name used as the wrong kind of thing: a table called like a map, a map after `via`.
    WrongKind = "E0108", Error;
    /// A record declares one field twice.
    DuplicateField = "E0109", Error;
    /// A table lists one input code twice, or has two `else` rows.
    DuplicateTableEntry = "E0110", Error;
    /// An enumeration lists one value twice: `"a" | "b" | "a"`.
    DuplicateEnumValue = "E0111", Error;
    /// A source path names a segment or group the message structure lacks: `PXD-3` in ADT_A01.
    UnknownSegment = "E0201", Error;
    /// A field number past the segment's last field: `PID-99`.
    UnknownField = "E0202", Error;
    /// A component or subcomponent the datatype lacks: `PID-8.2` (IS has none), `PID-5.15`.
    UnknownComponent = "E0203", Error;
    /// A target element the FHIR type lacks, or a choice without its type: `Patient.foo`, `value`.
    UnknownElement = "E0204", Error;
    /// A value of the wrong type: an XPN (PID-5) into `Patient.gender`, a string into a HumanName.
    TypeMismatch = "E0205", Error;
    /// A value whose meaning changes needs an explicit conversion: PID-7 (DTM) into `birthDate`.
    ConversionNeeded = "E0206", Error;
    /// A repeating value into a single-valued element: `PID-3` into `Patient.gender`.
    RepeatingIntoSingle = "E0207", Error;
    /// A code outside the required value set: `gender = "M"`, a table whose output is `"F"`.
    CodeNotInValueSet = "E0208", Error;
    /// A table's input code is not in the HL7 table its signature names: `"X"` in table 0001.
    CodeNotInHl7Table = "E0209", Error;
    /// A required element (FHIR 1..1, or named by `require`) that no rule sets.
    RequiredNeverSet = "E0210", Error;
    /// A map's source or target type is no message structure, segment, resource, type or record.
    UnknownMapType = "E0211", Error;
    /// `[]` on a single-valued element, or a repeating element set without `[]` or `[n]`.
    AppendMismatch = "E0212", Error;
    /// A record path names a field the record lacks: `s.sesion_id`.
    UnknownRecordField = "E0213", Error;
    /// A segment or group name that occurs in several places of the structure: `NTE` in ORU_R01.
    AmbiguousPath = "E0214", Error;
    /// A map reads or writes a standard the file does not `use`.
    MissingUse = "E0215", Error;
    /// A conversion names a time zone that is not an IANA zone: `datetime(PV1-44, "EST5")`.
    UnknownTimeZone = "E0216", Error;
    /// A `let` or `each ... as` binding that nothing reads.
    UnusedBinding = "W0101", Warning;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_explained() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code:?} reused");
            let text = code.explain();
            assert!(
                text.starts_with(&format!("# {}", code.as_str())),
                "{code:?}: explain text must start with its code"
            );
            assert!(
                text.contains("```ferry"),
                "{code:?}: explain needs an example"
            );
            assert_eq!(Code::parse(&code.as_str().to_lowercase()), Some(*code));
        }
    }
}
