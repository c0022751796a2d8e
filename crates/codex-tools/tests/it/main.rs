//! Integration tests for `codex-tools`, one module per area.

mod answer;
