//! Rollout files (`~/.codex/sessions/**.jsonl`): [`parse_rollout`] never fails or panics, and
//! the thread record, metadata and unknowns it derives can be computed for any file.
#![no_main]

use codex_agent_protocol::rollout::parse_rollout;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let rollout = parse_rollout(&text);
    drop(rollout.record());
    drop(rollout.unknowns());
    std::hint::black_box(rollout.newer_codex());
    std::hint::black_box(rollout.meta());
});
