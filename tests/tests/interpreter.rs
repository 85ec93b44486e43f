//! The interpreter's semantics on real-shaped messages: built-in
//! conversions and the contracts it checks at run time.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use ferry_compiler::interp::{Interpreter, Options};
use ferry_compiler::run::{Converter, Document};

fn convert(
    spec: &str,
    map: &str,
    message: &str,
    zone: Option<&str>,
) -> Result<serde_json::Value, String> {
    let compiled = ferry_compiler::check::compile("t.ferry", spec.as_bytes())
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let (id, _) = compiled.program.map_named(map).unwrap();
    let time_zone = zone.map(|z| ferry_runtime::convert::TimeZone::get(z).unwrap());
    let interp = Interpreter::new(&compiled.program, id, Options { time_zone });
    let doc = Document {
        file: Path::new("t.hl7"),
        ordinal: 1,
        offset: 0,
        bytes: message.as_bytes(),
    };
    let mut out = Vec::new();
    interp
        .convert(&doc, &mut out)
        .map_err(|r| format!("{} {}", r.code, r.reason))?;
    Ok(serde_json::from_slice(&out).unwrap())
}

const ENCOUNTER: &str = r#"use hl7v2 "2.5.1"
use fhir "R4"

map enc: ADT_A01 -> Encounter {
  status = "finished"
  class.code = "AMB"
  period.start = datetime(PV1-44, "Europe/Berlin")
  period.end = datetime(PV1-45[1])
}
"#;

/// An ADT^A01 whose PV1-44 and PV1-45 carry no offset.
fn adt() -> String {
    let mut pv1 = vec![""; 46];
    pv1[1] = "1";
    pv1[2] = "O";
    pv1[19] = "V1";
    pv1[44] = "20240701093000";
    pv1[45] = "20240701101500";
    format!(
        "MSH|^~\\&|A|B|C|D|20240701||ADT^A01|1|P|2.5.1\rEVN|A01|20240701\rPID|1||42^^^H^MR\rPV1|{}\r",
        pv1[1..].join("|")
    )
}

#[test]
fn the_call_zone_wins_over_the_run_zone() {
    let out = convert(ENCOUNTER, "enc", &adt(), Some("America/New_York")).unwrap();
    // PV1-44 is read in Berlin (CEST, +02:00); PV1-45 in the run's zone (EDT).
    assert_eq!(out["period"]["start"], "2024-07-01T09:30:00+02:00");
    assert_eq!(out["period"]["end"], "2024-07-01T10:15:00-04:00");
}

#[test]
fn without_any_zone_a_time_without_offset_is_rejected() {
    let err = convert(ENCOUNTER, "enc", &adt(), None).unwrap_err();
    assert!(err.starts_with("CONVERT"), "{err}");
}

#[test]
fn tm_becomes_a_fhir_time() {
    let spec = r#"use hl7v2 "2.5.1"
use fhir "R4"

map obs: ORU_R01 -> Observation {
  status = "final"
  code.text = OBSERVATION.OBX[1]-3.2
  valueTime = time(OBSERVATION.OBX[1]-5[1])
}
"#;
    let message = "MSH|^~\\&|A|B|C|D|20240701||ORU^R01|1|P|2.5.1\rPID|1||42^^^H^MR\rOBR|1||F1|1^Panel\rOBX|1|TM|2^Draw time||0830|||||F\r";
    let out = convert(spec, "obs", message, None).unwrap();
    assert_eq!(out["valueTime"], "08:30:00");
    let bad = message.replace("|0830|", "|2460|");
    assert!(
        convert(spec, "obs", &bad, None)
            .unwrap_err()
            .starts_with("CONVERT")
    );
}

const DOTTED: &str = r#"use hl7v2 "2.5.1"
use fhir "R4"

map b: ADT_A01 -> Bundle {
  type = "transaction"
  entry[] {
    resource = p(PID)
    request.method = "PUT"
    request.url = PID-3[1].1
  }
  when valued(PID-3[2].1) {
    entry[] {
      fullUrl = concat("urn:x:", PID-3[2].1)
    }
  }
}

map p: PID -> Patient {
  birthDate = date(PID-7)
}
"#;

#[test]
fn objects_made_by_dotted_targets_hold_their_required_elements() {
    let with_id =
        "MSH|^~\\&|A|B|C|D|20240701||ADT^A01|1|P|2.5.1\rPID|1||42^^^H^MR||Doe^Jo||19800101\r";
    let out = convert(DOTTED, "b", with_id, None).unwrap();
    assert_eq!(out["entry"][0]["request"]["url"], "42");
    // `request` is made (method is a constant) but its required url is absent.
    let without_id = "MSH|^~\\&|A|B|C|D|20240701||ADT^A01|1|P|2.5.1\rPID|1||||Doe^Jo||19800101\r";
    let err = convert(DOTTED, "b", without_id, None).unwrap_err();
    assert!(err.contains("Bundle.entry.request.url"), "{err}");
    // An entry without `request` at all is not asked for its url.
    let second = "MSH|^~\\&|A|B|C|D|20240701||ADT^A01|1|P|2.5.1\rPID|1||42^^^H^MR~7^^^H^PI||Doe^Jo||19800101\r";
    let out = convert(DOTTED, "b", second, None).unwrap();
    assert_eq!(out["entry"][1]["fullUrl"], "urn:x:7");
}

/// A map run on its own reads its one source, or, of several sources,
/// each the first segment of its id; several sources that are not all
/// segments cannot be read on their own, and every message is rejected
/// saying so, not converted with sources left empty.
#[test]
fn a_map_of_several_sources_runs_on_its_own_only_over_segments() {
    let spec = r#"use hl7v2 "2.5.1"
use fhir "R4"

map segments: PV1, MSH -> Encounter {
  status = "finished"
  class.code = PV1-2
  identifier[] {
    value = MSH-10
  }
}

map mixed: PV1, ADT_A01 -> Encounter {
  status = "finished"
  class.code = PV1-2
}
"#;
    let converted = convert(spec, "segments", &adt(), None).unwrap();
    assert_eq!(converted["class"]["code"], "O");
    assert_eq!(converted["identifier"][0]["value"], "1");
    let rejected = convert(spec, "mixed", &adt(), None).unwrap_err();
    assert!(
        rejected.starts_with(
            "NO-SOURCE a map of several sources runs on its own only when every source is a segment"
        ),
        "{rejected}"
    );
}
