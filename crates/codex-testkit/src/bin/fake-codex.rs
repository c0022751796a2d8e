//! A fake `codex` for tests: replays a script of stdout lines and faults.
//!
//! See [`codex_agent_testkit::fake_codex`] for the script format.

use std::process::ExitCode;

fn main() -> ExitCode {
    codex_agent_testkit::fake_codex::main()
}
