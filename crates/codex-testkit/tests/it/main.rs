//! codex-agent-testkit's integration tests: one binary, one module per area.

mod http;
mod mock_server;
mod real_codex_smoke;
