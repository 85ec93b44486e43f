//! Placing a message's segments into its structure's groups.
//!
//! The ER7 reader sees a flat list of segments; paths such as
//! `PATIENT_RESULT[1].ORDER_OBSERVATION[*].OBX` need the group instances.
//! The matcher reads the segments in order against the structure, greedily,
//! as the standard's message grammar describes: a segment goes to the first
//! place at or after the current one that can take it; a repeating child
//! stays open for more; a segment a group cannot take closes the group and is
//! tried by its parent. Segments no place takes (Z-segments, segments out of
//! order) are kept as `unplaced`, in order, so nothing is lost.

use std::borrow::Cow;

/// A node of a message structure: a segment or a segment group, with its
/// cardinality. The compiler writes these from the HL7 v2 definitions.
#[derive(Debug, Clone)]
pub struct Node<'s> {
    /// Segment id or group name.
    pub name: Cow<'s, str>,
    /// Minimum occurrences (0: optional).
    pub min: u32,
    /// Whether it may occur more than once.
    pub repeats: bool,
    /// Whether it is a group.
    pub group: bool,
    /// A group's children.
    pub children: Cow<'s, [Node<'s>]>,
}

impl<'s> Node<'s> {
    /// A segment, for generated code.
    pub const fn segment(name: &'s str, min: u32, repeats: bool) -> Node<'s> {
        Node {
            name: Cow::Borrowed(name),
            min,
            repeats,
            group: false,
            children: Cow::Borrowed(&[]),
        }
    }

    /// A group, for generated code.
    pub const fn group(
        name: &'s str,
        min: u32,
        repeats: bool,
        children: &'s [Node<'s>],
    ) -> Node<'s> {
        Node {
            name: Cow::Borrowed(name),
            min,
            repeats,
            group: true,
            children: Cow::Borrowed(children),
        }
    }
}

/// A group instance: the children it holds, in message order.
#[derive(Debug, Default, Clone)]
pub struct GroupInst {
    /// (child index in the structure node, what was placed there).
    pub children: Vec<(usize, Placed)>,
}

#[derive(Debug, Clone, Copy)]
pub enum Placed {
    /// Index of the segment in the message.
    Segment(usize),
    /// Index of the group instance in [`Tree::groups`].
    Group(usize),
}

/// All group instances of one message; `groups[0]` is the message itself.
#[derive(Debug, Default)]
pub struct Tree {
    pub groups: Vec<GroupInst>,
    /// Segments no place of the structure took, by message index.
    pub unplaced: Vec<usize>,
}

/// [`place`] for a message's segments (their ids listed on the stack).
pub fn place_segments(structure: &[Node<'_>], segments: &[crate::er7::Segment<'_>]) -> Tree {
    let ids: smallvec::SmallVec<[&[u8]; 32]> = segments.iter().map(|s| s.id()).collect();
    place(structure, &ids)
}

/// Messages with more segments than this are placed anew every time, not
/// kept ([`place_static`]): their shape rarely repeats, and a kept tree of
/// thousands of segments would be memory held for nothing.
const PLACED_MAX_SEGMENTS: usize = 128;

/// How many placements a thread keeps ([`place_static`]).
const PLACEMENTS_KEPT: usize = 16;

/// One kept placement: the structure (its address and length; only
/// `'static` structures are kept, so the address names one structure for
/// the life of the program), the segment ids it placed (each followed by a
/// `\r`, which no id holds), and the tree.
#[derive(Debug)]
struct Kept {
    structure: (usize, usize),
    /// [`shape_hash`] of the ids, tested before the ids themselves.
    hash: u64,
    ids: Vec<u8>,
    tree: std::rc::Rc<Tree>,
}

thread_local! {
    /// The placements made on this thread, the most recent last.
    static PLACEMENTS: std::cell::RefCell<Vec<Kept>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A hash of the segments' ids in order (FNV-1a over each id's bytes and
/// length): most kept shapes differ from a message's in it, so their ids
/// are not compared.
fn shape_hash(segments: &[crate::er7::Segment<'_>]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for s in segments {
        // A valid id is its three bytes; any other is hashed by length.
        let word = match s.segment_id() {
            Some(id) => {
                let [a, b, c] = *id.as_bytes();
                u64::from(u32::from_le_bytes([a, b, c, 3]))
            }
            None => s.id().len() as u64,
        };
        h = (h ^ word).wrapping_mul(PRIME);
    }
    h
}

/// Whether `ids` (as [`Kept::ids`] holds them) are the ids of `segments`.
fn same_ids(ids: &[u8], segments: &[crate::er7::Segment<'_>]) -> bool {
    let mut rest = ids;
    for s in segments {
        // A valid id and its `\r` as one four-byte compare, not a call to
        // `memcmp`.
        if let Some(id) = s.segment_id() {
            let [a, b, c] = *id.as_bytes();
            match rest.split_first_chunk::<4>() {
                Some((head, tail)) if *head == [a, b, c, b'\r'] => {
                    rest = tail;
                    continue;
                }
                _ => return false,
            }
        }
        let id = s.id();
        match rest.get(..=id.len()) {
            Some(head) if head.last() == Some(&b'\r') && head.get(..id.len()) == Some(id) => {
                rest = rest.get(id.len() + 1..).unwrap_or_default();
            }
            _ => return false,
        }
    }
    rest.is_empty()
}

/// [`place_segments`] for a structure the generated code holds in a
/// `static`: the same tree, made once per thread for each sequence of
/// segment ids and then shared. A feed sends the same few shapes of
/// message over and over (an ADT^A01 with two NK1s, one PV1...), and
/// placing them is the same work each time. Kept for up to
/// [`PLACEMENTS_KEPT`] shapes of at most [`PLACED_MAX_SEGMENTS`] segments;
/// the oldest goes first.
pub fn place_static(
    structure: &'static [Node<'static>],
    segments: &[crate::er7::Segment<'_>],
) -> std::rc::Rc<Tree> {
    let key = (structure.as_ptr() as usize, structure.len());
    if segments.len() > PLACED_MAX_SEGMENTS {
        return std::rc::Rc::new(place_segments(structure, segments));
    }
    let hash = shape_hash(segments);
    let kept = PLACEMENTS.try_with(|kept| {
        let kept = kept.try_borrow().ok()?;
        kept.iter()
            .rev()
            .find(|k| k.hash == hash && k.structure == key && same_ids(&k.ids, segments))
            .map(|k| std::rc::Rc::clone(&k.tree))
    });
    if let Ok(Some(tree)) = kept {
        return tree;
    }
    let tree = std::rc::Rc::new(place_segments(structure, segments));
    let mut ids = Vec::with_capacity(segments.len() * 4);
    for s in segments {
        ids.extend_from_slice(s.id());
        ids.push(b'\r');
    }
    // When the thread is being torn down, the tree is simply not kept.
    let _ = PLACEMENTS.try_with(|kept| {
        if let Ok(mut kept) = kept.try_borrow_mut() {
            if kept.len() >= PLACEMENTS_KEPT {
                kept.remove(0);
            }
            kept.push(Kept {
                structure: key,
                hash,
                ids,
                tree: std::rc::Rc::clone(&tree),
            });
        }
    });
    tree
}

/// Matches segment ids (in message order) against `structure`.
/// `structure` is the message's top-level children.
pub fn place(structure: &[Node<'_>], ids: &[&[u8]]) -> Tree {
    // The message holds most segments itself: its list is sized once.
    let mut groups = Vec::with_capacity(4);
    groups.push(GroupInst {
        children: Vec::with_capacity(ids.len()),
    });
    let mut tree = Tree {
        groups,
        unplaced: Vec::new(),
    };
    let mut pos = 0;
    fill(&mut tree, 0, structure, ids, &mut pos, &mut Vec::new());
    tree
}

fn can_start(node: &Node<'_>, id: &[u8]) -> bool {
    if !node.group {
        return crate::er7::same_id(node.name.as_bytes(), id);
    }
    for child in node.children.iter() {
        if can_start(child, id) {
            return true;
        }
        if child.min > 0 {
            return false;
        }
    }
    false
}

/// Where each enclosing group would go on: its children and the first one
/// that may still take a segment.
type Open<'s, 'n> = Vec<(&'s [Node<'n>], usize)>;

/// Fills group instance `at` from `nodes`. A segment this group cannot take
/// closes it when an enclosing group can take it; a segment no open group
/// can take is set aside as unplaced and the group stays open.
fn fill<'s, 'n>(
    tree: &mut Tree,
    at: usize,
    nodes: &'s [Node<'n>],
    ids: &[&[u8]],
    pos: &mut usize,
    open: &mut Open<'s, 'n>,
) {
    let mut first = 0;
    let mut filled: smallvec::SmallVec<[bool; 32]> = smallvec::smallvec![false; nodes.len()];
    while let Some(id) = ids.get(*pos) {
        // Inside a group a required child not yet filled cannot be skipped:
        // the search stops there (so an OBX before its OBR does not close
        // the order). At the message's top level real feeds often leave out
        // required segments (EVN, PV1), so there it can.
        let top = open.is_empty();
        let stop = (first..nodes.len())
            .filter(|_| !top)
            .find(|&k| {
                nodes.get(k).is_some_and(|n| n.min > 0) && !filled.get(k).copied().unwrap_or(true)
            })
            .map_or(nodes.len(), |k| k + 1);
        let found = nodes
            .get(first..stop)
            .and_then(|rest| rest.iter().position(|n| can_start(n, id)));
        let Some(offset) = found else {
            let outer_takes = open.iter().any(|(outer, from)| {
                outer
                    .get(*from..)
                    .is_some_and(|rest| rest.iter().any(|n| can_start(n, id)))
            });
            if outer_takes {
                return;
            }
            tree.unplaced.push(*pos);
            *pos += 1;
            continue;
        };
        let j = first + offset;
        let Some(node) = nodes.get(j) else { return };
        let repeats = node.repeats;
        let placed = if node.group {
            let index = tree.groups.len();
            tree.groups.push(GroupInst::default());
            // While the child group fills, this group goes on at `j` (a new
            // instance) or after it.
            open.push((nodes, if repeats { j } else { j + 1 }));
            fill(tree, index, &node.children, ids, pos, open);
            open.pop();
            Placed::Group(index)
        } else {
            let placed = Placed::Segment(*pos);
            *pos += 1;
            placed
        };
        if let Some(group) = tree.groups.get_mut(at) {
            group.children.push((j, placed));
        }
        if let Some(f) = filled.get_mut(j) {
            *f = true;
        }
        first = if repeats { j } else { j + 1 };
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    static ORDER: &[Node<'static>] = &[
        Node::segment("OBR", 1, false),
        Node::segment("NTE", 0, true),
        Node::segment("OBX", 0, true),
    ];
    static ADT: &[Node<'static>] = &[
        Node::segment("MSH", 1, false),
        Node::segment("PID", 1, false),
        Node::segment("NK1", 0, true),
        Node::segment("PV1", 1, false),
        Node::group("ORDER", 0, true, ORDER),
    ];
    static OTHER: &[Node<'static>] = &[
        Node::segment("MSH", 1, false),
        Node::group("ORDER", 1, true, ORDER),
        Node::segment("PID", 0, false),
    ];

    /// A message with the given segment ids, one field each.
    fn message(ids: &[&str]) -> Vec<u8> {
        let mut m = b"MSH|^~\\&|A".to_vec();
        for id in ids {
            m.extend_from_slice(format!("\r{id}|x").as_bytes());
        }
        m
    }

    /// Kept placements are the placements: for many shapes (more than are
    /// kept, so some are made again), two structures over the same
    /// messages, a message too long to keep, and ids that are not valid
    /// segment ids.
    #[test]
    fn kept_placements_are_the_placements() {
        let mut shapes: Vec<Vec<&str>> = Vec::new();
        for nk1 in 0..5 {
            for obx in 0..5 {
                let mut ids = vec!["PID"];
                ids.extend(std::iter::repeat_n("NK1", nk1));
                ids.push("PV1");
                ids.push("OBR");
                ids.extend(std::iter::repeat_n("OBX", obx));
                shapes.push(ids);
            }
        }
        shapes.push(vec!["PID", "ZX1", "pv1", "OBR"]);
        shapes.push(vec!["PID", "ZX", "PV1"]);
        shapes.push(vec!["PID", "ZXX", "PV1"]);
        shapes.push(std::iter::repeat_n("OBX", PLACED_MAX_SEGMENTS + 1).collect());
        let mut index = crate::er7::MessageIndex::new();
        for round in 0..3 {
            for ids in &shapes {
                let bytes = message(ids);
                let message = index.parse(&bytes).unwrap();
                let segments = crate::rt::segments(&message);
                for structure in [ADT, OTHER] {
                    let kept = place_static(structure, &segments);
                    let made = place_segments(structure, &segments);
                    assert_eq!(
                        format!("{kept:?}"),
                        format!("{made:?}"),
                        "round {round}, {ids:?}"
                    );
                }
            }
        }
        let kept = PLACEMENTS.with(|k| k.borrow().len());
        assert_eq!(kept, PLACEMENTS_KEPT);
    }
}
