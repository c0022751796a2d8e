//! A user's scorer command: the task's result as JSON on stdin, a score on stdout.

use std::path::PathBuf;
use std::time::Duration;

use codex_agent_sdk::CancelHandle;
use codex_agent_sdk::exec::{self, ExecOptions, ProcessSpec};
use serde_json::Value;

use crate::Error;

/// How long a scorer command may run by default: 60 s.
pub const DEFAULT_SCORER_TIMEOUT: Duration = Duration::from_mins(1);

/// The most a scorer may print on stdout: 64 KiB. More is an error ([`Error::ScorerOutput`]).
pub const MAX_SCORER_OUTPUT: usize = 64 * 1024;

/// The longest excerpt of a scorer's output kept in an error, in bytes.
const MAX_EXCERPT: usize = 200;

/// A user's scorer command.
///
/// [`score`](Self::score) runs the command once per result: the result goes to its stdin as
/// one line of JSON (followed by a newline, then stdin is closed); it must print a score on
/// stdout, either a bare JSON number (`0.75`) or a JSON object with a numeric `score` field
/// (`{"score": 0.75, "why": "…"}`; other fields are ignored), and exit with code 0. The
/// number may be any finite value; its scale is the scorer's business.
///
/// The command is spawned through `codex-agent-exec` ([`exec::run_to_completion`]), so it
/// runs in its own process group, is killed with its children on the time limit, on cancel or
/// when the future is dropped, and dies with this process. It inherits this process's
/// environment and working directory unless [`current_dir`](Self::current_dir) says
/// otherwise.
///
/// ```no_run
/// use codex_agent_batch::metrics::Scorer;
/// use serde_json::json;
///
/// # async fn demo() -> Result<(), codex_agent_batch::Error> {
/// let scorer = Scorer::shell("python3 score.py --strict");
/// let score = scorer.score(&json!({"id": "t1", "final_response": "42"})).await?;
/// # let _ = score;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Scorer {
    command: String,
    program: PathBuf,
    args: Vec<String>,
    current_dir: Option<PathBuf>,
    timeout: Duration,
    cancel: Option<CancelHandle>,
}

impl Scorer {
    /// A scorer that runs `command` through the shell: `/bin/sh -c <command>` (on Windows,
    /// `cmd /C <command>`), so quoting, pipes and `$VARIABLES` work as in a terminal.
    pub fn shell(command: impl Into<String>) -> Self {
        let command = command.into();
        let (program, flag) = if cfg!(windows) {
            ("cmd", "/C")
        } else {
            ("/bin/sh", "-c")
        };
        Self {
            program: PathBuf::from(program),
            args: vec![flag.to_owned(), command.clone()],
            command,
            current_dir: None,
            timeout: DEFAULT_SCORER_TIMEOUT,
            cancel: None,
        }
    }

    /// A scorer that runs `program` with `args` directly, without a shell.
    pub fn program<I, S>(program: impl Into<PathBuf>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let program = program.into();
        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        let command = std::iter::once(program.display().to_string())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            command,
            program,
            args,
            current_dir: None,
            timeout: DEFAULT_SCORER_TIMEOUT,
            cancel: None,
        }
    }

    /// Kills the command and fails with [`Error::ScorerTimeout`] when it runs longer than
    /// `timeout`. By default, [`DEFAULT_SCORER_TIMEOUT`] (60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs the command in `dir`. By default, in this process's working directory.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Kills the command and fails with [`Error::ScorerCancelled`] when `handle` is cancelled.
    /// By default, only dropping the future of [`score`](Self::score) stops it.
    pub fn cancel_handle(mut self, handle: CancelHandle) -> Self {
        self.cancel = Some(handle);
        self
    }

    /// The command line, as shown in errors.
    #[must_use]
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Runs the command on `result` and returns the score it printed.
    ///
    /// # Errors
    ///
    /// [`Error::ScorerSpawn`] when the command cannot be started, [`Error::ScorerTimeout`],
    /// [`Error::ScorerCancelled`], [`Error::ScorerFailed`] when it exits unsuccessfully,
    /// [`Error::ScorerOutput`] when it prints something else than a score.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future kills the command's process group; no score is recorded.
    pub async fn score(&self, result: &Value) -> Result<f64, Error> {
        let mut stdin = result.to_string().into_bytes();
        stdin.push(b'\n');
        let mut spec = ProcessSpec::new(&self.program)
            .args(&self.args)
            .stdin(stdin);
        if let Some(dir) = &self.current_dir {
            spec = spec.current_dir(dir);
        }
        let mut options = ExecOptions::new()
            .turn_timeout(self.timeout)
            .kill_grace(Duration::from_secs(1));
        if let Some(cancel) = &self.cancel {
            options = options.cancel_handle(cancel.clone());
        }
        // One byte over the limit tells "too long" from "exactly the limit".
        let done = exec::run_to_completion(spec, &options, MAX_SCORER_OUTPUT + 1)
            .await
            .map_err(|error| self.run_error(error))?;
        if !done.status().success() {
            return Err(Error::ScorerFailed {
                command: self.command.clone(),
                status: describe_status(done.status()),
                stderr: done.stderr().to_owned(),
            });
        }
        let stdout = done.stdout();
        if done.stdout_truncated() || stdout.len() > MAX_SCORER_OUTPUT {
            return Err(self.bad_output(
                stdout,
                format!("more than {MAX_SCORER_OUTPUT} bytes of output"),
            ));
        }
        parse_score(stdout).map_err(|reason| self.bad_output(stdout, reason))
    }

    fn run_error(&self, error: exec::Error) -> Error {
        let command = self.command.clone();
        match error {
            exec::Error::TurnTimeout { limit } => Error::ScorerTimeout { command, limit },
            exec::Error::Cancelled => Error::ScorerCancelled { command },
            source => Error::ScorerSpawn { command, source },
        }
    }

    fn bad_output(&self, stdout: &[u8], reason: String) -> Error {
        let text = String::from_utf8_lossy(stdout);
        let mut end = text.len().min(MAX_EXCERPT);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Error::ScorerOutput {
            command: self.command.clone(),
            reason,
            excerpt: text[..end].to_owned(),
        }
    }
}

fn describe_status(status: std::process::ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit code {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    status.to_string()
}

/// Reads a score from a scorer's stdout: a JSON number, or a JSON object whose `score` is a
/// number, surrounded by any whitespace.
fn parse_score(stdout: &[u8]) -> Result<f64, String> {
    let text = std::str::from_utf8(stdout).map_err(|_| "the output is not UTF-8".to_owned())?;
    let text = text.trim();
    if text.is_empty() {
        return Err("the output is empty".to_owned());
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|_| "the output is neither a number nor a JSON object".to_owned())?;
    let number = match &value {
        Value::Number(number) => number,
        Value::Object(object) => match object.get("score") {
            Some(Value::Number(number)) => number,
            Some(_) => return Err("its `score` field is not a number".to_owned()),
            None => return Err("the JSON object has no `score` field".to_owned()),
        },
        _ => return Err("the output is neither a number nor a JSON object".to_owned()),
    };
    number
        .as_f64()
        .filter(|score| score.is_finite())
        .ok_or_else(|| "the score is not a finite number".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_numbers_or_objects_with_a_score() {
        assert_eq!(parse_score(b" 0.75\n"), Ok(0.75));
        assert_eq!(parse_score(b"{\"score\": 3, \"why\": \"ok\"}"), Ok(3.0));
        assert_eq!(parse_score(b"-1e2"), Ok(-100.0));
        for bad in [
            &b""[..],
            b"  \n",
            b"\"0.5\"",
            b"true",
            b"{\"points\": 1}",
            b"{\"score\": \"1\"}",
            b"0.5 0.6",
            b"1e999",
            b"\xff",
        ] {
            assert!(
                parse_score(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
