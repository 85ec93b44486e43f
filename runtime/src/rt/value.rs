//! Values while a mapping runs, and how they read as text, presence and
//! truth.

use std::borrow::Cow;

use super::Ctx;
use super::out::{Doc, Leaf, Out, Placed, Val, leaf};
use crate::er7::{Component, Repetition, Segment, Subcomponent};
use crate::json;

/// A value while a map runs.
#[derive(Debug, Clone)]
pub enum V<'a> {
    /// A group instance (0: the message).
    Group(usize),
    Segment(Segment<'a>),
    Rep(Repetition<'a>),
    Comp(Component<'a>),
    Sub(Subcomponent<'a>),
    Json(&'a json::Value),
    Text(Cow<'a, str>),
    Num(Cow<'a, str>),
    Int(i64),
    Bool(bool),
    Obj(Obj),
}

/// A built object as a value: its node, and whether it was empty when
/// built. A copy of the value is marked shared, so placing it copies the
/// node: every placement of a value gets its own object, as when values
/// were owned trees.
#[derive(Debug)]
pub struct Obj {
    node: Out,
    empty: bool,
    shared: bool,
}

impl Obj {
    /// A freshly built object.
    pub fn new(node: Out, empty: bool) -> Obj {
        Obj {
            node,
            empty,
            shared: false,
        }
    }

    /// Whether it holds nothing to write.
    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// The object as a value to place.
    pub fn placed(&self) -> Placed {
        Placed {
            node: self.node,
            shared: self.shared,
        }
    }
}

impl Clone for Obj {
    fn clone(&self) -> Obj {
        Obj {
            shared: true,
            ..*self
        }
    }
}

/// The text of a value, unescaped; `None` when absent or the HL7 null.
///
/// An HL7 field or component read as a value is its first component's
/// first subcomponent, as receivers read a primitive that a sender filled
/// with more parts than the version defines (`&W` in a 2.5.1 XAD.9 reads
/// as absent). Components are read by number (`.2`), never by this.
pub fn text<'a>(v: &V<'a>) -> Option<Cow<'a, str>> {
    let t = match v {
        V::Rep(r) => return valued_text(r.first_subcomponent()),
        V::Comp(c) => return valued_text(c.subcomponent(1)),
        V::Sub(s) => return valued_text(*s),
        V::Text(t) | V::Num(t) => t.clone(),
        V::Int(i) => Cow::Owned(i.to_string()),
        V::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        V::Json(j) => match j {
            json::Value::String(s) => Cow::Borrowed(s.as_str()),
            json::Value::Number(n) => Cow::Borrowed(n.as_str()),
            json::Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            _ => return None,
        },
        _ => return None,
    };
    (!t.is_empty()).then_some(t)
}

/// A subcomponent's text when it is valued and not empty: what [`text`]
/// reads of a repetition or component (its first subcomponent) and of a
/// subcomponent.
#[inline(always)]
pub(crate) fn valued_text(s: Subcomponent<'_>) -> Option<Cow<'_, str>> {
    if !s.is_valued() {
        return None;
    }
    let t = s.text();
    (!t.is_empty()).then_some(t)
}

/// [`text`], borrowing computed text from the value instead of copying it:
/// for text that is only read.
pub fn text_ref<'v>(v: &'v V<'_>) -> Option<Cow<'v, str>> {
    match v {
        V::Text(t) | V::Num(t) => (!t.is_empty()).then(|| Cow::Borrowed(t.as_ref())),
        other => text(other),
    }
}

/// The DTM of an HL7 TS (its first component) or a plain date/time text.
pub fn dtm_text<'v>(v: &'v V<'_>) -> Cow<'v, str> {
    text_ref(v).unwrap_or_default()
}

/// Whether a value is there: an HL7 field, component or subcomponent with
/// any content but the HL7 null (an address with an empty street is still
/// an address), or a non-empty computed value.
pub fn present(v: &V<'_>) -> bool {
    match v {
        V::Group(_) | V::Segment(_) | V::Bool(_) | V::Int(_) | V::Num(_) => true,
        V::Rep(r) => r.is_valued(),
        V::Comp(c) => c.is_valued(),
        V::Sub(s) => s.is_valued(),
        V::Obj(o) => !o.is_empty(),
        V::Json(j) => !matches!(j, json::Value::Null),
        V::Text(t) => !t.is_empty(),
    }
}

/// Whether a value is the HL7 null (`""`).
pub fn is_null(v: &V<'_>) -> bool {
    match v {
        V::Rep(r) => r.is_null(),
        V::Comp(c) => c.is_null(),
        V::Sub(s) => s.is_null(),
        _ => false,
    }
}

/// A condition's truth: a boolean's value, else whether the first value is
/// present.
pub fn truthy(values: &[V<'_>]) -> bool {
    match values.first() {
        None => false,
        Some(V::Bool(b)) => *b,
        Some(v) => present(v),
    }
}

/// `a == b`, `a < b`...: texts compared, as numbers when both are numbers
/// and the operator orders.
pub fn compare(op: Compare, a: &[V<'_>], b: &[V<'_>]) -> bool {
    compare_texts(
        op,
        a.first().and_then(text_ref),
        b.first().and_then(text_ref),
    )
}

/// [`compare`] with a text constant on the right (`x == "MR"`).
pub fn compare_text(op: Compare, a: &[V<'_>], b: &str) -> bool {
    let a = a.first().and_then(text_ref);
    // Equality, the common case, without the general path's `Option`s.
    match op {
        Compare::Eq => a.is_some_and(|a| same_text(&a, b)),
        Compare::Ne => match a {
            Some(a) => !same_text(&a, b),
            None => !b.is_empty(),
        },
        _ => compare_texts(op, a, (!b.is_empty()).then_some(Cow::Borrowed(b))),
    }
}

/// Whether two texts are equal. The texts compared with constants are
/// codes of a few bytes, which a loop compares faster than a call to
/// `memcmp`.
#[inline]
fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 16 {
        return a == b;
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

fn compare_texts(op: Compare, a: Option<Cow<'_, str>>, b: Option<Cow<'_, str>>) -> bool {
    let ordering = || match (&a, &b) {
        (Some(x), Some(y)) => match (x.parse::<f64>(), y.parse::<f64>()) {
            (Ok(p), Ok(q)) => p.partial_cmp(&q),
            _ => Some(x.cmp(y)),
        },
        _ => None,
    };
    match op {
        Compare::Eq => a.is_some() && a == b,
        Compare::Ne => a != b,
        Compare::Lt => ordering() == Some(std::cmp::Ordering::Less),
        Compare::Le => matches!(
            ordering(),
            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
        ),
        Compare::Gt => ordering() == Some(std::cmp::Ordering::Greater),
        Compare::Ge => matches!(
            ordering(),
            Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
        ),
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// `a in (x, y, ...)`: whether the first value's text is one of the
/// options' first texts.
pub fn in_options(value: &[V<'_>], options: &[&[V<'_>]]) -> bool {
    let Some(t) = value.first().and_then(text_ref) else {
        return false;
    };
    options
        .iter()
        .any(|o| o.first().and_then(text_ref).as_deref() == Some(t.as_ref()))
}

/// [`in_options`] with text constants (`x in ("URI", "URL")`).
pub fn in_texts(value: &[V<'_>], options: &[&str]) -> bool {
    let Some(t) = value.first().and_then(text_ref) else {
        return false;
    };
    options.iter().any(|o| same_text(o, &t))
}

/// A JSON value read from the input, as output (nulls dropped).
pub fn json_out<'a>(doc: &mut Doc<'a>, j: &'a json::Value) -> Option<Out> {
    Some(match j {
        json::Value::Null => return None,
        json::Value::Bool(b) => doc.node(Val::Bool(*b)),
        json::Value::Number(n) => doc.node(Val::Num(Cow::Borrowed(n.as_str()))),
        json::Value::String(s) => doc.node(Val::Str(Cow::Borrowed(s.as_str()))),
        json::Value::Array(items) => {
            let arr = doc.node(Val::Arr);
            for item in items {
                if let Some(o) = json_out(doc, item) {
                    doc.append_member(arr, "", o);
                }
            }
            arr
        }
        json::Value::Object(o) => {
            let obj = doc.node(Val::Obj);
            for (k, v) in o.iter() {
                if let Some(v) = json_out(doc, v) {
                    doc.append_member(obj, k, v);
                }
            }
            obj
        }
    })
}

/// A value as output, moved into the document; `None` when it is empty.
pub fn into_out<'a>(cx: &Ctx<'a>, v: V<'a>) -> Option<Placed> {
    let mut doc = cx.doc.borrow_mut();
    Some(match leaf(&mut doc, v)? {
        Leaf::Val(val) => Placed {
            node: doc.node(val),
            shared: false,
        },
        Leaf::Node(placed) => placed,
    })
}
