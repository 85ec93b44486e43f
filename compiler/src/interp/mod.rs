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

pub mod structure;

use std::borrow::Cow;

use ferry_runtime::convert::{self, Decimal, TimeZone};
use ferry_runtime::er7::{Component, MessageIndex, Repetition, Segment, Subcomponent};
use ferry_runtime::error::{Location, Rejection};
use ferry_runtime::json::{self, JsonWriter, Style};

use crate::ir::*;
use crate::run::{Converter, Document, InputKind};
use structure::{Placed, Tree};

/// Options of a run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The IANA time zone of HL7 times that carry no offset.
    pub time_zone: Option<TimeZone>,
}

/// A program with its entry map: a [`Converter`] for `ferry run`.
#[derive(Debug)]
pub struct Interpreter<'p> {
    program: &'p Program,
    entry: MapId,
    options: Options,
}

impl<'p> Interpreter<'p> {
    pub fn new(program: &'p Program, entry: MapId, options: Options) -> Interpreter<'p> {
        Interpreter {
            program,
            entry,
            options,
        }
    }

    fn entry(&self) -> Option<&'p MapPlan> {
        self.program.map(self.entry)
    }
}

impl Interpreter<'_> {
    /// A map of structure S reads only messages of structure S: MSH-9.3
    /// where the sender gives it, else the trigger event's structure
    /// (ADT^A04 reads as ADT_A01).
    fn check_message_type(
        &self,
        structure: &ferry_schema::Structure,
        segments: &[Segment<'_>],
        ordinal: u32,
    ) -> Result<(), Rejection> {
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
        // senders often name the event there (ADT^A08^ADT_A08).
        let by_event = self
            .program
            .hl7_version
            .and_then(|v| ferry_schema::hl7v2(v).ok())
            .and_then(|v2| v2.structure_for_event(&kind, &event).ok())
            .map(|s| s.name().to_owned());
        if by_event.as_deref() == Some(structure.name()) || declared == structure.name() {
            return Ok(());
        }
        let reason = match by_event {
            Some(other) => format!(
                "the message's structure is {other}; this map reads {}",
                structure.name()
            ),
            None => format!(
                "the message type in MSH-9 is not one of {}'s events",
                structure.name()
            ),
        };
        Err(Rejection::new(
            "MESSAGE-TYPE",
            field.location().in_message(ordinal),
            reason,
        ))
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
        match map.sources.first() {
            Some(SourcePlan::Message(structure)) => {
                let mut index = MessageIndex::new();
                let message = index
                    .parse_numbered(document.bytes, Some(document.ordinal))
                    .map_err(Rejection::from)?;
                let segments: Vec<Segment<'_>> = message.segments().collect();
                self.check_message_type(structure, &segments, document.ordinal)?;
                let ids: Vec<&[u8]> = segments.iter().map(|s| s.id()).collect();
                let tree = structure::place(structure, &ids);
                let run = Run::new(
                    self.program,
                    &self.options,
                    &segments,
                    &tree,
                    document.ordinal,
                );
                emit(out, &run.map(map, vec![vec![V::Group(0)]])?);
            }
            Some(SourcePlan::Segment(id)) => {
                let mut index = MessageIndex::new();
                let message = index
                    .parse_numbered(document.bytes, Some(document.ordinal))
                    .map_err(Rejection::from)?;
                let segments: Vec<Segment<'_>> = message.segments().collect();
                let tree = Tree::default();
                let run = Run::new(
                    self.program,
                    &self.options,
                    &segments,
                    &tree,
                    document.ordinal,
                );
                let source: Vec<V<'_>> = segments
                    .iter()
                    .filter(|s| s.id() == id.as_bytes())
                    .take(1)
                    .map(|s| V::Segment(*s))
                    .collect();
                emit(out, &run.map(map, vec![source])?);
            }
            Some(SourcePlan::Fhir(_) | SourcePlan::Record(_)) => {
                let value = json::read(document.bytes).map_err(|e| {
                    Rejection::new(
                        "JSON",
                        Location::at_span(
                            document.offset + e.offset(),
                            document.offset + e.offset(),
                        )
                        .in_message(document.ordinal),
                        e.to_string(),
                    )
                })?;
                let tree = Tree::default();
                let run = Run::new(self.program, &self.options, &[], &tree, document.ordinal);
                emit(out, &run.map(map, vec![vec![V::Json(&value)]])?);
            }
            Some(SourcePlan::Group(..)) => {
                return Err(Rejection::new(
                    "NO-SOURCE",
                    here(),
                    "a map that reads a segment group runs only when another map calls it",
                ));
            }
            None => return Err(Rejection::new("NO-SOURCE", here(), "the map has no source")),
        }
        Ok(())
    }
}

/// Writes a map's output as compact JSON.
fn emit(out: &mut Vec<u8>, output: &Out<'_>) {
    let mut writer = JsonWriter::new(out, Style::Compact);
    write_out(&mut writer, None, output);
}

/// A value while a map runs.
#[derive(Debug, Clone)]
enum V<'a> {
    /// A group instance (0: the message).
    Group(usize),
    Segment(Segment<'a>),
    Rep(Repetition<'a>),
    Comp(Component<'a>),
    Sub(Subcomponent<'a>),
    Json(&'a json::Value),
    Text(Cow<'a, str>),
    Num(String),
    Int(i64),
    Bool(bool),
    Obj(Out<'a>),
}

/// The output being built: members in the order the rules set them. Keys
/// and constants borrow from the program, text from the message.
#[derive(Debug, Clone)]
enum Out<'a> {
    Obj(Vec<(Cow<'a, str>, Out<'a>)>),
    Arr(Vec<Out<'a>>),
    Str(Cow<'a, str>),
    Num(Cow<'a, str>),
    Int(i64),
    Bool(bool),
}

impl<'a> Out<'a> {
    fn is_empty(&self) -> bool {
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

struct Run<'a> {
    program: &'a Program,
    options: &'a Options,
    segments: &'a [Segment<'a>],
    tree: &'a Tree,
    message: u32,
}

/// A `require` of a target element, checked when its object is complete.
#[derive(Debug, Clone)]
struct Pending {
    steps: Vec<String>,
    path: String,
    reason: Option<String>,
    if_present: usize,
}

/// Bindings of one running map.
struct Frame<'a> {
    sources: Vec<Vec<V<'a>>>,
    slots: Vec<Vec<V<'a>>>,
    current: Vec<V<'a>>,
    /// `require`s met while building each open object, innermost last;
    /// checked when the object is complete.
    pending: Vec<Vec<Pending>>,
}

type R<T> = Result<T, Rejection>;

impl<'a> Run<'a> {
    fn new(
        program: &'a Program,
        options: &'a Options,
        segments: &'a [Segment<'a>],
        tree: &'a Tree,
        message: u32,
    ) -> Run<'a> {
        Run {
            program,
            options,
            segments,
            tree,
            message,
        }
    }

    fn here(&self) -> Location {
        Location::default().in_message(self.message)
    }

    fn map(&self, map: &'a MapPlan, sources: Vec<Vec<V<'a>>>) -> R<Out<'a>> {
        let mut frame = Frame {
            sources,
            slots: vec![Vec::new(); map.slots as usize],
            current: Vec::new(),
            pending: vec![Vec::new()],
        };
        let mut object = Out::Obj(Vec::new());
        if map.target_is_resource {
            object = Out::Obj(vec![(
                Cow::Borrowed("resourceType"),
                Out::Str(Cow::Borrowed(map.target.as_str())),
            )]);
        }
        self.block(&map.body, &mut frame, &mut object, false)?;
        self.required(&map.body, &object)?;
        self.pending(&mut frame, &object)?;
        Ok(object)
    }

    fn required(&self, block: &Block, object: &Out<'a>) -> R<()> {
        for r in &block.required {
            let present = match object {
                Out::Obj(members) => members.iter().any(|(k, v)| {
                    (k == &r.element || k.starts_with(&r.element) && r.element.len() < k.len())
                        && !v.is_empty()
                }),
                _ => false,
            };
            if !present {
                let reason = match &r.reason {
                    Some(reason) => format!("{}: {reason}", r.path),
                    None => format!(
                        "{} is required, and the message gives no value for it",
                        r.path
                    ),
                };
                return Err(Rejection::new("REQUIRED", self.here(), reason));
            }
        }
        Ok(())
    }

    /// Runs a block's rules into `object`; returns how many values read
    /// from the input were placed (constants count only under a `when`,
    /// whose condition read the input).
    /// Checks the `require`s met while building a map's result.
    fn pending(&self, frame: &mut Frame<'a>, object: &Out<'a>) -> R<()> {
        for p in frame.pending.pop().unwrap_or_default() {
            self.check_pending(&p, object)?;
        }
        Ok(())
    }

    fn check_pending(&self, p: &Pending, object: &Out<'a>) -> R<()> {
        let condition = p.steps.get(..p.if_present).unwrap_or(&[]);
        if has_path(object, &p.steps) || (p.if_present > 0 && !has_path(object, condition)) {
            return Ok(());
        }
        let reason = match &p.reason {
            Some(r) => format!("{}: {r}", p.path),
            None => format!(
                "{} is required, and the message gives no value for it",
                p.path
            ),
        };
        Err(Rejection::new("REQUIRED", self.here(), reason))
    }

    fn block(
        &self,
        block: &'a Block,
        frame: &mut Frame<'a>,
        object: &mut Out<'a>,
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
    ) -> R<Option<(Out<'a>, usize)>> {
        let mut inner = Out::Obj(Vec::new());
        frame.pending.push(Vec::new());
        let derived = self.block(body, frame, &mut inner, conditional);
        let pending = frame.pending.pop().unwrap_or_default();
        let derived = derived?;
        if inner.is_empty() || (body.reads_input && derived == 0) {
            return Ok(None);
        }
        self.required(body, &inner)?;
        for p in &pending {
            self.check_pending(p, &inner)?;
        }
        Ok(Some((inner, derived)))
    }

    fn op(
        &self,
        op: &'a Op,
        frame: &mut Frame<'a>,
        object: &mut Out<'a>,
        conditional: bool,
    ) -> R<usize> {
        Ok(match op {
            Op::Set { target, value } => {
                let values = self.eval(value, frame)?;
                let outs: Vec<Out> = values.iter().filter_map(|v| self.to_out(v)).collect();
                let placed = outs.len();
                place(object, target, outs);
                if matches!(value, Expr::Const(_)) && !conditional {
                    0
                } else {
                    placed
                }
            }
            Op::Object { target, body } => match self.object(body, frame, false)? {
                Some((inner, derived)) => {
                    place(object, target, vec![inner]);
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
                let mut outs = Vec::new();
                let mut derived = 0;
                for item in items {
                    if !present(&item) {
                        continue;
                    }
                    set_slot(frame, *slot, vec![item]);
                    if let Some((inner, d)) = self.object(body, frame, false)? {
                        outs.push(inner);
                        derived += d.max(1);
                    }
                }
                place(object, target, outs);
                derived
            }
            Op::Each { source, slot, body } => {
                let mut derived = 0;
                for item in self.eval(source, frame)? {
                    if !present(&item) {
                        continue;
                    }
                    set_slot(frame, *slot, vec![item]);
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
                if truthy(&self.eval(cond, frame)?) {
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
                    open.push(Pending {
                        steps: steps.clone(),
                        path: path.clone(),
                        reason: reason.clone(),
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
                if !v.iter().any(present) {
                    let reason = match reason {
                        Some(r) => format!("{what} is required: {r}"),
                        None => format!("{what} is required and not valued"),
                    };
                    return Err(Rejection::new("REQUIRED", self.here(), reason));
                }
                0
            }
        })
    }

    fn to_out(&self, v: &V<'a>) -> Option<Out<'a>> {
        let out = match v {
            V::Obj(o) => o.clone(),
            V::Num(n) => Out::Num(Cow::Owned(n.clone())),
            V::Int(i) => Out::Int(*i),
            V::Bool(b) => Out::Bool(*b),
            V::Json(j) => json_out(j)?,
            other => Out::Str(text(other)?),
        };
        (!out.is_empty()).then_some(out)
    }

    // ------------------------------------------------------------ expressions

    fn eval(&self, e: &'a Expr, frame: &mut Frame<'a>) -> R<Vec<V<'a>>> {
        Ok(match e {
            Expr::Const(Const::Text(s)) => vec![V::Text(Cow::Borrowed(s.as_str()))],
            Expr::Const(Const::Number(n)) => vec![V::Num(n.clone())],
            Expr::Const(Const::Bool(b)) => vec![V::Bool(*b)],
            Expr::Source(i) => frame.sources.get(*i as usize).cloned().unwrap_or_default(),
            Expr::Slot(s) => frame.slots.get(s.0 as usize).cloned().unwrap_or_default(),
            Expr::Current => frame.current.last().cloned().into_iter().collect(),
            Expr::Nav(base, navs) => {
                let mut values = self.eval(base, frame)?;
                for nav in navs {
                    values = self.nav(values, nav, frame)?;
                }
                values
            }
            Expr::Call(builtin, args) => self.call(*builtin, args, frame)?,
            Expr::MapCall(id, args) => {
                let Some(map) = self.program.map(*id) else {
                    return Ok(Vec::new());
                };
                let mut sources = Vec::new();
                for a in args {
                    sources.push(self.eval(a, frame)?.into_iter().take(1).collect());
                }
                let out = self.map(map, sources)?;
                vec![V::Obj(out)]
            }
            Expr::Lookup(table, value) => {
                let values = self.eval(value, frame)?;
                let mut out = Vec::new();
                for v in values {
                    out.extend(self.lookup(*table, &v)?);
                }
                out
            }
            Expr::Coalesce(a, b) => {
                let first = self.eval(a, frame)?;
                if first.iter().any(present) {
                    first
                } else {
                    self.eval(b, frame)?
                }
            }
            Expr::Compare(op, a, b) => {
                let a = self.eval(a, frame)?;
                let b = self.eval(b, frame)?;
                vec![V::Bool(compare(*op, a.first(), b.first()))]
            }
            Expr::And(a, b) => vec![V::Bool(
                truthy(&self.eval(a, frame)?) && truthy(&self.eval(b, frame)?),
            )],
            Expr::Or(a, b) => vec![V::Bool(
                truthy(&self.eval(a, frame)?) || truthy(&self.eval(b, frame)?),
            )],
            Expr::Not(a) => vec![V::Bool(!truthy(&self.eval(a, frame)?))],
            Expr::In(value, options) => {
                let v = self.eval(value, frame)?;
                let t = v.first().and_then(text);
                let mut found = false;
                for o in options {
                    let o = self.eval(o, frame)?;
                    if t.is_some() && o.first().and_then(text) == t {
                        found = true;
                    }
                }
                vec![V::Bool(found)]
            }
            Expr::If(c, t, o) => {
                if truthy(&self.eval(c, frame)?) {
                    self.eval(t, frame)?
                } else {
                    self.eval(o, frame)?
                }
            }
        })
    }

    fn nav(&self, values: Vec<V<'a>>, nav: &'a Nav, frame: &mut Frame<'a>) -> R<Vec<V<'a>>> {
        let mut out = Vec::new();
        match nav {
            Nav::Node(path) => {
                for v in &values {
                    if let V::Group(g) = v {
                        self.node(*g, path, &mut out);
                    }
                }
            }
            Nav::Field(n) => {
                for v in &values {
                    if let V::Segment(s) = v {
                        let field = s.field(*n as usize);
                        out.extend(field.repetitions().filter(|r| !r.is_empty()).map(V::Rep));
                    }
                }
            }
            Nav::Component(n) => {
                for v in values {
                    let next = match v {
                        V::Rep(r) => V::Comp(r.component(*n as usize)),
                        V::Comp(c) => V::Sub(c.subcomponent(*n as usize)),
                        V::Sub(s) if *n == 1 => V::Sub(s),
                        _ => continue,
                    };
                    if present(&next) || is_null(&next) {
                        out.push(next);
                    }
                }
            }
            Nav::Member(name) => {
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
            }
            Nav::Index(n) => out.extend(values.into_iter().nth((*n as usize).saturating_sub(1))),
            Nav::All => out = values,
            Nav::Where(cond) => {
                for v in values {
                    frame.current.push(v.clone());
                    let keep = truthy(&self.eval(cond, frame)?);
                    frame.current.pop();
                    if keep {
                        out.push(v);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The instances of the node at `path` below group instance `g`.
    fn node(&self, g: usize, path: &[usize], out: &mut Vec<V<'a>>) {
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
                Placed::Group(inner) => self.node(*inner, rest, out),
                Placed::Segment(i) if rest.is_empty() => {
                    if let Some(s) = self.segments.get(*i) {
                        out.push(V::Segment(*s));
                    }
                }
                Placed::Segment(_) => {}
            }
        }
    }

    fn lookup(&self, table: TableId, v: &V<'a>) -> R<Vec<V<'a>>> {
        let Some(plan) = self.program.table(table) else {
            return Ok(Vec::new());
        };
        let Some(code) = text(v) else {
            return Ok(Vec::new());
        };
        if let Some((_, output)) = plan.rows.iter().find(|(input, _)| *input == *code) {
            return Ok(vec![V::Text(Cow::Owned(output.clone()))]);
        }
        Ok(match &plan.otherwise {
            Otherwise::Code(c) => vec![V::Text(Cow::Owned(c.clone()))],
            Otherwise::Keep => vec![V::Text(code)],
            Otherwise::Absent => Vec::new(),
            Otherwise::Reject => {
                return Err(Rejection::new(
                    "TABLE",
                    self.location(v),
                    format!(
                        "the code is not listed in table `{}`, which rejects unlisted codes",
                        plan.name
                    ),
                )
                .with_value(code.as_ref()));
            }
        })
    }

    fn location(&self, v: &V<'a>) -> Location {
        let loc = match v {
            V::Segment(s) => s.location(),
            V::Rep(r) => r.location(),
            V::Comp(c) => c.location(),
            V::Sub(s) => s.location(),
            _ => Location::default(),
        };
        loc.in_message(self.message)
    }

    fn call(&self, builtin: Builtin, args: &'a [Expr], frame: &mut Frame<'a>) -> R<Vec<V<'a>>> {
        let mut values = Vec::new();
        for a in args {
            values.push(self.eval(a, frame)?);
        }
        let first = values
            .first()
            .and_then(|v| v.iter().find(|v| present(v)).cloned());
        let zone = self.options.time_zone.as_ref();
        let converted = |r: Result<String, convert::ConvertError>, v: &V<'a>| -> R<Vec<V<'a>>> {
            r.map(|t| vec![V::Text(Cow::Owned(t))]).map_err(|e| {
                Rejection::new("CONVERT", self.location(v), e.to_string())
                    .with_value(text(v).unwrap_or_default().as_ref())
            })
        };
        Ok(match builtin {
            Builtin::Date
            | Builtin::DateTime
            | Builtin::Instant
            | Builtin::Time
            | Builtin::Code => {
                let Some(v) = first else {
                    return Ok(Vec::new());
                };
                let t = dtm_text(&v);
                let t = t.as_ref();
                // `datetime(x, "Europe/Berlin")`: the call's zone wins over the run's.
                let own_zone = match values
                    .get(1)
                    .and_then(|v| v.iter().find(|x| present(x)))
                    .and_then(text)
                {
                    Some(name) => Some(TimeZone::get(&name).map_err(|_| {
                        Rejection::new(
                            "CONVERT",
                            self.here(),
                            "the time zone given to the conversion is not an IANA time zone",
                        )
                    })?),
                    None => None,
                };
                let zone = own_zone.as_ref().or(zone);
                let result = match builtin {
                    Builtin::Date => convert::date(t).map(|x| x.as_str().to_owned()),
                    Builtin::DateTime => convert::date_time(t, zone).map(|x| x.as_str().to_owned()),
                    Builtin::Instant => convert::instant(t, zone).map(|x| x.as_str().to_owned()),
                    Builtin::Time => convert::time(t).map(|x| x.as_str().to_owned()),
                    Builtin::Code => convert::code(t).map(str::to_owned),
                    _ => Ok(t.to_owned()),
                };
                converted(result, &v)?
            }
            Builtin::Decimal => {
                let Some(v) = first else {
                    return Ok(Vec::new());
                };
                let t = text(&v).unwrap_or_default();
                match Decimal::from_nm(&t) {
                    Ok(d) => vec![V::Num(d.to_string())],
                    Err(e) => {
                        return Err(Rejection::new("CONVERT", self.location(&v), e.to_string())
                            .with_value(t.as_ref()));
                    }
                }
            }
            Builtin::Integer => {
                let Some(v) = first else {
                    return Ok(Vec::new());
                };
                let t = text(&v).unwrap_or_default();
                match convert::integer(&t) {
                    Ok(i) => vec![V::Int(i64::from(i))],
                    Err(e) => {
                        return Err(Rejection::new("CONVERT", self.location(&v), e.to_string())
                            .with_value(t.as_ref()));
                    }
                }
            }
            Builtin::String | Builtin::First => first.into_iter().collect(),
            Builtin::Uuid5 => {
                let texts: Vec<Option<Cow<'a, str>>> = values
                    .iter()
                    .map(|v| v.iter().find(|x| present(x)).and_then(text))
                    .collect();
                let Some(Some(resource_type)) = texts.first() else {
                    return Ok(Vec::new());
                };
                let mut parts = Vec::new();
                for t in texts.iter().skip(1) {
                    match t {
                        Some(t) => parts.push(t.as_ref()),
                        None => {
                            return Err(Rejection::new(
                                "ID-KEY",
                                self.here(),
                                format!(
                                    "a part of the {resource_type} id key is not valued, so the id cannot be made"
                                ),
                            ));
                        }
                    }
                }
                match ferry_runtime::id::resource_id(resource_type, &parts) {
                    Ok(id) => vec![V::Text(Cow::Owned(id.text().as_str().to_owned()))],
                    Err(e) => return Err(Rejection::new("ID-KEY", self.here(), e.to_string())),
                }
            }
            Builtin::Reference => {
                let texts: Vec<Option<Cow<'a, str>>> = values
                    .iter()
                    .map(|v| v.iter().find(|x| present(x)).and_then(text))
                    .collect();
                match (texts.first(), texts.get(1)) {
                    (Some(Some(t)), Some(Some(id))) => vec![V::Obj(Out::Obj(vec![(
                        Cow::Borrowed("reference"),
                        Out::Str(Cow::Owned(format!("{t}/{id}"))),
                    )]))],
                    _ => Vec::new(),
                }
            }
            Builtin::Concat => {
                let mut s = String::new();
                for v in &values {
                    if let Some(t) = v.iter().find(|x| present(x)).and_then(text) {
                        s.push_str(&t);
                    }
                }
                if s.is_empty() {
                    Vec::new()
                } else {
                    vec![V::Text(Cow::Owned(s))]
                }
            }
            Builtin::Valued => vec![V::Bool(first.is_some())],
            Builtin::Count => vec![V::Int(
                values
                    .first()
                    .map_or(0, |v| v.iter().filter(|x| present(x)).count()) as i64,
            )],
            Builtin::Upper | Builtin::Lower | Builtin::Trim => {
                let Some(t) = first.as_ref().and_then(text) else {
                    return Ok(Vec::new());
                };
                let s = match builtin {
                    Builtin::Upper => t.to_uppercase(),
                    Builtin::Lower => t.to_lowercase(),
                    _ => t.trim().to_owned(),
                };
                vec![V::Text(Cow::Owned(s))]
            }
            Builtin::Reject => {
                let reason = first
                    .as_ref()
                    .and_then(text)
                    .unwrap_or(Cow::Borrowed("rejected by the spec"));
                return Err(Rejection::new("REJECTED", self.here(), reason.into_owned()));
            }
        })
    }
}

fn set_slot<'a>(frame: &mut Frame<'a>, slot: Slot, v: Vec<V<'a>>) {
    if let Some(s) = frame.slots.get_mut(slot.0 as usize) {
        *s = v;
    }
}

/// Puts values at a target path of `object`.
fn place<'a>(object: &mut Out<'a>, target: &'a [TargetStep], mut values: Vec<Out<'a>>) {
    let Some((last, init)) = target.split_last() else {
        return;
    };
    if values.is_empty() {
        return;
    }
    let mut here = object;
    for step in init {
        let Some(member) = here.member_mut(&step.name) else {
            return;
        };
        here = match step.mode {
            Mode::Single => {
                if !matches!(member, Out::Obj(_)) {
                    *member = Out::Obj(Vec::new());
                }
                member
            }
            Mode::Append | Mode::Index(_) => {
                if !matches!(member, Out::Arr(_)) {
                    *member = Out::Arr(Vec::new());
                }
                let Out::Arr(items) = member else { return };
                let at = match step.mode {
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
    let Some(member) = here.member_mut(&last.name) else {
        return;
    };
    match last.mode {
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

fn json_out(j: &json::Value) -> Option<Out<'_>> {
    Some(match j {
        json::Value::Null => return None,
        json::Value::Bool(b) => Out::Bool(*b),
        json::Value::Number(n) => Out::Num(Cow::Borrowed(n.as_str())),
        json::Value::String(s) => Out::Str(Cow::Borrowed(s.as_str())),
        json::Value::Array(items) => Out::Arr(items.iter().filter_map(json_out).collect()),
        json::Value::Object(o) => Out::Obj(
            o.iter()
                .filter_map(|(k, v)| Some((Cow::Borrowed(k), json_out(v)?)))
                .collect(),
        ),
    })
}

/// The text of a value, unescaped; `None` when absent or the HL7 null.
///
/// An HL7 field or component read as a value is its first component's
/// first subcomponent, as receivers read a primitive that a sender filled
/// with more parts than the version defines (`&W` in a 2.5.1 XAD.9 reads
/// as absent). Components are read by number (`.2`), never by this.
fn text<'a>(v: &V<'a>) -> Option<Cow<'a, str>> {
    let first = |s: Subcomponent<'a>| s.is_valued().then(|| s.text());
    let t = match v {
        V::Rep(r) => first(r.component(1).subcomponent(1))?,
        V::Comp(c) => first(c.subcomponent(1))?,
        V::Sub(s) if s.is_valued() => s.text(),
        V::Text(t) => t.clone(),
        V::Num(n) => Cow::Owned(n.clone()),
        V::Int(i) => Cow::Owned(i.to_string()),
        V::Bool(b) => Cow::Owned(b.to_string()),
        V::Json(j) => match j {
            json::Value::String(s) => Cow::Borrowed(s.as_str()),
            json::Value::Number(n) => Cow::Borrowed(n.as_str()),
            json::Value::Bool(b) => Cow::Owned(b.to_string()),
            _ => return None,
        },
        _ => return None,
    };
    (!t.is_empty()).then_some(t)
}

/// The DTM of an HL7 TS (its first component) or a plain date/time text.
fn dtm_text<'a>(v: &V<'a>) -> Cow<'a, str> {
    text(v).unwrap_or_default()
}

/// Whether a value is there: an HL7 field, component or subcomponent with
/// any content but the HL7 null (an address with an empty street is still
/// an address), or a non-empty computed value.
fn present(v: &V<'_>) -> bool {
    match v {
        V::Group(_) | V::Segment(_) | V::Bool(_) | V::Int(_) | V::Num(_) => true,
        V::Rep(r) => r.is_valued(),
        V::Comp(c) => c.is_valued(),
        V::Sub(s) => s.is_valued(),
        V::Obj(o) => !o.is_empty(),
        V::Json(j) => !matches!(j, json::Value::Null),
        other => text(other).is_some(),
    }
}

fn is_null(v: &V<'_>) -> bool {
    match v {
        V::Rep(r) => r.is_null(),
        V::Comp(c) => c.is_null(),
        V::Sub(s) => s.is_null(),
        _ => false,
    }
}

fn truthy(values: &[V<'_>]) -> bool {
    match values.first() {
        None => false,
        Some(V::Bool(b)) => *b,
        Some(v) => present(v),
    }
}

fn compare(op: Compare, a: Option<&V<'_>>, b: Option<&V<'_>>) -> bool {
    let (a, b) = (a.and_then(text), b.and_then(text));
    let ordering = match (&a, &b) {
        (Some(x), Some(y)) => match (x.parse::<f64>(), y.parse::<f64>()) {
            (Ok(p), Ok(q))
                if matches!(op, Compare::Lt | Compare::Le | Compare::Gt | Compare::Ge) =>
            {
                p.partial_cmp(&q)
            }
            _ => Some(x.cmp(y)),
        },
        _ => None,
    };
    match op {
        Compare::Eq => a.is_some() && a == b,
        Compare::Ne => a != b,
        Compare::Lt => ordering == Some(std::cmp::Ordering::Less),
        Compare::Le => matches!(
            ordering,
            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
        ),
        Compare::Gt => ordering == Some(std::cmp::Ordering::Greater),
        Compare::Ge => matches!(
            ordering,
            Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
        ),
    }
}

/// Whether `out` holds a non-empty value at the element names `steps`
/// (through arrays: any item).
fn has_path(out: &Out<'_>, steps: &[String]) -> bool {
    let Some((first, rest)) = steps.split_first() else {
        return !out.is_empty();
    };
    match out {
        Out::Obj(members) => members
            .iter()
            .filter(|(k, _)| k == first)
            .any(|(_, v)| has_path(v, rest)),
        Out::Arr(items) => items.iter().any(|item| has_path(item, steps)),
        _ => false,
    }
}
