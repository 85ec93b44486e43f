//! Streaming output: the JSON a map writes, straight into the output
//! buffer, for the maps whose rules the generator proves write every member
//! in one stretch (see `docs/codegen.md`, "Streaming").
//!
//! The sink keeps a stack of open containers. A rule names the object it
//! writes into (an [`At`]); the member it enters is continued when it is the
//! one left open there (consecutive `identifier[] = ...` rules fill one
//! array, `request.method` and `request.url` one object), else whatever is
//! open is closed first. A container that ends with nothing written is
//! rolled back with its key and comma, so what comes out is what
//! [`super::emit`] writes for the document the same rules build.

use std::borrow::Cow;

use super::out::{Leaf, leaf, write_leaf, write_value};
use super::{Ctx, V};
use crate::json::{self, write_str};

#[derive(Debug, Clone, Copy)]
struct Frame {
    /// Where the container's bytes (comma and key included) begin.
    start: usize,
    /// Whether anything was written inside.
    any: bool,
    /// Whether it holds a value, as the document sees it: a number FHIR
    /// cannot write still makes it non-empty, though nothing is written.
    full: bool,
    array: bool,
    /// The member's key as [`key`] makes it (`,"name":`; "" for items
    /// and the root).
    key: &'static str,
}

/// A string member being written in parts ([`Sink::open_str`]).
#[derive(Debug)]
#[must_use = "an open string is closed with `Sink::close_str`"]
pub struct Str {
    /// Where its comma and key begin.
    start: usize,
    /// Where its text begins, after the quote.
    content: usize,
}

/// An open container of a [`Sink`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At(usize);

/// JSON written as rules run; see the module documentation.
#[derive(Debug)]
pub struct Sink<'o> {
    out: &'o mut Vec<u8>,
    frames: Vec<Frame>,
}

impl<'o> Sink<'o> {
    /// A sink appending to `out`.
    pub fn new(out: &'o mut Vec<u8>) -> Sink<'o> {
        Sink {
            out,
            frames: Vec::with_capacity(16),
        }
    }

    /// Opens the root object.
    pub fn root(&mut self) -> At {
        self.frames.clear();
        self.frames.push(Frame {
            start: self.out.len(),
            any: false,
            full: false,
            array: false,
            key: "",
        });
        self.out.push(b'{');
        At(0)
    }

    /// Closes every container opened inside `at`.
    #[inline]
    fn settle(&mut self, at: At) {
        while self.frames.len() > at.0 + 1 {
            self.pop();
        }
    }

    /// Closes the innermost container: its bracket when something was
    /// written in it, else no trace of it.
    fn pop(&mut self) {
        let Some(f) = self.frames.pop() else {
            return;
        };
        if f.any {
            self.out.push(if f.array { b']' } else { b'}' });
        } else {
            self.out.truncate(f.start);
        }
        if let Some(parent) = self.frames.last_mut() {
            parent.any |= f.any;
            parent.full |= f.full;
        }
    }

    /// Writes the separator and key (`,"name":`, or `,` for an item) of a
    /// new child of `parent`, after closing what is open in it; returns
    /// where they start.
    #[inline]
    fn key(&mut self, parent: At, key: &str) -> usize {
        self.settle(parent);
        let start = self.out.len();
        // Keys carry their comma; the first child goes without it.
        let key = if self.frames.get(parent.0).is_some_and(|f| f.any) {
            key
        } else {
            key.get(1..).unwrap_or_default()
        };
        self.out.extend_from_slice(key.as_bytes());
        start
    }

    fn open(&mut self, parent: At, key: &'static str, array: bool) -> At {
        let start = self.key(parent, key);
        self.out.push(if array { b'[' } else { b'{' });
        self.frames.push(Frame {
            start,
            any: false,
            full: false,
            array,
            key,
        });
        At(self.frames.len() - 1)
    }

    /// The member of object `obj` with key `key` (`"name":`, see [`key`])
    /// as a container (an array or an object): the one open there when it
    /// is that member, else a new one.
    pub fn member(&mut self, obj: At, key: &'static str, array: bool) -> At {
        let next = At(obj.0 + 1);
        if self
            .frames
            .get(next.0)
            .is_some_and(|f| f.array == array && f.key.len() > 1 && same_key(f.key, key))
        {
            self.settle(next);
            return next;
        }
        self.open(obj, key, array)
    }

    /// A new object as the member of `obj` with key `key`.
    #[inline]
    pub fn object(&mut self, obj: At, key: &'static str) -> At {
        self.open(obj, key, false)
    }

    /// A new object item of array `arr`.
    #[inline]
    pub fn item(&mut self, arr: At) -> At {
        self.open(arr, ",", false)
    }

    /// Whether `at` holds a value once what is open in it is closed (the
    /// document's "not empty").
    pub fn full(&mut self, at: At) -> bool {
        self.settle(at);
        self.frames.get(at.0).is_some_and(|f| f.full)
    }

    /// Closes `at`: kept, it ends with its bracket (or leaves no trace when
    /// nothing was written in it); not kept, it is rolled back.
    pub fn close(&mut self, at: At, keep: bool) {
        self.settle(at);
        if !keep && let Some(f) = self.frames.get_mut(at.0) {
            f.any = false;
            f.full = false;
        }
        self.pop();
    }

    /// Closes `at` and says whether it held a value: for a map's object,
    /// which is placed when it is not empty.
    pub fn close_full(&mut self, at: At) -> bool {
        let full = self.full(at);
        self.pop();
        full
    }

    /// Notes in `obj`'s frame that text was written there (`wrote`), or
    /// rolled back: text members hold a value exactly when written.
    #[inline]
    fn mark_text(&mut self, obj: At, wrote: bool) -> usize {
        if let Some(f) = self.frames.get_mut(obj.0) {
            f.any |= wrote;
            f.full |= wrote;
        }
        usize::from(wrote)
    }

    /// Writes one leaf after its key (which began at `start`).
    fn write(&mut self, cx: &Ctx<'_>, parent: At, start: usize, leaf: Leaf<'_>) {
        let wrote = match leaf {
            Leaf::Val(val) => write_leaf(self.out, &val),
            Leaf::Node(placed) => write_value(self.out, &cx.doc.borrow(), placed.node),
        };
        if !wrote {
            self.out.truncate(start);
        }
        if let Some(f) = self.frames.get_mut(parent.0) {
            f.any |= wrote;
            f.full = true;
        }
    }

    /// `name = values` into object `obj` (`key` is `"name":`): the first
    /// value that is not empty is written, as [`super::set_member`] places
    /// it. Returns how many values were not empty.
    pub fn set<'a>(
        &mut self,
        cx: &Ctx<'a>,
        obj: At,
        key: &'static str,
        values: super::Vals<'a>,
    ) -> usize {
        // Mostly one value: taken out without an iterator.
        let values = match values.into_inner() {
            Ok([v]) => {
                let Some(leaf) = leaf_of(cx, v) else { return 0 };
                let start = self.key(obj, key);
                self.write(cx, obj, start, leaf);
                return 1;
            }
            Err(values) => values,
        };
        let mut kept = 0;
        for v in values {
            let Some(leaf) = leaf_of(cx, v) else { continue };
            kept += 1;
            if kept == 1 {
                let start = self.key(obj, key);
                self.write(cx, obj, start, leaf);
            }
        }
        kept
    }

    /// `name = path` into object `obj` (`key` is `"name":`) when the
    /// path's text is known ([`super::first_text`]): what [`Sink::set`]
    /// writes for the path's values. Returns 1 when written, else 0.
    #[inline]
    pub fn set_text(&mut self, obj: At, key: &'static str, text: Option<Cow<'_, str>>) -> usize {
        match text {
            Some(t) => self.text(obj, key, &t),
            None => 0,
        }
    }

    /// `name[] = values` into object `obj` (`key` is `"name":`): every
    /// value that is not empty is an item, as [`super::append_member`]
    /// places them. Returns how many.
    pub fn append<'a>(
        &mut self,
        cx: &Ctx<'a>,
        obj: At,
        key: &'static str,
        values: impl IntoIterator<Item = V<'a>>,
    ) -> usize {
        let mut kept = 0;
        let mut array = None;
        for v in values {
            let Some(leaf) = leaf_of(cx, v) else { continue };
            kept += 1;
            let arr = *array.get_or_insert_with(|| self.member(obj, key, true));
            let start = self.key(arr, ",");
            self.write(cx, arr, start, leaf);
        }
        kept
    }

    /// One text item of array member `key` of `obj` (`name[] = path`,
    /// text by text: [`super::each_text`]), the array continued when it is
    /// the member open there. Returns 1 when written, 0 for empty text.
    pub fn item_text(&mut self, obj: At, key: &'static str, text: &str) -> usize {
        if text.is_empty() {
            return 0;
        }
        let arr = self.member(obj, key, true);
        self.text(arr, ",", text)
    }

    /// A text member (`resourceType`, a constant; `key` is `"name":`).
    /// Returns 1 when it is written, 0 for empty text.
    #[inline]
    pub fn text(&mut self, obj: At, key: &'static str, text: &str) -> usize {
        let start = self.key(obj, key);
        let wrote = !text.is_empty();
        if wrote {
            write_str(self.out, text);
        } else {
            self.out.truncate(start);
        }
        self.mark_text(obj, wrote)
    }

    /// A member whose value is constant text, written whole: `member` is
    /// its key and quoted value as JSON (`,"name":"text"`, from [`key`]
    /// and the escaped text), which the generator renders. Returns 1 (the
    /// text is not empty).
    #[inline]
    pub fn constant(&mut self, obj: At, member: &'static str) -> usize {
        // Written as a key is: its comma left out before the first member.
        self.key(obj, member);
        self.mark_text(obj, true)
    }

    /// Opens a string member of object `obj` (`key` is `"name":`) whose
    /// text is written in parts ([`Sink::push_str`], [`Sink::push_json`]):
    /// a `concat`, an id, a conversion, without building the text first.
    #[inline]
    pub fn open_str(&mut self, obj: At, key: &'static str) -> Str {
        let start = self.key(obj, key);
        self.out.push(b'"');
        Str {
            start,
            content: self.out.len(),
        }
    }

    /// Appends text to the open string, escaped.
    pub fn push_str(&mut self, text: &str) {
        json::write_escaped(self.out, text);
    }

    /// Appends text that is already escaped for a JSON string (a constant
    /// the generator escaped) to the open string.
    #[inline]
    pub fn push_json(&mut self, escaped: &str) {
        self.out.extend_from_slice(escaped.as_bytes());
    }

    /// Appends an id's text (hex digits and hyphens) to the open string.
    pub fn push_id(&mut self, id: crate::id::ResourceId) {
        id.push_text(self.out);
    }

    /// Closes the string opened by [`Sink::open_str`]: written when any
    /// text was, else no trace of it, as [`Sink::text`] writes empty text.
    /// Returns 1 when written, else 0.
    #[inline]
    pub fn close_str(&mut self, obj: At, s: Str) -> usize {
        let wrote = self.out.len() > s.content;
        if wrote {
            self.out.push(b'"');
        } else {
            self.out.truncate(s.start);
        }
        self.mark_text(obj, wrote)
    }
}

/// Whether two keys are the same: mostly the same literal, so its address
/// is tested before its text.
#[inline]
fn same_key(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

/// A member name as the sink writes its key: `,"name":`, escaped as JSON
/// (the comma is left out before an object's first member). The generator
/// writes keys with this, so a name from a spec reaches the output escaped.
pub fn key(name: &str) -> String {
    let mut out = Vec::with_capacity(name.len() + 4);
    out.push(b',');
    write_str(&mut out, name);
    out.push(b':');
    String::from_utf8(out).unwrap_or_default()
}

/// What a value writes, as the document would place it (`None`: empty).
fn leaf_of<'a>(cx: &Ctx<'a>, v: V<'a>) -> Option<Leaf<'a>> {
    use super::out::Val;
    match v {
        // Text, the common case, without touching the document.
        V::Text(t) => (!t.is_empty()).then_some(Leaf::Val(Val::Str(t))),
        V::Rep(_) | V::Comp(_) | V::Sub(_) => super::text(&v).map(|t| Leaf::Val(Val::Str(t))),
        other => leaf(&mut cx.doc.borrow_mut(), other),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::rt::Tree;

    fn text(s: &'static str) -> V<'static> {
        V::Text(Cow::Borrowed(s))
    }

    #[test]
    fn empty_containers_leave_no_trace() {
        let tree = Tree::default();
        let cx = Ctx::new(&[], &tree, 1, None);
        let mut out = b"x".to_vec();
        let mut sink = Sink::new(&mut out);
        let root = sink.root();
        sink.text(root, ",\"resourceType\":", "Patient");
        // An array that gets no item, then one continued over two rules.
        assert_eq!(sink.append(&cx, root, ",\"alias\":", [text("")]), 0);
        assert_eq!(sink.append(&cx, root, ",\"given\":", [text("a")]), 1);
        assert_eq!(
            sink.append(&cx, root, ",\"given\":", [text("b"), text("")]),
            1
        );
        // A nested object holding only an empty object.
        let period = sink.object(root, ",\"period\":");
        let inner = sink.object(period, ",\"inner\":");
        sink.set(&cx, inner, ",\"blank\":", smallvec::smallvec![text("")]);
        assert!(!sink.full(period));
        sink.close(period, true);
        // A dropped item, then a kept one.
        let arr = sink.member(root, ",\"entry\":", true);
        let dropped = sink.item(arr);
        sink.set(&cx, dropped, ",\"a\":", smallvec::smallvec![text("1")]);
        sink.close(dropped, false);
        let kept = sink.item(arr);
        sink.set(
            &cx,
            kept,
            ",\"b\":",
            smallvec::smallvec![text("2"), text("3")],
        );
        sink.close(kept, true);
        // A number FHIR cannot hold is counted but not written.
        assert_eq!(
            sink.set(
                &cx,
                root,
                ",\"n\":",
                smallvec::smallvec![V::Num(Cow::Borrowed("not a number"))]
            ),
            1
        );
        sink.set(
            &cx,
            root,
            ",\"q\":",
            smallvec::smallvec![text("say \"hi\"")],
        );
        sink.close(root, true);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"x{"resourceType":"Patient","given":["a","b"],"entry":[{"b":"2"}],"q":"say \"hi\""}"#
        );
    }

    #[test]
    fn an_empty_root_writes_nothing() {
        let tree = Tree::default();
        let cx = Ctx::new(&[], &tree, 1, None);
        let mut out = Vec::new();
        let mut sink = Sink::new(&mut out);
        let root = sink.root();
        sink.set(&cx, root, ",\"a\":", smallvec::smallvec![text("")]);
        sink.close(root, true);
        assert!(out.is_empty());
    }

    /// Constants and strings written in parts: a constant drops its comma
    /// as the first member; a string that gets no text leaves no trace, and
    /// an object holding only such strings is rolled back.
    #[test]
    fn constants_and_strings_in_parts() {
        let mut out = Vec::new();
        let mut sink = Sink::new(&mut out);
        let root = sink.root();
        assert_eq!(sink.constant(root, ",\"resourceType\":\"Patient\""), 1);
        let at = sink.open_str(root, ",\"url\":");
        sink.push_json("a/");
        sink.push_str("b\"c");
        sink.push_id(crate::id::ResourceId::of_key("Patient|1"));
        assert_eq!(sink.close_str(root, at), 1);
        let empty = sink.object(root, ",\"empty\":");
        let at = sink.open_str(empty, ",\"none\":");
        sink.push_str("");
        assert_eq!(sink.close_str(empty, at), 0);
        assert!(!sink.full(empty));
        sink.close(empty, true);
        let code = sink.object(root, ",\"code\":");
        assert_eq!(sink.constant(code, ",\"system\":\"s\""), 1);
        assert!(sink.full(code));
        sink.close(code, true);
        sink.close(root, true);
        let id = crate::id::ResourceId::of_key("Patient|1");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(r#"{{"resourceType":"Patient","url":"a/b\"c{id}","code":{{"system":"s"}}}}"#)
        );
    }
}
