//! End-to-end tests of Ferry live in `tests/tests/`; this library is empty.
#![forbid(unsafe_code)]
