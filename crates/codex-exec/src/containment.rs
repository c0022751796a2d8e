//! Containment: every process a spawned codex starts, however it detaches (a new session, a
//! double fork, a daemon), is gone when codex is stopped, when it exits, or when this process
//! dies.
//!
//! Codex starts the agent's commands in sessions of their own, outside its process group, so
//! killing the group is not enough: a command that runs `setsid sleep 600 &` outlives it. Each
//! spawned process therefore gets a *scope*, the strongest of these that works here:
//!
//! | [`Containment`] | Where | What it catches | Host killed with `SIGKILL` |
//! |---|---|---|---|
//! | [`CgroupV2`](Containment::CgroupV2) | Linux, cgroup v2 mounted, and this process may create a cgroup beside itself (root, or a delegated subtree such as a systemd user scope) | every descendant, however it detaches: a process cannot leave its cgroup without privileges | a watcher process kills the cgroup |
//! | [`EnvironmentTag`](Containment::EnvironmentTag) | Linux, no usable cgroup | every descendant that keeps the environment variable `CODEX_AGENT_SCOPE` codex inherits (found in `/proc/<pid>/environ`): `setsid`, double forks, `nohup` and daemons do keep it | a watcher process kills the tagged processes |
//! | [`ProcessGroup`](Containment::ProcessGroup) | everywhere else, or when asked for | codex and what stays in its process group; not the commands codex starts in their own sessions | only codex dies (parent-death signal) |
//!
//! Known gaps of [`EnvironmentTag`](Containment::EnvironmentTag): a process started with a
//! cleared or rewritten environment (`env -i`, codex's `shell_environment_policy.inherit =
//! "none"` or `"core"`) escapes, and a process of another user is not visible. Neither
//! mechanism is a security boundary: a process running as root can leave a cgroup.
//!
//! # How a cgroup is set up
//!
//! Once per process, the cgroup v2 mount is found in `/proc/self/mountinfo` and this process's
//! own cgroup in `/proc/self/cgroup`. The own cgroup is the preferred parent (a systemd
//! service's or user scope's limits and accounting then still apply to codex), the root of the
//! mount the second choice; the first where a test cgroup can be created, entered by a shell
//! and removed is used. Scopes are named `codex-agent.<pid>.<start time>.<n>` after the owning
//! process; scopes of a dead owner (left by a crash of both the owner and its watcher) are
//! killed and removed then.
//!
//! Without `unsafe` code there is no hook between `fork` and `exec`, so codex is started as
//! `/bin/sh -c 'echo 0 > "$1" … exec "$@"' sh <cgroup>/cgroup.procs <program> <args…>`: the
//! shell moves itself into the cgroup and then executes the program in the same process
//! (after `setpriv` when the parent-death signal is on), so codex and everything it starts
//! are in the cgroup from their first instruction, and the pid and `argv[0]` stay codex's.
//! The shell passes the environment through unchanged: the variables it sets or changes by
//! itself (`IFS`, `PPID`, `PWD`, ...) are put back to the child's values, or unset, from its
//! arguments. Variables whose names are not shell identifiers would be dropped and `OPTIND`
//! cannot be passed on: such a spawn uses the environment tag instead.
//!
//! # What it costs
//!
//! Entering a cgroup is a cgroup migration, and the kernel makes a migration wait for an RCU
//! grace period unless another one happened just before (unless the hierarchy is mounted with
//! `favordynmods`): 10 to 22 ms measured on a 6.18 kernel in a VM with nothing else running,
//! spent once per spawn, before codex starts. Creating, emptying and removing the cgroup and
//! its watcher take under 1.5 ms. So a `codex exec` turn costs about 20 ms more with
//! [`CgroupV2`](Containment::CgroupV2) than bare (`cargo xtask bench turn-overhead`: 197 ms
//! against 176 ms with a mock model; 3 to 5 ms more with
//! [`EnvironmentTag`](Containment::EnvironmentTag)); the app-server pays it once per process,
//! not per turn. Where that matters more than the guarantee, ask for the weaker scope with
//! `ExecOptions::containment`. Spawning straight into the cgroup (`clone3` with
//! `CLONE_INTO_CGROUP`) would avoid the migration, but needs `unsafe` code between `fork` and
//! `exec`, which the crate forbids. A [`Prestart`](crate::Prestart) takes all of it off the
//! spawn instead: the shell, already in its cgroup, waits for the next spawn's program.
//!
//! After codex has exited, the cleanup kills the cgroup and looks whether it emptied after
//! 100 µs, doubling up to 2 ms (the processes are gone within a millisecond or so; inotify on
//! `cgroup.events` is no faster, as the kernel rate-limits its notifications to one per
//! 10 ms), then removes it.
//!
//! # Cleaning up
//!
//! When the process exits or is stopped, the supervisor writes `1` to `cgroup.kill`, waits
//! (bounded) until `cgroup.events` says `populated 0`, and removes the cgroup; with the tag,
//! it sends `SIGKILL` to every tagged process until none is left (bounded). For the case
//! where this process is killed with `SIGKILL` and can clean up nothing, each scope has a
//! watcher: a small `/bin/sh` in a process group of its own, outside the scope, reading a
//! pipe from this process. At the end of a scope the supervisor tells it `done` and it exits;
//! when it reads end-of-file instead (this process died), it does the cleanup itself.
//!
//! # The app-server
//!
//! One app-server runs many turns, so its scope lives as long as the process. What a turn
//! detaches from codex is an *orphan*: a member of the scope that is not codex nor one of its
//! descendants (codex's own background terminals and MCP servers are its children and stay).
//! When a turn ends and no other turn of the same app-server is running, its orphans are
//! killed.

use std::fmt;

#[cfg(target_os = "linux")]
mod linux;

#[cfg(target_os = "linux")]
pub(crate) use linux::{SHELL_UNSAFE_VARS, SHELL_VARS};

/// How the processes that a spawned codex starts are kept from outliving it.
///
/// See the crate docs for which guarantee holds where. Ordered from the strongest:
/// [`CgroupV2`](Self::CgroupV2), [`EnvironmentTag`](Self::EnvironmentTag),
/// [`ProcessGroup`](Self::ProcessGroup).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Containment {
    /// A cgroup v2 per spawned process, killed with `cgroup.kill`: every descendant, however
    /// it detaches, including when this process is killed with `SIGKILL`.
    CgroupV2,
    /// An environment variable per spawned process, inherited by its descendants and found in
    /// `/proc`: every descendant that keeps its environment, including when this process is
    /// killed with `SIGKILL`.
    EnvironmentTag,
    /// The process group only: codex, and what stays in its group. Commands that codex starts
    /// in sessions of their own are not caught.
    ProcessGroup,
}

impl Containment {
    /// The strongest containment available to this process, probed once (on Linux: whether a
    /// cgroup can be created, entered and removed; a few milliseconds). Stale scopes of dead
    /// processes are swept by the same probe.
    #[must_use]
    pub fn best_available() -> Self {
        #[cfg(target_os = "linux")]
        {
            if linux::cgroup_base().is_some() {
                Self::CgroupV2
            } else if linux::tag_supported() {
                Self::EnvironmentTag
            } else {
                Self::ProcessGroup
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            Self::ProcessGroup
        }
    }

    /// The name used in docs and logs: `cgroup-v2`, `environment-tag`, `process-group`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CgroupV2 => "cgroup-v2",
            Self::EnvironmentTag => "environment-tag",
            Self::ProcessGroup => "process-group",
        }
    }

    /// 2 for the strongest.
    fn rank(self) -> u8 {
        match self {
            Self::CgroupV2 => 2,
            Self::EnvironmentTag => 1,
            Self::ProcessGroup => 0,
        }
    }
}

impl fmt::Display for Containment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The scope of one spawned process: created before the spawn, closed when the process has
/// been reaped, and closed (synchronously) when dropped.
pub(crate) struct Scope {
    inner: Inner,
}

enum Inner {
    None,
    #[cfg(target_os = "linux")]
    Linux(Box<linux::Scope>),
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("containment", &self.containment())
            .finish()
    }
}

/// What the spawn must add for a scope: a wrapper before the program and an environment
/// variable.
#[derive(Debug, Default)]
pub(crate) struct Wrapping {
    /// Arguments placed before the program (`/bin/sh -c … sh <cgroup.procs> <variables…> --`).
    pub(crate) prefix: Vec<std::ffi::OsString>,
    /// An environment variable to set.
    pub(crate) env: Option<(std::ffi::OsString, std::ffi::OsString)>,
}

/// Whether `name` is a shell identifier (a letter or `_`, then letters, digits and `_`): the
/// only variable names a shell passes on and can set.
pub(crate) fn shell_identifier(name: &std::ffi::OsStr) -> bool {
    let bytes = name.as_encoded_bytes();
    bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// What the scope needs to know about the child's environment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildEnv {
    /// Whether every variable name is a shell identifier (the shell drops the others).
    pub(crate) shell_safe: bool,
}

impl Scope {
    /// A scope with nothing beyond the process group.
    pub(crate) fn none() -> Self {
        Self { inner: Inner::None }
    }

    /// Opens the strongest scope up to `requested` that works for this child. Never fails:
    /// what cannot be set up falls back to a weaker containment, with a debug event.
    pub(crate) fn open(requested: Containment, child: ChildEnv) -> Self {
        #[cfg(target_os = "linux")]
        {
            if let Some(scope) = linux::Scope::open(requested.rank(), child) {
                return Self {
                    inner: Inner::Linux(Box::new(scope)),
                };
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (requested.rank(), child);
        Self::none()
    }

    /// The containment this scope gives.
    pub(crate) fn containment(&self) -> Containment {
        match &self.inner {
            Inner::None => Containment::ProcessGroup,
            #[cfg(target_os = "linux")]
            Inner::Linux(scope) => scope.containment(),
        }
    }

    /// What the spawn must add; `child_var` gives the value of a variable in the child's
    /// environment (`None`: unset).
    pub(crate) fn wrapping(
        &self,
        child_var: &dyn Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Wrapping {
        match &self.inner {
            Inner::None => Wrapping::default(),
            #[cfg(target_os = "linux")]
            Inner::Linux(scope) => scope.wrapping(child_var),
        }
    }

    /// A handle that kills the scope's orphans, for the app-server's turn ends.
    pub(crate) fn orphan_killer(&self) -> OrphanKiller {
        match &self.inner {
            Inner::None => OrphanKiller { inner: None },
            #[cfg(target_os = "linux")]
            Inner::Linux(scope) => OrphanKiller {
                inner: Some(scope.orphan_killer()),
            },
        }
    }

    /// Kills every process of the scope, removes it and lets its watcher go. Idempotent.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the rest to `Drop`, which does it synchronously.
    pub(crate) async fn close(&mut self) {
        match &mut self.inner {
            Inner::None => {}
            #[cfg(target_os = "linux")]
            Inner::Linux(scope) => scope.close().await,
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        match &mut self.inner {
            Inner::None => {}
            #[cfg(target_os = "linux")]
            Inner::Linux(scope) => scope.close_now(),
        }
    }
}

/// Kills the orphans of an app-server's scope: its members that are neither codex nor
/// descendants of codex.
#[derive(Clone, Debug)]
pub(crate) struct OrphanKiller {
    #[cfg(target_os = "linux")]
    inner: Option<linux::OrphanKiller>,
    #[cfg(not(target_os = "linux"))]
    inner: Option<()>,
}

impl OrphanKiller {
    /// Kills the orphans of codex (`root`); returns how many were killed.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may leave orphans that were not yet signalled.
    pub(crate) async fn kill_orphans(&self, root: u32) -> usize {
        #[cfg(target_os = "linux")]
        if let Some(killer) = self.inner.clone() {
            return tokio::task::spawn_blocking(move || killer.kill_orphans(root))
                .await
                .unwrap_or(0);
        }
        let _ = (root, &self.inner);
        0
    }
}

/// The running turns of one app-server: when the last one ends, what detached from codex
/// during them (its orphans) is killed.
#[derive(Debug)]
pub(crate) struct TurnActivity {
    active: std::sync::Mutex<usize>,
    /// The app-server's pid.
    pid: u32,
    orphans: OrphanKiller,
}

/// When the orphans are looked for after the last turn ended: at once, then again for
/// processes that were still being detached (a shell that codex was killing).
const ORPHAN_PASSES: [std::time::Duration; 3] = [
    std::time::Duration::ZERO,
    std::time::Duration::from_millis(250),
    std::time::Duration::from_millis(750),
];

impl TurnActivity {
    pub(crate) fn new(pid: u32, orphans: OrphanKiller) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            active: std::sync::Mutex::new(0),
            pid,
            orphans,
        })
    }

    fn count(&self) -> std::sync::MutexGuard<'_, usize> {
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts a turn as running until the returned guard is dropped.
    pub(crate) fn begin(self: &std::sync::Arc<Self>) -> ActiveTurn {
        *self.count() += 1;
        ActiveTurn(std::sync::Arc::clone(self))
    }
}

/// A running turn of an app-server (see [`TurnActivity`]).
#[derive(Debug)]
pub(crate) struct ActiveTurn(std::sync::Arc<TurnActivity>);

impl Drop for ActiveTurn {
    fn drop(&mut self) {
        let last = {
            let mut count = self.0.count();
            *count = count.saturating_sub(1);
            *count == 0
        };
        if !last || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let activity = std::sync::Arc::clone(&self.0);
        tokio::spawn(async move {
            let mut waited = std::time::Duration::ZERO;
            for at in ORPHAN_PASSES {
                tokio::time::sleep(at.saturating_sub(waited)).await;
                waited = at;
                if *activity.count() != 0 {
                    return;
                }
                activity.orphans.kill_orphans(activity.pid).await;
            }
        });
    }
}
