//! The reduction from the raw upstream definitions (`../shared/data`) to the compact files in
//! `schema/data/`. Run by `cargo xtask schema`; also compiled into this crate's tests so that a
//! test can fail when the committed files are stale. Not part of the compiler's build.

mod fhir;
mod v2;

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

/// The reduced files and what the reduction noticed on the way.
#[derive(Debug)]
pub struct Reduced {
    /// `(file name inside schema/data, contents)`, in a fixed order.
    pub files: Vec<(String, String)>,
    /// Upstream quirks worked around, counts of things dropped, one line each.
    pub notes: Vec<String>,
}

/// Reduce every source under `data` (the shared data folder).
///
/// # Errors
/// A message naming the file that is missing or malformed.
pub fn reduce(data: &Path) -> Result<Reduced, String> {
    let mut notes = Vec::new();
    let mut files = v2::reduce(data, &mut notes)?;
    files.push(fhir::reduce(data, &mut notes)?);
    Ok(Reduced { files, notes })
}

/// The shared data folder: `FERRY_SHARED_DATA` if set, else `../shared/data` beside the
/// workspace root (`workspace_root`).
pub fn default_data_dir(workspace_root: &Path) -> PathBuf {
    match std::env::var_os("FERRY_SHARED_DATA") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => workspace_root.join("..").join("shared").join("data"),
    }
}

/// The files in `out_dir` that differ from (or are missing for) the reduced ones.
pub fn stale_files(reduced: &Reduced, out_dir: &Path) -> Vec<String> {
    reduced
        .files
        .iter()
        .filter(|(name, text)| {
            std::fs::read_to_string(out_dir.join(name)).ok().as_deref() != Some(text.as_str())
        })
        .map(|(name, _)| name.clone())
        .collect()
}

pub(crate) fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))
}

/// Serialise as JSON with every element of a top-level array on its own line: as compact as
/// minified JSON, but `git diff` shows which structure/segment/element changed.
pub(crate) fn to_lines<T: Serialize>(value: &T) -> Result<String, String> {
    let v = serde_json::to_value(value).map_err(|e| e.to_string())?;
    let Value::Object(map) = v else {
        return serde_json::to_string(&v).map_err(|e| e.to_string());
    };
    let mut out = String::from("{");
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('\n');
        out.push_str(&serde_json::to_string(k).map_err(|e| e.to_string())?);
        out.push(':');
        match v {
            Value::Array(items) if !items.is_empty() => {
                out.push('[');
                for (j, item) in items.iter().enumerate() {
                    out.push_str(if j == 0 { "\n" } else { ",\n" });
                    out.push_str(&serde_json::to_string(item).map_err(|e| e.to_string())?);
                }
                out.push_str("\n]");
            }
            other => out.push_str(&serde_json::to_string(other).map_err(|e| e.to_string())?),
        }
    }
    out.push_str("\n}\n");
    Ok(out)
}

pub(crate) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

pub(crate) fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// `"*"` → unbounded, a number or numeric string → that number.
pub(crate) fn max_of(v: Option<&Value>) -> Option<u32> {
    match v {
        Some(Value::Number(n)) => n.as_u64().map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
}

pub(crate) fn min_of(v: Option<&Value>) -> u32 {
    max_of(v).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed files in schema/data must be exactly what the reduction produces.
    /// Skips (with a note) only when the shared data folder is absent.
    #[test]
    fn committed_schema_data_is_fresh() {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let workspace = crate_dir.parent().unwrap_or(crate_dir);
        let data = default_data_dir(workspace);
        if !data.is_dir() {
            eprintln!(
                "NOTE: skipping the schema staleness check: shared data folder {} is absent",
                data.display()
            );
            return;
        }
        let reduced = reduce(&data).unwrap();
        let stale = stale_files(&reduced, &crate_dir.join("data"));
        assert!(
            stale.is_empty(),
            "schema/data is stale ({stale:?}); run `cargo xtask schema`"
        );
        // And nothing extra lies in schema/data.
        let mut on_disk: Vec<String> = std::fs::read_dir(crate_dir.join("data"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut expected: Vec<String> = reduced.files.iter().map(|(n, _)| n.clone()).collect();
        expected.sort();
        assert_eq!(on_disk, expected);
    }

    #[test]
    fn to_lines_puts_array_items_on_lines() {
        let v = serde_json::json!({"a": [1, {"b": 2}], "c": "x", "d": []});
        assert_eq!(
            to_lines(&v).unwrap(),
            "{\n\"a\":[\n1,\n{\"b\":2}\n],\n\"c\":\"x\",\n\"d\":[]\n}\n"
        );
    }
}
