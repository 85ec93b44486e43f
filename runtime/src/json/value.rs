//! The tree the reader produces, and how to query and re-write it.

use super::write::{JsonWriter, Style};
use crate::convert::Decimal;

/// A JSON value read from FHIR JSON. Numbers keep their source text; object
/// members keep their source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `null` (FHIR has it only inside primitive arrays).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as text.
    Number(Number),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Object),
}

/// A JSON number as its exact source text, e.g. `1.50` or `1e3`. Its grammar
/// is FHIR's decimal grammar, so every number is a valid FHIR decimal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Number(Box<str>);

impl Number {
    /// A number from text; `None` unless the text is a JSON number.
    pub fn new(text: &str) -> Option<Number> {
        Decimal::parse_fhir(text).ok().map(|_| Number(text.into()))
    }

    /// The source text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as a decimal (always succeeds: the text was validated).
    pub fn as_decimal(&self) -> Option<Decimal<'_>> {
        Decimal::parse_fhir(&self.0).ok()
    }

    /// The number as an integer, when it is written as one (no point, no
    /// exponent) and fits in `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }
}

/// A JSON object: members in source order, keys unique.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Object {
    members: Vec<(String, Value)>,
}

impl Object {
    /// An empty object.
    pub fn new() -> Self {
        Object::default()
    }

    /// Appends a member. Returns `false`, and leaves the object unchanged,
    /// when `key` is already present.
    pub fn push(&mut self, key: String, value: Value) -> bool {
        if self.get(&key).is_some() {
            return false;
        }
        self.members.push((key, value));
        true
    }

    /// The member named `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Members in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.members.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True without members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub(super) fn from_members_unchecked(members: Vec<(String, Value)>) -> Self {
        Object { members }
    }
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    /// `resourceType` of a resource.
    pub fn resource_type(&self) -> Option<&str> {
        self.get("resourceType")?.as_str()
    }

    /// The value at a JSON pointer (RFC 6901: `/entry/0/resource`, with `~1`
    /// for `/` and `~0` for `~` in keys). `""` is the value itself.
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        rest.split('/').try_fold(self, |value, token| {
            let token = token.replace("~1", "/").replace("~0", "~");
            match value {
                Value::Object(o) => o.get(&token),
                Value::Array(items) => {
                    // RFC 6901: no leading zeros, no sign.
                    if token.len() > 1 && token.starts_with('0') {
                        return None;
                    }
                    items.get(token.parse::<usize>().ok()?)
                }
                _ => None,
            }
        })
    }

    /// All values at a FHIR element path, in document order.
    ///
    /// The path is dot-separated element names, as in FHIRPath: `name.given`
    /// walks into every repetition of `name` and yields every `given`;
    /// arrays are flattened at each step. `name[1].given` picks the second
    /// repetition (0-based, as FHIRPath). An empty result means the element
    /// is absent. A path with bad syntax yields nothing.
    pub fn select(&self, path: &str) -> Vec<&Value> {
        let mut current = vec![self];
        for step in path.split('.') {
            let (name, index) = match step.split_once('[') {
                Some((name, rest)) => {
                    match rest.strip_suffix(']').and_then(|i| i.parse::<usize>().ok()) {
                        Some(i) => (name, Some(i)),
                        None => return Vec::new(),
                    }
                }
                None => (step, None),
            };
            let mut next = Vec::new();
            for value in current {
                match value.get(name) {
                    Some(Value::Array(items)) => match index {
                        Some(i) => next.extend(items.get(i)),
                        None => next.extend(items.iter()),
                    },
                    Some(v) if index.is_none_or(|i| i == 0) => next.push(v),
                    _ => {}
                }
            }
            current = next;
        }
        current
    }

    /// Writes this value as JSON under the writer's elision rules: empty
    /// strings, `null` object members and containers left empty by them are
    /// not written; `null` array items are. Returns the bytes.
    pub fn to_json(&self, style: Style) -> Vec<u8> {
        let mut out = Vec::new();
        write_value(&mut JsonWriter::new(&mut out, style), self);
        out
    }
}

/// Writes `value` as a top-level value or array item (see
/// [`Value::to_json`] for what is elided).
pub fn write_value(w: &mut JsonWriter<'_>, value: &Value) {
    match value {
        Value::Null => w.item_null(),
        Value::Bool(b) => w.item_bool(*b),
        Value::Number(n) => w.item_number(n),
        Value::String(s) => w.item_str(s),
        Value::Array(items) => {
            let open = w.begin_array();
            items.iter().for_each(|item| write_value(w, item));
            w.end(open);
        }
        Value::Object(o) => {
            let open = w.begin_object();
            write_members(w, o);
            w.end(open);
        }
    }
}

fn write_members(w: &mut JsonWriter<'_>, object: &Object) {
    for (key, value) in object.iter() {
        match value {
            Value::Null => {}
            Value::Bool(b) => w.member_bool(key, *b),
            Value::Number(n) => w.member_number(key, n),
            Value::String(s) => w.member_str(key, s),
            Value::Array(items) => {
                let open = w.member_array(key);
                items.iter().for_each(|item| write_value(w, item));
                w.end(open);
            }
            Value::Object(o) => {
                let open = w.member_object(key);
                write_members(w, o);
                w.end(open);
            }
        }
    }
}

/// The resources of a Bundle (`entry[*].resource`), in order; nothing for a
/// value that is not a Bundle.
pub fn bundle_resources(bundle: &Value) -> impl Iterator<Item = &Value> {
    let entries = match bundle.resource_type() {
        Some("Bundle") => bundle.get("entry").and_then(Value::as_array),
        _ => None,
    };
    entries
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| entry.get("resource"))
}
