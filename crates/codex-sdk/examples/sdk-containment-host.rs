//! Not an example: the host program of the containment tests (`tests/it/containment.rs`).
//!
//! `sdk-containment-host <codex> <exec|app-server> <working dir> <containment>` runs one
//! streamed turn with the real codex at `<codex>` on the given transport, asking for
//! `<containment>` (`cgroup-v2`, `environment-tag`, `process-group`; the environment, including
//! `CODEX_HOME`, is inherited from the test), reads the stream to its end, and then waits
//! forever. The test kills it with `SIGKILL` while the turn's command runs and checks that
//! nothing the command started outlives it.
//!
//! It is also a fake codex: started with `FAKE_CODEX_FINGERPRINT` set it prints the
//! fingerprint, so the tests find it, and check that it is fresh, with
//! `codex_agent_testkit::fake_codex::locate("sdk-containment-host")`.

#![expect(
    clippy::print_stderr,
    reason = "a test helper reports its usage and errors on stderr"
)]

use std::process::ExitCode;

use codex_agent_sdk::{Codex, CodexOptions, Containment, ThreadOptions, Transport, TurnOptions};
use codex_agent_testkit::fake_codex::{self, FINGERPRINT_ENV, SCRIPT_ENV};
use futures::StreamExt as _;

fn main() -> ExitCode {
    if std::env::var_os(SCRIPT_ENV).is_some() || std::env::var_os(FINGERPRINT_ENV).is_some() {
        return fake_codex::main();
    }
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let [codex, transport, workdir, containment] = args.as_slice() else {
        eprintln!(
            "usage: sdk-containment-host <codex> <exec|app-server> <working dir> <containment>"
        );
        return ExitCode::from(2);
    };
    let containment = match containment.to_str() {
        Some("cgroup-v2") => Containment::CgroupV2,
        Some("environment-tag") => Containment::EnvironmentTag,
        Some("process-group") => Containment::ProcessGroup,
        _ => {
            eprintln!(
                "sdk-containment-host: unknown containment {}",
                containment.display()
            );
            return ExitCode::from(2);
        }
    };
    let transport = match transport.to_str() {
        Some("exec") => Transport::Exec,
        Some("app-server") => Transport::AppServer,
        _ => {
            eprintln!(
                "sdk-containment-host: unknown transport {}",
                transport.display()
            );
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("sdk-containment-host: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let options = CodexOptions::new()
            .codex_path(codex)
            .transport(transport)
            .containment(containment);
        let codex = match Codex::new(options) {
            Ok(codex) => codex,
            Err(e) => {
                eprintln!("sdk-containment-host: {e}");
                return ExitCode::FAILURE;
            }
        };
        let thread = codex.start_thread(
            ThreadOptions::new()
                .skip_git_repo_check(true)
                .working_directory(workdir),
        );
        let mut stream = match thread.run_streamed("go", TurnOptions::new()).await {
            Ok(stream) => stream,
            Err(e) => {
                eprintln!("sdk-containment-host: {e}");
                return ExitCode::FAILURE;
            }
        };
        while let Some(event) = stream.next().await {
            if let Err(e) = event {
                eprintln!("sdk-containment-host: {e}");
            }
        }
        // Holds everything until it is killed.
        std::future::pending::<()>().await;
        drop((stream, thread, codex));
        ExitCode::SUCCESS
    })
}
