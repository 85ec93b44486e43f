//! `cargo xtask` — project maintenance tasks.
#![forbid(unsafe_code)]

fn main() {
    eprintln!("usage: cargo xtask <task>");
    std::process::exit(2);
}
