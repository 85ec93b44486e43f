//! Streaming maps: rules that write their JSON straight into the output
//! ([`ferry_runtime::rt::Sink`]) instead of building the document first.
//!
//! The document model places a value by looking its member up, so a rule
//! may add to a member an earlier rule made (a second `identifier[]`, a
//! `request.url` beside `request.method`) or replace it. Output written as
//! the rules run equals the document's only when every member is written
//! in one stretch: once a rule moves on to another member, no later rule
//! returns to the one it left, and no member is set twice.
//! [`streamable`] proves that over every path through a map's rules (both
//! branches of a `when`, any number of `each` iterations); a map it cannot
//! prove keeps the document model. `require`s are kept as flags that the
//! rules raise when they write at the required path, checked in the
//! document model's order. See `docs/codegen.md`, "Streaming".

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{CodegenError, Gen, each_loop, error, map_ident, option_str, sum};
use crate::ir::*;

// ------------------------------------------------------------- analysis

/// What the rules so far have done to one object's members, as the sink
/// would hold them: the members left (never to be entered again) and the
/// one still open (an array, or an object a dotted target made).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Level {
    closed: BTreeSet<String>,
    open: Option<Box<(String, bool, Level)>>,
}

/// More states than this and the proof gives up (the map is not streamed).
const MAX_STATES: usize = 256;

/// Enters a target path from `level`, as the sink does; `false` when the
/// document would place the value elsewhere than the sink writes it.
fn enter(level: &mut Level, path: &[TargetStep]) -> bool {
    let Some((step, rest)) = path.split_first() else {
        return true;
    };
    let array = match step.mode {
        Mode::Single => false,
        Mode::Append => true,
        Mode::Index(_) => return false,
    };
    if level.closed.contains(&step.name) {
        return false;
    }
    let last = rest.is_empty();
    if let Some(open) = level.open.as_mut()
        && open.0 == step.name
    {
        if open.1 != array || (!array && last) {
            return false;
        }
        // An array item is new on each entry; an object is continued.
        return if array {
            enter(&mut Level::default(), rest)
        } else {
            enter(&mut open.2, rest)
        };
    }
    if let Some(open) = level.open.take() {
        level.closed.insert(open.0);
    }
    if !array && last {
        level.closed.insert(step.name.clone());
        return true;
    }
    let mut inner = Level::default();
    let ok = enter(&mut inner, rest);
    if array {
        inner = Level::default();
    }
    level.open = Some(Box::new((step.name.clone(), array, inner)));
    ok
}

type States = BTreeSet<Level>;

fn block_states(block: &Block, mut states: States) -> Option<States> {
    for op in &block.ops {
        states = op_states(op, states)?;
        if states.len() > MAX_STATES {
            return None;
        }
    }
    Some(states)
}

fn through(states: States, target: &[TargetStep]) -> Option<States> {
    states
        .into_iter()
        .map(|mut s| enter(&mut s, target).then_some(s))
        .collect()
}

fn op_states(op: &Op, states: States) -> Option<States> {
    match op {
        Op::Set { target, .. } => through(states, target),
        Op::Object { target, body } => {
            object_ok(body)?;
            through(states, target)
        }
        Op::EachObject { target, body, .. } => {
            if target.last().map(|s| s.mode) != Some(Mode::Append) {
                return None;
            }
            object_ok(body)?;
            through(states, target)
        }
        Op::Each { body, .. } => {
            // Any number of iterations: grow to a fixpoint.
            let mut all = states;
            loop {
                let next = block_states(body, all.clone())?;
                let before = all.len();
                all.extend(next);
                if all.len() == before {
                    return Some(all);
                }
                if all.len() > MAX_STATES {
                    return None;
                }
            }
        }
        Op::When {
            then, otherwise, ..
        } => {
            let mut a = block_states(then, states.clone())?;
            a.extend(block_states(otherwise, states)?);
            Some(a)
        }
        Op::Let { .. } | Op::RequireTarget { .. } | Op::RequireSource { .. } => Some(states),
    }
}

fn object_ok(body: &Block) -> Option<()> {
    block_states(body, States::from([Level::default()])).map(|_| ())
}

/// Whether a map's rules write every member in one stretch on every path
/// (so streaming them writes what the document model writes).
pub(super) fn streamable(map: &MapPlan) -> bool {
    let mut root = Level::default();
    if map.target_is_resource {
        root.closed.insert("resourceType".to_owned());
    }
    block_states(&map.body, States::from([root])).is_some()
}

// ------------------------------------------------------------ generation

/// A path of the object being built whose presence a check needs, and the
/// flag the rules raise when they write there.
#[derive(Clone)]
struct Watch {
    steps: Vec<String>,
    /// `check_required`'s match: the member itself or a choice element
    /// named from it (`value` → `valueString`).
    choice: bool,
    flag: Ident,
}

/// Where streamed rules write: the object (a `Sink` position) and the
/// paths watched in it.
struct SDest {
    object: Ident,
    watched: Vec<Watch>,
    /// The flag of each `require` of the object (keyed by the op's
    /// address), raised when the rule runs.
    hits: BTreeMap<usize, Ident>,
}

/// One object's streamed rules: where they write, the flags they raise
/// (declared before them), the checks run when the object is complete, and
/// which flags of the enclosing object its own flags raise when it is kept.
struct Object {
    dest: SDest,
    decls: TokenStream,
    checks: TokenStream,
    links: Vec<(Ident, Ident)>,
}

/// How a write at a target path meets the watched paths.
struct Meets {
    /// Flags raised when the write placed something.
    now: Vec<Ident>,
    /// Watched paths that continue inside the written value: the rest of
    /// the path, and the flag to raise when it is met there.
    deeper: Vec<(Vec<String>, Ident)>,
}

fn meets(d: &SDest, target: &[TargetStep]) -> Meets {
    let mut m = Meets {
        now: Vec::new(),
        deeper: Vec::new(),
    };
    for w in &d.watched {
        if w.choice {
            if let (Some(t), Some(e)) = (target.first(), w.steps.first())
                && (t.name == *e || (t.name.starts_with(e.as_str()) && e.len() < t.name.len()))
            {
                m.now.push(w.flag.clone());
            }
            continue;
        }
        let k = w.steps.len().min(target.len());
        let same = w
            .steps
            .iter()
            .zip(target)
            .take(k)
            .all(|(a, b)| *a == b.name);
        if !same {
            continue;
        }
        if w.steps.len() <= target.len() {
            m.now.push(w.flag.clone());
        } else {
            m.deeper.push((
                w.steps.get(target.len()..).unwrap_or(&[]).to_vec(),
                w.flag.clone(),
            ));
        }
    }
    m
}

fn raise(flags: &[Ident]) -> TokenStream {
    quote! { #(#flags = true;)* }
}

/// The `require`s of a block's own object (through `each` and `when`, not
/// into the objects it builds), in rule order.
fn requires<'b>(block: &'b Block, out: &mut Vec<&'b Op>) {
    for op in &block.ops {
        match op {
            Op::RequireTarget { .. } => out.push(op),
            Op::Each { body, .. } => requires(body, out),
            Op::When {
                then, otherwise, ..
            } => {
                requires(then, out);
                requires(otherwise, out);
            }
            _ => {}
        }
    }
}

/// Whether a statement `each` of the block holds two `require`s or more:
/// the document checks them in the order they ran, which from one
/// iteration to the next can differ from the rules' order the flags keep.
fn requires_reordered(block: &Block) -> bool {
    block.ops.iter().any(|op| match op {
        Op::Each { body, .. } => {
            let mut inside = Vec::new();
            requires(body, &mut inside);
            inside.len() > 1
        }
        Op::When {
            then, otherwise, ..
        } => requires_reordered(then) || requires_reordered(otherwise),
        _ => false,
    })
}

fn key(op: &Op) -> usize {
    std::ptr::from_ref(op) as usize
}

pub(super) fn stream_ident(name: &str) -> Ident {
    format_ident!(
        "stream_{}",
        map_ident(name).to_string().trim_start_matches("map_")
    )
}

impl Gen<'_> {
    /// The watched paths and checks of one object built from `body`, with
    /// `forwarded` paths of the enclosing object continuing inside it.
    fn watch(
        &mut self,
        body: &Block,
        object: Ident,
        forwarded: &[(Vec<String>, Ident)],
    ) -> Result<Object, CodegenError> {
        let mut watched = Vec::new();
        let mut decls = Vec::new();
        let mut checks = Vec::new();
        for r in &body.required {
            let flag = self.fresh("has");
            decls.push(flag.clone());
            watched.push(Watch {
                steps: vec![r.element.clone()],
                choice: true,
                flag: flag.clone(),
            });
            let (path, reason) = (r.path.as_str(), option_str(r.reason.as_deref()));
            checks.push(quote! {
                if !#flag {
                    return ::std::result::Result::Err(::ferry_runtime::rt::required_error(cx, #path, #reason));
                }
            });
        }
        if requires_reordered(body) {
            return Err(not_streamed());
        }
        let mut ops = Vec::new();
        requires(body, &mut ops);
        let mut hits = BTreeMap::new();
        for op in ops {
            let Op::RequireTarget {
                steps,
                path,
                reason,
                if_present,
            } = op
            else {
                continue;
            };
            if steps.is_empty() {
                return Err(not_streamed());
            }
            let hit = self.fresh("hit");
            let full = self.fresh("has");
            decls.extend([hit.clone(), full.clone()]);
            watched.push(Watch {
                steps: steps.clone(),
                choice: false,
                flag: full.clone(),
            });
            let n = *if_present as usize;
            let unmet_condition = if n > 0 {
                let cond = self.fresh("has");
                decls.push(cond.clone());
                watched.push(Watch {
                    steps: steps.get(..n).unwrap_or(&[]).to_vec(),
                    choice: false,
                    flag: cond.clone(),
                });
                quote! { || !#cond }
            } else {
                TokenStream::new()
            };
            let reason = option_str(reason.as_deref());
            checks.push(quote! {
                if #hit && !(#full #unmet_condition) {
                    return ::std::result::Result::Err(::ferry_runtime::rt::required_error(cx, #path, #reason));
                }
            });
            hits.insert(key(op), hit);
        }
        let mut links = Vec::new();
        for (steps, outer) in forwarded {
            let flag = self.fresh("has");
            decls.push(flag.clone());
            watched.push(Watch {
                steps: steps.clone(),
                choice: false,
                flag: flag.clone(),
            });
            links.push((outer.clone(), flag));
        }
        Ok(Object {
            dest: SDest {
                object,
                watched,
                hits,
            },
            decls: quote! { #(let mut #decls = false;)* },
            checks: quote! { #(#checks)* },
            links,
        })
    }

    /// The streaming version of a map, when [`streamable`] proves it.
    pub(super) fn stream_map(
        &mut self,
        index: usize,
        map: &MapPlan,
    ) -> Result<Option<TokenStream>, CodegenError> {
        if !self.streams.get(index).copied().unwrap_or(false) {
            return Ok(None);
        }
        let name = stream_ident(&map.name);
        let n = map.sources.len();
        let sources: Vec<Ident> = (0..n).map(|i| format_ident!("src{}", i)).collect();
        let slots: Vec<Ident> = (0..map.slots).map(|i| format_ident!("s{}", i)).collect();
        let resource = map.target_is_resource.then(|| {
            let member = format!(
                "{}\"{}\"",
                ferry_runtime::rt::key("resourceType"),
                json_content(&map.target)
            );
            quote! { sink.constant(object, #member); }
        });
        let Object {
            dest,
            decls,
            checks,
            ..
        } = self.watch(&map.body, format_ident!("object"), &[])?;
        let body = match self.sblock(&map.body, &dest, false) {
            Ok(body) => body,
            Err(e) if e == not_streamed() => return Ok(None),
            Err(e) => return Err(e),
        };
        let doc = format!(" Map `{}` (map #{index}), written as it runs.", map.name);
        Ok(Some(quote! {
            #[doc = #doc]
            #[allow(unused_mut, unused_variables, unused_assignments, clippy::let_and_return)]
            fn #name<'a>(
                cx: &::ferry_runtime::rt::Ctx<'a>,
                sink: &mut ::ferry_runtime::rt::Sink<'_>,
                object: ::ferry_runtime::rt::At,
                sources: [::ferry_runtime::rt::Vals<'a>; #n],
            ) -> ::ferry_runtime::rt::R<()> {
                let [#(#sources),*] = sources;
                #(let mut #slots: ::ferry_runtime::rt::Vals<'a> = ::ferry_runtime::rt::Vals::new();)*
                #resource
                #decls
                let _derived: usize = #body;
                #checks
                ::std::result::Result::Ok(())
            }
        }))
    }

    /// [`Gen::block`], streamed.
    fn sblock(
        &mut self,
        block: &Block,
        d: &SDest,
        conditional: bool,
    ) -> Result<TokenStream, CodegenError> {
        let mut ops = Vec::new();
        for op in &block.ops {
            ops.push(self.sop(op, d, conditional)?);
        }
        Ok(sum(&ops))
    }

    /// Opens the containers of a target's leading steps; returns the code
    /// and the position the last step is written into.
    fn parents(&mut self, object: &Ident, init: &[TargetStep]) -> (TokenStream, Ident) {
        let mut code = Vec::new();
        let mut here = object.clone();
        for step in init {
            let name = ferry_runtime::rt::key(&step.name);
            let next = self.fresh("at");
            code.push(match step.mode {
                Mode::Append => quote! {
                    let #next = sink.member(#here, #name, true);
                    let #next = sink.item(#next);
                },
                _ => quote! { let #next = sink.member(#here, #name, false); },
            });
            here = next;
        }
        (quote! { #(#code)* }, here)
    }

    /// An object built from `body` at the position `open` makes; `kept`
    /// (given the rule count) is the rule's result when it is written.
    fn sobject(
        &mut self,
        body: &Block,
        open: TokenStream,
        deeper: &[(Vec<String>, Ident)],
        now: &[Ident],
        kept: impl FnOnce(&Ident) -> TokenStream,
    ) -> Result<TokenStream, CodegenError> {
        let inner = self.fresh("inner");
        let count = self.fresh("count");
        let Object {
            dest,
            decls,
            checks,
            links,
        } = self.watch(body, inner.clone(), deeper)?;
        let rules = self.sblock(body, &dest, false)?;
        // The document model's `keep_object`: not empty, and when the
        // rules read the input, something read was placed.
        let keep = if body.reads_input {
            quote! { #count > 0 && sink.full(#inner) }
        } else {
            quote! { sink.full(#inner) }
        };
        let raised = raise(now);
        let linked = links
            .iter()
            .map(|(outer, flag)| quote! { #outer |= #flag; });
        let then = kept(&count);
        Ok(quote! {{
            let #inner = #open;
            #decls
            let #count: usize = #rules;
            if #keep {
                #checks
                sink.close(#inner, true);
                #raised
                #(#linked)*
                #then
            } else {
                sink.close(#inner, false);
                0usize
            }
        }})
    }

    fn sop(&mut self, op: &Op, d: &SDest, conditional: bool) -> Result<TokenStream, CodegenError> {
        let object = &d.object;
        Ok(match op {
            Op::Set { target, value } => {
                let Some((last, init)) = target.split_last() else {
                    return Err(not_streamed());
                };
                let m = meets(d, target);
                if !m.deeper.is_empty() {
                    return Err(not_streamed());
                }
                let counts = !matches!(value, Expr::Const(_)) || conditional;
                let (open, parent) = self.parents(object, init);
                let name = ferry_runtime::rt::key(&last.name);
                let written = match value {
                    Expr::MapCall(id, args) if self.streams.get(id.0 as usize) == Some(&true) => {
                        let Some(map) = self.program.map(*id) else {
                            return Err(error("a call of a map the program does not hold"));
                        };
                        let callee = stream_ident(&map.name);
                        let mut values = Vec::new();
                        for a in args {
                            let v = self.expr_ref(a, 0)?;
                            values.push(quote! { ::ferry_runtime::rt::first_only(#v) });
                        }
                        let inner = self.fresh("inner");
                        let at = new_object(&parent, &name, last.mode);
                        quote! {{
                            let sources = [#(#values),*];
                            let #inner = #at;
                            #callee(cx, sink, #inner, sources)?;
                            usize::from(sink.close_full(#inner))
                        }}
                    }
                    Expr::Nav(base, navs)
                        if last.mode == Mode::Single
                            && matches!(**base, Expr::Source(_) | Expr::Slot(_))
                            && text_path(navs).is_some() =>
                    {
                        let text = match self.split_text(base, navs) {
                            Some(text) => text,
                            None => {
                                let (base, steps) = self.path_base(base, navs, 0)?;
                                quote! { ::ferry_runtime::rt::first_text(#base, &[#(#steps),*]) }
                            }
                        };
                        quote! { sink.set_text(#parent, #name, #text) }
                    }
                    Expr::Const(Const::Text(t)) if last.mode == Mode::Single && !t.is_empty() => {
                        let member = format!("{name}\"{}\"", json_content(t));
                        quote! { sink.constant(#parent, #member) }
                    }
                    Expr::Const(Const::Text(t)) if last.mode == Mode::Single => {
                        let t = t.as_str();
                        quote! { sink.text(#parent, #name, #t) }
                    }
                    Expr::Call(builtin, args)
                        if last.mode == Mode::Single
                            && let Some(written) =
                                self.scall(&parent, &name, *builtin, args)? =>
                    {
                        written
                    }
                    value
                        if last.mode == Mode::Single
                            && let Some(text) = self.stext(value, false)? =>
                    {
                        quote! { sink.set_text(#parent, #name, #text) }
                    }
                    Expr::Nav(base, navs)
                        if last.mode == Mode::Append
                            && matches!(**base, Expr::Source(_) | Expr::Slot(_))
                            && text_path(navs).is_some() =>
                    {
                        // A component of a split item holds one text at most:
                        // read from the split, it is the one item.
                        if let Some(text) = self.split_text(base, navs) {
                            quote! {
                                match #text {
                                    ::std::option::Option::Some(t) => sink.item_text(#parent, #name, &t),
                                    ::std::option::Option::None => 0usize,
                                }
                            }
                        } else {
                            // Every text on the path is an item, as `Sink::append`
                            // writes the path's values.
                            let (base, steps) = self.path_base(base, navs, 0)?;
                            quote! {{
                                let mut kept = 0usize;
                                ::ferry_runtime::rt::each_text(#base, &[#(#steps),*], |t| {
                                    kept += sink.item_text(#parent, #name, &t);
                                });
                                kept
                            }}
                        }
                    }
                    _ => {
                        let value = self.expr(value, 0)?;
                        let call = match last.mode {
                            Mode::Append => quote! { append },
                            _ => quote! { set },
                        };
                        quote! {{
                            let values: ::ferry_runtime::rt::Vals<'a> = #value;
                            sink.#call(cx, #parent, #name, values)
                        }}
                    }
                };
                let raised = (!m.now.is_empty()).then(|| {
                    let raised = raise(&m.now);
                    quote! { if kept > 0 { #raised } }
                });
                let result = if counts {
                    quote! { kept }
                } else {
                    quote! { 0usize }
                };
                quote! {{
                    #open
                    let kept: usize = #written;
                    #raised
                    #result
                }}
            }
            Op::Object { target, body } => {
                let Some((last, init)) = target.split_last() else {
                    return Err(not_streamed());
                };
                let m = meets(d, target);
                let (open, parent) = self.parents(object, init);
                let name = ferry_runtime::rt::key(&last.name);
                let at = new_object(&parent, &name, last.mode);
                let built = self.sobject(body, at, &m.deeper, &m.now, |count| {
                    if conditional {
                        quote! { #count.max(1) }
                    } else {
                        quote! { #count }
                    }
                })?;
                quote! {{
                    #open
                    #built
                }}
            }
            Op::EachObject {
                target,
                source,
                slot,
                body,
            } => {
                let Some((last, init)) = target.split_last() else {
                    return Err(not_streamed());
                };
                let m = meets(d, target);
                let (open, parent) = self.parents(object, init);
                let name = ferry_runtime::rt::key(&last.name);
                let source = self.each_source(source)?;
                let split = self.bind_split(*slot, source.field.is_some(), body);
                let slot_id = *slot;
                let slot = format_ident!("s{}", slot.0);
                let item = self.fresh("item");
                let array = self.fresh("array");
                let build = self.sobject(
                    body,
                    quote! { sink.item(#array) },
                    &m.deeper,
                    &m.now,
                    |count| quote! { #count.max(1) },
                );
                self.unbind_split(slot_id);
                let each = each_loop(&item, &source, &slot, split, &build?);
                quote! {{
                    #open
                    let #array = sink.member(#parent, #name, true);
                    let mut derived = 0usize;
                    #each
                    derived
                }}
            }
            Op::Each { source, slot, body } => {
                let source = self.each_source(source)?;
                let split = self.bind_split(*slot, source.field.is_some(), body);
                let slot_id = *slot;
                let slot = format_ident!("s{}", slot.0);
                let item = self.fresh("item");
                let rules = self.sblock(body, d, true);
                self.unbind_split(slot_id);
                let each = each_loop(&item, &source, &slot, split, &rules?);
                quote! {{
                    let mut derived = 0usize;
                    #each
                    derived
                }}
            }
            Op::When {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.cond(cond, 0)?;
                let then = self.sblock(then, d, true)?;
                let otherwise = self.sblock(otherwise, d, true)?;
                quote! {
                    if #cond { #then } else { #otherwise }
                }
            }
            Op::RequireTarget { .. } => {
                let Some(hit) = d.hits.get(&key(op)) else {
                    return Err(error("a `require` outside an object"));
                };
                quote! {{
                    #hit = true;
                    0usize
                }}
            }
            Op::Let { .. } | Op::RequireSource { .. } => self.rule_without_output(op)?,
        })
    }
}

impl Gen<'_> {
    /// `member = builtin(...)` written straight into the sink, for the
    /// built-ins whose value is one text: `concat` part by part, `uuid5`
    /// as its id's digits, the conversions as they convert. What the rule
    /// writes is what `rt::call` then `Sink::set` write, without the text
    /// being built first. `None` for other built-ins.
    fn scall(
        &mut self,
        parent: &Ident,
        name: &str,
        builtin: Builtin,
        args: &[Expr],
    ) -> Result<Option<TokenStream>, CodegenError> {
        Ok(Some(match builtin {
            Builtin::Concat => {
                let mut parts = Vec::new();
                for a in args {
                    parts.push(self.concat_part(a)?);
                }
                quote! {{
                    let at = sink.open_str(#parent, #name);
                    #(#parts)*
                    sink.close_str(#parent, at)
                }}
            }
            Builtin::Uuid5 => {
                let id = self.uuid5(args)?;
                quote! {{
                    let at = sink.open_str(#parent, #name);
                    if let ::std::option::Option::Some(id) = #id {
                        sink.push_id(id);
                    }
                    sink.close_str(#parent, at)
                }}
            }
            Builtin::Date
            | Builtin::DateTime
            | Builtin::Instant
            | Builtin::Time
            | Builtin::Code => {
                let variant = format_ident!("{}", builtin.variant());
                let mut values = Vec::new();
                for a in args {
                    values.push(self.arg_ref(builtin, a, 0)?);
                }
                quote! {
                    ::ferry_runtime::rt::convert_with(
                        cx,
                        ::ferry_runtime::rt::Builtin::#variant,
                        &[#(#values),*],
                        |t| sink.text(#parent, #name, t),
                    )?
                    .unwrap_or(0)
                }
            }
            _ => return Ok(None),
        }))
    }

    /// `rt::uuid5_id` over a call's arguments.
    fn uuid5(&mut self, args: &[Expr]) -> Result<TokenStream, CodegenError> {
        let mut values = Vec::new();
        for a in args {
            values.push(self.arg_ref(Builtin::Uuid5, a, 0)?);
        }
        Ok(quote! { ::ferry_runtime::rt::uuid5_id(cx, &[#(#values),*])? })
    }

    /// One argument of a streamed `concat`, appended to the open string:
    /// its first present value's text, as `rt::call` reads it.
    fn concat_part(&mut self, e: &Expr) -> Result<TokenStream, CodegenError> {
        Ok(match e {
            Expr::Const(Const::Text(t)) => {
                let escaped = json_content(t);
                quote! { sink.push_json(#escaped); }
            }
            Expr::Call(Builtin::Uuid5, args) => {
                let id = self.uuid5(args)?;
                quote! {
                    if let ::std::option::Option::Some(id) = #id {
                        sink.push_id(id);
                    }
                }
            }
            Expr::Nav(base, navs)
                if matches!(**base, Expr::Source(_) | Expr::Slot(_))
                    && text_path(navs).is_some() =>
            {
                let (base, steps) = self.path_base(base, navs, 0)?;
                quote! {
                    if let ::std::option::Option::Some(t) =
                        ::ferry_runtime::rt::present_text(#base, &[#(#steps),*])
                    {
                        sink.push_str(&t);
                    }
                }
            }
            // A binding or a source (a shared argument): read in place.
            Expr::Slot(_) | Expr::Source(_) => {
                let values = self.expr_ref(e, 0)?;
                quote! {
                    if let ::std::option::Option::Some(t) =
                        ::ferry_runtime::rt::first_present_text(#values)
                    {
                        sink.push_str(&t);
                    }
                }
            }
            other => {
                if let Some(first) = self.first_present(other, 0)? {
                    return Ok(quote! {
                        if let ::std::option::Option::Some(t) =
                            ::ferry_runtime::rt::first_present_text((#first).as_slice())
                        {
                            sink.push_str(&t);
                        }
                    });
                }
                let values = self.expr(other, 0)?;
                quote! {{
                    let values: ::ferry_runtime::rt::Vals<'a> = #values;
                    if let ::std::option::Option::Some(t) =
                        ::ferry_runtime::rt::first_present_text(&values)
                    {
                        sink.push_str(&t);
                    }
                }}
            }
        })
    }

    /// The text `member = e` writes (`Option<Cow<str>>`), for expressions
    /// whose values are texts read without building them: constants, HL7
    /// paths, table lookups, and `if`s and `??`s of them. `None` for other
    /// expressions (they keep `Sink::set`).
    ///
    /// With `present`, for the left side of `??`: `None` when none of the
    /// expression's values is present (`??` moves on), else `Some` of that
    /// text (`Option<Option<Cow<str>>>`).
    fn stext(&mut self, e: &Expr, present: bool) -> Result<Option<TokenStream>, CodegenError> {
        // Constants and table codes are present exactly when not empty.
        let whole = |t: TokenStream| {
            if present {
                quote! { (#t).map(::std::option::Option::Some) }
            } else {
                t
            }
        };
        Ok(Some(match e {
            Expr::Const(Const::Text(t)) if t.is_empty() => quote! { ::std::option::Option::None },
            Expr::Const(Const::Text(t)) => {
                let t = t.as_str();
                whole(quote! { ::std::option::Option::Some(::std::borrow::Cow::Borrowed(#t)) })
            }
            Expr::Nav(base, navs)
                if matches!(**base, Expr::Source(_) | Expr::Slot(_))
                    && text_path(navs).is_some() =>
            {
                if !present && let Some(text) = self.split_text(base, navs) {
                    return Ok(Some(text));
                }
                if present && let Some(v) = self.split_value(base, navs) {
                    return Ok(Some(quote! { ::ferry_runtime::rt::present_text_of(#v) }));
                }
                let (base, steps) = self.path_base(base, navs, 0)?;
                let read = if present {
                    quote! { text_if_present }
                } else {
                    quote! { first_text }
                };
                quote! { ::ferry_runtime::rt::#read(#base, &[#(#steps),*]) }
            }
            Expr::Lookup(table, value) => {
                let table = self.table(*table)?;
                let value = self.expr_ref(value, 0)?;
                whole(quote! { ::ferry_runtime::rt::lookup_first(cx, #table, #value)? })
            }
            Expr::If(c, a, b) => {
                let (Some(a), Some(b)) = (self.stext(a, present)?, self.stext(b, present)?) else {
                    return Ok(None);
                };
                let c = self.cond(c, 0)?;
                quote! { if #c { #a } else { #b } }
            }
            Expr::Coalesce(a, b) => {
                let (Some(a), Some(b)) = (self.stext(a, true)?, self.stext(b, present)?) else {
                    return Ok(None);
                };
                let kept = if present {
                    quote! { ::std::option::Option::Some(t) }
                } else {
                    quote! { t }
                };
                quote! {
                    match #a {
                        ::std::option::Option::Some(t) => #kept,
                        ::std::option::Option::None => #b,
                    }
                }
            }
            _ => return Ok(None),
        }))
    }
}

/// Text as the inside of a JSON string (escaped, without its quotes).
fn json_content(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    ferry_runtime::json::write_escaped(&mut out, text);
    String::from_utf8(out).unwrap_or_default()
}

/// The new object a target's last step writes into, as a sink position:
/// an item of the member's array (`x[]`), else a new member (`x`).
fn new_object(parent: &Ident, key: &str, mode: Mode) -> TokenStream {
    match mode {
        Mode::Append => quote! {{
            let array = sink.member(#parent, #key, true);
            sink.item(array)
        }},
        _ => quote! { sink.object(#parent, #key) },
    }
}

/// The steps of an HL7 path (fields, components), whose values are all
/// HL7 values: their text is what a rule writes, found by
/// `rt::first_text`. `None` for any other navigation.
pub(super) fn text_path(navs: &[Nav]) -> Option<Vec<TokenStream>> {
    let field = |n: usize| quote! { ::ferry_runtime::rt::PathStep::Field(#n) };
    let component = |n: usize| quote! { ::ferry_runtime::rt::PathStep::Component(#n) };
    let mut steps = Vec::new();
    for nav in navs {
        match nav {
            Nav::Field(n) => steps.push(field(*n as usize)),
            Nav::Component(n) => steps.push(component(*n as usize)),
            Nav::Components(ns) => steps.extend(ns.iter().map(|n| component(*n))),
            Nav::FieldComponents(f, ns) => {
                steps.push(field(*f));
                steps.extend(ns.iter().map(|n| component(*n)));
            }
            _ => return None,
        }
    }
    (!steps.is_empty()).then_some(steps)
}

/// The marker error of a map that turns out not to stream (its rules keep
/// the document model).
fn not_streamed() -> CodegenError {
    error("not streamed")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    /// Which maps of a spec the proof streams, by name.
    fn streamed(spec: &str) -> Vec<(String, bool)> {
        let text = format!(
            "use fhir \"R4\"\nrecord R {{\n  a?: string\n  b?: string\n  t?: datetime\n  xs?: [string]\n}}\n{spec}"
        );
        let checked = crate::check::compile("t.ferry", text.as_bytes())
            .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
        checked
            .program
            .maps
            .iter()
            .map(|m| (m.name.clone(), streamable(m)))
            .collect()
    }

    fn one(spec: &str) -> bool {
        streamed(spec)[0].1
    }

    #[test]
    fn members_written_in_one_stretch_stream() {
        // An array continued over rules and a loop; an object continued
        // over dotted rules; one member in both branches of a `when`.
        assert!(one("map m: R as r -> Patient {
               identifier[] { value = r.a }
               identifier[] = each r.xs as x { value = x }
               each r.xs as x { name[] { family = x } }
               address[] { city = r.a }
               contact[].name.family = r.a
               contact[].name.family = r.b
               when r.a == \"x\" { gender = \"male\" } else { gender = \"female\" }
             }"));
        assert!(one("map m: R as r -> Encounter {
               status = \"planned\"
               class.code = r.a
               class.system = r.b
               period.start = r.t
             }"));
    }

    #[test]
    fn members_the_document_would_revisit_do_not_stream() {
        let cases = [
            // Set twice.
            "map m: R as r -> Patient { gender = \"male\"\n gender = \"female\" }",
            // Set again after another member.
            "map m: R as r -> Patient { id = r.a\n identifier[] { value = r.a }\n id = r.b }",
            // An array left for another member, then returned to.
            "map m: R as r -> Patient { identifier[] { value = r.a }\n active = true\n identifier[] { value = r.b } }",
            // An item addressed by position.
            "map m: R as r -> Patient { name[] { family = r.a }\n name[1].given[] = r.b }",
            // A loop alternating two arrays.
            "map m: R as r -> Patient { each r.xs as x { name[] { family = x }\n address[] { city = x } } }",
            // A dotted object left, then returned to.
            "map m: R as r -> Encounter { status = \"planned\"\n class.code = r.a\n period.start = r.t\n class.system = r.b }",
            // A member set over an object a dotted rule opened.
            "map m: R as r -> Encounter { status = \"planned\"\n class.code = r.a\n class { system = r.b } }",
            // Different members in the branches, then one of them again.
            "map m: R as r -> Patient { when r.a == \"x\" { gender = \"male\" } else { active = true }\n gender = \"female\" }",
        ];
        for spec in cases {
            assert!(!one(spec), "streamed: {spec}");
        }
    }

    /// The proof accepts these rules, but two `require`s in one loop are
    /// checked by the document in the order they ran: not streamed.
    #[test]
    fn requires_that_can_run_out_of_order_keep_the_document() {
        let spec = |rules: &str| {
            let text = format!(
                "use fhir \"R4\"\nrecord R {{\n  d?: date\n  xs?: [string]\n}}\n\
                 map m: R as r -> Patient {{\n gender = \"male\"\n birthDate = r.d\n{rules}\n}}"
            );
            let checked = crate::check::compile("t.ferry", text.as_bytes())
                .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
            let mut g = Gen::new(&checked.program);
            g.stream_map(0, &checked.program.maps[0]).unwrap().is_some()
        };
        assert!(spec(
            "each r.xs as _x { require gender }\n require birthDate"
        ));
        assert!(!spec(
            "each r.xs as x { when x == \"a\" { require gender } else { require birthDate } }"
        ));
    }

    #[test]
    fn each_map_is_judged_on_its_own() {
        let maps = streamed(
            "map outer: R as r -> Encounter { status = \"planned\"\n class.code = r.a\n subject = inner(r) }
             map inner: R as r -> Reference { display = r.a\n display = r.b }",
        );
        assert_eq!(
            maps,
            [("outer".to_owned(), true), ("inner".to_owned(), false)]
        );
    }
}
