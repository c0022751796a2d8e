//! Integration tests of codex-files: the store, sets, bad input, and several processes at once.

mod processes;
mod store;
