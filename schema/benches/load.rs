//! Cost of the embedded schema: parse + index one HL7 v2 version and FHIR R4 from the embedded
//! JSON, as the first `ferry check` of a process pays it. Target: both under 20 ms.
#![allow(clippy::unwrap_used, reason = "benchmark setup")]

use criterion::{Criterion, criterion_group, criterion_main};
use ferry_schema::{Hl7Version, parse_fhir_r4_uncached, parse_hl7v2_uncached};

fn load(c: &mut Criterion) {
    c.bench_function("hl7v2 2.5.1", |b| {
        b.iter(|| parse_hl7v2_uncached(Hl7Version::V2_5_1).unwrap())
    });
    c.bench_function("hl7v2 2.8", |b| {
        b.iter(|| parse_hl7v2_uncached(Hl7Version::V2_8).unwrap())
    });
    c.bench_function("fhir r4", |b| b.iter(|| parse_fhir_r4_uncached().unwrap()));
    c.bench_function("hl7v2 2.5.1 + fhir r4", |b| {
        b.iter(|| {
            (
                parse_hl7v2_uncached(Hl7Version::V2_5_1).unwrap(),
                parse_fhir_r4_uncached().unwrap(),
            )
        })
    });
}

criterion_group!(benches, load);
criterion_main!(benches);
