//! Test support for codex-sdk-rs, shipped as a crate.
//!
//! **Status: not yet implemented.** This crate's issues have not come yet; it holds no API.
//!
//! When they land, this crate will own a fake `codex` binary that replays fixture transcripts
//! with scripted faults, a scripted mock of the OpenAI Responses API (SSE) on `127.0.0.1`, and
//! record/replay transports. It is a dev-dependency only.

pub mod fake_codex;
pub mod process_watch;
