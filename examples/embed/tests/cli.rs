//! Runs the built `ferry-embed` binary on the examples beside the HL7 v2
//! specs and compares its output with their `.expected.json` files by JSON
//! meaning (member order ignored).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const ZONE: [&str; 2] = ["--time-zone", "America/New_York"];

/// The key `ferry test` uses for a rejected message in an expected file.
const REJECTED_KEY: &str = "ferry:rejected";

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/hl7v2/examples")
}

/// One `<case>.hl7` and what `ferry test` expects of each of its messages:
/// a Bundle, or `{"ferry:rejected":{"code","location","reason"}}`.
#[derive(Debug)]
struct Example {
    case: String,
    input: Vec<u8>,
    expected: Vec<Value>,
}

fn examples() -> Vec<Example> {
    let dir = examples_dir();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "hl7"))
        .collect();
    inputs.sort();
    inputs
        .into_iter()
        .map(|input| {
            let case = input.file_stem().unwrap().to_str().unwrap().to_owned();
            let expected_path = dir.join(format!("{case}.expected.json"));
            let expected: Value = serde_json::from_slice(
                &std::fs::read(&expected_path)
                    .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display())),
            )
            .unwrap();
            // `ferry test`: one message gives its output, several an array.
            let expected = match expected {
                Value::Array(items) => items,
                one => vec![one],
            };
            Example {
                case,
                input: std::fs::read(&input).unwrap(),
                expected,
            }
        })
        .collect()
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    run_with_env(args, stdin, None)
}

fn run_with_env(args: &[&str], stdin: &[u8], time_zone_env: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferry-embed"));
    command
        .args(args)
        .env_remove("FERRY_TIME_ZONE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(zone) = time_zone_env {
        command.env("FERRY_TIME_ZONE", zone);
    }
    let mut child = command.spawn().unwrap();
    // Write from another thread: the child writes while it reads.
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || pipe.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    output
}

/// Every line of `bytes` as JSON.
fn json_lines(bytes: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "output does not end with a newline"
    );
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// The HL7 path of a location's `Display` (`message 2, PID-7, bytes 3..9`
/// → `PID-7`): ordinals and offsets depend on where the file sits in the
/// stream.
fn hl7_path(location: &str) -> String {
    location
        .split(", ")
        .filter(|part| !part.starts_with("message ") && !part.starts_with("bytes "))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mllp(message: &[u8]) -> Vec<u8> {
    [b"\x0b", message, b"\x1c\r"].concat()
}

fn newline(message: &[u8]) -> Vec<u8> {
    [message, b"\n"].concat()
}

/// Runs every example in one stream, each framed by `frame`, and checks
/// each message's output against its expected file, in order.
fn check_examples(frame: fn(&[u8]) -> Vec<u8>) {
    let examples = examples();
    assert!(
        !examples.is_empty(),
        "no examples in {}",
        examples_dir().display()
    );
    let input: Vec<u8> = examples.iter().flat_map(|e| frame(&e.input)).collect();
    let output = run(&ZONE, &input);
    let bundles = json_lines(&output.stdout);
    let rejections = json_lines(&output.stderr);
    let (mut bundles, mut rejections) = (bundles.iter(), rejections.iter());
    let mut ordinal = 0u32;
    let mut any_rejected = false;
    for Example { case, expected, .. } in &examples {
        for expected in expected {
            ordinal += 1;
            if let Some(rejected) = expected.get(REJECTED_KEY) {
                any_rejected = true;
                let actual = rejections
                    .next()
                    .unwrap_or_else(|| panic!("{case}: expected a rejection"));
                assert_eq!(actual["message"], ordinal, "{case}");
                assert_eq!(actual["code"], rejected["code"], "{case}");
                assert_eq!(actual["reason"], rejected["reason"], "{case}");
                assert_eq!(
                    hl7_path(actual["location"].as_str().unwrap()),
                    hl7_path(rejected["location"].as_str().unwrap()),
                    "{case}"
                );
            } else {
                let actual = bundles
                    .next()
                    .unwrap_or_else(|| panic!("{case}: no Bundle; stderr: {rejections:?}"));
                assert_eq!(actual["resourceType"], "Bundle", "{case}");
                assert!(
                    actual == expected,
                    "{case}: output differs from {case}.expected.json\nactual:   {actual}\nexpected: {expected}"
                );
            }
        }
    }
    assert_eq!(bundles.next(), None, "more Bundles than expected");
    assert_eq!(rejections.next(), None, "more rejections than expected");
    assert_eq!(
        output.status.code(),
        Some(if any_rejected { 3 } else { 0 }),
        "exit code"
    );
}

#[test]
fn newline_separated_examples_give_their_expected_bundles() {
    check_examples(newline);
}

#[test]
fn mllp_framed_examples_give_their_expected_bundles() {
    check_examples(mllp);
}

#[test]
fn the_time_zone_can_come_from_the_environment() {
    let example = &examples()[0];
    let output = run_with_env(&[], &example.input, Some("America/New_York"));
    assert_eq!(output.status.code(), Some(0), "{:?}", output);
    assert_eq!(json_lines(&output.stdout), example.expected);
}

/// The example of `case`.
fn example(case: &str) -> Example {
    examples()
        .into_iter()
        .find(|e| e.case == case)
        .unwrap_or_else(|| panic!("no example {case}"))
}

#[test]
fn garbage_is_rejected_and_the_good_messages_still_convert() {
    let adt = example("adt_a01-ms-adt-a01-01");
    let oru = example("oru_r01-ig-lipid-panel");
    // The same ADT message with a message type no transformer reads.
    let siu = String::from_utf8(adt.input.clone())
        .unwrap()
        .replacen("ADT^A01", "SIU^S12", 1);
    assert!(siu.contains("SIU^S12"));
    let head = b"garbage before any message, DOE^JOHN\r\n".as_slice();
    let input = [
        head.to_vec(),
        newline(&adt.input),
        mllp(b"HELLO DOE^JOHN 19700101"),
        mllp(&oru.input),
        mllp(siu.as_bytes()),
    ]
    .concat();
    let output = run(&ZONE, &input);
    assert_eq!(output.status.code(), Some(3), "{output:?}");

    // The good messages are intact, in order.
    assert_eq!(
        json_lines(&output.stdout),
        [adt.expected.clone(), oru.expected.clone()].concat()
    );

    // Every bad unit is one rejection line, located, without its content.
    let rejections = json_lines(&output.stderr);
    let summary: Vec<(Value, Value)> = rejections
        .iter()
        .map(|r| (r["message"].clone(), r["code"].clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (Value::Null, "ER7-STRAY".into()),
            (Value::Null, "ER7-STRAY".into()),
            (3.into(), "MESSAGE-TYPE".into()),
        ]
    );
    assert_eq!(rejections[0]["offset"], 0);
    let frame_start = head.len() + adt.input.len() + 1;
    assert_eq!(
        rejections[1]["offset"],
        frame_start + 1,
        "after the MLLP start byte"
    );
    let siu_offset = input.len() - siu.len() - 2;
    assert_eq!(rejections[2]["offset"], siu_offset);
    assert!(
        rejections[2]["location"]
            .as_str()
            .unwrap()
            .starts_with("message 3, MSH-9, bytes "),
        "{}",
        rejections[2]["location"]
    );
    for r in &rejections {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ["code", "location", "message", "offset", "reason"]);
    }
    let stderr = String::from_utf8(output.stderr).unwrap();
    for secret in ["DOE", "JOHN", "HELLO", "19700101", "SIU"] {
        assert!(
            !stderr.contains(secret),
            "stderr shows {secret:?}: {stderr}"
        );
    }
}

#[test]
fn a_fixed_map_rejects_messages_of_another_structure() {
    let adt = example("adt_a01-ms-adt-a01-01");
    let output = run(&["--map", "oru_r01", ZONE[0], ZONE[1]], &adt.input);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(output.stdout.is_empty());
    let rejections = json_lines(&output.stderr);
    assert_eq!(rejections.len(), 1, "{rejections:?}");
    assert_eq!(rejections[0]["message"], 1);
    assert_eq!(rejections[0]["code"], "MESSAGE-TYPE");

    let output = run(&["--map", "adt_a01", ZONE[0], ZONE[1]], &adt.input);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(json_lines(&output.stdout), adt.expected);
}

#[test]
fn usage_errors_exit_2_without_output() {
    for args in [
        &["--time-zone", "Mars/Olympus_Mons"][..],
        &["--map", "adt_a99"][..],
    ] {
        let output = run(args, b"");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn empty_input_converts_nothing_and_succeeds() {
    let output = run(&ZONE, b"");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
}
