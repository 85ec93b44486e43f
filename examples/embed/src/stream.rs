//! Splitting a byte stream into HL7 v2 messages as it arrives.
//!
//! [`ferry_runtime::er7::split_messages`] splits a whole buffer. A service
//! reading a pipe or a socket cannot wait for the end of its input, so
//! [`Splitter`] keeps the bytes read so far and hands out every unit whose
//! extent can no longer change:
//!
//! - a unit followed by another unit (the next `MSH`, envelope, MLLP byte or
//!   BOM at the start of a line ends it),
//! - a unit followed by an MLLP end byte (`0x1C`): the sender closed the
//!   frame, so an MLLP message is converted as soon as it is complete,
//! - any unit at the end of the input.
//!
//! The last unit of the buffer is otherwise kept, and splitting resumes at its
//! start once more bytes arrive. Units come out exactly as `split_messages`
//! would give them on the whole input (ordinals, offsets, bytes and stray
//! content), whatever the read sizes; the tests below check this.

use std::io::{self, Read};

use ferry_runtime::er7::{RawMessage, split_messages};
use ferry_runtime::error::Error;

/// Bytes asked of the reader at a time.
const CHUNK: usize = 256 * 1024;

/// MLLP end-of-block byte.
const MLLP_END: u8 = 0x1C;

/// One unit of the stream, in stream coordinates.
#[derive(Debug)]
pub enum Unit<'a> {
    /// A message: ordinal (1-based in the stream), offset of its `MSH` in the
    /// stream, and its bytes without framing.
    Message(RawMessage<'a>),
    /// Content outside any message ([`ferry_runtime::error::Kind::StrayContent`]),
    /// its span in stream offsets.
    Stray(Error),
}

/// The bytes read and not yet handed out, and where they sit in the stream.
#[derive(Debug)]
pub struct Splitter {
    /// Bytes from stream offset `base` on.
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: usize,
    /// Messages handed out so far (the last ordinal given).
    messages: u32,
    /// Scratch buffer for one read.
    chunk: Vec<u8>,
}

impl Default for Splitter {
    fn default() -> Splitter {
        Splitter::new()
    }
}

impl Splitter {
    /// An empty splitter at stream offset 0.
    pub fn new() -> Splitter {
        Splitter::with_chunk(CHUNK)
    }

    /// An empty splitter reading at most `chunk` bytes at a time.
    fn with_chunk(chunk: usize) -> Splitter {
        Splitter {
            buf: Vec::new(),
            base: 0,
            messages: 0,
            chunk: vec![0; chunk.max(1)],
        }
    }

    /// Reads once from `input` (whatever it has, up to the chunk size) and
    /// returns the number of bytes read; 0 is the end of the input.
    pub fn fill(&mut self, input: &mut impl Read) -> io::Result<usize> {
        loop {
            match input.read(&mut self.chunk) {
                Ok(n) => {
                    if let Some(read) = self.chunk.get(..n) {
                        self.buf.extend_from_slice(read);
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Appends bytes received from elsewhere.
    #[cfg(test)]
    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Hands every complete unit to `each`, in order; at the end of the
    /// input (`eof`) every unit is complete. Stops at the first error of
    /// `each` and returns it (the unit that failed is not handed out again).
    pub fn drain<E>(
        &mut self,
        eof: bool,
        mut each: impl FnMut(Unit<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        // Where the next split starts: the end of the last unit handed out,
        // or the start of the first unit kept.
        let mut keep_from = 0;
        let mut result = Ok(());
        let mut units = split_messages(&self.buf).peekable();
        while let Some(unit) = units.next() {
            let (start, end) = extent(&unit);
            let complete = eof || units.peek().is_some() || frame_closed(&self.buf, end);
            if !complete {
                keep_from = start;
                break;
            }
            keep_from = end;
            let unit = match unit {
                Ok(raw) => {
                    self.messages += 1;
                    Unit::Message(RawMessage {
                        ordinal: self.messages,
                        offset: self.base + raw.offset,
                        bytes: raw.bytes,
                    })
                }
                Err(mut e) => {
                    *e.location_mut() = e.location().offset_by(self.base);
                    Unit::Stray(e)
                }
            };
            result = each(unit);
            if result.is_err() {
                break;
            }
        }
        if eof && result.is_ok() {
            keep_from = self.buf.len();
        }
        self.buf.drain(..keep_from.min(self.buf.len()));
        self.base += keep_from;
        result
    }
}

/// Start and end (exclusive) of a unit in the buffer.
fn extent(unit: &Result<RawMessage<'_>, Error>) -> (usize, usize) {
    match unit {
        Ok(raw) => (raw.offset, raw.offset + raw.bytes.len()),
        Err(e) => e.location().span.map_or((0, 0), |s| (s.start, s.end)),
    }
}

/// Whether the unit ending at `end` is followed, after its line end, by an
/// MLLP end byte.
fn frame_closed(buf: &[u8], end: usize) -> bool {
    buf.get(end..)
        .unwrap_or_default()
        .iter()
        .find(|&&b| !matches!(b, b'\r' | b'\n'))
        == Some(&MLLP_END)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit, owned, comparable across splitters.
    #[derive(Debug, PartialEq, Eq)]
    enum Owned {
        Message(u32, usize, Vec<u8>),
        Stray(String),
    }

    fn whole(input: &[u8]) -> Vec<Owned> {
        split_messages(input)
            .map(|unit| match unit {
                Ok(raw) => Owned::Message(raw.ordinal, raw.offset, raw.bytes.to_vec()),
                Err(e) => Owned::Stray(format!("{e:?}")),
            })
            .collect()
    }

    /// Feeds `input` `chunk` bytes at a time through [`Splitter::fill`].
    fn streamed(input: &[u8], chunk: usize) -> Vec<Owned> {
        let mut splitter = Splitter::with_chunk(chunk);
        let mut reader = input;
        let mut out = Vec::new();
        loop {
            let n = splitter.fill(&mut reader).unwrap();
            let eof = n == 0;
            splitter
                .drain(eof, |unit| {
                    out.push(match unit {
                        Unit::Message(raw) => {
                            Owned::Message(raw.ordinal, raw.offset, raw.bytes.to_vec())
                        }
                        Unit::Stray(e) => Owned::Stray(format!("{e:?}")),
                    });
                    Ok::<(), ()>(())
                })
                .unwrap();
            if eof {
                return out;
            }
        }
    }

    const ADT: &str =
        "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||123^^^MR||Doe^Ann\rPV1|1|I\r";
    const ORU: &str =
        "MSH|^~\\&|L|B|C|D|20240101||ORU^R01|2|P|2.5.1\nPID|1||9\nOBR|1\nOBX|1|NM|x||5\n";

    fn inputs() -> Vec<Vec<u8>> {
        let mllp = |m: &str| [b"\x0b", m.as_bytes(), b"\x1c\r"].concat();
        vec![
            Vec::new(),
            b"\r\n\r\n".to_vec(),
            ADT.as_bytes().to_vec(),
            [ADT, ORU, ADT].concat().into_bytes(),
            [ADT, "\r\n", ORU, "\r\n"]
                .concat()
                .replace('\r', "\r\n")
                .into_bytes(),
            [mllp(ADT), mllp(ORU), mllp(ADT)].concat(),
            // Senders often omit the last segment's `\r` inside a frame.
            [mllp(ADT.trim_end()), mllp(ORU.trim_end())].concat(),
            [
                b"\xEF\xBB\xBF".as_slice(),
                ADT.as_bytes(),
                b"\xEF\xBB\xBF",
                ORU.as_bytes(),
            ]
            .concat(),
            ["FHS|^~\\&\rBHS|^~\\&\r", ADT, ORU, "BTS|2\rFTS|1\r"]
                .concat()
                .into_bytes(),
            ["garbage line\rmore\r", ADT, "not hl7\n", ORU, "trailing"]
                .concat()
                .into_bytes(),
            [ADT, "MS"].concat().into_bytes(),
            [mllp(ADT), b"FHS|^~\\&|unterminated".to_vec()].concat(),
        ]
    }

    #[test]
    fn streamed_units_equal_whole_input_units_for_every_read_size() {
        for (i, input) in inputs().iter().enumerate() {
            let expected = whole(input);
            for chunk in [1, 2, 3, 5, 7, 16, 61, 64, 200, CHUNK] {
                assert_eq!(streamed(input, chunk), expected, "input {i}, chunk {chunk}");
            }
        }
    }

    #[test]
    fn a_closed_mllp_frame_is_handed_out_before_the_end_of_input() {
        let mut splitter = Splitter::new();
        splitter.push(&[b"\x0b", ADT.as_bytes(), b"\x1c\r"].concat());
        let mut seen = 0;
        splitter
            .drain(false, |unit| {
                assert!(matches!(unit, Unit::Message(raw) if raw.ordinal == 1 && raw.offset == 1));
                seen += 1;
                Ok::<(), ()>(())
            })
            .unwrap();
        assert_eq!(seen, 1);
    }

    #[test]
    fn an_unframed_message_waits_for_the_next_unit_or_the_end() {
        let mut splitter = Splitter::new();
        splitter.push(ADT.as_bytes());
        let mut ordinals = Vec::new();
        let mut collect = |unit: Unit<'_>| {
            if let Unit::Message(raw) = unit {
                ordinals.push((raw.ordinal, raw.offset));
            }
            Ok::<(), ()>(())
        };
        splitter.drain(false, &mut collect).unwrap();
        splitter.push(ORU.as_bytes());
        splitter.drain(false, &mut collect).unwrap();
        splitter.drain(true, &mut collect).unwrap();
        assert_eq!(ordinals, [(1, 0), (2, ADT.len())]);
    }
}
