//! Integration tests of codex-agent-batch: one binary, one module per area.
//!
//! `cli`, `runner` and `postgres` run the real codex against the scripted mock model;
//! `metrics` compares the metrics with the values the reference Python packages computed on
//! the committed fixtures and runs scorer commands through the shell; `report` renders reports
//! and checks their structure.

#![expect(
    clippy::float_cmp,
    reason = "the compared values are computed by the same operations or are exact"
)]

mod cli;
mod interrupt;
mod metrics;
#[cfg(feature = "postgres")]
mod postgres;
mod remote;
mod report;
mod runner;
mod support;
