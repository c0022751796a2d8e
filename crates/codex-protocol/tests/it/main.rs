//! Integration tests for `codex-agent-protocol`, one module per area.

mod app_server;
mod exec;
mod projection;
mod rollout;

use std::path::{Path, PathBuf};

/// The repository's `fixtures/` directory.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The live transcripts in `fixtures/<dir>` (not the HTTP request logs of the mock model),
/// sorted; at least `expected` of them, or the capture set is incomplete.
fn live_transcripts_in(dir: &str, expected: usize) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join(dir))
        .unwrap_or_else(|e| panic!("fixtures/{dir} is readable: {e}"))
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            p.extension().is_some_and(|e| e == "jsonl") && !name.ends_with(".requests.jsonl")
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= expected,
        "expected at least {expected} live transcripts in fixtures/{dir}, found {}",
        files.len()
    );
    files
}
