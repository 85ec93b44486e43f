//! Execution support for Ferry's interpreter and for the transformers the
//! compiler generates. Both run a mapping over the same values ([`V`]), build
//! the same output document ([`Doc`]) with the same placement rules ([`place`]),
//! and share every built-in ([`call`]), table lookup ([`lookup`]) and
//! structure match ([`structure::place`]); so a generated transformer writes
//! byte for byte what the interpreter writes, rejections included. Where the
//! generator proves that writing as the rules run gives the document's bytes,
//! generated maps write through a [`Sink`] instead of building the document.
//!
//! This module is the contract between the compiler and the code it
//! generates, not a public API: it changes with the compiler.
//!
//! Every expression yields a list of values (a repeating field gives one per
//! repetition; an absent field none). Where one value goes the first is
//! taken; the checker has made sure a choice was written.

// `Rejection` is the error of every fallible step; rejections are the cold
// path, so its size does not matter here.
#![allow(clippy::result_large_err)]

mod builtin;
mod out;
mod sink;
pub mod structure;
mod value;

pub use builtin::{Builtin, call, convert_with, uuid5_id};
pub use out::{
    Doc, Member, Mode, Out, Outs, Placed, Require, Step, Val, append_member, check_require,
    check_required, emit, has_path, place, required_error, set_member,
};
pub use sink::{At, Sink, Str, key};
pub use structure::{Node, Tree};
pub use value::{
    Compare, Obj, V, compare, compare_text, dtm_text, in_options, in_texts, into_out, is_null,
    json_out, present, text, text_ref, truthy,
};

use std::ops::ControlFlow;

use crate::convert::TimeZone;
use crate::er7::Segment;
use crate::error::{Location, Rejection};

/// The result of a step that may reject the message.
pub type R<T> = Result<T, Rejection>;

/// A list of values: what every expression yields. Most hold one value,
/// which is kept inline.
pub type Vals<'a> = smallvec::SmallVec<[V<'a>; 1]>;

/// One value as a list.
pub fn one(v: V<'_>) -> Vals<'_> {
    smallvec::smallvec![v]
}

/// A copy of borrowed values.
pub fn vals<'a>(values: &[V<'a>]) -> Vals<'a> {
    values.iter().cloned().collect()
}

/// Options of a run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The IANA time zone of HL7 times that carry no offset.
    pub time_zone: Option<TimeZone>,
}

/// What a successful conversion wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// Bytes appended to the output (one compact JSON document).
    pub written: usize,
}

impl Outcome {
    /// An outcome of `written` bytes.
    pub fn new(written: usize) -> Outcome {
        Outcome { written }
    }
}

/// How many ids a message keeps for reuse ([`Ids::id_of_key`]).
const IDS_KEPT: usize = 32;

/// One message (or JSON document) being converted.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The message's segments, in order (empty for JSON input).
    pub segments: &'a [Segment<'a>],
    /// The segments placed into the structure's groups.
    pub tree: &'a Tree,
    /// Ordinal of the message in its input (1-based).
    pub message: u32,
    /// The IANA time zone of HL7 times without an offset.
    pub time_zone: Option<&'a TimeZone>,
    /// The output being built.
    pub doc: std::cell::RefCell<Doc<'a>>,
    /// The ids `uuid5` made for this message, by id key, and the key it
    /// is building ([`Ids`]).
    pub(crate) ids: std::cell::RefCell<Ids>,
}

/// The ids `uuid5` made for one message, by id key: a spec names the same
/// resource several times (its id, a fullUrl, a reference), and each is one
/// SHA-1 fewer. The buffers are handed from message to message on a thread
/// (`SPARE_IDS`), so a stream of messages does not allocate them anew.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    /// The id key being built.
    pub(crate) key: String,
    /// The kept keys, one after the other.
    keys: String,
    /// Each kept key's end in `keys`, and its id.
    found: Vec<(usize, crate::id::ResourceId)>,
}

thread_local! {
    /// The buffers of the last message's [`Ids`] on this thread.
    static SPARE_IDS: std::cell::Cell<Ids> = const {
        std::cell::Cell::new(Ids {
            key: String::new(),
            keys: String::new(),
            found: Vec::new(),
        })
    };
}

impl Ids {
    /// Empty ids, in the buffers the thread's last message left.
    fn reused() -> Ids {
        SPARE_IDS.try_with(|spare| spare.take()).unwrap_or_default()
    }

    /// The id of the key built in `self.key`, made once per message. The
    /// first [`IDS_KEPT`] keys are kept: a message naming thousands of
    /// resources (an ORU^R01 with an id per OBX) must not make the search
    /// quadratic.
    pub(crate) fn id_of_key(&mut self) -> crate::id::ResourceId {
        let mut start = 0;
        for &(end, id) in &self.found {
            if self.keys.get(start..end) == Some(self.key.as_str()) {
                return id;
            }
            start = end;
        }
        let id = crate::id::ResourceId::of_key(&self.key);
        if self.found.len() < IDS_KEPT {
            self.keys.push_str(&self.key);
            self.found.push((self.keys.len(), id));
        }
        id
    }
}

impl Drop for Ctx<'_> {
    /// Hands the id buffers to the thread's next message.
    fn drop(&mut self) {
        let mut ids = std::mem::take(self.ids.get_mut());
        ids.key.clear();
        ids.keys.clear();
        ids.found.clear();
        // During thread teardown the buffers are simply freed.
        let _ = SPARE_IDS.try_with(|spare| spare.set(ids));
    }
}

impl<'a> Ctx<'a> {
    /// A context for one message.
    pub fn new(
        segments: &'a [Segment<'a>],
        tree: &'a Tree,
        message: u32,
        time_zone: Option<&'a TimeZone>,
    ) -> Ctx<'a> {
        let cx = Ctx::streaming(segments, tree, message, time_zone);
        *cx.doc.borrow_mut() = Doc::with_capacity(512);
        cx
    }

    /// A context for one message whose maps stream their output
    /// ([`Sink`]): the document is left empty until a value needs it.
    pub fn streaming(
        segments: &'a [Segment<'a>],
        tree: &'a Tree,
        message: u32,
        time_zone: Option<&'a TimeZone>,
    ) -> Ctx<'a> {
        Ctx {
            segments,
            tree,
            message,
            time_zone,
            doc: std::cell::RefCell::new(Doc::default()),
            ids: std::cell::RefCell::new(Ids::reused()),
        }
    }

    /// A location naming only the message.
    pub fn here(&self) -> Location {
        Location::default().in_message(self.message)
    }

    /// Where a value came from (HL7 values), else the message.
    pub fn location(&self, v: &V<'_>) -> Location {
        let loc = match v {
            V::Segment(s) => s.location(),
            V::Rep(r) => r.location(),
            V::Comp(c) => c.location(),
            V::Sub(s) => s.location(),
            _ => Location::default(),
        };
        loc.in_message(self.message)
    }

    /// The instances of the node at `path` (structure child indexes) below
    /// group instance `g`, appended to `out` in message order.
    pub fn node(&self, g: usize, path: &[usize], out: &mut Vals<'a>) {
        let Some((first, rest)) = path.split_first() else {
            out.push(V::Group(g));
            return;
        };
        let Some(group) = self.tree.groups.get(g) else {
            return;
        };
        for (child, placed) in &group.children {
            if child != first {
                continue;
            }
            match placed {
                structure::Placed::Group(inner) => self.node(*inner, rest, out),
                structure::Placed::Segment(i) if rest.is_empty() => {
                    if let Some(s) = self.segments.get(*i) {
                        out.push(V::Segment(*s));
                    }
                }
                structure::Placed::Segment(_) => {}
            }
        }
    }
}

// ------------------------------------------------------------- navigation

/// `Nav::Node`: from group instances, the instances at `path`.
pub fn nav_node<'a>(cx: &Ctx<'a>, values: &[V<'a>], path: &[usize]) -> Vals<'a> {
    let mut out = Vals::new();
    for v in values {
        if let V::Group(g) = v {
            cx.node(*g, path, &mut out);
        }
    }
    out
}

/// `Nav::Field`: from segments, the non-empty repetitions of field `n`.
pub fn nav_field<'a>(values: &[V<'a>], n: usize) -> Vals<'a> {
    let mut out = Vals::new();
    for v in values {
        if let V::Segment(s) = v {
            let field = s.field(n);
            // One allocation for a repeating field, not one per doubling.
            out.reserve(field.repetition_count());
            out.extend(repetitions(field));
        }
    }
    out
}

/// The repetitions [`nav_field`] collects, one at a time: an `each` over a
/// field walks them without building the list.
pub fn iter_field<'v, 'a: 'v>(values: &'v [V<'a>], n: usize) -> impl Iterator<Item = V<'a>> + 'v {
    FieldReps::<false> {
        values: values.iter(),
        n,
        reps: None,
    }
    .map(V::Rep)
}

/// The present repetitions of the segments' field `n`: those an `each`
/// over the field binds ([`iter_field`]'s, the HL7 null left out), one at
/// a time, as repetitions, not values. The loop splits each
/// ([`Split::of_rep`]) in its own frame: a split is too large to be
/// handed out of an iterator without a copy.
pub fn iter_present_reps<'v, 'a: 'v>(
    values: &'v [V<'a>],
    n: usize,
) -> impl Iterator<Item = crate::er7::Repetition<'a>> + 'v {
    FieldReps::<true> {
        values: values.iter(),
        n,
        reps: None,
    }
}

/// The iterator of [`iter_field`] and [`iter_present_reps`]: the segments'
/// field `n`, repetition by repetition, empty ones left out, and with
/// `VALUED` the HL7 null too (`present(&V::Rep(r))`).
struct FieldReps<'v, 'a, const VALUED: bool> {
    values: std::slice::Iter<'v, V<'a>>,
    n: usize,
    reps: Option<crate::er7::Reps<'a>>,
}

impl<'a, const VALUED: bool> Iterator for FieldReps<'_, 'a, VALUED> {
    type Item = crate::er7::Repetition<'a>;

    #[inline]
    fn next(&mut self) -> Option<crate::er7::Repetition<'a>> {
        loop {
            if let Some(reps) = &mut self.reps {
                for r in reps.by_ref() {
                    let kept = if VALUED { r.is_valued() } else { !r.is_empty() };
                    if kept {
                        return Some(r);
                    }
                }
            }
            match self.values.next()? {
                V::Segment(s) => self.reps = Some(s.field(self.n).rep_iter()),
                _ => self.reps = None,
            }
        }
    }
}

/// A field's non-empty repetitions, as values.
fn repetitions<'a>(field: crate::er7::Field<'a>) -> impl Iterator<Item = V<'a>> {
    field.repetitions().filter(|r| !r.is_empty()).map(V::Rep)
}

/// `Nav::Component`: component `n` of repetitions, subcomponent `n` of
/// components; kept when valued or the HL7 null.
pub fn nav_component<'a>(values: &[V<'a>], n: usize) -> Vals<'a> {
    // Mostly one value in (a binding, a repetition): no collecting.
    if let [v] = values {
        return component_of(v, n).map_or_else(Vals::new, one);
    }
    values.iter().filter_map(|v| component_of(v, n)).collect()
}

/// One step of [`nav_component`] from one value: the component or
/// subcomponent, when valued or the HL7 null.
#[inline]
fn component_of<'a>(v: &V<'a>, n: usize) -> Option<V<'a>> {
    let next = match v {
        V::Rep(r) => V::Comp(r.component(n)),
        V::Comp(c) => V::Sub(c.subcomponent(n)),
        V::Sub(s) if n == 1 => V::Sub(*s),
        _ => return None,
    };
    (present(&next) || is_null(&next)).then_some(next)
}

/// The most components a [`Split`] finds in its one scan.
pub const SPLIT_MAX: usize = 16;

/// The item of an `each` over a field (one repetition) with the bounds of
/// the components its rules read found in one scan: `cx.1`, `cx.4.3` and
/// `cx.5` read their component without scanning the repetition again.
/// [`Split::component`] gives what [`nav_component`] gives from the item.
#[derive(Debug)]
pub struct Split<'a> {
    item: V<'a>,
    ends: [u32; SPLIT_MAX],
    /// How many components `ends` bounds.
    found: usize,
    /// Whether they are all the repetition holds.
    complete: bool,
}

impl<'a> Split<'a> {
    /// Splits `item` (a repetition) into its first `upto` components
    /// (at most [`SPLIT_MAX`]); any other value is not split.
    pub fn new(item: &V<'a>, upto: usize) -> Split<'a> {
        match item {
            V::Rep(r) => Split::of_rep(*r, upto),
            _ => Split {
                item: item.clone(),
                ends: [0; SPLIT_MAX],
                found: 0,
                complete: false,
            },
        }
    }

    /// [`Split::new`] of a repetition.
    #[inline]
    pub fn of_rep(r: crate::er7::Repetition<'a>, upto: usize) -> Split<'a> {
        let mut ends = [0u32; SPLIT_MAX];
        let (found, complete) =
            r.component_ends(ends.get_mut(..upto.min(SPLIT_MAX)).unwrap_or_default());
        Split {
            item: V::Rep(r),
            ends,
            found,
            complete,
        }
    }

    /// The item split.
    pub fn item(&self) -> &V<'a> {
        &self.item
    }

    /// Component `n` of the item, when valued or the HL7 null: the one
    /// value `nav_component(&[item], n)` lists.
    pub fn component(&self, n: usize) -> Option<V<'a>> {
        if let Some(c) = self.split_component(n) {
            return (!c.is_empty()).then_some(V::Comp(c));
        }
        if matches!(self.item, V::Rep(_)) && self.complete && n > self.found {
            return None;
        }
        component_of(&self.item, n)
    }

    /// Subcomponent `k` of component `n`, when valued or the HL7 null: the
    /// one value `first_value(&[component(n)], &[PathStep::Component(k)])`
    /// finds (a comparison's `cx.4.3`), read from the split.
    #[inline(always)]
    pub fn component_sub(&self, n: usize, k: usize) -> Option<V<'a>> {
        match self.split_component(n) {
            // Present or null is not empty, for a subcomponent; an empty
            // component's subcomponents are all empty.
            Some(c) => {
                let s = c.subcomponent(k);
                (!s.is_empty()).then_some(V::Sub(s))
            }
            None => self.component(n).and_then(|v| component_of(&v, k)),
        }
    }

    /// The text `member = cx.n` writes: what
    /// `first_text(&[component(n)], &[])` finds, read from the split
    /// without making the component a value.
    #[inline(always)]
    pub fn text(&self, n: usize) -> Option<std::borrow::Cow<'a, str>> {
        match self.split_component(n) {
            Some(c) => value::valued_text(c.subcomponent(1)),
            None => self.component(n).and_then(|v| text(&v)),
        }
    }

    /// The text `member = cx.n.k` writes: what
    /// `first_text(&[component(n)], &[PathStep::Component(k)])` finds.
    #[inline(always)]
    pub fn text_sub(&self, n: usize, k: usize) -> Option<std::borrow::Cow<'a, str>> {
        match self.split_component(n) {
            Some(c) => value::valued_text(c.subcomponent(k)),
            None => self
                .component(n)
                .and_then(|v| component_of(&v, k))
                .and_then(|v| text(&v)),
        }
    }

    /// Component `n` when the split bounds it (empty or not).
    #[inline(always)]
    fn split_component(&self, n: usize) -> Option<crate::er7::Component<'a>> {
        match &self.item {
            V::Rep(r) if (1..=self.found).contains(&n) => {
                Some(r.component_in(self.ends.get(..self.found).unwrap_or_default(), n))
            }
            _ => None,
        }
    }
}

/// `Nav::Component` steps in a row (`.4.2`), in one pass: the same values
/// as [`nav_component`] applied step by step.
pub fn nav_components<'a>(values: &[V<'a>], steps: &[usize]) -> Vals<'a> {
    let mut out = Vals::new();
    'values: for v in values {
        let mut here = v.clone();
        for &n in steps {
            match component_of(&here, n) {
                Some(next) => here = next,
                None => continue 'values,
            }
        }
        out.push(here);
    }
    out
}

/// `Nav::Field` then `Nav::Component` steps (`PID-3.4.2`), in one pass.
pub fn nav_field_components<'a>(values: &[V<'a>], field: usize, steps: &[usize]) -> Vals<'a> {
    let mut out = Vals::new();
    for v in values {
        let V::Segment(s) = v else { continue };
        'reps: for r in s.field(field).repetitions() {
            if r.is_empty() {
                continue;
            }
            let mut here = V::Rep(r);
            for &n in steps {
                match component_of(&here, n) {
                    Some(next) => here = next,
                    None => continue 'reps,
                }
            }
            out.push(here);
        }
    }
    out
}

/// One step of an HL7 path read by [`first_text`].
#[derive(Debug, Clone, Copy)]
pub enum PathStep {
    /// A segment's field: its non-empty repetitions (`Nav::Field`).
    Field(usize),
    /// A component or subcomponent (`Nav::Component`).
    Component(usize),
}

/// The text `member = path` places: the first non-empty text among the
/// values `nav_field`/`nav_component` steps would list, found without
/// listing them (depth first is their order).
pub fn first_text<'a>(values: &[V<'a>], steps: &[PathStep]) -> Option<std::borrow::Cow<'a, str>> {
    values.iter().find_map(|v| find_on_path(v, steps, &text))
}

/// The first value `nav_field`/`nav_component` steps would list: all that a
/// comparison, an `in` or a condition reads of them, found without listing
/// them.
pub fn first_value<'a>(values: &[V<'a>], steps: &[PathStep]) -> Option<V<'a>> {
    values
        .iter()
        .find_map(|v| find_on_path(v, steps, &|v: &V<'a>| Some(v.clone())))
}

/// The first present value among those `nav_field`/`nav_component` steps
/// would list: all a built-in reads of an argument (`rt::call` takes each
/// argument's first present value), found without listing the others.
pub fn present_value<'a>(values: &[V<'a>], steps: &[PathStep]) -> Option<V<'a>> {
    values
        .iter()
        .find_map(|v| find_on_path(v, steps, &|v: &V<'a>| present(v).then(|| v.clone())))
}

/// The first present value of a list, as [`present_value`] without steps.
pub fn present_first<'a>(values: &[V<'a>]) -> Option<V<'a>> {
    values.iter().find(|v| present(v)).cloned()
}

/// Calls `each` with the text of every value `nav_field`/`nav_component`
/// steps would list, in their order, where the text is not empty: the
/// items `name[] = path` writes, found without listing the values.
pub fn each_text<'a>(
    values: &[V<'a>],
    steps: &[PathStep],
    mut each: impl FnMut(std::borrow::Cow<'a, str>),
) {
    for v in values {
        let _ = walk_path(v, steps, &mut |v: &V<'a>| {
            if let Some(t) = text(v) {
                each(t);
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

/// What `concat` and the conversions read of a path: the first present
/// value's text (`None` when that value has none), found without listing
/// the values.
pub fn present_text<'a>(values: &[V<'a>], steps: &[PathStep]) -> Option<std::borrow::Cow<'a, str>> {
    values
        .iter()
        .find_map(|v| find_on_path(v, steps, &|v: &V<'a>| present(v).then(|| text(v))))
        .flatten()
}

/// What `path ?? other` reads of a path whose text a rule writes: `None`
/// when no value on the path is present (the coalescing moves on), else
/// the text [`first_text`] finds.
pub fn text_if_present<'a>(
    values: &[V<'a>],
    steps: &[PathStep],
) -> Option<Option<std::borrow::Cow<'a, str>>> {
    // One walk: the first text, noting on the way whether any value was
    // present (text is only read from valued values).
    let mut any = false;
    for v in values {
        let found = walk_path(v, steps, &mut |v: &V<'a>| {
            any |= present(v);
            match text(v) {
                Some(t) => ControlFlow::Break(t),
                None => ControlFlow::Continue(()),
            }
        });
        if let ControlFlow::Break(t) = found {
            return Some(Some(t));
        }
    }
    any.then_some(None)
}

/// [`text_if_present`] of one value (or none), with no steps: a split
/// item's component (`xtn.12 ?? xtn.1`). A text is only read from a
/// valued value, so a present value gives its text, or `None` when it has
/// none.
#[inline]
pub fn present_text_of(v: Option<V<'_>>) -> Option<Option<std::borrow::Cow<'_, str>>> {
    v.filter(present).map(|v| text(&v))
}

/// What `concat` reads of an argument's values: the first present value's
/// text.
pub fn first_present_text<'v, 'a>(values: &'v [V<'a>]) -> Option<std::borrow::Cow<'v, str>> {
    values.iter().find(|v| present(v)).and_then(text_ref)
}

/// The first `found` among the values the steps reach from `v`, in the
/// order the `nav_*` steps list them (depth first is their order).
fn find_on_path<'a, T>(
    v: &V<'a>,
    steps: &[PathStep],
    found: &impl Fn(&V<'a>) -> Option<T>,
) -> Option<T> {
    match walk_path(v, steps, &mut |v: &V<'a>| match found(v) {
        Some(t) => ControlFlow::Break(t),
        None => ControlFlow::Continue(()),
    }) {
        ControlFlow::Break(t) => Some(t),
        ControlFlow::Continue(()) => None,
    }
}

/// Calls `f` with every value the steps reach from `v`, in the order the
/// `nav_field`/`nav_component` steps list them (depth first is their
/// order), until `f` breaks: the one walk behind the path readers above.
fn walk_path<'a, T>(
    v: &V<'a>,
    steps: &[PathStep],
    f: &mut impl FnMut(&V<'a>) -> ControlFlow<T>,
) -> ControlFlow<T> {
    let Some((step, rest)) = steps.split_first() else {
        return f(v);
    };
    match step {
        PathStep::Field(n) => {
            if let V::Segment(s) = v {
                for r in repetitions(s.field(*n)) {
                    walk_path(&r, rest, f)?;
                }
            }
        }
        PathStep::Component(n) => {
            if let Some(c) = component_of(v, *n) {
                return walk_path(&c, rest, f);
            }
        }
    }
    ControlFlow::Continue(())
}

/// `Nav::Member`: a JSON member, arrays flattened.
pub fn nav_member<'a>(values: &[V<'a>], name: &str) -> Vals<'a> {
    let mut out = Vals::new();
    for v in values {
        if let V::Json(j) = v
            && let Some(m) = j.get(name)
        {
            match m.as_array() {
                Some(items) => out.extend(items.iter().map(V::Json)),
                None => out.push(V::Json(m)),
            }
        }
    }
    out
}

/// `Nav::Index`: the n-th value (from 1).
pub fn nav_index<'a>(values: &[V<'a>], n: usize) -> Vals<'a> {
    values
        .get(n.saturating_sub(1))
        .cloned()
        .into_iter()
        .collect()
}

/// The first of a list of values, as a one-value list (a map's source).
pub fn first_only<'a>(values: &[V<'a>]) -> Vals<'a> {
    values.first().cloned().into_iter().collect()
}

/// A new, empty object.
pub fn object(cx: &Ctx<'_>) -> Out {
    cx.doc.borrow_mut().node(Val::Obj)
}

// ------------------------------------------------------------------ tables

/// What a table gives for a code it does not list.
#[derive(Debug, Clone, Copy)]
pub enum Otherwise<'t> {
    /// `else => "code"`.
    Code(&'t str),
    /// `else => keep`.
    Keep,
    /// `else => absent`.
    Absent,
    /// No `else`, or `else => reject`: an unlisted code rejects the message.
    Reject,
}

/// A table lookup of one value: `find` gives a listed code's translation.
pub fn lookup<'a, 't: 'a>(
    cx: &Ctx<'a>,
    table: &str,
    find: impl Fn(&str) -> Option<&'t str>,
    otherwise: Otherwise<'t>,
    v: &V<'a>,
) -> R<Option<V<'a>>> {
    let Some(code) = text_ref(v) else {
        return Ok(None);
    };
    if let Some(output) = find(&code) {
        return Ok(Some(V::Text(std::borrow::Cow::Borrowed(output))));
    }
    Ok(match otherwise {
        Otherwise::Code(c) => Some(V::Text(std::borrow::Cow::Borrowed(c))),
        Otherwise::Keep => text(v).map(V::Text),
        Otherwise::Absent => None,
        Otherwise::Reject => {
            return Err(Rejection::new(
                "TABLE",
                cx.location(v),
                format!("the code is not listed in table `{table}`, which rejects unlisted codes"),
            )
            .with_value(code.as_ref()));
        }
    })
}

/// Looks every value up in a table.
pub fn lookup_all<'a, 't: 'a>(
    cx: &Ctx<'a>,
    table: &str,
    find: impl Fn(&str) -> Option<&'t str>,
    otherwise: Otherwise<'t>,
    values: &[V<'a>],
) -> R<Vals<'a>> {
    let mut out = Vals::with_capacity(values.len());
    for v in values {
        out.extend(lookup(cx, table, &find, otherwise, v)?);
    }
    Ok(out)
}

/// What a rule writes of a table lookup (`member = x via table`): the
/// first translation that is not empty, as [`lookup_all`] then the rule
/// would keep it. Every value is looked up when the table rejects unlisted
/// codes, so a later unlisted code rejects the message as it does there.
pub fn lookup_first<'a, 't: 'a>(
    cx: &Ctx<'a>,
    table: &str,
    find: impl Fn(&str) -> Option<&'t str>,
    otherwise: Otherwise<'t>,
    values: &[V<'a>],
) -> R<Option<std::borrow::Cow<'a, str>>> {
    let mut first = None;
    for v in values {
        if let Some(V::Text(t)) = lookup(cx, table, &find, otherwise, v)?
            && !t.is_empty()
            && first.is_none()
        {
            first = Some(t);
            if !matches!(otherwise, Otherwise::Reject) {
                break;
            }
        }
    }
    Ok(first)
}

// ----------------------------------------------------------- rule helpers

/// `require <source> else "..."`: the source value must be present.
pub fn require_source(cx: &Ctx<'_>, values: &[V<'_>], what: &str, reason: Option<&str>) -> R<()> {
    if values.iter().any(present) {
        return Ok(());
    }
    let reason = match reason {
        Some(r) => format!("{what} is required: {r}"),
        None => format!("{what} is required and not valued"),
    };
    Err(Rejection::new("REQUIRED", cx.here(), reason))
}

/// `a ?? b`: `a` when any of its values is present.
pub fn coalesce_keeps(values: &[V<'_>]) -> bool {
    values.iter().any(present)
}

/// A map's result as a value.
pub fn obj<'a>(cx: &Ctx<'a>, node: Out) -> Vals<'a> {
    let empty = cx.doc.borrow().is_empty(node);
    one(V::Obj(Obj::new(node, empty)))
}

/// A boolean as a value.
pub fn bool_val<'a>(b: bool) -> Vals<'a> {
    one(V::Bool(b))
}

/// The object a map starts from: `resourceType` first for a resource.
pub fn start_object<'a>(cx: &Ctx<'a>, resource_type: Option<&'a str>) -> Out {
    let mut doc = cx.doc.borrow_mut();
    let object = doc.node(Val::Obj);
    if let Some(t) = resource_type {
        let member = doc.node(Val::Str(std::borrow::Cow::Borrowed(t)));
        doc.append_member(object, "resourceType", member);
    }
    object
}

/// Whether a built object is kept: not empty, and when its rules read the
/// input, some value read from the input was placed.
pub fn keep_object(cx: &Ctx<'_>, inner: Out, reads_input: bool, derived: usize) -> bool {
    !(cx.doc.borrow().is_empty(inner) || (reads_input && derived == 0))
}

/// The values placed by `target = value`, moved into the document.
pub fn outs<'a>(cx: &Ctx<'a>, values: Vals<'a>) -> Outs {
    values.into_iter().filter_map(|v| into_out(cx, v)).collect()
}

/// A built object as the one value to place.
pub fn placed(node: Out) -> Outs {
    smallvec::smallvec![Placed {
        node,
        shared: false
    }]
}

// ----------------------------------------------------------- message type

/// A map of structure S reads only messages of structure S: MSH-9.3
/// where the sender gives it, else the trigger event's structure
/// (ADT^A04 reads as ADT_A01). `by_event` gives the structure of a
/// message type and trigger event in the spec's HL7 version.
pub fn check_message_type<'e>(
    structure: &str,
    by_event: impl Fn(&str, &str) -> Option<&'e str>,
    segments: &[Segment<'_>],
    ordinal: u32,
) -> R<()> {
    let Some(msh) = segments.first() else {
        return Ok(());
    };
    let field = msh.field(9);
    let rep = field.repetition(1);
    let (kind, event, declared) = (
        rep.component(1).text(),
        rep.component(2).text(),
        rep.component(3).text(),
    );
    // The event's structure decides; MSH-9.3 is accepted too, since
    // senders often name the event there (ADT^A08^ADT_A08). MSH-9.3 is
    // tested first: when it names the structure, the event table (a
    // binary search over strings) is not searched.
    if declared == structure {
        return Ok(());
    }
    let found = by_event(&kind, &event);
    if found == Some(structure) {
        return Ok(());
    }
    let reason = match found {
        Some(other) => {
            format!("the message's structure is {other}; this map reads {structure}")
        }
        None => format!("the message type in MSH-9 is not one of {structure}'s events"),
    };
    Err(Rejection::new(
        "MESSAGE-TYPE",
        field.location().in_message(ordinal),
        reason,
    ))
}

/// The structure of a message type and trigger event in a table sorted by
/// (type, event), falling back to a structure named like the message type
/// (`ACK`), as the HL7 definitions do.
pub fn structure_for_event<'e>(
    events: &'e [(&'e str, &'e str, &'e str)],
    structures: &'e [&'e str],
    kind: &str,
    event: &str,
) -> Option<&'e str> {
    if let Ok(i) = events.binary_search_by(|(k, e, _)| (*k, *e).cmp(&(kind, event))) {
        return events.get(i).map(|(_, _, s)| *s);
    }
    structures
        .binary_search(&kind)
        .ok()
        .and_then(|i| structures.get(i).copied())
}

// ------------------------------------------------------------------ inputs

thread_local! {
    /// The offset vectors of the last message read on this thread, reused.
    static INDEX: std::cell::RefCell<crate::er7::MessageIndex> =
        std::cell::RefCell::new(crate::er7::MessageIndex::new());
}

/// Runs `f` with this thread's reusable message index (a fresh one if it
/// is in use), so reading a stream of messages does not allocate the
/// index anew for each.
pub fn with_index<T>(mut f: impl FnMut(&mut crate::er7::MessageIndex) -> T) -> T {
    let reused = INDEX
        .try_with(|cell| cell.try_borrow_mut().ok().map(|mut index| f(&mut index)))
        .ok()
        .flatten();
    match reused {
        Some(t) => t,
        None => f(&mut crate::er7::MessageIndex::new()),
    }
}

/// A message's segments, in order.
pub fn segments<'m>(message: &crate::er7::Message<'m>) -> Vec<Segment<'m>> {
    let mut segments = Vec::with_capacity(message.segment_count());
    segments.extend(message.segments());
    segments
}

/// The first segment with id `id`, as a map's source.
pub fn first_segment<'a>(segments: &[Segment<'a>], id: &str) -> Vals<'a> {
    segments
        .iter()
        .filter(|s| crate::er7::same_id(s.id(), id.as_bytes()))
        .take(1)
        .map(|s| V::Segment(*s))
        .collect()
}

/// Reads a JSON document; a syntax error rejects it at its byte offset in
/// the document.
pub fn read_json(bytes: &[u8], ordinal: u32) -> R<crate::json::Value> {
    crate::json::read(bytes).map_err(|e| {
        Rejection::new(
            "JSON",
            Location::at_span(e.offset(), e.offset()).in_message(ordinal),
            e.to_string(),
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Ids come out the same whether made, reused or made again past the
    /// kept keys.
    #[test]
    fn ids_reused_within_a_message_are_the_ids_made() {
        let tree = Tree::default();
        // Twice: the second message reuses the first one's buffers, and
        // keeps none of its ids.
        for message in 1..=2 {
            let cx = Ctx::new(&[], &tree, message, None);
            let mut ids = cx.ids.borrow_mut();
            assert!(ids.found.is_empty() && ids.keys.is_empty());
            if message == 2 {
                assert!(ids.keys.capacity() > 0 && ids.found.capacity() >= IDS_KEPT);
            }
            for round in 0..2 {
                for i in 0..IDS_KEPT + 8 {
                    let part = format!("mrn-{i}");
                    let expected = crate::id::resource_id("Patient", &[&part]).unwrap();
                    ids.key = crate::id::id_key("Patient", &[&part]);
                    assert_eq!(ids.id_of_key(), expected, "round {round}, key {i}");
                }
            }
            assert_eq!(ids.found.len(), IDS_KEPT);
        }
    }

    fn text_value(s: &str) -> Vals<'_> {
        if s.is_empty() {
            Vals::new()
        } else {
            one(V::Text(std::borrow::Cow::Borrowed(s)))
        }
    }

    proptest::proptest! {
        /// Comparing with a text constant and `in` over text constants
        /// agree with the general comparison and `in` over values, for
        /// every operator, absent and empty texts, numbers and codes of
        /// every length around the short-text loop's limit.
        #[test]
        fn text_constants_compare_as_values(
            a in "(|1|10|1.0|MR|mr|M|[a-z]{15,18})",
            b in "(|1|10|1.0|MR|mr|M|[a-z]{15,18})",
            c in "(|MR|URI|[a-z]{16,17})",
        ) {
            let (va, vb, vc) = (text_value(&a), text_value(&b), text_value(&c));
            for op in [Compare::Eq, Compare::Ne, Compare::Lt, Compare::Le, Compare::Gt, Compare::Ge] {
                proptest::prop_assert_eq!(compare_text(op, &va, &b), compare(op, &va, &vb), "{:?}", op);
            }
            proptest::prop_assert_eq!(
                in_texts(&va, &[b.as_str(), c.as_str()]),
                in_options(&va, &[vb.as_slice(), vc.as_slice()])
            );
        }
    }

    proptest::proptest! {
        /// A split repetition gives every component, valued, null or
        /// absent, with its location, as `nav_component` does, however far
        /// it was split; a literal field (MSH-2) is read unsplit.
        #[test]
        fn split_components_are_nav_components(
            field in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b'^'),
                    proptest::strategy::Just(b'&'),
                    proptest::strategy::Just(b'~'),
                    proptest::strategy::Just(b'"'),
                    proptest::strategy::Just(b'a'),
                ],
                0..60,
            ),
            upto in 0usize..20,
        ) {
            let mut bytes = b"MSH|^~\\&|A|B|||20240101||ADT^A01|1|P|2.5.1\rPID|1||".to_vec();
            bytes.extend_from_slice(&field);
            let parsed = crate::er7::Message::parse(&bytes).unwrap();
            let message = parsed.message();
            let pid = message.segment("PID", 1).unwrap();
            let msh = message.segment("MSH", 1).unwrap();
            let reps: Vec<V<'_>> = pid
                .field(3)
                .repetitions()
                .chain(msh.field(2).repetitions())
                .map(V::Rep)
                .collect();
            let seen = |v: Option<V<'_>>| {
                v.map(|v| match v {
                    V::Comp(c) => (c.raw().to_vec(), c.location()),
                    other => (Vec::new(), ctx_free_location(&other)),
                })
            };
            for rep in &reps {
                let split = Split::new(rep, upto);
                for n in 0..20 {
                    let expected = nav_component(std::slice::from_ref(rep), n).into_iter().next();
                    proptest::prop_assert_eq!(seen(split.component(n)), seen(expected), "component {}", n);
                    // What the generated code reads of the split, against
                    // the path readers on the component it stands for.
                    let component = split.component(n);
                    let component = component.as_slice();
                    proptest::prop_assert_eq!(split.text(n), first_text(component, &[]), "text {}", n);
                    proptest::prop_assert_eq!(
                        present_text_of(split.component(n)),
                        text_if_present(component, &[]),
                        "present text {}", n
                    );
                    for k in 0..6 {
                        let steps = [PathStep::Component(k)];
                        let sub = |v: Option<V<'_>>| {
                            v.map(|v| match v {
                                V::Sub(s) => (s.raw().to_vec(), s.location()),
                                other => (Vec::new(), ctx_free_location(&other)),
                            })
                        };
                        proptest::prop_assert_eq!(
                            sub(split.component_sub(n, k)),
                            sub(first_value(component, &steps)),
                            "component {} sub {}", n, k
                        );
                        proptest::prop_assert_eq!(
                            split.text_sub(n, k),
                            first_text(component, &steps),
                            "text {} sub {}", n, k
                        );
                        proptest::prop_assert_eq!(
                            present_text_of(split.component_sub(n, k)),
                            text_if_present(component, &steps),
                            "present text {} sub {}", n, k
                        );
                    }
                }
            }
        }
    }

    fn ctx_free_location(v: &V<'_>) -> Location {
        match v {
            V::Sub(s) => s.location(),
            _ => Location::default(),
        }
    }
}
