//! The short fuzz run of `cargo xtask verify`: each target's body on its committed seeds and
//! on mutations of them (`codex_agent_testkit::mutate`), without libFuzzer. Repeat a failing
//! run with the `CODEX_FUZZ_SMOKE_SEED` it prints.

use std::path::PathBuf;

/// Mutations per target: a few seconds each in a debug build.
const ITERATIONS: usize = 8_000;

fn seeds(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target)
}

#[test]
fn exec_line() {
    codex_agent_testkit::mutate::smoke("exec_line", &seeds("exec_line"), ITERATIONS, |data| {
        codex_sdk_fuzz::exec_line(data);
    });
}

#[test]
fn app_server_message() {
    codex_agent_testkit::mutate::smoke(
        "app_server_message",
        &seeds("app_server_message"),
        ITERATIONS,
        codex_sdk_fuzz::app_server_message,
    );
}

#[test]
fn rollout() {
    codex_agent_testkit::mutate::smoke(
        "rollout",
        &seeds("rollout"),
        ITERATIONS,
        codex_sdk_fuzz::rollout,
    );
}
