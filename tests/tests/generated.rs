//! The generated transformers (compiled from every spec in `specs/` by this
//! crate's `build.rs`, through `ferry_compiler::Build`) against the
//! interpreter: on every shared sample, on the spec examples, on those
//! real messages damaged as feeds damage them or sent with other
//! delimiters, and on messages generated from the message structures, the
//! generated code writes the interpreter's bytes, or rejects with the
//! interpreter's rejection (code, location, reason and value).
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// `Rejection` is the error of the interface under test.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use ferry_compiler::interp::Interpreter;
use ferry_compiler::ir::Program;
use ferry_compiler::run::{Converter, Document, InputKind};
use ferry_runtime::convert::TimeZone;
use ferry_runtime::{Options, Outcome, Rejection};
use ferry_tests::direct_texts::texts;
use ferry_tests::generated::{adt_a01, oru_r01, session};
use ferry_tests::member_writes::members;
use ferry_tests::messages::Generator;
use ferry_tests::streamed::stream;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

type Entry = fn(&[u8], &mut Vec<u8>, &Options) -> Result<Outcome, Rejection>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn program(spec: &str) -> Program {
    let path = root().join("specs").join(spec);
    ferry_compiler::check::compile(spec, &std::fs::read(path).unwrap())
        .unwrap_or_else(|f| panic!("{spec}: {:?}", f.diagnostics))
        .program
}

/// The plain plans, where every rule computes what it reads (no
/// `ir::hoist` sharing), which the shared ones are held to.
fn plain_program(spec: &str) -> Program {
    let path = root().join("specs").join(spec);
    ferry_compiler::check::compile_plain(spec, &std::fs::read(path).unwrap())
        .unwrap_or_else(|f| panic!("{spec}: {:?}", f.diagnostics))
        .program
}

static ADT_PLAIN: LazyLock<Program> = LazyLock::new(|| plain_program("hl7v2/adt_a01.ferry"));
static ORU_PLAIN: LazyLock<Program> = LazyLock::new(|| plain_program("hl7v2/oru_r01.ferry"));
static ADT: LazyLock<Program> = LazyLock::new(|| program("hl7v2/adt_a01.ferry"));
static ORU: LazyLock<Program> = LazyLock::new(|| program("hl7v2/oru_r01.ferry"));
static SESSION: LazyLock<Program> = LazyLock::new(|| program("telehealth/session.ferry"));
static MEMBERS: LazyLock<Program> = LazyLock::new(|| codegen_program("members.ferry"));
static STREAM: LazyLock<Program> = LazyLock::new(|| codegen_program("stream.ferry"));
static TEXTS: LazyLock<Program> = LazyLock::new(|| codegen_program("texts.ferry"));

fn codegen_program(name: &str) -> Program {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("codegen")
        .join(name);
    ferry_compiler::check::compile(name, &std::fs::read(path).unwrap())
        .unwrap_or_else(|f| panic!("{name}: {:?}", f.diagnostics))
        .program
}

fn options(zone: bool) -> Options {
    Options {
        time_zone: zone.then(|| TimeZone::get("America/New_York").unwrap()),
    }
}

/// The interpreter's result for one document (message 1 of its input, as
/// the generated entry points report).
fn interpret(
    program: &Program,
    map: &str,
    bytes: &[u8],
    options: &Options,
) -> Result<Vec<u8>, Rejection> {
    let (id, _) = program.map_named(map).unwrap();
    let interp = Interpreter::new(program, id, options.clone());
    let doc = Document {
        file: Path::new("input"),
        ordinal: 1,
        offset: 0,
        bytes,
    };
    let mut out = Vec::new();
    interp.convert(&doc, &mut out).map(|()| out)
}

/// The generated code's result; output appended after a prefix, which a
/// rejection must leave as it was.
fn generate(entry: Entry, bytes: &[u8], options: &Options) -> Result<Vec<u8>, Rejection> {
    let prefix = b"kept:";
    let mut out = prefix.to_vec();
    match entry(bytes, &mut out, options) {
        Ok(outcome) => {
            assert_eq!(outcome.written, out.len() - prefix.len());
            Ok(out.split_off(prefix.len()))
        }
        Err(rejection) => {
            assert_eq!(out, prefix, "a rejection leaves the output as it was");
            Err(rejection)
        }
    }
}

/// Both results, asserted equal; returns whether the document converted.
fn same(
    program: &Program,
    map: &str,
    entry: Entry,
    bytes: &[u8],
    options: &Options,
) -> Result<bool, TestCaseError> {
    let expected = interpret(program, map, bytes, options);
    let actual = generate(entry, bytes, options);
    agree(&expected, &actual, ["interpreter", "generated"])?;
    Ok(expected.is_ok())
}

/// Two executions' results, asserted equal: the same bytes, or the same
/// rejection with the same value. `names` label them in a failure.
fn agree(
    expected: &Result<Vec<u8>, Rejection>,
    actual: &Result<Vec<u8>, Rejection>,
    names: [&str; 2],
) -> Result<(), TestCaseError> {
    let [first, second] = names;
    match (expected, actual) {
        (Ok(e), Ok(a)) => prop_assert!(
            e == a,
            "outputs differ\n{}: {}\n{}: {}",
            first,
            String::from_utf8_lossy(e),
            second,
            String::from_utf8_lossy(a)
        ),
        (Err(e), Err(a)) => {
            prop_assert_eq!(e, a);
            prop_assert_eq!(e.value(), a.value());
        }
        _ => prop_assert!(
            false,
            "one converted, one rejected\n{}: {:?}\n{}: {:?}",
            first,
            expected
                .as_ref()
                .map(|o| String::from_utf8_lossy(o).into_owned()),
            second,
            actual
                .as_ref()
                .map(|o| String::from_utf8_lossy(o).into_owned())
        ),
    }
    Ok(())
}

// ------------------------------------------------------------ real samples

fn shared() -> PathBuf {
    ferry_tests::shared::dir()
}

/// The manifest's ER7 samples of these structures.
fn samples(types: &[&str]) -> Vec<PathBuf> {
    ferry_tests::shared::er7_samples(types)
        .iter()
        .map(|file| shared().join(file))
        .collect()
}

fn every_sample(program: &Program, map: &str, entry: Entry, types: &[&str]) -> (usize, usize) {
    let (mut messages, mut converted) = (0, 0);
    for path in samples(types) {
        let bytes = std::fs::read(&path).unwrap();
        for message in ferry_runtime::er7::split_messages(&bytes) {
            let message = message.unwrap();
            messages += 1;
            let ok = same(program, map, entry, message.bytes, &options(true))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            converted += usize::from(ok);
        }
    }
    (messages, converted)
}

#[test]
fn generated_adt_matches_the_interpreter_on_every_shared_sample() {
    if !shared().exists() {
        eprintln!("shared data not found at {}: skipped", shared().display());
        return;
    }
    let (messages, converted) = every_sample(
        &ADT,
        "adt_a01",
        adt_a01::adt_a01_with,
        &["ADT_A01", "ADT_A04", "ADT_A08"],
    );
    // As tests/convert.rs: 19 messages, one documented rejection.
    assert_eq!((messages, converted), (19, 18));
}

#[test]
fn generated_oru_matches_the_interpreter_on_every_shared_sample() {
    if !shared().exists() {
        return;
    }
    let (messages, converted) = every_sample(&ORU, "oru_r01", oru_r01::oru_r01_with, &["ORU_R01"]);
    assert_eq!((messages, converted), (8, 8));
}

/// Every ER7 sample of the shared data (178 files of many message types):
/// each message through both HL7 transformers, generated and interpreted
/// alike: the same Bundle, or the same rejection (most are other message
/// types, rejected at MSH-9).
#[test]
fn generated_code_matches_the_interpreter_on_every_shared_er7_sample() {
    if !shared().exists() {
        return;
    }
    let files = ferry_tests::shared::all_er7_samples();
    assert!(files.len() > 150, "{} files", files.len());
    let (mut messages, mut converted) = (0, 0);
    for file in &files {
        let bytes = std::fs::read(shared().join(file)).unwrap();
        for message in ferry_runtime::er7::split_messages(&bytes) {
            let Ok(message) = message else { continue };
            messages += 1;
            for (program, map, entry) in [
                (&*ADT, "adt_a01", adt_a01::adt_a01_with as Entry),
                (&*ORU, "oru_r01", oru_r01::oru_r01_with as Entry),
            ] {
                let ok = same(program, map, entry, message.bytes, &options(true))
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
                converted += usize::from(ok);
            }
        }
    }
    // One message per file; the 26 ADT/ORU conversions of the tests above,
    // and the two ADT^A13 samples (A13 uses the ADT_A01 structure).
    assert_eq!((messages, converted), (178, 28));
}

// ------------------------------------------------- real samples, damaged

/// The real ADT and ORU messages: the spec examples, and the shared
/// samples where they are present.
static REAL_MESSAGES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut files: Vec<PathBuf> = ferry_compiler::run::examples(&root().join("specs/hl7v2"))
        .into_iter()
        .map(|example| example.input)
        .collect();
    files.extend(samples(&["ADT_A01", "ADT_A04", "ADT_A08", "ORU_R01"]));
    let mut messages = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for message in ferry_runtime::er7::split_messages(&bytes) {
            messages.push(message.unwrap().bytes.to_vec());
        }
    }
    messages
});

/// One way a feed damages a message: a run of bytes cut, a byte inserted
/// or changed (often into a delimiter, the escape character or a line
/// end), a segment lost, repeated or moved. Positions are taken
/// modulo the message's length or segment count.
#[derive(Debug, Clone)]
enum Damage {
    Cut { at: usize, len: usize },
    Insert { at: usize, byte: u8 },
    Replace { at: usize, byte: u8 },
    DropSegment(usize),
    RepeatSegment(usize),
    SwapSegments(usize, usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    // Bytes that mean something in ER7 and in the maps' conditions, and
    // now and then any byte.
    let byte = prop_oneof![
        4 => proptest::sample::select(b"|^~\\&\r\nEFSTRX.0123456789MRI \"".to_vec()),
        1 => any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), 1..40usize).prop_map(|(at, len)| Damage::Cut { at, len }),
        (any::<usize>(), byte.clone()).prop_map(|(at, byte)| Damage::Insert { at, byte }),
        (any::<usize>(), byte).prop_map(|(at, byte)| Damage::Replace { at, byte }),
        any::<usize>().prop_map(Damage::DropSegment),
        any::<usize>().prop_map(Damage::RepeatSegment),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Damage::SwapSegments(a, b)),
    ]
}

/// Real message `pick` (modulo their number) with `damages` done to it.
fn damaged(pick: usize, damages: &[Damage]) -> Vec<u8> {
    let mut message = REAL_MESSAGES[pick % REAL_MESSAGES.len()].clone();
    for damage in damages {
        apply(&mut message, damage);
    }
    message
}

fn apply(message: &mut Vec<u8>, damage: &Damage) {
    let len = message.len().max(1);
    match *damage {
        Damage::Cut { at, len: n } => {
            let at = at % len;
            let end = (at + n).min(message.len());
            message.drain(at.min(end)..end);
        }
        Damage::Insert { at, byte } => message.insert(at % (message.len() + 1), byte),
        Damage::Replace { at, byte } => {
            if let Some(b) = message.get_mut(at % len) {
                *b = byte;
            }
        }
        Damage::DropSegment(_) | Damage::RepeatSegment(_) | Damage::SwapSegments(..) => {
            let mut segments: Vec<Vec<u8>> =
                message.split(|&b| b == b'\r').map(<[u8]>::to_vec).collect();
            let n = segments.len();
            match *damage {
                Damage::DropSegment(i) => {
                    segments.remove(i % n);
                }
                Damage::RepeatSegment(i) => {
                    let copy = segments[i % n].clone();
                    segments.insert(i % n, copy);
                }
                Damage::SwapSegments(a, b) => segments.swap(a % n, b % n),
                _ => {}
            }
            *message = segments.join(&b'\r');
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// Real messages damaged as feeds damage them: both transformers give
    /// the interpreter's bytes or its rejection, and neither panics.
    #[test]
    fn generated_code_equals_the_interpreter_on_damaged_real_messages(
        pick in any::<usize>(),
        damages in proptest::collection::vec(damage(), 1..5),
        zone in any::<bool>(),
    ) {
        let message = damaged(pick, &damages);
        same(&ADT, "adt_a01", adt_a01::adt_a01_with, &message, &options(zone))?;
        same(&ORU, "oru_r01", oru_r01::oru_r01_with, &message, &options(zone))?;
    }
}

/// `message` with its delimiters (MSH-1 and MSH-2) replaced everywhere by
/// the first bytes of `fresh` that it does not hold; `None` when its
/// escape character stands anywhere after MSH-2 (an escape sequence such
/// as `\F\` would read as the new delimiters) or too few fresh bytes are
/// left.
fn redelimit(message: &[u8], fresh: &[u8]) -> Option<Vec<u8>> {
    let header = message.strip_prefix(b"MSH")?;
    let field = *header.first()?;
    let encoding: Vec<u8> = header[1..]
        .iter()
        .take_while(|&&b| b != field && b != b'\r')
        .copied()
        .collect();
    let escape = *encoding.get(2)?;
    let body = &header[1 + encoding.len()..];
    if body.contains(&escape) {
        return None;
    }
    let old: Vec<u8> = std::iter::once(field).chain(encoding).collect();
    let new: Vec<u8> = fresh
        .iter()
        .copied()
        .filter(|b| !message.contains(b))
        .take(old.len())
        .collect();
    (new.len() == old.len()).then(|| {
        message
            .iter()
            .map(|b| old.iter().position(|o| o == b).map_or(*b, |i| new[i]))
            .collect()
    })
}

/// Bytes for new delimiters: none of them a delimiter of the real messages.
const FRESH: &[u8] = b"!$%*#@;:?=+/<>{}";

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// A real message sent with other delimiters (declared in MSH-1 and
    /// MSH-2, as any sender may) converts to the same Bundle, or the same
    /// rejection, in both executions.
    #[test]
    fn other_delimiters_convert_alike(
        pick in any::<usize>(),
        fresh in Just(FRESH.to_vec()).prop_shuffle(),
        zone in any::<bool>(),
    ) {
        let message = &REAL_MESSAGES[pick % REAL_MESSAGES.len()];
        let Some(other) = redelimit(message, &fresh) else { return Ok(()) };
        prop_assert_ne!(&other, message);
        for (program, map, entry) in [
            (&*ADT, "adt_a01", adt_a01::adt_a01_with as Entry),
            (&*ORU, "oru_r01", oru_r01::oru_r01_with as Entry),
        ] {
            let original = generate(entry, message, &options(zone));
            agree(&original, &generate(entry, &other, &options(zone)), ["original", "redelimited"])?;
            same(program, map, entry, &other, &options(zone))?;
        }
    }
}

/// Most real messages can be sent with other delimiters (those without
/// escape sequences), so the property above is not vacuous.
#[test]
fn most_real_messages_can_be_redelimited() {
    let redelimited = REAL_MESSAGES
        .iter()
        .filter(|m| redelimit(m, FRESH).is_some())
        .count();
    assert!(
        redelimited * 2 > REAL_MESSAGES.len(),
        "{redelimited} of {}",
        REAL_MESSAGES.len()
    );
    // The change is a real one: the original delimiters are gone.
    let other = redelimit(&REAL_MESSAGES[0], FRESH).unwrap();
    assert!(
        other.starts_with(b"MSH!$%*"),
        "{}",
        String::from_utf8_lossy(&other[..12])
    );
    assert!(!other.contains(&b'|'));
}

/// The damaged messages are not all rejected at once: enough of them still
/// convert that `generated_code_equals_the_interpreter_on_damaged_real_messages`
/// compares Bundles, not only rejections.
#[test]
fn damaged_real_messages_convert_often_enough() {
    assert!(
        REAL_MESSAGES.len() >= 5,
        "{} real messages",
        REAL_MESSAGES.len()
    );
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (any::<usize>(), proptest::collection::vec(damage(), 1..5));
    let (mut converted, mut rejected) = (0, 0);
    for _ in 0..300 {
        let (pick, damages) = strategy.new_tree(&mut runner).unwrap().current();
        let message = damaged(pick, &damages);
        for (program, map) in [(&*ADT, "adt_a01"), (&*ORU, "oru_r01")] {
            match interpret(program, map, &message, &options(true)) {
                Ok(_) => converted += 1,
                Err(_) => rejected += 1,
            }
        }
    }
    // Each message is of one structure, so at least half the runs reject.
    assert!(
        converted >= 60,
        "{converted} converted, {rejected} rejected"
    );
}

/// A generated entry point as `ferry run` and `ferry test` drive a
/// converter.
struct Generated {
    kind: InputKind,
    entry: Entry,
    options: Options,
}

impl Converter for Generated {
    fn input_kind(&self) -> InputKind {
        self.kind
    }

    fn convert(&self, document: &Document<'_>, out: &mut Vec<u8>) -> Result<(), Rejection> {
        (self.entry)(document.bytes, out, &self.options).map(|_| ())
    }
}

/// The spec examples pass with the generated code in place of the
/// interpreter, through `ferry test`'s own comparison.
#[test]
fn generated_code_passes_the_spec_examples() {
    let cases: [(&str, &str, InputKind, Entry); 3] = [
        ("hl7v2", "adt_a01-", InputKind::Hl7v2, adt_a01::adt_a01_with),
        ("hl7v2", "oru_r01-", InputKind::Hl7v2, oru_r01::oru_r01_with),
        (
            "telehealth",
            "session-",
            InputKind::RecordJson,
            session::session_encounter_with,
        ),
    ];
    let mut passed = 0;
    for (dir, prefix, kind, entry) in cases {
        let converter = Generated {
            kind,
            entry,
            options: options(true),
        };
        let examples = ferry_compiler::run::examples(&root().join("specs").join(dir));
        let mine: Vec<_> = examples
            .iter()
            .filter(|e| e.case.starts_with(prefix))
            .collect();
        assert!(!mine.is_empty(), "{dir}/{prefix}");
        for example in mine {
            let outcome = ferry_compiler::run::run_example(example, &converter);
            assert!(outcome.passed(), "{}: {outcome:?}", example.input.display());
            passed += 1;
        }
    }
    assert_eq!(passed, 7);
}

// ------------------------------------------------- generated HL7 messages

static ADT_MESSAGES: LazyLock<Generator> = LazyLock::new(|| {
    Generator::new(ferry_compiler::schema::Hl7Version::V2_5_1, "ADT_A01").unwrap()
});
static ORU_MESSAGES: LazyLock<Generator> = LazyLock::new(|| {
    Generator::new(ferry_compiler::schema::Hl7Version::V2_5_1, "ORU_R01").unwrap()
});

fn tape() -> impl Strategy<Value = Vec<u32>> {
    proptest::collection::vec(any::<u32>(), 0..3000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// ADT^A01/A04/A08 messages built from the ADT_A01 structure.
    #[test]
    fn generated_adt_equals_the_interpreter(tape in tape(), zone in any::<bool>()) {
        let message = ADT_MESSAGES.message(&tape);
        same(&ADT, "adt_a01", adt_a01::adt_a01_with, &message, &options(zone))?;
    }

    /// ORU^R01 messages built from the ORU_R01 structure.
    #[test]
    fn generated_oru_equals_the_interpreter(tape in tape(), zone in any::<bool>()) {
        let message = ORU_MESSAGES.message(&tape);
        same(&ORU, "oru_r01", oru_r01::oru_r01_with, &message, &options(zone))?;
    }

    /// The shared plans (structure paths and built-in arguments computed
    /// once a map, `ir::hoist`) convert and reject as the plain plans,
    /// where every rule computes what it reads: the interpreter on both.
    #[test]
    fn shared_plans_equal_the_plain_plans(tape in tape(), zone in any::<bool>()) {
        let cases = [
            (&*ADT_PLAIN, &*ADT, "adt_a01", ADT_MESSAGES.message(&tape)),
            (&*ORU_PLAIN, &*ORU, "oru_r01", ORU_MESSAGES.message(&tape)),
        ];
        for (plain, shared, map, message) in cases {
            let expected = interpret(plain, map, &message, &options(zone));
            let actual = interpret(shared, map, &message, &options(zone));
            agree(&expected, &actual, ["plain plan", "shared plan"])?;
        }
    }

    /// A message of the other structure: both reject it the same way.
    #[test]
    fn generated_code_rejects_the_other_structure_as_the_interpreter(tape in tape()) {
        let adt = ADT_MESSAGES.message(&tape);
        let oru = ORU_MESSAGES.message(&tape);
        same(&ORU, "oru_r01", oru_r01::oru_r01_with, &adt, &options(true))?;
        same(&ADT, "adt_a01", adt_a01::adt_a01_with, &oru, &options(true))?;
    }

    /// Any bytes: the same rejection, or the same output.
    #[test]
    fn generated_code_equals_the_interpreter_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        same(&ADT, "adt_a01", adt_a01::adt_a01_with, &bytes, &options(true))?;
        same(&SESSION, "session_encounter", session::session_encounter_with, &bytes, &options(true))?;
    }

    /// Records whose rules write the same members in loops, in both branches
    /// of a `when` and twice: the members the generator adds without a
    /// search are the ones no earlier rule can have written.
    #[test]
    fn generated_member_writes_equal_the_interpreter(record in person_record()) {
        same(&MEMBERS, "person", members::person_with, record.as_bytes(), &options(false))?;
    }

    /// Streamed maps: arrays continued over rules, items and objects
    /// dropped, `require`s and required elements met and missed, a map
    /// that keeps the document model called from streamed ones.
    #[test]
    fn streamed_maps_equal_the_interpreter(record in visit_record()) {
        same(&STREAM, "visit", stream::visit_with, record.as_bytes(), &options(true))?;
    }

    /// Text written without being built (`concat`, `uuid5`, conversions,
    /// lookups, `if` and `??`) over PID fields whose values are present
    /// without text, the HL7 null, escaped, JSON-escaped or repeated.
    #[test]
    fn streamed_texts_equal_the_interpreter(message in pid_message()) {
        same(&TEXTS, "texts", texts::texts_with, message.as_bytes(), &options(true))?;
    }

    /// A map of several segment sources, run on its own: each source the
    /// first segment of its id.
    #[test]
    fn generated_multi_source_entry_equals_the_interpreter(message in pid_message()) {
        same(&TEXTS, "visit_of", texts::visit_of_with, message.as_bytes(), &options(true))?;
    }

    /// Session records with fields present, absent, of the wrong type or
    /// outside their enumeration.
    #[test]
    fn generated_session_equals_the_interpreter(record in session_record()) {
        same(&SESSION, "session_encounter", session::session_encounter_with, record.as_bytes(), &options(true))?;
    }
}

/// A map of three segment sources run on its own reads each from the
/// first segment of its id: the class from PV1-2, the identifiers from
/// PID-3, the id from MSH-10 and PID-3.
#[test]
fn a_multi_source_entry_reads_every_source() {
    let message = adt_with_pid(&["1".to_owned(), String::new(), "K1^^^H&x^MR~K2".to_owned()]);
    let mut out = Vec::new();
    texts::visit_of_with(message.as_bytes(), &mut out, &options(true)).unwrap();
    let id = ferry_runtime::id::resource_id("Encounter", &["1|K1"]).unwrap();
    let expected = format!(
        r#"{{"resourceType":"Encounter","id":"{id}","status":"in-progress","class":{{"system":"http://terminology.hl7.org/CodeSystem/v2-0004","code":"I"}},"identifier":[{{"value":"K1"}},{{"value":"K2"}}]}}"#
    );
    assert_eq!(String::from_utf8(out).unwrap(), expected);
    same(
        &TEXTS,
        "visit_of",
        texts::visit_of_with,
        message.as_bytes(),
        &options(true),
    )
    .unwrap();
}

/// The streamed `visit` map, read back: the three `identifier[]` rules fill
/// one array in rule order, items whose rules read nothing are dropped
/// (the code-less parts), `period` is continued over two rules, `person`
/// (not streamed: it sets `display` twice) keeps the later value; a missed
/// `require` and a dropped required `class` reject with their reasons.
#[test]
fn streamed_visit_writes_what_its_rules_say() {
    let visit = r#"{"id":"V-1","state":"done","start":"2026-03-01T10:00:00Z","end":"2026-03-01T11:00:00Z","parts":[{"code":"A"},{},{"note":"n"}],"who":"Dr","alias":"Al"}"#;
    let out = generate(stream::visit_with, visit.as_bytes(), &options(true)).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        concat!(
            r#"{"resourceType":"Encounter","id":"V-1","status":"finished","#,
            r#""class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"Dr"},"#,
            r#""identifier":[{"value":"V-1"},{"value":"A","system":"urn:test:part"},{"value":"Al"}],"#,
            r#""type":[{"coding":[{"system":"urn:test:type","code":"A"}]},{"text":"n"}],"#,
            r#""reasonCode":[{"text":"n"}],"#,
            r#""period":{"start":"2026-03-01T10:00:00Z","end":"2026-03-01T11:00:00Z"},"#,
            r#""serviceProvider":{"display":"Dr","identifier":{"value":"V-1"}},"#,
            r#""subject":{"display":"Al"}}"#
        )
    );
    let no_end = r#"{"id":"V-1","state":"done","start":"2026-03-01T10:00:00Z","who":"Dr"}"#;
    let e = generate(stream::visit_with, no_end.as_bytes(), &options(true)).unwrap_err();
    assert_eq!(e.code, "REQUIRED");
    assert_eq!(
        e.reason,
        "Encounter.period.end: a finished visit needs its end"
    );
    let no_class = r#"{"id":"V-1","state":"open","start":"2026-03-01T10:00:00Z"}"#;
    let e = generate(stream::visit_with, no_class.as_bytes(), &options(true)).unwrap_err();
    assert_eq!(
        e.reason,
        "Encounter.class is required, and the message gives no value for it"
    );
}

/// An ADT^A01 message around a PID segment of the given fields (1...).
fn adt_with_pid(fields: &[String]) -> String {
    format!(
        "MSH|^~\\&|A|B|C|D|20260101||ADT^A01^ADT_A01|1|P|2.5.1\rEVN|A01|20260101\rPID|{}\rPV1|1|I\r",
        fields.join("|")
    )
}

/// PID fields of subcomponents from a small alphabet: codes the tables list
/// and do not, dates good and bad, the HL7 null, HL7 escapes, JSON
/// specials and empty parts (a component `&x` is present without text).
fn pid_message() -> impl Strategy<Value = String> {
    let sub = prop_oneof![
        Just(""),
        Just(""),
        Just("M"),
        Just("F"),
        Just("X"),
        Just("\"\""),
        Just("MR"),
        Just("PH"),
        Just("Internet"),
        Just("PRN"),
        Just("WPN"),
        Just("Y"),
        Just("19660925"),
        Just("202601011230"),
        Just("bad"),
        Just("x\\F\\y"),
        Just("q\"u"),
        Just("é"),
        Just("urn:a"),
    ];
    let component = proptest::collection::vec(sub, 1..3).prop_map(|s| s.join("&"));
    let repetition = proptest::collection::vec(component, 1..7).prop_map(|c| c.join("^"));
    let field = proptest::collection::vec(repetition, 0..3).prop_map(|r| r.join("~"));
    // Mostly values that convert, so that conversions are what is compared.
    let sex = prop_oneof![
        4 => prop_oneof![Just(""), Just("M"), Just("F"), Just("\"\"~F")],
        1 => prop_oneof![Just("X"), Just("M~X")],
    ];
    let born = prop_oneof![
        4 => prop_oneof![Just(""), Just("19660925"), Just("2026")],
        1 => Just("bad"),
    ];
    let keyed = prop_oneof![3 => Just("K1^^^H&x^MR~"), 1 => Just("")];
    (proptest::collection::vec(field, 30), sex, born, keyed).prop_map(
        |(mut fields, sex, born, keyed)| {
            fields[2] = format!("{keyed}{}", fields[2]);
            fields[6] = born.to_owned();
            fields[7] = sex.to_owned();
            adt_with_pid(&fields)
        },
    )
}

/// The `texts` map on one message: whether it converted (the interpreter
/// and the generated code agreeing on it, by `same`) and the generated
/// code's result.
fn run_texts(message: &str) -> (bool, Result<Vec<u8>, Rejection>) {
    let converted = same(
        &TEXTS,
        "texts",
        texts::texts_with,
        message.as_bytes(),
        &options(true),
    )
    .unwrap();
    let result = generate(texts::texts_with, message.as_bytes(), &options(true));
    (converted, result)
}

/// The `texts` map, read back on one message: each direct writer's output,
/// and the rejections they raise where the interpreter's built-ins do.
#[test]
fn streamed_texts_write_what_their_rules_say() {
    let mut fields = vec![String::new(); 30];
    fields[2] = "123^^^&1.2.3&ISO^MR~&x^^^A^SS".to_owned();
    fields[4] = "Doe&van^&z~^J\\T\\K^Q".to_owned();
    fields[6] = "19660925".to_owned();
    fields[7] = "F".to_owned();
    fields[12] = "^PRN^Internet^a\"b@example.org~^WPN^PH^^^^^^^^^555~^^PH".to_owned();
    fields[15] = "S".to_owned();
    let out = generate(
        texts::texts_with,
        adt_with_pid(&fields).as_bytes(),
        &options(true),
    )
    .unwrap();
    // Ids checked with Python's `uuid.uuid5` under Ferry's namespace: the
    // keys are `Patient|123`, `Patient|1.2.3` (the MR repetition's CX.4.2,
    // in the bundle's identifier) and `Patient|123|A` (PID-3.1 of the second
    // repetition is `&x`, present without text; PID-3.4.1 of the first is
    // empty). The first name's XPN.2 (`&z`) is present without text: its
    // `text` does not fall back to XPN.3, and `ifNoneExist` reads it, not
    // the second name's. The fourth name's text: no name's XPN.2 is `MR` and
    // PID-9 is empty, so only `/` and the XPN.1.2 of the first name whose
    // XPN.7 is not `L` (the first: it has none); its start is PID-7's, as
    // PID-29 is empty.
    assert_eq!(
        String::from_utf8(out).unwrap(),
        concat!(
            r#"{"resourceType":"Bundle","type":"transaction","entry":[{"#,
            r#""fullUrl":"urn:uuid:da026c46-e5ae-55ba-a5ff-f2c3a3f44ef5","#,
            r#""resource":{"resourceType":"Patient","id":"d91993db-a427-5168-b328-2826567ff37e","#,
            r#""gender":"female","birthDate":"1966-09-25","#,
            r#""identifier":[{"value":"123/1.2.3","system":"1.2.3","type":{"text":"MR"}},"#,
            r#"{"value":"/A","system":"A","type":{"text":"SS"}}],"#,
            r#""name":[{"family":"Doe-van"},{"family":"-","text":"J&K","given":["J&K"]},{"text":"given=","given":["Q"]},"#,
            r#"{"text":"/van","period":{"start":"1966-09-25"}}],"#,
            r#""telecom":[{"system":"email","value":"a\"b@example.org","use":"home"},"#,
            r#"{"system":"phone","value":"555","use":"work"},{"system":"phone","use":"home"}],"#,
            r#""active":true,"maritalStatus":{"text":"S"},"multipleBirthBoolean":false},"#,
            r#""request":{"method":"PUT","url":"Patient?identifier=1.2.3|123\"q\\","ifNoneExist":"given="}}],"#,
            r#""identifier":{"value":"123|fdbce51e-c3c5-51bf-9961-7080a197aab6"}}"#
        )
    );
    // The rejections the built-ins raise, raised by the direct writers too
    // (and the interpreter's, by `same`).
    let reject = |field: usize, value: &str| {
        let mut fields = fields.clone();
        fields[field - 1] = value.to_owned();
        let (converted, result) = run_texts(&adt_with_pid(&fields));
        assert!(!converted, "PID-{field} {value:?} converted");
        result.unwrap_err()
    };
    // An unlisted code in the second repetition, after a listed one.
    let e = reject(8, "M~X");
    assert_eq!((e.code.as_ref(), e.location.repetition), ("TABLE", Some(2)));
    let e = reject(3, "^^^A");
    assert_eq!(e.code, "ID-KEY");
    assert_eq!(
        e.reason,
        "a part of the Patient id key is not valued, so the id cannot be made"
    );
    let e = reject(7, "bad");
    assert_eq!((e.code.as_ref(), e.location.field), ("CONVERT", Some(7)));
}

/// A filter read for its first present value stops at the first kept
/// repetition that gives one: an MR repetition without CX.1, or with the
/// HL7 null there, is passed over for the next MR repetition; without a
/// present one, `??` moves on. The interpreter lists every value and agrees.
#[test]
fn filters_read_for_their_first_present_value() {
    let bundle_identifier = |pid3: &str| {
        let mut fields = vec![String::new(); 30];
        fields[2] = pid3.to_owned();
        let (converted, result) = run_texts(&adt_with_pid(&fields));
        assert!(converted, "{pid3:?} did not convert");
        let out = result.unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let value = doc["identifier"]["value"].as_str().unwrap().to_owned();
        let active = doc["entry"][0]["resource"]["active"].as_bool();
        (value, active)
    };
    // (CX.4.1 is given: the patient's own id needs it.) The uuid5 key part
    // is the first MR repetition's CX.4.2 that is present, else
    // PID-3[2].1, else "none"; ids checked with Python's
    // `uuid.uuid5` under Ferry's namespace.
    let (value, active) = bundle_identifier("^^^A&H1^MR~K2^^^A&H2^MR");
    assert_eq!(value, "K2|3bea2c89-d524-5e14-a146-fc905c5af58b"); // Patient|H1
    assert_eq!(active, Some(true));
    let (value, _) = bundle_identifier("\"\"^^^A^MR~K3^^^A^MR");
    assert_eq!(value, "K3|ecd51d2d-8fba-50b6-9be4-a3964cfd6773"); // Patient|K3
    // No MR repetition gives CX.1: the first repetition's, and no `active`.
    let (value, active) = bundle_identifier("K4^^^A^SS~^^^A^MR");
    assert_eq!(value, "K4|14942256-0e5c-510e-a795-f551ad8441f3"); // Patient|none
    assert_eq!(active, None);
}

/// The share of generated messages that convert is not negligible: the
/// property tests exercise conversions, not only rejections.
#[test]
fn generated_messages_convert_often_enough() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut adt, mut oru) = (0, 0);
    for _ in 0..300 {
        let tape = tape().new_tree(&mut runner).unwrap().current();
        let m = ADT_MESSAGES.message(&tape);
        adt += usize::from(generate(adt_a01::adt_a01_with, &m, &options(true)).is_ok());
        let m = ORU_MESSAGES.message(&tape);
        oru += usize::from(generate(oru_r01::oru_r01_with, &m, &options(true)).is_ok());
    }
    assert!(adt >= 30, "only {adt} of 300 ADT messages converted");
    assert!(oru >= 30, "only {oru} of 300 ORU messages converted");
}

fn person_record() -> impl Strategy<Value = String> {
    let text = || {
        proptest::option::of(prop_oneof![
            Just("\"P-1\""),
            Just("\"\""),
            Just("\"x\""),
            Just("3")
        ])
    };
    let contact = (text(), text()).prop_map(|(value, kind)| {
        let mut members = Vec::new();
        if let Some(v) = value {
            members.push(format!("\"value\":{v}"));
        }
        if let Some(k) = kind {
            members.push(format!("\"kind\":{k}"));
        }
        format!("{{{}}}", members.join(","))
    });
    (
        text(),
        proptest::option::of(prop_oneof![
            Just("\"male\""),
            Just("\"female\""),
            Just("\"other\"")
        ]),
        proptest::option::of(prop_oneof![
            Just("\"1990-02-03\""),
            Just("\"1990\""),
            Just("\"bad\"")
        ]),
        text(),
        proptest::option::of(proptest::collection::vec(contact, 0..4)),
    )
        .prop_map(|(id, sex, born, family, contacts)| {
            let mut members = Vec::new();
            let mut put = |k: &str, v: Option<String>| {
                if let Some(v) = v {
                    members.push(format!("\"{k}\":{v}"));
                }
            };
            put("id", id.map(str::to_owned));
            put("sex", sex.map(str::to_owned));
            put("born", born.map(str::to_owned));
            put("family", family.map(str::to_owned));
            put("contacts", contacts.map(|c| format!("[{}]", c.join(","))));
            format!("{{{}}}", members.join(","))
        })
}

fn visit_record() -> impl Strategy<Value = String> {
    let text = || {
        proptest::option::of(prop_oneof![
            Just("\"V-1\""),
            Just("\"\""),
            Just("\"a\\\"b\""),
            Just("7")
        ])
    };
    let part = (text(), text()).prop_map(|(code, note)| {
        let mut members = Vec::new();
        if let Some(c) = code {
            members.push(format!("\"code\":{c}"));
        }
        if let Some(n) = note {
            members.push(format!("\"note\":{n}"));
        }
        format!("{{{}}}", members.join(","))
    });
    let time = || {
        proptest::option::of(prop_oneof![
            Just("\"2026-03-01T10:00:00Z\""),
            Just("\"2026-03-01\""),
            Just("\"soon\""),
        ])
    };
    (
        text(),
        proptest::option::of(prop_oneof![
            Just("\"open\""),
            Just("\"done\""),
            Just("\"lost\""),
            Just("\"x\"")
        ]),
        time(),
        time(),
        proptest::option::of(proptest::collection::vec(part, 0..4)),
        text(),
        text(),
    )
        .prop_map(|(id, state, start, end, parts, who, alias)| {
            let mut members = Vec::new();
            let mut put = |k: &str, v: Option<String>| {
                if let Some(v) = v {
                    members.push(format!("\"{k}\":{v}"));
                }
            };
            put("id", id.map(str::to_owned));
            put("state", state.map(str::to_owned));
            put("start", start.map(str::to_owned));
            put("end", end.map(str::to_owned));
            put("parts", parts.map(|p| format!("[{}]", p.join(","))));
            put("who", who.map(str::to_owned));
            put("alias", alias.map(str::to_owned));
            format!("{{{}}}", members.join(","))
        })
}

fn session_record() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        Just("\"S-1\"".to_owned()),
        Just("\"\"".to_owned()),
        Just("42".to_owned()),
        Just("null".to_owned()),
        "\"[a-z0-9 ]{0,8}\"".prop_map(|s| s),
    ];
    let status = prop_oneof![
        Just("\"completed\""),
        Just("\"scheduled\""),
        Just("\"in-progress\""),
        Just("\"cancelled\""),
        Just("\"no-show\""),
        Just("\"done\""),
        Just("7"),
    ];
    let time = prop_oneof![
        Just("\"2026-03-01T10:00:00Z\""),
        Just("\"2026-03-01T10:00:00\""),
        Just("\"2026-03-01\""),
        Just("\"yesterday\""),
        Just("null"),
    ];
    (
        proptest::option::of(text.clone()),
        proptest::option::of(text.clone()),
        proptest::option::of(status),
        proptest::option::of(time.clone()),
        proptest::option::of(time),
        proptest::option::of(text),
        any::<bool>(),
    )
        .prop_map(|(id, mrn, status, start, end, npi, rx)| {
            let mut members = Vec::new();
            let mut put = |k: &str, v: Option<String>| {
                if let Some(v) = v {
                    members.push(format!("\"{k}\":{v}"));
                }
            };
            put("session_id", id);
            put("patient_mrn", mrn);
            put("status", status.map(str::to_owned));
            put("started_at", start.map(str::to_owned));
            put("ended_at", end.map(str::to_owned));
            put("provider", npi.map(|n| format!("{{\"npi\":{n}}}")));
            if rx {
                put(
                    "prescriptions",
                    Some(
                        "[{\"rxnorm\":\"197361\",\"display\":\"Amlodipine\"},{\"rxnorm\":\"\"}]"
                            .to_owned(),
                    ),
                );
            }
            format!("{{{}}}", members.join(","))
        })
}

// ------------------------------------------------------------- the build

/// Generating twice gives identical files, and they are the files this
/// crate was built with.
#[test]
fn generation_is_deterministic() {
    let dirs = [tempdir("one"), tempdir("two")];
    for dir in &dirs {
        ferry_compiler::Build::new()
            .spec(root().join("specs"))
            .out_dir(dir)
            .cargo_messages(false)
            .compile()
            .unwrap();
    }
    let mut names: Vec<String> = std::fs::read_dir(&dirs[0])
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["adt_a01.rs", "ferry.rs", "oru_r01.rs", "session.rs"]
    );
    for name in &names {
        let one = std::fs::read(dirs[0].join(name)).unwrap();
        let two = std::fs::read(dirs[1].join(name)).unwrap();
        assert!(one == two, "{name} differs between two runs");
        assert!(one.starts_with(b"// @generated by ferry"), "{name}");
    }
    // The build script's output, from the same specs by another path.
    let built = include_str!(concat!(env!("OUT_DIR"), "/adt_a01.rs"));
    let again = std::fs::read_to_string(dirs[0].join("adt_a01.rs")).unwrap();
    let body = |s: &str| s.split_once('\n').map(|(_, b)| b.to_owned()).unwrap();
    assert_eq!(body(built), body(&again));
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferry-generated-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The PID messages convert often enough that the text property compares
/// output, and reject in each way the direct writers can.
#[test]
fn pid_messages_convert_often_enough() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut converted = 0;
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..400 {
        let m = pid_message().new_tree(&mut runner).unwrap().current();
        match generate(texts::texts_with, m.as_bytes(), &options(true)) {
            Ok(_) => converted += 1,
            Err(e) => {
                codes.insert(e.code.to_string());
            }
        }
    }
    assert!(converted >= 100, "only {converted} of 400 converted");
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        ["CONVERT", "ID-KEY", "TABLE"]
    );
}
