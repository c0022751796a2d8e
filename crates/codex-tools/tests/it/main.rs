//! Integration tests for `codex-agent-tools`, one module per area.

mod answer;
