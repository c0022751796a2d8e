//! Running external tools with std only: build a [`Command`], print it, run it.
//!
//! Every command runs from the workspace root and inherits stdout and stderr, so the user
//! sees the tool's own output; only [`output`] captures stdout.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::project_root;

/// A `cargo` command run from the workspace root.
///
/// Uses the `CARGO` variable cargo sets for `cargo xtask`, so the pinned toolchain runs the
/// nested commands too.
pub(crate) fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    command.args(args).current_dir(project_root());
    command
}

/// The command as a shell line: environment overrides, program file name, arguments.
pub(crate) fn display(command: &Command) -> String {
    let mut words = Vec::new();
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            words.push(format!(
                "{}={}",
                key.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    let program = Path::new(command.get_program());
    let program = program.file_name().unwrap_or(program.as_os_str());
    words.push(program.to_string_lossy().into_owned());
    words.extend(
        command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned()),
    );
    words.join(" ")
}

/// Prints the command, runs it with inherited stdio and fails unless it exits with 0.
pub(crate) fn run(command: &mut Command) -> Result<(), String> {
    let line = display(command);
    println!("$ {line}");
    let status = command
        .status()
        .map_err(|err| format!("could not start `{line}`: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// Runs the command silently and reports whether it exited with 0 (used to probe for tools).
pub(crate) fn succeeds_quietly(command: &mut Command) -> bool {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs the command, capturing stdout (stderr is inherited), and fails unless it exits with 0.
pub(crate) fn output(command: &mut Command) -> Result<String, String> {
    let line = display(command);
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("could not start `{line}`: {err}"))?;
    if !output.status.success() {
        return Err(format!("`{line}` failed ({})", output.status));
    }
    String::from_utf8(output.stdout)
        .map_err(|err| format!("`{line}` printed non-UTF-8 output: {err}"))
}
