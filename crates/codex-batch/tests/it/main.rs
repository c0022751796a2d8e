//! Integration tests of codex-agent-batch: the real codex against the scripted mock model.

mod cli;
mod runner;
mod support;
