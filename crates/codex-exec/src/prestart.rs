//! Pre-started spawns: the wrappers of the next spawn are started ahead of it.
//!
//! Spawning codex in its scope costs more than the `fork` and `exec` of codex itself: the
//! cgroup and its watcher are set up, the wrapper shell moves into the cgroup (a migration
//! that waits for an RCU grace period, up to 20 ms), `setpriv` sets the parent-death signal,
//! and only then is codex executed (see [`crate::containment`] and [`crate::parent_death`]).
//! A [`Prestart`] does all of that for the *next* spawn while the current one runs: it keeps
//! one *spare*, a `/bin/sh` already in a fresh scope, with the parent-death signal, in a
//! process group of its own and with its stdio piped, that waits on its stdin for what to run.
//!
//! # The handoff
//!
//! The spawn writes a few records to the spare's stdin, ahead of the prompt: the working
//! directory, the changes from the environment the spare was started with (the previous
//! spawn's) to the child's, then the program and its arguments. The shell reads them with
//! `read -r` (byte by byte from a pipe, so the prompt after them stays unread), changes
//! directory, sets the environment, and `exec`s the program in the same process: the pid,
//! the process group, the pipes, the scope and the parent-death signal are the spare's, and
//! the program runs with exactly the arguments, environment and directory a direct spawn
//! gives it. Values are written as a line count followed by their lines, so newlines and any
//! other byte but NUL pass unchanged; nothing is evaluated by the shell.
//!
//! The shell changes some variables of its own at startup and on `cd` (`IFS`, `PPID`, `PWD`,
//! `OLDPWD`, ...: [`crate::containment::SHELL_VARS`]): each is always set to the child's
//! value or unset. `OPTIND` cannot be handed over (dash refuses to unset it or set it to
//! anything but a number), nor can the script's own variables (`_csk`, ...). Whether `/bin/sh`
//! hands over an environment exactly is probed once per process, by the first spare, with a
//! handoff to `env -0` (bash as `/bin/sh` adds `SHLVL` and is not used); until the probe has
//! passed, and where it fails, and off Linux, every spawn is direct.
//!
//! # When a spare is used
//!
//! For a spawn whose prompt is written at once (not the app-server's open stdin), with an
//! absolute program, a working directory that exists, variable names the shell can set,
//! records of at most [`MAX_RECORDS`] bytes, the same containment and parent-death setting as
//! the spare was made for, on the runtime it was made on. Any other spawn is direct, and a
//! spare made for other settings is closed.
//!
//! # When a spare is started
//!
//! Right after each spawn through the pool, beside the codex it started, so that a turn that
//! follows at once finds it ready: started at the end of the previous turn instead, the spare
//! of back-to-back turns was still entering its cgroup (an RCU grace period) when the next
//! turn came, and that turn measured 16 ms slower than bare `codex exec` against 2 ms after a
//! pause (paired medians of 40 turns against the mock model); started at the spawn, both
//! measured within the noise of bare (-1 to +5 ms). Starting it costs codex little CPU (two
//! `fork`s and four `exec`s of small programs on a blocking thread). A spawn that finds the
//! spare still starting (after a turn shorter than that) waits for it up to [`START_WAIT`].
//!
//! # Lifetime
//!
//! A spare lives until it is used or its [`Prestart`] (every clone) is dropped; then it is
//! killed and its scope closed. When this process dies, the spare gets its parent-death
//! signal or reads end-of-file, and exits; its scope's watcher removes the scope.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

#[cfg(target_os = "linux")]
use crate::containment::Containment;

/// The largest handoff written to a spare, in bytes; a larger one spawns directly (the
/// shell reads it a byte at a time).
#[cfg(target_os = "linux")]
pub(crate) const MAX_RECORDS: usize = 16 * 1024;

/// How long a spawn waits for a spare that is starting (a few milliseconds of `fork` and
/// `exec` on a blocking thread) before it spawns directly.
#[cfg(target_os = "linux")]
const START_WAIT: std::time::Duration = std::time::Duration::from_millis(25);

/// A pool of one *spare*: the wrappers of the next spawn, started ahead of it, so that the
/// spawn only hands the program over ([`ExecOptions::prestart`]).
///
/// A direct spawn in a cgroup starts a shell that moves itself into the cgroup (a migration
/// that waits for an RCU grace period, up to 20 ms), `setpriv` for the parent-death signal,
/// and the scope's watcher, all before codex runs. The spare is a `/bin/sh` that did all of
/// that already and waits on its stdin. A spawn through it writes the working directory, the
/// environment (as changes from the one the spare was started with) and the program with its
/// arguments to that stdin, ahead of the prompt; the shell reads them with `read -r` (nothing
/// is evaluated), changes directory, sets the environment and `exec`s the program in its own
/// process. The program gets exactly the arguments, environment, working directory, stdin,
/// scope and parent-death signal a direct spawn gives it; its pid is the spare's.
///
/// A spare is used by a spawn that writes its whole stdin at once (`codex exec`, not the
/// app-server), with an absolute program, a working directory that exists, variable names
/// a shell can set (not `OPTIND`), the same containment and parent-death setting, on the same
/// Tokio runtime; any other spawn is direct. Each spawn through the pool starts the next
/// spare right away, so that a turn that follows at once finds it ready; the first spawn is
/// direct.
///
/// Cloning shares the spare. While it waits, the spare, its scope and the scope's watcher
/// exist; dropping the last clone kills the spare and closes its scope; when this process
/// dies, the spare gets its parent-death signal or reads end-of-file.
///
/// On Linux, with a `/bin/sh` that hands over an environment exactly (probed once per
/// process: dash does; bash, which adds `SHLVL`, does not); elsewhere every spawn is direct.
///
/// [`ExecOptions::prestart`]: crate::ExecOptions::prestart
#[derive(Clone, Default)]
pub struct Prestart {
    pool: Arc<Pool>,
}

impl fmt::Debug for Prestart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slot = self.pool.slot();
        f.debug_struct("Prestart")
            .field("ready", &slot.spare.is_some())
            .field("starting", &slot.starting.is_some())
            .field("handoffs", &slot.handoffs)
            .finish()
    }
}

impl Prestart {
    /// An empty pool: the first spawn through it is direct and starts the first spare.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a spare is ready for the next spawn.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.pool.slot().spare.is_some()
    }

    /// The process id of the spare waiting for the next spawn, if one is ready: the pid the
    /// child of that spawn will have.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        #[cfg(target_os = "linux")]
        {
            self.pool.slot().spare.as_ref().and_then(linux::Spare::pid)
        }
        #[cfg(not(target_os = "linux"))]
        {
            None
        }
    }

    /// How many spawns were handed to a spare so far.
    #[must_use]
    pub fn handoffs(&self) -> u64 {
        self.pool.slot().handoffs
    }
}

#[derive(Default)]
struct Pool {
    slot: Mutex<Slot>,
    /// Notified when a spare has started (or failed to).
    #[cfg(target_os = "linux")]
    started: std::sync::Condvar,
}

#[derive(Default)]
struct Slot {
    #[cfg(target_os = "linux")]
    spare: Option<linux::Spare>,
    #[cfg(not(target_os = "linux"))]
    spare: Option<()>,
    /// A spare is being started, on this runtime's blocking pool (a runtime that shut down
    /// may never run it: another runtime's mark does not hold back its spawns).
    starting: Option<tokio::runtime::Id>,
    /// Spawns handed to a spare.
    handoffs: u64,
}

impl Pool {
    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a spare was made for: a spawn with other settings cannot use it.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) containment: Containment,
    pub(crate) parent_death_signal: bool,
}

#[cfg(target_os = "linux")]
pub(crate) use linux::{Refill, child_env, hand_off};

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::BTreeMap;
    use std::ffi::{OsStr, OsString};
    use std::io::{self, Read as _, Write as _};
    use std::os::unix::ffi::OsStrExt as _;
    use std::path::{Path, PathBuf};
    use std::process::Stdio;
    use std::sync::{Arc, OnceLock, PoisonError, Weak};

    use tokio::process::Child;

    use super::{Key, MAX_RECORDS, Pool, Prestart, START_WAIT};
    use crate::containment::{
        ChildEnv, Containment, SHELL_UNSAFE_VARS, SHELL_VARS, Scope, shell_identifier,
    };
    use crate::supervisor::ProcessSpec;

    /// The shell of every spare.
    const SH: &str = "/bin/sh";

    /// The spare's script. `take` reads one value (a line count, then the lines) into
    /// `_csv`; then: the directory, the names to unset, the names to set with their values,
    /// the program and its arguments; `exec`. End-of-file anywhere (the pool was dropped)
    /// exits quietly.
    const SPARE: &str = r#"take() {
  IFS= read -r _csk || exit 0
  IFS= read -r _csv || exit 0
  while [ "$_csk" -gt 1 ]; do
    IFS= read -r _csl || exit 0
    _csv="$_csv
$_csl"
    _csk=$((_csk - 1))
  done
}
take
cd -P -- "$_csv" || exit 126
IFS= read -r _csn || exit 0
while [ "$_csn" -gt 0 ]; do IFS= read -r _csm || exit 0; unset "$_csm"; _csn=$((_csn - 1)); done
IFS= read -r _csn || exit 0
while [ "$_csn" -gt 0 ]; do IFS= read -r _csm || exit 0; take; export "$_csm=$_csv"; _csn=$((_csn - 1)); done
IFS= read -r _csn || exit 0
set --
while [ "$_csn" -gt 0 ]; do take; set -- "$@" "$_csv"; _csn=$((_csn - 1)); done
exec "$@""#;

    /// The script's own variables: a child environment holding one of them is not handed
    /// over (the script would overwrite it).
    const SCRIPT_VARS: [&str; 5] = ["_csk", "_csv", "_csl", "_csn", "_csm"];

    /// A shell waiting for a program, in its scope.
    pub(crate) struct Spare {
        child: Child,
        scope: Scope,
        /// The environment it was started with (the scope's tag included).
        env: BTreeMap<OsString, OsString>,
        key: Key,
        runtime: tokio::runtime::Id,
    }

    /// A spare taken for a spawn, with the records to write before the prompt.
    pub(crate) struct Handoff {
        pub(crate) child: Child,
        pub(crate) scope: Scope,
        pub(crate) records: Vec<u8>,
    }

    /// The child's environment as a direct spawn of `spec` would give it.
    pub(crate) fn child_env(spec: &ProcessSpec) -> BTreeMap<OsString, OsString> {
        let mut env: BTreeMap<OsString, OsString> = if spec.env_clear {
            BTreeMap::new()
        } else {
            std::env::vars_os().collect()
        };
        for (key, value) in &spec.env {
            match value {
                Some(value) => env.insert(key.clone(), value.clone()),
                None => env.remove(key),
            };
        }
        env
    }

    /// Whether `name` is a shell identifier the script may set.
    fn settable(name: &OsStr) -> bool {
        shell_identifier(name)
            && !SCRIPT_VARS
                .iter()
                .chain(&SHELL_UNSAFE_VARS)
                .any(|v| OsStr::new(v) == name)
    }

    /// Takes the ready spare for `spec`, if it fits, with the records of the handoff. A
    /// spare made for other settings is closed (in the background).
    /// `env` is the child's environment ([`child_env`]).
    pub(crate) fn hand_off(
        prestart: &Prestart,
        spec: &ProcessSpec,
        env: &BTreeMap<OsString, OsString>,
        key: Key,
    ) -> Option<Handoff> {
        // The probe runs in the background, with the first spare; until it has said yes,
        // every spawn is direct.
        if spec.stdin_open || !spec.program.is_absolute() || EXACT.get() != Some(&true) {
            return None;
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?.id();
        let dir = child_dir(spec)?;
        let mut slot = prestart.pool.slot();
        if slot.spare.is_none() && slot.starting == Some(runtime) {
            // Started beside the previous spawn, which ended a moment ago: waiting for it is
            // shorter than starting the wrappers here.
            slot = prestart
                .pool
                .started
                .wait_timeout_while(slot, START_WAIT, |slot| {
                    slot.spare.is_none() && slot.starting == Some(runtime)
                })
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        // A spare that died while it waited (killed by someone else) is not used either.
        let fits = slot.spare.as_mut().map(|spare| {
            spare.key == key
                && spare.runtime == runtime
                && matches!(spare.child.try_wait(), Ok(None))
        });
        match fits {
            None => None,
            Some(false) => {
                let stale = slot.spare.take();
                drop(slot);
                // Closing blocks for a moment (the scope is killed and removed).
                tokio::task::spawn_blocking(move || drop(stale));
                None
            }
            Some(true) => {
                let spare = slot.spare.as_ref()?;
                let mut target = env.clone();
                if let Some((name, value)) = spare.scope.wrapping(&|_| None).env {
                    target.insert(name, value);
                }
                let mut argv: Vec<&OsStr> = vec![spec.program.as_os_str()];
                argv.extend(spec.args.iter().map(OsString::as_os_str));
                let records = records(dir.as_os_str(), &spare.env, &target, &argv)?;
                let spare = slot.spare.take()?;
                slot.handoffs += 1;
                Some(Handoff {
                    child: spare.child,
                    scope: spare.scope,
                    records,
                })
            }
        }
    }

    /// The child's working directory as an absolute path, if it is a directory (a direct
    /// spawn reports what else it is).
    fn child_dir(spec: &ProcessSpec) -> Option<PathBuf> {
        let dir = match &spec.current_dir {
            Some(dir) if dir.is_absolute() => dir.clone(),
            Some(dir) => std::env::current_dir().ok()?.join(dir),
            None => std::env::current_dir().ok()?,
        };
        std::fs::metadata(&dir).ok()?.is_dir().then_some(dir)
    }

    /// The records of a handoff: the directory, the names to unset, the names to set with
    /// their values, the program and its arguments. `None` when something cannot be handed
    /// over (a NUL byte, a name that is not a shell identifier) or the records are too long.
    fn records(
        dir: &OsStr,
        from: &BTreeMap<OsString, OsString>,
        to: &BTreeMap<OsString, OsString>,
        argv: &[&OsStr],
    ) -> Option<Vec<u8>> {
        let shell_var = |name: &OsStr| SHELL_VARS.iter().any(|v| OsStr::new(v) == name);
        let unset: Vec<&OsStr> = from
            .keys()
            .map(OsString::as_os_str)
            .filter(|name| !to.contains_key(*name) && !shell_var(name))
            .chain(
                SHELL_VARS
                    .iter()
                    .map(OsStr::new)
                    .filter(|name| !to.contains_key(*name)),
            )
            .collect();
        let set: Vec<(&OsStr, &OsStr)> = to
            .iter()
            .filter(|(name, value)| shell_var(name) || from.get(*name) != Some(*value))
            .map(|(name, value)| (name.as_os_str(), value.as_os_str()))
            .collect();
        if !to.keys().all(|name| settable(name)) {
            return None;
        }
        let mut out = Vec::new();
        value(&mut out, dir)?;
        count(&mut out, unset.len());
        for name in unset {
            out.extend_from_slice(name.as_bytes());
            out.push(b'\n');
        }
        count(&mut out, set.len());
        for (name, val) in set {
            out.extend_from_slice(name.as_bytes());
            out.push(b'\n');
            value(&mut out, val)?;
        }
        count(&mut out, argv.len());
        for arg in argv {
            value(&mut out, arg)?;
        }
        (out.len() <= MAX_RECORDS).then_some(out)
    }

    fn count(out: &mut Vec<u8>, n: usize) {
        out.extend_from_slice(n.to_string().as_bytes());
        out.push(b'\n');
    }

    /// One value: its line count, then its lines. `None` for a NUL byte.
    fn value(out: &mut Vec<u8>, value: &OsStr) -> Option<()> {
        let bytes = value.as_bytes();
        if bytes.contains(&0) {
            return None;
        }
        count(out, bytes.split(|b| *b == b'\n').count());
        out.extend_from_slice(bytes);
        out.push(b'\n');
        Some(())
    }

    /// What starts the next spare: the pool, the environment (the spawn's), the settings.
    pub(crate) struct Refill {
        pool: Weak<Pool>,
        env: BTreeMap<OsString, OsString>,
        key: Key,
    }

    impl Refill {
        /// The refill after `spec`'s spawn, if a spare could serve a spawn like it.
        /// `env` is the child's environment ([`child_env`]).
        pub(crate) fn new(
            prestart: &Prestart,
            spec: &ProcessSpec,
            env: BTreeMap<OsString, OsString>,
            key: Key,
        ) -> Option<Self> {
            if spec.stdin_open || EXACT.get() == Some(&false) {
                return None;
            }
            env.keys().all(|name| settable(name)).then(|| Self {
                pool: Arc::downgrade(&prestart.pool),
                env,
                key,
            })
        }

        /// Starts a spare in the background on the current runtime, unless one is ready or
        /// starting.
        pub(crate) fn start(self) {
            let Ok(handle) = tokio::runtime::Handle::try_current() else {
                return;
            };
            let Some(pool) = self.pool.upgrade() else {
                return;
            };
            let runtime = handle.id();
            {
                let mut slot = pool.slot();
                if slot.spare.is_some() || slot.starting == Some(runtime) {
                    return;
                }
                slot.starting = Some(runtime);
            }
            drop(pool);
            handle.spawn_blocking(move || start_spare(&self.pool, self.env, self.key, runtime));
        }
    }

    /// Starts a spare and puts it into `pool`, if the pool is still there.
    fn start_spare(
        pool: &Weak<Pool>,
        env: BTreeMap<OsString, OsString>,
        key: Key,
        runtime: tokio::runtime::Id,
    ) {
        let spare = if shell_exact() {
            Spare::start(env, key, runtime)
                .inspect_err(|error| tracing::debug!(%error, "starting a spare failed"))
                .ok()
        } else {
            None
        };
        let Some(pool) = pool.upgrade() else {
            // Dropped here: killed, its scope closed.
            return;
        };
        let mut slot = pool.slot();
        if slot.starting == Some(runtime) {
            slot.starting = None;
        }
        if slot.spare.is_none() {
            slot.spare = spare;
        }
        drop(slot);
        pool.started.notify_all();
    }

    impl Spare {
        pub(super) fn pid(&self) -> Option<u32> {
            self.child.id()
        }

        fn start(
            mut env: BTreeMap<OsString, OsString>,
            key: Key,
            runtime: tokio::runtime::Id,
        ) -> io::Result<Self> {
            let scope = if key.containment == Containment::ProcessGroup {
                Scope::none()
            } else {
                Scope::open(key.containment, ChildEnv { shell_safe: true })
            };
            let wrapping = scope.wrapping(&|_| None);
            if let Some((name, value)) = &wrapping.env {
                env.insert(name.clone(), value.clone());
            }
            let mut spec = ProcessSpec::new(SH)
                .args(["-c", SPARE, "sh"])
                .env_clear()
                .current_dir("/");
            for (name, value) in &env {
                spec = spec.env(name, value);
            }
            let setpriv = crate::parent_death::setpriv().filter(|_| key.parent_death_signal);
            let command = crate::supervisor::build_command(&spec, setpriv, wrapping);
            let child = crate::parent_death::spawn(command)?;
            Ok(Self {
                child,
                scope,
                env,
                key,
                runtime,
            })
        }
    }

    /// Whether `/bin/sh` hands over an environment exactly; probed once per process.
    static EXACT: OnceLock<bool> = OnceLock::new();

    fn shell_exact() -> bool {
        *EXACT.get_or_init(|| {
            let exact = probe();
            let ok = matches!(exact, Ok(true));
            if !ok {
                tracing::debug!(
                    result = ?exact,
                    "/bin/sh does not hand over an environment exactly: no pre-started spawns"
                );
            }
            ok
        })
    }

    /// Hands `env -0` over to a shell running the spare's script, from an environment with
    /// the shell's own variables set to other values, and compares what `env` prints with
    /// the environment asked for.
    fn probe() -> io::Result<bool> {
        let from = env_map(&[
            ("KEPT", "same\nvalue"),
            ("GONE", "1"),
            ("IFS", "x"),
            ("PPID", "7"),
            ("PWD", "/nonexistent"),
            ("LINENO", "3"),
        ]);
        let to = env_map(&[
            ("KEPT", "same\nvalue"),
            ("NEW", " two\nlines\n"),
            ("EMPTY", ""),
            ("IFS", "y z"),
            ("OLDPWD", "/o"),
            ("QUOTED", "$(echo x) `y` \\ ' \" * $1 ${2}"),
        ]);
        Ok(hand_over_env(&from, &to)?.is_some_and(|seen| seen == to))
    }

    fn env_map(pairs: &[(&str, &str)]) -> BTreeMap<OsString, OsString> {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    /// Starts the spare's script with `from`, hands `env -0` over with `to`, and returns the
    /// environment `env` printed; `None` without `env` or when the handoff failed.
    #[expect(
        clippy::disallowed_methods,
        reason = "probes /bin/sh once per process; the probe runs to completion and nothing is supervised"
    )]
    fn hand_over_env(
        from: &BTreeMap<OsString, OsString>,
        to: &BTreeMap<OsString, OsString>,
    ) -> io::Result<Option<BTreeMap<OsString, OsString>>> {
        let Some(env_program) = ["/usr/bin/env", "/bin/env"]
            .into_iter()
            .map(Path::new)
            .find(|p| p.is_file())
        else {
            return Ok(None);
        };
        let argv = [env_program.as_os_str(), OsStr::new("-0")];
        let records = records(OsStr::new("/"), from, to, &argv)
            .ok_or_else(|| io::Error::other("the probe's records"))?;
        let mut child = std::process::Command::new(SH)
            .args(["-c", SPARE, "sh"])
            .env_clear()
            .envs(from)
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("stdin"))?;
        stdin.write_all(&records)?;
        stdin.write_all(b"after the records")?;
        drop(stdin);
        let mut out = Vec::new();
        child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("stdout"))?
            .read_to_end(&mut out)?;
        if !child.wait()?.success() {
            return Ok(None);
        }
        Ok(Some(
            out.split(|b| *b == 0)
                .filter(|entry| !entry.is_empty())
                .filter_map(|entry| {
                    let at = entry.iter().position(|b| *b == b'=')?;
                    Some((
                        OsStr::from_bytes(&entry[..at]).to_owned(),
                        OsStr::from_bytes(&entry[at + 1..]).to_owned(),
                    ))
                })
                .collect(),
        ))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        type Env<'a> = Vec<(&'a str, &'a str)>;

        #[test]
        fn values_keep_their_lines() {
            let mut out = Vec::new();
            for v in ["", "a", "a\n", "\nb\n\nc"] {
                value(&mut out, OsStr::new(v)).expect("no NUL");
            }
            assert_eq!(out, b"1\n\n1\na\n2\na\n\n4\n\nb\n\nc\n");
            assert!(value(&mut out, OsStr::new("a\0b")).is_none());
        }

        #[test]
        fn every_shell_variable_is_handed_over_or_dropped() {
            let dash = std::fs::canonicalize(SH).is_ok_and(|sh| sh.ends_with("dash"));
            if !dash {
                // Only dash is asserted on: another shell is used only if the probe passes.
                assert!(probe().is_ok());
                return;
            }
            let all: Vec<(&str, &str)> =
                SHELL_VARS.iter().map(|v| (*v, "from\nthe spare")).collect();
            let odd = "caf\u{e9} \t\r\n\n trailing ";
            let cases: Vec<(Env<'_>, Env<'_>)> = vec![
                // The spare had every shell variable; the child none.
                (all.clone(), vec![("A", "1")]),
                // The child has every shell variable; the spare none.
                (
                    vec![("A", "1")],
                    SHELL_VARS.iter().map(|v| (*v, odd)).collect(),
                ),
                // Both have them, with other values; nothing else changes.
                (all, SHELL_VARS.iter().map(|v| (*v, "")).collect()),
                // Nothing at all.
                (vec![], vec![]),
            ];
            for (from, to) in cases {
                let (from, to) = (env_map(&from), env_map(&to));
                let seen = hand_over_env(&from, &to)
                    .expect("runs")
                    .expect("hands over");
                assert_eq!(seen, to, "from {from:?}");
            }
            // Bytes that are not UTF-8 pass too.
            let from = env_map(&[("B", "x")]);
            let mut to = BTreeMap::new();
            to.insert(
                OsString::from("B"),
                OsStr::from_bytes(b"\xff\xfe\n\x01").to_owned(),
            );
            let seen = hand_over_env(&from, &to)
                .expect("runs")
                .expect("hands over");
            assert_eq!(seen, to);
        }

        #[test]
        fn optind_and_the_script_variables_are_never_handed_over() {
            let argv = [OsStr::new("/bin/true")];
            for name in ["OPTIND", "_csv", "_csk", "1A", "A-B", ""] {
                let to = env_map(&[(name, "1")]);
                assert!(
                    records(OsStr::new("/"), &BTreeMap::new(), &to, &argv).is_none(),
                    "{name}"
                );
            }
        }

        #[test]
        fn dash_hands_over_exactly() {
            // A shell that adds variables of its own (bash adds `SHLVL`) gets no spares; the
            // probe must not fail to run either way.
            let result = probe();
            let dash = std::fs::canonicalize(SH).is_ok_and(|sh| sh.ends_with("dash"));
            if dash {
                assert!(matches!(result, Ok(true)), "{result:?}");
            } else {
                assert!(result.is_ok(), "{result:?}");
            }
        }
    }
}
