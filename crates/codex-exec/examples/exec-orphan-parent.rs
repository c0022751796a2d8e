//! Not an example: the parent process of codex-agent-exec's parent-death tests.
//!
//! `exec-orphan-parent <script> <on|off|contained>` spawns the fake codex through
//! `ExecStream::spawn`, running `<script>`, and then waits forever holding the stream: `on`
//! with the defaults, `off` with neither the parent-death signal nor containment
//! (`Containment::ProcessGroup`), `contained` with the best containment but no parent-death
//! signal (so that only the containment's watcher can kill it). The test kills it with
//! `SIGKILL` and watches whether the fake outlives it.
//!
//! It is its own fake codex: started with `FAKE_CODEX_SCRIPT` or `FAKE_CODEX_FINGERPRINT`
//! set, it runs [`codex_agent_testkit::fake_codex::main`], so the tests find it, and check that it
//! is fresh, with `codex_agent_testkit::fake_codex::locate("exec-orphan-parent")`.

#![expect(
    clippy::print_stderr,
    reason = "a test helper reports its usage and spawn errors on stderr"
)]

use std::process::ExitCode;

use codex_agent_exec::{Containment, ExecOptions, ExecStream, ProcessSpec};
use codex_agent_testkit::fake_codex::{self, FINGERPRINT_ENV, SCRIPT_ENV};

fn main() -> ExitCode {
    if std::env::var_os(SCRIPT_ENV).is_some() || std::env::var_os(FINGERPRINT_ENV).is_some() {
        return fake_codex::main();
    }
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let (script, options) = match args.as_slice() {
        [script, mode] if mode == "on" => (script.clone(), ExecOptions::new()),
        [script, mode] if mode == "off" => (
            script.clone(),
            ExecOptions::new()
                .parent_death_signal(false)
                .containment(Containment::ProcessGroup),
        ),
        [script, mode] if mode == "contained" => (
            script.clone(),
            ExecOptions::new().parent_death_signal(false),
        ),
        _ => {
            eprintln!("usage: exec-orphan-parent <script> <on|off|contained>");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("exec-orphan-parent: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let exe = match std::env::current_exe() {
            Ok(exe) => exe,
            Err(e) => {
                eprintln!("exec-orphan-parent: cannot find itself: {e}");
                return ExitCode::FAILURE;
            }
        };
        let spec = ProcessSpec::new(exe)
            .arg("exec")
            .env(SCRIPT_ENV, script)
            .stdin("say hi");
        match ExecStream::spawn(spec, &options) {
            Ok(stream) => {
                // Never polled and never dropped: the parent waits here until it is killed.
                std::future::pending::<()>().await;
                drop(stream);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("exec-orphan-parent: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
