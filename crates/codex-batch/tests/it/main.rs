//! Integration tests of codex-agent-batch: the real codex against the scripted mock model.

mod cli;
#[cfg(feature = "postgres")]
mod postgres;
mod runner;
mod support;
