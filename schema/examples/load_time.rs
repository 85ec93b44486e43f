//! Prints how long the first use of one HL7 v2 version and of FHIR R4 takes in this process
//! (parse + index of the embedded data), and the embedded data's size.
//! `cargo run --release -p ferry-schema --example load_time [VERSION]`
#![allow(clippy::unwrap_used, reason = "example")]

use std::time::Instant;

use ferry_schema::{Hl7Version, fhir_r4, hl7v2};

fn main() {
    let version: Hl7Version = std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("2.5.1")
        .parse()
        .unwrap();
    let t = Instant::now();
    let v2 = hl7v2(version).unwrap();
    let v2_time = t.elapsed();
    let t = Instant::now();
    let fhir = fhir_r4().unwrap();
    let fhir_time = t.elapsed();
    println!(
        "hl7v2 {version}: {:.2} ms ({} structures); fhir r4: {:.2} ms ({} types); total {:.2} ms",
        v2_time.as_secs_f64() * 1e3,
        v2.structures().len(),
        fhir_time.as_secs_f64() * 1e3,
        fhir.types().len(),
        (v2_time + fhir_time).as_secs_f64() * 1e3,
    );
}
