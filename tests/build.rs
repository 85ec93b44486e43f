//! Compiles every spec in `specs/` through the public build API, as a user's
//! `build.rs` would.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    ferry_compiler::Build::new().spec("../specs").compile()?;
    Ok(())
}
