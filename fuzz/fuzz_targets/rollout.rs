//! Rollout files (`~/.codex/sessions/**.jsonl`): [`parse_rollout`] never fails or panics, and
//! the thread record, metadata and unknowns it derives can be computed for any file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| codex_sdk_fuzz::rollout(data));
