//! Properties of the FHIR JSON writer and reader.

// Strategies outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used)]

mod json_common;

use ferry_runtime::convert::{Decimal, date_time, dtm_from_fhir};
use ferry_runtime::json::{JsonWriter, Number, Object, Style, Value, read};
use json_common::elided;
use proptest::prelude::*;

fn number() -> impl Strategy<Value = Value> {
    "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,12})?([eE][+-]?[0-9]{1,3})?"
        .prop_map(|text| Value::Number(Number::new(&text).unwrap()))
}

fn text() -> impl Strategy<Value = String> {
    // Any Unicode, weighted towards what needs escaping.
    prop_oneof![
        any::<String>(),
        "[\"\\\\\\x00-\\x1f\\u{7f}\\u{2028}\\u{2029}a-zé🎉/]{0,8}",
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..6).prop_map(|members| {
                let mut o = Object::new();
                for (k, v) in members {
                    o.push(k, v);
                }
                Value::Object(o)
            }),
        ]
    })
}

proptest! {
    /// Any tree written then read gives the same tree, minus what the writer
    /// elides by design; number text is kept exactly (`Number` compares text).
    #[test]
    fn write_then_read_is_identity_up_to_elision(v in tree()) {
        for style in [Style::Compact, Style::Pretty] {
            let written = v.to_json(style);
            match elided(&v) {
                None => prop_assert!(written.is_empty() || written == b"null"),
                Some(expected) => {
                    let back = read(&written).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(&back, &expected);
                    prop_assert_eq!(back.to_json(style), written);
                }
            }
        }
    }

    /// A string member survives escaping and unescaping unchanged.
    #[test]
    fn strings_round_trip(s in text()) {
        let mut out = Vec::new();
        let mut w = JsonWriter::new(&mut out, Style::Compact);
        let o = w.begin_object();
        w.member_str("k", &s);
        w.end(o);
        if s.is_empty() {
            prop_assert!(out.is_empty());
        } else {
            let v = read(&out).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(v.get("k").and_then(Value::as_str), Some(s.as_str()));
        }
    }

    /// An NM always becomes a valid FHIR decimal with the same digits after
    /// normalisation.
    #[test]
    fn nm_becomes_fhir_decimal(sign in "[+-]?", int in "[0-9]{0,20}", frac in "(\\.[0-9]{0,8})?") {
        let nm = format!("{sign}{int}{frac}");
        let has_digit = int.chars().chain(frac.chars()).any(|c| c.is_ascii_digit());
        match Decimal::from_nm(&nm) {
            Ok(d) => {
                prop_assert!(has_digit);
                let text = d.to_string();
                prop_assert_eq!(Decimal::parse_fhir(&text).map(|d| d.to_string()), Ok(text.clone()));
                let digits = frac.trim_start_matches('.');
                prop_assert!(text.ends_with(digits));
                prop_assert_eq!(text.starts_with('-'), sign == "-");
            }
            Err(_) => prop_assert!(!has_digit),
        }
    }

    /// HL7 DTM → FHIR dateTime → HL7 DTM is the identity when the source
    /// has an offset (or no time) and at most 4 fraction digits.
    #[test]
    fn dtm_round_trip(
        y in 1u16..=9999, mo in 1u8..=12, d in 1u8..=28, h in 0u8..24, mi in 0u8..60, s in 0u8..60,
        frac in "(\\.[0-9]{1,4})?", len in 0usize..6,
        off in "[+-](0[0-9]|1[0-3])[0-5][0-9]",
    ) {
        let full = format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}");
        let cut = [4, 6, 8, 10, 12, 14][len];
        let (body, zone) = if cut == 14 { (format!("{full}{frac}"), off) } else { (full[..cut].to_owned(), off) };
        let dtm = format!("{body}{zone}");
        let fhir = date_time(&dtm, None).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = dtm_from_fhir(fhir.as_str()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected = match cut {
            4 | 6 | 8 => body,
            // FHIR needs seconds: hour and minute precision come back zero-filled.
            10 => format!("{body}0000{zone}"),
            12 => format!("{body}00{zone}"),
            _ => dtm,
        };
        prop_assert_eq!(back.as_str(), expected);
    }
}
