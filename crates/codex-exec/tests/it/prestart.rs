//! Pre-started spawns (Linux): a spawn handed to a spare gives the program exactly what a
//! direct spawn gives it (arguments, environment, working directory, stdin), for each
//! containment, across environments that change between spawns; a spare made for other
//! settings is not used; spawn errors stay what they are; dropping the pool kills its spare.
//!
//! The program is `/bin/cat`, printing its own `/proc/self/cmdline` and `/proc/self/environ`
//! (what the kernel gave it, with no shell in between), then its stdin, then `marker`, a file
//! of the working directory.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt as _;
use std::path::Path;
use std::time::Duration;

use codex_agent_exec::{Containment, Error, ExecOptions, Prestart, ProcessSpec, run_to_completion};
use codex_agent_testkit::process_watch;
use pretty_assertions::assert_eq;

use crate::support::{self, PROMPT};

/// The variable the environment tag sets; its value differs per scope.
const TAG: &str = "CODEX_AGENT_SCOPE";

/// What `/bin/cat` reported: its arguments, its environment (the tag's value blanked), its
/// stdin and the marker file's content.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    argv: Vec<OsString>,
    env: BTreeMap<OsString, OsString>,
    rest: Vec<u8>,
}

fn spec(dir: &Path, env: &[(&str, &[u8])]) -> ProcessSpec {
    let mut spec = ProcessSpec::new("/bin/cat")
        .args(["/proc/self/cmdline", "-", "marker"])
        .arg(OsString::from_vec(b"arg with\nnewline and \xff".to_vec()))
        .arg("")
        .env_clear()
        .current_dir(dir)
        .stdin("the prompt\n1\nlooks like a record\n");
    for (name, value) in env {
        spec = spec.env(name, OsString::from_vec(value.to_vec()));
    }
    spec
}

/// Runs `spec`; `/bin/cat` fails on the last (empty) argument, after printing the rest.
async fn run(spec: ProcessSpec, options: &ExecOptions) -> Seen {
    let spec = spec.arg("/proc/self/environ");
    let done = tokio::time::timeout(PROMPT, run_to_completion(spec, options, 1 << 20))
        .await
        .expect("cat ends promptly")
        .expect("cat runs");
    let out = done.stdout();
    // cmdline: NUL-terminated arguments, up to the prompt.
    let prompt_at = out
        .windows(b"the prompt".len())
        .position(|w| w == b"the prompt")
        .expect("the prompt reached cat");
    let argv = out[..prompt_at]
        .split(|b| *b == 0)
        .map(|a| OsString::from_vec(a.to_vec()))
        .collect::<Vec<_>>();
    let marker_end = prompt_at
        + out[prompt_at..]
            .windows(b"MARKER\n".len())
            .position(|w| w == b"MARKER\n")
            .expect("cat read the marker in its working directory")
        + b"MARKER\n".len();
    let env = out[marker_end..]
        .split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .map(|e| {
            let at = e.iter().position(|b| *b == b'=').expect("NAME=value");
            let name = OsString::from_vec(e[..at].to_vec());
            let value = if name == TAG {
                OsString::from("<tag>")
            } else {
                OsString::from_vec(e[at + 1..].to_vec())
            };
            (name, value)
        })
        .collect();
    Seen {
        argv,
        env,
        rest: out[prompt_at..marker_end].to_vec(),
    }
}

/// Waits until `prestart` has a spare ready.
async fn ready(prestart: &Prestart) -> u32 {
    for _ in 0..2000 {
        if let Some(pid) = prestart.pid() {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no spare became ready within 20 s: {prestart:?}");
}

fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("marker"), "MARKER\n").expect("write the marker");
    dir
}

/// Environments to go through in turn: each spawn's spare was started with the one before.
fn environments() -> Vec<Vec<(&'static str, &'static [u8])>> {
    vec![
        vec![("A", b"1"), ("PATH", b"/usr/bin:/bin")],
        // Changed, added and removed variables; the shell's own variables; odd values.
        vec![
            ("A", b"two\nlines\n"),
            ("EMPTY", b""),
            ("IFS", b"x y"),
            ("PWD", b"/somewhere/else"),
            ("OLDPWD", b""),
            ("PPID", b"1"),
            ("LINENO", b"not a number"),
            ("PS4", b"+ "),
            ("QUOTED", b"$(echo no) `no` $0 \\ ' \" *"),
            ("BYTES", b"\xff\xfe\x01"),
        ],
        // Nothing at all.
        vec![],
        vec![("A", b"1"), ("PATH", b"/usr/bin:/bin")],
    ]
}

#[tokio::test]
async fn a_spawn_handed_to_a_spare_gets_exactly_what_a_direct_one_gets() {
    let _lock = support::shared().await;
    let dir = scratch();
    for containment in [
        Containment::CgroupV2,
        Containment::EnvironmentTag,
        Containment::ProcessGroup,
    ] {
        let prestart = Prestart::new();
        let direct = ExecOptions::new().containment(containment);
        let warm = direct.clone().prestart(&prestart);
        let mut expected_handoffs = 0;
        for (i, env) in environments().iter().enumerate() {
            let want = run(spec(dir.path(), env), &direct).await;
            if i > 0 {
                let pid = ready(&prestart).await;
                assert_eq!(
                    process_watch::state(pid),
                    process_watch::ProcessState::Alive,
                    "the spare {pid} waits"
                );
                expected_handoffs += 1;
            }
            let seen = run(spec(dir.path(), env), &warm).await;
            assert_eq!(seen, want, "{containment}, environment {i}");
            assert_eq!(
                prestart.handoffs(),
                expected_handoffs,
                "{containment}, environment {i}: {prestart:?}"
            );
        }
        // Settled before the pool is dropped, so that no spare is still starting.
        ready(&prestart).await;
    }
}

#[tokio::test]
async fn a_spare_made_for_other_settings_is_not_used() {
    let _lock = support::shared().await;
    let dir = scratch();
    let prestart = Prestart::new();
    let env: &[(&str, &[u8])] = &[("A", b"1")];
    let grouped = ExecOptions::new()
        .containment(Containment::ProcessGroup)
        .prestart(&prestart);
    run(spec(dir.path(), env), &grouped).await;
    let old = ready(&prestart).await;
    // Another containment, then no parent-death signal: neither may use the spare.
    let tagged = ExecOptions::new()
        .containment(Containment::EnvironmentTag)
        .prestart(&prestart);
    let seen = run(spec(dir.path(), env), &tagged).await;
    assert!(seen.env.contains_key(&OsString::from(TAG)), "{seen:?}");
    assert_eq!(prestart.handoffs(), 0);
    let state = process_watch::wait_dead(old, PROMPT).await;
    assert!(
        state.is_dead(),
        "the unfit spare {old} is closed: {state:?}"
    );
    ready(&prestart).await;
    let unsignalled = tagged.clone().parent_death_signal(false);
    run(spec(dir.path(), env), &unsignalled).await;
    assert_eq!(prestart.handoffs(), 0);
    // The spare made for the settings now in use is.
    ready(&prestart).await;
    run(spec(dir.path(), env), &unsignalled).await;
    assert_eq!(prestart.handoffs(), 1);
    ready(&prestart).await;
}

#[tokio::test]
async fn spawn_errors_are_the_same_with_a_spare_ready() {
    let _lock = support::shared().await;
    let dir = scratch();
    let prestart = Prestart::new();
    let options = ExecOptions::new().prestart(&prestart);
    run(spec(dir.path(), &[]), &options).await;
    ready(&prestart).await;
    let missing = dir.path().join("missing");
    let case = |i: usize| match i {
        0 => ProcessSpec::new(&missing).stdin("x"),
        1 => ProcessSpec::new("/bin/cat")
            .current_dir(&missing)
            .stdin("x"),
        _ => ProcessSpec::new("/bin/cat")
            .env("A", "nul\0byte")
            .stdin("x"),
    };
    for i in 0..3 {
        let direct = run_to_completion(case(i), &ExecOptions::new(), 0)
            .await
            .expect_err("fails");
        let warm = run_to_completion(case(i), &options, 0)
            .await
            .expect_err("fails");
        let (Error::Spawn { source: d, .. }, Error::Spawn { source: w, .. }) = (&direct, &warm)
        else {
            panic!("spawn errors: {direct:?} and {warm:?}");
        };
        assert_eq!(d.kind(), w.kind(), "{direct} / {warm}");
    }
    assert_eq!(prestart.handoffs(), 0);
    assert!(
        prestart.is_ready(),
        "the spare is kept for a spawn that fits"
    );
}

#[tokio::test]
async fn dropping_the_pool_kills_its_spare() {
    let _lock = support::shared().await;
    let dir = scratch();
    let prestart = Prestart::new();
    let options = ExecOptions::new().prestart(&prestart);
    run(spec(dir.path(), &[]), &options).await;
    let pid = ready(&prestart).await;
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    drop(options);
    drop(prestart);
    let state = process_watch::wait_dead(pid, PROMPT).await;
    assert!(state.is_dead(), "the spare {pid} is {state:?}");
    // Its cgroup, if it had one of its own, is removed.
    if let Some(path) = cgroup
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .filter(|p| p.contains("codex-agent."))
    {
        let gone = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
            .iter()
            .all(|mount| !Path::new(&format!("{mount}{path}")).exists());
        assert!(gone, "the spare's cgroup {path} is removed");
    }
}

/// `OPTIND` cannot pass through a shell (dash refuses to unset it or set it to anything but
/// a number): such a child is started without one, and still gets it exactly.
#[tokio::test]
async fn optind_is_passed_on_exactly_without_a_shell() {
    let _lock = support::shared().await;
    let dir = scratch();
    let prestart = Prestart::new();
    let options = ExecOptions::new().prestart(&prestart);
    run(spec(dir.path(), &[("A", b"1")]), &options).await;
    ready(&prestart).await;
    let env: &[(&str, &[u8])] = &[("A", b"1"), ("OPTIND", b"not a number")];
    let want = run(spec(dir.path(), env), &ExecOptions::new()).await;
    let seen = run(spec(dir.path(), env), &options).await;
    assert_eq!(seen, want);
    assert_eq!(
        seen.env.get(&OsString::from("OPTIND")),
        Some(&OsString::from("not a number"))
    );
    assert_eq!(prestart.handoffs(), 0);
    ready(&prestart).await;
}

/// A spare killed by someone else while it waits is replaced, not handed the spawn.
#[tokio::test]
async fn a_spare_killed_while_it_waits_is_not_used() {
    use rustix::process::{Pid, Signal, kill_process};
    let _lock = support::shared().await;
    let dir = scratch();
    let prestart = Prestart::new();
    let options = ExecOptions::new().prestart(&prestart);
    let env: &[(&str, &[u8])] = &[("A", b"1")];
    run(spec(dir.path(), env), &options).await;
    let pid = ready(&prestart).await;
    let raw = Pid::from_raw(i32::try_from(pid).expect("pid")).expect("pid");
    kill_process(raw, Signal::KILL).expect("kill the spare");
    let state = process_watch::wait_dead(pid, PROMPT).await;
    assert!(state.is_dead(), "{state:?}");
    let want = run(spec(dir.path(), env), &ExecOptions::new()).await;
    let seen = run(spec(dir.path(), env), &options).await;
    assert_eq!(seen, want);
    assert_eq!(prestart.handoffs(), 0);
    ready(&prestart).await;
}

/// A pool outlives the runtime it was used on: on the next runtime, spawns are still handed
/// to spares (the previous runtime's spare, or its unfinished start, does not hold them back).
#[test]
fn a_pool_serves_the_next_runtime_after_one_shut_down() {
    let _lock = support::shared_blocking();
    let dir = scratch();
    let prestart = Prestart::new();
    let options = ExecOptions::new().prestart(&prestart);
    let env: &[(&str, &[u8])] = &[("A", b"1")];
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    };
    // The first runtime spawns, starting a spare on its blocking pool, and shuts down at once.
    let first = runtime();
    let want = first.block_on(run(spec(dir.path(), env), &ExecOptions::new()));
    first.block_on(run(spec(dir.path(), env), &options));
    first.shutdown_background();
    let second = runtime();
    second.block_on(async {
        assert_eq!(run(spec(dir.path(), env), &options).await, want);
        // A spare start the first runtime never ran would hold this forever.
        ready(&prestart).await;
        let before = prestart.handoffs();
        assert_eq!(run(spec(dir.path(), env), &options).await, want);
        assert_eq!(prestart.handoffs(), before + 1, "{prestart:?}");
        ready(&prestart).await;
    });
}
