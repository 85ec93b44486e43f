//! Structure paths read once per map. A map over a message or a segment
//! group reaches its segments through the structure (`PID-3.1` in a map
//! of `ADT_A01` is `Nav(Source(0), [Node([3]), FieldComponents(3, [1])])`),
//! and a spec names the same segment in many rules: the bundle of
//! `adt_a01.ferry` reads PID, PV1 and MSH eight times. Each distinct
//! `Node` path from a source becomes one `let` at the start of the map's
//! rules, and every read of it starts from that binding instead.
//!
//! The rewrite keeps the semantics exactly: a source does not change while
//! its map runs, and listing a node's instances is pure and cannot fail,
//! so reading them once first gives every rule the values it read before.
//! The interpreter and the generated code both run the rewritten plan.
//!
//! Then the built-in arguments every run of a map computes twice or more
//! ([`share_arguments`]):
//! the bundle of `adt_a01.ferry` keys its patient entry's `fullUrl` and
//! `url` both on `PID-3[where .5 == "MR"].1 ?? PID-3[1].1`. Each built-in
//! but `count` reads only an argument's first present value, so such an
//! argument is computed once, as `first(...)`, by a `let` before the rules,
//! and the calls read that binding. Only arguments that cannot fail and
//! read nothing but the map's sources are shared (navigation, filters,
//! comparisons, `??`, `if`: no built-in, table or map call, no binding),
//! so computing them before the rules changes no value and no rejection.

use super::*;

/// Both rewrites, on every map of `program`.
pub fn share(mut program: Program) -> Program {
    program.maps = program
        .maps
        .into_iter()
        .map(|map| share_arguments(hoist_nodes(map)))
        .collect();
    program
}

/// Rewrites `map` so that each structure path it reads from a source is
/// listed once, into a new binding, by a `let` before its rules.
pub fn hoist_nodes(mut map: MapPlan) -> MapPlan {
    let mut paths: Vec<(u32, Vec<usize>)> = Vec::new();
    visit_block(&map.body, &mut |e| {
        if let Some(key) = source_node(e)
            && !paths.contains(&key)
        {
            paths.push(key);
        }
    });
    let Ok(added) = u32::try_from(paths.len()) else {
        return map;
    };
    if added == 0 {
        return map;
    }
    let first = map.slots;
    let slot_of = |key: &(u32, Vec<usize>)| {
        paths
            .iter()
            .position(|p| p == key)
            .and_then(|i| u32::try_from(i).ok())
            .map(|i| Slot(first + i))
    };
    rewrite_block(&mut map.body, &mut |e| {
        let Some(slot) = source_node(e).and_then(|key| slot_of(&key)) else {
            return;
        };
        if let Expr::Nav(_, navs) = e {
            navs.remove(0);
            *e = if navs.is_empty() {
                Expr::Slot(slot)
            } else {
                Expr::Nav(Box::new(Expr::Slot(slot)), std::mem::take(navs))
            };
        }
    });
    let lets = paths.iter().enumerate().map(|(i, (source, path))| Op::Let {
        slot: Slot(first + i as u32),
        value: Expr::Nav(
            Box::new(Expr::Source(*source)),
            vec![Nav::Node(path.clone())],
        ),
    });
    map.body.ops.splice(0..0, lets);
    map.slots = first + added;
    map
}

/// Rewrites `map` so that each built-in argument every run of it computes
/// more than once (see the module's notes for which) is computed once, as
/// its first present value, by a `let` after the structure paths' ones;
/// its other uses read that binding too.
pub fn share_arguments(mut map: MapPlan) -> MapPlan {
    // The bindings the structure paths' `let`s make, which come first.
    let node_slots: Vec<Slot> = map
        .body
        .ops
        .iter()
        .map_while(|op| match op {
            Op::Let { slot, value } if source_node(value).is_some() => Some(*slot),
            _ => None,
        })
        .collect();
    // Arguments given twice or more, of which every run of the map
    // computes one: a `let` before the rules then computes nothing a run
    // would not have computed anyway.
    let mut seen: Vec<(Expr, usize)> = Vec::new();
    visit_block(&map.body, &mut |e| {
        for a in arguments(e).filter(|a| shareable(a, &node_slots)) {
            match seen.iter_mut().find(|(e, _)| e == a) {
                Some((_, n)) => *n += 1,
                None => seen.push((a.clone(), 1)),
            }
        }
    });
    let mut always: Vec<Expr> = Vec::new();
    always_block(&map.body, &mut |e| {
        for a in arguments(e) {
            if !always.contains(a) {
                always.push(a.clone());
            }
        }
    });
    let shared: Vec<Expr> = seen
        .into_iter()
        .filter(|(e, n)| *n > 1 && always.contains(e))
        .map(|(e, _)| e)
        .collect();
    let Ok(added) = u32::try_from(shared.len()) else {
        return map;
    };
    if added == 0 {
        return map;
    }
    let first = map.slots;
    rewrite_block(&mut map.body, &mut |e| {
        if let Expr::Call(builtin, args) = e
            && builtin.reads_first_present()
        {
            for a in args.iter_mut() {
                if let Some(i) = shared.iter().position(|s| s == a) {
                    *a = Expr::Slot(Slot(first + i as u32));
                }
            }
        }
    });
    let lets = shared.into_iter().enumerate().map(|(i, value)| Op::Let {
        slot: Slot(first + i as u32),
        value: Expr::Call(Builtin::First, vec![value]),
    });
    let at = node_slots.len();
    map.body.ops.splice(at..at, lets);
    map.slots = first + added;
    map
}

/// The arguments of `e` when it calls a built-in that reads only their
/// first present values (all but `count`).
fn arguments(e: &Expr) -> impl Iterator<Item = &Expr> {
    let args = match e {
        Expr::Call(builtin, args) if builtin.reads_first_present() => args.as_slice(),
        _ => &[],
    };
    args.iter()
}

/// Calls `f` with the expressions of a block that every run of it
/// computes: not those of `when` branches, `each` bodies (which may run
/// no time) or filter conditions, nor the sides of `??`, `and`, `or` and
/// `if` that are computed only sometimes.
fn always_block(block: &Block, f: &mut impl FnMut(&Expr)) {
    for op in &block.ops {
        match op {
            Op::Set { value, .. } | Op::Let { value, .. } | Op::RequireSource { value, .. } => {
                always_expr(value, f);
            }
            Op::Object { body, .. } => always_block(body, f),
            Op::EachObject { source, .. } | Op::Each { source, .. } => always_expr(source, f),
            Op::When { cond, .. } => always_expr(cond, f),
            Op::RequireTarget { .. } => {}
        }
    }
}

fn always_expr(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match e {
        Expr::Const(_) | Expr::Source(_) | Expr::Slot(_) | Expr::Current => {}
        Expr::Nav(base, _) => always_expr(base, f),
        Expr::Call(_, args) | Expr::MapCall(_, args) => args.iter().for_each(|a| always_expr(a, f)),
        Expr::Lookup(_, a) | Expr::Not(a) => always_expr(a, f),
        Expr::Coalesce(a, _) | Expr::And(a, _) | Expr::Or(a, _) | Expr::If(a, _, _) => {
            always_expr(a, f);
        }
        Expr::Compare(_, a, b) => {
            always_expr(a, f);
            always_expr(b, f);
        }
        Expr::In(a, options) => {
            always_expr(a, f);
            options.iter().for_each(|o| always_expr(o, f));
        }
    }
}

/// Whether built-in argument `e` may be computed before the map's rules:
/// it reads the input (a navigation), cannot fail, and reads nothing but
/// the sources and the structure paths' bindings (`node_slots`); a filter's
/// item (`Current`) only inside its filter.
fn shareable(e: &Expr, node_slots: &[Slot]) -> bool {
    fn pure(e: &Expr, node_slots: &[Slot], in_filter: bool, reads: &mut bool) -> bool {
        match e {
            Expr::Const(_) => true,
            Expr::Source(_) => true,
            Expr::Slot(s) => node_slots.contains(s),
            Expr::Current => in_filter,
            Expr::Nav(base, navs) => {
                *reads = true;
                pure(base, node_slots, in_filter, reads)
                    && navs.iter().all(|n| match n {
                        Nav::Where(cond) => pure(cond, node_slots, true, reads),
                        _ => true,
                    })
            }
            Expr::Coalesce(a, b) | Expr::Compare(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                pure(a, node_slots, in_filter, reads) && pure(b, node_slots, in_filter, reads)
            }
            Expr::Not(a) => pure(a, node_slots, in_filter, reads),
            Expr::In(a, options) => {
                pure(a, node_slots, in_filter, reads)
                    && options
                        .iter()
                        .all(|o| pure(o, node_slots, in_filter, reads))
            }
            Expr::If(a, b, c) => {
                pure(a, node_slots, in_filter, reads)
                    && pure(b, node_slots, in_filter, reads)
                    && pure(c, node_slots, in_filter, reads)
            }
            // Built-ins, tables and maps may reject or build output.
            Expr::Call(..) | Expr::MapCall(..) | Expr::Lookup(..) => false,
        }
    }
    let mut reads = false;
    pure(e, node_slots, false, &mut reads) && reads
}

/// The source and structure path `e` starts with, when it navigates a
/// source through the structure first.
fn source_node(e: &Expr) -> Option<(u32, Vec<usize>)> {
    let Expr::Nav(base, navs) = e else {
        return None;
    };
    let Expr::Source(source) = **base else {
        return None;
    };
    match navs.first() {
        Some(Nav::Node(path)) => Some((source, path.clone())),
        _ => None,
    }
}

/// Calls `f` with every expression of a block's rules, innermost first, so
/// that `f` may replace each one after what is inside it.
fn rewrite_block(block: &mut Block, f: &mut impl FnMut(&mut Expr)) {
    for op in &mut block.ops {
        match op {
            Op::Set { value, .. } | Op::Let { value, .. } | Op::RequireSource { value, .. } => {
                rewrite_expr(value, f);
            }
            Op::Object { body, .. } => rewrite_block(body, f),
            Op::RequireTarget { .. } => {}
            Op::EachObject { source, body, .. } | Op::Each { source, body, .. } => {
                rewrite_expr(source, f);
                rewrite_block(body, f);
            }
            Op::When {
                cond,
                then,
                otherwise,
            } => {
                rewrite_expr(cond, f);
                rewrite_block(then, f);
                rewrite_block(otherwise, f);
            }
        }
    }
}

fn rewrite_expr(e: &mut Expr, f: &mut impl FnMut(&mut Expr)) {
    match e {
        Expr::Const(_) | Expr::Source(_) | Expr::Slot(_) | Expr::Current => {}
        Expr::Nav(base, navs) => {
            rewrite_expr(base, f);
            for nav in navs {
                if let Nav::Where(cond) = nav {
                    rewrite_expr(cond, f);
                }
            }
        }
        Expr::Call(_, args) | Expr::MapCall(_, args) => {
            args.iter_mut().for_each(|a| rewrite_expr(a, f));
        }
        Expr::Lookup(_, a) | Expr::Not(a) => rewrite_expr(a, f),
        Expr::Coalesce(a, b) | Expr::Compare(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
            rewrite_expr(a, f);
            rewrite_expr(b, f);
        }
        Expr::In(a, options) => {
            rewrite_expr(a, f);
            options.iter_mut().for_each(|o| rewrite_expr(o, f));
        }
        Expr::If(a, b, c) => {
            rewrite_expr(a, f);
            rewrite_expr(b, f);
            rewrite_expr(c, f);
        }
    }
    f(e);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn map_of(spec: &str) -> MapPlan {
        let mut program = crate::check::compile("hoist.ferry", spec.as_bytes())
            .unwrap()
            .program;
        program.maps.remove(0)
    }

    /// PID read three times and MSH once, from the message: two `let`s
    /// first, after which nothing reads the source through the structure
    /// but them.
    #[test]
    fn each_structure_path_from_a_source_is_listed_once() {
        let map = map_of(
            r#"use hl7v2 "2.5.1"
use fhir "R4"
map m: ADT_A01 -> Patient {
  birthDate = date(PID-7)
  name[] {
    family = PID-5[1].1.1
    text = MSH-10
  }
  when PID-30 == "Y" {
    deceasedBoolean = true
  }
}
"#,
        );
        let lets: Vec<&Op> = map
            .body
            .ops
            .iter()
            .take_while(|op| matches!(op, Op::Let { .. }))
            .collect();
        assert_eq!(lets.len(), 2);
        assert_eq!(map.slots, 2);
        let mut through = Vec::new();
        visit_block(&map.body, &mut |e| through.extend(source_node(e)));
        assert_eq!(through.len(), 2, "{through:?}");
        assert_ne!(through[0], through[1]);
    }

    fn shared_lets(map: &MapPlan) -> Vec<&Expr> {
        map.body
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Let {
                    value: Expr::Call(Builtin::First, args),
                    ..
                } => args.first(),
                _ => None,
            })
            .collect()
    }

    /// The patient key, given to `uuid5` and `concat` on every run, is
    /// computed once, and so is PID-2.1, given to two `uuid5`s (the calls
    /// themselves, which may reject, stay where they are). PID-29, given
    /// to conversions twice but only ever in one `when` branch, and
    /// `count`'s argument are left where they are.
    #[test]
    fn arguments_every_run_computes_twice_are_shared() {
        let map = map_of(
            r#"use hl7v2 "2.5.1"
use fhir "R4"
map m: ADT_A01 -> Patient {
  id = uuid5("Patient", PID-3[where .5 == "MR"].1 ?? PID-3[1].1)
  name[] {
    text = concat("k=", PID-3[where .5 == "MR"].1 ?? PID-3[1].1)
    family = concat(uuid5("a", PID-2.1), "/", uuid5("b", PID-2.1))
  }
  when count(PID-13) > 1 {
    gender = "other"
  } else when count(PID-13) == 0 {
    gender = "unknown"
  }
  when PID-30 == "Y" {
    birthDate = date(PID-29)
  } else {
    deceasedDateTime = datetime(PID-29)
  }
}
"#,
        );
        let shared = shared_lets(&map);
        assert_eq!(shared.len(), 2, "{shared:?}");
        // The key (`??` of two filters) and PID-2.1 (given to two `uuid5`s
        // whose own results are not shared).
        assert!(matches!(shared[0], Expr::Coalesce(..)), "{:?}", shared[0]);
        assert!(matches!(shared[1], Expr::Nav(..)), "{:?}", shared[1]);
        // Nothing calls a built-in with the key any more but its `let`.
        let key = shared[0].clone();
        let mut given = 0;
        visit_block(&map.body, &mut |e| {
            given += arguments(e).filter(|a| **a == key).count();
        });
        assert_eq!(given, 1);
    }

    /// A map over a segment reads no structure: nothing changes.
    #[test]
    fn maps_without_structure_paths_are_left_alone() {
        let map = map_of(
            r#"use hl7v2 "2.5.1"
use fhir "R4"
map m: PID -> Patient {
  birthDate = date(PID-7)
}
"#,
        );
        assert_eq!(map.slots, 0);
        assert!(!matches!(map.body.ops.first(), Some(Op::Let { .. })));
    }
}
