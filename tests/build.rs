//! Compiles every spec in `specs/` through the public build API, as a user's
//! `build.rs` would, plus `codegen/evil.ferry`, whose strings try to inject
//! code into the generated Rust, `codegen/members.ferry`, whose rules
//! write members in loops, in branches and twice, `codegen/stream.ferry`,
//! whose maps are streamed, and `codegen/texts.ferry`, whose text the
//! streamed code writes without building it.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    ferry_compiler::Build::new().spec("../specs").compile()?;
    ferry_compiler::Build::new()
        .spec("codegen/evil.ferry")
        .include_file("injection.rs")
        .compile()?;
    ferry_compiler::Build::new()
        .spec("codegen/members.ferry")
        .include_file("member_writes.rs")
        .compile()?;
    ferry_compiler::Build::new()
        .spec("codegen/stream.ferry")
        .include_file("streamed.rs")
        .compile()?;
    ferry_compiler::Build::new()
        .spec("codegen/texts.ferry")
        .include_file("direct_texts.rs")
        .compile()?;
    Ok(())
}
