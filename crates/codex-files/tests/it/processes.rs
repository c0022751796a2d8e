//! Several processes on one store: concurrent stagings end with one blob per content, and what
//! a process killed with `SIGKILL` left is swept by the next one to open the store.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use codex_agent_files::{Store, StoreOptions};
use pretty_assertions::assert_eq;

use crate::store::{Fixture, names, sha256};

/// Bound for waits on the helper processes.
const WAIT: Duration = Duration::from_mins(1);

/// The `stage` example, built next to this test binary by `cargo test` / `cargo nextest run`.
fn stage_binary() -> PathBuf {
    let test = std::env::current_exe().expect("the test binary's path");
    let profile = test
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let binary = profile.join("examples").join("stage");
    assert!(
        binary.is_file(),
        "{} is missing: run the tests with `cargo test -p codex-agent-files` or \
         `cargo nextest run -p codex-agent-files`, which build the examples",
        binary.display()
    );
    binary
}

#[expect(
    clippy::disallowed_methods,
    reason = "the test runs several helper processes on one store, as separate users of it would"
)]
fn spawn(args: &[&std::ffi::OsStr]) -> Child {
    std::process::Command::new(stage_binary())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the stage example")
}

#[test]
#[expect(clippy::print_stderr, reason = "the test reports its timing")]
fn eight_processes_staging_the_same_hundred_files_end_with_a_hundred_blobs() {
    let f = Fixture::new();
    let files: Vec<PathBuf> = (0..100)
        .map(|i| {
            f.input(
                &format!("file-{i:03}.txt"),
                format!("file {i}\n").repeat(40).as_bytes(),
            )
        })
        .collect();
    let root = f.store.root().as_os_str().to_owned();
    let started = Instant::now();
    // 8 processes × 2 rounds × 100 files: 200 stagings each, 1600 in all.
    let children: Vec<Child> = (0..8)
        .map(|_| {
            let mut args: Vec<&std::ffi::OsStr> =
                vec!["--root".as_ref(), &root, "--repeat".as_ref(), "2".as_ref()];
            args.extend(files.iter().map(|p| p.as_os_str()));
            spawn(&args)
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("wait for a stager");
        assert!(
            output.status.success(),
            "{:?}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let elapsed = started.elapsed();
    eprintln!("1600 stagings in 8 processes: {elapsed:?}");
    let mut expected: Vec<String> = files
        .iter()
        .map(|p| sha256(&std::fs::read(p).expect("input")))
        .collect();
    expected.sort();
    let shas: Vec<&str> = expected.iter().map(String::as_str).collect();
    f.assert_holds(&shas);
    // The manifest is consistent: one entry per blob, whose size, name and checksum match.
    let entries = f.store.entries().expect("entries");
    assert_eq!(entries.len(), 100);
    for entry in &entries {
        let blob = std::fs::read(f.store.blob_path(&entry.sha256)).expect("blob");
        assert_eq!(sha256(&blob), entry.sha256);
        assert_eq!(blob.len() as u64, entry.size);
        let source = f.dir.path().join("in").join(&entry.original_name);
        assert_eq!(std::fs::read(source).expect("source"), blob);
    }
    for entry in entries {
        assert!(f.store.remove(&entry.sha256).expect("remove"));
    }
    f.assert_holds(&[]);
}

/// Waits until `condition` holds, failing after [`WAIT`].
fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

#[test]
fn what_a_killed_process_left_is_swept_by_the_next_start() {
    let f = Fixture::new();
    let root = f.store.root().to_path_buf();
    let held = f.input("held.txt", b"held by a set\n");

    // One process mid-staging: its temporary file has data in it when it is killed.
    let mut staging = spawn(&[
        "--root".as_ref(),
        root.as_os_str(),
        "--stdin".as_ref(),
        "big.bin".as_ref(),
    ]);
    let mut out = BufReader::new(staging.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line)
        .expect("the helper announces itself");
    assert_eq!(line, "staging\n");
    let mut stdin = staging.stdin.take().expect("stdin");
    stdin
        .write_all(&vec![7; 256 * 1024])
        .expect("feed the staging");
    stdin.flush().expect("flush");
    let tmp = root.join("tmp");
    wait_for("a temporary file with data", || {
        std::fs::read_dir(&tmp)
            .expect("tmp")
            .flatten()
            .any(|e| e.metadata().is_ok_and(|m| m.len() > 0))
    });

    // One process holding an ephemeral set.
    let mut holding = spawn(&[
        "--root".as_ref(),
        root.as_os_str(),
        "--hold".as_ref(),
        held.as_os_str(),
    ]);
    let mut out = BufReader::new(holding.stdout.take().expect("stdout"));
    let mut view = String::new();
    out.read_line(&mut view).expect("the view path");
    assert!(Path::new(view.trim_end()).is_file(), "{view}");

    for child in [&mut staging, &mut holding] {
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
    }
    drop(stdin);
    assert_eq!(
        names(&tmp).len(),
        1,
        "the killed staging left its temporary file"
    );
    assert_eq!(
        names(&root.join("sets")).len(),
        1,
        "the killed holder left its set"
    );
    assert_eq!(names(&root.join("blobs")), [sha256(b"held by a set\n")]);

    // The next start sweeps.
    let store = Store::open(StoreOptions::new().root(&root)).expect("reopen");
    let report = store.sweep().expect("a second sweep finds nothing more");
    assert_eq!((report.temp_files, report.sets, report.blobs), (0, 0, 0));
    f.assert_holds(&[]);
}
