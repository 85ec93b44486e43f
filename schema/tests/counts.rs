//! A snapshot of how much the reduced data holds, per HL7 v2 version and for FHIR R4, so a
//! regeneration that silently drops (or doubles) definitions shows up in review.
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::fmt::Write;

use ferry_schema::{BindingStrength, Hl7Version, TypeKind, fhir_r4, hl7v2};

fn v2_counts() -> String {
    let mut out = String::from(
        "version structures groups choice_groups segments fields datatypes primitives tables codes borrowed_tables events\n",
    );
    for ver in Hl7Version::ALL {
        let s = hl7v2(ver).unwrap();
        let nodes: Vec<_> = s.structures().iter().flat_map(|st| st.walk()).collect();
        let groups = nodes.iter().filter(|n| n.is_group()).count();
        let choices = nodes.iter().filter(|n| n.is_choice()).count();
        let fields: usize = s.segments().iter().map(|g| g.fields().len()).sum();
        let codes: usize = s.tables().iter().map(|t| t.codes().len()).sum();
        let borrowed = s.tables().iter().filter(|t| t.is_borrowed()).count();
        writeln!(
            out,
            "{ver} {} {groups} {choices} {} {fields} {} {} {} {codes} {borrowed} {}",
            s.structures().len(),
            s.segments().len(),
            s.composites().len(),
            s.primitives().len(),
            s.tables().len(),
            s.events().count(),
        )
        .unwrap();
    }
    out
}

fn fhir_counts() -> String {
    let f = fhir_r4().unwrap();
    let kind = |k| f.types().iter().filter(|t| t.kind() == k).count();
    let elements: usize = f.types().iter().map(|t| t.elements().len()).sum();
    let required = f
        .types()
        .iter()
        .flat_map(|t| t.elements())
        .filter(|e| {
            e.binding()
                .is_some_and(|b| b.strength == BindingStrength::Required)
        })
        .count();
    let vs = f.value_sets();
    let enumerable = vs.iter().filter(|v| v.is_enumerable()).count();
    let codes: usize = vs.iter().map(|v| v.codes().count()).sum();
    format!(
        "fhir {}\nresources {}\ncomplex_types {}\nprimitive_types {}\nelements {elements}\nrequired_bindings {required}\nrequired_value_sets {}\nenumerable_value_sets {enumerable}\nexpanded_codes {codes}\n",
        f.version(),
        kind(TypeKind::Resource),
        kind(TypeKind::Complex),
        kind(TypeKind::Primitive),
        vs.len(),
    )
}

#[test]
fn reduced_data_counts() {
    insta::assert_snapshot!(format!("{}\n{}", v2_counts(), fhir_counts()));
}
