//! End-to-end tests of Ferry live in `tests/tests/`. This library holds the
//! transformers generated from every spec in `specs/` (by `build.rs`, through
//! `ferry_compiler::Build`), compiled here under `#![deny(warnings)]` so a
//! warning in generated code fails the build.
#![forbid(unsafe_code)]
#![deny(warnings)]

pub mod messages;

/// One module per spec in `specs/`, named after the spec's file.
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/ferry.rs"));
}

/// `codegen/evil.ferry`: strings and table codes written to break out of
/// their literals. The module compiling, and converting as the spec says,
/// is the test that they did not.
pub mod injection {
    ferry_runtime::include_generated!("injection.rs");
}

/// `codegen/members.ferry`: members written in loops, in both branches of a
/// `when` and twice, which the generator must look up rather than add.
pub mod member_writes {
    ferry_runtime::include_generated!("member_writes.rs");
}

/// `codegen/stream.ferry`: maps written straight into the output, with
/// members continued across rules, objects dropped, checks met and missed.
pub mod streamed {
    ferry_runtime::include_generated!("streamed.rs");
}

/// `codegen/texts.ferry`: text written straight into the output
/// (`concat`, ids, conversions, lookups, `if` and `??` over HL7 paths).
pub mod direct_texts {
    ferry_runtime::include_generated!("direct_texts.rs");
}

/// The shared HL7 v2 sample data (`../shared/data/hl7v2`), which the tests
/// read where it is present.
pub mod shared {
    use std::path::{Path, PathBuf};

    /// The folder of the shared HL7 v2 samples and their `MANIFEST.csv`.
    pub fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/hl7v2")
    }

    /// Every ER7 sample of the manifest, of any structure.
    pub fn all_er7_samples() -> Vec<String> {
        samples(|_| true)
    }

    /// The manifest's ER7 samples of these structures, as paths relative to
    /// [`dir`]; empty when the manifest cannot be read.
    pub fn er7_samples(structures: &[&str]) -> Vec<String> {
        samples(|structure| structures.contains(&structure))
    }

    fn samples(wanted: impl Fn(&str) -> bool) -> Vec<String> {
        let manifest = std::fs::read_to_string(dir().join("MANIFEST.csv")).unwrap_or_default();
        manifest
            .lines()
            .skip(1)
            .filter_map(|line| {
                let cols: Vec<&str> = line.split(',').collect();
                let wanted = cols.get(1) == Some(&"ER7") && cols.get(2).is_some_and(|t| wanted(t));
                wanted
                    .then(|| cols.first().map(|c| (*c).to_owned()))
                    .flatten()
            })
            .collect()
    }
}
