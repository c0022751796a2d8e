//! The integration tests of codex-agent-exec, one module per area, in one binary so the build stays
//! fast.
//!
//! The process tests spawn the fake codex (`examples/exec-fake-codex.rs`, which `cargo test`
//! and `cargo nextest run` build along with this binary) and check, for each scripted fault,
//! the exact error, that no process outlives its turn, and that no secret reaches an error.
//! The parent-death tests also start `examples/exec-orphan-parent.rs`, a parent process to
//! kill.

mod api;
mod app_server;
mod app_server_peer;
mod app_server_replay;
mod app_server_stall;
mod argv_golden;
mod backpressure;
mod cancel;
mod concurrency;
mod faults;
mod log_redaction;
mod options_lowering;
#[cfg(target_os = "linux")]
mod parent_death;
#[cfg(target_os = "linux")]
mod prestart;
mod real_errors;
mod request;
mod support;
