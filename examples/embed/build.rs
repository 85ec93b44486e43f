//! Compiles the HL7 v2 specs into Rust, as any service linking Ferry's
//! transformers would: one module per spec in `$OUT_DIR/ferry.rs`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    ferry_compiler::Build::new()
        .spec("../../specs/hl7v2")
        .compile()?;
    Ok(())
}
