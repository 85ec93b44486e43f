//! What the ER7 tests share: the HL7 v2 corpus and the proptest case count.
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
