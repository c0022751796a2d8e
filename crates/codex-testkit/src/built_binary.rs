//! Finding a helper executable that cargo built for the running test, and checking that it
//! was built from the current code (shared by the fake codex and the MCP echo server).

use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Finds `name` among the examples of the running test's target directory, else among its
/// binaries, and checks that the executable reports `expected` when started with `env` set.
///
/// The test executable runs from `target/<profile>/deps/`; examples are in
/// `target/<profile>/examples/` and binaries in `target/<profile>/`.
///
/// # Panics
///
/// When the executable is missing or stale: the message says how to build it.
pub(crate) fn locate(name: &str, env: &str, expected: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(3)
        .flat_map(|dir| [dir.join("examples").join(&file), dir.join(&file)])
        .collect();
    let how = "`cargo test` and `cargo nextest run` build it with the test binary; after a \
               filtered build (`--test`, `--lib`) run `cargo build --examples --bins` first";
    let Some(found) = candidates.iter().find(|p| p.is_file()) else {
        panic!("`{name}` was not built; {how}. Looked in: {candidates:?}");
    };
    let reported = fingerprint_of(found, env);
    assert!(
        reported.as_deref() == Some(expected),
        "`{}` is stale (fingerprint {reported:?}, expected {expected:?}); {how}",
        found.display(),
    );
    found.clone()
}

/// Asks the executable at `path` for its fingerprint (it prints it when `env` is set).
#[expect(
    clippy::disallowed_methods,
    reason = "asks a test helper binary which code it was built from; nothing is supervised"
)]
fn fingerprint_of(path: &Path, env: &str) -> Option<String> {
    let output = std::process::Command::new(path)
        .env(env, "1")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
