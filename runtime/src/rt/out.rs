//! The output document a map builds, how rules place values into it, and
//! how it is written as JSON.
//!
//! The document is a tree kept in one vector ([`Doc`]): each node an object,
//! an array or a primitive, with its children as a linked list in the
//! order the rules set them. Building, replacing and dropping a subtree
//! allocate nothing beyond the vector (and owned text); a map's result is a
//! node handle ([`Out`]) that placing links into its parent.

use std::borrow::Cow;

use super::{Ctx, R};
use crate::convert::Decimal;
use crate::error::Rejection;
use crate::json::write_str;

/// A node of the document being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Out(u32);

const NIL: u32 = u32::MAX;

/// What a node holds.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    Obj,
    Arr,
    Str(Cow<'a, str>),
    Num(Cow<'a, str>),
    Int(i64),
    Bool(bool),
}

#[derive(Debug, Clone)]
struct Node<'a> {
    /// The member name (unused for array items and roots).
    key: &'a str,
    val: Val<'a>,
    first: u32,
    last: u32,
    /// Number of children.
    len: u32,
    next: u32,
    /// Whether the node hangs in a parent (a second placement copies it).
    linked: bool,
}

/// The document of one conversion.
#[derive(Debug, Default)]
pub struct Doc<'a> {
    nodes: Vec<Node<'a>>,
}

impl<'a> Doc<'a> {
    /// A document with room for `nodes` nodes.
    pub fn with_capacity(nodes: usize) -> Doc<'a> {
        Doc {
            nodes: Vec::with_capacity(nodes),
        }
    }

    /// A new root node holding `val`.
    pub fn node(&mut self, val: Val<'a>) -> Out {
        let id = u32::try_from(self.nodes.len()).unwrap_or(NIL);
        self.nodes.push(Node {
            key: "",
            val,
            first: NIL,
            last: NIL,
            len: 0,
            next: NIL,
            linked: false,
        });
        Out(id)
    }

    fn get(&self, o: Out) -> Option<&Node<'a>> {
        self.nodes.get(o.0 as usize)
    }

    fn get_mut(&mut self, o: Out) -> Option<&mut Node<'a>> {
        self.nodes.get_mut(o.0 as usize)
    }

    /// The children of a node, in order.
    fn children(&self, o: Out) -> Children<'_, 'a> {
        Children {
            doc: self,
            at: self.get(o).map_or(NIL, |n| n.first),
        }
    }

    fn is_obj(&self, o: Out) -> bool {
        self.get(o).is_some_and(|n| matches!(n.val, Val::Obj))
    }

    fn is_arr(&self, o: Out) -> bool {
        self.get(o).is_some_and(|n| matches!(n.val, Val::Arr))
    }

    /// Whether nothing would be written: an empty string, or objects and
    /// arrays holding only such.
    pub fn is_empty(&self, o: Out) -> bool {
        match self.get(o).map(|n| &n.val) {
            Some(Val::Obj | Val::Arr) => self.children(o).all(|c| self.is_empty(c)),
            Some(Val::Str(s)) => s.is_empty(),
            Some(_) => false,
            None => true,
        }
    }

    /// Makes `o` an empty node holding `val` (its children are dropped).
    fn reset(&mut self, o: Out, val: Val<'a>) {
        if let Some(n) = self.get_mut(o) {
            n.val = val;
            n.first = NIL;
            n.last = NIL;
            n.len = 0;
        }
    }

    /// Appends `child` to `parent`'s children under `key`.
    fn append(&mut self, parent: Out, key: &'a str, child: Out) {
        let Some(last) = self.get(parent).map(|p| p.last) else {
            return;
        };
        if let Some(c) = self.get_mut(child) {
            c.key = key;
            c.next = NIL;
            c.linked = true;
        }
        match self.get_mut(Out(last)) {
            Some(prev) => prev.next = child.0,
            None => {
                if let Some(p) = self.get_mut(parent) {
                    p.first = child.0;
                }
            }
        }
        if let Some(p) = self.get_mut(parent) {
            p.last = child.0;
            p.len += 1;
        }
    }

    /// Appends `child` to object `parent` as member `key`.
    pub fn append_member(&mut self, parent: Out, key: &'a str, child: Out) {
        self.append(parent, key, child);
    }

    /// The member `name` of an object, created (an empty object) when
    /// missing; `None` when `o` is not an object.
    fn member(&mut self, o: Out, name: &'a str) -> Option<Out> {
        if !self.is_obj(o) {
            return None;
        }
        if let Some(found) = self
            .children(o)
            .find(|&c| self.get(c).is_some_and(|n| n.key == name))
        {
            return Some(found);
        }
        let child = self.node(Val::Obj);
        self.append(o, name, child);
        Some(child)
    }

    /// Item `at` (from 0) of an array, padded with empty objects.
    fn item(&mut self, arr: Out, at: usize) -> Option<Out> {
        while self.get(arr).map_or(0, |n| n.len as usize) <= at {
            let pad = self.node(Val::Obj);
            self.append(arr, "", pad);
        }
        self.children(arr).nth(at)
    }

    /// `*target = source`: the target node (keeping its place) takes the
    /// source's value and children.
    fn assign(&mut self, target: Out, source: Out) {
        let Some(src) = self.get_mut(source) else {
            return;
        };
        let val = std::mem::replace(&mut src.val, Val::Obj);
        let (first, last, len) = (src.first, src.last, src.len);
        if let Some(t) = self.get_mut(target) {
            t.val = val;
            t.first = first;
            t.last = last;
            t.len = len;
        }
    }

    /// A deep copy of `o`, as a new root.
    fn copy(&mut self, o: Out) -> Out {
        let Some(val) = self.get(o).map(|n| n.val.clone()) else {
            return self.node(Val::Obj);
        };
        let root = self.node(val);
        let children: Vec<Out> = self.children(o).collect();
        for c in children {
            let key = self.get(c).map_or("", |n| n.key);
            let copy = self.copy(c);
            self.append(root, key, copy);
        }
        root
    }

    /// A node ready to be placed: `o` itself, or a copy when `o` already
    /// hangs somewhere or `shared` says another value refers to it.
    fn placeable(&mut self, o: Out, shared: bool) -> Out {
        if shared || self.get(o).is_some_and(|n| n.linked) {
            self.copy(o)
        } else {
            o
        }
    }
}

struct Children<'d, 'a> {
    doc: &'d Doc<'a>,
    at: u32,
}

impl Iterator for Children<'_, '_> {
    type Item = Out;

    fn next(&mut self) -> Option<Out> {
        let n = self.doc.nodes.get(self.at as usize)?;
        let here = Out(self.at);
        self.at = n.next;
        Some(here)
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

/// A value ready to be placed: a node, and whether another value refers
/// to it too (then placing copies it).
#[derive(Debug, Clone, Copy)]
pub struct Placed {
    pub node: Out,
    pub shared: bool,
}

/// The values a rule places.
pub type Outs = smallvec::SmallVec<[Placed; 1]>;

/// Puts values at a target path of `object`.
pub fn place<'a, S: Step>(cx: &Ctx<'a>, object: Out, target: &'a [S], values: Outs) {
    let Some((last, init)) = target.split_last() else {
        return;
    };
    if values.is_empty() {
        return;
    }
    let mut doc = cx.doc.borrow_mut();
    let doc = &mut *doc;
    let mut here = object;
    for step in init {
        let Some(member) = doc.member(here, step.name()) else {
            return;
        };
        here = match step.mode() {
            Mode::Single => {
                if !doc.is_obj(member) {
                    doc.reset(member, Val::Obj);
                }
                member
            }
            mode @ (Mode::Append | Mode::Index(_)) => {
                if !doc.is_arr(member) {
                    doc.reset(member, Val::Arr);
                }
                let at = match mode {
                    Mode::Index(n) => (n as usize).saturating_sub(1),
                    _ => doc.get(member).map_or(0, |n| n.len as usize),
                };
                let Some(item) = doc.item(member, at) else {
                    return;
                };
                item
            }
        };
    }
    let Some(member) = doc.member(here, last.name()) else {
        return;
    };
    let mut values = values.into_iter();
    match last.mode() {
        Mode::Single => {
            if let Some(v) = values.next() {
                let v = doc.placeable(v.node, v.shared);
                doc.assign(member, v);
            }
        }
        Mode::Append => {
            if !doc.is_arr(member) {
                doc.reset(member, Val::Arr);
            }
            for v in values {
                let v = doc.placeable(v.node, v.shared);
                doc.append(member, "", v);
            }
        }
        Mode::Index(n) => {
            if !doc.is_arr(member) {
                doc.reset(member, Val::Arr);
            }
            let at = (n as usize).saturating_sub(1);
            if let (Some(slot), Some(v)) = (doc.item(member, at), values.next()) {
                let v = doc.placeable(v.node, v.shared);
                doc.assign(slot, v);
            }
        }
    }
}

/// What a value becomes in the document: a leaf written in place, or a
/// node to link.
pub(super) enum Leaf<'a> {
    Val(Val<'a>),
    Node(Placed),
}

/// What a value becomes in the document; `None` when it is empty (an
/// empty string, an empty object).
pub(super) fn leaf<'a>(doc: &mut Doc<'a>, v: super::V<'a>) -> Option<Leaf<'a>> {
    use super::V;
    let val = match v {
        V::Obj(o) => {
            return (!o.is_empty()).then_some(Leaf::Node(o.placed()));
        }
        V::Json(j) => {
            let node = super::json_out(doc, j)?;
            return (!doc.is_empty(node)).then_some(Leaf::Node(Placed {
                node,
                shared: false,
            }));
        }
        V::Num(n) => Val::Num(n),
        V::Int(i) => Val::Int(i),
        V::Bool(b) => Val::Bool(b),
        V::Text(t) => Val::Str(t),
        other => Val::Str(super::text(&other)?),
    };
    match &val {
        Val::Str(s) if s.is_empty() => None,
        _ => Some(Leaf::Val(val)),
    }
}

/// Whether a rule's member may exist already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// An earlier rule may have set it: found, or created.
    Lookup,
    /// No earlier rule can have set it (the generator proves it): added
    /// without a search.
    New,
}

/// `name = values` (one step, `Mode::Single`): what [`place`] does with
/// the values [`super::outs`] keeps, without building them as nodes first.
/// Returns how many values were kept.
pub fn set_member<'a>(
    cx: &Ctx<'a>,
    object: Out,
    name: &'a str,
    values: super::Vals<'a>,
    member: Member,
) -> usize {
    let mut doc = cx.doc.borrow_mut();
    let doc = &mut *doc;
    let mut kept = 0;
    for v in values {
        let Some(leaf) = leaf(doc, v) else { continue };
        kept += 1;
        if kept > 1 {
            continue;
        }
        match leaf {
            Leaf::Val(val) => {
                member_of(doc, object, name, member, val);
            }
            Leaf::Node(p) => {
                let Some(slot) = member_of(doc, object, name, member, Val::Obj) else {
                    continue;
                };
                let node = doc.placeable(p.node, p.shared);
                doc.assign(slot, node);
            }
        }
    }
    kept
}

/// The member `name` of `object`, holding `val`: appended when
/// [`Member::New`], else found or created.
fn member_of<'a>(
    doc: &mut Doc<'a>,
    object: Out,
    name: &'a str,
    member: Member,
    val: Val<'a>,
) -> Option<Out> {
    if member == Member::New {
        let child = doc.node(val);
        doc.append(object, name, child);
        return Some(child);
    }
    let found = doc.member(object, name)?;
    doc.reset(found, val);
    Some(found)
}

/// `name[] = values` (one step, `Mode::Append`), as [`set_member`].
pub fn append_member<'a>(
    cx: &Ctx<'a>,
    object: Out,
    name: &'a str,
    values: super::Vals<'a>,
    member: Member,
) -> usize {
    let mut doc = cx.doc.borrow_mut();
    let doc = &mut *doc;
    let mut kept = 0;
    let mut array = None;
    for v in values {
        let Some(leaf) = leaf(doc, v) else { continue };
        kept += 1;
        let arr = match array {
            Some(a) => a,
            None => {
                let found = match member {
                    Member::New => member_of(doc, object, name, member, Val::Arr),
                    Member::Lookup => doc.member(object, name).inspect(|&found| {
                        if !doc.is_arr(found) {
                            doc.reset(found, Val::Arr);
                        }
                    }),
                };
                let Some(found) = found else {
                    continue;
                };
                array = Some(found);
                found
            }
        };
        let node = match leaf {
            Leaf::Val(val) => doc.node(val),
            Leaf::Node(p) => doc.placeable(p.node, p.shared),
        };
        doc.append(arr, "", node);
    }
    kept
}

/// Whether `out` holds a non-empty value at the element names `steps`
/// (through arrays: any item).
pub fn has_path<S: AsRef<str>>(doc: &Doc<'_>, out: Out, steps: &[S]) -> bool {
    let Some((first, rest)) = steps.split_first() else {
        return !doc.is_empty(out);
    };
    match doc.get(out).map(|n| &n.val) {
        Some(Val::Obj) => doc
            .children(out)
            .filter(|&c| doc.get(c).is_some_and(|n| n.key == first.as_ref()))
            .any(|c| has_path(doc, c, rest)),
        Some(Val::Arr) => doc.children(out).any(|item| has_path(doc, item, steps)),
        _ => false,
    }
}

/// An element the completed object must hold (FHIR's required children).
pub fn check_required(
    cx: &Ctx<'_>,
    object: Out,
    element: &str,
    path: &str,
    reason: Option<&str>,
) -> R<()> {
    let present = {
        let doc = cx.doc.borrow();
        doc.is_obj(object)
            && doc.children(object).any(|c| {
                let k = doc.get(c).map_or("", |n| n.key);
                (k == element || k.starts_with(element) && element.len() < k.len())
                    && !doc.is_empty(c)
            })
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

/// The rejection of a required element the completed object lacks (as
/// [`check_required`] and [`check_require`] make it).
pub fn required_error(cx: &Ctx<'_>, path: &str, reason: Option<&str>) -> Rejection {
    Rejection::new("REQUIRED", cx.here(), required_reason(path, reason))
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
pub fn check_require<S: AsRef<str>>(cx: &Ctx<'_>, object: Out, require: &Require<'_, S>) -> R<()> {
    let met = {
        let doc = cx.doc.borrow();
        let condition = require.steps.get(..require.if_present).unwrap_or(&[]);
        has_path(&doc, object, require.steps)
            || (require.if_present > 0 && !has_path(&doc, object, condition))
    };
    if met {
        return Ok(());
    }
    Err(Rejection::new(
        "REQUIRED",
        cx.here(),
        required_reason(require.path, require.reason),
    ))
}

/// Writes a node as compact JSON, as [`crate::json::JsonWriter`] would:
/// empty strings, objects and arrays are left out with their key (an
/// empty root writes nothing), decimals are written from their text.
pub fn emit(out: &mut Vec<u8>, cx: &Ctx<'_>, root: Out) {
    let doc = cx.doc.borrow();
    write_value(out, &doc, root);
}

/// Appends the node's JSON; `false`, with nothing appended, when there is
/// nothing to write.
pub(super) fn write_value(out: &mut Vec<u8>, doc: &Doc<'_>, o: Out) -> bool {
    let Some(node) = doc.get(o) else {
        return false;
    };
    match &node.val {
        Val::Obj | Val::Arr => {
            let object = matches!(node.val, Val::Obj);
            let mark = out.len();
            out.push(if object { b'{' } else { b'[' });
            let mut any = false;
            for c in doc.children(o) {
                let before = out.len();
                if any {
                    out.push(b',');
                }
                if object {
                    write_str(out, doc.get(c).map_or("", |n| n.key));
                    out.push(b':');
                }
                if write_value(out, doc, c) {
                    any = true;
                } else {
                    out.truncate(before);
                }
            }
            if !any {
                out.truncate(mark);
                return false;
            }
            out.push(if object { b'}' } else { b']' });
            true
        }
        leaf => write_leaf(out, leaf),
    }
}

/// Appends a primitive's JSON; `false`, with nothing appended, when there
/// is nothing to write (an empty string, a number FHIR cannot hold).
/// Objects and arrays write nothing here.
pub(super) fn write_leaf(out: &mut Vec<u8>, val: &Val<'_>) -> bool {
    match val {
        Val::Obj | Val::Arr => false,
        Val::Str(s) => {
            if s.is_empty() {
                return false;
            }
            write_str(out, s);
            true
        }
        Val::Num(n) => match Decimal::parse_fhir(n) {
            Ok(d) => {
                d.write_to(out);
                true
            }
            Err(_) => false,
        },
        Val::Int(i) => {
            out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes());
            true
        }
        Val::Bool(b) => {
            out.extend_from_slice(if *b { b"true" } else { b"false" });
            true
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::json::{JsonWriter, Style};

    /// The writer before `write_value`: every node through `JsonWriter`,
    /// whose rollback drops empty containers.
    fn reference(w: &mut JsonWriter<'_>, doc: &Doc<'_>, key: Option<&str>, o: Out) {
        let node = doc.get(o).unwrap();
        match &node.val {
            Val::Obj | Val::Arr => {
                let object = matches!(node.val, Val::Obj);
                let open = match (key, object) {
                    (Some(k), true) => w.member_object(k),
                    (Some(k), false) => w.member_array(k),
                    (None, true) => w.begin_object(),
                    (None, false) => w.begin_array(),
                };
                for c in doc.children(o) {
                    let k = object.then(|| doc.get(c).unwrap().key);
                    reference(w, doc, k, c);
                }
                w.end(open);
            }
            Val::Str(s) => match key {
                Some(k) => w.member_str(k, s),
                None => w.item_str(s),
            },
            Val::Num(n) => {
                if let Ok(d) = Decimal::parse_fhir(n) {
                    match key {
                        Some(k) => w.member_decimal(k, &d),
                        None => w.item_decimal(&d),
                    }
                }
            }
            Val::Int(i) => match key {
                Some(k) => w.member_int(k, *i),
                None => w.item_int(*i),
            },
            Val::Bool(b) => match key {
                Some(k) => w.member_bool(k, *b),
                None => w.item_bool(*b),
            },
        }
    }

    fn both(doc: &Doc<'_>, root: Out) -> (Vec<u8>, Vec<u8>) {
        let mut fast = b"x".to_vec();
        write_value(&mut fast, doc, root);
        let mut slow = b"x".to_vec();
        reference(
            &mut JsonWriter::new(&mut slow, Style::Compact),
            doc,
            None,
            root,
        );
        (fast, slow)
    }

    #[test]
    fn writes_what_the_json_writer_writes() {
        let mut doc = Doc::default();
        let root = doc.node(Val::Obj);
        let leaf = |doc: &mut Doc<'static>, parent, key, val| {
            let n = doc.node(val);
            doc.append_member(parent, key, n);
            n
        };
        leaf(&mut doc, root, "resourceType", Val::Str("Patient".into()));
        leaf(&mut doc, root, "empty", Val::Str("".into()));
        let nested = leaf(&mut doc, root, "nested", Val::Obj);
        let deeper = leaf(&mut doc, nested, "deeper", Val::Obj);
        leaf(&mut doc, deeper, "blank", Val::Str("".into()));
        let list = leaf(&mut doc, root, "list", Val::Arr);
        leaf(&mut doc, list, "", Val::Obj);
        leaf(&mut doc, list, "", Val::Str("a\"b\\c\n".into()));
        leaf(&mut doc, list, "", Val::Num("1.50".into()));
        leaf(&mut doc, list, "", Val::Num("not a number".into()));
        leaf(&mut doc, list, "", Val::Int(-7));
        leaf(&mut doc, list, "", Val::Bool(false));
        let empties = leaf(&mut doc, root, "empties", Val::Arr);
        leaf(&mut doc, empties, "", Val::Arr);
        leaf(&mut doc, root, "k\"ey\u{1}", Val::Bool(true));
        leaf(&mut doc, root, "n", Val::Num("-0.0e3".into()));
        let (fast, slow) = both(&doc, root);
        assert_eq!(
            String::from_utf8(fast).unwrap(),
            String::from_utf8(slow).unwrap()
        );

        // An object holding only empties writes nothing at all.
        let mut doc = Doc::default();
        let root = doc.node(Val::Obj);
        let inner = doc.node(Val::Obj);
        doc.append_member(root, "inner", inner);
        let (fast, slow) = both(&doc, root);
        assert_eq!(fast, b"x");
        assert_eq!(fast, slow);
    }
}
