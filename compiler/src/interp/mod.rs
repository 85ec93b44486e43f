//! Stage 4: the interpreter, Ferry's reference semantics. It runs a
//! [`Program`] over the runtime's ER7 reader and JSON reader and writes with
//! the runtime's JSON writer, so it shares one parser and one writer with
//! the generated code.
//!
//! Every expression yields a list of values (a repeating field gives one per
//! repetition; an absent field none). Where one value goes the first is
//! taken; the checker has made sure a choice was written.

// `Rejection` is the error type of the `Converter` interface; rejections
// are the cold path, so its size does not matter here.
#![allow(clippy::result_large_err)]

#[cfg(test)]
mod structure_tests;

use ferry_runtime::error::{Location, Rejection};
use ferry_runtime::rt::{self, Ctx, Out, R, Require, V, Vals};
use smallvec::SmallVec;

use crate::ir::*;
use crate::run::{Converter, Document, InputKind};

pub use ferry_runtime::rt::Options;

/// A program with its entry map: a [`Converter`] for `ferry run`.
#[derive(Debug)]
pub struct Interpreter<'p> {
    program: &'p Program,
    entry: MapId,
    options: Options,
    /// The entry's message structure (its top-level children), when it
    /// reads a whole message.
    shape: Vec<rt::Node<'static>>,
}

impl<'p> Interpreter<'p> {
    pub fn new(program: &'p Program, entry: MapId, options: Options) -> Interpreter<'p> {
        let shape = match program.map(entry).and_then(|m| m.sources.first()) {
            Some(SourcePlan::Message(structure)) => shape(structure.children()),
            _ => Vec::new(),
        };
        Interpreter {
            program,
            entry,
            options,
            shape,
        }
    }

    fn entry(&self) -> Option<&'p MapPlan> {
        self.program.map(self.entry)
    }
}

/// A message structure's nodes as the runtime's matcher reads them.
pub fn shape(nodes: &'static [ferry_schema::Node]) -> Vec<rt::Node<'static>> {
    nodes
        .iter()
        .map(|n| rt::Node {
            name: n.name().into(),
            min: n.cardinality().min,
            repeats: n.cardinality().is_repeating(),
            group: n.is_group(),
            children: shape(n.children()).into(),
        })
        .collect()
}

/// The structure of a message type and trigger event in a version.
fn by_event(
    version: Option<ferry_schema::Hl7Version>,
) -> impl Fn(&str, &str) -> Option<&'static str> {
    move |kind, event| {
        let v2 = ferry_schema::hl7v2(version?).ok()?;
        v2.structure_for_event(kind, event).ok().map(|s| s.name())
    }
}

impl Converter for Interpreter<'_> {
    fn input_kind(&self) -> InputKind {
        match self.entry().and_then(|m| m.sources.first()) {
            Some(SourcePlan::Message(_) | SourcePlan::Segment(_) | SourcePlan::Group(..)) => {
                InputKind::Hl7v2
            }
            Some(SourcePlan::Fhir(_)) => InputKind::FhirJson,
            _ => InputKind::RecordJson,
        }
    }

    fn convert(&self, document: &Document<'_>, out: &mut Vec<u8>) -> Result<(), Rejection> {
        let here = || Location::default().in_message(document.ordinal);
        let Some(map) = self.entry() else {
            return Err(Rejection::new(
                "NO-MAP",
                here(),
                "the spec has no map to run",
            ));
        };
        let zone = self.options.time_zone.as_ref();
        match map.entry_sources() {
            Some(EntrySources::Message(structure)) => rt::with_index(|index| {
                let message = index
                    .parse_numbered(document.bytes, Some(document.ordinal))
                    .map_err(Rejection::from)?;
                let segments = rt::segments(&message);
                rt::check_message_type(
                    structure.name(),
                    by_event(self.program.hl7_version),
                    &segments,
                    document.ordinal,
                )?;
                let tree = rt::structure::place_segments(&self.shape, &segments);
                let run = Run::new(
                    self.program,
                    Ctx::new(&segments, &tree, document.ordinal, zone),
                );
                let root = run.map(map, smallvec::smallvec![rt::one(V::Group(0))])?;
                rt::emit(out, &run.cx, root);
                R::Ok(())
            })?,
            Some(EntrySources::Segments(ids)) => {
                rt::with_index(|index| {
                    let message = index
                        .parse_numbered(document.bytes, Some(document.ordinal))
                        .map_err(Rejection::from)?;
                    let segments = rt::segments(&message);
                    let tree = rt::Tree::default();
                    let run = Run::new(
                        self.program,
                        Ctx::new(&segments, &tree, document.ordinal, zone),
                    );
                    // Each source is the first segment of its id.
                    let sources = ids
                        .iter()
                        .map(|id| rt::first_segment(&segments, id))
                        .collect();
                    let root = run.map(map, sources)?;
                    rt::emit(out, &run.cx, root);
                    R::Ok(())
                })?
            }
            Some(EntrySources::Json { .. }) => {
                let value = rt::read_json(document.bytes, document.ordinal)?;
                let tree = rt::Tree::default();
                let run = Run::new(self.program, Ctx::new(&[], &tree, document.ordinal, zone));
                let root = run.map(map, smallvec::smallvec![rt::one(V::Json(&value))])?;
                rt::emit(out, &run.cx, root);
            }
            Some(EntrySources::Group) => {
                return Err(Rejection::new(
                    "NO-SOURCE",
                    here(),
                    "a map that reads a segment group runs only when another map calls it",
                ));
            }
            None if map.sources.is_empty() => {
                return Err(Rejection::new("NO-SOURCE", here(), "the map has no source"));
            }
            None => {
                return Err(Rejection::new(
                    "NO-SOURCE",
                    here(),
                    "a map of several sources runs on its own only when every source is a segment (each is then the first of its id); else another map must call it",
                ));
            }
        }
        Ok(())
    }
}

/// A map's sources, a call's arguments: a few, kept inline (no allocation
/// per map call or built-in call).
type Args<'a> = SmallVec<[Vals<'a>; 4]>;

struct Run<'a> {
    program: &'a Program,
    cx: Ctx<'a>,
}

/// Bindings of one running map.
struct Frame<'a> {
    sources: Args<'a>,
    slots: SmallVec<[Vals<'a>; 8]>,
    current: Vals<'a>,
    /// `require`s met while building each open object, innermost last;
    /// checked when the object is complete.
    pending: SmallVec<[Vec<Require<'a, String>>; 4]>,
}

impl<'a> Run<'a> {
    fn new(program: &'a Program, cx: Ctx<'a>) -> Run<'a> {
        Run { program, cx }
    }

    fn map(&self, map: &'a MapPlan, sources: Args<'a>) -> R<Out> {
        let mut frame = Frame {
            sources,
            slots: SmallVec::from_elem(Vals::new(), map.slots as usize),
            current: Vals::new(),
            pending: smallvec::smallvec![Vec::new()],
        };
        let object = rt::start_object(
            &self.cx,
            map.target_is_resource.then_some(map.target.as_str()),
        );
        self.block(&map.body, &mut frame, object, false)?;
        self.required(&map.body, object)?;
        for p in frame.pending.pop().unwrap_or_default() {
            rt::check_require(&self.cx, object, &p)?;
        }
        Ok(object)
    }

    fn required(&self, block: &Block, object: Out) -> R<()> {
        for r in &block.required {
            rt::check_required(&self.cx, object, &r.element, &r.path, r.reason.as_deref())?;
        }
        Ok(())
    }

    /// Runs a block's rules into `object`; returns how many values read
    /// from the input were placed (constants count only under a `when`,
    /// whose condition read the input).
    fn block(
        &self,
        block: &'a Block,
        frame: &mut Frame<'a>,
        object: Out,
        conditional: bool,
    ) -> R<usize> {
        let mut derived = 0;
        for op in &block.ops {
            derived += self.op(op, frame, object, conditional)?;
        }
        Ok(derived)
    }

    /// Builds one object from `body`; `None` when it must not be written.
    fn object(
        &self,
        body: &'a Block,
        frame: &mut Frame<'a>,
        conditional: bool,
    ) -> R<Option<(Out, usize)>> {
        let inner = rt::object(&self.cx);
        frame.pending.push(Vec::new());
        let derived = self.block(body, frame, inner, conditional);
        let pending = frame.pending.pop().unwrap_or_default();
        let derived = derived?;
        if !rt::keep_object(&self.cx, inner, body.reads_input, derived) {
            return Ok(None);
        }
        self.required(body, inner)?;
        for p in &pending {
            rt::check_require(&self.cx, inner, p)?;
        }
        Ok(Some((inner, derived)))
    }

    fn op(&self, op: &'a Op, frame: &mut Frame<'a>, object: Out, conditional: bool) -> R<usize> {
        Ok(match op {
            Op::Set { target, value } => {
                let values = self.eval(value, frame)?;
                let placed = match target.as_slice() {
                    [step] if step.mode == Mode::Single => {
                        rt::set_member(&self.cx, object, &step.name, values, rt::Member::Lookup)
                    }
                    [step] if step.mode == Mode::Append => {
                        rt::append_member(&self.cx, object, &step.name, values, rt::Member::Lookup)
                    }
                    _ => {
                        let outs = rt::outs(&self.cx, values);
                        let placed = outs.len();
                        rt::place(&self.cx, object, target, outs);
                        placed
                    }
                };
                if matches!(value, Expr::Const(_)) && !conditional {
                    0
                } else {
                    placed
                }
            }
            Op::Object { target, body } => match self.object(body, frame, false)? {
                Some((inner, derived)) => {
                    rt::place(&self.cx, object, target, rt::placed(inner));
                    if conditional { derived.max(1) } else { derived }
                }
                None => 0,
            },
            Op::EachObject {
                target,
                source,
                slot,
                body,
            } => {
                let items = self.eval(source, frame)?;
                let mut outs = rt::Outs::new();
                let mut derived = 0;
                for item in items {
                    if !rt::present(&item) {
                        continue;
                    }
                    set_slot(frame, *slot, rt::one(item));
                    if let Some((inner, d)) = self.object(body, frame, false)? {
                        outs.push(rt::Placed {
                            node: inner,
                            shared: false,
                        });
                        derived += d.max(1);
                    }
                }
                rt::place(&self.cx, object, target, outs);
                derived
            }
            Op::Each { source, slot, body } => {
                let mut derived = 0;
                for item in self.eval(source, frame)? {
                    if !rt::present(&item) {
                        continue;
                    }
                    set_slot(frame, *slot, rt::one(item));
                    derived += self.block(body, frame, object, true)?;
                }
                derived
            }
            Op::Let { slot, value } => {
                let v = self.eval(value, frame)?;
                set_slot(frame, *slot, v);
                0
            }
            Op::When {
                cond,
                then,
                otherwise,
            } => {
                if rt::truthy(&self.eval(cond, frame)?) {
                    self.block(then, frame, object, true)?
                } else {
                    self.block(otherwise, frame, object, true)?
                }
            }
            Op::RequireTarget {
                steps,
                path,
                reason,
                if_present,
            } => {
                if let Some(open) = frame.pending.last_mut() {
                    open.push(Require {
                        steps,
                        path,
                        reason: reason.as_deref(),
                        if_present: *if_present as usize,
                    });
                }
                0
            }
            Op::RequireSource {
                value,
                what,
                reason,
            } => {
                let v = self.eval(value, frame)?;
                rt::require_source(&self.cx, &v, what, reason.as_deref())?;
                0
            }
        })
    }

    // ------------------------------------------------------------ expressions

    fn eval(&self, e: &'a Expr, frame: &mut Frame<'a>) -> R<Vals<'a>> {
        Ok(match e {
            Expr::Const(c) => constant(c),
            Expr::Source(i) => frame.sources.get(*i as usize).cloned().unwrap_or_default(),
            Expr::Slot(s) => frame.slots.get(s.0 as usize).cloned().unwrap_or_default(),
            Expr::Current => frame.current.last().cloned().into_iter().collect(),
            Expr::Nav(base, navs) => {
                // From a source or binding, the first step reads the bound
                // values in place instead of a copy.
                let bound = match base.as_ref() {
                    Expr::Source(i) => frame.sources.get(*i as usize),
                    Expr::Slot(s) => frame.slots.get(s.0 as usize),
                    _ => None,
                };
                let first = match (bound, navs.split_first()) {
                    (Some(values), Some((nav, rest))) => {
                        self.step(values, nav).map(|values| (values, rest))
                    }
                    _ => None,
                };
                let (mut values, rest) = match first {
                    Some(started) => started,
                    None => (self.eval(base, frame)?, navs.as_slice()),
                };
                for nav in rest {
                    values = self.nav(values, nav, frame)?;
                }
                values
            }
            Expr::Call(builtin, args) => {
                let mut values = Args::new();
                for a in args {
                    values.push(self.eval(a, frame)?);
                }
                let values: SmallVec<[&[V<'a>]; 4]> = values.iter().map(|v| v.as_slice()).collect();
                rt::call(&self.cx, *builtin, &values)?
            }
            Expr::MapCall(id, args) => {
                let Some(map) = self.program.map(*id) else {
                    return Ok(Vals::new());
                };
                let mut sources = Args::new();
                for a in args {
                    sources.push(rt::first_only(&self.eval(a, frame)?));
                }
                rt::obj(&self.cx, self.map(map, sources)?)
            }
            Expr::Lookup(table, value) => {
                let values = self.eval(value, frame)?;
                let Some(plan) = self.program.table(*table) else {
                    return Ok(Vals::new());
                };
                let otherwise = match &plan.otherwise {
                    Otherwise::Code(c) => rt::Otherwise::Code(c),
                    Otherwise::Keep => rt::Otherwise::Keep,
                    Otherwise::Absent => rt::Otherwise::Absent,
                    Otherwise::Reject => rt::Otherwise::Reject,
                };
                let find = |code: &str| {
                    plan.rows
                        .iter()
                        .find(|(input, _)| input == code)
                        .map(|(_, output)| output.as_str())
                };
                rt::lookup_all(&self.cx, &plan.name, find, otherwise, &values)?
            }
            Expr::Coalesce(a, b) => {
                let first = self.eval(a, frame)?;
                if rt::coalesce_keeps(&first) {
                    first
                } else {
                    self.eval(b, frame)?
                }
            }
            Expr::Compare(op, a, b) => {
                let a = self.eval(a, frame)?;
                let b = self.eval(b, frame)?;
                rt::bool_val(rt::compare(*op, &a, &b))
            }
            Expr::And(a, b) => {
                rt::bool_val(rt::truthy(&self.eval(a, frame)?) && rt::truthy(&self.eval(b, frame)?))
            }
            Expr::Or(a, b) => {
                rt::bool_val(rt::truthy(&self.eval(a, frame)?) || rt::truthy(&self.eval(b, frame)?))
            }
            Expr::Not(a) => rt::bool_val(!rt::truthy(&self.eval(a, frame)?)),
            Expr::In(value, options) => {
                let v = self.eval(value, frame)?;
                let mut evaluated = Args::new();
                for o in options {
                    evaluated.push(self.eval(o, frame)?);
                }
                let options: SmallVec<[&[V<'a>]; 4]> =
                    evaluated.iter().map(|v| v.as_slice()).collect();
                rt::bool_val(rt::in_options(&v, &options))
            }
            Expr::If(c, t, o) => {
                if rt::truthy(&self.eval(c, frame)?) {
                    self.eval(t, frame)?
                } else {
                    self.eval(o, frame)?
                }
            }
        })
    }

    fn nav(&self, values: Vals<'a>, nav: &'a Nav, frame: &mut Frame<'a>) -> R<Vals<'a>> {
        Ok(match nav {
            Nav::All => values,
            Nav::Where(cond) => {
                let mut out = Vals::new();
                for v in values {
                    frame.current.push(v.clone());
                    let keep = rt::truthy(&self.eval(cond, frame)?);
                    frame.current.pop();
                    if keep {
                        out.push(v);
                    }
                }
                out
            }
            step => self.step(&values, step).unwrap_or_default(),
        })
    }

    /// A navigation step that reads only its input (not `[where ...]`,
    /// not `[*]`), from borrowed values.
    fn step(&self, values: &[V<'a>], nav: &'a Nav) -> Option<Vals<'a>> {
        Some(match nav {
            Nav::Node(path) => rt::nav_node(&self.cx, values, path),
            Nav::Field(n) => rt::nav_field(values, *n as usize),
            Nav::Component(n) => rt::nav_component(values, *n as usize),
            Nav::FieldComponents(f, steps) => rt::nav_field_components(values, *f, steps),
            Nav::Components(steps) => rt::nav_components(values, steps),
            Nav::Member(name) => rt::nav_member(values, name),
            Nav::Index(n) => rt::nav_index(values, *n as usize),
            Nav::All | Nav::Where(_) => return None,
        })
    }
}

/// A constant as a value.
fn constant(c: &Const) -> Vals<'_> {
    rt::one(match c {
        Const::Text(s) => V::Text(s.as_str().into()),
        Const::Number(n) => V::Num(n.as_str().into()),
        Const::Bool(b) => V::Bool(*b),
    })
}

fn set_slot<'a>(frame: &mut Frame<'a>, slot: Slot, v: Vals<'a>) {
    if let Some(s) = frame.slots.get_mut(slot.0 as usize) {
        *s = v;
    }
}
