//! Resumable batch runs of the Codex agent, on top of `codex-agent-sdk`.
//!
//! A batch run takes a task set (JSONL, one task per line, see [`task`]), runs every task as
//! one thread with bounded concurrency ([`runner`]), keeps its state in SQLite (one machine)
//! or PostgreSQL (many machines, feature `postgres`) ([`store`]), and exports the results as
//! NDJSON and CSV ([`export`]), with metrics against the expected answers ([`metrics`]) and
//! reports in Markdown, HTML, JSON and CSV ([`report`]). Tasks run on one `Codex` (exec or
//! app-server) or are spread over remote app-servers, least-loaded first
//! ([`runner::Remotes`]). Everything that can fail returns the one [`Error`].
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use codex_agent_batch::runner::{BatchTransport, Runner, RunnerOptions};
//! use codex_agent_batch::store::{RunSettings, Store};
//! use codex_agent_batch::task::TaskSet;
//! use codex_agent_sdk::CodexOptions;
//!
//! # async fn demo() -> Result<(), codex_agent_batch::Error> {
//! let set = TaskSet::load("tasks.jsonl")?;
//! let store = Arc::new(Store::open_sqlite("runs/demo/state.db".as_ref()).await?);
//! let tasks: Vec<_> = set.tasks.iter().enumerate().map(|(i, t)| (i, t, None)).collect();
//! store
//!     .create_or_resume("demo", &set.manifest, &RunSettings { split: None }, &tasks)
//!     .await?;
//! let codex = BatchTransport::Exec.codex(CodexOptions::new())?;
//! let runner = Runner::new(store.clone(), "demo", codex, RunnerOptions::new("runs/demo/work").concurrency(8)).await?;
//! runner.run().await?;
//! for result in store.results("demo").await? {
//!     println!("{} {}", result.task_id, result.status);
//! }
//! # Ok(()) }
//! ```
//!
//! # Feature flags
//!
//! - `postgres` (off): runs in PostgreSQL (`--db postgres://…`), shared by `codex-batch work`
//!   processes on many machines; adds sqlx's PostgreSQL driver.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
pub mod export;
pub mod metrics;
pub mod record;
pub mod report;
pub mod runner;
pub mod store;
pub mod task;

pub use error::{Error, LineProblem};
