//! Native core of express-session-rs.
//!
//! Every module but `binding` is plain Rust, free of napi types and unit-tested with `cargo test`;
//! `binding` is the one thin layer that exposes them to JavaScript.

pub mod cookie_header;
pub mod fingerprint;
pub mod memory_store;
pub mod session_id;
pub mod set_cookie;
pub mod signature;

// The binding refers to Node's N-API symbols, which only exist inside a Node process, so the
// unit-test executables are linked without it.
#[cfg(not(test))]
mod binding;
