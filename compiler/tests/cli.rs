//! The `ferry` binary as a user runs it: exit codes, output formats, explain.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ferry(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferry-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

const CLEAN: &str = "use fhir \"R4\"\n\nmap m: Encounter -> Encounter {\n  status = Encounter.status\n  class = Encounter.class\n}\n";
const BROKEN: &str = "use fhir \"R4\"\n\nmap m: Encounter -> Encounter {\n  status = Encounter.status via nowhere\n  class = Encounter.class\n}\n";

#[test]
fn clean_spec_exits_0() {
    let dir = temp_dir("clean");
    let file = write(&dir, "ok.ferry", CLEAN.as_bytes());
    let out = ferry(&["check", &file]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("checked 1 file: 0 errors, 0 warnings"),
        "{stderr}"
    );
}

#[test]
fn errors_exit_1_with_located_human_output() {
    let dir = temp_dir("broken");
    let file = write(&dir, "bad.ferry", BROKEN.as_bytes());
    let out = ferry(&["check", "--color", "never", &file]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[E0102]: unknown table `nowhere`"),
        "{stderr}"
    );
    assert!(stderr.contains("bad.ferry:4:33"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "no colour with --color never");
}

#[test]
fn color_always_adds_ansi_styles() {
    let dir = temp_dir("color");
    let file = write(&dir, "bad.ferry", BROKEN.as_bytes());
    let out = ferry(&["check", "--color", "always", &file]);
    assert!(String::from_utf8_lossy(&out.stderr).contains('\u{1b}'));
}

#[test]
fn json_is_one_object_per_diagnostic() {
    let dir = temp_dir("json");
    let file = write(&dir, "bad.ferry", BROKEN.as_bytes());
    let out = ferry(&["check", "--format", "json", &file]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let d: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(d["file"], file.as_str());
    assert_eq!(d["line"], 4);
    assert_eq!(d["column"], 33);
    assert_eq!(d["end"]["line"], 4);
    assert_eq!(d["end"]["column"], 40);
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "E0102");
    assert_eq!(d["message"], "unknown table `nowhere`");
}

#[test]
fn folders_are_searched_for_ferry_files() {
    let dir = temp_dir("folder");
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    write(&dir, "a.ferry", CLEAN.as_bytes());
    write(&dir.join("nested"), "b.ferry", BROKEN.as_bytes());
    write(&dir, "notes.txt", b"not a spec");
    let out = ferry(&["check", "--format", "json", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("b.ferry"), "{stdout}");
}

#[test]
fn random_bytes_exit_1_with_located_errors() {
    let dir = temp_dir("random");
    // A fixed pseudo-random byte string (xorshift), no newline bias.
    let mut state: u32 = 0x2545_F491;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    let file = write(&dir, "random.ferry", &bytes);
    let out = ferry(&["check", "--format", "json", &file]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let diagnostics: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!diagnostics.is_empty());
    assert!(diagnostics.iter().any(|d| d["code"] == "E0005"));
    for d in &diagnostics {
        assert!(d["line"].as_u64().unwrap() >= 1, "{d}");
        assert!(d["column"].as_u64().unwrap() >= 1, "{d}");
    }
}

#[test]
fn missing_file_and_empty_folder_exit_2() {
    let out = ferry(&["check", "/nonexistent/ferry/spec.ferry"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let dir = temp_dir("empty");
    let out = ferry(&["check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no .ferry files"));
}

#[test]
fn bad_flags_exit_2() {
    assert_eq!(ferry(&["check"]).status.code(), Some(2));
    assert_eq!(
        ferry(&["check", "--format", "xml", "x.ferry"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(ferry(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn explain_prints_every_code() {
    for code in ["E0001", "e0102", "W0101"] {
        let out = ferry(&["explain", code]);
        assert_eq!(out.status.code(), Some(0), "{code}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.starts_with(&format!("# {}", code.to_uppercase())),
            "{text}"
        );
        assert!(text.contains("```ferry"));
    }
    let out = ferry(&["explain", "E9999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no diagnostic code"));
}

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs")
}

#[test]
fn run_converts_a_shipped_sample() {
    let spec = specs().join("hl7v2/adt_a01.ferry");
    let input = specs().join("hl7v2/examples/adt_a01-ms-adt-a01-01.hl7");
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["run", spec.to_str().unwrap(), input.to_str().unwrap()])
        .env("FERRY_TIME_ZONE", "America/New_York")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one NDJSON line per message");
    let bundle: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "transaction");
    let patient = &bundle["entry"][0]["resource"];
    assert_eq!(patient["resourceType"], "Patient");
    assert_eq!(patient["gender"], "male");
    assert_eq!(patient["birthDate"], "1988-08-18");
    assert_eq!(patient["name"][0]["family"], "EVERYMAN");
    let encounter = &bundle["entry"][1]["resource"];
    assert_eq!(encounter["class"]["code"], "PRENC");
    assert!(String::from_utf8_lossy(&out.stderr).contains("converted 1, rejected 0"));
}

#[test]
fn run_rejects_with_a_located_reason_and_exit_3() {
    let dir = temp_dir("reject");
    // PV1-2 "P" converts; the message without PID cannot be keyed.
    let good = std::fs::read(specs().join("hl7v2/examples/adt_a01-ms-adt-a01-01.hl7")).unwrap();
    let mut input = good.clone();
    input.extend_from_slice(
        b"\nMSH|^~\\&|A|B|C|D|20200101||ADT^A01|X1|P|2.5.1\nEVN|A01|20200101\nPV1|1|I\n",
    );
    let file = write(&dir, "two.hl7", &input);
    let rejects = dir.join("rejects.ndjson");
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "run",
            specs().join("hl7v2/adt_a01.ferry").to_str().unwrap(),
            &file,
            "--rejects",
            rejects.to_str().unwrap(),
        ])
        .env("FERRY_TIME_ZONE", "America/New_York")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    let rejects = std::fs::read_to_string(rejects).unwrap();
    let reject: serde_json::Value = serde_json::from_str(rejects.trim()).unwrap();
    assert_eq!(reject["message"], 2);
    assert_eq!(reject["code"], "ID-KEY");
    assert!(reject["offset"].as_u64().unwrap() > 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("converted 1, rejected 1"));
}

#[test]
fn run_refuses_a_spec_with_errors() {
    let dir = temp_dir("badspec");
    let spec = write(&dir, "bad.ferry", BROKEN.as_bytes());
    let input = write(&dir, "in.json", b"{}");
    let out = ferry(&["run", &spec, &input]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("E0102"));
}

#[test]
fn test_command_passes_the_shipped_examples_and_fails_a_wrong_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["test", specs().to_str().unwrap()])
        .env("FERRY_TIME_ZONE", "America/New_York")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("7 passed; 0 failed"), "{stdout}");

    // A copy of one example with one expected value changed fails, with a diff.
    let dir = temp_dir("wrong-example");
    std::fs::create_dir_all(dir.join("examples")).unwrap();
    std::fs::copy(
        specs().join("hl7v2/adt_a01.ferry"),
        dir.join("adt_a01.ferry"),
    )
    .unwrap();
    std::fs::copy(
        specs().join("hl7v2/examples/adt_a01-ms-adt-a01-01.hl7"),
        dir.join("examples/adt_a01-case.hl7"),
    )
    .unwrap();
    let expected =
        std::fs::read_to_string(specs().join("hl7v2/examples/adt_a01-ms-adt-a01-01.expected.json"))
            .unwrap()
            .replace("\"1988-08-18\"", "\"1988-08-19\"");
    std::fs::write(dir.join("examples/adt_a01-case.expected.json"), expected).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["test", dir.to_str().unwrap()])
        .env("FERRY_TIME_ZONE", "America/New_York")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("birthDate"), "{stdout}");
    assert!(
        stdout.contains("1988-08-19") && stdout.contains("1988-08-18"),
        "{stdout}"
    );
}

#[test]
fn a_message_of_another_type_is_rejected_at_msh_9() {
    let spec = specs().join("hl7v2/adt_a01.ferry");
    let input = specs().join("hl7v2/examples/oru_r01-ig-lipid-panel.hl7");
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["run", spec.to_str().unwrap(), input.to_str().unwrap()])
        .env("FERRY_TIME_ZONE", "America/New_York")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let reject: serde_json::Value = serde_json::from_str(stderr.lines().next().unwrap()).unwrap();
    assert_eq!(reject["code"], "MESSAGE-TYPE");
    assert!(
        reject["location"].as_str().unwrap().contains("MSH-9"),
        "{reject}"
    );
    assert_eq!(
        reject["reason"],
        "the message's structure is ORU_R01; this map reads ADT_A01"
    );
}

#[test]
fn run_reads_fhir_json_and_ndjson() {
    let dir = temp_dir("fhir");
    let spec = write(
        &dir,
        "visit.ferry",
        br#"use fhir "R4"

table finished: system "urn:x" -> fhir "encounter-status" {
  "finished" => "finished"
  else => "in-progress"
}

map visit: Encounter as e -> Encounter {
  status = e.status via finished
  class = e.class
  subject.reference = e.subject.reference
  period.start = e.period.start
}
"#,
    );
    let one = write(
        &dir,
        "one.json",
        br#"{"resourceType": "Encounter", "status": "finished",
  "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
  "subject": {"reference": "Patient/p1"}, "period": {"start": "2024-07-01T09:30:00+02:00"}}"#,
    );
    let many = write(
        &dir,
        "many.ndjson",
        b"{\"resourceType\":\"Encounter\",\"status\":\"arrived\",\"class\":{\"code\":\"VR\"}}\n{\"resourceType\":\"Encounter\",\"status\":\"finished\"}\nnot json\n",
    );
    let out = ferry(&["run", &spec, &one, &many]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["status"], "finished");
    assert_eq!(docs[0]["class"]["code"], "AMB");
    assert_eq!(docs[0]["period"]["start"], "2024-07-01T09:30:00+02:00");
    assert_eq!(docs[1]["status"], "in-progress");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Encounter.class is required: the second NDJSON line has none; the third is not JSON.
    assert!(stderr.contains("\"code\":\"REQUIRED\""), "{stderr}");
    assert!(stderr.contains("\"code\":\"JSON-SYNTAX\""), "{stderr}");
    assert!(
        !stderr.contains("not json"),
        "no input text in rejects: {stderr}"
    );
    assert!(
        stderr.contains("converted 2, rejected 2 (of 4 documents in 2 files)"),
        "{stderr}"
    );
}

#[test]
fn build_writes_rust_for_checked_in_use() {
    let dir = temp_dir("build");
    let file = write(&dir, "visit.ferry", CLEAN.as_bytes());
    let out = dir.join("gen");
    let result = ferry(&["build", &file, "--out-dir", &out.display().to_string()]);
    assert_eq!(result.status.code(), Some(0), "{result:?}");
    let code = std::fs::read_to_string(out.join("visit.rs")).unwrap();
    assert!(code.starts_with("// @generated by ferry"));
    let include = std::fs::read_to_string(out.join("ferry.rs")).unwrap();
    assert!(include.contains("pub mod visit"), "{include}");
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(stdout.contains("(module visit)"), "{stdout}");
    assert!(
        !stdout.contains("cargo::"),
        "no cargo lines outside build scripts"
    );
}

#[test]
fn build_refuses_a_spec_with_errors() {
    let dir = temp_dir("build-broken");
    let file = write(&dir, "bad.ferry", BROKEN.as_bytes());
    let out = dir.join("gen");
    let result = ferry(&[
        "build",
        "--color",
        "never",
        &file,
        "--out-dir",
        &out.display().to_string(),
    ]);
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("error[E0102]: unknown table `nowhere`"),
        "{stderr}"
    );
    assert!(!out.exists());
}
