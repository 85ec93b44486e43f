//! Stage 3: the mapping plan. A checked module lowered to what execution
//! needs: every map, table and path resolved to positions (structure child
//! indexes, field and component numbers, element names), every binding to a
//! slot number, every call to a map or built-in by index. The interpreter
//! runs it; the Rust backend prints it.
//!
//! Lowering happens only for a module without errors (`lower::lower`); it
//! ends with [`hoist`], which makes each map compute once what its rules
//! read several times, for both executions alike.

pub mod hoist;
pub mod lower;

use ferry_schema::{Hl7Version, Node, Structure};

use crate::span::Span;

/// Index of a map in [`Program::maps`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MapId(pub u32);

/// Index of a table in [`Program::tables`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId(pub u32);

/// A binding's storage: `let`, `each ... as` and source aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(pub u32);

/// One checked spec, ready to run.
#[derive(Debug)]
pub struct Program {
    pub hl7_version: Option<Hl7Version>,
    pub maps: Vec<MapPlan>,
    pub tables: Vec<TablePlan>,
}

impl Program {
    pub fn map(&self, id: MapId) -> Option<&MapPlan> {
        self.maps.get(id.0 as usize)
    }

    pub fn map_named(&self, name: &str) -> Option<(MapId, &MapPlan)> {
        self.maps
            .iter()
            .enumerate()
            .find(|(_, m)| m.name == name)
            .map(|(i, m)| (MapId(u32::try_from(i).unwrap_or(u32::MAX)), m))
    }

    pub fn table(&self, id: TableId) -> Option<&TablePlan> {
        self.tables.get(id.0 as usize)
    }

    /// The maps no other map calls: the entry points of a spec.
    pub fn roots(&self) -> Vec<MapId> {
        let mut called = vec![false; self.maps.len()];
        for map in &self.maps {
            block_calls(&map.body, &mut called);
        }
        (0..self.maps.len())
            .filter(|&i| !called.get(i).copied().unwrap_or(false))
            .filter_map(|i| u32::try_from(i).ok().map(MapId))
            .collect()
    }
}

fn block_calls(block: &Block, called: &mut [bool]) {
    visit_block(block, &mut |e| {
        if let Expr::MapCall(id, _) = e
            && let Some(c) = called.get_mut(id.0 as usize)
        {
            *c = true;
        }
    });
}

/// Calls `f` with every expression of a block's rules, nested ones included.
pub fn visit_block(block: &Block, f: &mut impl FnMut(&Expr)) {
    for op in &block.ops {
        match op {
            Op::Set { value, .. } | Op::Let { value, .. } | Op::RequireSource { value, .. } => {
                visit_expr(value, f);
            }
            Op::Object { body, .. } => visit_block(body, f),
            Op::RequireTarget { .. } => {}
            Op::EachObject { source, body, .. } | Op::Each { source, body, .. } => {
                visit_expr(source, f);
                visit_block(body, f);
            }
            Op::When {
                cond,
                then,
                otherwise,
            } => {
                visit_expr(cond, f);
                visit_block(then, f);
                visit_block(otherwise, f);
            }
        }
    }
}

/// Calls `f` with `e` and every expression inside it, depth first.
pub fn visit_expr(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match e {
        Expr::Const(_) | Expr::Source(_) | Expr::Slot(_) | Expr::Current => {}
        Expr::Nav(base, navs) => {
            visit_expr(base, f);
            for nav in navs {
                if let Nav::Where(cond) = nav {
                    visit_expr(cond, f);
                }
            }
        }
        Expr::Call(_, args) | Expr::MapCall(_, args) => args.iter().for_each(|a| visit_expr(a, f)),
        Expr::Lookup(_, a) | Expr::Not(a) => visit_expr(a, f),
        Expr::Coalesce(a, b) | Expr::Compare(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
            visit_expr(a, f);
            visit_expr(b, f);
        }
        Expr::In(a, options) => {
            visit_expr(a, f);
            options.iter().for_each(|o| visit_expr(o, f));
        }
        Expr::If(a, b, c) => {
            visit_expr(a, f);
            visit_expr(b, f);
            visit_expr(c, f);
        }
    }
}

/// A map: sources, the type it builds and its rules.
#[derive(Debug)]
pub struct MapPlan {
    pub name: String,
    pub span: Span,
    pub sources: Vec<SourcePlan>,
    /// The FHIR type built (`Patient`, `HumanName`...).
    pub target: String,
    /// Whether the target is a resource (its output gets `resourceType`).
    pub target_is_resource: bool,
    pub body: Block,
    /// Number of slots the map's bindings use.
    pub slots: u32,
}

impl MapPlan {
    /// What the map reads when it runs on its own (as an entry, not
    /// called by another map). A map of segments (`patient: PID`,
    /// `encounter: PV1, PID, MSH`) reads one message, each source the
    /// first segment of its id; a map of one other source reads the input
    /// as that source (a segment group cannot be read on its own: the
    /// entries reject it). Several sources run on their own only when every
    /// one is a segment: `None` otherwise, and for a map of no source.
    pub fn entry_sources(&self) -> Option<EntrySources<'_>> {
        let segments = self
            .sources
            .iter()
            .map(|s| match s {
                SourcePlan::Segment(id) => Some(id.as_str()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>();
        match (self.sources.as_slice(), segments) {
            ([], _) => None,
            (_, Some(ids)) => Some(EntrySources::Segments(ids)),
            ([SourcePlan::Message(s)], None) => Some(EntrySources::Message(s)),
            ([SourcePlan::Fhir(kind)], None) => Some(EntrySources::Json { kind, fhir: true }),
            ([SourcePlan::Record(kind)], None) => Some(EntrySources::Json { kind, fhir: false }),
            ([SourcePlan::Group(..)], None) => Some(EntrySources::Group),
            (_, None) => None,
        }
    }
}

/// What an entry map reads ([`MapPlan::entry_sources`]).
#[derive(Debug)]
pub enum EntrySources<'m> {
    /// One HL7 v2 message of this structure.
    Message(&'static Structure),
    /// One HL7 v2 message, each source the first segment of its id.
    Segments(Vec<&'m str>),
    /// One JSON document: a FHIR resource or datatype, or a record.
    Json { kind: &'m str, fhir: bool },
    /// A segment group, which is not read on its own.
    Group,
}

impl SourcePlan {
    /// What a map's source type name is, in this order: a record of the
    /// file, an HL7 v2 message structure, segment or segment group, a FHIR
    /// type. The checker and the lowering both resolve names through here.
    pub fn resolve(
        name: &str,
        is_record: bool,
        v2: Option<&'static ferry_schema::V2Schema>,
        fhir: Option<&'static ferry_schema::FhirSchema>,
    ) -> Option<SourcePlan> {
        if is_record {
            return Some(SourcePlan::Record(name.to_owned()));
        }
        if let Some(v2) = v2 {
            if let Ok(s) = v2.structure(name) {
                return Some(SourcePlan::Message(s));
            }
            if v2.segment(name).is_ok() {
                return Some(SourcePlan::Segment(name.to_owned()));
            }
            if let Some((s, g)) = crate::sema::find_group(v2, name) {
                return Some(SourcePlan::Group(s, g));
            }
        }
        fhir?.type_def(name).ok()?;
        Some(SourcePlan::Fhir(name.to_owned()))
    }
}

#[derive(Debug, Clone)]
pub enum SourcePlan {
    /// A whole HL7 v2 message of this structure.
    Message(&'static Structure),
    /// One segment (`PID`).
    Segment(String),
    /// One segment group instance (`ORU_R01_ORDER_OBSERVATION`).
    Group(&'static Structure, &'static Node),
    /// A FHIR resource or datatype (JSON).
    Fhir(String),
    /// A vendor record (JSON).
    Record(String),
}

/// Rules, in order, plus the elements the object they build must hold.
#[derive(Debug, Default)]
pub struct Block {
    pub ops: Vec<Op>,
    /// Element names that must be present when the object is done: FHIR's
    /// required (min ≥ 1) children and `require`d target elements.
    pub required: Vec<Required>,
    /// Whether a rule reads the input. An object whose rules read input
    /// but found none is not written, even when it holds constants
    /// (`valueQuantity { value = ...; system = "http://unitsofmeasure.org" }`
    /// for an absent value); an object of constants only always is.
    pub reads_input: bool,
}

impl Block {
    /// Computes [`Block::reads_input`] from the ops.
    pub fn with_reads_input(mut self) -> Block {
        self.reads_input = self.ops.iter().any(|op| match op {
            Op::Set { value, .. } => !matches!(value, Expr::Const(_)),
            Op::Object { body, .. } => body.reads_input,
            Op::EachObject { .. } | Op::Each { .. } | Op::When { .. } => true,
            Op::Let { .. } | Op::RequireSource { .. } | Op::RequireTarget { .. } => false,
        });
        self
    }
}

#[derive(Debug, Clone)]
pub struct Required {
    pub element: String,
    /// The full FHIR path, for the rejection reason (`Encounter.class`).
    pub path: String,
    /// `require ... else "reason"`.
    pub reason: Option<String>,
}

#[derive(Debug)]
pub enum Op {
    /// `target = value`.
    Set {
        target: Vec<TargetStep>,
        value: Expr,
    },
    /// `target { ... }`: fill one object at `target`.
    Object {
        target: Vec<TargetStep>,
        body: Block,
    },
    /// `target[] = each source as x { ... }`: one object per item.
    EachObject {
        target: Vec<TargetStep>,
        source: Expr,
        slot: Slot,
        body: Block,
    },
    /// `each source as x { ... }`: the rules once per item.
    Each {
        source: Expr,
        slot: Slot,
        body: Block,
    },
    Let {
        slot: Slot,
        value: Expr,
    },
    When {
        cond: Expr,
        then: Block,
        otherwise: Block,
    },
    /// `require period.end else "..."`: when the object being built is
    /// complete, it must hold a value at these element names.
    RequireTarget {
        steps: Vec<String>,
        /// The full FHIR path, for the rejection reason.
        path: String,
        reason: Option<String>,
        /// Checked only when the first `if_present` steps hold a value: the
        /// required children of an object that dotted targets create
        /// (`request.url` once `request.method = ...` made `request`).
        if_present: u32,
    },
    /// `require PID-3 else "..."`: the source value must be present.
    RequireSource {
        value: Expr,
        what: String,
        reason: Option<String>,
    },
}

/// One step of a target path: an element and how it is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetStep {
    pub name: String,
    pub mode: Mode,
}

impl ferry_runtime::rt::Step for TargetStep {
    fn name(&self) -> &str {
        &self.name
    }
    fn mode(&self) -> Mode {
        self.mode
    }
}

pub use ferry_runtime::rt::Mode;

#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Text(String),
    /// Kept as written.
    Number(String),
    Bool(bool),
}

pub use ferry_runtime::rt::Compare;

pub use ferry_runtime::rt::Builtin;

/// A value computation. Every expression yields a list of values; where one
/// value goes, the first is taken (the checker made sure a choice was made).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Const(Const),
    /// The i-th source of the running map.
    Source(u32),
    Slot(Slot),
    /// The item a `[where ...]` filter tests.
    Current,
    Nav(Box<Expr>, Vec<Nav>),
    Call(Builtin, Vec<Expr>),
    MapCall(MapId, Vec<Expr>),
    Lookup(TableId, Box<Expr>),
    Coalesce(Box<Expr>, Box<Expr>),
    Compare(Compare, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    In(Box<Expr>, Vec<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

/// One navigation step over a list of values.
#[derive(Debug, Clone, PartialEq)]
pub enum Nav {
    /// From a message or group instance: the instances of the node reached
    /// by these child indexes (a path through the structure), flattened in
    /// message order.
    Node(Vec<usize>),
    /// From segments: the repetitions of field n.
    Field(u32),
    /// From repetitions or components: component or subcomponent n.
    Component(u32),
    /// From segments: field n's repetitions, then these components and
    /// subcomponents (`PID-3.4.2`): `Field` then `Component`s, in one pass.
    FieldComponents(usize, Vec<usize>),
    /// `Component` steps in a row (`.4.2`), in one pass.
    Components(Vec<usize>),
    /// From JSON values (FHIR, records): a member, arrays flattened.
    Member(String),
    /// Keep the n-th value (from 1).
    Index(u32),
    /// Keep the values for which the condition holds.
    Where(Box<Expr>),
    /// Keep all values.
    All,
}

/// A code table.
#[derive(Debug)]
pub struct TablePlan {
    pub name: String,
    pub rows: Vec<(String, String)>,
    pub otherwise: Otherwise,
}

#[derive(Debug, Clone)]
pub enum Otherwise {
    Code(String),
    Keep,
    Absent,
    /// No `else`, or `else => reject`: an unlisted code rejects the message.
    Reject,
}
