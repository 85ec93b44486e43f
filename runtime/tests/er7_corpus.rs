//! Every HL7 v2 ER7 sample in `../shared/data/hl7v2` (the `.xml` twins
//! excluded) is split and read without error, and every value is reachable.
//!
//! Documented failures would be listed in `EXPECTED_ERRORS` with their
//! located message; today there are none.

// Test helpers outside #[test] fns: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferry_runtime::er7::{MessageIndex, split_messages};

mod er7_common;
use er7_common::{corpus_dir, corpus_files};

/// (file name suffix, expected error `Display`) for samples that are known
/// to be malformed. Empty: the whole corpus reads.
const EXPECTED_ERRORS: &[(&str, &str)] = &[];

#[test]
fn every_sample_reads() {
    let files = corpus_files();
    assert!(
        files.len() >= 170,
        "corpus not found or shrunk: {} files under {:?}",
        files.len(),
        corpus_dir()
    );
    let mut index = MessageIndex::new();
    let (mut messages, mut segments, mut leaves) = (0, 0, 0usize);
    let mut failures = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let name = path.to_string_lossy().into_owned();
        let mut in_file = 0;
        for raw in split_messages(&bytes) {
            let result = raw.and_then(|raw| {
                let msg = index.parse_numbered(raw.bytes, Some(raw.ordinal))?;
                let mut segs = 0;
                for seg in msg.segments() {
                    segs += 1;
                    assert!(
                        seg.segment_id().is_some(),
                        "{name}: segment id {:?}",
                        String::from_utf8_lossy(seg.id())
                    );
                    for f in seg.fields() {
                        for r in f.repetitions() {
                            for c in r.components() {
                                for s in c.subcomponents() {
                                    let _ = s.text();
                                    leaves += 1;
                                }
                            }
                        }
                    }
                }
                // MSH-9 (message type) and MSH-12 (version) are valued in every sample.
                assert!(
                    msg.header_field(9).component(1).is_valued(),
                    "{name}: MSH-9.1"
                );
                assert!(msg.header_field(12).is_valued(), "{name}: MSH-12");
                Ok(segs)
            });
            match result {
                Ok(segs) => {
                    segments += segs;
                    in_file += 1;
                }
                Err(e) => failures.push((name.clone(), e.to_string())),
            }
        }
        assert!(
            in_file >= 1 || failures.iter().any(|(n, _)| *n == name),
            "{name}: no message found"
        );
        messages += in_file;
    }
    let unexpected: Vec<_> = failures
        .iter()
        .filter(|(n, e)| {
            !EXPECTED_ERRORS
                .iter()
                .any(|(suffix, exp)| n.ends_with(suffix) && e == exp)
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexpected failures: {unexpected:#?}"
    );
    assert_eq!(failures.len(), EXPECTED_ERRORS.len());
    eprintln!(
        "{} files, {messages} messages, {segments} segments, {leaves} subcomponents",
        files.len()
    );
    assert!(messages >= files.len());
}

/// The manifest's segment counts agree with the reader's.
#[test]
fn segment_counts_match_the_manifest() {
    let manifest = std::fs::read_to_string(corpus_dir().join("MANIFEST.csv")).unwrap();
    let mut index = MessageIndex::new();
    let mut checked = 0;
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        // file,encoding,type,event,version,segments,messages_in_file,...
        let [file, "ER7", _, _, _, segments, "1", ..] = cols.as_slice() else {
            continue;
        };
        let Ok(expected) = segments.parse::<usize>() else {
            continue;
        };
        let bytes = std::fs::read(corpus_dir().join(file)).unwrap();
        let msg = index.parse(&bytes).unwrap();
        assert_eq!(msg.segment_count(), expected, "{file}");
        checked += 1;
    }
    assert!(checked >= 170, "only {checked} manifest rows checked");
}

/// All samples in one file — in a batch envelope, alternately MLLP-framed,
/// separated by blank lines, with BOMs kept — split back into exactly the
/// same messages, in order, at the right offsets.
#[test]
fn the_whole_corpus_as_one_batch_file_splits_back() {
    let files = corpus_files();
    let mut file = b"FHS|^~\\&|FERRY\rBHS|^~\\&|FERRY\r".to_vec();
    let mut expected = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap();
        let mut index = MessageIndex::new();
        let count = index.parse(&bytes).unwrap().segment_count();
        if i % 2 == 0 {
            file.push(0x0B);
            file.extend_from_slice(&bytes);
            file.extend_from_slice(b"\x1c\r");
        } else {
            file.extend_from_slice(&bytes);
            file.extend_from_slice(b"\r\n\n");
        }
        expected.push(count);
    }
    file.extend_from_slice(format!("BTS|{}\rFTS|1\r", files.len()).as_bytes());
    let mut index = MessageIndex::new();
    let mut got = Vec::new();
    for (n, raw) in split_messages(&file).enumerate() {
        let raw = raw.unwrap();
        assert_eq!(raw.ordinal as usize, n + 1);
        assert_eq!(&file[raw.offset..raw.offset + raw.bytes.len()], raw.bytes);
        got.push(
            index
                .parse_numbered(raw.bytes, Some(raw.ordinal))
                .unwrap()
                .segment_count(),
        );
    }
    assert_eq!(got, expected);
}
