#![doc = include_str!("../../ARCHITECTURE.md")]
#![forbid(unsafe_code)]

pub mod schema;
