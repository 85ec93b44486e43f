//! Properties: ER7 write → read gives back the same values, with any
//! delimiter set; arbitrary bytes never panic the reader or the splitter.
//!
//! `PROPTEST_CASES=1000000 cargo test -p ferry-runtime --release --test er7_props`
//! runs a million cases; the default keeps CI fast.

// Test helpers outside #[test] fns: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferry_runtime::er7::{Delimiters, Message, MessageIndex, Writer, split_messages};
use proptest::prelude::*;

mod er7_common;

use er7_common::{FieldModel, write_fields};

#[derive(Debug, Clone)]
struct SegmentModel {
    id: String,
    fields: Vec<FieldModel>,
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z0-9 |^~\\\\&#*:%!$\\r\\n\"é中.X]{0,8}",
        1 => Just("\"\"".to_string()),
        1 => Just(String::new()),
    ]
}

fn field() -> impl Strategy<Value = FieldModel> {
    prop::collection::vec(
        prop::collection::vec(prop::collection::vec(value(), 1..4), 1..4),
        1..3,
    )
}

fn segment() -> impl Strategy<Value = SegmentModel> {
    ("[A-Z][A-Z0-9]{2}", prop::collection::vec(field(), 0..8))
        .prop_filter("not a header id", |(id, _)| {
            // Envelope ids end a message in `split_messages`, by design.
            !matches!(id.as_str(), "MSH" | "BHS" | "FHS" | "BTS" | "FTS")
        })
        .prop_map(|(id, fields)| SegmentModel { id, fields })
}

fn delimiters() -> impl Strategy<Value = Delimiters> {
    let pool: Vec<u8> = b"|^~\\&#*:%!$".to_vec();
    (Just(pool).prop_shuffle(), any::<bool>()).prop_map(|(p, trunc)| {
        Delimiters::new(
            p[0],
            Some(p[1]),
            Some(p[2]),
            Some(p[3]),
            Some(p[4]),
            trunc.then_some(p[5]),
        )
        .unwrap()
    })
}

/// The message: an MSH whose fields 3.. are `msh`, then `segments`.
fn write(d: Delimiters, msh: &[FieldModel], segments: &[SegmentModel]) -> Vec<u8> {
    let mut w = Writer::with_delimiters(d).unwrap();
    w.segment("MSH");
    write_fields(&mut w, msh, 3);
    for s in segments {
        w.segment(&s.id);
        write_fields(&mut w, &s.fields, 1);
    }
    w.finish().unwrap()
}

fn read_fields(seg: &ferry_runtime::er7::Segment<'_>, first: usize) -> Vec<FieldModel> {
    (first..=seg.field_count())
        .map(|n| {
            let f = seg.field(n);
            (1..=f.repetition_count().max(1))
                .map(|i| {
                    let r = f.repetition(i);
                    (1..=r.component_count().max(1))
                        .map(|j| {
                            let c = r.component(j);
                            (1..=c.subcomponent_count().max(1))
                                .map(|k| c.subcomponent(k).text().into_owned())
                                .collect()
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn read(msg: &Message<'_>) -> (Vec<FieldModel>, Vec<SegmentModel>) {
    let mut segs = msg.segments();
    let msh = segs.next().unwrap();
    assert_eq!(msh.id(), b"MSH");
    let msh_fields = read_fields(&msh, 3);
    let rest = segs
        .map(|s| SegmentModel {
            id: String::from_utf8(s.id().to_vec()).unwrap(),
            fields: read_fields(&s, 1),
        })
        .collect();
    (msh_fields, rest)
}

/// Every value reachable through the public accessors, touched once; each
/// present value's span covers exactly its raw bytes in `input`.
fn walk(input: &[u8], msg: &Message<'_>) -> usize {
    let covers = |raw: &[u8], loc: ferry_runtime::error::Location| {
        if !raw.is_empty() {
            let span = loc.span.unwrap();
            assert_eq!(&input[span.start..span.end], raw);
        }
    };
    let mut n = 0;
    for seg in msg.segments() {
        covers(seg.raw(), seg.location());
        for f in seg.fields() {
            covers(f.raw(), f.location());
            n += f.text().len();
            for r in f.repetitions() {
                for c in r.components() {
                    for s in c.subcomponents() {
                        n += s.text().len() + usize::from(s.is_null());
                        covers(s.raw(), s.location());
                    }
                }
            }
        }
    }
    n
}

proptest! {
    #![proptest_config(ProptestConfig { cases: er7_common::cases(512), ..ProptestConfig::default() })]

    #[test]
    fn write_then_read_gives_back_the_values(
        d in delimiters(),
        msh in prop::collection::vec(field(), 0..6),
        segments in prop::collection::vec(segment(), 0..6),
    ) {
        let bytes = write(d, &msh, &segments);
        let mut ix = MessageIndex::new();
        let msg = ix.parse(&bytes).unwrap();
        prop_assert_eq!(msg.delimiters(), d);
        let (msh_back, segs_back) = read(&msg);
        prop_assert_eq!(&msh_back, &msh);
        prop_assert_eq!(segs_back.len(), segments.len());
        for (got, want) in segs_back.iter().zip(&segments) {
            prop_assert_eq!(&got.id, &want.id);
            prop_assert_eq!(&got.fields, &want.fields);
        }
        // The splitter finds exactly this one message.
        let found: Vec<_> = split_messages(&bytes).collect();
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(found[0].as_ref().unwrap().bytes, bytes.strip_suffix(b"\r").unwrap());
    }
}

fn message_like() -> impl Strategy<Value = Vec<u8>> {
    let alphabet: Vec<u8> =
        b"MSHPIDOBX|^~\\&#\r\n\"\x0b\x1c\xef\xbb\xbfX0A.br 9\xc3\xa9\xff".to_vec();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(prop::sample::select(alphabet.clone()), 0..300),
        prop::collection::vec(prop::sample::select(alphabet), 0..300).prop_map(|mut v| {
            let mut m = b"MSH|^~\\&|".to_vec();
            m.append(&mut v);
            m
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: er7_common::cases(4096), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in message_like()) {
        let mut ix = MessageIndex::new();
        if let Ok(msg) = ix.parse(&bytes) {
            walk(&bytes, &msg);
            for i in 0..bytes.len() + 2 {
                let _ = msg.locate(i);
            }
        }
        for raw in split_messages(&bytes).flatten() {
            prop_assert!(raw.bytes.starts_with(b"MSH"));
            if let Ok(msg) = ix.parse_numbered(raw.bytes, Some(raw.ordinal)) {
                walk(raw.bytes, &msg);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: er7_common::cases(1024), ..ProptestConfig::default() })]

    /// `first_subcomponent` is `component(1).subcomponent(1)`, found in one
    /// scan: same bytes, text, state and location, MSH's literal fields too.
    #[test]
    fn first_subcomponent_is_the_first_component_first_subcomponent(bytes in message_like()) {
        let mut ix = MessageIndex::new();
        let Ok(msg) = ix.parse(&bytes) else { return Ok(()) };
        for seg in msg.segments() {
            for n in 0..=seg.field_count() + 1 {
                for rep in seg.field(n).repetitions() {
                    let fast = rep.first_subcomponent();
                    let slow = rep.component(1).subcomponent(1);
                    prop_assert_eq!(fast.raw(), slow.raw());
                    prop_assert_eq!(fast.text(), slow.text());
                    prop_assert_eq!(fast.is_null(), slow.is_null());
                    prop_assert_eq!(fast.location(), slow.location());
                }
            }
        }
    }
}
