//! The output tree a map builds, how rules place values into it, and how it
//! is written as JSON.

use std::borrow::Cow;

use super::{Ctx, R};
use crate::convert::Decimal;
use crate::error::Rejection;
use crate::json::{JsonWriter, Style};

/// The output being built: members in the order the rules set them. Keys
/// and constants borrow from the program, text from the message.
#[derive(Debug, Clone)]
pub enum Out<'a> {
    Obj(Vec<(Cow<'a, str>, Out<'a>)>),
    Arr(Vec<Out<'a>>),
    Str(Cow<'a, str>),
    Num(Cow<'a, str>),
    Int(i64),
    Bool(bool),
}

impl<'a> Out<'a> {
    /// Whether nothing would be written: an empty string, or objects and
    /// arrays holding only such.
    pub fn is_empty(&self) -> bool {
        match self {
            Out::Obj(m) => m.iter().all(|(_, v)| v.is_empty()),
            Out::Arr(a) => a.iter().all(Out::is_empty),
            Out::Str(s) => s.is_empty(),
            _ => false,
        }
    }

    fn member_mut(&mut self, name: &'a str) -> Option<&mut Out<'a>> {
        let Out::Obj(members) = self else { return None };
        let at = match members.iter().position(|(k, _)| k == name) {
            Some(at) => at,
            None => {
                members.push((Cow::Borrowed(name), Out::Obj(Vec::new())));
                members.len() - 1
            }
        };
        members.get_mut(at).map(|(_, v)| v)
    }
}

/// How a target step addresses its element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `x`: the element itself.
    Single,
    /// `x[]`: a new item.
    Append,
    /// `x[n]`: the n-th item (from 1), created if needed.
    Index(u32),
}

/// One step of a target path: an element and how it is addressed.
pub trait Step {
    /// The element's name.
    fn name(&self) -> &str;
    /// How it is addressed.
    fn mode(&self) -> Mode;
}

impl Step for (&str, Mode) {
    fn name(&self) -> &str {
        self.0
    }
    fn mode(&self) -> Mode {
        self.1
    }
}

/// Puts values at a target path of `object`.
pub fn place<'a, S: Step>(object: &mut Out<'a>, target: &'a [S], mut values: Vec<Out<'a>>) {
    let Some((last, init)) = target.split_last() else {
        return;
    };
    if values.is_empty() {
        return;
    }
    let mut here = object;
    for step in init {
        let Some(member) = here.member_mut(step.name()) else {
            return;
        };
        here = match step.mode() {
            Mode::Single => {
                if !matches!(member, Out::Obj(_)) {
                    *member = Out::Obj(Vec::new());
                }
                member
            }
            mode @ (Mode::Append | Mode::Index(_)) => {
                if !matches!(member, Out::Arr(_)) {
                    *member = Out::Arr(Vec::new());
                }
                let Out::Arr(items) = member else { return };
                let at = match mode {
                    Mode::Index(n) => (n as usize).saturating_sub(1),
                    _ => items.len(),
                };
                while items.len() <= at {
                    items.push(Out::Obj(Vec::new()));
                }
                let Some(item) = items.get_mut(at) else {
                    return;
                };
                item
            }
        };
    }
    let Some(member) = here.member_mut(last.name()) else {
        return;
    };
    match last.mode() {
        Mode::Single => {
            if let Some(v) = values.drain(..).next() {
                *member = v;
            }
        }
        Mode::Append => {
            if !matches!(member, Out::Arr(_)) {
                *member = Out::Arr(Vec::new());
            }
            if let Out::Arr(items) = member {
                items.extend(values);
            }
        }
        Mode::Index(n) => {
            if !matches!(member, Out::Arr(_)) {
                *member = Out::Arr(Vec::new());
            }
            if let Out::Arr(items) = member {
                let at = (n as usize).saturating_sub(1);
                while items.len() <= at {
                    items.push(Out::Obj(Vec::new()));
                }
                if let (Some(slot), Some(v)) = (items.get_mut(at), values.drain(..).next()) {
                    *slot = v;
                }
            }
        }
    }
}

/// Whether `out` holds a non-empty value at the element names `steps`
/// (through arrays: any item).
pub fn has_path<S: AsRef<str>>(out: &Out<'_>, steps: &[S]) -> bool {
    let Some((first, rest)) = steps.split_first() else {
        return !out.is_empty();
    };
    match out {
        Out::Obj(members) => members
            .iter()
            .filter(|(k, _)| k == first.as_ref())
            .any(|(_, v)| has_path(v, rest)),
        Out::Arr(items) => items.iter().any(|item| has_path(item, steps)),
        _ => false,
    }
}

/// An element the completed object must hold (FHIR's required children).
pub fn check_required(
    cx: &Ctx<'_>,
    object: &Out<'_>,
    element: &str,
    path: &str,
    reason: Option<&str>,
) -> R<()> {
    let present = match object {
        Out::Obj(members) => members.iter().any(|(k, v)| {
            (k == element || k.starts_with(element) && element.len() < k.len()) && !v.is_empty()
        }),
        _ => false,
    };
    if present {
        return Ok(());
    }
    Err(Rejection::new(
        "REQUIRED",
        cx.here(),
        required_reason(path, reason),
    ))
}

fn required_reason(path: &str, reason: Option<&str>) -> String {
    match reason {
        Some(reason) => format!("{path}: {reason}"),
        None => format!("{path} is required, and the message gives no value for it"),
    }
}

/// A `require` of a target element met while building an object, checked
/// when the object is complete.
#[derive(Debug, Clone, Copy)]
pub struct Require<'p, S> {
    /// The element names from the object.
    pub steps: &'p [S],
    /// The full FHIR path, for the reason.
    pub path: &'p str,
    /// `require ... else "reason"`.
    pub reason: Option<&'p str>,
    /// Checked only when the first `if_present` steps hold a value.
    pub if_present: usize,
}

/// Checks one `require` against the completed object.
pub fn check_require<S: AsRef<str>>(
    cx: &Ctx<'_>,
    object: &Out<'_>,
    require: &Require<'_, S>,
) -> R<()> {
    let condition = require.steps.get(..require.if_present).unwrap_or(&[]);
    if has_path(object, require.steps) || (require.if_present > 0 && !has_path(object, condition)) {
        return Ok(());
    }
    Err(Rejection::new(
        "REQUIRED",
        cx.here(),
        required_reason(require.path, require.reason),
    ))
}

/// Writes a map's output as compact JSON.
pub fn emit(out: &mut Vec<u8>, output: &Out<'_>) {
    let mut writer = JsonWriter::new(out, Style::Compact);
    write_out(&mut writer, None, output);
}

fn write_out(w: &mut JsonWriter<'_>, key: Option<&str>, out: &Out<'_>) {
    match out {
        Out::Obj(members) => {
            let open = match key {
                Some(k) => w.member_object(k),
                None => w.begin_object(),
            };
            for (k, v) in members {
                write_out(w, Some(k.as_ref()), v);
            }
            w.end(open);
        }
        Out::Arr(items) => {
            let open = match key {
                Some(k) => w.member_array(k),
                None => w.begin_array(),
            };
            for item in items {
                write_out(w, None, item);
            }
            w.end(open);
        }
        Out::Str(s) => match key {
            Some(k) => w.member_str(k, s),
            None => w.item_str(s),
        },
        Out::Num(n) => {
            if let Ok(d) = Decimal::parse_fhir(n) {
                match key {
                    Some(k) => w.member_decimal(k, &d),
                    None => w.item_decimal(&d),
                }
            }
        }
        Out::Int(i) => match key {
            Some(k) => w.member_int(k, *i),
            None => w.item_int(*i),
        },
        Out::Bool(b) => match key {
            Some(k) => w.member_bool(k, *b),
            None => w.item_bool(*b),
        },
    }
}
