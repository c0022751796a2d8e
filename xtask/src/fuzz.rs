//! `cargo xtask fuzz`: a short run of every fuzz target in `fuzz/` (a workspace of its own,
//! see `fuzz/README.md`), from its committed seeds. Not part of `verify`: it needs
//! `cargo-fuzz` and builds the targets in release mode with nightly flags
//! (`RUSTC_BOOTSTRAP=1`), which takes longer than the run itself. `verify`'s `fuzz-smoke`
//! step runs the same bodies on mutated seeds without libFuzzer instead.
//!
//! Each target runs `--seconds` seconds (20 by default) with no sanitizer (`-s none`: the
//! crates forbid `unsafe`, so the fuzzer looks for panics, not memory errors). The corpus
//! grows in `target/fuzz-corpus/<target>`, so later runs start where earlier ones stopped; a
//! crash leaves its input in `fuzz/artifacts/<target>/` and fails the command. Turn a crash
//! into a regression test in the crate's own tests, then fix it.

use std::time::Duration;

use crate::{cmd, project_root};

/// The fuzz targets, as named in `fuzz/Cargo.toml`.
const TARGETS: &[&str] = &["exec_line", "app_server_message", "rollout", "framing"];

/// Seconds each target runs by default.
const DEFAULT_SECONDS: u64 = 20;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut seconds = DEFAULT_SECONDS;
    let mut targets: Vec<&str> = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = rest.next().ok_or("--seconds needs a number")?;
                seconds = value
                    .parse()
                    .map_err(|e| format!("--seconds {value}: {e}"))?;
            }
            "--target" => {
                let value = rest.next().ok_or("--target needs a name")?;
                let known = TARGETS
                    .iter()
                    .find(|t| **t == value.as_str())
                    .ok_or_else(|| format!("unknown fuzz target `{value}`: {TARGETS:?}"))?;
                targets.push(known);
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}`: cargo xtask fuzz [--seconds N] [--target T]..."
                ));
            }
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    if !cmd::succeeds_quietly(&mut cmd::cargo(["fuzz", "--version"])) {
        return Err("cargo-fuzz is not installed: cargo install cargo-fuzz --locked".into());
    }
    let total = Duration::from_secs(seconds) * u32::try_from(targets.len()).unwrap_or(u32::MAX);
    println!(
        "fuzzing {} targets for {seconds} s each ({} s in all, after the build)",
        targets.len(),
        total.as_secs()
    );
    for target in targets {
        let corpus = project_root().join("target/fuzz-corpus").join(target);
        std::fs::create_dir_all(&corpus)
            .map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
        let seeds = project_root().join("fuzz/seeds").join(target);
        let mut fuzz = cmd::cargo(["fuzz", "run", "-s", "none", target]);
        fuzz.arg(&corpus)
            .arg(&seeds)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-print_final_stats=1")
            .env("RUSTC_BOOTSTRAP", "1");
        cmd::run(&mut fuzz)?;
    }
    Ok(())
}
