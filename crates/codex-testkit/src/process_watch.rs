//! Watching processes and files from tests, with bounded waits instead of sleeps.
//!
//! "Dead" needs care: a killed process stays a zombie until its parent reaps it. Our direct
//! child must be reaped by the code under test, so tests expect [`ProcessState::Gone`] for it.
//! A grandchild is reparented to pid 1 when its parent dies, and some container inits never
//! reap, so for grandchildren [`ProcessState::Zombie`] counts as dead too
//! ([`ProcessState::is_dead`]).

use std::path::Path;
use std::time::Duration;

use tokio::time::Instant;

/// How often the bounded waits look again.
const POLL_EVERY: Duration = Duration::from_millis(5);

/// What `/proc` says about a pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessState {
    /// No such process: it exited and was reaped.
    Gone,
    /// Exited, not yet reaped by its parent.
    Zombie,
    /// Still running (or stopped, or sleeping).
    Alive,
}

impl ProcessState {
    /// Gone or a zombie: not running any more.
    #[must_use]
    pub fn is_dead(self) -> bool {
        matches!(self, Self::Gone | Self::Zombie)
    }
}

/// The state of `pid`, from `/proc/<pid>/stat` (Linux) or `kill(pid, 0)` (other unix).
#[must_use]
pub fn state(pid: u32) -> ProcessState {
    #[cfg(target_os = "linux")]
    {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return ProcessState::Gone;
        };
        // The state letter follows the command name, which is in parentheses and may hold
        // spaces and parentheses itself: take the text after the last `)`.
        match stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
        {
            Some('Z' | 'X') => ProcessState::Zombie,
            _ => ProcessState::Alive,
        }
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return ProcessState::Gone;
        };
        match rustix::process::test_kill_process(pid) {
            Err(rustix::io::Errno::SRCH) => ProcessState::Gone,
            _ => ProcessState::Alive,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        ProcessState::Gone
    }
}

/// Waits until `pid` is in a state accepted by `done`, for at most `timeout`; returns the last
/// state seen.
///
/// # Cancel safety
///
/// Cancel safe: it only reads `/proc` and the file system.
pub async fn wait_for_state(
    pid: u32,
    timeout: Duration,
    done: impl Fn(ProcessState) -> bool,
) -> ProcessState {
    let deadline = Instant::now() + timeout;
    loop {
        let now = state(pid);
        if done(now) || Instant::now() >= deadline {
            return now;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Waits until `pid` has been reaped, for at most `timeout`; returns the last state seen.
///
/// # Cancel safety
///
/// Cancel safe: it only reads `/proc` and the file system.
pub async fn wait_gone(pid: u32, timeout: Duration) -> ProcessState {
    wait_for_state(pid, timeout, |s| s == ProcessState::Gone).await
}

/// Waits until `pid` is dead (gone or a zombie), for at most `timeout`; returns the last
/// state seen.
///
/// # Cancel safety
///
/// Cancel safe: it only reads `/proc` and the file system.
pub async fn wait_dead(pid: u32, timeout: Duration) -> ProcessState {
    wait_for_state(pid, timeout, ProcessState::is_dead).await
}

/// Waits until `path` exists and returns its content, for at most `timeout`.
///
/// Files written by the fake codex are renamed into place, so the content is complete.
///
/// # Cancel safety
///
/// Cancel safe: it only reads `/proc` and the file system.
pub async fn wait_for_file(path: &Path, timeout: Duration) -> Option<String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return Some(text);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Waits until `path` no longer exists, for at most `timeout`; returns whether it is gone.
///
/// # Cancel safety
///
/// Cancel safe: it only reads `/proc` and the file system.
pub async fn wait_removed(path: &Path, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if !path.exists() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Reads a pid file written by the fake codex, waiting for it for at most `timeout`.
///
/// # Cancel safety
///
/// Cancel safe: it only reads `/proc` and the file system.
pub async fn read_pid(path: &Path, timeout: Duration) -> Option<u32> {
    wait_for_file(path, timeout).await?.trim().parse().ok()
}

/// How many file descriptors this process has open (Linux: entries of `/proc/self/fd`).
#[must_use]
pub fn open_fds() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        // The directory handle used for listing is itself an entry; it is counted every time,
        // so counts stay comparable.
        std::fs::read_dir("/proc/self/fd").ok().map(Iterator::count)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}
