//! Facts from the HL7 v2 and FHIR R4 standards, each checked against the raw upstream data
//! (hl7apy, hl7-dictionary, table 0354, hl7.fhir.r4.core 4.0.1) before being asserted here.
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use ferry_schema::{
    BindingStrength, Datatype, FhirSchema, Hl7Version, LookupError, TypeKind, V2Schema, fhir_r4,
    hl7v2,
};

fn v(s: &str) -> &'static V2Schema {
    hl7v2(s.parse().unwrap()).unwrap()
}

fn fhir() -> &'static FhirSchema {
    fhir_r4().unwrap()
}

fn codes(url: &str) -> Vec<String> {
    fhir()
        .value_set(url)
        .unwrap()
        .codes()
        .map(|c| c.code.to_owned())
        .collect()
}

// ---------------------------------------------------------------- HL7 v2

#[test]
fn versions_parse_and_print() {
    assert_eq!("2.5.1".parse::<Hl7Version>().unwrap(), Hl7Version::V2_5_1);
    assert_eq!("2.3".parse::<Hl7Version>().unwrap().to_string(), "2.3");
    assert!("2.9".parse::<Hl7Version>().is_err());
    for ver in Hl7Version::ALL {
        assert_eq!(hl7v2(ver).unwrap().version(), ver);
    }
}

#[test]
fn pid_3_is_a_repeating_cx_in_every_version() {
    for ver in Hl7Version::ALL {
        let f = hl7v2(ver).unwrap().field("PID-3").unwrap();
        assert_eq!(f.datatype(), Some("CX"), "{ver}");
        assert!(f.repeats(), "{ver}");
        assert!(f.is_required(), "{ver}");
    }
    let f = v("2.5.1").field("PID-3").unwrap();
    assert_eq!(f.description(), Some("Patient Identifier List"));
    assert_eq!(f.length(), Some(250));
    assert_eq!(f.cardinality().to_string(), "1..*");
}

#[test]
fn pid_5_is_xpn_and_repeats_in_2_5_1() {
    let f = v("2.5.1").field("PID-5").unwrap();
    assert_eq!(f.datatype(), Some("XPN"));
    assert!(f.repeats());
    assert_eq!(v("2.5.1").field("PID.5").unwrap().name(), "PATIENT_NAME");
}

#[test]
fn pid_7_moves_from_ts_to_dtm_in_2_6() {
    assert_eq!(v("2.5.1").field("PID-7").unwrap().datatype(), Some("TS"));
    assert_eq!(v("2.6").field("PID-7").unwrap().datatype(), Some("DTM"));
    assert_eq!(v("2.8").field("PID-7").unwrap().datatype(), Some("DTM"));
}

#[test]
fn pid_8_administrative_sex_uses_table_0001() {
    let s = v("2.5.1");
    let f = s.field("PID-8").unwrap();
    assert_eq!(f.datatype(), Some("IS"));
    assert_eq!(f.table(), Some("0001"));
    assert_eq!(v("2.7").field("PID-8").unwrap().datatype(), Some("CWE"));
    let t = s.table("0001").unwrap();
    assert_eq!(t.name(), Some("Administrative Sex"));
    let c: Vec<&str> = t.codes().iter().map(|c| c.code()).collect();
    assert_eq!(c, ["A", "F", "M", "N", "O", "U"]);
    assert_eq!(t.codes()[1].display(), Some("Female"));
    assert!(!t.is_borrowed());
    // "1" and "HL70001" name the same table.
    assert_eq!(s.table("1").unwrap().id(), "0001");
    assert_eq!(s.table("HL70001").unwrap().id(), "0001");
    // 2.3.1 has four codes only.
    assert_eq!(v("2.3.1").table("0001").unwrap().codes().len(), 4);
}

#[test]
fn pv1_2_patient_class_uses_table_0004() {
    for ver in Hl7Version::ALL {
        let f = hl7v2(ver).unwrap().field("PV1-2").unwrap();
        assert_eq!(f.table(), Some("0004"), "{ver}");
        assert!(f.is_required(), "{ver}");
    }
    assert_eq!(v("2.3").field("PV1-2").unwrap().datatype(), Some("ID"));
    assert_eq!(v("2.5.1").field("PV1-2").unwrap().datatype(), Some("IS"));
}

#[test]
fn obx_5_varies_and_obx_2_uses_table_0125() {
    let s = v("2.5.1");
    let obx5 = s.field("OBX-5").unwrap();
    assert_eq!(obx5.datatype(), Some("varies"));
    assert!(matches!(s.datatype("varies").unwrap(), Datatype::Varies));
    assert!(obx5.repeats());
    assert_eq!(s.field("OBX-2").unwrap().table(), Some("0125"));
    assert!(s.table("0125").unwrap().contains("NM"));
    // OBX-20 is a withdrawn position in hl7apy's 2.5.1 (no datatype, max 0).
    let obx20 = s.field("OBX-20").unwrap();
    assert!(obx20.is_withdrawn());
    assert_eq!(obx20.cardinality().max, Some(0));
}

#[test]
fn msh_9_is_msg_in_2_5_1_but_a_cm_type_in_2_3() {
    assert_eq!(v("2.5.1").field("MSH-9").unwrap().datatype(), Some("MSG"));
    assert_eq!(v("2.3").field("MSH-9").unwrap().datatype(), Some("CM_MSG"));
    let cm = v("2.3").datatype("CM_MSG").unwrap();
    assert_eq!(cm.components().len(), 2);
    assert_eq!(v("2.5.1").datatype("MSG").unwrap().components().len(), 3);
    assert_eq!(v("2.5.1").field("MSH-12").unwrap().datatype(), Some("VID"));
    assert_eq!(v("2.3").field("MSH-12").unwrap().table(), Some("0104"));
}

#[test]
fn xpn_1_is_fn_in_2_5_1_but_st_in_2_3() {
    let s = v("2.5.1");
    let xpn = s.datatype("XPN").unwrap();
    let fam = xpn.component(1).unwrap();
    assert_eq!(fam.datatype(), Some("FN"));
    let fn_ = s.datatype("FN").unwrap();
    assert_eq!(fn_.component(1).unwrap().datatype(), Some("ST"));
    assert!(matches!(
        s.datatype("ST").unwrap(),
        Datatype::Primitive("ST")
    ));
    assert_eq!(
        v("2.3")
            .datatype("XPN")
            .unwrap()
            .component(1)
            .unwrap()
            .datatype(),
        Some("ST")
    );
    assert!(xpn.component(99).is_none());
}

#[test]
fn component_references_resolve_through_datatypes() {
    let s = v("2.5.1");
    assert_eq!(s.resolve("PID-5.1").unwrap().datatype(), Some("FN"));
    assert_eq!(s.resolve("PID-5.1.1").unwrap().datatype(), Some("ST"));
    assert_eq!(s.resolve("PID-3.4").unwrap().datatype(), Some("HD"));
    assert_eq!(s.resolve("PID-3.4.2").unwrap().name(), "UNIVERSAL_ID");
    assert_eq!(v("2.3").resolve("PID-5.1").unwrap().datatype(), Some("ST"));
    assert!(matches!(
        v("2.3").resolve("PID-5.1.1"),
        Err(LookupError::UnknownComponent {
            component_count: 0,
            ..
        })
    ));
    assert!(matches!(
        s.resolve("PID-5.99"),
        Err(LookupError::UnknownComponent { .. })
    ));
}

#[test]
fn adt_a04_and_a08_use_adt_a01_everywhere() {
    for ver in Hl7Version::ALL {
        let s = hl7v2(ver).unwrap();
        assert_eq!(
            s.structure_for_event("ADT", "A04").unwrap().name(),
            "ADT_A01",
            "{ver}"
        );
        assert_eq!(
            s.structure_for_event("ADT", "A08").unwrap().name(),
            "ADT_A01",
            "{ver}"
        );
    }
    // A28 uses ADT_A05 from 2.4 on; 2.3 has no ADT_A05 and hl7-dictionary maps it to ADT_A01.
    assert_eq!(
        v("2.5.1").structure_for_event("ADT", "A28").unwrap().name(),
        "ADT_A05"
    );
    assert_eq!(
        v("2.3").structure_for_event("ADT", "A05").unwrap().name(),
        "ADT_A01"
    );
    assert_eq!(
        v("2.5.1").structure_for_event("ADT", "A40").unwrap().name(),
        "ADT_A39"
    );
    // ACK^A01 falls back to the generic ACK structure.
    assert_eq!(
        v("2.5.1").structure_for_event("ACK", "A01").unwrap().name(),
        "ACK"
    );
    assert!(matches!(
        v("2.5.1").structure_for_event("ADT", "Z99"),
        Err(LookupError::UnknownEvent { .. })
    ));
}

#[test]
fn adt_a01_structure_has_groups_with_cardinality() {
    let s = v("2.5.1").structure("ADT_A01").unwrap();
    let names: Vec<&str> = s.children().iter().take(4).map(|n| n.name()).collect();
    assert_eq!(names, ["MSH", "SFT", "EVN", "PID"]);
    let proc_ = s.child("PROCEDURE").unwrap();
    assert!(proc_.is_group());
    assert_eq!(proc_.name(), "ADT_A01_PROCEDURE");
    assert_eq!(proc_.cardinality().to_string(), "0..*");
    let pr1 = proc_.child("ADT_A01", "PR1").unwrap();
    assert!(!pr1.is_group());
    assert_eq!(pr1.cardinality().to_string(), "1..1");
    assert!(
        s.child("INSURANCE")
            .unwrap()
            .child("ADT_A01", "IN1")
            .is_some()
    );
    assert!(s.contains_segment("IN1"));
    assert!(!s.contains_segment("OBR"));
}

#[test]
fn oru_r01_patient_result_group_is_required_and_repeating() {
    let s = v("2.5.1").structure("ORU_R01").unwrap();
    let g = s.child("PATIENT_RESULT").unwrap();
    assert_eq!(g.cardinality().to_string(), "1..*");
    assert!(s.contains_segment("OBX"));
}

#[test]
fn choice_groups_are_marked() {
    let s = v("2.5.1").structure("PPV_PCA").unwrap();
    let choice = s
        .walk()
        .into_iter()
        .find(|n| n.name() == "PPV_PCA_ORDER_CHOICE")
        .unwrap();
    assert!(choice.is_choice());
    let kids: Vec<&str> = choice.children().iter().map(|n| n.name()).collect();
    assert_eq!(kids, ["OBR", "ANYHL7SEGMENT"]);
    assert!(v("2.5.1").segment("ANYHL7SEGMENT").unwrap().is_wildcard());
}

#[test]
fn prt_segment_exists_from_2_7_only() {
    match v("2.3").segment("PRT") {
        Err(LookupError::UnknownSegment { exists_in, .. }) => {
            assert_eq!(exists_in, [Hl7Version::V2_7, Hl7Version::V2_8]);
        }
        other => panic!("expected UnknownSegment, got {other:?}"),
    }
    assert!(v("2.7").segment("PRT").is_ok());
}

#[test]
fn misses_suggest_close_names() {
    let e = v("2.5.1").segment("PDI").unwrap_err();
    let LookupError::UnknownSegment { suggestions, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(suggestions.contains(&"PID".to_owned()));
    assert!(e.to_string().contains("did you mean `"));
    let e = v("2.5.1").field("PID-99").unwrap_err();
    assert!(
        matches!(
            e,
            LookupError::UnknownField {
                field_count: 39,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(matches!(
        v("2.5.1").field("PID"),
        Err(LookupError::BadReference { .. })
    ));
    let e = v("2.3").field("PID-39").unwrap_err();
    let LookupError::UnknownField { exists_in, .. } = e else {
        panic!()
    };
    assert!(exists_in.contains(&Hl7Version::V2_5_1));
    assert!(matches!(
        v("2.5.1").datatype("XPM"),
        Err(LookupError::UnknownDatatype { .. })
    ));
    assert!(matches!(
        v("2.5.1").structure("ADT_A99"),
        Err(LookupError::UnknownStructure { .. })
    ));
}

#[test]
fn tables_2_3_are_borrowed_from_hl7_dictionary() {
    let t = v("2.3").table("0001").unwrap();
    assert!(t.is_borrowed());
    assert!(t.contains("F") && t.contains("M"));
}

// ---------------------------------------------------------------- FHIR R4

#[test]
fn encounter_class_is_a_single_required_coding() {
    let e = fhir().element("Encounter.class").unwrap();
    assert_eq!(e.single_type(), Some("Coding"));
    assert_eq!(e.cardinality().to_string(), "1..1");
    assert_eq!(e.binding().unwrap().strength, BindingStrength::Extensible);
}

#[test]
fn patient_gender_required_binding_has_four_codes() {
    let e = fhir().element("Patient.gender").unwrap();
    assert_eq!(e.single_type(), Some("code"));
    assert_eq!(e.cardinality().to_string(), "0..1");
    let b = e.binding().unwrap();
    assert_eq!(b.strength, BindingStrength::Required);
    assert_eq!(
        b.value_set,
        "http://hl7.org/fhir/ValueSet/administrative-gender"
    );
    assert_eq!(codes(b.value_set), ["male", "female", "other", "unknown"]);
    let vs = fhir().required_value_set(e.definition).unwrap();
    assert!(vs.contains_coding("http://hl7.org/fhir/administrative-gender", "female"));
    assert_eq!(vs.codes().next().unwrap().display, Some("Male"));
}

#[test]
fn encounter_status_is_required_code() {
    let e = fhir().element("Encounter.status").unwrap();
    assert_eq!(e.cardinality().to_string(), "1..1");
    assert_eq!(e.single_type(), Some("code"));
    let c = codes(e.binding().unwrap().value_set);
    assert_eq!(c.len(), 9);
    assert!(c.contains(&"in-progress".to_owned()) && c.contains(&"finished".to_owned()));
}

#[test]
fn bundle_type_required_binding() {
    let e = fhir().element("Bundle.type").unwrap();
    assert_eq!(e.binding().unwrap().strength, BindingStrength::Required);
    assert_eq!(
        codes("http://hl7.org/fhir/ValueSet/bundle-type|4.0.1"),
        [
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection"
        ]
    );
}

#[test]
fn nested_concepts_are_expanded() {
    // observation-status nests `corrected` under `amended`.
    let c = codes("http://hl7.org/fhir/ValueSet/observation-status");
    assert_eq!(c.len(), 8);
    assert!(c.contains(&"corrected".to_owned()));
}

#[test]
fn observation_value_x_allows_eleven_types() {
    let e = fhir().element("Observation.value[x]").unwrap();
    assert!(e.definition.is_choice());
    let t: Vec<&str> = e.types().iter().map(|t| t.code()).collect();
    assert_eq!(
        t,
        [
            "Quantity",
            "CodeableConcept",
            "string",
            "boolean",
            "integer",
            "Range",
            "Ratio",
            "SampledData",
            "time",
            "dateTime",
            "Period"
        ]
    );
    let q = fhir().element("Observation.valueQuantity").unwrap();
    assert_eq!(q.single_type(), Some("Quantity"));
    assert_eq!(q.definition.path(), "Observation.value[x]");
    assert_eq!(
        fhir()
            .element("Observation.valueString")
            .unwrap()
            .single_type(),
        Some("string")
    );
    let unit = fhir().element("Observation.valueQuantity.unit").unwrap();
    assert_eq!(unit.definition.path(), "Quantity.unit");
    assert!(matches!(
        fhir().element("Observation.value.unit"),
        Err(LookupError::ChoiceNotNarrowed { .. })
    ));
    assert!(matches!(
        fhir().element("Observation.valueFoo"),
        Err(LookupError::UnknownElement { .. })
    ));
}

#[test]
fn paths_resolve_through_datatypes() {
    let g = fhir().element("Patient.name.given").unwrap();
    assert_eq!(g.owner.name(), "HumanName");
    assert_eq!(g.single_type(), Some("string"));
    assert_eq!(g.cardinality().to_string(), "0..*");
    assert!(g.ancestor_repeats);
    let s = fhir().element("Encounter.period.start").unwrap();
    assert_eq!(s.single_type(), Some("dateTime"));
    assert_eq!(s.definition.path(), "Period.start");
    assert!(!s.ancestor_repeats);
    let u = fhir().element("Patient.name.use").unwrap();
    assert_eq!(codes(u.binding().unwrap().value_set).len(), 7);
}

#[test]
fn backbone_children_and_reference_targets() {
    let l = fhir().element("Encounter.location.location").unwrap();
    assert_eq!(l.single_type(), Some("Reference"));
    assert_eq!(l.types()[0].targets(), ["Location"]);
    assert_eq!(l.cardinality().to_string(), "1..1");
    let gp = fhir().element("Patient.generalPractitioner").unwrap();
    assert_eq!(
        gp.types()[0].targets(),
        ["Organization", "Practitioner", "PractitionerRole"]
    );
}

#[test]
fn questionnaire_item_item_follows_content_reference() {
    let e = fhir().element("Questionnaire.item.item").unwrap();
    assert_eq!(
        e.definition.content_reference(),
        Some("#Questionnaire.item")
    );
    assert!(e.types().is_empty());
    let id = fhir()
        .element("Questionnaire.item.item.item.linkId")
        .unwrap();
    assert_eq!(id.single_type(), Some("string"));
    assert_eq!(id.cardinality().to_string(), "1..1");
}

#[test]
fn choice_of_patient_deceased() {
    let e = fhir().element("Patient.deceasedDateTime").unwrap();
    assert_eq!(e.single_type(), Some("dateTime"));
    assert_eq!(
        fhir().element("Patient.deceased[x]").unwrap().types().len(),
        2
    );
}

#[test]
fn resources_and_datatypes() {
    let f = fhir();
    assert!(f.is_resource("Patient"));
    assert!(!f.is_resource("HumanName"));
    assert!(matches!(
        f.resource("HumanName"),
        Err(LookupError::NotAResource { .. })
    ));
    assert_eq!(f.type_def("HumanName").unwrap().kind(), TypeKind::Complex);
    assert_eq!(
        f.resource("Patient").unwrap().base(),
        Some("DomainResource")
    );
    assert!(f.is_primitive("date"));
    // profiles-resources.json: 146 non-abstract resource SDs (MetadataResource included) plus
    // the abstract Resource and DomainResource.
    assert_eq!(f.resources().filter(|r| !r.is_abstract()).count(), 146);
    assert_eq!(f.resources().count(), 148);
}

#[test]
fn primitive_regexes() {
    let f = fhir();
    let date = f.type_def("date").unwrap().regex().unwrap();
    assert!(date.starts_with("([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"));
    assert_eq!(f.type_def("boolean").unwrap().regex(), Some("true|false"));
    assert_eq!(
        f.type_def("id").unwrap().regex(),
        Some("[A-Za-z0-9\\-\\.]{1,64}")
    );
    assert_eq!(f.type_def("xhtml").unwrap().regex(), None);
}

#[test]
fn quantity_comparator_required() {
    assert_eq!(
        codes("http://hl7.org/fhir/ValueSet/quantity-comparator"),
        ["<", "<=", ">=", ">"]
    );
}

#[test]
fn external_value_sets_are_not_enumerable() {
    let vs = fhir()
        .value_set("http://hl7.org/fhir/ValueSet/ucum-units")
        .unwrap();
    assert!(!vs.is_enumerable());
    assert!(
        vs.not_enumerable_reason()
            .unwrap()
            .contains("unitsofmeasure")
    );
    assert_eq!(vs.codes().count(), 0);
    assert!(
        !fhir()
            .value_set("http://hl7.org/fhir/ValueSet/mimetypes")
            .unwrap()
            .is_enumerable()
    );
}

#[test]
fn fhir_misses_suggest() {
    let e = fhir().element("Patient.gendr").unwrap_err();
    let LookupError::UnknownElement {
        parent,
        suggestions,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(parent, "Patient");
    assert_eq!(suggestions.first().map(String::as_str), Some("gender"));
    let e = fhir().element("Pateint.name").unwrap_err();
    let LookupError::UnknownType { suggestions, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(suggestions.contains(&"Patient".to_owned()));
    let e = fhir().element("Observation.valueQuantty").unwrap_err();
    assert!(e.to_string().contains("valueQuantity"), "{e}");
    let kids = fhir().children("Patient.name").unwrap();
    assert!(kids.iter().any(|k| k.name() == "family"));
}
