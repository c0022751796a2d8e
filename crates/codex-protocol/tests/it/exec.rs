//! Exec JSONL tests.
