//! One message → one FHIR Bundle line, or one rejection line.

use std::io::{self, Write};

use ferry_runtime::er7::{MessageIndex, RawMessage};
use ferry_runtime::error::Location;
use ferry_runtime::{Options, Outcome, Rejection};

use crate::generated;

/// Rejection code: MSH-9 names a message type this service has no
/// transformer for. (The generated transformers use the same code when a
/// message's structure is not the one their map reads.)
pub const CODE_MESSAGE_TYPE: &str = "MESSAGE-TYPE";
/// Rejection code: the transformer returned `Ok` but wrote nothing.
pub const CODE_EMPTY_OUTPUT: &str = "EMPTY-OUTPUT";
/// Rejection code: the transformer's output is not one line (a broken
/// contract, reported per message rather than corrupting the NDJSON).
pub const CODE_BAD_OUTPUT: &str = "BAD-OUTPUT";

/// The transformers this service links, generated from `specs/hl7v2` by
/// `build.rs`: one per entry map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Map {
    /// `adt_a01.ferry`: ADT^A01, ADT^A04, ADT^A08 (structure ADT_A01).
    #[value(name = "adt_a01")]
    AdtA01,
    /// `oru_r01.ferry`: ORU^R01.
    #[value(name = "oru_r01")]
    OruR01,
}

/// The signature of a generated entry point with options.
type Transformer = fn(&[u8], &mut Vec<u8>, &Options) -> Result<Outcome, Rejection>;

impl Map {
    /// The generated function.
    fn transformer(self) -> Transformer {
        match self {
            Map::AdtA01 => generated::adt_a01::adt_a01_with,
            Map::OruR01 => generated::oru_r01::oru_r01_with,
        }
    }

    /// The transformer for a message type and trigger event (MSH-9.1, MSH-9.2).
    pub fn for_event(kind: &str, event: &str) -> Option<Map> {
        match (kind, event) {
            ("ADT", "A01" | "A04" | "A08") => Some(Map::AdtA01),
            ("ORU", "R01") => Some(Map::OruR01),
            _ => None,
        }
    }
}

/// Converts messages one by one, reusing its buffers.
#[derive(Debug)]
pub struct Converter {
    /// The transformer for every message, or `None` to choose by MSH-9.
    map: Option<Map>,
    options: Options,
    /// Reads the `MSH` segment when choosing by MSH-9.
    header: MessageIndex,
    /// The current message's Bundle.
    out: Vec<u8>,
}

impl Converter {
    /// A converter running `map` on every message, or choosing by MSH-9.
    pub fn new(map: Option<Map>, options: Options) -> Converter {
        Converter {
            map,
            options,
            header: MessageIndex::new(),
            out: Vec::new(),
        }
    }

    /// Converts one message. `Ok` is the Bundle as one line of compact JSON
    /// (no newline); `Err` is the rejection, located in stream coordinates
    /// (the message's ordinal, byte spans from the start of the input).
    pub fn convert(&mut self, message: &RawMessage<'_>) -> Result<&[u8], Box<Rejection>> {
        self.out.clear();
        self.convert_here(message.bytes).map_err(|mut rejection| {
            rejection.location = rejection
                .location
                .offset_by(message.offset)
                .in_message(message.ordinal);
            rejection
        })?;
        Ok(&self.out)
    }

    /// Converts `bytes` into `self.out`; rejections are located in `bytes`
    /// (what the generated code reports: message 1, spans in the message).
    fn convert_here(&mut self, bytes: &[u8]) -> Result<(), Box<Rejection>> {
        let map = match self.map {
            Some(map) => map,
            None => self.choose(bytes)?,
        };
        let outcome = (map.transformer())(bytes, &mut self.out, &self.options)?;
        let whole = Location::at_span(0, bytes.len());
        if outcome.written == 0 || self.out.iter().all(u8::is_ascii_whitespace) {
            return Err(Box::new(Rejection::new(
                CODE_EMPTY_OUTPUT,
                whole,
                "the map produced no output (every output element was absent)",
            )));
        }
        if self.out.contains(&b'\n') {
            return Err(Box::new(Rejection::new(
                CODE_BAD_OUTPUT,
                whole,
                "the transformer's output is not one line of JSON",
            )));
        }
        Ok(())
    }

    /// The transformer for the message type in MSH-9. Reads only the `MSH`
    /// segment; the transformer reads the whole message again.
    fn choose(&mut self, bytes: &[u8]) -> Result<Map, Box<Rejection>> {
        let header_end = bytes
            .iter()
            .position(|&b| matches!(b, b'\r' | b'\n'))
            .unwrap_or(bytes.len());
        let header = bytes.get(..header_end).unwrap_or(bytes);
        let message = self.header.parse(header).map_err(Rejection::from)?;
        let field = message.header_field(9);
        let message_type = field.repetition(1);
        let (kind, event) = (
            message_type.component(1).text(),
            message_type.component(2).text(),
        );
        Map::for_event(&kind, &event).ok_or_else(|| {
            // The reason names what is supported, never the value found.
            Box::new(Rejection::new(
                CODE_MESSAGE_TYPE,
                field.location(),
                "no transformer for the message type in MSH-9 \
                 (this service converts ADT^A01, ADT^A04, ADT^A08 and ORU^R01)",
            ))
        })
    }
}

/// Writes one rejection as a JSON line:
/// `{"message":N,"offset":BYTES,"code":..,"location":..,"reason":..}`.
///
/// `message` is `null` for content outside any message; `offset` is the
/// message's (or the content's) byte offset in the input; `location` is the
/// [`Location`]'s `Display` (`message 2, PID-7, bytes 130..138`). The
/// rejection's attached value (possibly patient data) is never written.
pub fn write_rejection(
    to: &mut impl Write,
    message: Option<u32>,
    offset: usize,
    rejection: &Rejection,
) -> io::Result<()> {
    let mut line = String::with_capacity(192);
    line.push_str("{\"message\":");
    match message {
        Some(n) => line.push_str(&n.to_string()),
        None => line.push_str("null"),
    }
    line.push_str(",\"offset\":");
    line.push_str(&offset.to_string());
    line.push_str(",\"code\":");
    push_json_string(&mut line, &rejection.code);
    line.push_str(",\"location\":");
    push_json_string(&mut line, &rejection.location.to_string());
    line.push_str(",\"reason\":");
    push_json_string(&mut line, &rejection.reason);
    line.push_str("}\n");
    to.write_all(line.as_bytes())
}

/// Appends `s` as a quoted JSON string.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Counts of a run. Every unit of the input is converted or rejected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Bundles written to stdout.
    pub converted: usize,
    /// Rejection lines written to stderr (messages and stray content).
    pub rejected: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_types_choose_their_transformer() {
        assert_eq!(Map::for_event("ADT", "A01"), Some(Map::AdtA01));
        assert_eq!(Map::for_event("ADT", "A04"), Some(Map::AdtA01));
        assert_eq!(Map::for_event("ADT", "A08"), Some(Map::AdtA01));
        assert_eq!(Map::for_event("ORU", "R01"), Some(Map::OruR01));
        assert_eq!(Map::for_event("ADT", "A03"), None);
        assert_eq!(Map::for_event("ORU", ""), None);
    }

    #[test]
    fn an_unknown_message_type_is_rejected_at_msh_9_without_its_value() {
        let mut converter = Converter::new(None, Options::default());
        let bytes = b"MSH|^~\\&|A|B|C|D|20240101||SIU^S12|1|P|2.5.1\rPID|1||SECRET\r";
        let message = RawMessage {
            ordinal: 4,
            offset: 100,
            bytes,
        };
        let rejection = converter.convert(&message).unwrap_err();
        assert_eq!(rejection.code, CODE_MESSAGE_TYPE);
        assert_eq!(rejection.location.message, Some(4));
        assert_eq!(rejection.location.path(), "MSH-9");
        let span = rejection.location.span.unwrap();
        assert_eq!(
            &bytes[span.start - 100..span.end - 100],
            b"SIU^S12",
            "spans are in stream offsets"
        );
        let mut line = Vec::new();
        write_rejection(&mut line, Some(4), 100, &rejection).unwrap();
        let line = String::from_utf8(line).unwrap();
        assert!(!line.contains("SIU") && !line.contains("SECRET"), "{line}");
    }

    #[test]
    fn rejection_lines_are_json_with_escaped_strings() {
        let rejection =
            Rejection::new("X", Location::at_span(3, 9), "a \"quoted\"\\ reason\n\u{1}");
        let mut line = Vec::new();
        write_rejection(&mut line, None, 3, &rejection).unwrap();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "{\"message\":null,\"offset\":3,\"code\":\"X\",\"location\":\"bytes 3..9\",\
             \"reason\":\"a \\\"quoted\\\"\\\\ reason\\n\\u0001\"}\n"
        );
    }
}
