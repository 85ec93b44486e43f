//! HL7 v2 messages generated from the message structures and segment
//! definitions, for property tests and benchmarks.
//!
//! A message is built from a tape of choices (`&[u32]`): every decision —
//! how many times a segment or group occurs, how many fields a segment
//! carries, what a component holds — reads the next number; past the tape's
//! end every choice is 0, which picks the required parts with their usual
//! fields. Proptest shrinks the tape, so a failing case shrinks toward that
//! plain message.
//!
//! Values follow each component's datatype (dates, numbers, codes from the
//! HL7 table when the definitions have one) and sometimes break it (a date
//! that is not one, the HL7 null `""`, escapes, a code no table lists), so
//! both conversions and rejections are exercised.

use ferry_compiler::schema::{self, Datatype, Hl7Version, Node, V2Schema};

/// Reads choices from a tape; past its end every choice is 0.
struct Tape<'t> {
    choices: &'t [u32],
    at: usize,
}

impl Tape<'_> {
    fn next(&mut self, n: u32) -> u32 {
        let c = self.choices.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if n == 0 { 0 } else { c % n }
    }
}

/// What MSH-9 says: the message type of the structure most of the time.
const MESSAGE_TYPES: &[(&str, &[&str])] = &[
    (
        "ADT_A01",
        &["ADT^A01^ADT_A01", "ADT^A04", "ADT^A08^ADT_A01", "ADT^A01"],
    ),
    ("ORU_R01", &["ORU^R01^ORU_R01", "ORU^R01"]),
];

/// Message types that are wrong for the structure.
const WRONG_TYPES: &[&str] = &["ADT^A02^ADT_A02", "ORM^O01", "ZZZ^Z99", ""];

/// A generator of one structure's messages.
#[derive(Debug)]
pub struct Generator {
    v2: &'static V2Schema,
    structure: &'static schema::Structure,
}

impl Generator {
    /// Messages of `structure` in HL7 v2 `version`.
    ///
    /// # Errors
    /// When the version or structure is unknown.
    pub fn new(version: Hl7Version, structure: &str) -> Result<Generator, schema::LookupError> {
        let v2 = schema::hl7v2(version)?;
        let structure = v2.structure(structure)?;
        Ok(Generator { v2, structure })
    }

    /// One message (segments ended by `\r`) from a tape of choices.
    pub fn message(&self, choices: &[u32]) -> Vec<u8> {
        let mut tape = Tape { choices, at: 0 };
        let mut out = String::new();
        self.nodes(self.structure.children(), &mut tape, &mut out, true);
        out.into_bytes()
    }

    fn nodes(&self, nodes: &[Node], tape: &mut Tape<'_>, out: &mut String, top: bool) {
        for node in nodes {
            let card = node.cardinality();
            let mut count = card.min.min(1);
            if card.is_repeating() {
                count += tape.next(3);
            } else if count == 0 {
                count = tape.next(2);
            } else if top && node.name() != "MSH" && tape.next(16) == 15 {
                // Real feeds leave out required segments (EVN, PV1).
                count = 0;
            }
            for _ in 0..count {
                if node.is_group() {
                    self.nodes(node.children(), tape, out, false);
                } else {
                    self.segment(node.name(), tape, out);
                }
            }
        }
        // Now and then a Z-segment where none is expected.
        if top && tape.next(8) == 7 {
            out.push_str("ZZZ|1|extra\r");
        }
    }

    fn segment(&self, id: &str, tape: &mut Tape<'_>, out: &mut String) {
        if id == "MSH" {
            let types = MESSAGE_TYPES
                .iter()
                .find(|(s, _)| *s == self.structure.name())
                .map_or(&[][..], |(_, t)| t);
            let kind = if tape.next(12) == 11 || types.is_empty() {
                WRONG_TYPES[tape.next(WRONG_TYPES.len() as u32) as usize]
            } else {
                types[tape.next(types.len() as u32) as usize]
            };
            let control = 1000 + tape.next(100_000);
            out.push_str(&format!(
                "MSH|^~\\&|SEND|FAC|RECV|FAC|{}||{kind}|{control}|P|{}\r",
                dtm(tape),
                self.v2.version().as_str()
            ));
            return;
        }
        let Ok(def) = self.v2.segment(id) else {
            out.push_str(id);
            out.push('\r');
            return;
        };
        out.push_str(id);
        let fields = def.fields();
        // Mostly the fields a converter reads; sometimes all.
        let wanted = match tape.next(8) {
            6 => fields.len().min(1 + tape.next(20) as usize),
            7 => fields.len(),
            _ => fields.len().min(24),
        };
        for field in fields.iter().take(wanted) {
            out.push('|');
            if tape.next(8) == 7 {
                continue;
            }
            let reps = if field.repeats() { 1 + tape.next(3) } else { 1 };
            for r in 0..reps {
                if r > 0 {
                    out.push('~');
                }
                self.value(
                    field.datatype().unwrap_or("ST"),
                    field.table(),
                    tape,
                    out,
                    0,
                );
            }
        }
        out.push('\r');
    }

    /// A value of `datatype` at depth 0 (field), 1 (component) or 2
    /// (subcomponent).
    fn value(
        &self,
        datatype: &str,
        table: Option<&str>,
        tape: &mut Tape<'_>,
        out: &mut String,
        depth: u8,
    ) {
        match self.v2.datatype(datatype) {
            // Subcomponents now and then: a component of a composite type.
            Ok(Datatype::Composite(c)) if depth == 0 || (depth == 1 && tape.next(4) == 3) => {
                let sep = if depth == 0 { '^' } else { '&' };
                let parts = c.components();
                let used = match tape.next(3) {
                    2 => 1 + tape.next(parts.len() as u32) as usize,
                    _ => parts.len().min(10),
                };
                for (i, part) in parts.iter().take(used).enumerate() {
                    if i > 0 {
                        out.push(sep);
                    }
                    if tape.next(if i == 0 { 16 } else { 4 }) == 3 {
                        continue;
                    }
                    self.value(
                        part.datatype().unwrap_or("ST"),
                        part.table(),
                        tape,
                        out,
                        depth + 1,
                    );
                }
            }
            _ => self.primitive(datatype, table, tape, out),
        }
    }

    fn primitive(
        &self,
        datatype: &str,
        table: Option<&str>,
        tape: &mut Tape<'_>,
        out: &mut String,
    ) {
        // The odd value that breaks the type, or the HL7 null.
        match tape.next(20) {
            18 => {
                out.push_str("\"\"");
                return;
            }
            19 => {
                out.push_str(WORDS[tape.next(WORDS.len() as u32) as usize]);
                return;
            }
            _ => {}
        }
        match datatype {
            "DTM" | "TS" | "DT" | "DIN" | "DR" => out.push_str(&dtm(tape)),
            "TM" => out.push_str(&format!("{:02}{:02}", tape.next(24), tape.next(60))),
            "NM" | "SI" => out.push_str(&number(tape)),
            "ID" | "IS" | "CWE" | "CNE" => {
                let codes = table
                    .and_then(|t| self.v2.table(t).ok())
                    .map(|t| t.codes())
                    .unwrap_or_default();
                if codes.is_empty() || tape.next(6) == 0 {
                    out.push_str(CODES[tape.next(CODES.len() as u32) as usize]);
                } else {
                    out.push_str(codes[tape.next(codes.len() as u32) as usize].code());
                }
            }
            _ => out.push_str(WORDS[tape.next(WORDS.len() as u32) as usize]),
        }
    }
}

/// Text values, some with HL7 escapes.
const WORDS: &[&str] = &[
    "SMITH",
    "Jones",
    "MR",
    "PI",
    "123456",
    "A\\T\\B",
    "x\\F\\y",
    "Main St",
    "Ünïcode",
    "MRN-0042",
    "not a date",
    "L",
    "  padded  ",
];

/// Codes, listed in common tables or not.
const CODES: &[&str] = &["M", "F", "U", "I", "O", "E", "P", "X", "Q", "final", "F "];

fn dtm(tape: &mut Tape<'_>) -> String {
    let year = 1940 + tape.next(90);
    let month = 1 + tape.next(12);
    let day = 1 + tape.next(28);
    match tape.next(8) {
        0 => format!("{year}"),
        1 => format!("{year}{month:02}"),
        2 => format!("{year}{month:02}{day:02}"),
        3 => format!(
            "{year}{month:02}{day:02}{:02}{:02}",
            tape.next(24),
            tape.next(60)
        ),
        4 => format!(
            "{year}{month:02}{day:02}{:02}{:02}{:02}-0500",
            tape.next(24),
            tape.next(60),
            tape.next(60)
        ),
        5 => format!(
            "{year}{month:02}{day:02}{:02}{:02}{:02}.1234+0100",
            tape.next(24),
            tape.next(60),
            tape.next(60)
        ),
        6 => format!("{year}1332"),
        _ => format!(
            "{year}{month:02}{day:02}{:02}{:02}{:02}",
            tape.next(24),
            tape.next(60),
            tape.next(60)
        ),
    }
}

fn number(tape: &mut Tape<'_>) -> String {
    match tape.next(6) {
        0 => format!("{}", tape.next(1000)),
        1 => format!("-{}.{}", tape.next(100), tape.next(100)),
        2 => format!("+{}", tape.next(50)),
        3 => format!("{}.", tape.next(10)),
        4 => "1e3".to_owned(),
        _ => format!("{}.{:02}", tape.next(500), tape.next(100)),
    }
}

/// A corpus of `n` messages of `structure`, from a fixed seed: what the
/// benchmarks convert. Messages the ADT and ORU specs reject are kept out,
/// so every message measures a full conversion.
pub fn corpus(generator: &Generator, n: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut state = seed.max(1);
    let mut next = move || {
        // xorshift64*: a fixed, dependency-free sequence.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    };
    (0..n)
        .map(|_| {
            let tape: Vec<u32> = (0..600).map(|_| next()).collect();
            generator.message(&tape)
        })
        .collect()
}
