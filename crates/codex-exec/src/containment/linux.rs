//! The Linux scopes: a cgroup v2 or an environment tag, each with a watcher process.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write as _};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::{ChildEnv, Containment, Wrapping};

/// The variable that tags the processes of a scope.
pub(super) const TAG_ENV: &str = "CODEX_AGENT_SCOPE";

/// The prefix of the cgroups this crate creates.
const NAME_PREFIX: &str = "codex-agent.";

/// The shell every wrapper and watcher runs in.
const SH: &str = "/bin/sh";

/// How long a cleanup waits for a killed cgroup to empty, or for tagged processes to go.
const KILL_BOUND: Duration = Duration::from_secs(2);

/// How often a cleanup looks again.
const POLL: Duration = Duration::from_millis(2);

/// The wrapper: move into the cgroup (`$1`), put back the variables the shell changed at
/// startup (each argument up to `--` is `NAME=value` to export or `NAME` to unset), execute
/// the rest.
const WRAP: &str = r#"echo 0 > "$1" || exit 125; shift
while [ "$1" != -- ]; do case $1 in *=*) export "$1" ;; *) unset "$1" ;; esac; shift; done
shift; exec "$@""#;

/// The variables a shell sets or changes by itself at startup or on `cd` (dash resets `IFS`
/// and sets `PPID` and `PWD`, also when they came in its environment): a wrapper shell puts
/// each back to the child's value, or unsets it.
pub(crate) const SHELL_VARS: [&str; 9] = [
    "PWD", "OLDPWD", "IFS", "OPTARG", "PPID", "LINENO", "PS1", "PS2", "PS4",
];

/// Variables a shell cannot pass on: dash refuses to unset `OPTIND` or to set it to anything
/// but a number, and exports it once it was in its environment. A child environment holding
/// one is not started through a shell.
pub(crate) const SHELL_UNSAFE_VARS: [&str; 1] = ["OPTIND"];

/// The watcher of a cgroup (`$1`): exits on `done`; on end-of-file (the owner died) kills the
/// cgroup, waits for it to empty and removes it.
const CGROUP_WATCHER: &str = r#"trap '' INT HUP
read line
[ "$line" = done ] && exit 0
echo 1 > "$1/cgroup.kill" || exit 0
i=0
while [ $i -lt 200 ] && grep -q '^populated 1' "$1/cgroup.events"; do sleep 0.01; i=$((i+1)); done
rmdir "$1"
exit 0"#;

/// The watcher of a tag (`$1` is the whole `NAME=value` entry): exits on `done`; on
/// end-of-file kills every process whose environment holds the entry, until none is left. One
/// `grep -z` reads every environment in a pass where it supports `-z` (GNU, `BusyBox`), else a
/// slower loop does.
const TAG_WATCHER: &str = r#"trap '' INT HUP
read line
[ "$line" = done ] && exit 0
if printf 'a\0' | grep -qzxF a; then
  scan() { grep -lzxF -e "$1" /proc/[0-9]*/environ; }
else
  scan() {
    for e in /proc/[0-9]*/environ; do
      tr '\0' '\n' < "$e" | grep -qxF -e "$1" && echo "$e"
    done
  }
fi
n=0
while [ $n -lt 50 ]; do
  found=
  for e in $(scan "$1"); do
    p=${e#/proc/}; kill -9 "${p%/environ}" && found=1
  done
  [ -n "$found" ] || exit 0
  n=$((n+1))
done
exit 0"#;

/// `<pid>.<start time>` of this process: the owner part of every scope name.
fn owner() -> &'static str {
    static OWNER: OnceLock<String> = OnceLock::new();
    OWNER.get_or_init(|| {
        let pid = std::process::id();
        format!("{pid}.{}", start_time(pid).unwrap_or(0))
    })
}

/// A fresh scope name: `<owner>.<n>`.
fn next_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{}.{}", owner(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The fields of `/proc/<pid>/stat` after the command name (the state is field 0).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// The start time of `pid` in clock ticks after boot (field 22 of `stat`).
fn start_time(pid: u32) -> Option<u64> {
    stat_fields(pid)?.get(19)?.parse().ok()
}

/// The parent of `pid`.
fn parent(pid: u32) -> Option<u32> {
    stat_fields(pid)?.get(1)?.parse().ok()
}

/// Whether the process `<pid>.<start>` named in a scope name still runs.
fn owner_alive(owner_pid: &str, owner_start: &str) -> bool {
    let (Ok(pid), Ok(start)) = (owner_pid.parse::<u32>(), owner_start.parse::<u64>()) else {
        // Not a name of ours after all: leave it alone.
        return true;
    };
    start_time(pid) == Some(start)
}

// --- cgroup v2 -----------------------------------------------------------------------------

/// The cgroup directory scopes are created in, found and probed once per process.
pub(super) fn cgroup_base() -> Option<&'static Path> {
    static BASE: OnceLock<Option<PathBuf>> = OnceLock::new();
    BASE.get_or_init(find_base).as_deref()
}

fn find_base() -> Option<PathBuf> {
    let Some(mount) = v2_mount() else {
        tracing::debug!("no cgroup v2 mount: containment falls back to the environment tag");
        return None;
    };
    let own = own_cgroup().map(|path| mount.join(path.trim_start_matches('/')));
    let candidates = own.into_iter().chain([mount.clone()]);
    let mut last_error = None;
    for base in candidates {
        match probe(&base) {
            Ok(()) => {
                sweep(&base);
                tracing::debug!(base = %base.display(), "codex children are contained in cgroups");
                return Some(base);
            }
            Err(error) => last_error = Some((base, error)),
        }
    }
    if let Some((base, error)) = last_error {
        tracing::debug!(
            base = %base.display(),
            %error,
            "cannot create cgroups: containment falls back to the environment tag"
        );
    }
    None
}

/// The mount point of the cgroup v2 hierarchy, from `/proc/self/mountinfo`.
fn v2_mount() -> Option<PathBuf> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        if right.split(' ').next()? != "cgroup2" {
            return None;
        }
        let mount_point = left.split(' ').nth(4)?;
        Some(PathBuf::from(OsString::from_vec(unescape(mount_point))))
    })
}

/// Undoes the octal escapes of `mountinfo` (`\040` for a space).
fn unescape(field: &str) -> Vec<u8> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|digits| bytes[i] == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d)))
            .and_then(|digits| u8::from_str_radix(std::str::from_utf8(digits).ok()?, 8).ok());
        if let Some(byte) = octal {
            out.push(byte);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// This process's cgroup v2 path (`0::<path>` in `/proc/self/cgroup`).
fn own_cgroup() -> Option<String> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("0::"))
        .filter(|path| path.starts_with('/') && !path.ends_with(" (deleted)"))
        .map(str::to_owned)
}

/// Creates a cgroup under `base`, moves a shell into it the way the wrapper does, empties it
/// and removes it.
#[expect(
    clippy::disallowed_methods,
    reason = "the probe runs a shell to completion once per process; nothing is supervised"
)]
fn probe(base: &Path) -> io::Result<()> {
    let cgroup = Cgroup::create(base, &format!("{}.probe", owner()))?;
    if !cgroup.dir.join("cgroup.kill").exists() {
        return Err(io::Error::other(
            "cgroup.kill is missing (Linux before 5.14)",
        ));
    }
    let status = std::process::Command::new(SH)
        .args(["-c", r#"echo 0 > "$1""#, "sh"])
        .arg(cgroup.dir.join("cgroup.procs"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(io::Error::other("a shell cannot enter the cgroup"));
    }
    cgroup.kill_and_remove_now()
}

/// Kills and removes the scopes under `base` whose owner is dead.
fn sweep(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(NAME_PREFIX)) else {
            continue;
        };
        let mut parts = rest.split('.');
        let (Some(pid), Some(start)) = (parts.next(), parts.next()) else {
            continue;
        };
        if owner_alive(pid, start) {
            continue;
        }
        let stale = Cgroup { dir: entry.path() };
        match stale.kill_and_remove_now() {
            Ok(()) => tracing::debug!(cgroup = %stale.dir.display(), "removed a stale cgroup"),
            Err(error) => {
                tracing::debug!(cgroup = %stale.dir.display(), %error, "a stale cgroup remains");
            }
        }
    }
}

/// One cgroup directory.
#[derive(Debug)]
struct Cgroup {
    dir: PathBuf,
}

impl Cgroup {
    fn create(base: &Path, id: &str) -> io::Result<Self> {
        let dir = base.join(format!("{NAME_PREFIX}{id}"));
        std::fs::create_dir(&dir)?;
        Ok(Self { dir })
    }

    /// Sends `SIGKILL` to every process of the cgroup and its descendants.
    fn kill(&self) -> io::Result<()> {
        std::fs::write(self.dir.join("cgroup.kill"), "1")
    }

    /// Whether a process is left in the cgroup or its descendants.
    fn populated(&self) -> io::Result<bool> {
        let events = std::fs::read_to_string(self.dir.join("cgroup.events"))?;
        Ok(events.lines().any(|line| line == "populated 1"))
    }

    /// The processes of the cgroup itself.
    fn members(&self) -> Vec<u32> {
        std::fs::read_to_string(self.dir.join("cgroup.procs"))
            .map(|text| text.lines().filter_map(|l| l.parse().ok()).collect())
            .unwrap_or_default()
    }

    /// Removes the cgroup and the cgroups below it (a nested SDK's).
    fn remove(&self) -> io::Result<()> {
        remove_tree(&self.dir)
    }

    /// Kills, waits (bounded, blocking) until empty, removes.
    fn kill_and_remove_now(&self) -> io::Result<()> {
        if !self.start_kill()? {
            return Ok(());
        }
        self.remove_when_empty()
    }

    /// Kills, waits (bounded) until empty, removes: the waiting on a blocking thread.
    async fn kill_and_remove(&self) -> io::Result<()> {
        if !self.start_kill()? {
            return Ok(());
        }
        let cgroup = Self {
            dir: self.dir.clone(),
        };
        tokio::task::spawn_blocking(move || cgroup.remove_when_empty())
            .await
            .unwrap_or_else(|e| Err(io::Error::other(e.to_string())))
    }

    /// Waits (bounded, blocking) until the killed cgroup is empty, then removes it. Looks
    /// again after 100 µs, doubling up to [`POLL`]: killed processes are gone within a
    /// millisecond or so, and waking on `cgroup.events` (inotify) is no faster, since the
    /// kernel rate-limits its notifications to one per 10 ms.
    fn remove_when_empty(&self) -> io::Result<()> {
        let deadline = Instant::now() + KILL_BOUND;
        let mut pause = Duration::from_micros(100);
        while self.still_populated(deadline)? {
            std::thread::sleep(pause);
            pause = (pause * 2).min(POLL);
        }
        self.remove()
    }

    /// Kills every process in the cgroup; `false` when the cgroup is gone already.
    fn start_kill(&self) -> io::Result<bool> {
        match self.kill() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            other => other.map(|()| true),
        }
    }

    /// Whether the cgroup still holds processes; an error once `deadline` has passed with
    /// some left.
    fn still_populated(&self, deadline: Instant) -> io::Result<bool> {
        if !self.populated()? {
            return Ok(false);
        }
        if Instant::now() >= deadline {
            return Err(io::Error::other("the cgroup did not empty in time"));
        }
        Ok(true)
    }
}

/// Removes a cgroup directory, children first.
fn remove_tree(dir: &Path) -> io::Result<()> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    remove_tree(&entry.path())?;
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    }
    match std::fs::remove_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

// --- environment tag -----------------------------------------------------------------------

/// Whether tagged processes can be found: `/proc` lists processes with their environment.
pub(super) fn tag_supported() -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        std::fs::read(format!("/proc/{}/environ", std::process::id())).is_ok()
            && Path::new(SH).exists()
    })
}

/// The `NAME=value` entry of a tag.
#[derive(Debug, Clone)]
struct Tag {
    entry: Vec<u8>,
}

impl Tag {
    fn new() -> Self {
        Self {
            entry: format!("{TAG_ENV}={}", next_id()).into_bytes(),
        }
    }

    /// The value of the variable.
    fn value(&self) -> &OsStr {
        OsStr::from_bytes(&self.entry[TAG_ENV.len() + 1..])
    }

    /// Every process (but this one) whose environment holds the entry.
    fn members(&self) -> Vec<u32> {
        let me = std::process::id();
        let Ok(proc) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        proc.flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
            .filter(|&pid| pid != me)
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|b| *b == 0).any(|e| e == self.entry))
            })
            .collect()
    }

    /// Sends `SIGKILL` to every tagged process until none is left (bounded, blocking).
    fn kill_all_now(&self) -> io::Result<()> {
        let deadline = Instant::now() + KILL_BOUND;
        loop {
            let members = self.members();
            if members.is_empty() {
                return Ok(());
            }
            for pid in members {
                kill(pid);
            }
            if Instant::now() >= deadline {
                return Err(io::Error::other("tagged processes are left"));
            }
            std::thread::sleep(POLL);
        }
    }
}

/// `SIGKILL` to `pid`; a process that is gone already is fine.
fn kill(pid: u32) {
    use rustix::process::{Pid, Signal, kill_process};
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = kill_process(pid, Signal::KILL);
    }
}

// --- the watcher ---------------------------------------------------------------------------

/// A watcher process and the pipe it reads.
struct Watcher {
    pipe: Option<io::PipeWriter>,
    child: Option<tokio::process::Child>,
}

impl Watcher {
    /// Starts `script` with `arg` as `$1`, in a process group of its own, reading a pipe whose
    /// write end only this process holds (it is close-on-exec).
    #[expect(
        clippy::disallowed_methods,
        reason = "the watcher is part of the supervision of a codex spawn"
    )]
    fn start(script: &str, arg: &OsStr) -> io::Result<Self> {
        let (reader, writer) = io::pipe()?;
        let mut command = tokio::process::Command::new(SH);
        command
            .args(["-c", script, "sh"])
            .arg(arg)
            .stdin(Stdio::from(reader))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        // From the spawner thread like codex, though it gets no parent-death signal: it
        // must outlive this process.
        let child = crate::parent_death::spawn(command)?;
        Ok(Self {
            pipe: Some(writer),
            child: Some(child),
        })
    }

    /// Tells the watcher the scope is clean: it exits without doing anything.
    fn release(&mut self) {
        if let Some(mut pipe) = self.pipe.take() {
            let _ = pipe.write_all(b"done\n");
        }
    }

    /// Waits for the watcher to exit (bounded); tokio reaps it later otherwise.
    async fn reap(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = tokio::time::timeout(KILL_BOUND, child.wait()).await;
        }
    }
}

// --- scopes --------------------------------------------------------------------------------

/// A cgroup or a tag, with its watcher.
pub(super) struct Scope {
    kind: Arc<Kind>,
    watcher: Mutex<Option<Watcher>>,
    closed: bool,
}

#[derive(Debug)]
enum Kind {
    Cgroup(Cgroup),
    Tag(Tag),
}

impl Scope {
    /// The strongest scope up to `rank` (2: cgroup, 1: tag) that can be set up.
    pub(super) fn open(rank: u8, child: ChildEnv) -> Option<Self> {
        if rank >= 2 && child.shell_safe {
            if let Some(base) = cgroup_base() {
                match Self::open_cgroup(base) {
                    Ok(scope) => return Some(scope),
                    Err(error) => tracing::debug!(
                        %error,
                        "creating a cgroup failed: containment falls back to the environment tag"
                    ),
                }
            }
        } else if rank >= 2 {
            tracing::debug!(
                "the environment has a variable that is not a shell identifier: containment \
                 falls back to the environment tag"
            );
        }
        if rank >= 1 && tag_supported() {
            let tag = Tag::new();
            match Watcher::start(TAG_WATCHER, OsStr::from_bytes(&tag.entry)) {
                Ok(watcher) => {
                    return Some(Self {
                        kind: Arc::new(Kind::Tag(tag)),
                        watcher: Mutex::new(Some(watcher)),
                        closed: false,
                    });
                }
                Err(error) => tracing::debug!(%error, "starting a watcher failed: no tag"),
            }
        }
        None
    }

    fn open_cgroup(base: &Path) -> io::Result<Self> {
        let cgroup = Cgroup::create(base, &next_id())?;
        match Watcher::start(CGROUP_WATCHER, cgroup.dir.as_os_str()) {
            Ok(watcher) => Ok(Self {
                kind: Arc::new(Kind::Cgroup(cgroup)),
                watcher: Mutex::new(Some(watcher)),
                closed: false,
            }),
            Err(error) => {
                let _ = cgroup.remove();
                Err(error)
            }
        }
    }

    pub(super) fn containment(&self) -> Containment {
        match *self.kind {
            Kind::Cgroup(_) => Containment::CgroupV2,
            Kind::Tag(_) => Containment::EnvironmentTag,
        }
    }

    pub(super) fn wrapping(&self, child_var: &dyn Fn(&str) -> Option<OsString>) -> Wrapping {
        match &*self.kind {
            Kind::Cgroup(cgroup) => {
                let procs = cgroup.dir.join("cgroup.procs").into_os_string();
                let mut prefix: Vec<OsString> =
                    vec![SH.into(), "-c".into(), WRAP.into(), "sh".into(), procs];
                for name in SHELL_VARS {
                    prefix.push(match child_var(name) {
                        Some(value) => {
                            let mut entry = OsString::from(format!("{name}="));
                            entry.push(value);
                            entry
                        }
                        None => name.into(),
                    });
                }
                prefix.push("--".into());
                Wrapping { prefix, env: None }
            }
            Kind::Tag(tag) => Wrapping {
                prefix: Vec::new(),
                env: Some((TAG_ENV.into(), tag.value().to_owned())),
            },
        }
    }

    pub(super) fn orphan_killer(&self) -> OrphanKiller {
        OrphanKiller {
            kind: self.kind.clone(),
        }
    }

    fn take_watcher(&self) -> Option<Watcher> {
        self.watcher
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    pub(super) async fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        let result = match &*self.kind {
            Kind::Cgroup(cgroup) => cgroup.kill_and_remove().await,
            Kind::Tag(_) => {
                let kind = self.kind.clone();
                tokio::task::spawn_blocking(move || match &*kind {
                    Kind::Tag(tag) => tag.kill_all_now(),
                    Kind::Cgroup(_) => Ok(()),
                })
                .await
                .unwrap_or_else(|e| Err(io::Error::other(e.to_string())))
            }
        };
        let Some(mut watcher) = self.take_watcher() else {
            return;
        };
        match result {
            Ok(()) => watcher.release(),
            // The watcher tries again when it reads end-of-file.
            Err(error) => tracing::debug!(%error, scope = ?self.kind, "the scope is not clean"),
        }
        drop(watcher.pipe.take());
        watcher.reap().await;
    }

    pub(super) fn close_now(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        let result = match &*self.kind {
            Kind::Cgroup(cgroup) => cgroup.kill_and_remove_now(),
            Kind::Tag(tag) => tag.kill_all_now(),
        };
        // Dropping the child lets tokio reap it in the background.
        if let Some(mut watcher) = self.take_watcher()
            && result.is_ok()
        {
            watcher.release();
        }
    }
}

/// Kills a scope's orphans (see [`super::OrphanKiller`]).
#[derive(Clone, Debug)]
pub(super) struct OrphanKiller {
    kind: Arc<Kind>,
}

impl OrphanKiller {
    /// Kills every member of the scope that does not descend from `root` (blocking: reads
    /// `/proc`).
    pub(super) fn kill_orphans(&self, root: u32) -> usize {
        let members = match &*self.kind {
            Kind::Cgroup(cgroup) => cgroup.members(),
            Kind::Tag(tag) => tag.members(),
        };
        let orphans: Vec<u32> = members
            .into_iter()
            .filter(|&pid| pid != root && !descends_from(pid, root))
            .collect();
        for &pid in &orphans {
            kill(pid);
        }
        if !orphans.is_empty() {
            tracing::debug!(
                count = orphans.len(),
                "killed processes detached from codex"
            );
        }
        orphans.len()
    }
}

/// Whether `root` is an ancestor of `pid`.
fn descends_from(pid: u32, root: u32) -> bool {
    let mut current = pid;
    for _ in 0..1024 {
        match parent(current) {
            Some(p) if p == root => return true,
            Some(p) if p > 1 => current = p,
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::unescape;

    #[test]
    fn mountinfo_escapes_are_undone() {
        assert_eq!(unescape(r"/sys/fs/cgroup"), b"/sys/fs/cgroup");
        assert_eq!(unescape(r"/a\040b\\x"), b"/a b\\\\x");
        assert_eq!(unescape(r"\0"), b"\\0");
    }
}
