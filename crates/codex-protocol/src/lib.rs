//! Wire types for the OpenAI Codex CLI.
