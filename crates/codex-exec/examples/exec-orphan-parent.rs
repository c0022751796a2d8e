//! Not an example: the parent process of codex-agent-exec's parent-death tests.
//!
//! `exec-orphan-parent <script> <on|off|contained|prestart|prestart-contained|prestart-idle>`
//! spawns the fake codex through `ExecStream::spawn`, running `<script>`, and then waits
//! forever holding the stream: `on` with the defaults, `off` with neither the parent-death
//! signal nor containment (`Containment::ProcessGroup`), `contained` with the best containment
//! but no parent-death signal (so that only the containment's watcher can kill it). The
//! `prestart` modes first run `/bin/true` through a `Prestart` and wait for its spare, write
//! the spare's pid to `spare-pid` beside `<script>`, and then (`prestart`: the defaults;
//! `prestart-contained`: no parent-death signal) hand the fake over to the spare, or
//! (`prestart-idle`) leave the spare waiting. The test kills it with `SIGKILL` and watches
//! whether the fake (or the spare) outlives it.
//!
//! It is its own fake codex: started with `FAKE_CODEX_SCRIPT` or `FAKE_CODEX_FINGERPRINT`
//! set, it runs [`codex_agent_testkit::fake_codex::main`], so the tests find it, and check that it
//! is fresh, with `codex_agent_testkit::fake_codex::locate("exec-orphan-parent")`.

#![expect(
    clippy::print_stderr,
    reason = "a test helper reports its usage and spawn errors on stderr"
)]

use std::process::ExitCode;

use std::time::Duration;

use codex_agent_exec::{
    Containment, ExecOptions, ExecStream, Prestart, ProcessSpec, run_to_completion,
};
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
        [script, mode] if mode == "prestart" || mode == "prestart-idle" => {
            (script.clone(), ExecOptions::new())
        }
        [script, mode] if mode == "prestart-contained" => (
            script.clone(),
            ExecOptions::new().parent_death_signal(false),
        ),
        _ => {
            eprintln!(
                "usage: exec-orphan-parent <script> \
                 <on|off|contained|prestart|prestart-contained|prestart-idle>"
            );
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
        let mode = args.get(1).cloned().unwrap_or_default();
        let mut options = options;
        if mode.to_string_lossy().starts_with("prestart") {
            let prestart = Prestart::new();
            options = options.prestart(&prestart);
            if let Err(e) = warm_up(&prestart, &options, std::path::Path::new(&script)).await {
                eprintln!("exec-orphan-parent: {e}");
                return ExitCode::FAILURE;
            }
            if mode == "prestart-idle" {
                std::future::pending::<()>().await;
                drop(prestart);
                return ExitCode::SUCCESS;
            }
        }
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

/// Runs `/bin/true` through `prestart`, waits for the spare it starts, and writes the spare's
/// pid to `spare-pid` beside `script`.
async fn warm_up(
    prestart: &Prestart,
    options: &ExecOptions,
    script: &std::path::Path,
) -> Result<(), String> {
    run_to_completion(ProcessSpec::new("/bin/true"), options, 0)
        .await
        .map_err(|e| format!("running /bin/true: {e}"))?;
    for _ in 0..1000 {
        if let Some(pid) = prestart.pid() {
            let file = script.with_file_name("spare-pid");
            return std::fs::write(&file, pid.to_string())
                .map_err(|e| format!("writing {}: {e}", file.display()));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err("no spare started within 10 s".to_owned())
}
