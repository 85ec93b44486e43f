//! Arbitrary bytes through the ER7 splitter and reader: never a panic, and
//! every value's located span covers exactly its raw bytes.
#![no_main]

use ferry_runtime::er7::{Message, MessageIndex, split_messages};
use libfuzzer_sys::fuzz_target;

fn check_span(input: &[u8], raw: &[u8], span: Option<ferry_runtime::error::Span>) {
    if raw.is_empty() {
        return;
    }
    let span = span.expect("a present value has a span");
    assert_eq!(&input[span.start..span.end], raw, "span does not cover the value");
}

fn walk(input: &[u8], msg: &Message<'_>) {
    for seg in msg.segments() {
        for f in seg.fields() {
            check_span(input, f.raw(), f.location().span);
            let _ = f.text();
            for r in f.repetitions() {
                for c in r.components() {
                    for s in c.subcomponents() {
                        check_span(input, s.raw(), s.location().span);
                        let _ = s.text();
                    }
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut ix = MessageIndex::new();
    if let Ok(msg) = ix.parse(data) {
        walk(data, &msg);
        let _ = msg.locate(data.len() / 2);
    }
    for raw in split_messages(data).flatten() {
        if let Ok(msg) = ix.parse_numbered(raw.bytes, Some(raw.ordinal)) {
            walk(raw.bytes, &msg);
        }
    }
});
