//! `cargo xtask golden-argv`: regenerates `fixtures/ts-sdk-argv/golden.json` from the real
//! TypeScript SDK (`@openai/codex-sdk` 0.163.0), which `codex-agent-exec`'s argv test compares with.
//!
//! Installs the SDK without its optional platform binaries into `target/ts-sdk` with npm, then
//! runs `node fixtures/ts-sdk-argv/generate.mjs`; see `fixtures/ts-sdk-argv/README.md`. The
//! table records its capture date, so there is no `--check`: review the diff and commit it.

use std::process::Command;

use crate::{cmd, project_root};

/// The SDK version the table is captured from.
const SDK: &str = "@openai/codex-sdk@0.163.0";

/// `cargo xtask golden-argv`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if !args.is_empty() {
        return Err(format!(
            "usage: cargo xtask golden-argv, got `{}`",
            args.join(" ")
        ));
    }
    let root = project_root();
    cmd::run(
        Command::new("npm")
            .args(["install", "--prefix", "target/ts-sdk", "--omit=optional"])
            .args(["--no-audit", "--no-fund", SDK])
            .current_dir(&root),
    )?;
    cmd::run(
        Command::new("node")
            .arg("fixtures/ts-sdk-argv/generate.mjs")
            .current_dir(&root),
    )
}
