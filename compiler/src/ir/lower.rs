//! Checked AST → [`Program`]. Runs only on a module that checked without
//! errors, so every name and path resolves; where one does not anyway, the
//! lowering returns `None` rather than guessing.

use std::collections::BTreeMap;

use ferry_schema::{FhirSchema, Hl7Version, Node, Structure, V2Schema, fhir_r4, hl7v2};

use super::*;
use crate::syntax::ast::{self, ElseAction, ExprKind, Item, Literal, StepKind, TableEntry};

/// Lowers a checked module, then shares what its maps read more than once
/// ([`super::hoist`]). `None` when the module does not name the definitions
/// it needs or a name does not resolve (the checker reports those).
pub fn lower(module: &ast::Module) -> Option<Program> {
    lower_plain(module).map(super::hoist::share)
}

/// [`lower`] without the sharing: every rule computes what it reads. The
/// plan tests hold the shared one to.
pub fn lower_plain(module: &ast::Module) -> Option<Program> {
    let mut hl7_version = None;
    let mut v2 = None;
    let mut fhir = None;
    for item in &module.items {
        if let Item::Use(u) = item {
            match u.standard.name.as_str() {
                "hl7v2" => {
                    let version: Hl7Version = u.version.value.parse().ok()?;
                    hl7_version = Some(version);
                    v2 = Some(hl7v2(version).ok()?);
                }
                "fhir" => fhir = Some(fhir_r4().ok()?),
                _ => {}
            }
        }
    }
    let mut maps_by_name = BTreeMap::new();
    let mut tables_by_name = BTreeMap::new();
    let mut constants = BTreeMap::new();
    let mut records = BTreeMap::new();
    let mut map_decls = Vec::new();
    let mut tables = Vec::new();
    for item in &module.items {
        match item {
            Item::Map(m) => {
                maps_by_name.insert(
                    m.name.name.clone(),
                    MapId(u32::try_from(map_decls.len()).ok()?),
                );
                map_decls.push(m);
            }
            Item::Table(t) => {
                tables_by_name.insert(
                    t.name.name.clone(),
                    TableId(u32::try_from(tables.len()).ok()?),
                );
                tables.push(table(t));
            }
            Item::Let(l) => {
                constants.insert(l.name.name.clone(), l);
            }
            Item::Record(r) => {
                records.insert(r.name.name.clone(), r);
            }
            Item::Use(_) => {}
        }
    }
    let cx = Lowering {
        v2,
        fhir: fhir?,
        maps: maps_by_name,
        tables: tables_by_name,
        constants,
        records,
    };
    let maps = map_decls
        .iter()
        .map(|m| cx.map(m))
        .collect::<Option<Vec<_>>>()?;
    Some(Program {
        hl7_version,
        maps,
        tables,
    })
}

fn table(t: &ast::TableDecl) -> TablePlan {
    let mut rows = Vec::new();
    let mut otherwise = Otherwise::Reject;
    for entry in &t.entries {
        match entry {
            TableEntry::Row { inputs, output, .. } => {
                for input in inputs {
                    rows.push((input.value.clone(), output.value.clone()));
                }
            }
            TableEntry::Else { action, .. } => {
                otherwise = match action {
                    ElseAction::Code(code) => Otherwise::Code(code.value.clone()),
                    ElseAction::Reject(_) => Otherwise::Reject,
                    ElseAction::Keep(_) => Otherwise::Keep,
                    ElseAction::Absent(_) => Otherwise::Absent,
                };
            }
        }
    }
    TablePlan {
        name: t.name.name.clone(),
        rows,
        otherwise,
    }
}

struct Lowering<'m> {
    v2: Option<&'static V2Schema>,
    fhir: &'static FhirSchema,
    maps: BTreeMap<String, MapId>,
    tables: BTreeMap<String, TableId>,
    constants: BTreeMap<String, &'m ast::LetStmt>,
    records: BTreeMap<String, &'m ast::RecordDecl>,
}

/// What a lowered expression yields, as far as navigation needs to know.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Message(&'static Structure),
    Group(&'static Structure, &'static Node),
    Segment,
    Hl7,
    Json,
    Other,
}

struct MapScope {
    sources: Vec<(SourcePlan, Option<String>)>,
    scopes: Vec<BTreeMap<String, (Slot, Kind)>>,
    next_slot: u32,
    current: Vec<Kind>,
    /// FHIR paths of the objects being built, innermost last.
    objects: Vec<String>,
}

impl MapScope {
    fn bind(&mut self, name: &str, kind: Kind) -> Slot {
        let slot = Slot(self.next_slot);
        self.next_slot += 1;
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_owned(), (slot, kind));
        }
        slot
    }

    fn lookup(&self, name: &str) -> Option<(Slot, Kind)> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }
}

impl<'m> Lowering<'m> {
    fn source(&self, ty: &str) -> Option<SourcePlan> {
        SourcePlan::resolve(ty, self.records.contains_key(ty), self.v2, Some(self.fhir))
    }

    fn map(&self, m: &ast::MapDecl) -> Option<MapPlan> {
        let mut sources = Vec::new();
        for s in &m.sources {
            sources.push((
                self.source(&s.ty.name)?,
                s.alias.as_ref().map(|a| a.name.clone()),
            ));
        }
        let mut scope = MapScope {
            sources: sources.clone(),
            scopes: vec![BTreeMap::new()],
            next_slot: 0,
            current: Vec::new(),
            objects: Vec::new(),
        };
        let target = m.target.name.clone();
        let body = self.block(&m.body, Some(&target), &mut scope)?;
        Some(MapPlan {
            name: m.name.name.clone(),
            span: m.span,
            sources: sources.into_iter().map(|(s, _)| s).collect(),
            target_is_resource: self.fhir.is_resource(&target),
            target,
            body,
            slots: scope.next_slot,
        })
    }

    /// Lowers a block that fills the object at FHIR path `object` (None for
    /// blocks whose rules write into the enclosing object).
    fn block(&self, b: &ast::Block, object: Option<&str>, scope: &mut MapScope) -> Option<Block> {
        scope.scopes.push(BTreeMap::new());
        if let Some(path) = object {
            scope.objects.push(path.to_owned());
        }
        let mut block = Block::default();
        for stmt in &b.stmts {
            self.stmt(stmt, object, scope, &mut block)?;
        }
        if object.is_some() {
            scope.objects.pop();
        }
        scope.scopes.pop();
        if let Some(path) = object {
            self.required_children(path, &mut block);
            let mut dotted = Vec::new();
            dotted_targets(&block.ops, &mut dotted);
            let mut checks = Vec::new();
            self.required_dotted(path, &[], &dotted, &mut checks);
            block.ops.extend(checks);
        }
        Some(block.with_reads_input())
    }

    /// `RequireTarget` checks for the required children of the objects that
    /// dotted targets create below `base` (`prefix` leads there).
    fn required_dotted(
        &self,
        base: &str,
        prefix: &[String],
        dotted: &[Vec<String>],
        out: &mut Vec<Op>,
    ) {
        let mut groups: BTreeMap<&str, Vec<Vec<String>>> = BTreeMap::new();
        for names in dotted {
            if let [first, rest @ ..] = names.as_slice()
                && !rest.is_empty()
            {
                groups
                    .entry(first.as_str())
                    .or_default()
                    .push(rest.to_vec());
            }
        }
        for (first, rests) in groups {
            let path = format!("{base}.{first}");
            let mut steps = prefix.to_vec();
            steps.push(first.to_owned());
            if let Ok(children) = self.fhir.children(&path) {
                for child in children.into_iter().filter(|c| c.cardinality().min > 0) {
                    let name = child.name().trim_end_matches("[x]").to_owned();
                    let mut child_steps = steps.clone();
                    child_steps.push(name.clone());
                    out.push(Op::RequireTarget {
                        path: format!("{path}.{name}"),
                        steps: child_steps,
                        reason: None,
                        if_present: u32::try_from(steps.len()).unwrap_or(u32::MAX),
                    });
                }
            }
            self.required_dotted(&path, &steps, &rests, out);
        }
    }

    fn required_children(&self, path: &str, block: &mut Block) {
        let Ok(children) = self.fhir.children(path) else {
            return;
        };
        for child in children {
            if child.cardinality().min == 0 {
                continue;
            }
            let name = child.name().trim_end_matches("[x]").to_owned();
            if block.required.iter().any(|r| r.element == name) {
                continue;
            }
            block.required.push(Required {
                path: format!("{path}.{name}"),
                element: name,
                reason: None,
            });
        }
    }

    fn stmt(
        &self,
        stmt: &ast::Stmt,
        object: Option<&str>,
        scope: &mut MapScope,
        block: &mut Block,
    ) -> Option<()> {
        match stmt {
            ast::Stmt::Let(l) => {
                let (value, kind) = self.expr(&l.value, scope)?;
                let slot = scope.bind(&l.name.name, kind);
                block.ops.push(Op::Let { slot, value });
            }
            ast::Stmt::When(w) => block.ops.push(self.when(w, scope)?),
            ast::Stmt::Each(e) => {
                let (source, kind) = self.expr(&e.source, scope)?;
                scope.scopes.push(BTreeMap::new());
                let slot = scope.bind(&e.binding.name, kind);
                let mut body = self.block(&e.body, None, scope)?;
                scope.scopes.pop();
                // Rules of a statement `each` write into the enclosing object.
                body.required.clear();
                block.ops.push(Op::Each { source, slot, body });
            }
            ast::Stmt::Require(r) => {
                for p in &r.paths {
                    let is_target = p.root.as_ref().is_some_and(|root| {
                        root.name.starts_with(|c: char| c.is_ascii_lowercase())
                            && scope.lookup(&root.name).is_none()
                    });
                    if is_target {
                        let Some(root) = &p.root else { continue };
                        let mut steps = vec![root.name.clone()];
                        for step in &p.steps {
                            if let StepKind::Member(name) = &step.kind {
                                steps.push(name.clone());
                            }
                        }
                        let object = scope.objects.last().cloned().unwrap_or_default();
                        block.ops.push(Op::RequireTarget {
                            path: format!("{object}.{}", steps.join(".")),
                            steps,
                            reason: r.reason.as_ref().map(|s| s.value.clone()),
                            if_present: 0,
                        });
                    } else {
                        let (value, _) = self.path(p, scope)?;
                        block.ops.push(Op::RequireSource {
                            value,
                            what: crate::syntax::print::expr(&ast::Expr {
                                kind: ExprKind::Path(p.clone()),
                                span: p.span,
                            }),
                            reason: r.reason.as_ref().map(|s| s.value.clone()),
                        });
                    }
                }
            }
            ast::Stmt::Assign(a) => {
                let target = target_steps(&a.target);
                match &a.value {
                    ast::AssignValue::Expr(e) => {
                        let (value, _) = self.expr(e, scope)?;
                        block.ops.push(Op::Set { target, value });
                    }
                    ast::AssignValue::Each(each) => {
                        let (source, kind) = self.expr(&each.source, scope)?;
                        scope.scopes.push(BTreeMap::new());
                        let slot = scope.bind(&each.binding.name, kind);
                        let path = object.map(|o| target_path(o, &target));
                        let body = self.block(&each.body, path.as_deref(), scope)?;
                        scope.scopes.pop();
                        block.ops.push(Op::EachObject {
                            target,
                            source,
                            slot,
                            body,
                        });
                    }
                }
            }
            ast::Stmt::Object(o) => {
                let target = target_steps(&o.target);
                let path = object.map(|obj| target_path(obj, &target));
                let body = self.block(&o.body, path.as_deref(), scope)?;
                block.ops.push(Op::Object { target, body });
            }
        }
        Some(())
    }

    fn when(&self, w: &ast::WhenStmt, scope: &mut MapScope) -> Option<Op> {
        let (cond, _) = self.expr(&w.cond, scope)?;
        let mut then = self.block(&w.then, None, scope)?;
        then.required.clear();
        let otherwise = match &w.otherwise {
            None => Block::default(),
            Some(ast::Otherwise::When(next)) => Block {
                ops: vec![self.when(next, scope)?],
                required: Vec::new(),
                reads_input: true,
            },
            Some(ast::Otherwise::Block(b)) => {
                let mut b = self.block(b, None, scope)?;
                b.required.clear();
                b
            }
        };
        Some(Op::When {
            cond,
            then,
            otherwise,
        })
    }

    fn expr(&self, e: &ast::Expr, scope: &mut MapScope) -> Option<(Expr, Kind)> {
        let boxed = |e: Expr| Box::new(e);
        Some(match &e.kind {
            ExprKind::Literal(Literal::String(s)) => {
                (Expr::Const(Const::Text(s.clone())), Kind::Other)
            }
            ExprKind::Literal(Literal::Number(n)) => {
                (Expr::Const(Const::Number(n.clone())), Kind::Other)
            }
            ExprKind::Literal(Literal::Bool(b)) => (Expr::Const(Const::Bool(*b)), Kind::Other),
            ExprKind::Path(p) => self.path(p, scope)?,
            ExprKind::Call(c) => {
                let mut args = Vec::new();
                let mut kinds = Vec::new();
                for a in &c.args {
                    let (a, k) = self.expr(a, scope)?;
                    args.push(a);
                    kinds.push(k);
                }
                if let Some(id) = self.maps.get(&c.callee.name) {
                    (Expr::MapCall(*id, args), Kind::Other)
                } else {
                    let builtin = Builtin::from_name(&c.callee.name)?;
                    let kind = match builtin {
                        Builtin::First | Builtin::Trim | Builtin::Upper | Builtin::Lower => {
                            kinds.first().copied().unwrap_or(Kind::Other)
                        }
                        _ => Kind::Other,
                    };
                    (Expr::Call(builtin, args), kind)
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let (l, lk) = self.expr(lhs, scope)?;
                let (r, _) = self.expr(rhs, scope)?;
                let expr = match op {
                    ast::BinaryOp::Or => Expr::Or(boxed(l), boxed(r)),
                    ast::BinaryOp::And => Expr::And(boxed(l), boxed(r)),
                    ast::BinaryOp::Coalesce => {
                        return Some((Expr::Coalesce(boxed(l), boxed(r)), lk));
                    }
                    ast::BinaryOp::Eq => Expr::Compare(Compare::Eq, boxed(l), boxed(r)),
                    ast::BinaryOp::Ne => Expr::Compare(Compare::Ne, boxed(l), boxed(r)),
                    ast::BinaryOp::Lt => Expr::Compare(Compare::Lt, boxed(l), boxed(r)),
                    ast::BinaryOp::Le => Expr::Compare(Compare::Le, boxed(l), boxed(r)),
                    ast::BinaryOp::Gt => Expr::Compare(Compare::Gt, boxed(l), boxed(r)),
                    ast::BinaryOp::Ge => Expr::Compare(Compare::Ge, boxed(l), boxed(r)),
                };
                (expr, Kind::Other)
            }
            ExprKind::Not(inner) => (Expr::Not(boxed(self.expr(inner, scope)?.0)), Kind::Other),
            ExprKind::Via { value, table } => {
                let (v, _) = self.expr(value, scope)?;
                (
                    Expr::Lookup(*self.tables.get(&table.name)?, boxed(v)),
                    Kind::Other,
                )
            }
            ExprKind::In { value, options } => {
                let (v, _) = self.expr(value, scope)?;
                let options = options
                    .iter()
                    .map(|o| self.expr(o, scope).map(|(e, _)| e))
                    .collect::<Option<Vec<_>>>()?;
                (Expr::In(boxed(v), options), Kind::Other)
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let (c, _) = self.expr(cond, scope)?;
                let (t, k) = self.expr(then, scope)?;
                let (o, _) = self.expr(otherwise, scope)?;
                (Expr::If(boxed(c), boxed(t), boxed(o)), k)
            }
        })
    }

    fn path(&self, p: &ast::Path, scope: &mut MapScope) -> Option<(Expr, Kind)> {
        let (base, mut kind) = match &p.root {
            None => (Expr::Current, *scope.current.last()?),
            Some(root) => self.root(&root.name, scope)?,
        };
        let mut navs = Vec::new();
        let mut base = base;
        if let Expr::Nav(inner, first) = base {
            navs = first;
            base = *inner;
        }
        for step in &p.steps {
            match &step.kind {
                StepKind::Field(n) => {
                    navs.push(Nav::Field(*n));
                    kind = Kind::Hl7;
                }
                StepKind::Position(n) => navs.push(Nav::Component(*n)),
                StepKind::Member(name) => match kind {
                    Kind::Message(s) => {
                        let (path, node) = find_node(s, s.children(), name)?;
                        kind = node_kind(s, node);
                        navs.push(Nav::Node(path));
                    }
                    Kind::Group(s, g) => {
                        let (path, node) = find_node(s, g.children(), name)?;
                        kind = node_kind(s, node);
                        navs.push(Nav::Node(path));
                    }
                    Kind::Json => navs.push(Nav::Member(name.clone())),
                    _ => return None,
                },
                StepKind::Index(n) => navs.push(Nav::Index(*n)),
                StepKind::All => navs.push(Nav::All),
                StepKind::Where(cond) => {
                    scope.current.push(kind);
                    let lowered = self.expr(cond, scope);
                    scope.current.pop();
                    navs.push(Nav::Where(Box::new(lowered?.0)));
                }
            }
        }
        if navs.is_empty() {
            Some((base, kind))
        } else {
            Some((Expr::Nav(Box::new(base), fuse(navs)), kind))
        }
    }

    fn root(&self, name: &str, scope: &mut MapScope) -> Option<(Expr, Kind)> {
        if let Some((slot, kind)) = scope.lookup(name) {
            return Some((Expr::Slot(slot), kind));
        }
        if let Some(l) = self.constants.get(name) {
            let mut empty = MapScope {
                sources: Vec::new(),
                scopes: vec![BTreeMap::new()],
                next_slot: 0,
                current: Vec::new(),
                objects: Vec::new(),
            };
            return self.expr(&l.value, &mut empty);
        }
        for (i, (source, alias)) in scope.sources.iter().enumerate() {
            let index = u32::try_from(i).ok()?;
            if alias.as_deref() == Some(name) {
                let kind = match source {
                    SourcePlan::Message(s) => Kind::Message(s),
                    SourcePlan::Group(s, g) => Kind::Group(s, g),
                    SourcePlan::Segment(_) => Kind::Segment,
                    SourcePlan::Fhir(_) | SourcePlan::Record(_) => Kind::Json,
                };
                return Some((Expr::Source(index), kind));
            }
            match (source, alias) {
                (SourcePlan::Segment(id), None) if id == name => {
                    return Some((Expr::Source(index), Kind::Segment));
                }
                (SourcePlan::Fhir(t) | SourcePlan::Record(t), None) if t == name => {
                    return Some((Expr::Source(index), Kind::Json));
                }
                (SourcePlan::Group(s, g), None) => {
                    if g.name() == name {
                        return Some((Expr::Source(index), Kind::Group(s, g)));
                    }
                    let (path, node) = find_node(s, g.children(), name)?;
                    return Some((
                        Expr::Nav(Box::new(Expr::Source(index)), vec![Nav::Node(path)]),
                        node_kind(s, node),
                    ));
                }
                (SourcePlan::Message(s), None) => {
                    if s.name() == name {
                        return Some((Expr::Source(index), Kind::Message(s)));
                    }
                    let (path, node) = find_node(s, s.children(), name)?;
                    return Some((
                        Expr::Nav(Box::new(Expr::Source(index)), vec![Nav::Node(path)]),
                        node_kind(s, node),
                    ));
                }
                _ => {}
            }
        }
        None
    }
}

fn node_kind(structure: &'static Structure, node: &'static Node) -> Kind {
    if node.is_group() {
        Kind::Group(structure, node)
    } else {
        Kind::Segment
    }
}

/// The unique place of a segment or group named `name` below `nodes`, as
/// child indexes.
fn find_node(
    structure: &'static Structure,
    nodes: &'static [Node],
    name: &str,
) -> Option<(Vec<usize>, &'static Node)> {
    match crate::sema::places::places(structure, nodes, name, false).as_slice() {
        [one] => Some((one.indexes.clone(), one.node)),
        _ => None,
    }
}

fn target_steps(t: &ast::TargetPath) -> Vec<TargetStep> {
    let mut steps: Vec<TargetStep> = Vec::new();
    for step in &t.steps {
        match step {
            ast::TargetStep::Member(n) => steps.push(TargetStep {
                name: n.name.clone(),
                mode: Mode::Single,
            }),
            ast::TargetStep::Append(_) => {
                if let Some(last) = steps.last_mut() {
                    last.mode = Mode::Append;
                }
            }
            ast::TargetStep::Index(n, _) => {
                if let Some(last) = steps.last_mut() {
                    last.mode = Mode::Index(*n);
                }
            }
        }
    }
    steps
}

fn target_path(object: &str, steps: &[TargetStep]) -> String {
    let mut path = object.to_owned();
    for s in steps {
        path.push('.');
        path.push_str(&s.name);
    }
    path
}

/// The element names of the dotted targets of `ops` (and of the `when` and
/// `each` blocks among them, which write into the same object).
fn dotted_targets(ops: &[Op], out: &mut Vec<Vec<String>>) {
    for op in ops {
        match op {
            Op::Set { target, .. } | Op::Object { target, .. } | Op::EachObject { target, .. } => {
                let single_path = target
                    .split_last()
                    .is_some_and(|(_, init)| init.iter().all(|s| s.mode == Mode::Single));
                if target.len() > 1 && single_path {
                    out.push(target.iter().map(|s| s.name.clone()).collect());
                }
            }
            Op::When {
                then, otherwise, ..
            } => {
                dotted_targets(&then.ops, out);
                dotted_targets(&otherwise.ops, out);
            }
            Op::Each { body, .. } => dotted_targets(&body.ops, out),
            Op::Let { .. } | Op::RequireSource { .. } | Op::RequireTarget { .. } => {}
        }
    }
}

/// Joins a field step and the component steps after it, and component
/// steps in a row, into one step each: read in one pass.
fn fuse(navs: Vec<Nav>) -> Vec<Nav> {
    let mut out = Vec::with_capacity(navs.len());
    let mut steps = navs.into_iter().peekable();
    while let Some(nav) = steps.next() {
        let mut components = Vec::new();
        while let Some(Nav::Component(c)) = steps.peek() {
            components.push(*c as usize);
            steps.next();
        }
        match nav {
            Nav::Field(f) if !components.is_empty() => {
                out.push(Nav::FieldComponents(f as usize, components));
            }
            Nav::Component(c) => {
                components.insert(0, c as usize);
                out.push(components_step(components));
            }
            other => {
                out.push(other);
                if !components.is_empty() {
                    out.push(components_step(components));
                }
            }
        }
    }
    out
}

fn components_step(components: Vec<usize>) -> Nav {
    match components.as_slice() {
        [one] => Nav::Component(*one as u32),
        _ => Nav::Components(components),
    }
}
