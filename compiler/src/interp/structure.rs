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

use ferry_schema::{Node, Structure};

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

/// Matches segment ids (in message order) against `structure`.
pub fn place(structure: &Structure, ids: &[&[u8]]) -> Tree {
    let mut tree = Tree {
        groups: vec![GroupInst::default()],
        unplaced: Vec::new(),
    };
    let mut pos = 0;
    fill(
        &mut tree,
        0,
        structure.children(),
        ids,
        &mut pos,
        &mut Vec::new(),
    );
    tree
}

fn can_start(node: &Node, id: &[u8]) -> bool {
    if !node.is_group() {
        return node.name().as_bytes() == id;
    }
    for child in node.children() {
        if can_start(child, id) {
            return true;
        }
        if child.cardinality().min > 0 {
            return false;
        }
    }
    false
}

/// Where each enclosing group would go on: its children and the first one
/// that may still take a segment.
type Open<'s> = Vec<(&'s [Node], usize)>;

/// Fills group instance `at` from `nodes`. A segment this group cannot take
/// closes it when an enclosing group can take it; a segment no open group
/// can take is set aside as unplaced and the group stays open.
fn fill<'s>(
    tree: &mut Tree,
    at: usize,
    nodes: &'s [Node],
    ids: &[&[u8]],
    pos: &mut usize,
    open: &mut Open<'s>,
) {
    let mut first = 0;
    let mut filled = vec![false; nodes.len()];
    while let Some(id) = ids.get(*pos) {
        // Inside a group a required child not yet filled cannot be skipped:
        // the search stops there (so an OBX before its OBR does not close
        // the order). At the message's top level real feeds often leave out
        // required segments (EVN, PV1), so there it can.
        let top = open.is_empty();
        let stop = (first..nodes.len())
            .filter(|_| !top)
            .find(|&k| {
                nodes.get(k).is_some_and(|n| n.cardinality().min > 0)
                    && !filled.get(k).copied().unwrap_or(true)
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
        let repeats = node.cardinality().is_repeating();
        let placed = if node.is_group() {
            let index = tree.groups.len();
            tree.groups.push(GroupInst::default());
            // While the child group fills, this group goes on at `j` (a new
            // instance) or after it.
            open.push((nodes, if repeats { j } else { j + 1 }));
            fill(tree, index, node.children(), ids, pos, open);
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
    use super::*;
    use ferry_schema::{Hl7Version, hl7v2};

    fn ids(text: &str) -> Vec<&[u8]> {
        text.split(' ').map(str::as_bytes).collect()
    }

    #[test]
    fn oru_groups_follow_the_structure() {
        let v2 = hl7v2(Hl7Version::V2_5_1).unwrap();
        let oru = v2.structure("ORU_R01").unwrap();
        let segments = ids("MSH PID PV1 OBR OBX OBX NTE OBR OBX ZZZ");
        let tree = place(oru, &segments);
        // MSH, then one PATIENT_RESULT group.
        let top = &tree.groups[0];
        assert_eq!(top.children.len(), 2);
        let Placed::Group(result) = top.children[1].1 else {
            panic!()
        };
        // PATIENT, then two ORDER_OBSERVATIONs.
        let kinds: Vec<usize> = tree.groups[result].children.iter().map(|c| c.0).collect();
        assert_eq!(kinds.len(), 3, "{:?}", tree.groups[result]);
        assert_eq!(kinds[1], kinds[2], "both order groups are the same child");
        assert_eq!(tree.unplaced, vec![9]);
    }

    #[test]
    fn adt_places_top_level_segments_and_repeats() {
        let v2 = hl7v2(Hl7Version::V2_5_1).unwrap();
        let adt = v2.structure("ADT_A01").unwrap();
        let tree = place(adt, &ids("MSH EVN PID NK1 NK1 PV1 AL1 AL1 DG1"));
        assert!(tree.unplaced.is_empty(), "{:?}", tree.unplaced);
        assert_eq!(tree.groups[0].children.len(), 9);
    }
}

#[cfg(test)]
mod unplaced {
    use super::*;
    use ferry_schema::{Hl7Version, hl7v2};

    /// A segment of a later version (PRT after PID) is set aside without
    /// closing the patient's group: the orders stay with their patient.
    #[test]
    fn unknown_segments_do_not_split_groups() {
        let v2 = hl7v2(Hl7Version::V2_5_1).unwrap();
        let oru = v2.structure("ORU_R01").unwrap();
        let segments: Vec<&[u8]> = "MSH PID PRT PV1 ORC OBR OBX PRT"
            .split(' ')
            .map(str::as_bytes)
            .collect();
        let tree = place(oru, &segments);
        assert_eq!(tree.unplaced, vec![2, 7]);
        let top = &tree.groups[0];
        assert_eq!(top.children.len(), 2, "MSH and one PATIENT_RESULT: {top:?}");
    }
}

#[cfg(test)]
mod required_children {
    use super::*;
    use ferry_schema::{Hl7Version, hl7v2};

    /// A message without its EVN (required, often missing) still places
    /// its PID at the top level.
    #[test]
    fn a_missing_required_segment_at_the_top_is_skipped() {
        let v2 = hl7v2(Hl7Version::V2_5_1).unwrap();
        let adt = v2.structure("ADT_A01").unwrap();
        let segments: Vec<&[u8]> = "MSH PID NK1 PV1".split(' ').map(str::as_bytes).collect();
        let tree = place(adt, &segments);
        assert!(tree.unplaced.is_empty(), "{:?}", tree.unplaced);
    }

    /// An OBX between ORC and its (required) OBR is set aside: the order
    /// keeps its OBR instead of splitting into two orders.
    #[test]
    fn a_required_child_is_not_skipped() {
        let v2 = hl7v2(Hl7Version::V2_5_1).unwrap();
        let oru = v2.structure("ORU_R01").unwrap();
        let segments: Vec<&[u8]> = "MSH PID ORC OBX OBR OBX"
            .split(' ')
            .map(str::as_bytes)
            .collect();
        let tree = place(oru, &segments);
        assert_eq!(tree.unplaced, vec![3]);
        let Placed::Group(result) = tree.groups[0].children[1].1 else {
            panic!()
        };
        assert_eq!(
            tree.groups[result].children.len(),
            2,
            "PATIENT and one ORDER_OBSERVATION"
        );
    }
}
