//! Project automation for codex-sdk-rs: `cargo xtask <command>`.
#![expect(clippy::print_stdout, clippy::print_stderr, reason = "xtask is a command-line tool")]

fn main() {
    println!("xtask");
}
