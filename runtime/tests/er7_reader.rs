//! Reader behaviour on hand-written messages: numbering, escapes, line ends,
//! delimiters, charsets, null vs absent, located errors.

// Test helpers outside #[test] fns: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferry_runtime::er7::{Charset, MessageIndex, Writer, split_messages};
use ferry_runtime::error::Kind;

const ADT: &[u8] = b"MSH|^~\\&|SENDAPP|SENDFAC|RCVAPP|RCVFAC|20240102030405||ADT^A01^ADT_A01|MSG0001|P|2.5.1\r\
EVN|A01|20240102030405\r\
PID|1||12345^^^HOSP^MR~999-99-9999^^^USSSA^SS||Doe^John^Q^Jr&Sr||19800101|M|||1 Main St^^Town^ST^12345||(555)555-1212|||||||\"\"\r\
NTE|1||Line one\\.br\\Line two \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\X41\\ \\H\\bold\\N\\\r\
OBX|1|ST|code||first\r\
OBX|2|ST|code||second\r";

#[test]
fn msh_numbering_is_offset_by_one() {
    let mut ix = MessageIndex::new();
    let msg = ix.parse(ADT).unwrap();
    let msh = msg.segment("MSH", 1).unwrap();
    assert_eq!(msh.field(1).raw(), b"|");
    assert_eq!(msh.field(2).raw(), b"^~\\&");
    assert_eq!(
        msh.field(2).text(),
        "^~\\&",
        "MSH-2 is literal: not unescaped"
    );
    assert_eq!(msh.field(2).component_count_first(), 1);
    assert_eq!(msh.field(3).text(), "SENDAPP");
    assert_eq!(msh.field(7).text(), "20240102030405");
    assert_eq!(msh.field(9).component(1).text(), "ADT");
    assert_eq!(msh.field(9).component(3).text(), "ADT_A01");
    assert_eq!(msh.field(10).text(), "MSG0001");
    assert_eq!(msh.field(12).text(), "2.5.1");
    assert_eq!(msh.field_count(), 12);
    assert_eq!(msh.field(0).raw(), b"MSH");
    // Non-header segments: field 1 is the first field after the id.
    let evn = msg.segment("EVN", 1).unwrap();
    assert_eq!(evn.field(1).text(), "A01");
    assert_eq!(evn.field_count(), 2);
}

trait FirstRep {
    fn component_count_first(&self) -> usize;
}
impl FirstRep for ferry_runtime::er7::Field<'_> {
    fn component_count_first(&self) -> usize {
        self.repetition(1).component_count()
    }
}

#[test]
fn repetitions_components_subcomponents() {
    let mut ix = MessageIndex::new();
    let msg = ix.parse(ADT).unwrap();
    let pid = msg.segment("PID", 1).unwrap();
    let f3 = pid.field(3);
    assert_eq!(f3.repetition_count(), 2);
    assert_eq!(f3.repetition(2).component(1).text(), "999-99-9999");
    assert_eq!(f3.repetition(2).component(5).text(), "SS");
    assert!(f3.repetition(3).is_empty());
    let f5 = pid.field(5);
    assert_eq!(f5.component(4).subcomponent_count(), 2);
    assert_eq!(f5.component(4).subcomponent(2).text(), "Sr");
    assert!(f5.component(4).subcomponent(3).is_empty());
    assert!(f5.component(9).is_empty());
    let names: Vec<_> = f5
        .repetition(1)
        .components()
        .map(|c| c.text().into_owned())
        .collect();
    assert_eq!(names, ["Doe", "John", "Q", "Jr&Sr"]);
    // Null is not absent.
    let null = pid.field(pid.field_count());
    assert!(null.is_null() && !null.is_empty() && !null.is_valued());
    assert!(pid.field(6).is_empty() && !pid.field(6).is_null());
    assert!(pid.field(99).is_empty());
}

#[test]
fn escapes_are_decoded_only_in_text() {
    let mut ix = MessageIndex::new();
    let msg = ix.parse(ADT).unwrap();
    let nte = msg.segment("NTE", 1).unwrap();
    assert_eq!(
        nte.field(3).text(),
        "Line one\nLine two | ^ & ~ \\ A \\H\\bold\\N\\"
    );
    assert!(nte.field(3).raw().starts_with(b"Line one\\.br\\"));
}

#[test]
fn segment_occurrences_and_locations() {
    let mut ix = MessageIndex::new();
    let msg = ix.parse_numbered(ADT, Some(7)).unwrap();
    let obx2 = msg.segment("OBX", 2).unwrap();
    assert_eq!(obx2.field(5).text(), "second");
    let loc = obx2.field(5).location();
    assert_eq!(
        loc.to_string(),
        format!(
            "message 7, OBX#2-5, bytes {}..{}",
            ADT.len() - 7,
            ADT.len() - 1
        )
    );
    let loc = msg
        .segment("PID", 1)
        .unwrap()
        .field(5)
        .component(4)
        .subcomponent(2)
        .location();
    assert_eq!(loc.path(), "PID-5[1].4.2");
    let span = loc.span.unwrap();
    assert_eq!(&ADT[span.start..span.end], b"Sr");
    assert!(msg.segment("OBX", 3).is_none());
    assert!(msg.segment("OBX", 0).is_none());
    let occ: Vec<_> = msg
        .segments()
        .map(|s| (String::from_utf8_lossy(s.id()).into_owned(), s.occurrence()))
        .collect();
    assert_eq!(occ.last().unwrap(), &("OBX".to_string(), 2));
    assert_eq!(msg.segment_count(), 6);
}

#[test]
fn line_endings_may_be_mixed_and_blank_lines_are_skipped() {
    let m = b"MSH|^~\\&|A\r\nPID|1\nPV1|1\r\r\n\nOBX|1\r";
    let mut ix = MessageIndex::new();
    let msg = ix.parse(m).unwrap();
    let ids: Vec<_> = msg.segments().map(|s| s.id().to_vec()).collect();
    assert_eq!(
        ids,
        [
            b"MSH".to_vec(),
            b"PID".to_vec(),
            b"PV1".to_vec(),
            b"OBX".to_vec()
        ]
    );
    assert_eq!(msg.segment("OBX", 1).unwrap().field(1).text(), "1");
}

#[test]
fn any_declared_delimiters_including_truncation() {
    let m = b"MSH*:%!$#*APP*FAC\rPID*1**a:b%c:d$e*x!F!y!P!z#\r";
    let mut ix = MessageIndex::new();
    let msg = ix.parse(m).unwrap();
    let d = msg.delimiters();
    assert_eq!(
        (
            d.field(),
            d.component(),
            d.repetition(),
            d.escape(),
            d.subcomponent(),
            d.truncation()
        ),
        (
            b'*',
            Some(b':'),
            Some(b'%'),
            Some(b'!'),
            Some(b'$'),
            Some(b'#')
        )
    );
    let pid = msg.segment("PID", 1).unwrap();
    assert_eq!(msg.header_field(3).text(), "APP");
    assert_eq!(
        pid.field(3)
            .repetition(2)
            .component(2)
            .subcomponent(2)
            .text(),
        "e"
    );
    assert_eq!(pid.field(4).text(), "x*y#z#");
    // Fewer encoding characters: the missing ones are "not used".
    let m = b"MSH|^~|A\rPID|a\\b&c^d\r";
    let msg = ix.parse(m).unwrap();
    assert_eq!(msg.delimiters().escape(), None);
    assert_eq!(
        msg.segment("PID", 1).unwrap().field(1).component(1).text(),
        "a\\b&c"
    );
}

#[test]
fn bom_and_mllp_around_one_message() {
    let m = b"\xEF\xBB\xBF\x0bMSH|^~\\&|A\rPID|1\r\x1c\r";
    let mut ix = MessageIndex::new();
    let msg = ix.parse(m).unwrap();
    assert_eq!(msg.segment_count(), 2);
    let span = msg.header_field(3).location().span.unwrap();
    assert_eq!(
        &m[span.start..span.end],
        b"A",
        "spans are offsets into the caller's bytes"
    );
}

#[test]
fn charsets() {
    let mut ix = MessageIndex::new();
    let latin1 = b"MSH|^~\\&|A|||||||||||||||8859/1\rPID|1||||M\xfcller\r";
    let msg = ix.parse(latin1).unwrap();
    assert_eq!(msg.charset(), Charset::Latin1);
    assert_eq!(msg.segment("PID", 1).unwrap().field(5).text(), "Müller");

    let utf8 = "MSH|^~\\&|A|||||||||||||||UNICODE UTF-8\rPID|1||||Müller\\XC3A9\\\r";
    let msg = ix.parse(utf8.as_bytes()).unwrap();
    assert_eq!(msg.charset(), Charset::Utf8);
    assert_eq!(msg.segment("PID", 1).unwrap().field(5).text(), "Mülleré");

    // Text sliced from the message (checked once): multi-byte characters on
    // both sides of separators, in a message without an escape after MSH-2
    // and in one with (where values are unescaped first).
    let plain = "MSH|^~\\&|A|||||||||||||||UNICODE UTF-8\rPID|1||||Ä^ü&ß~Żółw||€\r";
    for text in [plain.to_owned(), format!("{plain}NTE|1||a\\T\\b\r")] {
        let msg = ix.parse(text.as_bytes()).unwrap();
        let pid = msg.segment("PID", 1).unwrap();
        let name = pid.field(5).repetition(1);
        assert_eq!(name.component(1).text(), "Ä");
        assert_eq!(name.component(2).subcomponent(1).text(), "ü");
        assert_eq!(name.component(2).subcomponent(2).text(), "ß");
        assert_eq!(pid.field(5).repetition(2).text(), "Żółw");
        assert_eq!(pid.field(7).text(), "€");
    }
    // The same after a Latin-1 message has used the index.
    ix.parse(latin1).unwrap();
    let msg = ix.parse("MSH|^~\\&|A\rPID|1||||Ä\r".as_bytes()).unwrap();
    assert_eq!(msg.segment("PID", 1).unwrap().field(5).text(), "Ä");

    // Undeclared Latin-1 is refused, located, and the value is not shown.
    let e = ix.parse(b"MSH|^~\\&|A\rPID|1||||M\xfcller\r").unwrap_err();
    assert!(matches!(e.kind(), Kind::InvalidEncoding(_)));
    assert_eq!(e.location().path(), "PID-5");
    assert_eq!(
        e.location().span.unwrap().start,
        20,
        "the span of the field holding the bad byte"
    );
    assert!(!e.to_string().contains("ller"), "{e}");
    // ...unless the reader is told the feed's default.
    ix.set_default_charset(Charset::Latin1);
    assert!(ix.parse(b"MSH|^~\\&|A\rPID|1||||M\xfcller\r").is_ok());
    ix.set_default_charset(Charset::Unspecified);

    let ascii = b"MSH|^~\\&|A|||||||||||||||ASCII\rPID|1||||M\xc3\xbcller\r";
    assert!(matches!(
        ix.parse(ascii).unwrap_err().kind(),
        Kind::InvalidEncoding("ASCII")
    ));

    let e = ix
        .parse(b"MSH|^~\\&|A|||||||||||||||ISO IR87\rPID|1\r")
        .unwrap_err();
    assert_eq!(e.kind(), &Kind::UnsupportedCharset("ISO IR87".into()));
    assert_eq!(e.location().path(), "MSH-18");
}

#[test]
fn malformed_headers_are_located_errors() {
    let mut ix = MessageIndex::new();
    let cases: &[(&[u8], &str)] = &[
        (b"", "ER7-EMPTY"),
        (b"PID|1\r", "ER7-NOT-MSH"),
        (b"MSH", "ER7-DELIMITERS"),
        (b"MSH|^^\\&|A\r", "ER7-DELIMITERS"),
        (b"MSH|^~\\&#X|A\r", "ER7-DELIMITERS"),
        (b"MSH\r", "ER7-DELIMITERS"),
    ];
    for (input, code) in cases {
        let e = ix.parse(input).unwrap_err();
        assert_eq!(e.kind().code(), *code, "{input:?}: {e}");
    }
    let e = ix.parse_numbered(b"MSH|^^\\&|A\r", Some(4)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unusable delimiters in MSH-1/MSH-2: the same character is used for two delimiters at message 4, MSH-2, bytes 3..8"
    );
}

#[test]
fn index_is_reusable_and_split_gives_offsets() {
    let file = b"MSH|^~\\&|ONE\rPID|1\r\nMSH|^~\\&|TWO\rPID|2\r";
    let mut ix = MessageIndex::new();
    let mut seen = Vec::new();
    for raw in split_messages(file) {
        let raw = raw.unwrap();
        let msg = ix.parse_numbered(raw.bytes, Some(raw.ordinal)).unwrap();
        seen.push((
            raw.ordinal,
            raw.offset,
            msg.header_field(3).text().into_owned(),
            msg.segment("PID", 1).unwrap().field(1).text().into_owned(),
        ));
    }
    assert_eq!(
        seen,
        [
            (1, 0, "ONE".into(), "1".into()),
            (2, 20, "TWO".into(), "2".into())
        ]
    );
}

#[test]
fn writer_escapes_and_reader_reads_back() {
    let mut w = Writer::new();
    w.segment("MSH")
        .field(3)
        .text("APP")
        .field(9)
        .component(1)
        .text("ORU")
        .component(2)
        .text("R01");
    w.segment("OBX")
        .field(5)
        .repetition(1)
        .component(1)
        .subcomponent(2)
        .text("a|b^c&d~e\\f\ng\r\"")
        .repetition(3)
        .text("\"\"")
        .field(6)
        .null();
    let out = w.finish().unwrap();
    let mut ix = MessageIndex::new();
    let msg = ix.parse(&out).unwrap();
    let obx = msg.segment("OBX", 1).unwrap();
    assert_eq!(
        obx.field(5)
            .repetition(1)
            .component(1)
            .subcomponent(2)
            .text(),
        "a|b^c&d~e\\f\ng\r\""
    );
    assert_eq!(obx.field(5).repetition_count(), 3);
    assert_eq!(obx.field(5).repetition(3).text(), "\"\"");
    assert!(!obx.field(5).repetition(3).is_null());
    assert!(obx.field(6).is_null());
    assert_eq!(msg.header_field(9).component(2).text(), "R01");
}

#[test]
fn writer_usage_errors_are_reported_not_panicked() {
    let mut w = Writer::new();
    w.segment("PID").field(5).field(3).text("x");
    assert_eq!(w.finish().unwrap_err().kind().code(), "ER7-WRITER");
    let mut w = Writer::new();
    w.segment("pid");
    assert!(w.finish().is_err());
    let mut w = Writer::new();
    w.segment("MSH").text("x");
    assert!(w.finish().is_err(), "MSH-2 is written by segment()");
}

#[test]
fn one_shot_parse_owns_its_index() {
    let parsed = ferry_runtime::er7::Message::parse(ADT).unwrap();
    let msg = parsed.message();
    assert_eq!(msg.segment_count(), 6);
    assert_eq!(msg.header_field(10).text(), "MSG0001");
    assert_eq!(
        msg.segment("PID", 1).unwrap().field(5).component(2).text(),
        "John"
    );
    let e = ferry_runtime::er7::Message::parse(b"PID|1\r").unwrap_err();
    assert_eq!(e.kind(), &Kind::NotMsh);
}
