//! Checking a module against the HL7 v2 and FHIR R4 definitions: source
//! paths exist in the message structure, target elements exist in the FHIR
//! type, values have the right type and cardinality, codes lie in required
//! value sets, and required elements are set.
//!
//! Runs after name resolution; names that did not resolve are typed
//! `Unknown` and produce no further diagnostics (no cascades).

use std::collections::{BTreeMap, BTreeSet};

use ferry_schema::{
    Datatype, FhirSchema, Hl7Version, LookupError, Node, ResolvedElement, Segment, Structure,
    V2Schema, ValueSet, fhir_r4, hl7v2,
};

use crate::diagnostic::{Code, Diagnostic, did_you_mean, suggestions};
use crate::ir::SourcePlan;
use crate::span::Span;
use crate::syntax::ast::*;

/// Checks one module against the definitions its `use` lines name.
pub fn check(module: &Module) -> Vec<Diagnostic> {
    let mut c = Checker::new(module);
    c.run(module);
    c.diagnostics
}

/// The type of a value as the checker sees it.
#[derive(Debug, Clone)]
enum Ty {
    /// Unresolved (already reported) or not checkable: accepted everywhere.
    Unknown,
    Message(&'static Structure),
    Group {
        structure: &'static Structure,
        node: &'static Node,
    },
    Segment(&'static Segment),
    /// An HL7 v2 field or component value of this datatype (`XPN`, `ST`, `varies`).
    Hl7(String),
    /// A FHIR element value (from a FHIR source) of this type.
    Fhir(String),
    Record(String),
    /// A record member of a built-in type (`string`, `datetime`...).
    RecordScalar(String),
    RecordEnum(Vec<String>),
    Text(String),
    Number,
    Bool,
    /// The FHIR primitive a conversion function returns (`date`, `dateTime`...).
    Converted(&'static str),
    /// The output of a table: its codes, or `None` when `else => keep`
    /// passes input codes through.
    ///
    /// The second field is the value set the table's signature names (whose
    /// misses the table itself reports).
    Codes(Option<Vec<String>>, Option<String>),
    /// What a map call returns: an object of the map's target type.
    Object(String),
    /// `reject(...)`: no value.
    Never,
}

#[derive(Debug, Clone)]
struct Val {
    ty: Ty,
    /// The path yields many values (a repeating field, segment or group
    /// read without `[n]`, `[where ...]` or `each`).
    many: bool,
}

impl Val {
    fn one(ty: Ty) -> Val {
        Val { ty, many: false }
    }

    fn unknown() -> Val {
        Val::one(Ty::Unknown)
    }
}

#[derive(Debug, Clone)]
enum SourceTy {
    Message(&'static Structure),
    /// A segment group, by its full name (`ORU_R01_ORDER_OBSERVATION`).
    Group(&'static Structure, &'static Node),
    Segment(&'static Segment),
    Fhir(String),
    Record(String),
    Unknown,
}

#[derive(Debug, Clone)]
struct MapSig {
    sources: Vec<SourceTy>,
    /// The FHIR type the map builds, when it resolved.
    target: Option<String>,
}

/// The object being built: its FHIR path (for lookups) and what is set in it.
struct Ctx {
    path: String,
    set: BTreeSet<String>,
    /// Dotted targets (`request.method`): their element names and where
    /// they are written; the objects they create implicitly must hold their
    /// own required elements too.
    dotted: Vec<(Vec<String>, Span)>,
}

struct Checker<'m> {
    v2: Option<&'static V2Schema>,
    version: Option<Hl7Version>,
    fhir: Option<&'static FhirSchema>,
    uses_hl7: bool,
    uses_fhir: bool,
    maps: BTreeMap<&'m str, &'m MapDecl>,
    sigs: BTreeMap<&'m str, MapSig>,
    tables: BTreeMap<&'m str, &'m TableDecl>,
    records: BTreeMap<&'m str, &'m RecordDecl>,
    constants: BTreeMap<&'m str, &'m LetStmt>,
    scopes: Vec<BTreeMap<String, Val>>,
    /// The item a `[where ...]` filter tests (for relative paths).
    relative: Vec<Val>,
    sources: Vec<(SourceTy, Option<String>)>,
    diagnostics: Vec<Diagnostic>,
}

fn schema_error(e: &LookupError) -> String {
    e.to_string()
}

const STRINGISH: &[&str] = &[
    "string",
    "markdown",
    "uri",
    "url",
    "canonical",
    "id",
    "oid",
    "uuid",
    "code",
    "base64Binary",
];
const INTEGERS: &[&str] = &["integer", "positiveInt", "unsignedInt"];
const DATE_LIKE_V2: &[&str] = &["DT", "DTM", "TS", "DIN"];

fn v2_kind(dt: &str) -> &'static str {
    match dt {
        "DT" => "date",
        "DTM" | "TS" => "date/time",
        "TM" => "time",
        "NM" | "SI" => "number",
        _ => "text",
    }
}

impl<'m> Checker<'m> {
    fn new(module: &'m Module) -> Checker<'m> {
        let mut c = Checker {
            v2: None,
            version: None,
            fhir: None,
            uses_hl7: false,
            uses_fhir: false,
            maps: BTreeMap::new(),
            sigs: BTreeMap::new(),
            tables: BTreeMap::new(),
            records: BTreeMap::new(),
            constants: BTreeMap::new(),
            scopes: Vec::new(),
            relative: Vec::new(),
            sources: Vec::new(),
            diagnostics: Vec::new(),
        };
        for item in &module.items {
            match item {
                Item::Use(u) if u.standard.name == "hl7v2" => {
                    c.uses_hl7 = true;
                    if let Ok(version) = u.version.value.parse::<Hl7Version>() {
                        c.version = Some(version);
                        match hl7v2(version) {
                            Ok(schema) => c.v2 = Some(schema),
                            Err(e) => c.report(
                                Diagnostic::new(
                                    Code::UnsupportedVersion,
                                    "the HL7 v2 definitions cannot be loaded",
                                )
                                .primary(u.span, schema_error(&e)),
                            ),
                        }
                    }
                }
                Item::Use(u) if u.standard.name == "fhir" => {
                    c.uses_fhir = true;
                    match fhir_r4() {
                        Ok(schema) => c.fhir = Some(schema),
                        Err(e) => c.report(
                            Diagnostic::new(
                                Code::UnsupportedVersion,
                                "the FHIR R4 definitions cannot be loaded",
                            )
                            .primary(u.span, schema_error(&e)),
                        ),
                    }
                }
                Item::Use(_) => {}
                Item::Map(m) => {
                    c.maps.entry(&m.name.name).or_insert(m);
                }
                Item::Table(t) => {
                    c.tables.entry(&t.name.name).or_insert(t);
                }
                Item::Record(r) => {
                    c.records.entry(&r.name.name).or_insert(r);
                }
                Item::Let(l) => {
                    c.constants.entry(&l.name.name).or_insert(l);
                }
            }
        }
        c
    }

    fn report(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn run(&mut self, module: &'m Module) {
        let maps: Vec<&'m MapDecl> = self.maps.values().copied().collect();
        for m in &maps {
            let sig = self.signature(m);
            self.sigs.insert(&m.name.name, sig);
        }
        for item in &module.items {
            if let Item::Table(t) = item {
                self.table(t);
            }
        }
        for item in &module.items {
            if let Item::Map(m) = item
                && self
                    .maps
                    .get(m.name.name.as_str())
                    .is_some_and(|first| std::ptr::eq(*first, m))
            {
                self.map(m);
            }
        }
    }

    // ------------------------------------------------------------ signatures

    fn missing_use(&mut self, span: Span, standard: &str, what: &str) {
        let line = match standard {
            "hl7v2" => "use hl7v2 \"2.5.1\"",
            _ => "use fhir \"R4\"",
        };
        let d = Diagnostic::new(Code::MissingUse, format!("{what} needs `use {standard}`"))
            .primary(
                span,
                format!("this is {standard}, which the file does not `use`"),
            )
            .note("the checker reads the definitions of the versions a file names")
            .help(format!(
                "add `{line}` at the top of the file (with your version)"
            ));
        self.report(d);
    }

    fn source_ty(&mut self, ty: &Ident) -> SourceTy {
        let name = ty.name.as_str();
        let plan = SourcePlan::resolve(name, self.records.contains_key(name), self.v2, self.fhir);
        match plan {
            Some(SourcePlan::Record(r)) => return SourceTy::Record(r),
            Some(SourcePlan::Message(s)) => return SourceTy::Message(s),
            Some(SourcePlan::Group(s, g)) => return SourceTy::Group(s, g),
            Some(SourcePlan::Fhir(t)) => return SourceTy::Fhir(t),
            Some(SourcePlan::Segment(id)) => {
                if let Some(seg) = self.v2.and_then(|v2| v2.segment(&id).ok()) {
                    return SourceTy::Segment(seg);
                }
            }
            None => {}
        }
        if self.v2.is_none() && looks_hl7(name) {
            if self.uses_hl7 {
                return SourceTy::Unknown;
            }
            self.missing_use(ty.span, "hl7v2", &format!("`{name}`"));
            return SourceTy::Unknown;
        }
        if self.fhir.is_none() && !self.uses_fhir && !looks_hl7(name) {
            self.missing_use(ty.span, "fhir", &format!("`{name}`"));
            return SourceTy::Unknown;
        }
        self.unknown_map_type(ty, "source");
        SourceTy::Unknown
    }

    fn unknown_map_type(&mut self, ty: &Ident, role: &str) {
        let mut candidates: Vec<&str> = self.records.keys().copied().collect();
        if let Some(v2) = self.v2 {
            candidates.extend(v2.structures().iter().map(Structure::name));
            candidates.extend(v2.segments().iter().map(Segment::id));
        }
        if let Some(fhir) = self.fhir {
            candidates.extend(fhir.types().iter().map(|t| t.name()));
        }
        let found = suggestions(&ty.name, candidates);
        let version = self
            .version
            .map_or(String::new(), |v| format!(" in HL7 v2 {v}"));
        let d = Diagnostic::new(Code::UnknownMapType, format!("unknown {role} type `{}`", ty.name))
            .primary(
                ty.span,
                if role == "target" {
                    "not a FHIR R4 resource or datatype".to_owned()
                } else {
                    format!("not a message structure, segment or group{version}, a FHIR R4 type or a record")
                },
            )
            .help(did_you_mean(&found).unwrap_or_else(|| {
                "name a message structure (`ADT_A01`), a segment (`PID`), a FHIR type (`Patient`) or a record of this file".to_owned()
            }));
        self.report(d);
    }

    fn signature(&mut self, m: &MapDecl) -> MapSig {
        let sources = m.sources.iter().map(|s| self.source_ty(&s.ty)).collect();
        let target = match self.fhir {
            Some(fhir) => {
                if fhir.type_def(&m.target.name).is_ok() {
                    Some(m.target.name.clone())
                } else {
                    self.unknown_map_type(&m.target, "target");
                    None
                }
            }
            None => {
                if !self.uses_fhir {
                    self.missing_use(
                        m.target.span,
                        "fhir",
                        &format!("the target `{}`", m.target.name),
                    );
                }
                None
            }
        };
        MapSig { sources, target }
    }

    // ------------------------------------------------------------ tables

    fn table(&mut self, t: &TableDecl) {
        let Some(sig) = &t.signature else { return };
        if sig.input.kind.name == "hl7" {
            match self.v2 {
                None if !self.uses_hl7 => {
                    self.missing_use(sig.input.span, "hl7v2", "an HL7 table");
                }
                None => {}
                Some(v2) => match v2.table(&sig.input.id.value) {
                    Err(e) => {
                        let d = Diagnostic::new(
                            Code::CodeNotInHl7Table,
                            format!("HL7 table \"{}\" is not defined", sig.input.id.value),
                        )
                        .primary(sig.input.id.span, schema_error(&e))
                        .help("name a table of the standard, e.g. `hl7 \"0001\"` for administrative sex");
                        self.report(d);
                    }
                    Ok(table) if !table.codes().is_empty() => {
                        let known: Vec<&str> = table.codes().iter().map(|c| c.code()).collect();
                        for entry in &t.entries {
                            let TableEntry::Row { inputs, .. } = entry else {
                                continue;
                            };
                            for input in inputs {
                                if !table.contains(&input.value) {
                                    let found = suggestions(&input.value, known.iter().copied());
                                    let mut d = Diagnostic::new(
                                        Code::CodeNotInHl7Table,
                                        format!(
                                            "\"{}\" is not a code of HL7 table {}",
                                            input.value,
                                            table.id()
                                        ),
                                    )
                                    .primary(input.span, "not in the table")
                                    .secondary(sig.input.span, "the table is named here")
                                    .note(format!(
                                        "codes of {}: {}",
                                        table.id(),
                                        list(&known, 16)
                                    ));
                                    d = d.help(did_you_mean(&found).unwrap_or_else(|| {
                                        "use a code of the table, or drop the signature's `hl7` table if the sender uses local codes".to_owned()
                                    }));
                                    self.report(d);
                                }
                            }
                        }
                    }
                    Ok(_) => {}
                },
            }
        }
        if sig.output.kind.name == "fhir" {
            if self.fhir.is_none() && !self.uses_fhir {
                self.missing_use(sig.output.span, "fhir", "a FHIR value set");
            }
            if let Some((url, codes)) = self.value_set_by_id(&sig.output.id.value) {
                for entry in &t.entries {
                    let output = match entry {
                        TableEntry::Row { output, .. } => output,
                        TableEntry::Else {
                            action: ElseAction::Code(code),
                            ..
                        } => code,
                        TableEntry::Else { .. } => continue,
                    };
                    if !codes.contains(&output.value) {
                        self.code_outside(output, &url, &codes, Some(sig.output.span));
                    }
                }
            }
        }
    }

    /// A value set's URL and codes, by the id or URL a table signature names.
    fn value_set_by_id(&self, id: &str) -> Option<(String, Vec<String>)> {
        let fhir = self.fhir?;
        let candidates = if id.contains("://") {
            vec![id.to_owned()]
        } else {
            vec![
                format!("http://hl7.org/fhir/ValueSet/{id}"),
                format!("http://terminology.hl7.org/ValueSet/{id}"),
            ]
        };
        candidates.into_iter().find_map(|url| {
            let vs = fhir.value_set(&url).ok()?;
            vs.is_enumerable()
                .then(|| (url.clone(), vs.codes().map(|c| c.code.to_owned()).collect()))
        })
    }

    /// A value that may hold codes outside the required value set `vs`.
    fn outside_value_set(
        &mut self,
        span: Span,
        vs: &ValueSet,
        message: String,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        let d = Diagnostic::new(Code::CodeNotInValueSet, message)
            .primary(span, label)
            .note(format!("value set {}", vs.url()))
            .help(help);
        self.report(d);
    }

    /// Reports the `codes` a value may take that `vs` lacks, if any.
    fn codes_outside_value_set(
        &mut self,
        span: Span,
        vs: &ValueSet,
        codes: &[String],
        message: String,
        label: &str,
        help: &str,
    ) {
        let outside: Vec<&str> = codes
            .iter()
            .map(String::as_str)
            .filter(|c| !vs.contains(c))
            .collect();
        if !outside.is_empty() {
            self.outside_value_set(
                span,
                vs,
                message,
                format!("{label} {}", list(&outside, 6)),
                help,
            );
        }
    }

    fn code_outside(&mut self, code: &StringLit, url: &str, codes: &[String], table: Option<Span>) {
        let found = suggestions(&code.value, codes.iter().map(String::as_str));
        let mut d = Diagnostic::new(
            Code::CodeNotInValueSet,
            format!("\"{}\" is not in the required value set", code.value),
        )
        .primary(code.span, format!("not a code of {url}"))
        .note(format!(
            "allowed codes: {}",
            list(&codes.iter().map(String::as_str).collect::<Vec<_>>(), 16)
        ));
        if let Some(span) = table {
            d = d.secondary(span, "the value set is named here");
        }
        d = d.help(did_you_mean(&found).unwrap_or_else(|| {
            "write a code of the value set, or translate the source code with a table (`via`)"
                .to_owned()
        }));
        self.report(d);
    }

    // ------------------------------------------------------------ maps

    fn map(&mut self, m: &'m MapDecl) {
        let Some(sig) = self.sigs.get(m.name.name.as_str()).cloned() else {
            return;
        };
        self.sources = m
            .sources
            .iter()
            .zip(sig.sources.iter())
            .map(|(s, ty)| (ty.clone(), s.alias.as_ref().map(|a| a.name.clone())))
            .collect();
        self.scopes = vec![BTreeMap::new()];
        for (ty, alias) in self.sources.clone() {
            if let Some(alias) = alias {
                let val = Val::one(source_val(&ty));
                if let Some(scope) = self.scopes.last_mut() {
                    scope.insert(alias, val);
                }
            }
        }
        match sig.target {
            Some(target) => {
                let mut ctx = Ctx {
                    path: target,
                    set: BTreeSet::new(),
                    dotted: Vec::new(),
                };
                self.block(&m.body, Some(&mut ctx));
                self.required(&ctx, m.target.span, &format!("map `{}`", m.name.name));
            }
            None => self.block(&m.body, None),
        }
        self.scopes.clear();
        self.sources.clear();
    }

    /// Reports the required children of `ctx` that no rule set.
    fn required(&mut self, ctx: &Ctx, span: Span, what: &str) {
        let Some(fhir) = self.fhir else { return };
        let Ok(children) = fhir.children(&ctx.path) else {
            return;
        };
        for child in children {
            let name = child.name().trim_end_matches("[x]");
            if child.cardinality().min == 0 {
                continue;
            }
            let set = ctx
                .set
                .iter()
                .any(|s| s == name || (child.is_choice() && s.starts_with(name)));
            if !set {
                let d = Diagnostic::new(
                    Code::RequiredNeverSet,
                    format!("`{}.{}` is required, but {what} never sets it", ctx.path, child.name()),
                )
                .primary(span, format!("`{}` is {} in FHIR R4", child.name(), child.cardinality()))
                .note("a resource without its required elements is not valid FHIR; no message could convert")
                .help(format!("set it: `{name} = ...`"));
                self.report(d);
            }
        }
        self.required_dotted(&ctx.path, &ctx.dotted, what);
    }

    fn block(&mut self, b: &Block, mut ctx: Option<&mut Ctx>) {
        self.scopes.push(BTreeMap::new());
        for stmt in &b.stmts {
            self.stmt(stmt, ctx.as_deref_mut());
        }
        self.scopes.pop();
    }

    fn bind(&mut self, name: &Ident, val: Val) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.name.clone(), val);
        }
    }

    fn stmt(&mut self, stmt: &Stmt, ctx: Option<&mut Ctx>) {
        match stmt {
            Stmt::Let(l) => {
                let val = self.expr(&l.value);
                self.bind(&l.name, val);
            }
            Stmt::When(w) => self.when(w, ctx),
            Stmt::Each(e) => {
                let item = self.each_item(&e.source);
                self.scopes.push(BTreeMap::new());
                self.bind(&e.binding, item);
                self.block(&e.body, ctx);
                self.scopes.pop();
            }
            Stmt::Require(r) => self.require(r, ctx),
            Stmt::Assign(a) => self.assign(a, ctx),
            Stmt::Object(o) => {
                let Some(ctx) = ctx else {
                    self.block(&o.body, None);
                    return;
                };
                let Some((element, mode, path)) = self.target(&o.target, ctx) else {
                    self.block(&o.body, None);
                    return;
                };
                let Some(ty) = self.object_type(&element, &path, o.target.span) else {
                    self.block(&o.body, None);
                    return;
                };
                let _ = mode;
                let mut inner = Ctx {
                    path: path.clone(),
                    set: BTreeSet::new(),
                    dotted: Vec::new(),
                };
                let _ = ty;
                self.block(&o.body, Some(&mut inner));
                self.required(
                    &inner,
                    o.target.span,
                    &format!("the `{}` block", target_text(&o.target)),
                );
            }
        }
    }

    fn when(&mut self, w: &WhenStmt, mut ctx: Option<&mut Ctx>) {
        self.expr(&w.cond);
        self.block(&w.then, ctx.as_deref_mut());
        match &w.otherwise {
            None => {}
            Some(Otherwise::When(next)) => self.when(next, ctx),
            Some(Otherwise::Block(b)) => self.block(b, ctx),
        }
    }

    fn require(&mut self, r: &RequireStmt, ctx: Option<&mut Ctx>) {
        for p in &r.paths {
            let root_is_source = p.root.as_ref().is_some_and(|root| {
                !root.name.starts_with(|c: char| c.is_ascii_lowercase())
                    || self.lookup(&root.name).is_some()
            });
            if root_is_source {
                self.path(p);
                continue;
            }
            // A target element of the object being built.
            let Some(ctx) = ctx.as_deref() else { continue };
            let Some(root) = &p.root else { continue };
            let Some(fhir) = self.fhir else { continue };
            let path = format!("{}.{}", ctx.path, root.name);
            match fhir.element(&path) {
                Err(e) => self.unknown_element(root.span, &e),
                Ok(_) => {
                    if !ctx.set.contains(&root.name) {
                        let d = Diagnostic::new(
                            Code::RequiredNeverSet,
                            format!("`{}` is required here, but no rule sets it", root.name),
                        )
                        .primary(root.span, "required by this `require`")
                        .note("a contract that no rule can meet rejects every message")
                        .help(format!(
                            "set it (`{} = ...`) or drop it from `require`",
                            root.name
                        ));
                        self.report(d);
                    }
                }
            }
        }
    }

    /// Resolves a target path inside `ctx`; records its first element as set.
    /// Returns the last element, its mode, and its full FHIR path.
    fn target(
        &mut self,
        t: &TargetPath,
        ctx: &mut Ctx,
    ) -> Option<(ResolvedElement<'static>, Mode, String)> {
        let fhir = self.fhir?;
        let mut path = ctx.path.clone();
        let mut last: Option<(ResolvedElement<'static>, Mode, Span)> = None;
        let mut steps = t.steps.iter().peekable();
        while let Some(step) = steps.next() {
            let TargetStep::Member(name) = step else {
                continue;
            };
            let mode = match steps.peek() {
                Some(TargetStep::Append(_)) => Mode::Append,
                Some(TargetStep::Index(n, _)) => Mode::Index(*n),
                _ => Mode::Single,
            };
            if last.is_none() {
                ctx.set.insert(name.name.clone());
            }
            let next = format!("{path}.{}", name.name);
            let element = match fhir.element(&next) {
                Ok(e) => e,
                Err(e) => {
                    self.unknown_element(name.span, &e);
                    return None;
                }
            };
            let repeats = element.cardinality().is_repeating();
            match (mode, repeats) {
                (Mode::Append, false) => {
                    let d = Diagnostic::new(
                        Code::AppendMismatch,
                        format!("`{}` holds one value; `[]` appends to a list", name.name),
                    )
                    .primary(
                        name.span.to(step_end(steps.peek(), name.span)),
                        format!("`{next}` is {}", element.cardinality()),
                    )
                    .help(format!("set it without `[]`: `{} = ...`", name.name));
                    self.report(d);
                }
                (Mode::Single, true) => {
                    let d = Diagnostic::new(
                        Code::AppendMismatch,
                        format!("`{}` is a list; say which item", name.name),
                    )
                    .primary(name.span, format!("`{next}` is {}", element.cardinality()))
                    .note("`x[] = ...` appends an item; `x[2]` addresses the second one")
                    .help(format!("append with `{}[]`", name.name));
                    self.report(d);
                }
                _ => {}
            }
            path = next;
            last = Some((element, mode, name.span));
        }
        let names: Vec<String> = t
            .steps
            .iter()
            .filter_map(|s| match s {
                TargetStep::Member(n) => Some(n.name.clone()),
                _ => None,
            })
            .collect();
        if names.len() > 1 {
            ctx.dotted.push((names, t.span));
        }
        last.map(|(e, m, _)| (e, m, path))
    }

    /// The objects that dotted targets create (`request` for
    /// `request.method = ...`) must hold their required elements too.
    fn required_dotted(&mut self, base: &str, dotted: &[(Vec<String>, Span)], what: &str) {
        let Some(fhir) = self.fhir else { return };
        let mut groups: BTreeMap<&str, Vec<(Vec<String>, Span)>> = BTreeMap::new();
        for (names, span) in dotted {
            if let [first, rest @ ..] = names.as_slice()
                && !rest.is_empty()
            {
                groups
                    .entry(first.as_str())
                    .or_default()
                    .push((rest.to_vec(), *span));
            }
        }
        for (first, rests) in groups {
            let path = format!("{base}.{first}");
            let Some(span) = rests.first().map(|(_, s)| *s) else {
                continue;
            };
            if let Ok(children) = fhir.children(&path) {
                for child in children.into_iter().filter(|c| c.cardinality().min > 0) {
                    let name = child.name().trim_end_matches("[x]");
                    let set = rests.iter().any(|(r, _)| {
                        r.first().is_some_and(|n| {
                            n == name || (child.is_choice() && n.starts_with(name))
                        })
                    });
                    if !set {
                        let d = Diagnostic::new(
                            Code::RequiredNeverSet,
                            format!(
                                "`{path}.{}` is required, but {what} sets `{first}` without it",
                                child.name()
                            ),
                        )
                        .primary(span, format!("`{first}` is built here from its elements"))
                        .note(format!(
                            "`{}` is {} in FHIR R4",
                            child.name(),
                            child.cardinality()
                        ))
                        .help(format!("set it too: `{first}.{name} = ...`"));
                        self.report(d);
                    }
                }
            }
            self.required_dotted(&path, &rests, what);
        }
    }

    fn unknown_element(&mut self, span: Span, e: &LookupError) {
        let (message, help) = match e {
            LookupError::UnknownElement {
                parent,
                name,
                suggestions,
            } => {
                let s: Vec<&str> = suggestions.iter().map(String::as_str).take(3).collect();
                (
                    format!("`{parent}` has no element `{name}`"),
                    did_you_mean(&s).unwrap_or_else(|| {
                        format!("see the elements of {parent} in the FHIR R4 specification")
                    }),
                )
            }
            LookupError::ChoiceNotNarrowed { path, types } => {
                let base = path
                    .rsplit('.')
                    .next()
                    .unwrap_or(path)
                    .trim_end_matches("[x]");
                let typed: Vec<String> = types
                    .iter()
                    .take(4)
                    .map(|t| format!("`{base}{}`", upper_first(t)))
                    .collect();
                (
                    format!("`{path}` has several types; name the one you write"),
                    format!("write a typed name such as {}", typed.join(", ")),
                )
            }
            other => (other.to_string(), "check the element path".to_owned()),
        };
        let d = Diagnostic::new(Code::UnknownElement, message)
            .primary(span, "not an element here")
            .help(help);
        self.report(d);
    }

    /// The complex type an object block builds at `element`.
    fn object_type(
        &mut self,
        element: &ResolvedElement<'static>,
        path: &str,
        span: Span,
    ) -> Option<String> {
        let fhir = self.fhir?;
        let ty = match element.single_type() {
            Some(t) => t,
            None => {
                self.unknown_element(
                    span,
                    &LookupError::ChoiceNotNarrowed {
                        path: path.to_owned(),
                        types: element
                            .types()
                            .iter()
                            .map(|t| t.code().to_owned())
                            .collect(),
                    },
                );
                return None;
            }
        };
        if fhir.is_primitive(ty) {
            let d = Diagnostic::new(
                Code::TypeMismatch,
                format!("`{path}` is a {ty}, not an object"),
            )
            .primary(span, "a block builds an object")
            .help("set it with `=`");
            self.report(d);
            return None;
        }
        Some(ty.to_owned())
    }

    fn assign(&mut self, a: &AssignStmt, ctx: Option<&mut Ctx>) {
        let Some(ctx) = ctx else {
            match &a.value {
                AssignValue::Expr(e) => {
                    self.expr(e);
                }
                AssignValue::Each(e) => {
                    let item = self.each_item(&e.source);
                    self.scopes.push(BTreeMap::new());
                    self.bind(&e.binding, item);
                    self.block(&e.body, None);
                    self.scopes.pop();
                }
            }
            return;
        };
        let resolved = self.target(&a.target, ctx);
        match &a.value {
            AssignValue::Expr(e) => {
                let val = self.expr(e);
                if let Some((element, mode, path)) = resolved {
                    self.compatible(&val, &element, mode, &path, e, a.target.span);
                }
            }
            AssignValue::Each(each) => {
                let item = self.each_item(&each.source);
                self.scopes.push(BTreeMap::new());
                self.bind(&each.binding, item);
                match resolved {
                    Some((element, mode, path)) => {
                        if mode == Mode::Single && !element.cardinality().is_repeating() {
                            let d = Diagnostic::new(
                                Code::RepeatingIntoSingle,
                                format!("`each` builds many objects, but `{path}` holds one"),
                            )
                            .primary(each.span, "one object per item")
                            .help("build one object with a block, reading one item (`[1]` or `[where ...]`)");
                            self.report(d);
                        }
                        if self.object_type(&element, &path, a.target.span).is_some() {
                            let mut inner = Ctx {
                                path: path.clone(),
                                set: BTreeSet::new(),
                                dotted: Vec::new(),
                            };
                            self.block(&each.body, Some(&mut inner));
                            self.required(&inner, each.span, "the `each` block");
                        } else {
                            self.block(&each.body, None);
                        }
                    }
                    None => self.block(&each.body, None),
                }
                self.scopes.pop();
            }
        }
    }

    /// Is `val` a fit for `element`? Reports what does not fit.
    fn compatible(
        &mut self,
        val: &Val,
        element: &ResolvedElement<'static>,
        mode: Mode,
        path: &str,
        e: &Expr,
        target_span: Span,
    ) {
        let Some(fhir) = self.fhir else { return };
        let span = e.span;
        let before = self.diagnostics.len();
        self.compatible_type(val, element, path, e, fhir, target_span);
        // The type is the deeper mistake: report repetition only when it fits.
        if self.diagnostics.len() == before && val.many && mode != Mode::Append {
            let d = Diagnostic::new(
                Code::RepeatingIntoSingle,
                format!("this value repeats, but `{path}` takes one"),
            )
            .primary(span, "may yield several values")
            .note("a repeating field, segment or group is read through `each`, an index or a filter")
            .help("choose one: `[1]` for the first, `[where .5 == \"MR\"]` by content, or `each` for all");
            self.report(d);
        }
    }

    fn compatible_type(
        &mut self,
        val: &Val,
        element: &ResolvedElement<'static>,
        path: &str,
        e: &Expr,
        fhir: &'static FhirSchema,
        target_span: Span,
    ) {
        let span = e.span;
        let Some(ft) = element.single_type() else {
            self.unknown_element(
                target_span,
                &LookupError::ChoiceNotNarrowed {
                    path: path.to_owned(),
                    types: element
                        .types()
                        .iter()
                        .map(|t| t.code().to_owned())
                        .collect(),
                },
            );
            return;
        };
        let required = fhir
            .required_value_set(element.definition)
            .filter(|vs| vs.is_enumerable());
        let primitive = fhir.is_primitive(ft);
        let mismatch = |what: &str| {
            Diagnostic::new(
                Code::TypeMismatch,
                format!("`{path}` is {}, but this is {what}", a(ft)),
            )
            .primary(span, what.to_owned())
        };
        match &val.ty {
            Ty::Unknown | Ty::Never => {}
            Ty::Hl7(dt) => {
                let composite = self
                    .v2
                    .and_then(|v2| v2.datatype(dt).ok())
                    .and_then(|d| match d {
                        Datatype::Composite(c) => Some(c),
                        _ => None,
                    });
                if let Some(c) = composite.filter(|_| dt != "TS") {
                    let first = c.component(1);
                    let help = match first {
                        _ if required.is_some() => format!(
                            "`{path}` takes a code of {}: read a coded field and translate it with `via`",
                            required.map_or("its value set", |vs| vs.url())
                        ),
                        Some(f) if primitive => format!(
                            "take a component: `.1` is {} ({})",
                            f.name(),
                            f.datatype().unwrap_or("?")
                        ),
                        _ => format!(
                            "build the {ft} with a block and fill its elements from the components"
                        ),
                    };
                    let d = mismatch(&format!("an HL7 {dt} (a composite)"))
                        .note(format!("{dt} has {} components", c.components().len()))
                        .help(help);
                    self.report(d);
                    return;
                }
                if !primitive {
                    let d =
                        mismatch(&format!("an HL7 {dt} value")).help(block_help(ft, path, element));
                    self.report(d);
                    return;
                }
                let kind = v2_kind(dt);
                let conversion = match (ft, kind) {
                    ("date", "date" | "date/time") => Some("date"),
                    ("dateTime", "date" | "date/time") => Some("datetime"),
                    ("instant", "date/time") => Some("instant"),
                    ("time", "time") => Some("time"),
                    ("decimal", "number") => Some("decimal"),
                    (i, "number") if INTEGERS.contains(&i) => Some("integer"),
                    _ => None,
                };
                if let Some(function) = conversion {
                    let d = Diagnostic::new(
                        Code::ConversionNeeded,
                        format!("an HL7 {dt} becomes a FHIR {ft} through `{function}()`"),
                    )
                    .primary(span, format!("HL7 {dt}"))
                    .note("HL7 and FHIR write these values differently; the conversion checks and reformats them")
                    .help(format!("write `{function}({})`", crate::syntax::print::expr(e)));
                    self.report(d);
                    return;
                }
                if !STRINGISH.contains(&ft) {
                    let d = mismatch(&format!("HL7 {dt} ({kind})")).help(format!(
                        "set a {ft} value: a literal, a condition or a conversion"
                    ));
                    self.report(d);
                    return;
                }
                if let Some(vs) = required {
                    self.outside_value_set(span, vs, format!("`{path}` takes codes of a required value set; HL7 {dt} codes are not those"), "HL7 codes, untranslated", "translate the code with a table: `... via table_name`");
                }
            }
            Ty::Text(text) => {
                if primitive
                    && !STRINGISH.contains(&ft)
                    && !matches!(ft, "date" | "dateTime" | "instant" | "time")
                {
                    let d = mismatch("a string").help(format!("write a {ft} value"));
                    self.report(d);
                    return;
                }
                if !primitive {
                    let d = mismatch("a string").help(block_help(ft, path, element));
                    self.report(d);
                    return;
                }
                if let Some(vs) = required
                    && !vs.contains(text)
                    && let ExprKind::Literal(Literal::String(_)) = &e.kind
                {
                    let codes: Vec<String> = vs.codes().map(|c| c.code.to_owned()).collect();
                    let lit = StringLit {
                        value: text.clone(),
                        span,
                    };
                    self.code_outside(&lit, vs.url(), &codes, None);
                }
            }
            Ty::Number => {
                if ft != "decimal" && !INTEGERS.contains(&ft) {
                    self.report(mismatch("a number").help(format!("write a {ft} value")));
                }
            }
            Ty::Bool => {
                if ft != "boolean" {
                    self.report(
                        mismatch("a condition (boolean)").help(format!("write a {ft} value")),
                    );
                }
            }
            Ty::Converted(k) => {
                let ok = *k == ft
                    || (*k == "date" && ft == "dateTime")
                    // An instant's text is a valid dateTime.
                    || (*k == "instant" && ft == "dateTime")
                    || (STRINGISH.contains(k) && STRINGISH.contains(&ft))
                    || (*k == "integer" && INTEGERS.contains(&ft));
                if !ok {
                    let help = match ft {
                        "date" => "convert with `date()`".to_owned(),
                        "dateTime" => "convert with `datetime()`".to_owned(),
                        "instant" => {
                            "convert with `instant()` (it needs seconds and an offset)".to_owned()
                        }
                        _ => format!("produce a {ft}"),
                    };
                    self.report(mismatch(&a(k)).help(help));
                    return;
                }
                if *k == "code"
                    && let Some(vs) = required
                {
                    self.outside_value_set(span, vs, format!("`{path}` takes codes of a required value set; `code()` does not translate"), "source codes, untranslated", "translate the code with a table: `... via table_name`");
                }
            }
            Ty::Codes(outputs, declared) => {
                if !primitive || !STRINGISH.contains(&ft) {
                    self.report(
                        mismatch("a code from a table").help(format!("`{path}` takes a {ft}")),
                    );
                    return;
                }
                if let Some(vs) = required {
                    match outputs {
                        None => {
                            self.outside_value_set(span, vs, format!("`{path}` takes codes of a required value set, but the table may pass codes through"), "`else => keep` passes unlisted codes unchanged", "end the table with `else => \"code\"` or `else => reject`");
                        }
                        // The table reported its own misses against this value set.
                        Some(_) if declared.as_deref() == Some(vs.url()) => {}
                        Some(codes) => self.codes_outside_value_set(
                            span,
                            vs,
                            codes,
                            format!("the table gives codes outside the value set of `{path}`"),
                            "may give",
                            "map those rows to codes of the value set",
                        ),
                    }
                }
            }
            Ty::RecordScalar(t) => {
                let ok = match t.as_str() {
                    "string" | "code" | "uri" => STRINGISH.contains(&ft),
                    "integer" => INTEGERS.contains(&ft) || ft == "decimal",
                    "decimal" => ft == "decimal",
                    "boolean" => ft == "boolean",
                    "date" => matches!(ft, "date" | "dateTime"),
                    "datetime" => ft == "dateTime",
                    "instant" => matches!(ft, "instant" | "dateTime"),
                    "time" => ft == "time",
                    _ => true,
                };
                if !ok {
                    self.report(
                        mismatch(&format!("a record {t}")).help(format!("`{path}` takes a {ft}")),
                    );
                } else if let Some(vs) = required
                    && matches!(t.as_str(), "string" | "code")
                {
                    self.outside_value_set(span, vs, format!("`{path}` takes codes of a required value set; a free {t} may hold anything"), "not limited to the value set", "declare the field as an enumeration, or translate it with a table (`via`)");
                }
            }
            Ty::RecordEnum(values) => {
                if !STRINGISH.contains(&ft) {
                    self.report(
                        mismatch("a record enumeration").help(format!("`{path}` takes a {ft}")),
                    );
                } else if let Some(vs) = required {
                    self.codes_outside_value_set(
                        span,
                        vs,
                        values,
                        format!("the record's values are not all codes of `{path}`'s value set"),
                        "may hold",
                        "translate them with a table: `... via table_name`",
                    );
                }
            }
            Ty::Fhir(t) => {
                let ok = t == ft || (STRINGISH.contains(&t.as_str()) && STRINGISH.contains(&ft));
                if !ok {
                    self.report(
                        mismatch(&format!("a FHIR {t}")).help(format!("`{path}` takes a {ft}")),
                    );
                }
            }
            Ty::Object(t) => {
                let ok = t == ft
                    || (matches!(ft, "Resource" | "DomainResource") && fhir.is_resource(t))
                    || fhir
                        .type_def(t)
                        .ok()
                        .and_then(|td| td.base())
                        .is_some_and(|b| b == ft);
                if !ok {
                    self.report(
                        mismatch(&format!("a {t} built by a map"))
                            .help(format!("call a map whose target is {ft}")),
                    );
                }
            }
            Ty::Record(r) => {
                self.report(
                    mismatch(&format!("a whole `{r}` record"))
                        .help("read one of its fields: `s.field`"),
                );
            }
            Ty::Message(s) => {
                self.report(
                    mismatch(&format!("a whole {} message", s.name()))
                        .help("read a field, or pass it to a map"),
                );
            }
            Ty::Group { node, structure } => {
                self.report(
                    mismatch(&format!(
                        "a whole {} group",
                        node.short_name_in(structure.name())
                    ))
                    .help("read a field, or pass it to a map"),
                );
            }
            Ty::Segment(s) => {
                self.report(
                    mismatch(&format!("a whole {} segment", s.id()))
                        .help(format!("read a field: `{}-N`", s.id())),
                );
            }
        }
    }

    // ------------------------------------------------------------ expressions

    fn lookup(&self, name: &str) -> Option<Val> {
        self.scopes.iter().rev().find_map(|s| s.get(name).cloned())
    }

    fn each_item(&mut self, source: &Expr) -> Val {
        let val = self.expr(source);
        Val {
            ty: val.ty,
            many: false,
        }
    }

    fn expr(&mut self, e: &Expr) -> Val {
        match &e.kind {
            ExprKind::Literal(Literal::String(s)) => Val::one(Ty::Text(s.clone())),
            ExprKind::Literal(Literal::Number(_)) => Val::one(Ty::Number),
            ExprKind::Literal(Literal::Bool(_)) => Val::one(Ty::Bool),
            ExprKind::Path(p) => self.path(p),
            ExprKind::Call(c) => self.call(c, e.span),
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.expr(lhs);
                let r = self.expr(rhs);
                match op {
                    BinaryOp::Coalesce => {
                        let ty = if matches!(l.ty, Ty::Unknown) {
                            r.ty
                        } else {
                            l.ty
                        };
                        Val { ty, many: l.many }
                    }
                    _ => Val::one(Ty::Bool),
                }
            }
            ExprKind::Not(inner) => {
                self.expr(inner);
                Val::one(Ty::Bool)
            }
            ExprKind::In { value, options } => {
                self.expr(value);
                for o in options {
                    self.expr(o);
                }
                Val::one(Ty::Bool)
            }
            ExprKind::Via { value, table } => {
                let v = self.expr(value);
                let outputs = self.tables.get(table.name.as_str()).map(|t| {
                    let declared = t
                        .signature
                        .as_ref()
                        .filter(|sig| sig.output.kind.name == "fhir")
                        .and_then(|sig| self.value_set_by_id(&sig.output.id.value))
                        .map(|(url, _)| url);
                    (table_outputs(t), declared)
                });
                Val {
                    ty: match outputs {
                        Some((o, declared)) => Ty::Codes(o, declared),
                        None => Ty::Unknown,
                    },
                    many: v.many,
                }
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond);
                let t = self.expr(then);
                let o = self.expr(otherwise);
                let many = t.many || o.many;
                let ty = match (&t.ty, &o.ty) {
                    (Ty::Text(a), Ty::Text(b)) if a != b => {
                        Ty::Codes(Some(vec![a.clone(), b.clone()]), None)
                    }
                    (Ty::Unknown | Ty::Never, _) => o.ty,
                    _ => t.ty,
                };
                Val { ty, many }
            }
        }
    }

    fn call(&mut self, c: &Call, span: Span) -> Val {
        let args: Vec<Val> = c.args.iter().map(|a| self.expr(a)).collect();
        let name = c.callee.name.as_str();
        if let Some(sig) = self.sigs.get(name).cloned() {
            for ((arg, val), source) in c.args.iter().zip(&args).zip(&sig.sources) {
                self.map_argument(arg, val, source, name);
            }
            return Val::one(sig.target.map_or(Ty::Unknown, Ty::Object));
        }
        if matches!(
            name,
            "concat" | "uuid5" | "string" | "code" | "upper" | "lower" | "trim" | "reference"
        ) {
            for (arg, val) in c.args.iter().zip(&args) {
                let what = match &val.ty {
                    Ty::Object(t) => Some(format!("a {t} built by a map")),
                    Ty::Record(r) => Some(format!("a whole `{r}` record")),
                    Ty::Message(s) => Some(format!("a whole {} message", s.name())),
                    Ty::Group { .. } => Some("a whole segment group".to_owned()),
                    Ty::Segment(s) => Some(format!("a whole {} segment", s.id())),
                    _ => None,
                };
                if let Some(what) = what {
                    let d = Diagnostic::new(
                        Code::TypeMismatch,
                        format!("`{name}()` takes text, but this is {what}"),
                    )
                    .primary(arg.span, what)
                    .help("pass a field, a component or an element holding text");
                    self.report(d);
                }
            }
        }
        let first = || args.first().cloned().unwrap_or_else(Val::unknown);
        let converted = |k: &'static str| Val::one(Ty::Converted(k));
        match name {
            "date" | "datetime" | "instant" => {
                self.conversion_argument(c, &args, span, &["date", "date/time"]);
                self.time_zone_argument(c);
                converted(match name {
                    "date" => "date",
                    "datetime" => "dateTime",
                    _ => "instant",
                })
            }
            "time" => {
                self.conversion_argument(c, &args, span, &["time", "date/time"]);
                converted("time")
            }
            "decimal" => {
                self.conversion_argument(c, &args, span, &["number"]);
                converted("decimal")
            }
            "integer" => {
                self.conversion_argument(c, &args, span, &["number"]);
                converted("integer")
            }
            "code" => converted("code"),
            "string" | "concat" => converted("string"),
            "uuid5" => converted("id"),
            "reference" => Val::one(Ty::Object("Reference".to_owned())),
            "valued" => Val::one(Ty::Bool),
            "count" => converted("integer"),
            "first" => Val {
                ty: first().ty,
                many: false,
            },
            "upper" | "lower" | "trim" => first(),
            "reject" => Val::one(Ty::Never),
            _ => Val::unknown(),
        }
    }

    /// A time zone written in the spec must be one the runtime knows.
    fn time_zone_argument(&mut self, c: &Call) {
        let Some(zone) = c.args.get(1) else { return };
        let ExprKind::Literal(Literal::String(name)) = &zone.kind else {
            return;
        };
        if ferry_runtime::convert::TimeZone::get(name).is_err() {
            let d = Diagnostic::new(Code::UnknownTimeZone, format!("unknown time zone \"{name}\""))
                .primary(zone.span, "not an IANA time zone")
                .note("the zone places HL7 times that carry no offset; abbreviations such as EST are ambiguous")
                .help("name an IANA zone such as \"America/New_York\" or \"Europe/Berlin\"");
            self.report(d);
        }
    }

    /// The argument of a conversion must be an HL7 value of the right kind.
    fn conversion_argument(&mut self, c: &Call, args: &[Val], span: Span, kinds: &[&str]) {
        let Some(arg) = args.first() else { return };
        let Some(arg_expr) = c.args.first() else {
            return;
        };
        if arg.many {
            let d = Diagnostic::new(
                Code::RepeatingIntoSingle,
                format!("`{}()` converts one value", c.callee.name),
            )
            .primary(arg_expr.span, "may yield several values")
            .help("choose one: `[1]`, `[where ...]`, or convert inside `each`");
            self.report(d);
        }
        if let Ty::Hl7(dt) = &arg.ty
            && dt != ferry_schema::VARIES
        {
            let kind = v2_kind(dt);
            let composite = self
                .v2
                .and_then(|v2| v2.datatype(dt).ok())
                .is_some_and(|d| matches!(d, Datatype::Composite(_)))
                && dt != "TS";
            if composite
                || !kinds.contains(&kind)
                || (kinds == ["number"] && DATE_LIKE_V2.contains(&dt.as_str()))
            {
                let d = Diagnostic::new(
                    Code::TypeMismatch,
                    format!(
                        "`{}()` converts {}, not an HL7 {dt}",
                        c.callee.name,
                        kinds.join(" or ")
                    ),
                )
                .primary(arg_expr.span, format!("HL7 {dt}"))
                .help(format!("pass a {} field or component", kinds.join(" or ")));
                self.report(d);
            }
        }
        let _ = span;
    }

    fn map_argument(&mut self, arg: &Expr, val: &Val, source: &SourceTy, map: &str) {
        let fits = match (source, &val.ty) {
            (_, Ty::Unknown) | (SourceTy::Unknown, _) => true,
            (SourceTy::Message(s), Ty::Message(t)) => s.name() == t.name(),
            (SourceTy::Segment(s), Ty::Segment(t)) => s.id() == t.id(),
            (SourceTy::Group(_, g), Ty::Group { node, .. }) => g.name() == node.name(),
            (SourceTy::Fhir(s), Ty::Fhir(t) | Ty::Object(t)) => s == t,
            (SourceTy::Record(s), Ty::Record(t)) => s == t,
            _ => false,
        };
        if !fits {
            let wanted = match source {
                SourceTy::Message(s) => format!("a {} message", s.name()),
                SourceTy::Segment(s) => format!("a {} segment", s.id()),
                SourceTy::Group(s, g) => format!("a {} group", g.short_name_in(s.name())),
                SourceTy::Fhir(t) => format!("a FHIR {t}"),
                SourceTy::Record(r) => format!("a `{r}` record"),
                SourceTy::Unknown => "its source".to_owned(),
            };
            let d = Diagnostic::new(Code::TypeMismatch, format!("map `{map}` reads {wanted}"))
                .primary(arg.span, "a different kind of value")
                .help(format!("pass {wanted}"));
            self.report(d);
        } else if val.many {
            let d = Diagnostic::new(
                Code::RepeatingIntoSingle,
                format!("map `{map}` converts one source at a time"),
            )
            .primary(arg.span, "may yield several values")
            .help("call it inside `each`, or choose one with `[1]`");
            self.report(d);
        }
    }

    fn path(&mut self, p: &Path) -> Val {
        let mut val = match &p.root {
            None => match self.relative.last() {
                Some(v) => v.clone(),
                None => {
                    let d = Diagnostic::new(
                        Code::UnknownSegment,
                        "a path starting with `.` needs an item to read",
                    )
                    .primary(p.span, "no item here")
                    .note("`.5` reads component 5 of the repetition a `[where ...]` filter tests")
                    .help("start the path with a segment or a name: `PID-3.5`");
                    self.report(d);
                    return Val::unknown();
                }
            },
            Some(root) => match self.root(root) {
                Some(v) => v,
                None => return Val::unknown(),
            },
        };
        // A selector (`[n]`, `[where ...]`) picks one of the values the last
        // step yields, in message order: the value is then as single as it
        // was before that step. A segment or group found below repeating
        // groups flattens their occurrences, so `OBX[1]` is the first OBX.
        for step in &p.steps {
            match &step.kind {
                // 0 and out-of-range positions are already reported by the parser.
                StepKind::Field(0 | u32::MAX)
                | StepKind::Position(0 | u32::MAX)
                | StepKind::Index(0 | u32::MAX) => return Val::unknown(),
                StepKind::Field(n) => {
                    let Ty::Segment(seg) = &val.ty else {
                        if !matches!(val.ty, Ty::Unknown) {
                            self.report(
                                Diagnostic::new(
                                    Code::UnknownField,
                                    "only a segment has numbered fields",
                                )
                                .primary(step.span, "not after a segment")
                                .help("write the field after its segment: `PID-3`"),
                            );
                        }
                        return Val::unknown();
                    };
                    let seg: &'static Segment = seg;
                    let Some(field) = seg.field(*n as usize) else {
                        let version = self
                            .version
                            .map_or(String::new(), |v| format!(" in HL7 v2 {v}"));
                        let d = Diagnostic::new(
                            Code::UnknownField,
                            format!("{} has no field {n}", seg.id()),
                        )
                        .primary(
                            step.span,
                            format!("{} has {} fields{version}", seg.id(), seg.fields().len()),
                        )
                        .help(format!(
                            "fields of {} are numbered 1 to {}",
                            seg.id(),
                            seg.fields().len()
                        ));
                        self.report(d);
                        return Val::unknown();
                    };
                    let Some(dt) = field.datatype() else {
                        let d = Diagnostic::new(
                            Code::UnknownField,
                            format!("{}-{n} is withdrawn", seg.id()),
                        )
                        .primary(step.span, "withdrawn from the standard in this version")
                        .help("read the field that replaced it");
                        self.report(d);
                        return Val::unknown();
                    };
                    val = Val {
                        ty: Ty::Hl7(dt.to_owned()),
                        many: val.many || field.repeats(),
                    };
                }
                StepKind::Position(n) => {
                    val = self.component(&val, *n, step.span);
                    if matches!(val.ty, Ty::Unknown) {
                        return val;
                    }
                }
                StepKind::Member(name) => {
                    // The label points at the name, not at the dot before it.
                    let name_span = Span::new(
                        step.span.file,
                        step.span.start as usize + 1,
                        step.span.end as usize,
                    );
                    let next = self.member(&val, name, name_span);
                    if matches!(next.ty, Ty::Unknown) {
                        return next;
                    }
                    val = next;
                }
                // A selector picks from all the values so far, in message
                // order (the interpreter's lists are flat): one value.
                StepKind::Index(_) => {
                    val.many = false;
                }
                StepKind::Where(cond) => {
                    self.relative.push(Val {
                        ty: val.ty.clone(),
                        many: false,
                    });
                    self.expr(cond);
                    self.relative.pop();
                    // In a single-valued place a filter takes the first match.
                    val.many = false;
                }
                StepKind::All => {
                    val.many = true;
                }
            }
        }
        val
    }

    /// A segment occurrence or group step selected after a root or member.
    fn root(&mut self, root: &Ident) -> Option<Val> {
        if let Some(v) = self.lookup(&root.name) {
            return Some(v);
        }
        if let Some(l) = self.constants.get(root.name.as_str()).copied() {
            let saved = std::mem::take(&mut self.scopes);
            let v = self.expr(&l.value);
            self.scopes = saved;
            return Some(v);
        }
        if root
            .name
            .starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        {
            // Unbound: reported by name resolution.
            return None;
        }
        let sources = self.sources.clone();
        for (source, alias) in &sources {
            match source {
                SourceTy::Segment(s) if s.id() == root.name && alias.is_none() => {
                    return Some(Val::one(Ty::Segment(s)));
                }
                SourceTy::Fhir(t) if *t == root.name && alias.is_none() => {
                    return Some(Val::one(Ty::Fhir(t.clone())));
                }
                SourceTy::Record(r) if *r == root.name && alias.is_none() => {
                    return Some(Val::one(Ty::Record(r.clone())));
                }
                SourceTy::Message(s) if alias.is_none() => {
                    if s.name() == root.name {
                        return Some(Val::one(Ty::Message(s)));
                    }
                    if let Some(v) = self.find_in(s, s.children(), &root.name, root.span, false) {
                        return Some(v);
                    }
                    return None;
                }
                SourceTy::Group(s, g) if alias.is_none() => {
                    if g.name() == root.name {
                        return Some(Val::one(Ty::Group {
                            structure: s,
                            node: g,
                        }));
                    }
                    if let Some(v) = self.find_in(s, g.children(), &root.name, root.span, false) {
                        return Some(v);
                    }
                    return None;
                }
                SourceTy::Unknown => return None,
                _ => {}
            }
        }
        // Not a source of this map.
        let is_segment = self.v2.is_some_and(|v2| v2.segment(&root.name).is_ok());
        let d = if is_segment {
            Diagnostic::new(
                Code::UnknownSegment,
                format!("{} is not a source of this map", root.name),
            )
            .primary(root.span, "the map does not read this segment")
            .help(format!(
                "add it to the map's sources: `map name: ..., {} -> ...`",
                root.name
            ))
        } else {
            Diagnostic::new(
                Code::UnknownSegment,
                format!("unknown source `{}`", root.name),
            )
            .primary(root.span, "not a source of this map")
            .help("start the path with one of the map's sources")
        };
        self.report(d);
        None
    }

    /// Finds a segment or group by short name anywhere below `nodes`;
    /// exactly one place must match.
    fn find_in(
        &mut self,
        structure: &'static Structure,
        nodes: &'static [Node],
        name: &str,
        span: Span,
        repeats_above: bool,
    ) -> Option<Val> {
        let found = crate::sema::places::places(structure, nodes, name, repeats_above);
        match found.as_slice() {
            [one] => Some(self.node_val(structure, one.node, one.repeats)),
            [] => {
                let mut names: Vec<&str> = Vec::new();
                walk_names(structure, nodes, &mut names);
                let close = suggestions(name, names.iter().copied());
                let version = self.version.map_or(String::new(), |v| format!(" ({v})"));
                let mut d = Diagnostic::new(
                    Code::UnknownSegment,
                    format!("{} has no segment or group `{name}`", structure.name()),
                )
                .primary(
                    span,
                    format!("not in the {} structure{version}", structure.name()),
                );
                if let Some(v2) = self.v2
                    && let Err(LookupError::UnknownSegment { exists_in, .. }) = v2.segment(name)
                    && !exists_in.is_empty()
                {
                    let versions: Vec<&str> = exists_in.iter().map(|v| v.as_str()).collect();
                    d = d.note(format!(
                        "`{name}` is a segment of HL7 v2 {}",
                        versions.join(", ")
                    ));
                }
                d = d.help(did_you_mean(&close).unwrap_or_else(|| {
                    format!(
                        "the {} structure holds: {}",
                        structure.name(),
                        list(&names, 12)
                    )
                }));
                self.report(d);
                None
            }
            many => {
                let places: Vec<String> = many.iter().map(|p| format!("`{}`", p.path)).collect();
                let d = Diagnostic::new(
                    Code::AmbiguousPath,
                    format!(
                        "`{name}` occurs in {} places of {}",
                        many.len(),
                        structure.name()
                    ),
                )
                .primary(span, "which one?")
                .note(format!("it occurs at {}", places.join(", ")))
                .help("start the path with its group");
                self.report(d);
                None
            }
        }
    }

    fn node_val(&self, structure: &'static Structure, node: &'static Node, many: bool) -> Val {
        let ty = if node.is_group() {
            Ty::Group { structure, node }
        } else {
            match self.v2.and_then(|v2| v2.segment(node.name()).ok()) {
                Some(seg) => Ty::Segment(seg),
                None => Ty::Unknown,
            }
        };
        Val { ty, many }
    }

    /// A member step: a group's child, a record field, a FHIR element.
    /// Returns the value and whether this step itself repeats.
    fn member(&mut self, val: &Val, name: &str, span: Span) -> Val {
        match &val.ty {
            Ty::Message(s) => {
                let s: &'static Structure = s;
                self.find_in(s, s.children(), name, span, val.many)
                    .unwrap_or_else(Val::unknown)
            }
            Ty::Group { structure, node } => {
                let (structure, node): (&'static Structure, &'static Node) = (structure, node);
                let found = self.find_in(structure, node.children(), name, span, val.many);
                found.unwrap_or_else(Val::unknown)
            }
            Ty::Record(r) => {
                let Some(record) = self.records.get(r.as_str()).copied() else {
                    return Val::unknown();
                };
                match record.fields.iter().find(|f| f.key.name == name) {
                    Some(field) => {
                        let (ty, list) = record_field_ty(&field.ty);
                        Val {
                            ty,
                            many: val.many || list,
                        }
                    }
                    None => {
                        let close =
                            suggestions(name, record.fields.iter().map(|f| f.key.name.as_str()));
                        let d = Diagnostic::new(
                            Code::UnknownRecordField,
                            format!("record `{r}` has no field `{name}`"),
                        )
                        .primary(span, "not a field of the record")
                        .secondary(record.name.span, "the record is declared here")
                        .help(
                            did_you_mean(&close)
                                .unwrap_or_else(|| "add the field to the record".to_owned()),
                        );
                        self.report(d);
                        Val::unknown()
                    }
                }
            }
            Ty::Fhir(t) => {
                let Some(fhir) = self.fhir else {
                    return Val::unknown();
                };
                match fhir.element(&format!("{t}.{name}")) {
                    Ok(e) => {
                        let repeats = e.cardinality().is_repeating();
                        let ty = e
                            .single_type()
                            .map_or(Ty::Unknown, |t| Ty::Fhir(t.to_owned()));
                        Val {
                            ty,
                            many: val.many || repeats,
                        }
                    }
                    Err(e) => {
                        self.unknown_element(span, &e);
                        Val::unknown()
                    }
                }
            }
            Ty::Hl7(dt) => {
                let d = Diagnostic::new(
                    Code::UnknownComponent,
                    format!("components of {dt} are numbered"),
                )
                .primary(span, "not a component number")
                .help("write the component's number: `.1`");
                self.report(d);
                Val::unknown()
            }
            Ty::Segment(s) => {
                let d = Diagnostic::new(
                    Code::UnknownField,
                    format!("fields of {} are numbered", s.id()),
                )
                .primary(span, "not a field number")
                .help(format!("write `{}-N`", s.id()));
                self.report(d);
                Val::unknown()
            }
            _ => Val::unknown(),
        }
    }

    fn component(&mut self, val: &Val, n: u32, span: Span) -> Val {
        let Ty::Hl7(dt) = &val.ty else {
            if let Ty::Segment(s) = &val.ty {
                let d = Diagnostic::new(
                    Code::UnknownField,
                    format!("fields of {} follow a `-`", s.id()),
                )
                .primary(span, "a component number after a segment")
                .help(format!("write `{}-{n}`", s.id()));
                self.report(d);
            } else if !matches!(val.ty, Ty::Unknown) {
                let d = Diagnostic::new(
                    Code::UnknownComponent,
                    "only HL7 v2 values have numbered components",
                )
                .primary(span, "not an HL7 v2 field or component")
                .help("read elements of FHIR and record values by name");
                self.report(d);
            }
            return Val::unknown();
        };
        let Some(v2) = self.v2 else {
            return Val::unknown();
        };
        match v2.datatype(dt) {
            Ok(Datatype::Composite(c)) => match c.component(n as usize) {
                Some(comp) => Val {
                    ty: comp
                        .datatype()
                        .map_or(Ty::Unknown, |d| Ty::Hl7(d.to_owned())),
                    many: val.many,
                },
                None => {
                    let d = Diagnostic::new(
                        Code::UnknownComponent,
                        format!("{dt} has no component {n}"),
                    )
                    .primary(
                        span,
                        format!("{dt} has {} components", c.components().len()),
                    )
                    .help(format!(
                        "components of {dt} are numbered 1 to {}",
                        c.components().len()
                    ));
                    self.report(d);
                    Val::unknown()
                }
            },
            // `.1` of a primitive is the value itself (HL7 v2 2.A).
            Ok(Datatype::Primitive(_)) if n == 1 => val.clone(),
            Ok(Datatype::Primitive(_)) => {
                let d = Diagnostic::new(Code::UnknownComponent, format!("{dt} has no components"))
                    .primary(span, format!("{dt} is a primitive type"))
                    .help("read the value itself, without a component number");
                self.report(d);
                Val::unknown()
            }
            _ => Val {
                ty: Ty::Unknown,
                many: val.many,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Single,
    Append,
    Index(u32),
}

fn source_val(ty: &SourceTy) -> Ty {
    match ty {
        SourceTy::Message(s) => Ty::Message(s),
        SourceTy::Group(structure, node) => Ty::Group { structure, node },
        SourceTy::Segment(s) => Ty::Segment(s),
        SourceTy::Fhir(t) => Ty::Fhir(t.clone()),
        SourceTy::Record(r) => Ty::Record(r.clone()),
        SourceTy::Unknown => Ty::Unknown,
    }
}

fn record_field_ty(t: &TypeExpr) -> (Ty, bool) {
    match t {
        TypeExpr::Named(n) if crate::sema::RECORD_TYPES.contains(&n.name.as_str()) => {
            (Ty::RecordScalar(n.name.clone()), false)
        }
        TypeExpr::Named(n) => (Ty::Record(n.name.clone()), false),
        TypeExpr::List(inner, _) => (record_field_ty(inner).0, true),
        TypeExpr::Enum(values, _) => (
            Ty::RecordEnum(values.iter().map(|v| v.value.clone()).collect()),
            false,
        ),
    }
}

fn table_outputs(t: &TableDecl) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for entry in &t.entries {
        match entry {
            TableEntry::Row { output, .. } => out.push(output.value.clone()),
            TableEntry::Else {
                action: ElseAction::Code(code),
                ..
            } => out.push(code.value.clone()),
            TableEntry::Else {
                action: ElseAction::Keep(_),
                ..
            } => return None,
            TableEntry::Else { .. } => {}
        }
    }
    out.sort();
    out.dedup();
    Some(out)
}

fn walk_names(structure: &'static Structure, nodes: &'static [Node], out: &mut Vec<&'static str>) {
    for node in nodes {
        let short = node.short_name_in(structure.name());
        if !out.contains(&short) {
            out.push(short);
        }
        if node.is_group() {
            walk_names(structure, node.children(), out);
        }
    }
}

fn looks_hl7(name: &str) -> bool {
    let b = name.as_bytes();
    (b.len() == 3
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
        || (name.contains('_')
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
}

fn list(items: &[&str], most: usize) -> String {
    let shown: Vec<&str> = items.iter().copied().take(most).collect();
    let more = items.len().saturating_sub(most);
    if more > 0 {
        format!("{}, … ({more} more)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// "a code", "an instant".
fn a(word: &str) -> String {
    let article = if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {word}")
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// "build the HumanName with a block: `name[] { ... }`".
fn block_help(ft: &str, path: &str, element: &ResolvedElement<'_>) -> String {
    let append = if element.cardinality().is_repeating() {
        "[]"
    } else {
        ""
    };
    format!(
        "build the {ft} with a block: `{}{append} {{ ... }}`",
        last_name(path)
    )
}

fn last_name(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

fn target_text(t: &TargetPath) -> String {
    let mut out = String::new();
    for step in &t.steps {
        match step {
            TargetStep::Member(n) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&n.name);
            }
            TargetStep::Append(_) => out.push_str("[]"),
            TargetStep::Index(n, _) => out.push_str(&format!("[{n}]")),
        }
    }
    out
}

fn step_end(next: Option<&&TargetStep>, fallback: Span) -> Span {
    match next {
        Some(TargetStep::Append(s) | TargetStep::Index(_, s)) => *s,
        _ => fallback,
    }
}

/// A group by its full name (`ORU_R01_ORDER_OBSERVATION`), in any structure.
pub(crate) fn find_group(
    v2: &'static V2Schema,
    name: &str,
) -> Option<(&'static Structure, &'static Node)> {
    fn walk(nodes: &'static [Node], name: &str) -> Option<&'static Node> {
        for node in nodes {
            if node.is_group() {
                if node.name() == name {
                    return Some(node);
                }
                if let Some(found) = walk(node.children(), name) {
                    return Some(found);
                }
            }
        }
        None
    }
    v2.structures()
        .iter()
        .filter(|s| name.starts_with(s.name()))
        .find_map(|s| walk(s.children(), name).map(|g| (s, g)))
}
