//! `cargo xtask verify [--skip <step>]...`: every check CI runs, in order, failing fast.
//!
//! The tests run twice against the real codex: `test` runs the whole workspace with the
//! default supported codex (`codex_agent_testkit::real_codex::DEFAULT_CODEX_VERSION`), and
//! `test-codex-versions` runs the real-codex tier ([`real_codex_tests`]) again for every other
//! supported version, with `CODEX_SDK_TEST_CODEX_VERSION` set.
//!
//! Each step prints the command it runs; a summary table (step, status, seconds) follows at
//! the end, and the exit status is non-zero when a step failed. `--skip` is for local
//! iteration only; CI never skips.

use std::process::Command;
use std::time::Instant;

use codex_agent_testkit::real_codex::{
    CODEX_PATH_VAR, CODEX_VERSION_VAR, DEFAULT_CODEX_VERSION, SUPPORTED_CODEX_VERSIONS,
};

use crate::{api, cmd, real_codex_tests, release, schema, tidy};

/// How a step that did not fail ended.
enum Status {
    Passed,
    /// The step could not run here; the note says why and how to run it.
    Skipped(String),
}

type StepFn = fn() -> Result<Status, String>;

/// The steps, in the order they run.
const STEPS: &[(&str, StepFn)] = &[
    ("fmt", fmt),
    ("tidy", tidy_step),
    ("clippy", clippy),
    ("test", test),
    ("fuzz-smoke", fuzz_smoke),
    ("test-codex-versions", test_codex_versions),
    ("doctest", doctest),
    ("doc", doc),
    ("schema", schema_step),
    ("deny", deny),
    ("features", features),
    ("package", package),
    ("api", api_step),
];

/// `cargo xtask verify`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let skip = parse_skips(args)?;
    let started = Instant::now();
    let mut rows: Vec<(&str, String, Option<f64>)> = Vec::new();
    let mut failure = None;
    for (index, (name, step)) in STEPS.iter().enumerate() {
        if failure.is_some() {
            rows.push((name, "not run".to_owned(), None));
            continue;
        }
        if skip.contains(name) {
            rows.push((name, "skipped (--skip)".to_owned(), None));
            continue;
        }
        println!("\n==> [{}/{}] {name}", index + 1, STEPS.len());
        let step_started = Instant::now();
        let result = step();
        let seconds = Some(step_started.elapsed().as_secs_f64());
        match result {
            Ok(Status::Passed) => rows.push((name, "ok".to_owned(), seconds)),
            Ok(Status::Skipped(note)) => {
                println!("note: {note}");
                rows.push((name, "skipped".to_owned(), seconds));
            }
            Err(err) => {
                rows.push((name, "FAILED".to_owned(), seconds));
                failure = Some(format!("step `{name}` failed: {err}"));
            }
        }
    }

    println!("\nverify summary");
    let width = STEPS.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    println!("{:<width$} {:<18} {:>8}", "step", "status", "seconds");
    for (name, status, seconds) in &rows {
        let seconds = seconds.map_or_else(String::new, |s| format!("{s:.1}"));
        println!("{name:<width$} {status:<18} {seconds:>8}");
    }
    println!(
        "{:<width$} {:<18} {:>8.1}",
        "total",
        "",
        started.elapsed().as_secs_f64()
    );
    failure.map_or(Ok(()), Err)
}

fn parse_skips(args: &[String]) -> Result<Vec<&'static str>, String> {
    let mut skip = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg != "--skip" {
            return Err(format!(
                "usage: cargo xtask verify [--skip <step>]..., got `{arg}`"
            ));
        }
        let name = args.next().ok_or("`--skip` needs a step name")?;
        let Some((step, _)) = STEPS.iter().find(|(step, _)| step == name) else {
            let names: Vec<&str> = STEPS.iter().map(|(step, _)| *step).collect();
            return Err(format!(
                "unknown step `{name}`; steps are {}",
                names.join(", ")
            ));
        };
        skip.push(*step);
    }
    Ok(skip)
}

fn passed(command: &mut Command) -> Result<Status, String> {
    cmd::run(command).map(|()| Status::Passed)
}

fn fmt() -> Result<Status, String> {
    passed(&mut cmd::cargo(["fmt", "--all", "--check"]))
}

fn tidy_step() -> Result<Status, String> {
    println!("$ cargo xtask tidy");
    tidy::check().map(|()| Status::Passed)
}

fn clippy() -> Result<Status, String> {
    passed(&mut cmd::cargo([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))
}

/// The whole workspace, with the default codex version whatever the environment says.
fn test() -> Result<Status, String> {
    let mut command = if cmd::succeeds_quietly(&mut cmd::cargo(["nextest", "--version"])) {
        cmd::cargo(["nextest", "run", "--workspace", "--all-features"])
    } else {
        println!("note: cargo-nextest is not installed; falling back to cargo test");
        cmd::cargo(["test", "--workspace", "--all-features"])
    };
    command.env_remove(CODEX_VERSION_VAR);
    passed(&mut command)
}

/// The real-codex tier under every supported codex version but the default (which `test`
/// covered): nextest selects the tier's tests; without nextest, `cargo test` runs the tier's
/// packages whole.
/// A short fuzz run: the bodies of the `fuzz/` targets on mutations of their seeds, without
/// libFuzzer (`fuzz/tests/smoke.rs`; the framing target's is in codex-agent-exec's tests).
/// The fuzz workspace builds into this workspace's target directory, sharing its artifacts.
fn fuzz_smoke() -> Result<Status, String> {
    let root = crate::project_root();
    let mut command = cmd::cargo([
        "test",
        "--locked",
        "--no-default-features",
        "--manifest-path",
    ]);
    command
        .arg(root.join("fuzz/Cargo.toml"))
        .arg("--target-dir")
        .arg(root.join("target"));
    passed(&mut command)
}

fn test_codex_versions() -> Result<Status, String> {
    let nextest = cmd::succeeds_quietly(&mut cmd::cargo(["nextest", "--version"]));
    for version in other_codex_versions() {
        println!("codex {version}: the real-codex tier");
        let mut command = if nextest {
            cmd::cargo([
                "nextest",
                "run",
                "--workspace",
                "--all-features",
                "-E",
                &real_codex_tests::filter(),
            ])
        } else {
            let mut command = cmd::cargo(["test", "--all-features"]);
            for package in real_codex_tests::packages() {
                command.args(["-p", package]);
            }
            command
        };
        // `CODEX_PATH` would replace every version with one binary.
        command
            .env(CODEX_VERSION_VAR, version)
            .env_remove(CODEX_PATH_VAR);
        cmd::run(&mut command)?;
    }
    Ok(Status::Passed)
}

/// Every supported codex version but the default one, oldest first.
fn other_codex_versions() -> impl Iterator<Item = &'static str> {
    SUPPORTED_CODEX_VERSIONS
        .iter()
        .copied()
        .filter(|version| *version != DEFAULT_CODEX_VERSION)
}

fn doctest() -> Result<Status, String> {
    passed(&mut cmd::cargo([
        "test",
        "--workspace",
        "--doc",
        "--all-features",
    ]))
}

fn doc() -> Result<Status, String> {
    let mut command = cmd::cargo(["doc", "--workspace", "--no-deps", "--all-features"]);
    command.env("RUSTDOCFLAGS", "-Dwarnings");
    passed(&mut command)
}

fn schema_step() -> Result<Status, String> {
    println!("$ cargo xtask schema --check");
    schema::run(&["--check".to_owned()]).map(|()| Status::Passed)
}

fn deny() -> Result<Status, String> {
    if !cmd::succeeds_quietly(&mut cmd::cargo(["deny", "--version"])) {
        if !in_ci() {
            return Ok(Status::Skipped(
                "cargo-deny is not installed, so licenses, bans and sources were not checked; \
                 install it with `cargo install --locked cargo-deny` (CI does)"
                    .to_owned(),
            ));
        }
        cmd::run(&mut cmd::cargo(["install", "--locked", "cargo-deny"]))?;
    }
    cmd::run(&mut cmd::cargo([
        "deny", "check", "bans", "licenses", "sources",
    ]))?;
    println!(
        "note: advisories were not checked (they need the network); run `cargo deny check advisories`"
    );
    Ok(Status::Passed)
}

/// Whether we run under CI (`CI` set to anything but empty or `false`).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false")
}

/// The crates that have cargo features: the only ones whose library tests differ by feature.
const CRATES_WITH_FEATURES: &[&str] = &[
    "codex-agent-batch",
    "codex-agent-sdk",
    "codex-agent-telemetry",
    "codex-agent-tools",
];

/// Every crate builds on its own (without the workspace's feature unification) with no
/// default features and with each feature alone, its library, binaries and examples; and the
/// library tests of each crate that has features pass under each (`cargo hack
/// --each-feature`). All features together are left to `clippy` and `test`, which build every
/// target with them, and the integration tests run there. The declared `rust-version` is the
/// pinned toolchain's, so every other step checks it too.
fn features() -> Result<Status, String> {
    if let Some(skipped) = ensure_tool("hack", "cargo-hack")? {
        return Ok(skipped);
    }
    // xtask has no library (and no features): clippy checks it.
    cmd::run(&mut cmd::cargo([
        "hack",
        "check",
        "--workspace",
        "--exclude",
        "xtask",
        "--each-feature",
        "--exclude-all-features",
        "--lib",
        "--bins",
        "--examples",
    ]))?;
    let mut test = vec!["hack", "test"];
    for krate in CRATES_WITH_FEATURES {
        test.extend(["--package", krate]);
    }
    test.extend(["--each-feature", "--exclude-all-features", "--lib"]);
    passed(&mut cmd::cargo(test))
}

/// Every published crate's public API equals its committed listing in `api/`; a change
/// needs recording, and a released version a bump first.
fn api_step() -> Result<Status, String> {
    println!("$ cargo xtask api");
    api::run(&[]).map(|()| Status::Passed)
}

/// `cargo package` for every published crate, built from its own `.crate`; sizes printed.
fn package() -> Result<Status, String> {
    release::package_step().map(|()| Status::Passed)
}

/// Makes sure `cargo <subcommand>` exists: under CI it is installed when missing (`.ci/run`
/// installs it first, so this is the fallback); elsewhere the step is skipped with the
/// install line.
fn ensure_tool(subcommand: &str, krate: &str) -> Result<Option<Status>, String> {
    if cmd::succeeds_quietly(&mut cmd::cargo([subcommand, "--version"])) {
        return Ok(None);
    }
    if in_ci() {
        cmd::run(&mut cmd::cargo(["install", "--locked", krate]))?;
        return Ok(None);
    }
    Ok(Some(Status::Skipped(format!(
        "{krate} is not installed; `cargo install --locked {krate}` to run this step (CI does)"
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|&arg| arg.to_owned()).collect()
    }

    #[test]
    fn the_crates_with_features_are_the_ones_declaring_features() {
        let mut declaring = Vec::new();
        for entry in std::fs::read_dir(crate::project_root().join("crates")).expect("crates/") {
            let manifest = entry.expect("an entry").path().join("Cargo.toml");
            let Ok(text) = std::fs::read_to_string(&manifest) else {
                continue;
            };
            if text.lines().any(|line| line.trim() == "[features]") {
                let name = text
                    .lines()
                    .find_map(|line| line.strip_prefix("name = \""))
                    .and_then(|rest| rest.strip_suffix('"'))
                    .expect("the package name comes first");
                declaring.push(name.to_owned());
            }
        }
        declaring.sort();
        assert_eq!(declaring, CRATES_WITH_FEATURES);
    }

    #[test]
    fn the_other_codex_versions_leave_out_the_default() {
        assert_eq!(other_codex_versions().collect::<Vec<_>>(), ["0.169.0"]);
    }

    #[test]
    fn skips_are_parsed_and_validated() {
        assert_eq!(
            parse_skips(&strings(&["--skip", "doc", "--skip", "deny"])),
            Ok(vec!["doc", "deny"])
        );
        assert_eq!(parse_skips(&[]), Ok(vec![]));
        assert_eq!(
            parse_skips(&strings(&["--skip", "lint"])),
            Err("unknown step `lint`; steps are fmt, tidy, clippy, test, fuzz-smoke, test-codex-versions, doctest, doc, schema, deny, features, package, api".to_owned())
        );
        assert_eq!(
            parse_skips(&strings(&["--skip"])),
            Err("`--skip` needs a step name".to_owned())
        );
    }
}
