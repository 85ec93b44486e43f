//! The structure matcher on real HL7 v2 structures.
#![allow(clippy::unwrap_used, clippy::panic)]

#[cfg(test)]
mod tests {
    use crate::interp::shape;
    use ferry_runtime::rt::structure::{Placed, place as place_nodes};
    use ferry_schema::{Hl7Version, hl7v2};

    pub(super) fn place(
        s: &'static ferry_schema::Structure,
        ids: &[&[u8]],
    ) -> ferry_runtime::rt::Tree {
        place_nodes(&shape(s.children()), ids)
    }

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
    use super::tests::place;
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
    use super::tests::place;
    use ferry_runtime::rt::structure::Placed;
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
