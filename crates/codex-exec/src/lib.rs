//! Process supervision for the OpenAI Codex CLI.
//!
//! **Status: not yet implemented.** This crate's issue has not come yet; it holds no API.
//!
//! When it lands, this is the only crate that spawns processes: binary discovery, argv and
//! environment building, streaming `codex exec --json`, the `codex app-server` JSON-RPC client,
//! cancellation and time limits.
