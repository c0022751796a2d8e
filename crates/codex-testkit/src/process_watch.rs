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

/// One running process, as `/proc/<pid>/stat` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessInfo {
    /// Its pid.
    pub pid: u32,
    /// Its parent's pid.
    pub parent: u32,
    /// Its process group.
    pub group: u32,
    /// Running, or exited and not yet reaped.
    pub state: ProcessState,
}

/// Every process on the machine (Linux: from `/proc`; elsewhere none), zombies included.
///
/// A process that exits while the list is read is left out.
#[must_use]
pub fn processes() -> Vec<ProcessInfo> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            parse_stat(pid, &stat)
        })
        .collect()
}

/// `pid (comm) state ppid pgrp …`: the command name may hold spaces and parentheses, so the
/// fields are the ones after the last `)`.
fn parse_stat(pid: u32, stat: &str) -> Option<ProcessInfo> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = match fields.next()? {
        "Z" | "X" => ProcessState::Zombie,
        _ => ProcessState::Alive,
    };
    let parent = fields.next()?.parse().ok()?;
    let group = fields.next()?.parse().ok()?;
    Some(ProcessInfo {
        pid,
        parent,
        group,
        state,
    })
}

/// The running (not zombie) processes descending from `root`, `root` excluded, nearest
/// first (children, then grandchildren, …). A process that left the tree (reparented to init
/// after its parent died) is not found here: mark processes with an environment variable and
/// use [`with_env`] for those.
#[must_use]
pub fn descendants(root: u32) -> Vec<u32> {
    let alive: Vec<ProcessInfo> = processes()
        .into_iter()
        .filter(|p| p.state == ProcessState::Alive)
        .collect();
    let mut found = vec![root];
    let mut next = 0;
    while let Some(&parent) = found.get(next) {
        next += 1;
        for process in &alive {
            if process.parent == parent && !found.contains(&process.pid) {
                found.push(process.pid);
            }
        }
    }
    found.remove(0);
    found
}

/// The running (not zombie) processes whose parent is `parent`.
#[must_use]
pub fn children(parent: u32) -> Vec<u32> {
    alive_where(|p| p.parent == parent)
}

/// The running (not zombie) members of process group `group`.
#[must_use]
pub fn group_members(group: u32) -> Vec<u32> {
    alive_where(|p| p.group == group)
}

/// The running (not zombie) processes, this one excluded, whose environment holds
/// `key=value`: found wherever they were reparented to, so detached processes count.
#[must_use]
pub fn with_env(key: &str, value: &str) -> Vec<u32> {
    let entry = format!("{key}={value}");
    let own = std::process::id();
    alive_where(|p| {
        p.pid != own
            && std::fs::read(format!("/proc/{}/environ", p.pid))
                .is_ok_and(|environ| holds_entry(&environ, entry.as_bytes()))
    })
}

/// Whether the `\0`-separated environment block `environ` has `entry` as one whole entry
/// (not inside another variable's value).
fn holds_entry(environ: &[u8], entry: &[u8]) -> bool {
    environ.split(|&b| b == 0).any(|item| item == entry)
}

/// The pids of the running (not zombie) processes that `keep` accepts.
fn alive_where(keep: impl Fn(&ProcessInfo) -> bool) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|p| p.state == ProcessState::Alive && keep(p))
        .map(|p| p.pid)
        .collect()
}

/// The arguments `pid` runs with (`/proc/<pid>/cmdline`), or `None` when it is gone (or is a
/// kernel thread, which has none).
#[must_use]
pub fn cmdline(pid: u32) -> Option<Vec<String>> {
    let bytes = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    if bytes.is_empty() {
        return None;
    }
    Some(
        bytes
            .strip_suffix(b"\0")
            .unwrap_or(&bytes)
            .split(|b| *b == 0)
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect(),
    )
}

/// A running process whose arguments are exactly `argv`, if there is one.
#[must_use]
pub fn find_by_argv(argv: &[&str]) -> Option<u32> {
    processes()
        .into_iter()
        .filter(|p| p.state == ProcessState::Alive)
        .map(|p| p.pid)
        .find(|pid| cmdline(*pid).is_some_and(|args| args.iter().eq(argv.iter().copied())))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn an_environment_entry_matches_whole_entries_only() {
        let environ = b"PATH=/bin\0OUTER=CODEX_HOME=/tmp/h\0CODEX_HOME=/tmp/home\0";
        assert!(holds_entry(environ, b"CODEX_HOME=/tmp/home"));
        assert!(holds_entry(environ, b"PATH=/bin"));
        // Inside another variable's value, or a prefix of the value: no match.
        assert!(!holds_entry(environ, b"CODEX_HOME=/tmp/h"));
        assert!(!holds_entry(environ, b"CODEX_HOME=/tmp"));
        // The last entry may lack its terminator.
        assert!(holds_entry(b"A=1\0B=2", b"B=2"));
    }

    #[test]
    fn stat_lines_with_parentheses_in_the_name_parse() {
        let info = parse_stat(42, "42 (a (b) c) S 7 9 9 0 -1").expect("parses");
        assert_eq!((info.pid, info.parent, info.group), (42, 7, 9));
        assert_eq!(info.state, ProcessState::Alive);
        let zombie = parse_stat(43, "43 (x) Z 1 1 1").expect("parses");
        assert_eq!(zombie.state, ProcessState::Zombie);
        assert_eq!(parse_stat(44, "44 (x) S notanumber 1"), None);
    }

    #[test]
    #[expect(
        clippy::disallowed_methods,
        reason = "the test spawns a small process tree to look for"
    )]
    fn descendants_children_env_and_argv_find_a_real_tree() {
        let marker = format!("w{}", std::process::id());
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 31.5 & wait"])
            .env("CODEX_TESTKIT_WATCH", &marker)
            .spawn()
            .expect("spawn sh");
        let shell = child.id();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut below = Vec::new();
        let mut sleeper = None;
        // Until the shell's child has executed `sleep` (before that it still reads as `sh`).
        while std::time::Instant::now() < deadline {
            below = descendants(std::process::id());
            sleeper = find_by_argv(&["sleep", "31.5"]);
            if below.len() >= 2 && sleeper.is_some_and(|pid| below.contains(&pid)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let by_env = with_env("CODEX_TESTKIT_WATCH", &marker);
        let direct = children(shell);
        let shell_args = cmdline(shell);
        let _ = child.kill();
        let _ = child.wait();
        if let Some(pid) = sleeper {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let sleeper = sleeper.expect("the sleep is found by its argv");
        assert!(
            below.contains(&shell) && below.contains(&sleeper),
            "{below:?}"
        );
        assert_eq!(direct, vec![sleeper]);
        assert!(
            by_env.contains(&shell) && by_env.contains(&sleeper),
            "{by_env:?}"
        );
        assert_eq!(
            shell_args,
            Some(vec![
                "sh".to_owned(),
                "-c".to_owned(),
                "sleep 31.5 & wait".to_owned()
            ])
        );
        assert_eq!(cmdline(u32::MAX), None);
    }
}
