//! Stage 2: names. Resolves every declaration, binding, call and table of a
//! module and reports every problem in one run. Checks against the HL7 v2 and
//! FHIR definitions (paths, types, cardinality, bindings) build on this.

mod builtins;
mod check;
pub(crate) mod places;

pub use check::check;
pub(crate) use check::find_group;

use std::collections::BTreeMap;

pub use builtins::{BUILTINS, Builtin};

use crate::diagnostic::{Code, Diagnostic, did_you_mean, suggestions};
use crate::span::Span;
use crate::syntax::ast::*;

/// The standards a `use` line may name, with the versions Ferry has
/// definitions for.
pub const STANDARDS: &[(&str, &[&str])] = &[
    (
        "hl7v2",
        &["2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.8"],
    ),
    ("fhir", &["R4", "4.0.1"]),
];

/// The kinds of code system a table's signature may name.
pub const CODE_SYSTEM_KINDS: &[&str] = &["hl7", "fhir", "system"];

/// The built-in types of record fields.
pub const RECORD_TYPES: &[&str] = &[
    "string", "integer", "decimal", "boolean", "date", "datetime", "instant", "time", "code", "uri",
];

/// Resolves the names of one module and reports what does not resolve.
pub fn resolve(module: &Module) -> Vec<Diagnostic> {
    let mut r = Resolver::default();
    r.module(module);
    r.diagnostics
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeclKind {
    Map { arity: usize },
    Table,
    Record,
    Let,
}

impl DeclKind {
    fn noun(self) -> &'static str {
        match self {
            DeclKind::Map { .. } => "map",
            DeclKind::Table => "table",
            DeclKind::Record => "record",
            DeclKind::Let => "constant",
        }
    }
}

#[derive(Debug)]
struct Binding {
    span: Span,
    used: bool,
    /// `let` bindings can be reported as unused; so can `each ... as` and
    /// source aliases.
    what: &'static str,
}

#[derive(Default)]
struct Resolver {
    decls: BTreeMap<String, (DeclKind, Span)>,
    scopes: Vec<BTreeMap<String, Binding>>,
    /// Lets of the block being walked that come later in it, to explain a
    /// use before the definition.
    pending: Vec<BTreeMap<String, Span>>,
    /// Lets already reported as used before their definition: not unused too.
    used_early: Vec<Span>,
    diagnostics: Vec<Diagnostic>,
}

fn is_variable_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
}

impl Resolver {
    fn report(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn module(&mut self, module: &Module) {
        self.declarations(module);
        self.uses(module);
        // Module scope: the top-level lets.
        self.scopes.push(BTreeMap::new());
        for item in &module.items {
            // A second declaration of the name is already E0105.
            if let Item::Let(l) = item
                && self.decls.get(&l.name.name).map(|(_, span)| *span) == Some(l.name.span)
            {
                self.bind(&l.name, "constant");
            }
        }
        for item in &module.items {
            match item {
                Item::Use(_) => {}
                Item::Let(l) => self.expr(&l.value),
                Item::Record(r) => self.record(r),
                Item::Table(t) => self.table(t),
                Item::Map(m) => self.map(m),
            }
        }
        self.pop_scope();
    }

    fn declarations(&mut self, module: &Module) {
        for item in &module.items {
            let (name, kind) = match item {
                Item::Use(_) => continue,
                Item::Record(r) => (&r.name, DeclKind::Record),
                Item::Table(t) => (&t.name, DeclKind::Table),
                Item::Map(m) => (
                    &m.name,
                    DeclKind::Map {
                        arity: m.sources.len(),
                    },
                ),
                Item::Let(l) => (&l.name, DeclKind::Let),
            };
            if let Some((first_kind, first)) = self.decls.get(&name.name) {
                let d = Diagnostic::new(
                    Code::DuplicateDeclaration,
                    format!("`{}` is declared twice", name.name),
                )
                .primary(
                    name.span,
                    format!("second declaration, as a {}", kind.noun()),
                )
                .secondary(
                    *first,
                    format!("first declared here, as a {}", first_kind.noun()),
                )
                .note("maps, tables, records and top-level lets share one namespace per file")
                .help("rename one of them");
                self.report(d);
            } else {
                self.decls.insert(name.name.clone(), (kind, name.span));
            }
        }
    }

    fn uses(&mut self, module: &Module) {
        let mut seen: BTreeMap<&str, &UseDecl> = BTreeMap::new();
        for item in &module.items {
            let Item::Use(u) = item else { continue };
            let standard = u.standard.name.as_str();
            let Some((_, versions)) = STANDARDS.iter().find(|(s, _)| *s == standard) else {
                let known = suggestions(standard, STANDARDS.iter().map(|(s, _)| *s));
                let mut d = Diagnostic::new(
                    Code::UnknownStandard,
                    format!("unknown standard `{standard}`"),
                )
                .primary(
                    u.standard.span,
                    "Ferry has no definitions for this standard",
                )
                .note("`use` names `hl7v2` or `fhir`");
                if let Some(help) = did_you_mean(&known) {
                    d = d.help(help);
                }
                self.report(d);
                continue;
            };
            if !versions.contains(&u.version.value.as_str()) {
                let d = Diagnostic::new(
                    Code::UnsupportedVersion,
                    format!("{standard} version \"{}\" is not supported", u.version.value),
                )
                .primary(u.version.span, "no definitions for this version")
                .note(format!("supported {standard} versions: {}", versions.join(", ")))
                .help(match standard {
                    "fhir" => "write `use fhir \"R4\"`".to_owned(),
                    _ => format!(
                        "use the version in MSH-12 of your messages, or the nearest earlier one of: {}",
                        versions.join(", ")
                    ),
                });
                self.report(d);
            }
            if let Some(first) = seen.get(standard) {
                let d = Diagnostic::new(
                    Code::ConflictingUse,
                    format!("`use {standard}` appears twice"),
                )
                .primary(u.span, "second `use` of this standard")
                .secondary(first.span, "first here")
                .note("one file reads one version of each standard")
                .help("keep one `use` line; split maps of other versions into their own file");
                self.report(d);
            } else {
                seen.insert(standard, u);
            }
        }
    }

    fn record(&mut self, r: &RecordDecl) {
        let mut keys: BTreeMap<&str, Span> = BTreeMap::new();
        for field in &r.fields {
            if let Some(first) = keys.get(field.key.name.as_str()) {
                let d = Diagnostic::new(
                    Code::DuplicateField,
                    format!(
                        "field `{}` is declared twice in `{}`",
                        field.key.name, r.name.name
                    ),
                )
                .primary(field.key.span, "declared again here")
                .secondary(*first, "first declared here")
                .help("remove one of them, or rename it to the JSON key it reads");
                self.report(d);
            } else {
                keys.insert(&field.key.name, field.key.span);
            }
            self.type_expr(&field.ty);
        }
    }

    fn type_expr(&mut self, t: &TypeExpr) {
        match t {
            TypeExpr::Named(n) => {
                let known = RECORD_TYPES.contains(&n.name.as_str())
                    || matches!(self.decls.get(&n.name), Some((DeclKind::Record, _)));
                if !known {
                    let records = self
                        .decls
                        .iter()
                        .filter(|(_, (k, _))| *k == DeclKind::Record)
                        .map(|(name, _)| name.as_str());
                    let candidates: Vec<&str> =
                        RECORD_TYPES.iter().copied().chain(records).collect();
                    let found = suggestions(&n.name, candidates);
                    let mut d =
                        Diagnostic::new(Code::UnknownType, format!("unknown type `{}`", n.name))
                            .primary(n.span, "not a built-in type or a record of this file")
                            .note(format!("built-in types: {}", RECORD_TYPES.join(", ")));
                    d = d.help(did_you_mean(&found).unwrap_or_else(|| {
                        format!("declare it with `record {} {{ ... }}`", n.name)
                    }));
                    self.report(d);
                }
            }
            TypeExpr::List(inner, _) => self.type_expr(inner),
            TypeExpr::Enum(values, _) => {
                let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
                for v in values {
                    if let Some(first) = seen.get(v.value.as_str()) {
                        let d = Diagnostic::new(
                            Code::DuplicateEnumValue,
                            format!("\"{}\" is listed twice", v.value),
                        )
                        .primary(v.span, "listed again here")
                        .secondary(*first, "first listed here")
                        .help("remove the second one");
                        self.report(d);
                    } else {
                        seen.insert(&v.value, v.span);
                    }
                }
            }
        }
    }

    fn table(&mut self, t: &TableDecl) {
        if let Some(sig) = &t.signature {
            for system in [&sig.input, &sig.output] {
                if !CODE_SYSTEM_KINDS.contains(&system.kind.name.as_str()) {
                    let found = suggestions(&system.kind.name, CODE_SYSTEM_KINDS.iter().copied());
                    let d = Diagnostic::new(
                        Code::UnknownStandard,
                        format!("unknown kind of code system `{}`", system.kind.name),
                    )
                    .primary(system.kind.span, "not a kind of code system")
                    .note("a table's codes are `hl7 \"NNNN\"` (an HL7 v2 table), `fhir \"value-set\"` or `system \"URI\"`")
                    .help(did_you_mean(&found).unwrap_or_else(|| "write `hl7`, `fhir` or `system`".to_owned()));
                    self.report(d);
                }
            }
        }
        let mut inputs: BTreeMap<&str, Span> = BTreeMap::new();
        let mut otherwise: Option<Span> = None;
        for entry in &t.entries {
            match entry {
                TableEntry::Row { inputs: codes, .. } => {
                    for code in codes {
                        if let Some(first) = inputs.get(code.value.as_str()) {
                            let d = Diagnostic::new(
                                Code::DuplicateTableEntry,
                                format!(
                                    "code \"{}\" is mapped twice in table `{}`",
                                    code.value, t.name.name
                                ),
                            )
                            .primary(code.span, "mapped again here")
                            .secondary(*first, "first mapped here")
                            .note("the first row would always win, so the second can never apply")
                            .help("keep one row for each input code");
                            self.report(d);
                        } else {
                            inputs.insert(&code.value, code.span);
                        }
                    }
                }
                TableEntry::Else { span, .. } => {
                    if let Some(first) = otherwise {
                        let d = Diagnostic::new(
                            Code::DuplicateTableEntry,
                            format!("table `{}` has two `else` rows", t.name.name),
                        )
                        .primary(*span, "second `else`")
                        .secondary(first, "first `else`")
                        .help("keep one `else` row");
                        self.report(d);
                    } else {
                        otherwise = Some(*span);
                    }
                }
            }
        }
    }

    fn map(&mut self, m: &MapDecl) {
        self.scopes.push(BTreeMap::new());
        for source in &m.sources {
            if let Some(alias) = &source.alias {
                self.bind(alias, "source alias");
            }
        }
        self.block(&m.body);
        self.pop_scope();
    }

    // ------------------------------------------------------------ scopes

    fn bind(&mut self, name: &Ident, what: &'static str) {
        let Some(scope) = self.scopes.last_mut() else {
            return;
        };
        if let Some(first) = scope.get(&name.name) {
            let first = first.span;
            let d = Diagnostic::new(
                Code::DuplicateBinding,
                format!("`{}` is bound twice in the same scope", name.name),
            )
            .primary(name.span, "bound again here")
            .secondary(first, "first bound here")
            .help("rename one of them; a nested block may reuse a name, one block may not");
            self.report(d);
            return;
        }
        let used = self.used_early.contains(&name.span);
        scope.insert(
            name.name.clone(),
            Binding {
                span: name.span,
                used,
                what,
            },
        );
    }

    fn pop_scope(&mut self) {
        let Some(scope) = self.scopes.pop() else {
            return;
        };
        for (name, binding) in scope {
            if !binding.used && !name.starts_with('_') {
                let d = Diagnostic::new(Code::UnusedBinding, format!("`{name}` is never used"))
                    .primary(binding.span, format!("this {} is never read", binding.what))
                    .help(format!(
                        "remove it, or name it `_{name}` if it is there on purpose"
                    ));
                self.report(d);
            }
        }
    }

    /// Marks a name used; `false` when no scope binds it.
    fn lookup(&mut self, name: &str) -> bool {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(b) = scope.get_mut(name) {
                b.used = true;
                return true;
            }
        }
        false
    }

    fn visible_names(&self) -> Vec<&str> {
        self.scopes
            .iter()
            .flat_map(|s| s.keys().map(String::as_str))
            .collect()
    }

    // ------------------------------------------------------------ statements

    fn block(&mut self, b: &Block) {
        self.scopes.push(BTreeMap::new());
        self.pending.push(
            b.stmts
                .iter()
                .filter_map(|s| match s {
                    Stmt::Let(l) => Some((l.name.name.clone(), l.name.span)),
                    _ => None,
                })
                .collect(),
        );
        for stmt in &b.stmts {
            self.stmt(stmt);
        }
        self.pending.pop();
        self.pop_scope();
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let(l) => {
                self.expr(&l.value);
                if let Some(pending) = self.pending.last_mut() {
                    pending.remove(&l.name.name);
                }
                self.bind(&l.name, "let");
            }
            Stmt::When(w) => self.when(w),
            Stmt::Each(e) => self.each(e),
            Stmt::Require(r) => {
                // Require names target elements (`identifier`) or source
                // paths: their roots are checked against the schemas; only
                // the conditions inside filters are expressions here.
                for p in &r.paths {
                    self.path_steps(p);
                    if let Some(root) = &p.root {
                        self.lookup(&root.name);
                    }
                }
            }
            Stmt::Assign(a) => match &a.value {
                AssignValue::Expr(e) => self.expr(e),
                AssignValue::Each(e) => self.each(e),
            },
            Stmt::Object(o) => self.block(&o.body),
        }
    }

    fn when(&mut self, w: &WhenStmt) {
        self.expr(&w.cond);
        self.block(&w.then);
        match &w.otherwise {
            None => {}
            Some(Otherwise::When(next)) => self.when(next),
            Some(Otherwise::Block(b)) => self.block(b),
        }
    }

    fn each(&mut self, e: &Each) {
        self.expr(&e.source);
        self.scopes.push(BTreeMap::new());
        self.bind(&e.binding, "`each` binding");
        self.block(&e.body);
        self.pop_scope();
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Literal(_) => {}
            ExprKind::Path(p) => self.path(p),
            ExprKind::Call(c) => self.call(c, e.span),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Not(inner) => self.expr(inner),
            ExprKind::Via { value, table } => {
                self.expr(value);
                self.via(table);
            }
            ExprKind::In { value, options } => {
                self.expr(value);
                for o in options {
                    self.expr(o);
                }
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond);
                self.expr(then);
                self.expr(otherwise);
            }
        }
    }

    fn path(&mut self, p: &Path) {
        if let Some(root) = &p.root {
            let bound = self.lookup(&root.name);
            // Capitalised roots are segments, groups or resource types:
            // the schema checks them. Lower-case roots must be bindings.
            if !bound && is_variable_name(&root.name) {
                self.unknown_name(root);
            }
        }
        self.path_steps(p);
    }

    fn path_steps(&mut self, p: &Path) {
        for step in &p.steps {
            if let StepKind::Where(cond) = &step.kind {
                self.expr(cond);
            }
        }
    }

    fn unknown_name(&mut self, name: &Ident) {
        let later = self
            .pending
            .iter()
            .rev()
            .find_map(|p| p.get(&name.name).copied());
        let mut d = Diagnostic::new(Code::UnknownName, format!("unknown name `{}`", name.name))
            .primary(name.span, "nothing binds this name here");
        if let Some(later) = later {
            self.used_early.push(later);
            d = d
                .secondary(later, "bound later by this `let`")
                .help("move the `let` above its first use");
        } else {
            let visible = self.visible_names();
            let found = suggestions(&name.name, visible);
            d = d.note("lower-case names are bindings (`let`, `each ... as`, a source's `as`); segments, groups and types start with a capital");
            if let Some(help) = did_you_mean(&found) {
                d = d.help(help);
            } else {
                d = d.help(format!("bind it first, e.g. `let {} = ...`", name.name));
            }
        }
        self.report(d);
    }

    fn via(&mut self, table: &Ident) {
        match self.decls.get(&table.name) {
            Some((DeclKind::Table, _)) => {}
            Some((kind, span)) => {
                let (kind, span) = (*kind, *span);
                let d = Diagnostic::new(
                    Code::WrongKind,
                    format!("`{}` is a {}, not a table", table.name, kind.noun()),
                )
                .primary(table.span, "`via` needs a table")
                .secondary(span, format!("`{}` is declared here", table.name))
                .help(match kind {
                    DeclKind::Map { .. } => format!("call a map: `{}(...)`", table.name),
                    _ => "declare a `table` that translates the codes".to_owned(),
                });
                self.report(d);
            }
            None => {
                let tables: Vec<&str> = self
                    .decls
                    .iter()
                    .filter(|(_, (k, _))| *k == DeclKind::Table)
                    .map(|(n, _)| n.as_str())
                    .collect();
                let found = suggestions(&table.name, tables);
                let d = Diagnostic::new(
                    Code::UnknownTable,
                    format!("unknown table `{}`", table.name),
                )
                .primary(table.span, "no table of this name in this file")
                .help(did_you_mean(&found).unwrap_or_else(|| {
                    format!(
                        "declare it: `table {} {{ \"code\" => \"code\" }}`",
                        table.name
                    )
                }));
                self.report(d);
            }
        }
    }

    fn call(&mut self, c: &Call, span: Span) {
        for a in &c.args {
            self.expr(a);
        }
        let name = c.callee.name.as_str();
        let given = c.args.len();
        if let Some((kind, decl_span)) = self.decls.get(name).copied() {
            match kind {
                DeclKind::Map { arity } => {
                    if arity != given {
                        let d = Diagnostic::new(
                            Code::WrongArgumentCount,
                            format!(
                                "map `{name}` takes {} but is given {given}",
                                plural(arity, "source")
                            ),
                        )
                        .primary(span, format!("{} given here", plural(given, "argument")))
                        .secondary(decl_span, format!("`{name}` is declared here"))
                        .help(format!("pass one argument for each source of `{name}`"));
                        self.report(d);
                    }
                }
                DeclKind::Table => {
                    let d =
                        Diagnostic::new(Code::WrongKind, format!("`{name}` is a table, not a map"))
                            .primary(c.callee.span, "tables are not called")
                            .secondary(decl_span, "the table is declared here")
                            .help(format!("translate a code with `via`: `PID-8 via {name}`"));
                    self.report(d);
                }
                DeclKind::Record | DeclKind::Let => {
                    let d = Diagnostic::new(
                        Code::WrongKind,
                        format!("`{name}` is a {}, not a map or function", kind.noun()),
                    )
                    .primary(c.callee.span, "this cannot be called")
                    .secondary(decl_span, format!("`{name}` is declared here"))
                    .help("call a map or a built-in function");
                    self.report(d);
                }
            }
            return;
        }
        if let Some(builtin) = BUILTINS.iter().find(|b| b.name == name) {
            if !builtin.accepts(given) {
                let d = Diagnostic::new(
                    Code::WrongArgumentCount,
                    format!(
                        "`{name}` takes {} but is given {given}",
                        builtin.arity_text()
                    ),
                )
                .primary(span, format!("{} given here", plural(given, "argument")))
                .note(format!("{}: {}", builtin.signature, builtin.summary))
                .help(format!("write `{}`", builtin.signature));
                self.report(d);
            }
            return;
        }
        let maps = self
            .decls
            .iter()
            .filter(|(_, (k, _))| matches!(k, DeclKind::Map { .. }))
            .map(|(n, _)| n.as_str());
        let candidates: Vec<&str> = maps.chain(BUILTINS.iter().map(|b| b.name)).collect();
        let found = suggestions(name, candidates);
        let d = Diagnostic::new(
            Code::UnknownCallee,
            format!("unknown map or function `{name}`"),
        )
        .primary(c.callee.span, "no map or built-in function of this name")
        .help(did_you_mean(&found).unwrap_or_else(|| {
            "declare a map with this name, or see `docs/language.md` for the built-in functions"
                .to_owned()
        }));
        self.report(d);
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}
