//! Exec JSONL types (`codex exec --json`).
