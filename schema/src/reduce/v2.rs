//! HL7 v2: hl7apy structures + hl7-dictionary descriptions/lengths + table displays.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde_json::Value;

use super::{arr, max_of, min_of, read_json, str_of, to_lines};
use crate::Hl7Version;
use crate::v2::build;
use crate::v2::{Composite, Field, NameIndex, Node, Segment, Table, normalize_table_id};

/// hl7-dictionary table: (description, [(code, display)]).
type DictTable = (Option<String>, Vec<(String, String)>);

/// Display text per table id, from THO (v2-tables.json) and hl7-dictionary tables.json.
struct Displays {
    /// "0001" → (table title, code → display)
    tho: HashMap<String, (Option<String>, HashMap<String, String>)>,
    /// "0001" → (desc, [(code, display)])
    dict: HashMap<String, DictTable>,
}

impl Displays {
    fn load(data: &Path) -> Result<Self, String> {
        let mut tho = HashMap::new();
        let bundle = read_json(&data.join("fhir-r4/definitions/v2-tables.json"))?;
        for e in arr(&bundle, "entry") {
            let Some(r) = e.get("resource") else { continue };
            if str_of(r, "resourceType") != Some("CodeSystem") {
                continue;
            }
            let Some(id) = str_of(r, "url")
                .and_then(|u| u.strip_prefix("http://terminology.hl7.org/CodeSystem/v2-"))
            else {
                continue;
            };
            let mut codes = HashMap::new();
            super::fhir::flatten_concepts(arr(r, "concept"), &mut |c: &Value| {
                if let (Some(code), Some(d)) = (str_of(c, "code"), str_of(c, "display")) {
                    codes.entry(code.to_owned()).or_insert_with(|| d.to_owned());
                }
            });
            let title = str_of(r, "title")
                .or_else(|| str_of(r, "name"))
                .map(str::to_owned);
            tho.insert(normalize_table_id(id), (title, codes));
        }
        let mut dict = HashMap::new();
        let tables = read_json(&data.join("hl7v2-defs/hl7-dictionary/tables.json"))?;
        if let Some(Value::Object(map)) = tables.get("tables") {
            for (id, t) in map {
                let values = match t.get("values") {
                    Some(Value::Object(v)) => v
                        .iter()
                        .map(|(c, d)| (c.clone(), d.as_str().unwrap_or_default().to_owned()))
                        .collect(),
                    _ => Vec::new(),
                };
                dict.insert(
                    normalize_table_id(id),
                    (str_of(t, "desc").map(str::to_owned), values),
                );
            }
        }
        Ok(Displays { tho, dict })
    }

    fn display(&self, table: &str, code: &str) -> Option<String> {
        if let Some(d) = self.tho.get(table).and_then(|(_, c)| c.get(code)) {
            return Some(d.clone());
        }
        self.dict
            .get(table)
            .and_then(|(_, v)| v.iter().find(|(c, _)| c == code))
            .map(|(_, d)| d.clone())
            .filter(|d| !d.is_empty())
    }
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn table_ref(v: Option<&Value>, notes: &mut BTreeSet<String>) -> Option<String> {
    let raw = match v? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let id = normalize_table_id(&raw);
    if id != raw.trim_start_matches("HL7") {
        notes.insert(format!("table id `{raw}` normalised to `{id}`"));
    }
    Some(id)
}

fn datatype_name(v: Option<&Value>, notes: &mut BTreeSet<String>) -> Option<String> {
    let raw = v.and_then(Value::as_str)?;
    if raw != crate::VARIES && raw.chars().any(|c| c.is_ascii_lowercase()) {
        notes.insert(format!("datatype `{raw}` upper-cased"));
        return Some(raw.to_ascii_uppercase());
    }
    Some(raw.to_owned())
}

/// Fields or components from hl7apy, with description/length from the dictionary's list at the
/// same position.
fn fields(items: &[Value], dict: &[Value], notes: &mut BTreeSet<String>) -> Vec<Field> {
    items
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let d = dict.get(i);
            let seq = f
                .get("seq")
                .and_then(Value::as_u64)
                .map_or(i as u32 + 1, |s| s as u32);
            build::field(
                seq,
                str_of(f, "name").unwrap_or_default().to_owned(),
                non_empty(d.and_then(|d| str_of(d, "desc"))),
                datatype_name(f.get("datatype"), notes),
                min_of(f.get("min")),
                max_of(f.get("max")),
                table_ref(f.get("table"), notes),
                d.and_then(|d| d.get("len"))
                    .and_then(Value::as_u64)
                    .map(|l| l as u32),
            )
        })
        .collect()
}

fn node(v: &Value) -> Node {
    let (name, group) = match (str_of(v, "segment"), str_of(v, "group")) {
        (Some(s), _) => (s, false),
        (None, Some(g)) => (g, true),
        (None, None) => ("", false),
    };
    build::node(
        name.to_owned(),
        group,
        str_of(v, "kind") == Some("choice"),
        min_of(v.get("min")),
        max_of(v.get("max")),
        arr(v, "children").iter().map(node).collect(),
    )
}

fn flatten_hl7apy(children: &[Value], out: &mut Vec<String>) {
    for c in children {
        if let Some(s) = str_of(c, "segment") {
            out.push(s.to_owned());
        }
        flatten_hl7apy(arr(c, "children"), out);
    }
}

fn flatten_dict(children: &[Value], out: &mut Vec<String>) {
    for c in children {
        let kids = arr(c, "children");
        if kids.is_empty() {
            if let Some(s) = str_of(c, "name") {
                out.push(s.to_owned());
            }
        } else {
            flatten_dict(kids, out);
        }
    }
}

pub(super) fn reduce(
    data: &Path,
    notes_out: &mut Vec<String>,
) -> Result<Vec<(String, String)>, String> {
    let displays = Displays::load(data)?;
    let events_file = read_json(&data.join("hl7v2-defs/message-structure-events-v2.9.json"))?;
    let mut s2e: Vec<(String, Vec<String>)> = Vec::new();
    if let Some(Value::Object(m)) = events_file.get("structure_to_events") {
        for (s, evs) in m {
            let evs = evs.as_array().map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            });
            s2e.push((s.clone(), evs.unwrap_or_default()));
        }
    }
    let mut files = Vec::new();
    let mut index = NameIndex::default();
    for (vi, version) in Hl7Version::ALL.into_iter().enumerate() {
        let bit = 1u8 << vi;
        let mut notes = BTreeSet::new();
        let apy = read_json(&data.join(format!("hl7v2-defs/hl7apy/hl7v2-{version}.json")))?;
        let dict_path = data.join(format!("hl7v2-defs/hl7-dictionary/hl7v2-{version}.json"));
        let dict = if dict_path.exists() {
            Some(read_json(&dict_path)?)
        } else {
            None
        };
        let empty = Value::Null;
        let dict = dict.as_ref().unwrap_or(&empty);

        let primitives: Vec<String> = arr(&apy, "primitive_datatypes")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();

        let mut segments = Vec::new();
        if let Some(Value::Object(m)) = apy.get("segments") {
            for (id, s) in m {
                let d = dict.get("segments").and_then(|d| d.get(id));
                let f = fields(
                    arr(s, "fields"),
                    d.map(|d| arr(d, "fields")).unwrap_or(&[]),
                    &mut notes,
                );
                segments.push(build::segment(
                    id.clone(),
                    non_empty(d.and_then(|d| str_of(d, "desc"))),
                    f,
                ));
                index
                    .segments
                    .entry(id.clone())
                    .and_modify(|b| *b |= bit)
                    .or_insert(bit);
            }
        }

        let mut composites = Vec::new();
        if let Some(Value::Object(m)) = apy.get("datatypes") {
            for (name, t) in m {
                let d = dict.get("fields").and_then(|d| d.get(name));
                let c = fields(
                    arr(t, "components"),
                    d.map(|d| arr(d, "subfields")).unwrap_or(&[]),
                    &mut notes,
                );
                composites.push(build::composite(
                    name.clone(),
                    non_empty(d.and_then(|d| str_of(d, "desc"))),
                    c,
                ));
                index
                    .datatypes
                    .entry(name.clone())
                    .and_modify(|b| *b |= bit)
                    .or_insert(bit);
            }
        }
        for p in &primitives {
            index
                .datatypes
                .entry(p.clone())
                .and_modify(|b| *b |= bit)
                .or_insert(bit);
        }

        // Tables: hl7apy's, plus every referenced table hl7apy lacks, borrowed.
        let mut referenced: BTreeSet<String> = BTreeSet::new();
        for f in segments
            .iter()
            .flat_map(Segment::fields)
            .chain(composites.iter().flat_map(Composite::components))
        {
            if let Some(t) = f.table() {
                referenced.insert(t.to_owned());
            }
        }
        let mut tables: BTreeMap<String, Table> = BTreeMap::new();
        if let Some(Value::Object(m)) = apy.get("tables") {
            for (raw, t) in m {
                let id = normalize_table_id(raw);
                let codes = arr(t, "codes")
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|c| (c.to_owned(), displays.display(&id, c)))
                    .collect();
                tables.insert(
                    id.clone(),
                    build::table(id, non_empty(str_of(t, "name")), false, codes),
                );
            }
        }
        let (mut from_dict, mut from_tho, mut missing) = (0, 0, 0);
        for id in &referenced {
            if tables.contains_key(id) {
                continue;
            }
            if let Some((desc, values)) = displays.dict.get(id).filter(|(_, v)| !v.is_empty()) {
                let codes = values
                    .iter()
                    .map(|(c, _)| (c.clone(), displays.display(id, c)))
                    .collect();
                tables.insert(
                    id.clone(),
                    build::table(id.clone(), desc.clone(), true, codes),
                );
                from_dict += 1;
            } else if let Some((title, codes)) = displays.tho.get(id).filter(|(_, c)| !c.is_empty())
            {
                let mut codes: Vec<(String, Option<String>)> = codes
                    .iter()
                    .map(|(c, d)| (c.clone(), Some(d.clone())))
                    .collect();
                codes.sort();
                tables.insert(
                    id.clone(),
                    build::table(id.clone(), title.clone(), true, codes),
                );
                from_tho += 1;
            } else {
                missing += 1;
            }
        }
        notes.insert(format!(
            "tables: {} from hl7apy, {from_dict} referenced-only borrowed from hl7-dictionary, {from_tho} from THO v2.9, {missing} referenced but defined nowhere",
            tables.len() - from_dict - from_tho
        ));
        for id in tables.keys() {
            index
                .tables
                .entry(id.clone())
                .and_modify(|b| *b |= bit)
                .or_insert(bit);
        }

        let mut structures = Vec::new();
        let mut flat: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if let Some(Value::Object(m)) = apy.get("messages") {
            for (name, s) in m {
                structures.push(build::structure(
                    name.clone(),
                    arr(s, "children").iter().map(node).collect(),
                ));
                let mut f = Vec::new();
                flatten_hl7apy(arr(s, "children"), &mut f);
                flat.insert(name.clone(), f);
                index
                    .structures
                    .entry(name.clone())
                    .and_modify(|b| *b |= bit)
                    .or_insert(bit);
            }
        }

        let events = events(&flat, &s2e, dict, &mut notes);
        for [m, e, _] in &events {
            index
                .events
                .entry(format!("{m}^{e}"))
                .and_modify(|b| *b |= bit)
                .or_insert(bit);
        }
        // Dangling datatype references (hl7apy quirks), reported, not invented.
        let known: BTreeSet<&str> = primitives
            .iter()
            .map(String::as_str)
            .chain(composites.iter().map(Composite::name))
            .collect();
        let dangling: BTreeSet<&str> = segments
            .iter()
            .flat_map(Segment::fields)
            .chain(composites.iter().flat_map(Composite::components))
            .filter_map(Field::datatype)
            .filter(|d| *d != crate::VARIES && !known.contains(d))
            .collect();
        if !dangling.is_empty() {
            notes.insert(format!(
                "datatypes referenced but not defined: {dangling:?}"
            ));
        }

        let tables: Vec<Table> = tables.into_values().collect();
        let schema = build::schema(
            version.as_str(),
            primitives,
            structures,
            segments,
            composites,
            tables,
            events,
        );
        files.push((format!("hl7v2-{version}.json"), to_lines(&schema)?));
        notes_out.extend(notes.into_iter().map(|n| format!("hl7v2 {version}: {n}")));
    }
    files.push(("hl7v2-index.json".to_owned(), to_lines(&index)?));
    Ok(files)
}

/// Trigger event → structure for one version, in precedence order:
/// 1. a structure named exactly `TYPE_EVENT` in this version;
/// 2. table 0354 (v2.9) restricted to structures of this version (ambiguous → the one whose
///    segments match hl7-dictionary's event-keyed message, else the first by name);
/// 3. hl7-dictionary's event-keyed message (`ADT_A05` in 2.3) matched to the hl7apy structure
///    with the same segment sequence.
fn events(
    flat: &BTreeMap<String, Vec<String>>,
    s2e: &[(String, Vec<String>)],
    dict: &Value,
    notes: &mut BTreeSet<String>,
) -> Vec<[String; 3]> {
    let dict_msgs: BTreeMap<String, Vec<String>> = match dict.get("messages") {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                let mut f = Vec::new();
                flatten_dict(
                    v.get("segments").map(|s| arr(s, "segments")).unwrap_or(&[]),
                    &mut f,
                );
                (k.clone(), f)
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    let dict_match = |key: &str, candidates: &mut dyn Iterator<Item = &String>| -> Option<String> {
        let segs = dict_msgs.get(key)?;
        for c in candidates {
            if flat.get(c) == Some(segs) {
                return Some(c.clone());
            }
        }
        None
    };
    let split = |s: &str| s.split_once('_').map(|(m, e)| (m.to_owned(), e.to_owned()));

    let mut out: BTreeMap<(String, String), String> = BTreeMap::new();
    // 1. exact names
    for name in flat.keys() {
        if let Some(k) = split(name) {
            out.insert(k, name.clone());
        }
    }
    // 2. table 0354
    let mut cands: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (s, evs) in s2e {
        if !flat.contains_key(s) {
            continue;
        }
        let Some((m, _)) = split(s) else { continue };
        for e in evs {
            cands
                .entry((m.clone(), e.clone()))
                .or_default()
                .push(s.clone());
        }
    }
    for (k, list) in cands {
        if out.contains_key(&k) {
            continue;
        }
        let pick = if list.len() == 1 {
            list[0].clone()
        } else {
            let key = format!("{}_{}", k.0, k.1);
            let chosen = dict_match(&key, &mut list.iter()).unwrap_or_else(|| list[0].clone());
            notes.insert(format!(
                "{}^{}: table 0354 lists {list:?}; chose {chosen}",
                k.0, k.1
            ));
            chosen
        };
        out.insert(k, pick);
    }
    // 3. hl7-dictionary event-keyed messages
    let mut from_dict = 0;
    for key in dict_msgs.keys() {
        let Some(k) = split(key) else { continue };
        if out.contains_key(&k) {
            continue;
        }
        let prefix = format!("{}_", k.0);
        if let Some(s) = dict_match(key, &mut flat.keys().filter(|n| n.starts_with(&prefix))) {
            out.insert(k, s);
            from_dict += 1;
        }
    }
    if from_dict > 0 {
        notes.insert(format!(
            "{from_dict} trigger events mapped via hl7-dictionary's event-keyed messages"
        ));
    }
    out.into_iter().map(|((m, e), s)| [m, e, s]).collect()
}
