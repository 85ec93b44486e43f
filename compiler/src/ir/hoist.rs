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

use super::*;

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
