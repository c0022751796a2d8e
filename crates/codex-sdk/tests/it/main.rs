//! The integration tests of codex-agent-sdk, one module per area, in one binary so the build stays
//! fast.
//!
//! Most tests drive the real codex (0.171.0, or the supported version
//! `CODEX_SDK_TEST_CODEX_VERSION` names) through the facade against a scripted mock of the
//! Responses API (`codex-agent-testkit`), each with its own mock, `CODEX_HOME` and working directory;
//! they fail, never skip, when the real codex is unavailable. `hermetic` uses the fake codex
//! (`examples/sdk-fake-codex.rs`) instead, the MCP test registers
//! `examples/sdk-mcp-echo-server.rs`, and `examples` runs the user-facing example binaries;
//! `cargo test` builds every example with this binary (a filtered `cargo test --test it` does
//! not, and the tests that need them then fail saying so).

mod app_server;
mod attach;
mod basics;
mod builtin;
mod cancel;
mod concurrency;
#[cfg(target_os = "linux")]
mod containment;
mod examples;
mod failures;
mod hermetic;
mod hooks;
mod host_tools;
mod image;
#[cfg(feature = "mcp")]
mod mcp_client;
mod offline;
mod readme;
mod remote;
mod resume;
mod secrets;
mod structured;
mod support;
mod telemetry;
mod threads;
mod tools;
