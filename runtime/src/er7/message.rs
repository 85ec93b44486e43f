//! The index of one message and the accessors over it.

use std::borrow::Cow;

use super::{Charset, Delimiters, escape};
use crate::error::{Error, Kind, Location, SegmentId, Span};
use crate::swar::{ONES, eq};

/// One segment in the flat index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SegmentEntry {
    /// Offset of the first byte of the segment id.
    start: u32,
    /// Offset one past the last byte (the terminator is not included).
    end: u32,
    /// Index into `MessageIndex::fields` of this segment's first field start.
    first_field: u32,
    /// Number of positional fields including the segment id.
    field_count: u32,
}

/// Reusable offset vectors for reading messages: [`MessageIndex::parse`]
/// clears and refills them, so reading a stream of messages allocates only
/// while the vectors grow.
#[derive(Clone, Debug, Default)]
pub struct MessageIndex {
    segments: Vec<SegmentEntry>,
    /// Start offset of every field of every segment (field 0 = segment id).
    fields: Vec<u32>,
    default_charset: Charset,
    /// What the last successful parse found, so an owned index can hand out
    /// views again ([`ParsedMessage::message`]).
    header: Option<Header>,
    /// What every value of the last parsed message refers to (values hold
    /// a reference, not a copy: they are copied on every step down).
    ctx: Ctx,
}

/// Where the last parsed message stands in its input (the rest of what it
/// found is in the index's context).
#[derive(Clone, Copy, Debug)]
struct Header {
    base: usize,
    len: usize,
}

/// A message that owns its index: what [`Message::parse`] returns. Use
/// [`MessageIndex`] directly to reuse the offset vectors across messages.
#[derive(Clone, Debug)]
pub struct ParsedMessage<'a> {
    index: MessageIndex,
    bytes: &'a [u8],
}

impl ParsedMessage<'_> {
    /// The view of the message.
    pub fn message(&self) -> Message<'_> {
        self.index.view(self.bytes).unwrap_or(Message {
            bytes: &[],
            segments: &[],
            fields: &[],
            ctx: &NO_CTX,
        })
    }
}

impl MessageIndex {
    /// The view of the last successfully parsed message, if `bytes` are the
    /// bytes it was parsed from.
    fn view<'m>(&'m self, bytes: &'m [u8]) -> Option<Message<'m>> {
        let h = self.header?;
        Some(Message {
            bytes: bytes.get(h.base..h.base + h.len)?,
            segments: &self.segments,
            fields: &self.fields,
            ctx: &self.ctx,
        })
    }

    /// An empty index.
    pub fn new() -> MessageIndex {
        MessageIndex::default()
    }

    /// The character set assumed when MSH-18 is empty (default:
    /// [`Charset::Unspecified`], i.e. ASCII or UTF-8).
    pub fn set_default_charset(&mut self, charset: Charset) {
        self.default_charset = charset;
    }

    /// Forget the previous message (keeps the allocations).
    pub fn clear(&mut self) {
        self.segments.clear();
        self.fields.clear();
        self.header = None;
    }

    /// Index one message and return a view of it. `bytes` must start with
    /// `MSH` (a UTF-8 BOM and an MLLP start byte are skipped, a trailing MLLP
    /// end byte is ignored). Segments may end in `\r`, `\n`, `\r\n`, mixed;
    /// blank lines are skipped.
    pub fn parse<'m>(&'m mut self, bytes: &'m [u8]) -> Result<Message<'m>, Error> {
        self.parse_numbered(bytes, None)
    }

    /// Like [`MessageIndex::parse`], recording the message's ordinal in its
    /// file so that errors and [`Location`]s carry it.
    pub fn parse_numbered<'m>(
        &'m mut self,
        bytes: &'m [u8],
        ordinal: Option<u32>,
    ) -> Result<Message<'m>, Error> {
        let (bytes, base) = trim_framing(bytes);
        let fail = |kind, loc: Location| {
            let mut loc = loc.offset_by(base);
            loc.message = ordinal;
            Err(Error::new(kind, loc))
        };
        if bytes.len() >= u32::MAX as usize {
            return fail(Kind::TooLarge, Location::default());
        }
        if bytes.is_empty() {
            return fail(Kind::Empty, Location::at_span(0, 0));
        }
        if !bytes.starts_with(b"MSH") {
            return fail(Kind::NotMsh, Location::at_span(0, bytes.len().min(3)));
        }
        let delimiters = match Delimiters::from_header(bytes) {
            Ok(d) => d,
            Err(e) => {
                let mut loc = *e.location();
                loc.segment = SegmentId::new(b"MSH");
                loc.segment_occurrence = Some(1);
                loc.field = Some(2);
                return fail(e.kind().clone(), loc);
            }
        };
        self.clear();
        self.index(bytes, delimiters.field);
        let mut ctx = Ctx {
            delimiters,
            charset: self.default_charset,
            ordinal,
            base: base as u32,
            origin: bytes.as_ptr() as usize,
            len: bytes.len() as u32,
            escapes: escapes_after_msh2(bytes, &delimiters),
            text: String::new(),
        };
        // MSH-18 is read with the default character set, then decides it.
        let header_ctx = ctx.clone();
        let msg = Message {
            bytes,
            segments: &self.segments,
            fields: &self.fields,
            ctx: &header_ctx,
        };
        let msh18 = msg.header_field(18);
        let declared = msh18.repetition(1).raw();
        match Charset::from_msh18(declared) {
            Ok(Charset::Unspecified) => {}
            Ok(c) => ctx.charset = c,
            Err(e) => return Err(Error::new(e.kind().clone(), msh18.location())),
        }
        let checked = match ctx.charset.check(bytes) {
            Ok(checked) => checked,
            Err(at) => {
                let loc = msg.locate(at);
                return Err(Error::new(Kind::InvalidEncoding(ctx.charset.name()), loc));
            }
        };
        // Without text (Latin-1), values are decoded one by one.
        let mut text = std::mem::take(&mut self.ctx.text);
        text.clear();
        text.push_str(checked.unwrap_or_default());
        ctx.text = text;
        self.header = Some(Header {
            base,
            len: bytes.len(),
        });
        self.ctx = ctx;
        Ok(Message {
            bytes,
            segments: &self.segments,
            fields: &self.fields,
            ctx: &self.ctx,
        })
    }

    /// Two passes: line ends first (`memchr2`, which skips the ~100 bytes
    /// between them a vector at a time), then each segment's field
    /// separators, eight bytes at a time with SWAR (SIMD within a 64-bit
    /// register: exact zero-byte detection after an XOR with the broadcast
    /// separator). With a separator every ~7 bytes this beats
    /// `memchr_iter`, whose per-hit restart cost dominates on ER7; and a
    /// line holds no line end, so the word test looks for one byte only.
    /// Blank lines are skipped.
    fn index(&mut self, bytes: &[u8], fs: u8) {
        let mut start = 0;
        for end in memchr::memchr2_iter(b'\r', b'\n', bytes).chain(std::iter::once(bytes.len())) {
            if end > start {
                self.index_segment(bytes, start, end, fs);
            }
            start = end + 1;
        }
    }

    /// The field starts of the segment `bytes[start..end]` (a line).
    #[inline]
    fn index_segment(&mut self, bytes: &[u8], start: usize, end: usize, fs: u8) {
        let first = self.fields.len() as u32;
        // `bytes.len() < u32::MAX` was checked by the caller.
        self.fields.push(start as u32);
        let line = bytes.get(start..end).unwrap_or_default();
        let fsb = ONES * u64::from(fs);
        // The start of the field after a separator at `base + i`.
        let mut base = start as u32 + 1;
        let mut words = line.chunks_exact(8);
        for word in &mut words {
            let mut a = [0u8; 8];
            a.copy_from_slice(word);
            let mut seps = eq(u64::from_le_bytes(a), fsb);
            while seps != 0 {
                self.fields.push(base + seps.trailing_zeros() / 8);
                seps &= seps - 1;
            }
            base += 8;
        }
        for (i, &b) in words.remainder().iter().enumerate() {
            if b == fs {
                self.fields.push(base + i as u32);
            }
        }
        self.segments.push(SegmentEntry {
            start: start as u32,
            end: end as u32,
            first_field: first,
            field_count: self.fields.len() as u32 - first,
        });
    }
}

/// Whether the escape character occurs after MSH-2 (which holds it).
fn escapes_after_msh2(bytes: &[u8], d: &Delimiters) -> bool {
    let msh2 = bytes.get(4..).unwrap_or_default();
    let after = match memchr::memchr3(d.field, b'\r', b'\n', msh2) {
        Some(at) => msh2.get(at..).unwrap_or_default(),
        None => &[],
    };
    memchr::memchr(d.escape, after).is_some()
}

/// Strip a UTF-8 BOM, MLLP start/end bytes and surrounding line ends; returns
/// the message and the offset of its first byte in the input.
fn trim_framing(mut bytes: &[u8]) -> (&[u8], usize) {
    let mut base = 0;
    loop {
        if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
            bytes = rest;
            base += 3;
        } else if let [0x0B | b'\r' | b'\n', rest @ ..] = bytes {
            bytes = rest;
            base += 1;
        } else {
            break;
        }
    }
    // Trailing spaces are data (the last field's value), not framing.
    while let [rest @ .., 0x1C | b'\r' | b'\n'] = bytes {
        bytes = rest;
    }
    (bytes, base)
}

/// Whether two segment ids are equal: three bytes compared in place
/// (a slice comparison calls `memcmp`, which costs more on three bytes).
#[inline]
pub(crate) fn same_id(a: &[u8], b: &[u8]) -> bool {
    match (a, b) {
        ([a0, a1, a2], [b0, b1, b2]) => a0 == b0 && a1 == b1 && a2 == b2,
        _ => a == b,
    }
}

/// Is this segment id one whose field 1 is the field separator
/// (`MSH`, `BHS`, `FHS`)?
fn is_header(id: &[u8]) -> bool {
    matches!(id, b"MSH" | b"BHS" | b"FHS")
}

/// A read message: the bytes plus their index. Cheap to copy.
#[derive(Clone, Copy, Debug)]
pub struct Message<'m> {
    bytes: &'m [u8],
    segments: &'m [SegmentEntry],
    fields: &'m [u32],
    /// Delimiters, character set, ordinal and offset in the input.
    ctx: &'m Ctx,
}

/// What every accessor below a segment needs to decode and locate values.
#[derive(Clone, Debug, Default)]
struct Ctx {
    delimiters: Delimiters,
    charset: Charset,
    ordinal: Option<u32>,
    /// Offset of the message in its input (below 4 GiB: checked by parse).
    base: u32,
    /// Address and length of the message bytes, to compute the span of a
    /// sub-slice (absent values are `&[]` outside this range: no span).
    origin: usize,
    len: u32,
    /// Whether an escape character stands anywhere after MSH-2: when not,
    /// no value needs unescaping (most messages: one scan, not one a value).
    escapes: bool,
    /// The message as text, when its bytes are text as they stand (UTF-8
    /// or ASCII, checked once at parse): a value's text is a slice of it,
    /// not checked again. The buffer is reused from message to message.
    text: String,
}

impl Ctx {
    /// The text of raw message bytes, borrowed: sliced from the message's
    /// text when there is one, else decoded.
    fn decode_raw<'m>(&'m self, raw: &'m [u8]) -> Cow<'m, str> {
        let sliced = (raw.as_ptr() as usize)
            .checked_sub(self.origin)
            .and_then(|at| Some(at..at.checked_add(raw.len())?))
            .and_then(|range| self.text.get(range));
        match sliced {
            Some(t) => Cow::Borrowed(t),
            None => self.charset.decode(Cow::Borrowed(raw)),
        }
    }
}

/// The context of the empty message (no parse yet).
static NO_CTX: Ctx = Ctx {
    delimiters: Delimiters::DEFAULT,
    charset: Charset::Unspecified,
    ordinal: None,
    base: 0,
    origin: 0,
    len: 0,
    escapes: false,
    text: String::new(),
};

/// Where a value is, compactly: [`Location`] without the message (in the
/// [`Ctx`]) and the span (computed from the value's bytes). Values are
/// copied on every step down the tree, so they stay small.
#[derive(Clone, Copy, Debug)]
struct Loc {
    segment: Option<SegmentId>,
    /// 0 when the value belongs to no segment.
    occurrence: u32,
    field: u32,
    repetition: u32,
    component: u32,
    subcomponent: u32,
}

/// A number not set in a [`Loc`].
const UNSET: u32 = u32::MAX;

impl Loc {
    const NOWHERE: Loc = Loc {
        segment: None,
        occurrence: 0,
        field: UNSET,
        repetition: UNSET,
        component: UNSET,
        subcomponent: UNSET,
    };

    fn expand(&self, raw: &[u8], ctx: &Ctx) -> Location {
        let set = |n: u32| (n != UNSET).then_some(n);
        Location {
            message: if self.occurrence > 0 {
                ctx.ordinal
            } else {
                None
            },
            segment: self.segment,
            segment_occurrence: (self.occurrence > 0).then_some(self.occurrence),
            field: set(self.field),
            repetition: set(self.repetition),
            component: set(self.component),
            subcomponent: set(self.subcomponent),
            span: span_of(raw, ctx),
        }
    }
}

impl<'m> Message<'m> {
    /// Read one message with a fresh index (convenient; to read many, reuse
    /// a [`MessageIndex`]). See [`MessageIndex::parse`].
    pub fn parse(bytes: &[u8]) -> Result<ParsedMessage<'_>, Error> {
        let mut index = MessageIndex::new();
        index.parse(bytes)?;
        Ok(ParsedMessage { index, bytes })
    }

    /// The message bytes (without BOM/MLLP framing).
    pub fn bytes(&self) -> &'m [u8] {
        self.bytes
    }

    /// The delimiters from MSH-1/MSH-2.
    pub fn delimiters(&self) -> Delimiters {
        self.ctx.delimiters
    }

    /// The character set (MSH-18, or the index's default).
    pub fn charset(&self) -> Charset {
        self.ctx.charset
    }

    /// Number of segments.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// All segments in order.
    pub fn segments(&self) -> impl Iterator<Item = Segment<'m>> + '_ {
        // Occurrence counters per id, so the walk stays linear.
        let mut seen: smallvec::SmallVec<[(&'m [u8], u32); 16]> = smallvec::SmallVec::new();
        self.segments.iter().filter_map(move |e| {
            let id = self.id_of(e);
            let occurrence = match seen.iter_mut().find(|(s, _)| same_id(s, id)) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((id, 1));
                    1
                }
            };
            self.make_segment(*e, occurrence)
        })
    }

    /// The segment at position `i` (0-based) in the message.
    pub fn segment_at(&self, i: usize) -> Option<Segment<'m>> {
        let e = *self.segments.get(i)?;
        let id = self.id_of(&e);
        let occurrence = 1 + self
            .segments
            .get(..i)?
            .iter()
            .filter(|o| same_id(self.id_of(o), id))
            .count() as u32;
        self.make_segment(e, occurrence)
    }

    /// Field 0 (the segment id) of entry `e`.
    fn id_of(&self, e: &SegmentEntry) -> &'m [u8] {
        let end = match self.fields.get(e.first_field as usize + 1) {
            Some(&next) if e.field_count > 1 => next - 1,
            _ => e.end,
        };
        self.bytes
            .get(e.start as usize..end as usize)
            .unwrap_or_default()
    }

    fn make_segment(&self, e: SegmentEntry, occurrence: u32) -> Option<Segment<'m>> {
        let bytes = self.bytes.get(e.start as usize..e.end as usize)?;
        let starts = self
            .fields
            .get(e.first_field as usize..(e.first_field + e.field_count) as usize)?;
        let mut segment = Segment {
            bytes,
            start: e.start,
            starts,
            occurrence,
            ctx: self.ctx,
            header: false,
            id: None,
        };
        // Read once here, not on every field access.
        let id = segment.positional(0);
        segment.header = is_header(id);
        segment.id = SegmentId::new(id);
        Some(segment)
    }

    /// The `occurrence`-th (1-based) segment with id `id`, e.g.
    /// `msg.segment("OBX", 3)`.
    pub fn segment(&self, id: &str, occurrence: usize) -> Option<Segment<'m>> {
        self.segments_named(id).nth(occurrence.checked_sub(1)?)
    }

    /// All segments with id `id`, in order.
    pub fn segments_named<'s>(&'s self, id: &'s str) -> impl Iterator<Item = Segment<'m>> + 's {
        let id = id.as_bytes();
        let mut occurrence = 0;
        self.segments.iter().filter_map(move |e| {
            if same_id(self.id_of(e), id) {
                occurrence += 1;
                self.make_segment(*e, occurrence)
            } else {
                None
            }
        })
    }

    /// Field `n` of the `MSH` segment (HL7 numbering: 1 = field separator,
    /// 2 = encoding characters, 9 = message type...). Absent if missing.
    pub fn header_field(&self, n: usize) -> Field<'m> {
        match self.segment_at(0) {
            Some(s) => s.field(n),
            None => Field::absent(self.ctx, Loc::NOWHERE),
        }
    }

    /// The location of byte `offset` of the message: segment, occurrence,
    /// field and span of that field.
    pub fn locate(&self, offset: usize) -> Location {
        let mut loc = Location::at_span(offset, offset + 1).offset_by(self.ctx.base as usize);
        loc.message = self.ctx.ordinal;
        let i = self.segments.partition_point(|e| (e.end as usize) < offset);
        if let Some(seg) = self.segment_at(i)
            && (seg.start as usize) <= offset
        {
            let rel = (offset - seg.start as usize) as u32;
            let p = seg
                .starts
                .partition_point(|&s| s - seg.start <= rel)
                .saturating_sub(1);
            let n = seg.field_number(p);
            let f = seg.field(n);
            loc = f.location();
            if n == 0 {
                loc.field = None;
            }
        }
        loc
    }
}

/// One segment: its id and fields.
#[derive(Clone, Copy, Debug)]
pub struct Segment<'m> {
    bytes: &'m [u8],
    start: u32,
    /// Absolute start offsets of the positional fields (0 = the id).
    starts: &'m [u32],
    occurrence: u32,
    ctx: &'m Ctx,
    /// `MSH`, `BHS` or `FHS`: fields 1 and 2 are the delimiters.
    header: bool,
    /// The id, when it is a valid one.
    id: Option<SegmentId>,
}

impl<'m> Segment<'m> {
    /// The segment id as bytes (field 0), e.g. `b"PID"`.
    pub fn id(&self) -> &'m [u8] {
        self.positional(0)
    }

    /// The segment id as a [`SegmentId`], if it is a valid one.
    pub fn segment_id(&self) -> Option<SegmentId> {
        self.id
    }

    /// Which occurrence of this id in the message (1-based).
    pub fn occurrence(&self) -> u32 {
        self.occurrence
    }

    /// The whole segment, without its terminator.
    pub fn raw(&self) -> &'m [u8] {
        self.bytes
    }

    /// The highest field number present (HL7 numbering), so `1..=field_count()`
    /// covers every field.
    pub fn field_count(&self) -> usize {
        let positional = self.starts.len().saturating_sub(1);
        if self.is_header() {
            positional + 1
        } else {
            positional
        }
    }

    fn is_header(&self) -> bool {
        self.header
    }

    /// HL7 field number of positional field `p`.
    fn field_number(&self, p: usize) -> usize {
        if self.is_header() && p >= 1 { p + 1 } else { p }
    }

    /// Raw bytes of positional field `p` (0 = id).
    fn positional(&self, p: usize) -> &'m [u8] {
        let Some(&s) = self.starts.get(p) else {
            return &[];
        };
        let end = match self.starts.get(p + 1) {
            Some(&next) => next - 1,
            None => self.start + self.bytes.len() as u32,
        };
        self.bytes
            .get((s - self.start) as usize..(end.max(s) - self.start) as usize)
            .unwrap_or_default()
    }

    /// Field `n`, HL7 numbering (1-based). For `MSH`/`BHS`/`FHS`, field 1 is
    /// the field separator and field 2 the encoding characters; both are
    /// literal (never split or unescaped). Field 0 is the segment id. A field
    /// beyond the end of the segment is absent (empty).
    pub fn field(&self, n: usize) -> Field<'m> {
        let header = self.is_header();
        let (raw, literal) = match (header, n) {
            (_, 0) => (self.positional(0), true),
            (true, 1) => (self.bytes.get(3..4).unwrap_or_default(), true),
            (true, 2) => (self.positional(1), true),
            (true, n) => (self.positional(n - 1), false),
            (false, n) => (self.positional(n), false),
        };
        let loc = Loc {
            segment: self.segment_id(),
            occurrence: self.occurrence,
            field: n as u32,
            ..Loc::NOWHERE
        };
        Field {
            raw,
            literal,
            ctx: self.ctx,
            loc,
        }
    }

    /// All fields `1..=field_count()`.
    pub fn fields(&self) -> impl Iterator<Item = Field<'m>> + '_ {
        (1..=self.field_count()).map(|n| self.field(n))
    }

    /// Where this segment is.
    pub fn location(&self) -> Location {
        let mut loc =
            Location::at_span(self.start as usize, self.start as usize + self.bytes.len())
                .offset_by(self.ctx.base as usize);
        loc.message = self.ctx.ordinal;
        loc.segment = self.segment_id();
        loc.segment_occurrence = Some(self.occurrence);
        loc
    }
}

macro_rules! leaf_methods {
    () => {
        /// The raw bytes, escapes not decoded.
        pub fn raw(&self) -> &'m [u8] {
            self.raw
        }

        /// Empty: not present in the message (HL7 "not valued").
        pub fn is_empty(&self) -> bool {
            self.raw.is_empty()
        }

        /// HL7's explicit null `""` ("delete the value"), distinct from absent.
        pub fn is_null(&self) -> bool {
            self.raw == b"\"\""
        }

        /// Present and not the explicit null.
        pub fn is_valued(&self) -> bool {
            !self.is_empty() && !self.is_null()
        }

        /// The text: escapes decoded, bytes decoded per MSH-18. Borrows unless
        /// an escape sequence or a Latin-1 byte forced a copy. The explicit
        /// null reads as `""` (two quote characters); test [`Self::is_null`].
        pub fn text(&self) -> Cow<'m, str> {
            // Literal fields (MSH-1, MSH-2) are never unescaped; nor is
            // anything in a message without an escape character after MSH-2.
            if self.literal || !self.ctx.escapes {
                return self.ctx.decode_raw(self.raw);
            }
            match escape::unescape(self.raw, &self.ctx.delimiters) {
                Cow::Borrowed(raw) => self.ctx.decode_raw(raw),
                unescaped => self.ctx.charset.decode(unescaped),
            }
        }

        /// Where this value is.
        pub fn location(&self) -> Location {
            self.loc.expand(self.raw, self.ctx)
        }

        /// An error of `kind` located at this value, carrying its text as the
        /// (redacted-by-default) value.
        pub fn error(&self, kind: Kind) -> Error {
            Error::new(kind, self.location()).with_value(self.text().into_owned())
        }
    };
}

/// The span of `raw` if it lies inside the message.
fn span_of(raw: &[u8], ctx: &Ctx) -> Option<Span> {
    let rel = (raw.as_ptr() as usize).checked_sub(ctx.origin)?;
    let base = ctx.base as usize;
    (rel + raw.len() <= ctx.len as usize).then(|| Span::new(rel + base, rel + base + raw.len()))
}

/// Calls `hit` with the offset of every `sep` in `raw`, in order, until it
/// returns `true`; eight bytes at a time (SWAR), as the index does (on the
/// short values of HL7, `memchr`'s setup costs more than it saves).
/// Returns whether `hit` stopped the walk.
#[inline(always)]
fn each_sep(raw: &[u8], sep: u8, mut hit: impl FnMut(usize) -> bool) -> bool {
    let c = ONES * u64::from(sep);
    let mut words = raw.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(word);
        let mut m = eq(u64::from_le_bytes(a), c);
        while m != 0 {
            let at = base + (m.trailing_zeros() / 8) as usize;
            m &= m - 1;
            if hit(at) {
                return true;
            }
        }
        base += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        if b == sep && hit(base + i) {
            return true;
        }
    }
    false
}

/// Split `raw` by `sep` and take piece `n` (1-based); absent if out of range.
fn piece(raw: &[u8], sep: u8, n: usize) -> Option<&[u8]> {
    if raw.is_empty() {
        return if n == 1 { Some(raw) } else { None };
    }
    if n == 1 {
        // The common read (a component's first subcomponent, a text's
        // first component): up to the first separator.
        return Some(match find(sep, raw) {
            Some(at) => raw.get(..at).unwrap_or_default(),
            None => raw,
        });
    }
    let want = n.checked_sub(1)?;
    // One pass: the piece starts after separator `want` and ends at the next.
    let (mut seen, mut start, mut end) = (0, 0, raw.len());
    each_sep(raw, sep, |at| {
        if seen == want {
            end = at;
            return true;
        }
        seen += 1;
        if seen == want {
            start = at + 1;
        }
        false
    });
    if seen < want {
        return None;
    }
    raw.get(start..end)
}

/// The first `sep` in `raw`.
#[inline]
fn find(sep: u8, raw: &[u8]) -> Option<usize> {
    let mut found = None;
    each_sep(raw, sep, |at| {
        found = Some(at);
        true
    });
    found
}

/// How many `sep` bytes `raw` holds.
#[inline]
fn count_of(sep: u8, raw: &[u8]) -> usize {
    if raw.len() >= 1024 {
        return memchr::memchr_iter(sep, raw).count();
    }
    let c = ONES * u64::from(sep);
    let mut words = raw.chunks_exact(8);
    let mut n = 0;
    for word in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(word);
        n += eq(u64::from_le_bytes(a), c).count_ones() as usize;
    }
    n + words.remainder().iter().filter(|&&b| b == sep).count()
}

/// The repetitions of a field, in one pass ([`Field::rep_iter`]).
#[derive(Clone, Debug)]
pub(crate) struct Reps<'m> {
    field: Field<'m>,
    rest: Option<&'m [u8]>,
    /// How many were given.
    n: u32,
}

impl<'m> Iterator for Reps<'m> {
    type Item = Repetition<'m>;

    #[inline]
    fn next(&mut self) -> Option<Repetition<'m>> {
        let rest = self.rest?;
        let found = if self.field.literal {
            None
        } else {
            find(self.field.ctx.delimiters.repetition, rest)
        };
        let raw = match found {
            Some(at) => {
                self.rest = rest.get(at + 1..);
                rest.get(..at).unwrap_or_default()
            }
            None => {
                self.rest = None;
                rest
            }
        };
        self.n += 1;
        let mut loc = self.field.loc;
        loc.repetition = self.n;
        Some(Repetition {
            raw,
            literal: self.field.literal,
            ctx: self.field.ctx,
            loc,
        })
    }
}

/// A field: one or more repetitions.
#[derive(Clone, Copy, Debug)]
pub struct Field<'m> {
    raw: &'m [u8],
    literal: bool,
    ctx: &'m Ctx,
    loc: Loc,
}

impl<'m> Field<'m> {
    fn absent(ctx: &'m Ctx, loc: Loc) -> Field<'m> {
        Field {
            raw: &[],
            literal: false,
            ctx,
            loc,
        }
    }

    leaf_methods!();

    /// Number of repetitions (0 if the field is empty).
    pub fn repetition_count(&self) -> usize {
        if self.raw.is_empty() {
            0
        } else if self.literal {
            1
        } else {
            1 + count_of(self.ctx.delimiters.repetition, self.raw)
        }
    }

    /// Repetition `i` (1-based). Absent (empty) if there is no such one.
    pub fn repetition(&self, i: usize) -> Repetition<'m> {
        let raw = if self.literal {
            if i == 1 { Some(self.raw) } else { None }
        } else {
            piece(self.raw, self.ctx.delimiters.repetition, i)
        };
        let mut loc = self.loc;
        loc.repetition = i as u32;
        let raw = raw.unwrap_or_default();
        Repetition {
            raw,
            literal: self.literal,
            ctx: self.ctx,
            loc,
        }
    }

    /// All repetitions (none if the field is empty).
    pub fn repetitions(&self) -> impl Iterator<Item = Repetition<'m>> + use<'m> {
        self.rep_iter()
    }

    /// [`Self::repetitions`] as a named iterator, for the runtime's own
    /// iterators over fields.
    pub(crate) fn rep_iter(&self) -> Reps<'m> {
        // One pass over the field, not one search per repetition.
        Reps {
            field: *self,
            rest: (!self.raw.is_empty()).then_some(self.raw),
            n: 0,
        }
    }

    /// Component `j` of the first repetition.
    pub fn component(&self, j: usize) -> Component<'m> {
        self.repetition(1).component(j)
    }
}

/// One repetition of a field: one or more components.
#[derive(Clone, Copy, Debug)]
pub struct Repetition<'m> {
    raw: &'m [u8],
    literal: bool,
    ctx: &'m Ctx,
    loc: Loc,
}

impl<'m> Repetition<'m> {
    leaf_methods!();

    /// Number of components (0 if empty).
    pub fn component_count(&self) -> usize {
        count(self.raw, self.literal, self.ctx.delimiters.component)
    }

    /// Component `j` (1-based). Absent (empty) if there is no such one.
    pub fn component(&self, j: usize) -> Component<'m> {
        let raw = split_piece(self.raw, self.literal, self.ctx.delimiters.component, j);
        let mut loc = self.loc;
        loc.component = j as u32;
        Component {
            raw,
            literal: self.literal,
            ctx: self.ctx,
            loc,
        }
    }

    /// `component(1).subcomponent(1)` in one scan: what a receiver reads
    /// when it expects a primitive.
    pub fn first_subcomponent(&self) -> Subcomponent<'m> {
        let d = &self.ctx.delimiters;
        let raw = if self.literal {
            self.raw
        } else {
            let end = self
                .raw
                .iter()
                .position(|&b| b == d.component || b == d.subcomponent)
                .unwrap_or(self.raw.len());
            self.raw.get(..end).unwrap_or_default()
        };
        let mut loc = self.loc;
        loc.component = 1;
        loc.subcomponent = 1;
        Subcomponent {
            raw,
            literal: self.literal,
            ctx: self.ctx,
            loc,
        }
    }

    /// All components.
    pub fn components(&self) -> impl Iterator<Item = Component<'m>> + '_ {
        (1..=self.component_count()).map(|j| self.component(j))
    }

    /// The bounds of the first `ends.len()` components in one scan:
    /// `ends[j]` is where component `j + 1` ends (relative to [`Self::raw`]),
    /// so [`Self::component_in`] reads any of them without another scan.
    /// Returns how many components were found, and whether that is all the
    /// repetition holds. A literal repetition (MSH-1, MSH-2) is never split:
    /// `(0, false)`.
    pub(crate) fn component_ends(&self, ends: &mut [u32]) -> (usize, bool) {
        if self.literal || ends.is_empty() {
            return (0, false);
        }
        let mut found = 0;
        let stopped = each_sep(self.raw, self.ctx.delimiters.component, |at| {
            if let Some(e) = ends.get_mut(found) {
                *e = at as u32;
            }
            found += 1;
            found == ends.len()
        });
        if stopped {
            return (found, false);
        }
        if let Some(e) = ends.get_mut(found) {
            *e = self.raw.len() as u32;
        }
        (found + 1, true)
    }

    /// Component `j` (1-based) as [`Self::component`] gives it, from the
    /// bounds [`Self::component_ends`] found (`j <= ends.len()`).
    pub(crate) fn component_in(&self, ends: &[u32], j: usize) -> Component<'m> {
        let end = ends.get(j.wrapping_sub(1)).map_or(0, |&e| e as usize);
        let start = match j {
            0 | 1 => 0,
            _ => ends.get(j - 2).map_or(end, |&e| e as usize + 1),
        };
        let mut loc = self.loc;
        loc.component = j as u32;
        Component {
            raw: self.raw.get(start..end).unwrap_or_default(),
            literal: self.literal,
            ctx: self.ctx,
            loc,
        }
    }
}

fn count(raw: &[u8], literal: bool, sep: u8) -> usize {
    if raw.is_empty() {
        0
    } else if literal {
        1
    } else {
        1 + count_of(sep, raw)
    }
}

fn split_piece(raw: &[u8], literal: bool, sep: u8, n: usize) -> &[u8] {
    if literal {
        if n == 1 { raw } else { &[] }
    } else {
        piece(raw, sep, n).unwrap_or_default()
    }
}

/// One component: one or more subcomponents.
#[derive(Clone, Copy, Debug)]
pub struct Component<'m> {
    raw: &'m [u8],
    literal: bool,
    ctx: &'m Ctx,
    loc: Loc,
}

impl<'m> Component<'m> {
    leaf_methods!();

    /// Number of subcomponents (0 if empty).
    pub fn subcomponent_count(&self) -> usize {
        count(self.raw, self.literal, self.ctx.delimiters.subcomponent)
    }

    /// Subcomponent `k` (1-based). Absent (empty) if there is no such one.
    pub fn subcomponent(&self, k: usize) -> Subcomponent<'m> {
        let raw = split_piece(self.raw, self.literal, self.ctx.delimiters.subcomponent, k);
        let mut loc = self.loc;
        loc.subcomponent = k as u32;
        Subcomponent {
            raw,
            literal: self.literal,
            ctx: self.ctx,
            loc,
        }
    }

    /// All subcomponents.
    pub fn subcomponents(&self) -> impl Iterator<Item = Subcomponent<'m>> + '_ {
        (1..=self.subcomponent_count()).map(|k| self.subcomponent(k))
    }
}

/// One subcomponent: a leaf value.
#[derive(Clone, Copy, Debug)]
pub struct Subcomponent<'m> {
    raw: &'m [u8],
    literal: bool,
    ctx: &'m Ctx,
    loc: Loc,
}

impl<'m> Subcomponent<'m> {
    leaf_methods!();
}

#[cfg(test)]
mod split_tests {
    use super::{count_of, find, piece};
    use proptest::prelude::*;

    proptest! {
        /// The word-at-a-time splitting agrees with `split` on any bytes,
        /// separators at every offset and word boundary included.
        #[test]
        fn swar_splitting_agrees_with_split(
            raw in proptest::collection::vec(prop_oneof![Just(b'^'), Just(b'a'), any::<u8>()], 0..80),
            n in 0usize..12,
        ) {
            let expected = if raw.is_empty() {
                (n == 1).then_some(&raw[..])
            } else if n == 0 {
                None
            } else {
                raw.split(|&b| b == b'^').nth(n - 1)
            };
            prop_assert_eq!(piece(&raw, b'^', n), expected);
            prop_assert_eq!(find(b'^', &raw), raw.iter().position(|&b| b == b'^'));
            prop_assert_eq!(count_of(b'^', &raw), raw.iter().filter(|&&b| b == b'^').count());
        }
    }
}
