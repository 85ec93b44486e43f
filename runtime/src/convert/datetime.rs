//! HL7 v2 `DTM` (and `TS.1`) ⇄ FHIR `date`, `dateTime`, `instant`.
//!
//! The source precision is kept wherever FHIR can express it, and the offset
//! is kept as written. A time without an offset is placed in a configured
//! IANA time zone with jiff (DST-correct); without a zone it is an error,
//! never a silent UTC. The decisions are listed in `docs/runtime-values.md`.

use std::fmt;

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};

use super::error::{ConvertError, ConvertErrorKind};

/// How much of a `DTM` the source gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DtmPrecision {
    /// `YYYY`
    Year,
    /// `YYYYMM`
    Month,
    /// `YYYYMMDD`
    Day,
    /// `YYYYMMDDHH`
    Hour,
    /// `YYYYMMDDHHMM`
    Minute,
    /// `YYYYMMDDHHMMSS`
    Second,
    /// `YYYYMMDDHHMMSS.S` to `.SSSSSSSSS`
    Fraction,
}

/// A UTC offset as written in the source, sign included, so `-0000`
/// ("UTC, local offset unknown") stays distinct from `+0000`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Offset {
    negative: bool,
    hours: u8,
    minutes: u8,
}

impl Offset {
    /// The offset from UTC in seconds (east positive).
    pub fn seconds(&self) -> i32 {
        let s = i32::from(self.hours) * 3600 + i32::from(self.minutes) * 60;
        if self.negative { -s } else { s }
    }

    /// True when written with a `-` sign (also for `-0000`).
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    fn from_jiff(
        offset: jiff::tz::Offset,
        target: &'static str,
        text: &str,
    ) -> Result<Self, ConvertError> {
        let seconds = offset.seconds();
        if seconds % 60 != 0 || seconds.abs() > 14 * 3600 {
            return Err(ConvertError::new(
                ConvertErrorKind::OffsetOutOfRange,
                target,
                "the time zone's offset at that time is not whole minutes within ±14:00 (local mean time)",
                text,
            ));
        }
        let abs = seconds.unsigned_abs();
        Ok(Offset {
            negative: seconds < 0,
            hours: (abs / 3600) as u8,
            minutes: (abs / 60 % 60) as u8,
        })
    }
}

/// A validated HL7 v2 `DTM`: `YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]`.
///
/// Validation covers the calendar (month 1–12, day within the month, leap
/// years; year 0000 is rejected as FHIR has no year 0), the clock (hour 0–23,
/// minute and second 0–59) and the offset (minutes < 60, within ±14:00).
/// Components the source did not give read as their lowest value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dtm<'a> {
    year: i16,
    month: i8,
    day: i8,
    hour: i8,
    minute: i8,
    second: i8,
    fraction: &'a str,
    precision: DtmPrecision,
    offset: Option<Offset>,
}

impl<'a> Dtm<'a> {
    /// Parses and validates a `DTM` (for a `TS`, pass component 1 only).
    ///
    /// Accepts 1 to 9 fraction digits after the seconds (HL7 allows 4; more
    /// are unambiguous and kept). No whitespace is trimmed.
    pub fn parse(text: &'a str) -> Result<Self, ConvertError> {
        Self::parse_for(text, "DTM")
    }

    fn parse_for(text: &'a str, target: &'static str) -> Result<Self, ConvertError> {
        let err = |kind, detail| ConvertError::new(kind, target, detail, text);
        let syntax = |detail| err(ConvertErrorKind::Syntax, detail);
        ConvertError::non_empty(text, target)?;
        let bytes = text.as_bytes();
        let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        if !matches!(digits, 4 | 6 | 8 | 10 | 12 | 14) {
            return Err(syntax(
                "a DTM starts with 4, 6, 8, 10, 12 or 14 digits (YYYY[MM[DD[HH[MM[SS]]]]])",
            ));
        }
        let num = |at: usize, len: usize| -> i16 {
            bytes[at..at + len]
                .iter()
                .fold(0i16, |n, b| n * 10 + i16::from(b - b'0'))
        };
        let two = |at: usize| num(at, 2) as i8;
        let precision = match digits {
            4 => DtmPrecision::Year,
            6 => DtmPrecision::Month,
            8 => DtmPrecision::Day,
            10 => DtmPrecision::Hour,
            12 => DtmPrecision::Minute,
            _ => DtmPrecision::Second,
        };
        let mut dtm = Dtm {
            year: num(0, 4),
            month: if digits >= 6 { two(4) } else { 1 },
            day: if digits >= 8 { two(6) } else { 1 },
            hour: if digits >= 10 { two(8) } else { 0 },
            minute: if digits >= 12 { two(10) } else { 0 },
            second: if digits >= 14 { two(12) } else { 0 },
            fraction: "",
            precision,
            offset: None,
        };
        let mut rest = &text[digits..];
        if let Some(after) = rest.strip_prefix('.') {
            if digits != 14 {
                return Err(syntax(
                    "a fraction of a second needs the seconds (YYYYMMDDHHMMSS.S)",
                ));
            }
            let n = after.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 || n > 9 {
                return Err(syntax("a fraction of a second has 1 to 9 digits"));
            }
            dtm.fraction = &after[..n];
            dtm.precision = DtmPrecision::Fraction;
            rest = &after[n..];
        }
        if !rest.is_empty() {
            let negative = match rest.as_bytes()[0] {
                b'+' => false,
                b'-' => true,
                _ => return Err(syntax("unexpected character; an offset is +ZZZZ or -ZZZZ")),
            };
            let zone = &rest.as_bytes()[1..];
            if zone.len() != 4 || !zone.iter().all(u8::is_ascii_digit) {
                return Err(syntax(
                    "an offset is a sign and exactly four digits (+HHMM)",
                ));
            }
            let hours = (zone[0] - b'0') * 10 + (zone[1] - b'0');
            let minutes = (zone[2] - b'0') * 10 + (zone[3] - b'0');
            if minutes >= 60 || hours > 14 || (hours == 14 && minutes > 0) {
                return Err(err(
                    ConvertErrorKind::OffsetOutOfRange,
                    "an offset has minutes below 60 and lies within -1400..=+1400",
                ));
            }
            dtm.offset = Some(Offset {
                negative,
                hours,
                minutes,
            });
        }
        if dtm.year == 0 {
            return Err(err(
                ConvertErrorKind::ImpossibleDate,
                "year 0000 does not exist in FHIR",
            ));
        }
        if Date::new(dtm.year, dtm.month, dtm.day).is_err() {
            return Err(err(
                ConvertErrorKind::ImpossibleDate,
                "no such calendar date (month 01-12, day within the month, leap years)",
            ));
        }
        if dtm.hour > 23 {
            return Err(err(
                ConvertErrorKind::TimeOutOfRange,
                "hour above 23 (2400 is not accepted: write 0000 of the next day)",
            ));
        }
        if dtm.minute > 59 || dtm.second > 59 {
            return Err(err(
                ConvertErrorKind::TimeOutOfRange,
                "minute or second above 59 (leap seconds are not accepted)",
            ));
        }
        Ok(dtm)
    }

    /// How much the source gave.
    pub fn precision(&self) -> DtmPrecision {
        self.precision
    }

    /// The offset written in the source, if any.
    pub fn offset(&self) -> Option<Offset> {
        self.offset
    }

    /// The civil (wall-clock) date and time; missing parts are their lowest
    /// value.
    pub fn civil(&self) -> DateTime {
        let nanos = self
            .fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(9)
            .fold(0i32, |n, b| n * 10 + i32::from(b - b'0'));
        // Every field was validated by `parse`; fall back to the date alone
        // rather than panic should that ever be wrong.
        DateTime::new(
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            nanos,
        )
        .unwrap_or_else(|_| DateTime::from(Date::MIN))
    }
}

/// A short conversion result held inline (no allocation): the text of a
/// FHIR date/dateTime/instant or of an HL7 DTM.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TemporalText {
    buf: [u8; 40],
    len: u8,
}

impl TemporalText {
    fn new() -> Self {
        TemporalText {
            buf: [0; 40],
            len: 0,
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever pushed, so this never falls back.
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or_default()
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.buf.get_mut(usize::from(self.len)) {
            *slot = byte;
            self.len += 1;
        }
    }

    fn push_str(&mut self, s: &str) {
        s.bytes().for_each(|b| self.push(b));
    }

    fn push_num(&mut self, value: i16, width: u32) {
        let value = value.unsigned_abs();
        for i in (0..width).rev() {
            self.push(b'0' + (value / 10u16.pow(i) % 10) as u8);
        }
    }

    fn push_offset(&mut self, offset: Offset, colon: bool) {
        self.push(if offset.negative { b'-' } else { b'+' });
        self.push_num(i16::from(offset.hours), 2);
        if colon {
            self.push(b':');
        }
        self.push_num(i16::from(offset.minutes), 2);
    }
}

impl fmt::Display for TemporalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for TemporalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// HL7 TM → FHIR `time`: `hh:mm:ss[.f…]`.
///
/// TM is `HH[MM[SS[.S[S[S[S]]]]]][+/-ZZZZ]`. FHIR's `time` has seconds and no
/// zone: missing minutes and seconds are zero-filled, as for `dateTime`, and
/// an offset is dropped (the time is the one on the source's wall clock).
/// Hour 24, minute or second 60 and above are [`ConvertErrorKind::TimeOutOfRange`].
pub fn time(text: &str) -> Result<TemporalText, ConvertError> {
    let err = |kind, detail| ConvertError::new(kind, "time", detail, text);
    ConvertError::non_empty(text, "time")?;
    let clock = match text.find(['+', '-']) {
        Some(at) => {
            let offset = text.get(at + 1..).unwrap_or("");
            if offset.len() != 4 || !offset.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(
                    ConvertErrorKind::Syntax,
                    "a TM offset is +ZZZZ or -ZZZZ",
                ));
            }
            text.get(..at).unwrap_or("")
        }
        None => text,
    };
    let (whole, fraction) = match clock.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (clock, None),
    };
    if !matches!(whole.len(), 2 | 4 | 6) || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(ConvertErrorKind::Syntax, "a TM is HH, HHMM or HHMMSS"));
    }
    if let Some(f) = fraction
        && (f.is_empty()
            || f.len() > 4
            || !f.bytes().all(|b| b.is_ascii_digit())
            || whole.len() != 6)
    {
        return Err(err(
            ConvertErrorKind::Syntax,
            "a TM fraction has 1 to 4 digits after the seconds",
        ));
    }
    let part = |at: usize| -> i16 {
        whole
            .get(at..at + 2)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    };
    let (hour, minute, second) = (part(0), part(2), part(4));
    if hour > 23 || minute > 59 || second > 59 {
        return Err(err(
            ConvertErrorKind::TimeOutOfRange,
            "hour 00-23, minute and second 00-59",
        ));
    }
    let mut out = TemporalText::new();
    out.push_num(hour, 2);
    out.push(b':');
    out.push_num(minute, 2);
    out.push(b':');
    out.push_num(second, 2);
    if let Some(f) = fraction {
        out.push(b'.');
        out.push_str(f);
    }
    Ok(out)
}

/// HL7 DTM → FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD` at the source's
/// precision. A time of day and an offset are dropped: the date is the one
/// on the source's wall clock (a birth date stays the birth date).
pub fn date(text: &str) -> Result<TemporalText, ConvertError> {
    let dtm = Dtm::parse_for(text, "date")?;
    let mut out = TemporalText::new();
    write_date(&mut out, &dtm, dtm.precision.min(DtmPrecision::Day));
    Ok(out)
}

/// HL7 DTM → FHIR `dateTime`.
///
/// - Up to day precision: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`; an offset is
///   dropped (FHIR puts a zone only on a time).
/// - With a time: `YYYY-MM-DDThh:mm:ss[.f…]±hh:mm`. FHIR needs minutes and
///   seconds once hours are given, so missing minutes and seconds are
///   zero-filled (`2024010112` → `2024-01-01T12:00:00`): FHIR cannot express
///   hour or minute precision and its spec allows the zero fill.
/// - The offset is the source's, as written (`-0000` → `-00:00`). Without
///   one, the local time is placed in `zone`: a time in a DST gap is
///   [`ConvertErrorKind::NonexistentLocalTime`], a time in a DST overlap gets
///   the earlier instant (the offset in force before the change). Without a
///   zone it is [`ConvertErrorKind::MissingTimeZone`].
pub fn date_time(text: &str, zone: Option<&TimeZone>) -> Result<TemporalText, ConvertError> {
    let dtm = Dtm::parse_for(text, "dateTime")?;
    let mut out = TemporalText::new();
    if dtm.precision <= DtmPrecision::Day {
        write_date(&mut out, &dtm, dtm.precision);
        return Ok(out);
    }
    let offset = resolve_offset(&dtm, zone, "dateTime", text)?;
    write_date_time(&mut out, &dtm, offset);
    Ok(out)
}

/// HL7 DTM → FHIR `instant`: needs at least seconds
/// ([`ConvertErrorKind::InsufficientPrecision`] otherwise); the offset rules
/// are those of [`date_time`].
pub fn instant(text: &str, zone: Option<&TimeZone>) -> Result<TemporalText, ConvertError> {
    let dtm = Dtm::parse_for(text, "instant")?;
    if dtm.precision < DtmPrecision::Second {
        return Err(ConvertError::new(
            ConvertErrorKind::InsufficientPrecision,
            "instant",
            "an instant needs at least seconds (YYYYMMDDHHMMSS)",
            text,
        ));
    }
    let offset = resolve_offset(&dtm, zone, "instant", text)?;
    let mut out = TemporalText::new();
    write_date_time(&mut out, &dtm, offset);
    Ok(out)
}

fn resolve_offset(
    dtm: &Dtm<'_>,
    zone: Option<&TimeZone>,
    target: &'static str,
    text: &str,
) -> Result<Offset, ConvertError> {
    if let Some(offset) = dtm.offset {
        return Ok(offset);
    }
    let Some(zone) = zone else {
        return Err(ConvertError::new(
            ConvertErrorKind::MissingTimeZone,
            target,
            "the time has no offset and no time zone is configured (UTC is not assumed)",
            text,
        ));
    };
    match zone.to_ambiguous_timestamp(dtm.civil()).offset() {
        AmbiguousOffset::Unambiguous { offset } => Offset::from_jiff(offset, target, text),
        AmbiguousOffset::Fold { before, .. } => Offset::from_jiff(before, target, text),
        AmbiguousOffset::Gap { .. } => Err(ConvertError::new(
            ConvertErrorKind::NonexistentLocalTime,
            target,
            "the local time falls in a daylight-saving gap of the configured time zone",
            text,
        )),
    }
}

fn write_date(out: &mut TemporalText, dtm: &Dtm<'_>, precision: DtmPrecision) {
    out.push_num(dtm.year, 4);
    if precision >= DtmPrecision::Month {
        out.push(b'-');
        out.push_num(i16::from(dtm.month), 2);
    }
    if precision >= DtmPrecision::Day {
        out.push(b'-');
        out.push_num(i16::from(dtm.day), 2);
    }
}

fn write_date_time(out: &mut TemporalText, dtm: &Dtm<'_>, offset: Offset) {
    write_date(out, dtm, DtmPrecision::Day);
    out.push(b'T');
    out.push_num(i16::from(dtm.hour), 2);
    out.push(b':');
    out.push_num(i16::from(dtm.minute), 2);
    out.push(b':');
    out.push_num(i16::from(dtm.second), 2);
    if !dtm.fraction.is_empty() {
        out.push(b'.');
        out.push_str(dtm.fraction);
    }
    out.push_offset(offset, true);
}

/// FHIR `date`, `dateTime` or `instant` → HL7 DTM, for the FHIR → v2
/// direction.
///
/// Keeps the precision (`2024-05` → `202405`), writes the offset as `±ZZZZ`
/// (`Z` → `+0000`, `-00:00` → `-0000`). Fractions longer than the 4 digits
/// HL7 DTM holds are truncated (never rounded, so the time never moves
/// forward). Rejects text that does not match FHIR's regex, impossible dates,
/// leap second 60 and a time without offset.
pub fn dtm_from_fhir(text: &str) -> Result<TemporalText, ConvertError> {
    const TARGET: &str = "DTM";
    let syntax = |detail| ConvertError::new(ConvertErrorKind::Syntax, TARGET, detail, text);
    ConvertError::non_empty(text, TARGET)?;
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .filter(|s| s.iter().all(u8::is_ascii_digit))
            .map(|s| s.iter().fold(0i16, |n, d| n * 10 + i16::from(d - b'0')))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let shape = "expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.f]±hh:mm|Z";
    let mut out = TemporalText::new();
    let year = digits(0..4).ok_or_else(|| syntax(shape))?;
    let mut pos = 4;
    let (mut month, mut day) = (1, 1);
    out.push_num(year, 4);
    if at(pos, b'-') {
        month = digits(5..7).ok_or_else(|| syntax(shape))?;
        out.push_num(month, 2);
        pos = 7;
        if at(pos, b'-') {
            day = digits(8..10).ok_or_else(|| syntax(shape))?;
            out.push_num(day, 2);
            pos = 10;
        }
    }
    let impossible = || {
        ConvertError::new(
            ConvertErrorKind::ImpossibleDate,
            TARGET,
            "no such calendar date (month 01-12, day within the month, leap years)",
            text,
        )
    };
    if year == 0 {
        return Err(impossible());
    }
    let month = i8::try_from(month).map_err(|_| impossible())?;
    let day = i8::try_from(day).map_err(|_| impossible())?;
    Date::new(year, month, day).map_err(|_| impossible())?;
    if pos == b.len() {
        return Ok(out);
    }
    if pos != 10 || !at(10, b'T') || !at(13, b':') || !at(16, b':') {
        return Err(syntax(shape));
    }
    let (Some(h), Some(m), Some(s)) = (digits(11..13), digits(14..16), digits(17..19)) else {
        return Err(syntax(shape));
    };
    if h > 23 || m > 59 || s > 59 {
        return Err(ConvertError::new(
            ConvertErrorKind::TimeOutOfRange,
            TARGET,
            "hour above 23, or minute or second above 59 (HL7 has no leap second)",
            text,
        ));
    }
    out.push_num(h, 2);
    out.push_num(m, 2);
    out.push_num(s, 2);
    pos = 19;
    if at(pos, b'.') {
        let n = b[pos + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        if n == 0 {
            return Err(syntax(shape));
        }
        out.push(b'.');
        b[pos + 1..pos + 1 + n.min(4)]
            .iter()
            .for_each(|&d| out.push(d));
        pos += 1 + n;
    }
    let zone = &text[pos..];
    if zone == "Z" {
        out.push_str("+0000");
        return Ok(out);
    }
    let zb = zone.as_bytes();
    let sign = match zb.first() {
        Some(b'+') => false,
        Some(b'-') => true,
        None => {
            return Err(ConvertError::new(
                ConvertErrorKind::MissingTimeZone,
                TARGET,
                "a FHIR time must carry an offset or Z",
                text,
            ));
        }
        _ => return Err(syntax(shape)),
    };
    let zd = |r: std::ops::Range<usize>| {
        zb.get(r)
            .filter(|s| s.iter().all(u8::is_ascii_digit))
            .map(|s| s.iter().fold(0u8, |n, d| n * 10 + (d - b'0')))
    };
    let (Some(hours), Some(minutes), 6, Some(b':')) = (zd(1..3), zd(4..6), zb.len(), zb.get(3))
    else {
        return Err(syntax(shape));
    };
    if minutes >= 60 || hours > 14 || (hours == 14 && minutes > 0) {
        return Err(ConvertError::new(
            ConvertErrorKind::OffsetOutOfRange,
            TARGET,
            "an offset has minutes below 60 and lies within -14:00..=+14:00",
            text,
        ));
    }
    out.push_offset(
        Offset {
            negative: sign,
            hours,
            minutes,
        },
        false,
    );
    Ok(out)
}

#[cfg(test)]
mod time_tests {
    use super::*;

    /// The digits pushed are the value's last `width` decimal digits,
    /// zero-padded, for every width and sign the writers use and more.
    #[test]
    fn numbers_are_pushed_as_their_last_digits() {
        for width in 1..=5u32 {
            for value in (-9999i16..=9999)
                .step_by(7)
                .chain([0, 9, 10, 99, 100, 9999])
            {
                let mut out = TemporalText::new();
                out.push_num(value, width);
                let digits = u32::from(value.unsigned_abs()) % 10u32.pow(width);
                let expected = format!("{digits:0w$}", w = width as usize);
                assert_eq!(out.as_str(), expected, "{value} in {width}");
            }
        }
    }

    #[test]
    fn tm_becomes_fhir_time() {
        assert_eq!(time("1230").unwrap().as_str(), "12:30:00");
        assert_eq!(time("07").unwrap().as_str(), "07:00:00");
        assert_eq!(time("235959.1234").unwrap().as_str(), "23:59:59.1234");
        assert_eq!(time("083000-0500").unwrap().as_str(), "08:30:00");
    }

    #[test]
    fn impossible_or_malformed_tm_is_an_error() {
        assert_eq!(
            time("2400").unwrap_err().kind(),
            ConvertErrorKind::TimeOutOfRange
        );
        assert_eq!(
            time("1260").unwrap_err().kind(),
            ConvertErrorKind::TimeOutOfRange
        );
        assert_eq!(time("123").unwrap_err().kind(), ConvertErrorKind::Syntax);
        assert_eq!(time("12:30").unwrap_err().kind(), ConvertErrorKind::Syntax);
        assert_eq!(time("1230.5").unwrap_err().kind(), ConvertErrorKind::Syntax);
        assert_eq!(time("").unwrap_err().kind(), ConvertErrorKind::Empty);
        // The value never shows in the message.
        assert!(!time("9999").unwrap_err().to_string().contains("9999"));
    }
}
