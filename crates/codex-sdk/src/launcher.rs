//! The process seam of codex-agent-tools, filled by codex-agent-exec.

use std::future::Future;
use std::io;
use std::pin::Pin;

use codex_agent_exec::{ChildExit, ExecOptions, PipedChild, ProcessSpec};
use codex_agent_tools::process::{
    ChildReader, ChildWriter, LaunchSpec, LaunchedProcess, ProcessExit, ProcessLauncher,
};

/// The [`ProcessLauncher`] of this SDK: every child is started by codex-agent-exec, in its own
/// process group, with the parent-death signal where available, its stderr kept as a redacted
/// tail, and the whole group terminated (`SIGTERM`, then `SIGKILL`) and reaped when dropped or
/// when its time limit passes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecLauncher;

impl ProcessLauncher for ExecLauncher {
    fn launch(&self, spec: LaunchSpec) -> io::Result<Box<dyn LaunchedProcess>> {
        let mut process = ProcessSpec::new(spec.program.clone()).args(spec.args.clone());
        for (key, value) in &spec.env {
            process = process.env(key, value);
        }
        if let Some(dir) = &spec.current_dir {
            process = process.current_dir(dir);
        }
        let mut options = ExecOptions::new();
        if let Some(timeout) = spec.timeout {
            options = options.turn_timeout(timeout);
        }
        let mut child = PipedChild::spawn(process, &options)
            .map_err(|error| io::Error::other(error.to_string()))?;
        if !spec.stdin {
            drop(child.take_stdin());
        }
        Ok(Box::new(ExecProcess(child)))
    }
}

#[derive(Debug)]
struct ExecProcess(PipedChild);

impl LaunchedProcess for ExecProcess {
    fn pid(&self) -> u32 {
        self.0.pid()
    }

    fn take_stdin(&mut self) -> Option<ChildWriter> {
        self.0
            .take_stdin()
            .map(|stdin| Box::pin(stdin) as ChildWriter)
    }

    fn take_stdout(&mut self) -> Option<ChildReader> {
        self.0
            .take_stdout()
            .map(|stdout| Box::pin(stdout) as ChildReader)
    }

    fn stderr_tail(&self) -> String {
        self.0.stderr_tail()
    }

    fn kill(&self) {
        self.0.kill();
    }

    fn wait(&mut self) -> Pin<Box<dyn Future<Output = ProcessExit> + Send + '_>> {
        Box::pin(async move {
            match self.0.wait().await {
                ChildExit::Exited(code) => ProcessExit::Exited(code),
                ChildExit::TimedOut => ProcessExit::TimedOut,
                ChildExit::Stopped => ProcessExit::Stopped,
                _ => ProcessExit::Unknown,
            }
        })
    }
}
