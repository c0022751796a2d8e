//! Integration tests for `codex-protocol`, one module per area.

mod app_server;
mod exec;
mod projection;
