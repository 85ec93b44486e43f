//! What the ER7 tests share: the HL7 v2 corpus, the proptest case count and
//! the field model the property tests write.
// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/data/hl7v2` beside the project.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/hl7v2")
}

/// Every ER7 sample under the corpus (`.hl7`, `.txt`, `.hl7v2`; the `.xml`
/// twins excluded), sorted.
pub fn corpus_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    collect(&corpus_dir(), &mut files);
    files.sort();
    files
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if matches!(
            path.extension().and_then(|x| x.to_str()),
            Some("hl7" | "txt" | "hl7v2")
        ) {
            out.push(path);
        }
    }
}

/// The proptest case count: `PROPTEST_CASES` when set, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A field as the property tests model it: subcomponents of components of
/// repetitions.
pub type FieldModel = Vec<Vec<Vec<String>>>;

/// Writes `fields` as fields `first..` of the writer's current segment.
pub fn write_fields(w: &mut ferry_runtime::er7::Writer, fields: &[FieldModel], first: usize) {
    for (fi, f) in fields.iter().enumerate() {
        w.field(first + fi);
        for (ri, r) in f.iter().enumerate() {
            w.repetition(ri + 1);
            for (ci, c) in r.iter().enumerate() {
                w.component(ci + 1);
                for (si, s) in c.iter().enumerate() {
                    w.subcomponent(si + 1).text(s);
                }
            }
        }
    }
}
