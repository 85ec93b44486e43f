//! HL7 DTM → FHIR date/dateTime/instant, with real DST transitions.

// Test helpers outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used)]

use ferry_runtime::convert::{
    ConvertErrorKind, Dtm, DtmPrecision, TimeZone, date, date_time, dtm_from_fhir, instant,
};

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

fn dt(text: &str, tz: Option<&str>) -> Result<String, ConvertErrorKind> {
    let tz = tz.map(zone);
    date_time(text, tz.as_ref())
        .map(|t| t.as_str().to_owned())
        .map_err(|e| e.kind())
}

#[test]
fn date_keeps_source_precision() {
    assert_eq!(date("1987").unwrap().as_str(), "1987");
    assert_eq!(date("198706").unwrap().as_str(), "1987-06");
    assert_eq!(date("19870615").unwrap().as_str(), "1987-06-15");
    // A birth time is dropped; the wall-clock date stays, whatever the offset.
    assert_eq!(date("198706152330-0500").unwrap().as_str(), "1987-06-15");
    assert_eq!(date("19870615+1400").unwrap().as_str(), "1987-06-15");
}

#[test]
fn date_time_keeps_precision_and_offset() {
    assert_eq!(dt("2024", None).unwrap(), "2024");
    assert_eq!(dt("202402", None).unwrap(), "2024-02");
    assert_eq!(dt("20240229", None).unwrap(), "2024-02-29");
    assert_eq!(dt("20240229+0100", None).unwrap(), "2024-02-29");
    assert_eq!(
        dt("20240229134512.1234+0530", None).unwrap(),
        "2024-02-29T13:45:12.1234+05:30"
    );
    assert_eq!(
        dt("20240229134512.5-0330", None).unwrap(),
        "2024-02-29T13:45:12.5-03:30"
    );
    assert_eq!(
        dt("20240229134512+0000", None).unwrap(),
        "2024-02-29T13:45:12+00:00"
    );
    assert_eq!(
        dt("20240229134512-0000", None).unwrap(),
        "2024-02-29T13:45:12-00:00"
    );
    assert_eq!(
        dt("20240229134512+1400", None).unwrap(),
        "2024-02-29T13:45:12+14:00"
    );
    assert_eq!(
        dt("20240229134512-1200", None).unwrap(),
        "2024-02-29T13:45:12-12:00"
    );
}

#[test]
fn missing_minutes_and_seconds_are_zero_filled() {
    assert_eq!(
        dt("2024022913+0100", None).unwrap(),
        "2024-02-29T13:00:00+01:00"
    );
    assert_eq!(
        dt("202402291345+0100", None).unwrap(),
        "2024-02-29T13:45:00+01:00"
    );
}

#[test]
fn no_offset_and_no_zone_is_an_error_not_utc() {
    assert_eq!(
        dt("202402291345", None),
        Err(ConvertErrorKind::MissingTimeZone)
    );
    assert_eq!(
        dt("2024022913", None),
        Err(ConvertErrorKind::MissingTimeZone)
    );
    // A date needs no zone.
    assert_eq!(dt("20240229", None).unwrap(), "2024-02-29");
}

#[test]
fn configured_zone_fills_the_offset() {
    let ny = Some("America/New_York");
    assert_eq!(
        dt("20240115093000", ny).unwrap(),
        "2024-01-15T09:30:00-05:00"
    );
    assert_eq!(
        dt("20240715093000", ny).unwrap(),
        "2024-07-15T09:30:00-04:00"
    );
    let berlin = Some("Europe/Berlin");
    assert_eq!(
        dt("20240115093000", berlin).unwrap(),
        "2024-01-15T09:30:00+01:00"
    );
    assert_eq!(
        dt("20240715093000", berlin).unwrap(),
        "2024-07-15T09:30:00+02:00"
    );
    assert_eq!(
        dt("202407150930", Some("Asia/Kolkata")).unwrap(),
        "2024-07-15T09:30:00+05:30"
    );
    // An explicit offset wins over the zone.
    assert_eq!(
        dt("20240715093000+0000", ny).unwrap(),
        "2024-07-15T09:30:00+00:00"
    );
}

#[test]
fn dst_gap_is_rejected() {
    // America/New_York: 2024-03-10 02:00 → 03:00.
    let ny = Some("America/New_York");
    assert_eq!(
        dt("20240310023000", ny),
        Err(ConvertErrorKind::NonexistentLocalTime)
    );
    assert_eq!(
        dt("2024031002", ny),
        Err(ConvertErrorKind::NonexistentLocalTime)
    );
    assert_eq!(
        dt("20240310015959", ny).unwrap(),
        "2024-03-10T01:59:59-05:00"
    );
    assert_eq!(
        dt("20240310030000", ny).unwrap(),
        "2024-03-10T03:00:00-04:00"
    );
    // Europe/Berlin: 2024-03-31 02:00 → 03:00.
    let berlin = Some("Europe/Berlin");
    assert_eq!(
        dt("202403310215", berlin),
        Err(ConvertErrorKind::NonexistentLocalTime)
    );
    assert_eq!(
        dt("202403310300", berlin).unwrap(),
        "2024-03-31T03:00:00+02:00"
    );
}

#[test]
fn dst_overlap_takes_the_earlier_instant() {
    // America/New_York: 2024-11-03 02:00 EDT → 01:00 EST; 01:30 happens twice.
    let ny = Some("America/New_York");
    assert_eq!(
        dt("20241103013000", ny).unwrap(),
        "2024-11-03T01:30:00-04:00"
    );
    assert_eq!(
        dt("20241103020000", ny).unwrap(),
        "2024-11-03T02:00:00-05:00"
    );
    // Europe/Berlin: 2024-10-27 03:00 CEST → 02:00 CET; 02:30 happens twice.
    let berlin = Some("Europe/Berlin");
    assert_eq!(
        dt("20241027023000", berlin).unwrap(),
        "2024-10-27T02:30:00+02:00"
    );
    assert_eq!(
        dt("20241027030000", berlin).unwrap(),
        "2024-10-27T03:00:00+01:00"
    );
}

#[test]
fn impossible_dates_and_times() {
    for bad in [
        "20230230", "20231301", "20230001", "20230100", "20230229", "19000229", "0000",
    ] {
        assert_eq!(
            dt(bad, None),
            Err(ConvertErrorKind::ImpossibleDate),
            "{bad}"
        );
    }
    assert_eq!(dt("20000229", None).unwrap(), "2000-02-29");
    for bad in [
        "202301012400+0000",
        "2023010124+0000",
        "202301012360+0000",
        "20230101235960+0000",
    ] {
        assert_eq!(
            dt(bad, None),
            Err(ConvertErrorKind::TimeOutOfRange),
            "{bad}"
        );
    }
}

#[test]
fn offsets_out_of_range() {
    for bad in [
        "202301011200+1401",
        "202301011200-1500",
        "202301011200+0560",
    ] {
        assert_eq!(
            dt(bad, None),
            Err(ConvertErrorKind::OffsetOutOfRange),
            "{bad}"
        );
    }
}

#[test]
fn syntax_errors() {
    for bad in [
        "202",
        "20230",
        "2023010",
        "202301011",
        "2023-01-01",
        "20230101 1200",
        " 20230101",
        "20230101120000.",
        "2023010112.5",
        "20230101120000.1234567890",
        "202301011200+05",
        "202301011200+05:30",
        "202301011200Z",
        "20230101120000^S",
    ] {
        assert_eq!(dt(bad, None), Err(ConvertErrorKind::Syntax), "{bad:?}");
    }
    assert_eq!(dt("", None), Err(ConvertErrorKind::Empty));
}

#[test]
fn instant_needs_seconds() {
    let ny = zone("America/New_York");
    assert_eq!(
        instant("20240715093012.042", Some(&ny)).unwrap().as_str(),
        "2024-07-15T09:30:12.042-04:00"
    );
    assert_eq!(
        instant("20240715093012+0200", None).unwrap().as_str(),
        "2024-07-15T09:30:12+02:00"
    );
    let err = instant("202407150930+0200", None).unwrap_err();
    assert_eq!(err.kind(), ConvertErrorKind::InsufficientPrecision);
    assert_eq!(err.target(), "instant");
    assert_eq!(
        instant("20240715093012", None).unwrap_err().kind(),
        ConvertErrorKind::MissingTimeZone
    );
}

#[test]
fn errors_do_not_show_the_value() {
    let err = date_time("19870230", None).unwrap_err();
    assert!(!err.to_string().contains("19870230"), "{err}");
    assert!(err.display_with_values().to_string().contains("19870230"));
}

#[test]
fn parsed_dtm_exposes_precision_and_offset() {
    let dtm = Dtm::parse("202407150930-0000").unwrap();
    assert_eq!(dtm.precision(), DtmPrecision::Minute);
    let offset = dtm.offset().unwrap();
    assert!(offset.is_negative());
    assert_eq!(offset.seconds(), 0);
    assert_eq!(
        Dtm::parse("20240715093012.5").unwrap().precision(),
        DtmPrecision::Fraction
    );
    assert_eq!(dtm.civil().to_string(), "2024-07-15T09:30:00");
}

#[test]
fn fhir_to_dtm() {
    let ok = |s: &str| dtm_from_fhir(s).unwrap().as_str().to_owned();
    assert_eq!(ok("2024"), "2024");
    assert_eq!(ok("2024-02"), "202402");
    assert_eq!(ok("2024-02-29"), "20240229");
    assert_eq!(ok("2024-02-29T13:45:12+05:30"), "20240229134512+0530");
    assert_eq!(ok("2024-02-29T13:45:12Z"), "20240229134512+0000");
    assert_eq!(ok("2024-02-29T13:45:12-00:00"), "20240229134512-0000");
    assert_eq!(
        ok("2024-02-29T13:45:12.123456789-04:00"),
        "20240229134512.1234-0400"
    );
    let kind = |s: &str| dtm_from_fhir(s).unwrap_err().kind();
    assert_eq!(kind("2023-02-29"), ConvertErrorKind::ImpossibleDate);
    assert_eq!(
        kind("2024-02-29T13:45:12"),
        ConvertErrorKind::MissingTimeZone
    );
    assert_eq!(
        kind("2024-02-29T13:45:60Z"),
        ConvertErrorKind::TimeOutOfRange
    );
    assert_eq!(
        kind("2024-02-29T13:45:12+15:00"),
        ConvertErrorKind::OffsetOutOfRange
    );
    for bad in [
        "24",
        "2024-2-29",
        "2024-02-29T13:45Z",
        "2024-02-29 13:45:12Z",
        "2024-02-29T13:45:12+0530",
        "2024-02-29T13:45:12.Z",
    ] {
        assert_eq!(kind(bad), ConvertErrorKind::Syntax, "{bad}");
    }
}

#[test]
fn round_trip_dtm_fhir_dtm() {
    for dtm in [
        "2024",
        "202402",
        "20240229",
        "20240229134512+0530",
        "20240229134512.1234-0000",
    ] {
        let fhir = date_time(dtm, None).unwrap();
        assert_eq!(dtm_from_fhir(fhir.as_str()).unwrap().as_str(), dtm);
    }
}
