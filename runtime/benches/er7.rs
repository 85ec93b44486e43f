//! ER7 reader throughput on a generated corpus of ADT^A01 (~1.8 KB) and
//! ORU^R01 (~4.5 KB) messages.
//!
//! `CARGO_TARGET_DIR=target-er7 cargo bench -p ferry-runtime --bench er7`
//!
//! - `index`: split the message into segments and fields (the flat offset
//!   index); the per-message work every read starts with.
//! - `index+30`: index, then read 30 values through field → repetition →
//!   component → subcomponent accessors, `text()` included (unescaping where
//!   an escape occurs, as in real names and notes).

// Benchmark harness code: a failed unwrap is a broken benchmark.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ferry_runtime::er7::{Message, MessageIndex};

/// A tiny deterministic generator so every message differs a little.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + (self.next() % 10) as u8))
            .collect()
    }
    /// A 2024 DTM to the minute, seconds 00, e.g. `20240317094500`.
    fn timestamp(&mut self) -> String {
        format!(
            "2024{:02}{:02}{:02}{:02}00",
            1 + self.next() % 12,
            1 + self.next() % 28,
            self.next() % 24,
            self.next() % 60
        )
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() as usize) % xs.len()]
    }
}

const FAMILY: &[&str] = &[
    "Smith",
    "O'Brien",
    "Nguyen",
    "Garcia\\T\\Lopez",
    "Müller",
    "Johnson-Lee",
    "Van Der Berg",
];
const GIVEN: &[&str] = &[
    "Ann",
    "John",
    "Maria",
    "Wei",
    "Olu\\S\\Jr",
    "Fatima",
    "Jean-Paul",
];

fn adt_a01(r: &mut Lcg, n: usize) -> String {
    let mrn = r.digits(8);
    let ts = r.timestamp();
    let fam = r.pick(FAMILY);
    let giv = r.pick(GIVEN);
    let mut m = String::new();
    m += &format!(
        "MSH|^~\\&|EPICADT|GOOD HEALTH HOSPITAL|SMS|GOOD HEALTH HOSPITAL|{ts}||ADT^A01^ADT_A01|MSG{n:08}|P|2.5.1|||AL|NE||UNICODE UTF-8\r"
    );
    m += &format!("EVN|A01|{ts}|||JOHNSON^JOHN^J^^^^DR^^^^^^^^^^^^MD|{ts}\r");
    m += &format!(
        "PID|1||{mrn}^^^GHH^MR^GHH~{}^^^USSSA^SS||{fam}^{giv}^Q^Jr^^^L||19{}0{}1{}|{}|||{} MAIN STREET^APT {}^GREENSBORO^NC^27401-1020^USA^H||(555)555-{}^PRN^PH^^1^555^555{}~^NET^Internet^patient{}@example.org|(555)555-{}^WPN^PH|EN^English^ISO639|M^Married^HL70002|CHR^Christian^HL70006|{}^^^GHH^AN|{}-{}-{}|||N^Not Hispanic^HL70189\r",
        r.digits(9),
        r.digits(1),
        1 + r.next() % 9,
        r.digits(1),
        r.pick(&["M", "F", "U"]),
        r.digits(4),
        r.digits(3),
        r.digits(4),
        r.digits(4),
        r.digits(3),
        r.digits(4),
        r.digits(10),
        r.digits(3),
        r.digits(2),
        r.digits(4)
    );
    m += "PD1|||GOOD HEALTH CLINIC^^1234|1234567890^PRIMARY^PAT^^^^^^NPI\r";
    m += &format!(
        "NK1|1|{fam}^Barbara^J|SPO^Spouse^HL70063|{} MAIN STREET^^GREENSBORO^NC^27401^USA|(555)555-{}||EC^Emergency Contact^HL70131\r",
        r.digits(4),
        r.digits(4)
    );
    m += &format!(
        "NK1|2|{}^Thomas|CHD^Child^HL70063|||(555)555-{}||EC^Emergency Contact^HL70131\r",
        r.pick(FAMILY),
        r.digits(4)
    );
    m += &format!(
        "PV1|1|I|2000^2012^01^GHH^^^^^2000 WEST||||{}^ATTEND^AARON^A^^^DR^^^^^^^^^^^^MD|{}^REFER^RACHEL^^^^DR|{}^CONSULT^CONNOR^^^^DR|SUR||||ADM|A0|||{}^ATTEND^AARON^A|IP|{}^^^GHH^VN|||||||||||||||||||||||||{ts}\r",
        r.digits(6),
        r.digits(6),
        r.digits(6),
        r.digits(6),
        r.digits(9)
    );
    m += "PV2|||^Chest pain, rule out myocardial infarction\\.br\\Observation requested\r";
    m += &format!(
        "OBX|1|NM|8302-2^Body height^LN||{}|cm^centimeter^UCUM|||||F|||{ts}\r",
        150 + r.next() % 50
    );
    m += &format!(
        "OBX|2|NM|29463-7^Body weight^LN||{}.{}|kg^kilogram^UCUM|||||F|||{ts}\r",
        50 + r.next() % 60,
        r.digits(1)
    );
    m += "AL1|1|DA|1605^Penicillin^RXNORM|SV|Hives \\T\\ anaphylaxis|20190101\r";
    m += "AL1|2|FA|256349002^Peanuts^SCT|MO|Rash|20150315\r";
    m += &format!(
        "DG1|1|I10|I21.4^Non-ST elevation (NSTEMI) myocardial infarction^I10|||A|||||||||1|{}^ATTEND^AARON^A\r",
        r.digits(6)
    );
    m += "DG1|2|I10|E11.9^Type 2 diabetes mellitus without complications^I10|||W\r";
    m += &format!(
        "GT1|1||{fam}^{giv}^Q||{} MAIN STREET^^GREENSBORO^NC^27401^USA|(555)555-{}||19700101|M||SEL^Self^HL70063\r",
        r.digits(4),
        r.digits(4)
    );
    m += &format!(
        "IN1|1|PPO^Preferred Provider^HL70072|{}|BLUE CROSS BLUE SHIELD^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^|PO BOX 1234^^RALEIGH^NC^27601^USA||(800)555-{}|GRP{}|||||20240101|20241231|||{fam}^{giv}^Q|SEL^Self^HL70063|19700101|{} MAIN STREET^^GREENSBORO^NC^27401^USA|||||||||||||||||{}\r",
        r.digits(5),
        r.digits(4),
        r.digits(6),
        r.digits(4),
        r.digits(12)
    );
    m
}

fn oru_r01(r: &mut Lcg, n: usize) -> String {
    let ts = r.timestamp();
    let fam = r.pick(FAMILY);
    let giv = r.pick(GIVEN);
    let mut m = String::new();
    m += &format!(
        "MSH|^~\\&|LABSYS|CENTRAL LAB^2.16.840.1.113883.19.4.6^ISO|EHR|GOOD HEALTH HOSPITAL|{ts}||ORU^R01^ORU_R01|LAB{n:08}|P|2.5.1|||NE|NE|USA|UNICODE UTF-8\r"
    );
    m += &format!(
        "PID|1||{}^^^GHH^MR||{fam}^{giv}^Q||19{}0{}1{}|{}|||{} ELM ST^^DURHAM^NC^27701^USA||(919)555-{}\r",
        r.digits(8),
        r.digits(1),
        1 + r.next() % 9,
        r.digits(1),
        r.pick(&["M", "F"]),
        r.digits(4),
        r.digits(4)
    );
    m += &format!(
        "PV1|1|O|LAB^^^CENTRAL LAB||||{}^ORDER^OLIVIA^^^^DR\r",
        r.digits(6)
    );
    m += &format!(
        "ORC|RE|{}^EHR|{}^LAB||CM||||{ts}|||{}^ORDER^OLIVIA^^^^DR\r",
        r.digits(8),
        r.digits(8),
        r.digits(6)
    );
    m += &format!(
        "OBR|1|{}^EHR|{}^LAB|24323-8^Comprehensive metabolic 2000 panel - Serum or Plasma^LN|||{ts}|||||||{ts}|SER^Serum|{}^ORDER^OLIVIA^^^^DR||||||{ts}|||F\r",
        r.digits(8),
        r.digits(8),
        r.digits(6)
    );
    let tests: &[(&str, &str, &str, &str)] = &[
        (
            "2345-7",
            "Glucose [Mass/volume] in Serum or Plasma",
            "mg/dL",
            "70-99",
        ),
        (
            "3094-0",
            "Urea nitrogen [Mass/volume] in Serum or Plasma",
            "mg/dL",
            "7-20",
        ),
        (
            "2160-0",
            "Creatinine [Mass/volume] in Serum or Plasma",
            "mg/dL",
            "0.6-1.3",
        ),
        (
            "2951-2",
            "Sodium [Moles/volume] in Serum or Plasma",
            "mmol/L",
            "136-145",
        ),
        (
            "2823-3",
            "Potassium [Moles/volume] in Serum or Plasma",
            "mmol/L",
            "3.5-5.1",
        ),
        (
            "2075-0",
            "Chloride [Moles/volume] in Serum or Plasma",
            "mmol/L",
            "98-107",
        ),
        (
            "2028-9",
            "Carbon dioxide, total [Moles/volume] in Serum or Plasma",
            "mmol/L",
            "21-31",
        ),
        (
            "17861-6",
            "Calcium [Mass/volume] in Serum or Plasma",
            "mg/dL",
            "8.6-10.3",
        ),
        (
            "2885-2",
            "Protein [Mass/volume] in Serum or Plasma",
            "g/dL",
            "6.4-8.9",
        ),
        (
            "1751-7",
            "Albumin [Mass/volume] in Serum or Plasma",
            "g/dL",
            "3.5-5.7",
        ),
        (
            "1975-2",
            "Bilirubin.total [Mass/volume] in Serum or Plasma",
            "mg/dL",
            "0.3-1.0",
        ),
        (
            "6768-6",
            "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma",
            "U/L",
            "34-104",
        ),
        (
            "1920-8",
            "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
            "U/L",
            "13-39",
        ),
        (
            "1742-6",
            "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
            "U/L",
            "7-52",
        ),
    ];
    for (i, (code, name, unit, range)) in tests.iter().enumerate() {
        let flag = r.pick(&["N", "N", "N", "H", "L"]);
        m += &format!(
            "OBX|{}|NM|{code}^{name}^LN||{}.{}|{unit}^{unit}^UCUM|{range}|{flag}|||F|||{ts}|CENTRAL LAB^^^^^^^^^2.16.840.1.113883.19.4.6|||||{ts}||||CENTRAL LAB^L^^^^CLIA\\T\\2.16.840.1.113883.4.7^NPI\r",
            i + 1,
            r.next() % 200,
            r.digits(1)
        );
        if i % 5 == 4 {
            m += &format!(
                "NTE|{}|L|Result verified by repeat analysis\\.br\\Reference range \\T\\ units per \\F\\CLSI\\F\\ guideline {}|RE^Remark^HL70364\r",
                i / 5 + 1,
                r.digits(3)
            );
        }
    }
    m
}

fn corpus(make: fn(&mut Lcg, usize) -> String, count: usize) -> Vec<Vec<u8>> {
    let mut r = Lcg(42);
    (0..count).map(|n| make(&mut r, n).into_bytes()).collect()
}

/// 30 values of an ADT^A01, as a Patient+Encounter map would read them.
fn read_adt(msg: &Message<'_>) -> usize {
    let mut n = 0;
    let mut take = |s: &str| n += s.len();
    let msh = msg.segment("MSH", 1).unwrap();
    for f in [3, 4, 7, 10, 12] {
        take(&msh.field(f).text());
    }
    take(&msh.field(9).component(1).text());
    take(&msh.field(9).component(2).text());
    let pid = msg.segment("PID", 1).unwrap();
    for rep in pid.field(3).repetitions() {
        take(&rep.component(1).text());
        take(&rep.component(5).text());
    }
    let name = pid.field(5).repetition(1);
    for c in 1..=4 {
        take(&name.component(c).text());
    }
    take(&pid.field(7).text());
    take(&pid.field(8).text());
    let addr = pid.field(11).repetition(1);
    for c in 1..=5 {
        take(&addr.component(c).text());
    }
    take(&pid.field(13).repetition(1).component(1).text());
    let pv1 = msg.segment("PV1", 1).unwrap();
    take(&pv1.field(2).text());
    take(&pv1.field(3).component(1).text());
    take(&pv1.field(7).component(2).text());
    take(&pv1.field(19).component(1).text());
    take(&pv1.field(44).text());
    take(&msg.segment("PV2", 1).unwrap().field(3).component(2).text());
    n
}

/// 30 values of an ORU^R01: header, patient, order, then results.
fn read_oru(msg: &Message<'_>) -> usize {
    let mut n = 0;
    let mut take = |s: &str| n += s.len();
    let msh = msg.segment("MSH", 1).unwrap();
    for f in [3, 7, 10] {
        take(&msh.field(f).text());
    }
    take(&msh.field(4).component(1).text());
    take(&msh.field(9).component(2).text());
    let pid = msg.segment("PID", 1).unwrap();
    take(&pid.field(3).component(1).text());
    take(&pid.field(5).component(1).text());
    take(&pid.field(5).component(2).text());
    take(&pid.field(7).text());
    take(&pid.field(8).text());
    let obr = msg.segment("OBR", 1).unwrap();
    take(&obr.field(4).component(1).text());
    take(&obr.field(4).component(2).text());
    take(&obr.field(7).text());
    take(&obr.field(25).text());
    for obx in msg.segments_named("OBX").take(7) {
        take(&obx.field(3).component(1).text());
        take(&obx.field(5).text());
    }
    take(&msg.segment("NTE", 1).unwrap().field(3).text());
    take(
        &msg.segment("OBX", 1)
            .unwrap()
            .field(23)
            .component(6)
            .subcomponent(2)
            .text(),
    );
    n
}

fn bench_kind(c: &mut Criterion, name: &str, msgs: &[Vec<u8>], read: fn(&Message<'_>) -> usize) {
    let bytes: usize = msgs.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group(format!("er7/{name}"));
    g.throughput(Throughput::Bytes(bytes as u64));
    let mut ix = MessageIndex::new();
    g.bench_function("index", |b| {
        b.iter(|| {
            let mut segs = 0;
            for m in msgs {
                segs += ix.parse(black_box(m)).unwrap().segment_count();
            }
            segs
        })
    });
    g.bench_function("index+30", |b| {
        b.iter(|| {
            let mut total = 0;
            for m in msgs {
                let msg = ix.parse(black_box(m)).unwrap();
                total += read(&msg);
            }
            total
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let adt = corpus(adt_a01, 500);
    let oru = corpus(oru_r01, 200);
    // The reads succeed and see what was generated.
    let mut ix = MessageIndex::new();
    assert!(read_adt(&ix.parse(&adt[0]).unwrap()) > 100);
    assert!(read_oru(&ix.parse(&oru[0]).unwrap()) > 100);
    let avg = |v: &[Vec<u8>]| v.iter().map(Vec::len).sum::<usize>() / v.len();
    eprintln!(
        "ADT^A01 average {} bytes, ORU^R01 average {} bytes",
        avg(&adt),
        avg(&oru)
    );
    bench_kind(c, "adt_a01", &adt, read_adt);
    bench_kind(c, "oru_r01", &oru, read_oru);
}

criterion_group!(er7, benches);
criterion_main!(er7, floor);

fn floors(c: &mut Criterion) {
    let adt = corpus(adt_a01, 500);
    let bytes: usize = adt.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("floor");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("utf8", |b| {
        b.iter(|| {
            adt.iter()
                .filter(|m| std::str::from_utf8(black_box(m)).is_ok())
                .count()
        })
    });
    g.bench_function("memchr3", |b| {
        b.iter(|| {
            adt.iter()
                .map(|m| memchr::memchr3_iter(b'|', b'\r', b'\n', black_box(m)).count())
                .sum::<usize>()
        })
    });
    g.finish();
}
criterion_group!(floor, floors);
