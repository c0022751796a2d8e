//! The parent-death signal on Linux, without `unsafe` code: codex is started through
//! util-linux's `setpriv --pdeathsig KILL -- <program> <args…>`.
//!
//! `PR_SET_PDEATHSIG` must be set by the child itself, after `fork`. Setting it from Rust
//! needs `CommandExt::pre_exec`, which is `unsafe` (forbidden in this workspace), so a tiny
//! exec wrapper does it instead: `setpriv` sets the signal on itself, then `execvp`s the
//! program in the same process. The pid, the process group, stdin, stdout and stderr, the
//! environment and the working directory therefore stay codex's own, and `argv[0]` is the
//! program exactly as given (codex dispatches on it for its embedded helpers).
//!
//! # Which thread is the parent
//!
//! Linux sends the signal when the *thread* that forked the child exits, not when its process
//! does. Tokio forks on the thread that calls [`ExecStream::spawn`]: a runtime worker lives
//! as long as the runtime, but a `spawn_blocking` thread is retired after ten idle seconds and
//! a plain thread that entered the runtime may end at once, and either would kill a codex that
//! is still working. So every wrapped child is forked by one dedicated thread,
//! `codex-exec-spawner`, that is started on first use and never ends: the signal fires only
//! when this process dies. The calling thread waits for the spawn as it would have waited for
//! its own `fork`/`exec`, and the child is registered with the caller's runtime.
//!
//! # Finding `setpriv`
//!
//! Once per process, on the first spawn: `/usr/bin/setpriv`, `/bin/setpriv`, then `PATH`. The
//! first executable found is run once as `setpriv --pdeathsig KILL -- setpriv --version`
//! (a few milliseconds); if that fails (`setpriv` older than util-linux 2.33, `BusyBox`'s,
//! which lacks the option), children are started directly and a debug event says so.
//!
//! # Errors stay the same
//!
//! When the wrapped program cannot be executed, `setpriv` exits with 126 or 127 and codex
//! never runs. To keep reporting this as a spawn error, the program is checked first, the way
//! `execvp` will look for it (through the child's `PATH` for a bare name, relative to the
//! child's working directory): missing is `NotFound`, not executable is `PermissionDenied`.
//! What the check cannot see (a file replaced between the check and the `exec`, a binary for
//! another architecture) ends the turn as `Error::Exited` with code 126 or 127 and
//! `setpriv: failed to execute …` in the stderr tail.
//!
//! [`ExecStream::spawn`]: crate::ExecStream::spawn

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::sync::mpsc;

use rustix::fs::Access;
use tokio::process::{Child, Command};

/// Where `setpriv` is looked for before `PATH`.
const SETPRIV_LOCATIONS: [&str; 2] = ["/usr/bin/setpriv", "/bin/setpriv"];

/// The search path `execvp` uses when `PATH` is not set (glibc and musl).
const DEFAULT_SEARCH_PATH: &str = "/bin:/usr/bin";

/// The arguments placed before the program: `setpriv <these> <program> <args…>`.
pub(crate) const SETPRIV_ARGS: [&str; 3] = ["--pdeathsig", "KILL", "--"];

/// The `setpriv` that supports `--pdeathsig`, if there is one; probed once per process.
pub(crate) fn setpriv() -> Option<&'static Path> {
    static SETPRIV: OnceLock<Option<PathBuf>> = OnceLock::new();
    SETPRIV.get_or_init(probe).as_deref()
}

fn probe() -> Option<PathBuf> {
    let path_var = std::env::var_os("PATH");
    let found = SETPRIV_LOCATIONS
        .iter()
        .map(PathBuf::from)
        .chain(
            path_var
                .iter()
                .flat_map(std::env::split_paths)
                .map(|dir| dir.join("setpriv")),
        )
        .find(|candidate| check_executable(candidate).is_ok());
    let Some(setpriv) = found else {
        tracing::debug!(
            "setpriv not found: codex children get no parent-death signal and are orphaned if \
             this process is killed with SIGKILL"
        );
        return None;
    };
    match supports_pdeathsig(&setpriv) {
        Ok(true) => {
            tracing::debug!(setpriv = %setpriv.display(), "codex children get a parent-death signal");
            Some(setpriv)
        }
        Ok(false) => {
            tracing::debug!(
                setpriv = %setpriv.display(),
                "setpriv does not support --pdeathsig: codex children get no parent-death signal"
            );
            None
        }
        Err(error) => {
            tracing::debug!(
                setpriv = %setpriv.display(),
                %error,
                "setpriv could not be run: codex children get no parent-death signal"
            );
            None
        }
    }
}

/// Runs `setpriv --pdeathsig KILL -- setpriv --version`: it succeeds only if the option is
/// understood, the signal can be set and the exec works.
#[expect(
    clippy::disallowed_methods,
    reason = "probes setpriv once per process; the probe runs to completion and nothing is supervised"
)]
fn supports_pdeathsig(setpriv: &Path) -> io::Result<bool> {
    let status = std::process::Command::new(setpriv)
        .args(SETPRIV_ARGS)
        .arg(setpriv)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    Ok(status.success())
}

/// Checks that `execvp` will find `program` and may execute it, as the child will see it:
/// with `path_var` as its `PATH` (`None`: unset) and `current_dir` as its working directory
/// (`None`: ours).
///
/// # Errors
///
/// The error `execve` would report: `NotFound` when missing, `PermissionDenied` when not an
/// executable file.
pub(crate) fn check_program(
    program: &Path,
    current_dir: Option<&Path>,
    path_var: Option<&OsStr>,
) -> io::Result<()> {
    let in_child_dir = |path: &Path| match current_dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_owned(),
    };
    if program.as_os_str().as_bytes().contains(&b'/') {
        return check_executable(&in_child_dir(program));
    }
    if program.as_os_str().is_empty() {
        return Err(rustix::io::Errno::NOENT.into());
    }
    // Like `execvp`: the first executable match wins; if there is none, a match that may not
    // be executed is reported as such, otherwise the program is missing.
    let search_path = path_var.unwrap_or(OsStr::new(DEFAULT_SEARCH_PATH));
    let mut denied = None;
    for dir in std::env::split_paths(search_path) {
        // An empty entry is the working directory.
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        match check_executable(&in_child_dir(&dir.join(program))) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                denied.get_or_insert(e);
            }
            Err(_) => {}
        }
    }
    Err(denied.unwrap_or_else(|| rustix::io::Errno::NOENT.into()))
}

/// Whether `path` is a file this process may execute.
fn check_executable(path: &Path) -> io::Result<()> {
    rustix::fs::access(path, Access::EXEC_OK)?;
    if std::fs::metadata(path)?.is_dir() {
        return Err(rustix::io::Errno::ACCESS.into());
    }
    Ok(())
}

/// A spawn to be done by the spawner thread.
struct Request {
    command: Command,
    runtime: tokio::runtime::Handle,
    reply: mpsc::SyncSender<io::Result<Child>>,
}

/// Spawns `command` from the `codex-exec-spawner` thread, registered with the current
/// runtime. Must be called from within a Tokio runtime.
///
/// # Errors
///
/// The spawn's own error, or an error when the spawner thread cannot be started.
pub(crate) fn spawn(command: Command) -> io::Result<Child> {
    let gone = || io::Error::other("the codex-exec-spawner thread is not running");
    let spawner = spawner().ok_or_else(gone)?;
    let (reply, answer) = mpsc::sync_channel(1);
    let request = Request {
        command,
        runtime: tokio::runtime::Handle::current(),
        reply,
    };
    spawner.send(request).map_err(|_| gone())?;
    answer.recv().map_err(|_| gone())?
}

/// The channel to the spawner thread, started on first use. The sender lives in a static, so
/// the thread's loop never ends.
fn spawner() -> Option<&'static mpsc::Sender<Request>> {
    static SPAWNER: OnceLock<Option<mpsc::Sender<Request>>> = OnceLock::new();
    SPAWNER
        .get_or_init(|| {
            let (requests, incoming) = mpsc::channel::<Request>();
            let started = std::thread::Builder::new()
                .name("codex-exec-spawner".to_owned())
                .spawn(move || serve(&incoming));
            match started {
                Ok(_detached) => Some(requests),
                Err(error) => {
                    tracing::warn!(%error, "starting the codex-exec-spawner thread failed");
                    None
                }
            }
        })
        .as_ref()
}

/// The spawner thread: one spawn per request. It must never end, since its exit would send
/// `SIGKILL` to every child it forked, so a panicking spawn is turned into an error.
fn serve(incoming: &mpsc::Receiver<Request>) {
    for request in incoming {
        let Request {
            mut command,
            runtime,
            reply,
        } = request;
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let _entered = runtime.enter();
            command.spawn()
        }))
        .unwrap_or_else(|_| Err(io::Error::other("spawning panicked")));
        // The caller may be gone; then the child is dropped and killed (`kill_on_drop`).
        let _ = reply.send(result);
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::io::ErrorKind;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use super::check_program;

    fn kind(program: &str, dir: Option<&Path>, path: Option<&str>) -> Option<ErrorKind> {
        check_program(Path::new(program), dir, path.map(OsStr::new))
            .err()
            .map(|e| e.kind())
    }

    #[test]
    fn the_program_check_follows_execvp() {
        let dir = tempfile::tempdir().expect("temp dir");
        let exe = dir.path().join("tool");
        std::fs::write(&exe, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "").expect("write");
        std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let d = dir.path().to_str().expect("utf-8 temp dir");
        let results = [
            kind(&format!("{d}/tool"), None, None),
            kind("./tool", Some(dir.path()), None),
            kind("tool", None, Some(&format!("/nonexistent:{d}"))),
            kind("tool", Some(dir.path()), Some("")),
            kind(&format!("{d}/missing"), None, None),
            kind("tool", None, Some("/nonexistent")),
            kind("tool", None, None),
            kind("", None, Some(d)),
            kind(d, None, None),
            kind("plain", None, Some(d)),
        ];
        // `plain` has no execute bit, so even root may not execute it.
        let n = Some(ErrorKind::NotFound);
        let p = Some(ErrorKind::PermissionDenied);
        assert_eq!(results, [None, None, None, None, n, n, n, n, p, p]);
    }
}
