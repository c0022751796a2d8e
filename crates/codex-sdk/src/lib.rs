//! Rust SDK for driving the OpenAI Codex coding agent.
//!
//! **Status: not yet implemented.** The facade (`Codex`, `Thread`, `Turn`) comes with its own
//! issue. Until then, use the layer crates directly: [`codex-protocol`](https://docs.rs/codex-protocol)
//! for the wire types and `codex-exec` for running `codex exec --json`.
//!
//! When it lands, this crate will be the thin facade users depend on: it composes
//! `codex-exec`, `codex-tools`, `codex-files` and `codex-telemetry` and re-exports their
//! public types explicitly, never with globs.

pub mod structured;
