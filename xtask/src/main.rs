//! Project automation for codex-sdk-rs: `cargo xtask <command>`.
//!
//! A plain binary with one module per subcommand. Each subcommand module exposes
//! `pub(crate) fn run(args: &[String]) -> Result<(), String>`; adding a subcommand is one
//! `mod` line and one line in [`COMMANDS`].
//!
//! Only std is used to run tools ([`cmd`]), so the build stays small and fast.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "xtask is a command-line tool"
)]
#![expect(
    clippy::disallowed_methods,
    reason = "xtask runs cargo and other tools directly; it is not part of the SDK"
)]

mod api;
mod batch_bench;
mod bench;
mod chaos;
mod cmd;
mod demo;
mod demo_batch;
mod deps;
mod fuzz;
mod golden_argv;
mod parity;
mod real_codex_tests;
mod release;
mod schema;
mod secrets;
mod soak;
mod tidy;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A subcommand: its name, a one-line summary and its entry point.
type Command = (
    &'static str,
    &'static str,
    fn(&[String]) -> Result<(), String>,
);

/// Every subcommand, in the order `cargo xtask help` lists them.
const COMMANDS: &[Command] = &[
    (
        "verify",
        "run every check CI runs, failing fast [--skip <step>]...",
        verify::run,
    ),
    (
        "schema",
        "write fixtures/schema/*.json from codex-agent-protocol [--check]",
        schema::run,
    ),
    (
        "golden-argv",
        "regenerate fixtures/ts-sdk-argv/golden.json from the TypeScript SDK",
        golden_argv::run,
    ),
    (
        "tidy",
        "run the source-text and dependency-direction checks",
        tidy::run,
    ),
    (
        "secrets",
        "check audit/secrets.txt, the reviewed list of every error, tracing call, Debug and secret-named field [--bless]",
        secrets::run,
    ),
    (
        "parity",
        "diff codex-agent-sdk against the TypeScript SDK on fixtures/parity [--scenario <pattern>]...",
        parity::run,
    ),
    (
        "bench",
        "measure streaming, run(), per-turn overhead and app-server vs exec [--runs N] [--turns N]",
        bench::run,
    ),
    (
        "batch-bench",
        "codex-batch runner throughput and overhead per task vs the facade [--tasks N] [--concurrency 1,4,8] [--transport exec,app-server]",
        batch_bench::run,
    ),
    (
        "api",
        "write down each published crate's public API in api/<crate>.txt, check it [--bless]",
        api::run,
    ),
    (
        "release",
        "bump the workspace version, check CHANGELOG, verify, publish --dry-run; never publishes [--dry-run] [--skip-verify] VERSION",
        release::run,
    ),
    (
        "chaos",
        "kill codex, the model, the host or the disk at random moments on both transports; every run must end typed and leave nothing [--runs N] [--seed S] [--transport T]... [--fault F]...",
        chaos::run,
    ),
    (
        "soak",
        "1,000 fake and 200 real turns per transport through one Codex, sampling RSS, fds, threads and children [--fake-turns N] [--real-turns N] [--every N] [--phase P]...",
        soak::run,
    ),
    (
        "fuzz",
        "run each fuzz target in fuzz/ briefly from its seeds; needs cargo-fuzz [--seconds N] [--target T]...",
        fuzz::run,
    ),
    (
        "demo",
        "run one codex turn through codex-agent-sdk against a local mock model (no API key); `demo batch`: a codex-batch run",
        demo::run,
    ),
];

/// Entry points other commands start this executable with; not listed by `help`. The
/// testkit's MCP server (`__mcp-echo-server`, for `parity`) is one too, handled first in
/// [`main`] because it owns the process's exit code.
const INTERNAL: &[Command] = &[
    (
        "__parity-driver",
        "run a parity job on codex-agent-sdk",
        parity::driver::run,
    ),
    ("__chaos-host", "one chaos run's turn", chaos::host),
    (
        "__soak-model",
        "the scripted model of a soak phase, in its own process",
        soak::model,
    ),
];

fn main() -> ExitCode {
    // `cargo xtask bench` runs this executable as the fake codex that replays its stream.
    if std::env::var_os(codex_agent_testkit::fake_codex::SCRIPT_ENV).is_some() {
        return codex_agent_testkit::fake_codex::main();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((name, rest)) = args.split_first() else {
        print_usage();
        return ExitCode::FAILURE;
    };
    if name == "__mcp-echo-server" {
        return codex_agent_testkit::mcp_server::main();
    }
    if matches!(name.as_str(), "help" | "--help" | "-h") {
        print_usage();
        return ExitCode::SUCCESS;
    }
    let Some((_, _, run)) = COMMANDS
        .iter()
        .chain(INTERNAL)
        .find(|(command, _, _)| command == name)
    else {
        eprintln!("error: unknown command `{name}`\n");
        print_usage();
        return ExitCode::FAILURE;
    };
    match run(rest) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_usage() {
    println!("usage: cargo xtask <command> [args]\n\ncommands:");
    for (name, summary, _) in COMMANDS {
        println!("  {name:<8} {summary}");
    }
}

/// The workspace root: the parent of this crate's directory.
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
