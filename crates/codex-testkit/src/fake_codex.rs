//! A fake `codex` executable that replays transcripts with scripted faults, and helpers to
//! find it and watch the processes it starts.
//!
//! # The script
//!
//! The fake reads the path of a JSON [`Script`] from the [`SCRIPT_ENV`] environment variable.
//! Like `codex exec`, it first reads stdin to end of file; then it runs the script's steps in
//! order and exits with code 0 unless a step says otherwise. Its arguments are ignored (but
//! can be recorded). Build scripts with the [`Script`] methods and [`Script::write_to`].
//!
//! # Which executable runs it
//!
//! The fault logic lives in this library ([`main`]), so that any crate can turn a binary it
//! owns into the fake:
//!
//! - this crate's `fake-codex` binary, for its own tests (`env!("CARGO_BIN_EXE_fake-codex")`);
//! - for other crates, a three-line example target calling [`main`] (codex-agent-exec has
//!   `examples/exec-fake-codex.rs`). Cargo does not build a dev-dependency's binaries, but
//!   `cargo test` and `cargo nextest run` build the examples of every package they test, so
//!   the example is always there, and fresh, next to the test binary. [`locate`] finds it.
//!   Give each crate's example its own name: examples share `target/<profile>/examples/`;
//! - a binary whose `main` is yours can also be its own fake: call [`main`] first when
//!   [`SCRIPT_ENV`] is set, and spawn [`std::env::current_exe`].

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The environment variable holding the path of the script.
pub const SCRIPT_ENV: &str = "FAKE_CODEX_SCRIPT";

/// Set (to the pid file path) in a grandchild started by [`Step::SpawnGrandchild`].
const GRANDCHILD_ENV: &str = "FAKE_CODEX_GRANDCHILD_PID_FILE";
/// Set in a grandchild that must ignore `SIGTERM`.
const GRANDCHILD_IGNORE_TERM_ENV: &str = "FAKE_CODEX_GRANDCHILD_IGNORE_SIGTERM";

/// What the fake does, in order, after reading stdin to end of file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Script {
    /// Do not read stdin at all (a child that exits without reading its prompt).
    #[serde(default)]
    pub skip_stdin: bool,
    /// Milliseconds to sleep after each stdout line written by [`Step::Line`] and
    /// [`Step::Fixture`].
    #[serde(default)]
    pub line_delay_ms: u64,
    /// The steps.
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// One step of a [`Script`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Step {
    /// Writes the fake's own pid to `path` (atomically: readers never see a partial file).
    PidFile {
        /// Where.
        path: PathBuf,
    },
    /// Writes `{"argv":[…],"env":{…},"stdin":"…","cwd":"…"}` to `path` (atomically).
    Record {
        /// Where.
        path: PathBuf,
    },
    /// Writes `text` and a newline to stdout.
    Line {
        /// The line, without newline.
        text: String,
    },
    /// Writes every line of a JSONL file to stdout.
    Fixture {
        /// The file.
        path: PathBuf,
    },
    /// Writes bytes to stdout as they are (no newline added).
    Raw {
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// Writes a line of `len` bytes of `x` and a newline, without holding it in memory.
    LongLine {
        /// Bytes before the newline.
        len: usize,
    },
    /// Writes `text` to stderr as it is.
    Stderr {
        /// The text.
        text: String,
    },
    /// Sleeps.
    Sleep {
        /// Milliseconds.
        ms: u64,
    },
    /// Writes `line` and a newline `count` times with non-blocking writes, and keeps a
    /// report in `report` (replaced atomically):
    /// `{"blocks":<n>,"written":<lines>,"done":<bool>,"pipe_size":<bytes or null>}`. It is
    /// rewritten each time a write has to wait for the reader (`written` is then the number
    /// of lines fully written so far), and at the end with `done: true`.
    Flood {
        /// The line, without newline.
        line: String,
        /// How many times.
        count: usize,
        /// Where to keep the report.
        report: PathBuf,
    },
    /// Waits until `path` exists (checking every 2 ms), so a test can order its own actions
    /// before the fake's next step.
    WaitForFile {
        /// The file to wait for.
        path: PathBuf,
    },
    /// Ignores `SIGTERM` from now on.
    IgnoreSigterm,
    /// Starts a grandchild (this executable in grandchild mode) that sleeps forever, waits
    /// until it is ready, and writes its pid to `pid_file`.
    SpawnGrandchild {
        /// Where the grandchild's pid goes.
        pid_file: PathBuf,
        /// Whether the grandchild inherits stdout and stderr (holding the pipes open).
        inherit_stdio: bool,
        /// Whether the grandchild ignores `SIGTERM`.
        ignore_sigterm: bool,
    },
    /// Closes stdout (the reader sees end of file) and goes on running.
    CloseStdout,
    /// Kills itself with `SIGKILL`.
    Crash,
    /// Exits with `code`.
    Exit {
        /// The exit code.
        code: i32,
    },
    /// Plays a JSON-RPC server for one request (`codex app-server`): reads stdin line by
    /// line, skipping what is not a request for `method` (notifications such as
    /// `initialized`, answers to the fake's own requests), and answers that request with
    /// `{"id": <its id>, "result": result}`. Use with [`Script::skip_stdin`]. Fails when stdin
    /// ends first.
    Respond {
        /// The method of the request to answer.
        method: String,
        /// The `result` of the answer.
        result: serde_json::Value,
    },
    /// Sleeps forever.
    Hang,
}

impl Script {
    /// An empty script: read stdin, exit 0.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a step.
    #[must_use]
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// Sleeps `ms` milliseconds after each line. By default, there is no delay.
    #[must_use]
    pub fn line_delay_ms(mut self, ms: u64) -> Self {
        self.line_delay_ms = ms;
        self
    }

    /// Leaves stdin unread. By default, stdin is read to end of file first, as codex does.
    #[must_use]
    pub fn skip_stdin(mut self) -> Self {
        self.skip_stdin = true;
        self
    }

    /// Appends [`Step::PidFile`].
    #[must_use]
    pub fn pid_file(self, path: impl Into<PathBuf>) -> Self {
        self.step(Step::PidFile { path: path.into() })
    }

    /// Appends [`Step::Record`].
    #[must_use]
    pub fn record(self, path: impl Into<PathBuf>) -> Self {
        self.step(Step::Record { path: path.into() })
    }

    /// Appends [`Step::Line`].
    #[must_use]
    pub fn line(self, text: impl Into<String>) -> Self {
        self.step(Step::Line { text: text.into() })
    }

    /// Appends [`Step::Fixture`].
    #[must_use]
    pub fn fixture(self, path: impl Into<PathBuf>) -> Self {
        self.step(Step::Fixture { path: path.into() })
    }

    /// Appends [`Step::Stderr`].
    #[must_use]
    pub fn stderr(self, text: impl Into<String>) -> Self {
        self.step(Step::Stderr { text: text.into() })
    }

    /// Appends [`Step::Exit`].
    #[must_use]
    pub fn exit(self, code: i32) -> Self {
        self.step(Step::Exit { code })
    }

    /// Appends [`Step::Respond`].
    #[must_use]
    pub fn respond(self, method: impl Into<String>, result: serde_json::Value) -> Self {
        self.step(Step::Respond {
            method: method.into(),
            result,
        })
    }

    /// Appends [`Step::Hang`].
    #[must_use]
    pub fn hang(self) -> Self {
        self.step(Step::Hang)
    }

    /// Writes the script as `fake-codex-script.json` in `dir` and returns its path, the value
    /// for [`SCRIPT_ENV`].
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub fn write_to(&self, dir: &Path) -> io::Result<PathBuf> {
        let path = dir.join("fake-codex-script.json");
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        write_atomically(&path, &json)?;
        Ok(path)
    }
}

/// The path of a live capture in the workspace's `fixtures/codex-0.169.0/`, for example
/// `exec_fixture("a-plain.jsonl")`.
#[must_use]
pub fn exec_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/codex-0.169.0")
        .join(name)
}

/// Finds the fake codex that cargo built for the running test: `name` among the examples of
/// the target directory, else among its binaries, and checks that it is not stale.
///
/// The test executable runs from `target/<profile>/deps/`; examples are in
/// `target/<profile>/examples/` and binaries in `target/<profile>/`.
///
/// A filtered build (`cargo test --test it`) does not rebuild examples, so the file found may
/// predate a change to this module. The fake reports the [`fingerprint`] of the code it was
/// built from when started with [`FINGERPRINT_ENV`] set; a mismatch is reported here, not as a
/// confusing failure later.
///
/// # Panics
///
/// When the executable is missing or stale: the message says how to build it.
#[must_use]
pub fn locate(name: &str) -> PathBuf {
    crate::built_binary::locate(name, FINGERPRINT_ENV, &fingerprint())
}

/// With this variable set, the fake prints its [`fingerprint`] and exits.
pub const FINGERPRINT_ENV: &str = "FAKE_CODEX_FINGERPRINT";

/// A hash of this module's source: equal in the test and in a fake built from the same code.
#[must_use]
pub fn fingerprint() -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    include_str!("fake_codex.rs").hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// Runs the fake: in grandchild mode when started by [`Step::SpawnGrandchild`], otherwise the
/// script named by [`SCRIPT_ENV`]. Returns only on normal completion.
#[must_use]
pub fn main() -> ExitCode {
    if std::env::var_os(FINGERPRINT_ENV).is_some() {
        let _ = writeln!(io::stdout(), "{}", fingerprint());
        return ExitCode::SUCCESS;
    }
    if let Some(pid_file) = std::env::var_os(GRANDCHILD_ENV) {
        grandchild(Path::new(&pid_file));
    }
    let Some(path) = std::env::var_os(SCRIPT_ENV) else {
        let _ = writeln!(
            io::stderr(),
            "fake-codex: set {SCRIPT_ENV} to the path of a script"
        );
        return ExitCode::from(2);
    };
    let script = match std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice::<Script>(&bytes).map_err(|e| e.to_string()))
    {
        Ok(script) => script,
        Err(e) => {
            let _ = writeln!(
                io::stderr(),
                "fake-codex: cannot read {}: {e}",
                Path::new(&path).display()
            );
            return ExitCode::from(2);
        }
    };
    match run(&script) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(io::stderr(), "fake-codex: {e}");
            ExitCode::from(3)
        }
    }
}

/// Runs a script in this process.
fn run(script: &Script) -> io::Result<ExitCode> {
    let mut stdin = Vec::new();
    if !script.skip_stdin {
        io::stdin().read_to_end(&mut stdin)?;
    }
    let mut out = io::stdout().lock();
    let delay = Duration::from_millis(script.line_delay_ms);
    for step in &script.steps {
        match step {
            Step::PidFile { path } => {
                write_atomically(path, std::process::id().to_string().as_bytes())?;
            }
            Step::Record { path } => record(path, &stdin)?,
            Step::Line { text } => {
                writeln!(out, "{text}")?;
                out.flush()?;
                std::thread::sleep(delay);
            }
            Step::Fixture { path } => {
                for line in std::fs::read_to_string(path)?.lines() {
                    writeln!(out, "{line}")?;
                    out.flush()?;
                    std::thread::sleep(delay);
                }
            }
            Step::Raw { bytes } => {
                out.write_all(bytes)?;
                out.flush()?;
            }
            Step::LongLine { len } => {
                let chunk = [b'x'; 8192];
                let mut left = *len;
                while left > 0 {
                    let n = left.min(chunk.len());
                    out.write_all(&chunk[..n])?;
                    left -= n;
                }
                out.write_all(b"\n")?;
                out.flush()?;
            }
            Step::Stderr { text } => {
                io::stderr().write_all(text.as_bytes())?;
            }
            Step::Sleep { ms } => std::thread::sleep(Duration::from_millis(*ms)),
            Step::Flood {
                line,
                count,
                report,
            } => {
                out.flush()?;
                sys::flood(line, *count, report)?;
            }
            Step::WaitForFile { path } => {
                while !path.exists() {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            Step::IgnoreSigterm => sys::ignore_sigterm()?,
            Step::SpawnGrandchild {
                pid_file,
                inherit_stdio,
                ignore_sigterm,
            } => {
                out.flush()?;
                spawn_grandchild(pid_file, *inherit_stdio, *ignore_sigterm)?;
            }
            Step::CloseStdout => {
                out.flush()?;
                sys::close_stdout()?;
            }
            Step::Crash => {
                out.flush()?;
                sys::crash();
            }
            Step::Exit { code } => {
                out.flush()?;
                std::process::exit(*code);
            }
            Step::Respond { method, result } => {
                let id = await_request(method)?;
                let answer = serde_json::json!({ "id": id, "result": result });
                writeln!(out, "{answer}")?;
                out.flush()?;
            }
            Step::Hang => hang(),
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Reads stdin until a request for `method` comes; returns its id.
fn await_request(method: &str) -> io::Result<serde_json::Value> {
    let mut line = String::new();
    loop {
        line.clear();
        if io::stdin().read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("stdin ended before a `{method}` request"),
            ));
        }
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["method"] == method
            && let Some(id) = message.get("id")
        {
            return Ok(id.clone());
        }
    }
}

/// Records argv, environment, stdin and working directory as JSON.
fn record(path: &Path, stdin: &[u8]) -> io::Result<()> {
    let lossy = |s: OsString| s.to_string_lossy().into_owned();
    let argv: Vec<String> = std::env::args_os().map(lossy).collect();
    let env: serde_json::Map<String, serde_json::Value> = std::env::vars_os()
        .map(|(k, v)| (lossy(k), serde_json::Value::String(lossy(v))))
        .collect();
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let json = serde_json::json!({
        "argv": argv,
        "env": env,
        "stdin": String::from_utf8_lossy(stdin),
        "cwd": cwd,
    });
    write_atomically(path, json.to_string().as_bytes())
}

/// Starts this executable in grandchild mode and waits until it has written its pid.
#[expect(
    clippy::disallowed_methods,
    reason = "the fake codex starts a grandchild on purpose, to check that the whole process group dies"
)]
fn spawn_grandchild(pid_file: &Path, inherit_stdio: bool, ignore_sigterm: bool) -> io::Result<()> {
    use std::process::{Command, Stdio};
    let stdio = || {
        if inherit_stdio {
            Stdio::inherit()
        } else {
            Stdio::null()
        }
    };
    let mut command = Command::new(std::env::current_exe()?);
    command
        .env(GRANDCHILD_ENV, pid_file)
        .env_remove(SCRIPT_ENV)
        .stdin(Stdio::null())
        .stdout(stdio())
        .stderr(stdio());
    if ignore_sigterm {
        command.env(GRANDCHILD_IGNORE_TERM_ENV, "1");
    }
    // Not waited for: the grandchild outlives this process unless its group is killed.
    let child = command.spawn()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pid_file.exists() {
        if Instant::now() > deadline {
            return Err(io::Error::other("the grandchild did not start within 10 s"));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    drop(child);
    Ok(())
}

/// Grandchild mode: ignore `SIGTERM` if asked, announce the pid, sleep forever.
fn grandchild(pid_file: &Path) -> ! {
    if std::env::var_os(GRANDCHILD_IGNORE_TERM_ENV).is_some() {
        let _ = sys::ignore_sigterm();
    }
    let _ = write_atomically(pid_file, std::process::id().to_string().as_bytes());
    hang()
}

fn hang() -> ! {
    loop {
        std::thread::sleep(Duration::from_hours(1));
    }
}

/// Writes `bytes` to `path` through a temp file and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(unix)]
mod sys {
    use std::io::{self, Write};
    use std::os::fd::AsFd;
    use std::path::Path;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use rustix::event::{PollFd, PollFlags, poll};
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    use rustix::process::{Signal, getpid, kill_process};

    pub(super) fn ignore_sigterm() -> io::Result<()> {
        // A handler that only sets a flag: the signal no longer terminates the process.
        signal_hook::flag::register(
            signal_hook::consts::SIGTERM,
            Arc::new(AtomicBool::new(false)),
        )?;
        Ok(())
    }

    pub(super) fn crash() -> ! {
        let _ = kill_process(getpid(), Signal::KILL);
        super::hang()
    }

    pub(super) fn close_stdout() -> io::Result<()> {
        // Replacing fd 1 with /dev/null closes this process's end of the pipe.
        let null = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
        rustix::stdio::dup2_stdout(&null)?;
        Ok(())
    }

    pub(super) fn flood(line: &str, count: usize, report: &Path) -> io::Result<()> {
        let stdout = io::stdout();
        let fd = stdout.as_fd();
        let pipe_size = rustix::pipe::fcntl_getpipe_size(fd).ok();
        let flags = fcntl_getfl(fd)?;
        fcntl_setfl(fd, flags | OFlags::NONBLOCK)?;
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\n');
        let mut blocks = 0usize;
        for written in 0..count {
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                match rustix::io::write(fd, rest) {
                    Ok(n) => rest = &rest[n..],
                    Err(rustix::io::Errno::AGAIN) => {
                        blocks += 1;
                        write_report(report, blocks, written, false, pipe_size)?;
                        let mut fds = [PollFd::new(&fd, PollFlags::OUT)];
                        poll(&mut fds, None)?;
                    }
                    Err(rustix::io::Errno::INTR) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        fcntl_setfl(fd, flags)?;
        write_report(report, blocks, count, true, pipe_size)?;
        io::stdout().flush()
    }

    fn write_report(
        report: &Path,
        blocks: usize,
        written: usize,
        done: bool,
        pipe_size: Option<usize>,
    ) -> io::Result<()> {
        let json = serde_json::json!({
            "blocks": blocks,
            "written": written,
            "done": done,
            "pipe_size": pipe_size,
        });
        super::write_atomically(report, json.to_string().as_bytes())
    }
}

#[cfg(not(unix))]
mod sys {
    use std::io;
    use std::path::Path;

    fn unsupported<T>() -> io::Result<T> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this fault needs a unix platform",
        ))
    }

    pub(super) fn ignore_sigterm() -> io::Result<()> {
        unsupported()
    }

    pub(super) fn crash() -> ! {
        std::process::abort()
    }

    pub(super) fn close_stdout() -> io::Result<()> {
        unsupported()
    }

    pub(super) fn flood(_line: &str, _count: usize, _report: &Path) -> io::Result<()> {
        unsupported()
    }
}
