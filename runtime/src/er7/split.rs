//! Splitting a file or stream buffer into messages.

use crate::error::{Error, Kind, Location};

/// One message found in a file: its 1-based ordinal, the byte offset of its
/// `MSH` in the file, and its bytes (from `MSH` to the end of its last
/// segment, without framing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawMessage<'a> {
    /// 1-based ordinal among the messages of the file.
    pub ordinal: u32,
    /// Offset of the message's first byte in the file.
    pub offset: usize,
    /// The message bytes.
    pub bytes: &'a [u8],
}

/// Iterator over the messages of a file; see [`split_messages`].
#[derive(Clone, Debug)]
pub struct Messages<'a> {
    bytes: &'a [u8],
    pos: usize,
    ordinal: u32,
}

/// Split a file into messages. Understands:
///
/// - a UTF-8 BOM at the start of the file or of any message,
/// - MLLP framing (`0x0B` message `0x1C 0x0D`), or several frames in a row,
/// - batch/file envelopes: `FHS`, `BHS`, `BTS`, `FTS` lines are skipped,
/// - blank lines and any mix of `\r`, `\n`, `\r\n` line ends.
///
/// A message runs from an `MSH` line to the line before the next `MSH`,
/// envelope segment, MLLP byte or BOM at the start of a line. Lines outside
/// any message become one `Err` ([`Kind::StrayContent`], located by byte
/// span) and iteration continues with the next message, so nothing is lost
/// silently.
pub fn split_messages(bytes: &[u8]) -> Messages<'_> {
    Messages {
        bytes,
        pos: 0,
        ordinal: 0,
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Does a new unit (message, envelope, frame) start at the start of `rest`?
fn starts_unit(rest: &[u8]) -> bool {
    matches!(rest.first(), Some(0x0B | 0x1C))
        || rest.starts_with(BOM)
        || is_message_start(rest)
        || is_envelope(rest)
}

fn is_message_start(rest: &[u8]) -> bool {
    rest.starts_with(b"MSH")
}

fn is_envelope(rest: &[u8]) -> bool {
    [b"FHS", b"BHS", b"BTS", b"FTS"]
        .iter()
        .any(|id| rest.starts_with(*id))
}

impl<'a> Messages<'a> {
    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// End of the line starting at `from` (offset of its terminator or EOF).
    fn line_end(&self, from: usize) -> usize {
        let rest = self.bytes.get(from..).unwrap_or_default();
        // An MLLP end byte also ends a line (senders omit the last `\r`).
        memchr::memchr3(b'\r', b'\n', 0x1C, rest).map_or(self.bytes.len(), |n| from + n)
    }

    /// From the end of a line, skip terminators; returns the next line start.
    fn next_line(&self, mut at: usize) -> usize {
        while matches!(self.bytes.get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        at
    }

    /// Skip framing, BOMs and blank space between units.
    fn skip_gap(&mut self) {
        loop {
            let rest = self.rest();
            if rest.starts_with(BOM) {
                self.pos += BOM.len();
            } else if matches!(
                rest.first(),
                Some(0x0B | 0x1C | b'\r' | b'\n' | b' ' | b'\t')
            ) {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// Consume lines from `self.pos` until a unit starts; returns the end of
    /// the last consumed line. Always consumes the first line.
    fn consume_lines(&mut self) -> usize {
        let mut end = self.line_end(self.pos);
        loop {
            let next = self.next_line(end);
            let rest = self.bytes.get(next..).unwrap_or_default();
            if rest.is_empty() || starts_unit(rest) {
                self.pos = next;
                return end;
            }
            end = self.line_end(next);
        }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<RawMessage<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.skip_gap();
            let rest = self.rest();
            if rest.is_empty() {
                return None;
            }
            let start = self.pos;
            if is_message_start(rest) {
                let end = self.consume_lines();
                self.ordinal += 1;
                return Some(Ok(RawMessage {
                    ordinal: self.ordinal,
                    offset: start,
                    bytes: self.bytes.get(start..end).unwrap_or_default(),
                }));
            }
            if is_envelope(rest) {
                self.pos = self.line_end(start);
                continue;
            }
            let end = self.consume_lines();
            return Some(Err(Error::new(
                Kind::StrayContent,
                Location::at_span(start, end),
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(file: &[u8]) -> Vec<Result<(u32, usize, String), String>> {
        split_messages(file)
            .map(|r| {
                r.map(|m| {
                    (
                        m.ordinal,
                        m.offset,
                        String::from_utf8_lossy(m.bytes).into_owned(),
                    )
                })
                .map_err(|e| e.to_string())
            })
            .collect()
    }

    #[test]
    fn mllp_batch_bom_and_blank_lines() {
        let file = b"\xEF\xBB\xBFFHS|^~\\&\rBHS|^~\\&\r\nMSH|^~\\&|A\rPID|1\n\n\x0bMSH|^~\\&|B\rEVN|x\x1c\r\r\nMSH|^~\\&|C\r\nBTS|2\rFTS|1\r";
        let got = collect(file);
        assert_eq!(
            got,
            vec![
                Ok((1, 22, "MSH|^~\\&|A\rPID|1".to_string())),
                Ok((2, 41, "MSH|^~\\&|B\rEVN|x".to_string())),
                Ok((3, 61, "MSH|^~\\&|C".to_string())),
            ]
        );
    }

    #[test]
    fn stray_content_is_a_located_error_and_reading_goes_on() {
        let got = collect(b"garbage line\rmore\nMSH|^~\\&|A\r");
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            Err("content outside any message at bytes 0..17".to_string())
        );
        assert_eq!(got[1], Ok((1, 18, "MSH|^~\\&|A".to_string())));
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(collect(b"").is_empty());
        assert!(collect(b"\r\n \x0b\x1c\r").is_empty());
    }
}
