//! Resumable batch runs of the Codex agent, on top of `codex-agent-sdk`.
//!
//! A batch run takes a task set (JSONL, one task per line), runs every task as one thread with
//! bounded concurrency, keeps its state in SQLite (one machine) or PostgreSQL (many machines),
//! and reports the results with metrics against the tasks' expected answers.

pub mod metrics;
pub mod report;
