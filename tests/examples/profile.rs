//! Runs one generated transformer over a corpus file, for profilers:
//! `cargo run --release -p ferry-tests --example profile -- adt|oru FILE [REPEAT]`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferry_runtime::Options;
use ferry_runtime::convert::TimeZone;
use ferry_tests::generated::{adt_a01, oru_r01};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[2]).unwrap();
    let repeat: usize = args.get(3).map_or(1, |r| r.parse().unwrap());
    let messages: Vec<&[u8]> = ferry_runtime::er7::split_messages(&bytes)
        .map(|m| m.unwrap().bytes)
        .collect();
    let options = Options {
        time_zone: Some(TimeZone::get("America/New_York").unwrap()),
    };
    let mut out = Vec::new();
    let mut written = 0;
    let start = std::time::Instant::now();
    for _ in 0..repeat {
        for m in &messages {
            out.clear();
            let outcome = match args[1].as_str() {
                "adt" => adt_a01::adt_a01_with(m, &mut out, &options),
                _ => oru_r01::oru_r01_with(m, &mut out, &options),
            };
            written += outcome.unwrap().written;
        }
    }
    let n = messages.len() * repeat;
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{n} messages, {written} bytes out, {:.0} msgs/s",
        n as f64 / secs
    );
}
