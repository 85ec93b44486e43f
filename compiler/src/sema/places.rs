//! Where a segment or group sits in a message structure: shared by the
//! checker (which reports a missing or ambiguous name) and the lowering
//! (which records the place as child indexes).

use ferry_schema::{Node, Structure};

/// One place of a segment or group below some nodes of a structure.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    /// Child indexes from the nodes searched down to the node.
    pub indexes: Vec<usize>,
    pub node: &'static Node,
    /// Whether the node or a group above it (or `repeats_above`) repeats.
    pub repeats: bool,
    /// `GROUP.SEGMENT`, for messages.
    pub path: String,
}

/// The places of the segment or group `name` below `nodes`. A direct child of
/// that name wins over deeper namesakes (`ORDER_OBSERVATION.NTE` is the
/// order's NTE, not an observation's); otherwise every deeper place.
pub(crate) fn places(
    structure: &'static Structure,
    nodes: &'static [Node],
    name: &str,
    repeats_above: bool,
) -> Vec<Place> {
    if let Some((i, node)) = nodes
        .iter()
        .enumerate()
        .find(|(_, n)| n.short_name_in(structure.name()) == name)
    {
        return vec![Place {
            indexes: vec![i],
            node,
            repeats: repeats_above || node.cardinality().is_repeating(),
            path: name.to_owned(),
        }];
    }
    let mut found = Vec::new();
    collect(
        structure,
        nodes,
        name,
        repeats_above,
        &mut Vec::new(),
        "",
        &mut found,
    );
    found
}

fn collect(
    structure: &'static Structure,
    nodes: &'static [Node],
    name: &str,
    repeats_above: bool,
    indexes: &mut Vec<usize>,
    prefix: &str,
    found: &mut Vec<Place>,
) {
    for (i, node) in nodes.iter().enumerate() {
        let short = node.short_name_in(structure.name());
        let path = if prefix.is_empty() {
            short.to_owned()
        } else {
            format!("{prefix}.{short}")
        };
        let repeats = repeats_above || node.cardinality().is_repeating();
        indexes.push(i);
        if short == name {
            found.push(Place {
                indexes: indexes.clone(),
                node,
                repeats,
                path: path.clone(),
            });
        }
        if node.is_group() {
            collect(
                structure,
                node.children(),
                name,
                repeats,
                indexes,
                &path,
                found,
            );
        }
        indexes.pop();
    }
}
