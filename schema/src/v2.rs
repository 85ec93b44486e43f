//! HL7 v2 definitions of one version: message structures, segments, datatypes, tables.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::suggest::suggestions;
use crate::{Cardinality, LookupError};

/// An HL7 v2 version Ferry has definitions for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Hl7Version {
    /// 2.3
    V2_3,
    /// 2.3.1
    V2_3_1,
    /// 2.4
    V2_4,
    /// 2.5
    V2_5,
    /// 2.5.1
    V2_5_1,
    /// 2.6
    V2_6,
    /// 2.7
    V2_7,
    /// 2.8
    V2_8,
}

impl Hl7Version {
    /// Every supported version, oldest first.
    pub const ALL: [Hl7Version; 8] = [
        Hl7Version::V2_3,
        Hl7Version::V2_3_1,
        Hl7Version::V2_4,
        Hl7Version::V2_5,
        Hl7Version::V2_5_1,
        Hl7Version::V2_6,
        Hl7Version::V2_7,
        Hl7Version::V2_8,
    ];

    /// The version as written in MSH-12, e.g. `"2.5.1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Hl7Version::V2_3 => "2.3",
            Hl7Version::V2_3_1 => "2.3.1",
            Hl7Version::V2_4 => "2.4",
            Hl7Version::V2_5 => "2.5",
            Hl7Version::V2_5_1 => "2.5.1",
            Hl7Version::V2_6 => "2.6",
            Hl7Version::V2_7 => "2.7",
            Hl7Version::V2_8 => "2.8",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn data(self) -> &'static str {
        match self {
            Hl7Version::V2_3 => include_str!("../data/hl7v2-2.3.json"),
            Hl7Version::V2_3_1 => include_str!("../data/hl7v2-2.3.1.json"),
            Hl7Version::V2_4 => include_str!("../data/hl7v2-2.4.json"),
            Hl7Version::V2_5 => include_str!("../data/hl7v2-2.5.json"),
            Hl7Version::V2_5_1 => include_str!("../data/hl7v2-2.5.1.json"),
            Hl7Version::V2_6 => include_str!("../data/hl7v2-2.6.json"),
            Hl7Version::V2_7 => include_str!("../data/hl7v2-2.7.json"),
            Hl7Version::V2_8 => include_str!("../data/hl7v2-2.8.json"),
        }
    }
}

impl fmt::Display for Hl7Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unsupported version string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedVersion(pub String);

impl fmt::Display for UnsupportedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HL7 v2 version `{}` is not supported (supported: 2.3, 2.3.1, 2.4, 2.5, 2.5.1, 2.6, 2.7, 2.8)",
            self.0
        )
    }
}

impl std::error::Error for UnsupportedVersion {}

impl FromStr for Hl7Version {
    type Err = UnsupportedVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        Hl7Version::ALL
            .into_iter()
            .find(|v| v.as_str() == t)
            .ok_or_else(|| UnsupportedVersion(s.to_owned()))
    }
}

/// The definitions of one HL7 v2 version, lazily parsed from the embedded data on first use.
///
/// # Errors
/// Returns [`LookupError::CorruptData`] only if the embedded data cannot be parsed, which the
/// crate's tests rule out.
pub fn hl7v2(version: Hl7Version) -> Result<&'static V2Schema, LookupError> {
    static CELLS: [OnceLock<Result<V2Schema, String>>; 8] = [const { OnceLock::new() }; 8];
    let cell = &CELLS[version.index()];
    cell.get_or_init(|| V2Schema::parse(version.data()))
        .as_ref()
        .map_err(|e| LookupError::CorruptData {
            file: format!("hl7v2-{version}.json"),
            message: e.clone(),
        })
}

/// Parse a fresh, uncached copy of one version's embedded data (what [`hl7v2`] does once).
/// For benchmarks; the checker should use [`hl7v2`].
///
/// # Errors
/// [`LookupError::CorruptData`] if the embedded data cannot be parsed.
pub fn parse_hl7v2_uncached(version: Hl7Version) -> Result<V2Schema, LookupError> {
    V2Schema::parse(version.data()).map_err(|message| LookupError::CorruptData {
        file: format!("hl7v2-{version}.json"),
        message,
    })
}

/// In which versions a name exists (from the embedded name index).
#[derive(Debug, Default, Serialize, Deserialize)]
#[doc(hidden)]
pub struct NameIndex {
    /// Structure name → version bitmask (bit i = `Hl7Version::ALL[i]`).
    pub structures: std::collections::BTreeMap<String, u8>,
    /// Segment id → version bitmask.
    pub segments: std::collections::BTreeMap<String, u8>,
    /// Datatype name → version bitmask.
    pub datatypes: std::collections::BTreeMap<String, u8>,
    /// Table id → version bitmask.
    pub tables: std::collections::BTreeMap<String, u8>,
    /// `MSG^EVT` → version bitmask.
    pub events: std::collections::BTreeMap<String, u8>,
}

fn name_index() -> Option<&'static NameIndex> {
    static INDEX: OnceLock<Option<NameIndex>> = OnceLock::new();
    INDEX
        .get_or_init(|| serde_json::from_str(include_str!("../data/hl7v2-index.json")).ok())
        .as_ref()
}

fn versions_from_mask(mask: u8) -> Vec<Hl7Version> {
    Hl7Version::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, v)| v)
        .collect()
}

fn exists_in(
    pick: fn(&NameIndex) -> &std::collections::BTreeMap<String, u8>,
    name: &str,
) -> Vec<Hl7Version> {
    name_index()
        .and_then(|ix| pick(ix).get(name).copied())
        .map(versions_from_mask)
        .unwrap_or_default()
}

/// One version's definitions. Obtain with [`hl7v2`].
#[derive(Debug, Serialize, Deserialize)]
pub struct V2Schema {
    #[serde(rename = "version")]
    version_str: String,
    /// Primitive datatype names (ST, NM, DTM, ...).
    primitives: Vec<String>,
    structures: Vec<Structure>,
    segments: Vec<Segment>,
    datatypes: Vec<Composite>,
    tables: Vec<Table>,
    /// `[message type, trigger event, structure]`.
    events: Vec<[String; 3]>,
    #[serde(skip)]
    index: V2Index,
}

#[derive(Debug, Default)]
struct V2Index {
    structures: HashMap<String, usize>,
    segments: HashMap<String, usize>,
    datatypes: HashMap<String, usize>,
    tables: HashMap<String, usize>,
    events: HashMap<(String, String), String>,
}

/// Each item's position under its name.
fn positions<T>(items: &[T], name: impl Fn(&T) -> &String) -> HashMap<String, usize> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| (name(item).clone(), i))
        .collect()
}

/// What a datatype name denotes in a version.
#[derive(Debug, Clone, Copy)]
pub enum Datatype<'a> {
    /// A primitive (ST, NM, ID, DTM, ...): no components.
    Primitive(&'a str),
    /// A composite with components (XPN, CX, ...).
    Composite(&'a Composite),
    /// `varies`: the type is chosen at run time (OBX-5 by OBX-2, and a few others).
    Varies,
}

impl<'a> Datatype<'a> {
    /// The datatype's name (`"varies"` for [`Datatype::Varies`]).
    pub fn name(&self) -> &'a str {
        match self {
            Datatype::Primitive(n) => n,
            Datatype::Composite(c) => &c.name,
            Datatype::Varies => VARIES,
        }
    }

    /// Component `seq` (1-based) of a composite; `None` for primitives, `varies`, or out of range.
    pub fn component(&self, seq: usize) -> Option<&'a Component> {
        match self {
            Datatype::Composite(c) => c.component(seq),
            _ => None,
        }
    }

    /// The components of a composite (empty for primitives and `varies`).
    pub fn components(&self) -> &'a [Component] {
        match self {
            Datatype::Composite(c) => &c.components,
            _ => &[],
        }
    }
}

/// The datatype name hl7apy uses for "decided at run time" (OBX-5 and friends).
pub const VARIES: &str = "varies";

impl V2Schema {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut s: V2Schema = serde_json::from_str(text).map_err(|e| e.to_string())?;
        s.build_index();
        Ok(s)
    }

    fn build_index(&mut self) {
        let ix = &mut self.index;
        ix.structures = positions(&self.structures, |s| &s.name);
        ix.segments = positions(&self.segments, |s| &s.id);
        ix.datatypes = positions(&self.datatypes, |s| &s.name);
        ix.tables = positions(&self.tables, |s| &s.id);
        ix.events = self
            .events
            .iter()
            .map(|[m, e, s]| ((m.clone(), e.clone()), s.clone()))
            .collect();
    }

    /// The version these definitions belong to.
    pub fn version(&self) -> Hl7Version {
        self.version_str.parse().unwrap_or(Hl7Version::V2_5_1)
    }

    /// All message structures (ADT_A01, ORU_R01, ...).
    pub fn structures(&self) -> &[Structure] {
        &self.structures
    }

    /// All segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// All composite datatypes.
    pub fn composites(&self) -> &[Composite] {
        &self.datatypes
    }

    /// All primitive datatype names.
    pub fn primitives(&self) -> &[String] {
        &self.primitives
    }

    /// All tables.
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// All `(message type, trigger event, structure)` triples known for this version.
    pub fn events(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.events
            .iter()
            .map(|[m, e, s]| (m.as_str(), e.as_str(), s.as_str()))
    }

    /// A message structure by id, e.g. `"ADT_A01"`.
    ///
    /// # Errors
    /// [`LookupError::UnknownStructure`] with close names and the versions that have it.
    pub fn structure(&self, name: &str) -> Result<&Structure, LookupError> {
        match self.index.structures.get(name) {
            Some(&i) => Ok(&self.structures[i]),
            None => Err(LookupError::UnknownStructure {
                version: self.version(),
                name: name.to_owned(),
                suggestions: suggestions(name, self.structures.iter().map(|s| s.name.as_str())),
                exists_in: exists_in(|ix| &ix.structures, name),
            }),
        }
    }

    /// The structure a message type and trigger event use, e.g. `("ADT", "A04")` → ADT_A01.
    ///
    /// Falls back to a structure named like the message type alone (`ACK`, `QRY`).
    ///
    /// # Errors
    /// [`LookupError::UnknownEvent`] when the pair has no structure in this version.
    pub fn structure_for_event(
        &self,
        message_type: &str,
        trigger: &str,
    ) -> Result<&Structure, LookupError> {
        let key = (message_type.to_owned(), trigger.to_owned());
        if let Some(s) = self.index.events.get(&key) {
            return self.structure(s);
        }
        if let Some(&i) = self.index.structures.get(message_type) {
            return Ok(&self.structures[i]);
        }
        let wanted = format!("{message_type}^{trigger}");
        Err(LookupError::UnknownEvent {
            version: self.version(),
            message_type: message_type.to_owned(),
            trigger: trigger.to_owned(),
            suggestions: suggestions(
                &wanted,
                self.events
                    .iter()
                    .map(|[m, e, _]| format!("{m}^{e}"))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str),
            ),
            exists_in: exists_in(|ix| &ix.events, &wanted),
        })
    }

    /// A segment by id, e.g. `"PID"`.
    ///
    /// # Errors
    /// [`LookupError::UnknownSegment`] with close names and the versions that have it.
    pub fn segment(&self, id: &str) -> Result<&Segment, LookupError> {
        match self.index.segments.get(id) {
            Some(&i) => Ok(&self.segments[i]),
            None => Err(LookupError::UnknownSegment {
                version: self.version(),
                name: id.to_owned(),
                suggestions: suggestions(id, self.segments.iter().map(|s| s.id.as_str())),
                exists_in: exists_in(|ix| &ix.segments, id),
            }),
        }
    }

    /// A field by reference, e.g. `"PID-5"` (also accepts `"PID.5"`).
    ///
    /// # Errors
    /// [`LookupError::BadReference`], [`LookupError::UnknownSegment`] or [`LookupError::UnknownField`].
    pub fn field(&self, reference: &str) -> Result<&Field, LookupError> {
        let bad = || LookupError::BadReference {
            text: reference.to_owned(),
        };
        let (seg, seq) = reference.split_once(['-', '.']).ok_or_else(bad)?;
        let seq: usize = seq.parse().map_err(|_| bad())?;
        self.segment(seg)?.field(seq).ok_or_else(|| {
            let fields = self.segment(seg).map(|s| s.fields.len()).unwrap_or(0);
            let later: Vec<Hl7Version> = Hl7Version::ALL
                .into_iter()
                .filter(|v| *v != self.version())
                .filter(|v| {
                    exists_in(|ix| &ix.segments, seg).contains(v)
                        && hl7v2(*v)
                            .ok()
                            .and_then(|s| s.segment(seg).ok())
                            .is_some_and(|s| s.fields.len() >= seq)
                })
                .collect();
            LookupError::UnknownField {
                version: self.version(),
                segment: seg.to_owned(),
                seq,
                field_count: fields,
                exists_in: later,
            }
        })
    }

    /// Resolve a field, component or subcomponent reference such as `"PID-5"`, `"PID-5.1"` or
    /// `"PID-5.1.1"` to the field or component it names (repetition indexes are not part of it).
    ///
    /// # Errors
    /// As [`V2Schema::field`], plus [`LookupError::UnknownComponent`] when a step asks for a
    /// component the datatype lacks or steps into a primitive or `varies`.
    pub fn resolve(&self, reference: &str) -> Result<&Field, LookupError> {
        let mut parts = reference.split('.');
        let head = parts.next().unwrap_or_default();
        let mut cur = self.field(head)?;
        for part in parts {
            let seq: usize = part.parse().map_err(|_| LookupError::BadReference {
                text: reference.to_owned(),
            })?;
            let name = cur.datatype().unwrap_or_default();
            let dt = self.datatype(name)?;
            cur = dt
                .component(seq)
                .ok_or_else(|| LookupError::UnknownComponent {
                    version: self.version(),
                    datatype: name.to_owned(),
                    seq,
                    component_count: dt.components().len(),
                })?;
        }
        Ok(cur)
    }

    /// What a datatype name denotes: primitive, composite or `varies`.
    ///
    /// # Errors
    /// [`LookupError::UnknownDatatype`] with close names and the versions that have it.
    pub fn datatype(&self, name: &str) -> Result<Datatype<'_>, LookupError> {
        if name == VARIES {
            return Ok(Datatype::Varies);
        }
        if let Some(&i) = self.index.datatypes.get(name) {
            return Ok(Datatype::Composite(&self.datatypes[i]));
        }
        if let Some(p) = self.primitives.iter().find(|p| *p == name) {
            return Ok(Datatype::Primitive(p));
        }
        Err(LookupError::UnknownDatatype {
            version: self.version(),
            name: name.to_owned(),
            suggestions: suggestions(
                name,
                self.datatypes
                    .iter()
                    .map(|d| d.name.as_str())
                    .chain(self.primitives.iter().map(String::as_str)),
            ),
            exists_in: exists_in(|ix| &ix.datatypes, name),
        })
    }

    /// A table by id: `"0001"`, `"1"` or `"HL70001"` all name table 0001.
    ///
    /// # Errors
    /// [`LookupError::UnknownTable`] with the versions that have it.
    pub fn table(&self, id: &str) -> Result<&Table, LookupError> {
        let norm = normalize_table_id(id);
        match self.index.tables.get(&norm) {
            Some(&i) => Ok(&self.tables[i]),
            None => Err(LookupError::UnknownTable {
                version: self.version(),
                id: norm.clone(),
                suggestions: suggestions(&norm, self.tables.iter().map(|t| t.id.as_str())),
                exists_in: exists_in(|ix| &ix.tables, &norm),
            }),
        }
    }
}

/// `"HL70001"`, `"1"`, `"0001"` → `"0001"`.
pub fn normalize_table_id(id: &str) -> String {
    let t = id.trim();
    let t = t
        .strip_prefix("HL7")
        .or_else(|| t.strip_prefix("hl7"))
        .unwrap_or(t);
    if !t.is_empty() && t.len() < 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        format!("{t:0>4}")
    } else {
        t.to_owned()
    }
}

/// A message structure (ADT_A01): an ordered sequence of segments and groups.
#[derive(Debug, Serialize, Deserialize)]
pub struct Structure {
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "c")]
    children: Vec<Node>,
}

impl Structure {
    /// The structure id, e.g. `"ADT_A01"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The top-level segments and groups, in order.
    pub fn children(&self) -> &[Node] {
        &self.children
    }

    /// A direct child segment or group by name (groups by their short name `PROCEDURE`
    /// or their full name `ADT_A01_PROCEDURE`). The first occurrence wins.
    pub fn child(&self, name: &str) -> Option<&Node> {
        find_child(&self.name, &self.children, name)
    }

    /// Every node of the structure, depth first.
    pub fn walk(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        fn go<'a>(nodes: &'a [Node], out: &mut Vec<&'a Node>) {
            for n in nodes {
                out.push(n);
                go(&n.children, out);
            }
        }
        go(&self.children, &mut out);
        out
    }

    /// Whether a segment occurs anywhere in the structure (in any group).
    pub fn contains_segment(&self, id: &str) -> bool {
        self.walk().iter().any(|n| !n.group && n.name == id)
    }
}

fn find_child<'a>(owner: &str, children: &'a [Node], name: &str) -> Option<&'a Node> {
    children
        .iter()
        .find(|n| n.name == name || (n.group && n.short_name_in(owner) == name))
}

/// A child of a structure or group: a segment or a nested group.
#[derive(Debug, Serialize, Deserialize)]
pub struct Node {
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "g", default, skip_serializing_if = "is_false")]
    group: bool,
    #[serde(rename = "k", default, skip_serializing_if = "is_false")]
    choice: bool,
    #[serde(rename = "i")]
    min: u32,
    #[serde(rename = "x")]
    max: Option<u32>,
    #[serde(rename = "c", default, skip_serializing_if = "Vec::is_empty")]
    children: Vec<Node>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Node {
    /// A segment id (`"PID"`) or a group's full name (`"ADT_A01_PROCEDURE"`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// For a group, its name without the structure prefix (`"PROCEDURE"`); for a segment, its id.
    pub fn short_name_in<'a>(&'a self, structure: &str) -> &'a str {
        if self.group {
            self.name
                .strip_prefix(structure)
                .and_then(|r| r.strip_prefix('_'))
                .unwrap_or(&self.name)
        } else {
            &self.name
        }
    }

    /// Whether this is a group (otherwise a segment).
    pub fn is_group(&self) -> bool {
        self.group
    }

    /// Whether this group is a choice (exactly one child occurs) rather than a sequence.
    pub fn is_choice(&self) -> bool {
        self.choice
    }

    /// How often the segment or group occurs.
    pub fn cardinality(&self) -> Cardinality {
        Cardinality {
            min: self.min,
            max: self.max,
        }
    }

    /// A group's children (empty for a segment).
    pub fn children(&self) -> &[Node] {
        &self.children
    }

    /// A direct child by name (see [`Structure::child`]), given the owning structure's id.
    pub fn child(&self, structure: &str, name: &str) -> Option<&Node> {
        find_child(structure, &self.children, name)
    }
}

/// A segment (PID): an ordered list of fields.
#[derive(Debug, Serialize, Deserialize)]
pub struct Segment {
    #[serde(rename = "n")]
    id: String,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(rename = "f")]
    fields: Vec<Field>,
}

impl Segment {
    /// The segment id, e.g. `"PID"`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Human description from hl7-dictionary (absent for 2.8 and for segments it lacks).
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The fields, in order (`fields()[0]` is field 1).
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Field `seq` (1-based), if the segment has it.
    pub fn field(&self, seq: usize) -> Option<&Field> {
        seq.checked_sub(1).and_then(|i| self.fields.get(i))
    }

    /// Whether this is hl7apy's pseudo-segment `ANYHL7SEGMENT` (a wildcard slot).
    pub fn is_wildcard(&self) -> bool {
        self.id == "ANYHL7SEGMENT"
    }
}

/// A field of a segment or a component of a composite datatype.
#[derive(Debug, Serialize, Deserialize)]
pub struct Field {
    #[serde(rename = "s")]
    seq: u32,
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    datatype: Option<String>,
    #[serde(rename = "i")]
    min: u32,
    #[serde(rename = "x")]
    max: Option<u32>,
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    table: Option<String>,
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    length: Option<u32>,
}

/// A component of a composite datatype (same shape as a field).
pub type Component = Field;

impl Field {
    /// The 1-based position.
    pub fn seq(&self) -> usize {
        self.seq as usize
    }

    /// hl7apy's name, e.g. `"PATIENT_NAME"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// hl7-dictionary's description, e.g. `"Patient Name"`, where it has one.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The datatype name (`"XPN"`, `"ST"`, `"varies"`); `None` for a withdrawn/reserved
    /// position that has no type (e.g. OBX-20 in 2.5.1).
    pub fn datatype(&self) -> Option<&str> {
        self.datatype.as_deref()
    }

    /// Whether the position is withdrawn (no datatype, max 0).
    pub fn is_withdrawn(&self) -> bool {
        self.datatype.is_none()
    }

    /// Optionality (min 1 = required) and repetition (max > 1 or unbounded = repeating).
    pub fn cardinality(&self) -> Cardinality {
        Cardinality {
            min: self.min,
            max: self.max,
        }
    }

    /// Whether the field repeats.
    pub fn repeats(&self) -> bool {
        self.cardinality().is_repeating()
    }

    /// Whether the field is required.
    pub fn is_required(&self) -> bool {
        self.min > 0
    }

    /// The HL7 table id (`"0001"`), if the field is coded against one.
    pub fn table(&self) -> Option<&str> {
        self.table.as_deref()
    }

    /// Maximum length from hl7-dictionary, where known (none for 2.8).
    pub fn length(&self) -> Option<u32> {
        self.length
    }
}

/// A composite datatype (XPN, CX, ...).
#[derive(Debug, Serialize, Deserialize)]
pub struct Composite {
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(rename = "c")]
    components: Vec<Component>,
}

impl Composite {
    /// The datatype name, e.g. `"XPN"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Human description from hl7-dictionary, where known.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The components in order.
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// Component `seq` (1-based).
    pub fn component(&self, seq: usize) -> Option<&Component> {
        seq.checked_sub(1).and_then(|i| self.components.get(i))
    }
}

/// An HL7 table: a code list.
#[derive(Debug, Serialize, Deserialize)]
pub struct Table {
    #[serde(rename = "n")]
    id: String,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// Codes came from hl7-dictionary's version-independent set, not this version's hl7apy tables.
    #[serde(rename = "v", default, skip_serializing_if = "is_false")]
    borrowed: bool,
    #[serde(rename = "c")]
    codes: Vec<TableCode>,
}

/// A code of an HL7 table: `[code, display]`.
#[derive(Debug, Serialize, Deserialize)]
pub struct TableCode(
    String,
    #[serde(default, skip_serializing_if = "Option::is_none")] Option<String>,
);

impl TableCode {
    /// The code, e.g. `"F"`.
    pub fn code(&self) -> &str {
        &self.0
    }

    /// The display, e.g. `"Female"`, where known.
    pub fn display(&self) -> Option<&str> {
        self.1.as_deref()
    }
}

impl Table {
    /// The 4-digit id, e.g. `"0001"`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The table's name, e.g. `"Administrative Sex"`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Whether the codes were taken from hl7-dictionary's version-independent table set
    /// because hl7apy has no codes for this table in this version (all of 2.3).
    pub fn is_borrowed(&self) -> bool {
        self.borrowed
    }

    /// The codes in source order.
    pub fn codes(&self) -> &[TableCode] {
        &self.codes
    }

    /// Whether `code` is in the table.
    pub fn contains(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c.0 == code)
    }
}

#[cfg(any(test, feature = "reduce"))]
#[doc(hidden)]
pub mod build {
    //! Constructors for the reduction (feature `reduce`).
    use super::*;

    /// Assemble a schema from parts (the index is built on load, not here).
    #[allow(clippy::too_many_arguments)]
    pub fn schema(
        version: &str,
        primitives: Vec<String>,
        structures: Vec<Structure>,
        segments: Vec<Segment>,
        datatypes: Vec<Composite>,
        tables: Vec<Table>,
        events: Vec<[String; 3]>,
    ) -> V2Schema {
        V2Schema {
            version_str: version.to_owned(),
            primitives,
            structures,
            segments,
            datatypes,
            tables,
            events,
            index: V2Index::default(),
        }
    }

    /// A structure.
    pub fn structure(name: String, children: Vec<Node>) -> Structure {
        Structure { name, children }
    }

    /// A structure child.
    pub fn node(
        name: String,
        group: bool,
        choice: bool,
        min: u32,
        max: Option<u32>,
        children: Vec<Node>,
    ) -> Node {
        Node {
            name,
            group,
            choice,
            min,
            max,
            children,
        }
    }

    /// A segment.
    pub fn segment(id: String, description: Option<String>, fields: Vec<Field>) -> Segment {
        Segment {
            id,
            description,
            fields,
        }
    }

    /// A field or component.
    #[allow(clippy::too_many_arguments)]
    pub fn field(
        seq: u32,
        name: String,
        description: Option<String>,
        datatype: Option<String>,
        min: u32,
        max: Option<u32>,
        table: Option<String>,
        length: Option<u32>,
    ) -> Field {
        Field {
            seq,
            name,
            description,
            datatype,
            min,
            max,
            table,
            length,
        }
    }

    /// A composite datatype.
    pub fn composite(
        name: String,
        description: Option<String>,
        components: Vec<Field>,
    ) -> Composite {
        Composite {
            name,
            description,
            components,
        }
    }

    /// A table.
    pub fn table(
        id: String,
        name: Option<String>,
        borrowed: bool,
        codes: Vec<(String, Option<String>)>,
    ) -> Table {
        Table {
            id,
            name,
            borrowed,
            codes: codes.into_iter().map(|(c, d)| TableCode(c, d)).collect(),
        }
    }
}
