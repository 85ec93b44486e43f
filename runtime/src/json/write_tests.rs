use super::{JsonWriter, Style};
use crate::convert::Decimal;

fn compact(f: impl FnOnce(&mut JsonWriter<'_>)) -> String {
    let mut out = Vec::new();
    f(&mut JsonWriter::new(&mut out, Style::Compact));
    String::from_utf8(out).unwrap()
}

#[test]
fn members_in_caller_order() {
    let s = compact(|w| {
        let o = w.begin_object();
        w.member_str("resourceType", "Patient");
        w.member_bool("active", true);
        w.member_int("multipleBirthInteger", 2);
        w.member_str("gender", "female");
        assert!(w.end(o));
    });
    assert_eq!(
        s,
        r#"{"resourceType":"Patient","active":true,"multipleBirthInteger":2,"gender":"female"}"#
    );
}

#[test]
fn empty_strings_are_not_written() {
    let s = compact(|w| {
        let o = w.begin_object();
        w.member_str("a", "");
        w.member_str("b", "x");
        w.member_str("c", "");
        let arr = w.member_array("given");
        w.item_str("");
        w.item_str("Ann");
        w.item_str("");
        w.item_str("Lee");
        w.end(arr);
        w.end(o);
    });
    assert_eq!(s, r#"{"b":"x","given":["Ann","Lee"]}"#);
}

#[test]
fn empty_containers_vanish_with_key_and_comma() {
    let s = compact(|w| {
        let o = w.begin_object();
        w.member_str("resourceType", "Patient");
        // An object whose members are all absent, nested two deep.
        let name = w.member_array("name");
        let n = w.begin_object();
        w.member_str("family", "");
        let period = w.member_object("period");
        w.member_str("start", "");
        assert!(!w.end(period));
        assert!(!w.end(n));
        assert!(!w.end(name));
        let telecom = w.member_array("telecom");
        assert!(!w.end(telecom));
        w.member_str("gender", "male");
        w.end(o);
    });
    assert_eq!(s, r#"{"resourceType":"Patient","gender":"male"}"#);
}

#[test]
fn elided_first_member_does_not_leave_a_comma() {
    let s = compact(|w| {
        let o = w.begin_object();
        let a = w.member_object("a");
        w.end(a);
        w.member_str("b", "1");
        let c = w.member_array("c");
        w.end(c);
        w.end(o);
    });
    assert_eq!(s, r#"{"b":"1"}"#);
}

#[test]
fn elided_items_between_items() {
    let s = compact(|w| {
        let arr = w.begin_array();
        w.item_int(1);
        let empty = w.begin_object();
        w.end(empty);
        w.item_int(2);
        let inner = w.begin_array();
        w.item_str("");
        w.end(inner);
        w.end(arr);
    });
    assert_eq!(s, "[1,2]");
}

#[test]
fn empty_top_level_object_writes_nothing() {
    let mut out = b"prefix".to_vec();
    let mut w = JsonWriter::new(&mut out, Style::Pretty);
    let o = w.begin_object();
    w.member_str("x", "");
    assert!(!w.end(o));
    assert_eq!(out, b"prefix");
}

#[test]
fn null_items_keep_an_array() {
    let s = compact(|w| {
        let o = w.begin_object();
        let a = w.member_array("given");
        w.item_null();
        w.item_str("B");
        w.end(a);
        w.end(o);
    });
    assert_eq!(s, r#"{"given":[null,"B"]}"#);
}

#[test]
fn decimals_keep_their_text() {
    let s = compact(|w| {
        let o = w.begin_object();
        w.member_decimal("value", &Decimal::from_nm("+001.50").unwrap());
        w.member_decimal("low", &Decimal::parse_fhir("1.0E-10").unwrap());
        let a = w.member_array("data");
        w.item_decimal(&Decimal::from_nm(".5").unwrap());
        w.end(a);
        w.end(o);
    });
    assert_eq!(s, r#"{"value":1.50,"low":1.0E-10,"data":[0.5]}"#);
}

#[test]
fn integers_via_itoa() {
    let s = compact(|w| {
        let a = w.begin_array();
        w.item_int(i32::MIN);
        w.item_int(0u8);
        w.item_int(i64::MAX);
        w.end(a);
    });
    assert_eq!(s, "[-2147483648,0,9223372036854775807]");
}

#[test]
fn keys_and_values_are_escaped() {
    let s = compact(|w| {
        let o = w.begin_object();
        w.member_str("te\"xt", "line1\nline2\t\"q\" \\ \u{1}");
        w.end(o);
    });
    assert_eq!(s, r#"{"te\"xt":"line1\nline2\t\"q\" \\ \u0001"}"#);
}

#[test]
fn pretty_layout() {
    let mut out = Vec::new();
    let mut w = JsonWriter::new(&mut out, Style::Pretty);
    let o = w.begin_object();
    w.member_str("resourceType", "Patient");
    let empty = w.member_object("meta");
    w.end(empty);
    let name = w.member_array("name");
    let n = w.begin_object();
    w.member_str("family", "Doe");
    let given = w.member_array("given");
    w.item_str("Jo");
    w.item_str("Ann");
    w.end(given);
    w.end(n);
    w.end(name);
    w.member_bool("active", false);
    w.end(o);
    let expected = r#"{
  "resourceType": "Patient",
  "name": [
    {
      "family": "Doe",
      "given": [
        "Jo",
        "Ann"
      ]
    }
  ],
  "active": false
}"#;
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn top_level_values_make_ndjson() {
    let s = compact(|w| {
        for id in ["a", "b"] {
            let o = w.begin_object();
            w.member_str("id", id);
            w.end(o);
        }
    });
    assert_eq!(s, "{\"id\":\"a\"}\n{\"id\":\"b\"}");
}
