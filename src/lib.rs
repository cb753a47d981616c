//! Native core of express-session-rs.
//!
//! Every module but `binding` is plain Rust, free of napi types and unit-tested with `cargo test`;
//! `binding` is the one thin layer that exposes them to JavaScript.

pub mod allocator;
pub mod cookie_form;
pub mod cookie_header;
pub mod cookie_shapes;
pub mod disk_store;
pub mod engine_heap;
pub mod iso_time;
pub mod json_object;
pub mod memory_store;
pub mod record;
pub mod session_id;
pub mod session_key;
pub mod session_merge;
pub mod set_cookie;
pub mod signature;

// The binding refers to Node's N-API symbols, which only exist inside a Node process, so the
// unit-test executables are linked without it.
#[cfg(not(test))]
mod binding;
