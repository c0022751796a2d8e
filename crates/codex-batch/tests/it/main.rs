//! Integration tests of codex-agent-batch: one binary, one module per area.
//!
//! `metrics` compares the metrics with the values the reference Python packages computed on
//! the committed fixtures and runs scorer commands through the shell; `report` renders reports
//! and checks their structure. Neither needs codex or the network.

#![expect(
    clippy::float_cmp,
    reason = "the compared values are computed by the same operations or are exact"
)]

mod metrics;
mod report;
