//! Integration tests of codex-agent-files: the store, sets, bad input, and several processes at once.

mod processes;
mod store;
