//! Tracing, OpenTelemetry export, metrics and redaction for codex-sdk-rs.
//!
//! **Status: not yet implemented.** This crate's issue has not come yet; it holds no API.
//!
//! When it lands, this crate will own the span layout for threads, turns, items, tool calls
//! and approvals, OTLP export behind the `otlp` cargo feature, metrics, secret redaction for
//! every log line and span, and an event log. It is the only library crate that installs
//! subscribers or exporters.
//!
//! It depends on `codex-protocol` only and never spawns processes.
