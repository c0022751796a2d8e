//! App-server JSON-RPC protocol types (`codex app-server --listen stdio://`).
