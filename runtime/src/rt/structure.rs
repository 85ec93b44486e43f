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
