//! Typed conversions between HL7 v2 and FHIR R4 primitive values, with exact
//! semantics. Every rule and decision is written down in
//! `docs/runtime-values.md`.
//!
//! | source | target | function |
//! |---|---|---|
//! | HL7 `DTM`/`TS.1` | FHIR `date` | [`date`] |
//! | HL7 `DTM`/`TS.1` | FHIR `dateTime` | [`date_time`] |
//! | HL7 `DTM`/`TS.1` | FHIR `instant` | [`instant`] |
//! | FHIR `date`/`dateTime`/`instant` | HL7 `DTM` | [`dtm_from_fhir`] |
//! | HL7 `NM` | FHIR `decimal` | [`Decimal::from_nm`] |
//! | HL7 `NM`/`SI` | FHIR `integer`, `positiveInt`, `unsignedInt` | [`integer`], [`positive_int`], [`unsigned_int`] |
//! | HL7 `ID`/`IS`, any text | FHIR `code` | [`code`] |
//!
//! Conversions borrow from the source and return small fixed-size values
//! ([`TemporalText`], `i32`, `&str`, [`Decimal`]), so none allocates unless
//! it fails; errors are [`ConvertError`], whose `Display` never shows the value.

mod datetime;
mod decimal;
mod error;
mod number;

pub use datetime::{
    Dtm, DtmPrecision, Offset, TemporalText, date, date_time, dtm_from_fhir, instant, time,
};
pub use decimal::Decimal;
pub use error::{ConvertError, ConvertErrorKind};
/// The IANA time zone type used for local times without an offset
/// (re-exported from `jiff`). Load one with `TimeZone::get("Europe/Berlin")`.
pub use jiff::tz::TimeZone;
pub use number::{code, integer, positive_int, unsigned_int};
