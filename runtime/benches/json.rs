//! FHIR JSON writer and reader throughput, and the DTM conversion.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ferry_runtime::convert::{Decimal, TimeZone, date, date_time};
use ferry_runtime::id::resource_id;
use ferry_runtime::json::{JsonWriter, Style, read};

/// Roughly what a generated PID → Patient mapping writes.
fn write_patient(out: &mut Vec<u8>, mrn: &str) {
    let mut w = JsonWriter::new(out, Style::Compact);
    let p = w.begin_object();
    w.member_str("resourceType", "Patient");
    let id = resource_id("Patient", &["urn:oid:1.2.3", mrn]).unwrap();
    w.member_str("id", id.text().as_str());
    let ids = w.member_array("identifier");
    let i = w.begin_object();
    w.member_str("system", "urn:oid:1.2.3");
    w.member_str("value", mrn);
    let t = w.member_object("type");
    w.member_str("text", "");
    w.end(t);
    w.end(i);
    w.end(ids);
    let names = w.member_array("name");
    let n = w.begin_object();
    w.member_str("family", "Everyman");
    let g = w.member_array("given");
    w.item_str("Adam");
    w.item_str("A");
    w.end(g);
    w.end(n);
    w.end(names);
    w.member_str("gender", "male");
    w.member_str("birthDate", date("19610615").unwrap().as_str());
    w.member_decimal("x", &Decimal::from_nm("+1.50").unwrap());
    let a = w.member_array("address");
    let addr = w.begin_object();
    w.member_str("line", "");
    w.end(addr);
    w.end(a);
    w.end(p);
}

fn bench(c: &mut Criterion) {
    let mut out = Vec::with_capacity(4096);
    c.bench_function("write_patient", |b| {
        b.iter(|| {
            out.clear();
            write_patient(&mut out, black_box("123456"));
            black_box(out.len())
        })
    });

    let ny = TimeZone::get("America/New_York").unwrap();
    c.bench_function("date_time_with_zone", |b| {
        b.iter(|| date_time(black_box("20241103013000"), Some(&ny)).unwrap())
    });

    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/expected/microsoft-fhir-converter/ADT_A01/ADT-A01-01-expected.json"
    );
    if let Ok(bundle) = std::fs::read(path) {
        let mut group = c.benchmark_group("read");
        group.throughput(Throughput::Bytes(bundle.len() as u64));
        group.bench_function("adt_a01_bundle", |b| {
            b.iter(|| read(black_box(&bundle)).unwrap())
        });
        let tree = read(&bundle).unwrap();
        group.bench_function("rewrite_adt_a01_bundle", |b| {
            b.iter(|| tree.to_json(Style::Compact))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
