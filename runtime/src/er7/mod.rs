//! HL7 v2 ER7 ("pipe and hat") reader and writer.
//!
//! # Reading
//!
//! ```
//! use ferry_runtime::er7::{MessageIndex, split_messages};
//!
//! let file = b"MSH|^~\\&|LAB||||20240101||ADT^A01|1|P|2.5\rPID|1||123^^^MR~456^^^SS||Doe\\S\\Jr^Ann\r";
//! let mut index = MessageIndex::new(); // reuse across messages: no allocation once warm
//! for raw in split_messages(file) {
//!     let raw = raw?;
//!     let msg = index.parse_numbered(raw.bytes, Some(raw.ordinal))?;
//!     assert_eq!(msg.header_field(9).component(2).text(), "A01"); // MSH-9.2
//!     let pid = msg.segment("PID", 1).unwrap();
//!     assert_eq!(pid.field(3).repetition(2).component(1).text(), "456");
//!     assert_eq!(pid.field(5).component(1).text(), "Doe^Jr"); // unescaped
//!     assert_eq!(pid.field(5).component(1).raw(), b"Doe\\S\\Jr");
//!     assert!(pid.field(7).is_empty());
//! }
//! # Ok::<(), ferry_runtime::error::Error>(())
//! ```
//!
//! The reader makes one pass over the message (`memchr3` for the field
//! separator, `\r` and `\n`) into two flat offset vectors owned by a
//! reusable [`MessageIndex`]. Repetitions, components and subcomponents are
//! found lazily inside a field when asked for; text is unescaped (and
//! copied) only when the value holds an escape character. No allocation per
//! field.
//!
//! Field numbers follow HL7: for `MSH` (and `BHS`, `FHS`) field 1 is the field
//! separator itself and field 2 the encoding characters, so `MSH-3` is the
//! first field *after* the encoding characters. For other segments field 1 is
//! the first field after the segment id.
//!
//! Every accessor returns a value even when absent (`is_empty()`), so
//! generated code can chain `seg.field(5).repetition(1).component(2)`; HL7's
//! explicit null `""` is reported by `is_null()`.
//!
//! # Writing
//!
//! [`Writer`] builds segments moving forward through fields, repetitions,
//! components and subcomponents, escaping values. Law (property-tested):
//! reading what it wrote gives back the same values.

mod charset;
mod delimiters;
pub mod escape;
mod message;
mod split;
mod writer;

pub use charset::Charset;
pub use delimiters::Delimiters;
pub use message::{
    Component, Field, Message, MessageIndex, ParsedMessage, Repetition, Segment, Subcomponent,
};
pub(crate) use message::{Reps, same_id};
pub use split::{Messages, RawMessage, split_messages};
pub use writer::{LineEnding, Writer};
