//! Not an example: the fake `codex` that this crate's integration tests spawn.
//!
//! Cargo does not build the binaries of a dev-dependency, but `cargo test` and
//! `cargo nextest run` build every example of the package under test, so this target is
//! always built, fresh, next to the test executable; the tests find it with
//! `codex_agent_testkit::fake_codex::locate("sdk-fake-codex")`. The fault logic is in
//! [`codex_agent_testkit::fake_codex`].

use std::process::ExitCode;

fn main() -> ExitCode {
    codex_agent_testkit::fake_codex::main()
}
