//! `shell`: a command line under a root directory, checked against prefix lists first.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use super::resolve_within;
use crate::approval::{ApprovalDecision, CommandPrefixPolicy};
use crate::process::{LaunchSpec, ProcessExit, ProcessLauncher, floor_char_boundary};
use crate::tools::{Tool, ToolError};

// A callback that sees each output line of a running command.
type ProgressFn = Arc<dyn Fn(&str) + Send + Sync>;

/// The marker appended to output cut at [`ShellOptions::max_output_bytes`].
pub const OUTPUT_TRUNCATED: &str = "[… output truncated by codex-sdk: over the size limit]";

/// What the [`shell`] tool may run, where, and for how long.
#[derive(Clone)]
#[must_use]
#[non_exhaustive]
pub struct ShellOptions {
    root: PathBuf,
    policy: CommandPrefixPolicy,
    timeout: Duration,
    max_output_bytes: usize,
    on_progress: Option<ProgressFn>,
}

impl fmt::Debug for ShellOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShellOptions")
            .field("root", &self.root)
            .field("policy", &self.policy)
            .field("timeout", &self.timeout)
            .field("max_output_bytes", &self.max_output_bytes)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl ShellOptions {
    /// Commands run in `root` (or a directory under it); nothing is allowed yet, a 30 s
    /// timeout, 64 KiB of output, no progress callback.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            policy: CommandPrefixPolicy::new(),
            timeout: Duration::from_secs(30),
            max_output_bytes: 64 * 1024,
            on_progress: None,
        }
    }

    /// Allows commands starting with these words (`["git", "status"]`); an empty prefix
    /// allows everything. Every command of a script (`a && b`, pipes) must be allowed, and a
    /// script the splitter cannot read with certainty (substitutions) is refused. By default,
    /// nothing is allowed.
    pub fn allow(mut self, prefix: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.policy = self.policy.allow(prefix);
        self
    }

    /// Refuses commands starting with these words; wins over every allow prefix. By default,
    /// nothing is denied.
    pub fn deny(mut self, prefix: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.policy = self.policy.deny(prefix);
        self
    }

    /// Kills the command's process group after this long. By default, 30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most output (stdout and stderr) kept; the rest is cut and [`OUTPUT_TRUNCATED`]
    /// appended. By default, 64 KiB.
    pub fn max_output_bytes(mut self, bytes: usize) -> Self {
        self.max_output_bytes = bytes;
        self
    }

    /// Calls `on_progress` with each output line while the command runs. By default, none.
    pub fn on_progress(mut self, on_progress: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(on_progress));
        self
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ShellRequest {
    /// The command line, run by `/bin/sh -c`.
    command: String,
    /// The working directory, relative to the workspace root; by default the root.
    cwd: Option<String>,
}

/// The `shell` tool: runs a command line with `/bin/sh -c` in `options`' root, after
/// checking it against the allow and deny lists (a refused command never starts), with
/// stderr merged into stdout, under a timeout that kills the whole process group (as does
/// cancelling the call), with the output capped.
///
/// This is not a sandbox: an allowed command can read and write what this process can.
pub fn shell(launcher: Arc<dyn ProcessLauncher>, options: ShellOptions) -> Tool {
    // The tool's own timeout kills the process group and reports the output so far; the
    // registry's limit is a backstop behind it.
    let limit = options.timeout + Duration::from_secs(10);
    let options = Arc::new(options);
    Tool::typed(
        "shell",
        "Run a shell command in the workspace and return its output (stdout and stderr) and \
         exit code. Only some commands are allowed.",
        move |request: ShellRequest| {
            let launcher = launcher.clone();
            let options = options.clone();
            async move { run(&*launcher, &options, request).await }
        },
    )
    .destructive(true)
    .timeout(limit)
}

async fn run(
    launcher: &dyn ProcessLauncher,
    options: &ShellOptions,
    request: ShellRequest,
) -> Result<String, ToolError> {
    if options.policy.decide_command(&request.command) != ApprovalDecision::Accept {
        return Err(ToolError::new(format!(
            "the command `{}` is not allowed here",
            request.command
        )));
    }
    let cwd = resolve_within(&options.root, request.cwd.as_deref())?;
    // `exec 2>&1` merges stderr into stdout, so the output keeps its order; the user's
    // script follows on its own line, unchanged.
    let script = format!("exec 2>&1\n{}", request.command);
    let spec = LaunchSpec::new("/bin/sh")
        .args(["-c", script.as_str()])
        .current_dir(cwd)
        .timeout(options.timeout);
    let mut process = launcher
        .launch(spec)
        .map_err(|error| ToolError::new(format!("the command could not start: {error}")))?;
    let stdout = process
        .take_stdout()
        .ok_or_else(|| ToolError::new("the command's output was not piped"))?;
    let mut output = String::new();
    let mut truncated = false;
    let mut lines = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut lines)
            .take(options.max_output_bytes as u64 + 1)
            .read_until(b'\n', &mut line)
            .await;
        match read {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        if let Some(on_progress) = &options.on_progress {
            on_progress(text.trim_end_matches(['\n', '\r']));
        }
        if !truncated {
            let room = options.max_output_bytes.saturating_sub(output.len());
            if text.len() > room {
                output.push_str(&text[..floor_char_boundary(&text, room)]);
                truncated = true;
            } else {
                output.push_str(&text);
            }
        }
    }
    let exit = process.wait().await;
    if truncated {
        output.push('\n');
        output.push_str(OUTPUT_TRUNCATED);
        output.push('\n');
    }
    match exit {
        ProcessExit::Exited(Some(code)) => Ok(format!("{output}\n[exit code: {code}]")),
        ProcessExit::TimedOut => Err(ToolError::new(format!(
            "the command timed out after {:?} and was killed; output so far:\n{output}",
            options.timeout
        ))),
        ProcessExit::Exited(None) => Err(ToolError::new(format!(
            "the command was killed by a signal; output:\n{output}"
        ))),
        ProcessExit::Stopped | ProcessExit::Unknown => Err(ToolError::new(format!(
            "the command was stopped; output so far:\n{output}"
        ))),
    }
}
