//! Finds the real codex binary for tests, installing the pinned version once if needed.
//!
//! [`real_codex`] looks, in order, at:
//!
//! 1. `CODEX_PATH`, when set: that file, which must exist;
//! 2. `<workspace>/target/codex/node_modules/@openai/codex-<platform>/vendor/<triple>/bin/codex`,
//!    the native binary of the npm package `@openai/codex@0.169.0`, when its
//!    `codex-package.json` says version `0.169.0`;
//! 3. otherwise it runs `npm install --prefix <workspace>/target/codex @openai/codex@0.169.0`
//!    and uses the result.
//!
//! The install happens once: concurrent test processes serialize on an exclusive file lock
//! (`target/codex/.install.lock`) and re-check after taking it. A test that needs the real CLI
//! calls [`real_codex`] and fails with its error; it never skips, in CI or not.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::Error;

/// The codex CLI version the SDK targets and [`real_codex`] installs.
pub const CODEX_VERSION: &str = "0.169.0";

/// The environment variable that overrides the binary [`real_codex`] returns.
pub const CODEX_PATH_VAR: &str = "CODEX_PATH";

/// The path of the real codex binary: see the [module docs](self) for where it comes from.
///
/// Blocking: the first call in a fresh checkout runs `npm install` (tens of seconds).
///
/// # Errors
///
/// [`Error::RealCodexUnavailable`] when `CODEX_PATH` names a missing file, the platform has no
/// codex package, or the install fails (npm missing, no network); the message says what to
/// do.
pub fn real_codex() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os(CODEX_PATH_VAR).filter(|path| !path.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(unavailable(format!(
                "{CODEX_PATH_VAR} is set to {}, which is not a file",
                path.display()
            )))
        };
    }
    let platform = Platform::current().ok_or_else(|| {
        unavailable(format!(
            "no @openai/codex platform package for {}-{}; set {CODEX_PATH_VAR}",
            std::env::consts::OS,
            std::env::consts::ARCH
        ))
    })?;
    locate_or_install(&platform, &install_prefix(), npm_install)
}

/// The pinned binary under `prefix`, installed with `install` (under an exclusive file lock,
/// re-checked once the lock is held) when it is missing.
fn locate_or_install(
    platform: &Platform,
    prefix: &Path,
    install: impl FnOnce(&Path) -> Result<(), Error>,
) -> Result<PathBuf, Error> {
    let binary = platform.binary_in(prefix);
    if is_pinned_install(platform, prefix) {
        return Ok(binary);
    }

    std::fs::create_dir_all(prefix).map_err(|source| Error::Io {
        action: "create",
        path: prefix.to_owned(),
        source,
    })?;
    let lock_path = prefix.join(".install.lock");
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| Error::Io {
            action: "open",
            path: lock_path.clone(),
            source,
        })?;
    // Blocks while another test process installs; released when `lock` is dropped, or by
    // the OS if that process dies.
    lock.lock().map_err(|source| Error::Io {
        action: "lock",
        path: lock_path,
        source,
    })?;
    if !is_pinned_install(platform, prefix) {
        install(prefix)?;
        if !is_pinned_install(platform, prefix) {
            return Err(unavailable(format!(
                "npm install finished but {} is missing or not version {CODEX_VERSION}",
                binary.display()
            )));
        }
    }
    Ok(binary)
}

/// `<workspace>/target/codex`.
fn install_prefix() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join("target")
        .join("codex")
}

fn unavailable(reason: String) -> Error {
    let reason = if std::env::var_os("CI").is_some() {
        format!("{reason} (CI is set: tests that need the real codex fail rather than skip)")
    } else {
        reason
    };
    Error::RealCodexUnavailable {
        version: CODEX_VERSION,
        reason,
    }
}

/// The npm platform package codex's launcher script (`bin/codex.js`) picks for this machine.
struct Platform {
    package: &'static str,
    triple: &'static str,
    exe: &'static str,
}

impl Platform {
    fn current() -> Option<Self> {
        let (package, triple) = match (std::env::consts::OS, std::env::consts::ARCH) {
            ("linux", "x86_64") => ("codex-linux-x64", "x86_64-unknown-linux-musl"),
            ("linux", "aarch64") => ("codex-linux-arm64", "aarch64-unknown-linux-musl"),
            ("macos", "x86_64") => ("codex-darwin-x64", "x86_64-apple-darwin"),
            ("macos", "aarch64") => ("codex-darwin-arm64", "aarch64-apple-darwin"),
            ("windows", "x86_64") => ("codex-win32-x64", "x86_64-pc-windows-msvc"),
            ("windows", "aarch64") => ("codex-win32-arm64", "aarch64-pc-windows-msvc"),
            _ => return None,
        };
        let exe = if cfg!(windows) { "codex.exe" } else { "codex" };
        Some(Self {
            package,
            triple,
            exe,
        })
    }

    fn vendor_dir(&self, prefix: &Path) -> PathBuf {
        prefix
            .join("node_modules")
            .join("@openai")
            .join(self.package)
            .join("vendor")
            .join(self.triple)
    }

    fn binary_in(&self, prefix: &Path) -> PathBuf {
        self.vendor_dir(prefix).join("bin").join(self.exe)
    }
}

/// Whether the binary is there and its `codex-package.json` names the pinned version.
fn is_pinned_install(platform: &Platform, prefix: &Path) -> bool {
    if !platform.binary_in(prefix).is_file() {
        return false;
    }
    let manifest = platform.vendor_dir(prefix).join("codex-package.json");
    std::fs::read(manifest)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|json| json.get("version").and_then(|v| v.as_str()) == Some(CODEX_VERSION))
}

#[expect(
    clippy::disallowed_methods,
    reason = "test support installs the pinned codex with npm"
)]
fn npm_install(prefix: &Path) -> Result<(), Error> {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let output = std::process::Command::new(npm)
        .arg("install")
        .arg("--prefix")
        .arg(prefix)
        .args(["--no-audit", "--no-fund", "--save-exact"])
        .arg(format!("@openai/codex@{CODEX_VERSION}"))
        .stdin(Stdio::null())
        .output()
        .map_err(|error| {
            unavailable(format!(
                "could not run `{npm}` ({error}); install Node.js or set {CODEX_PATH_VAR} \
                 to a codex {CODEX_VERSION} binary"
            ))
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(unavailable(format!(
        "`npm install --prefix {} @openai/codex@{CODEX_VERSION}` failed ({}); set \
         {CODEX_PATH_VAR} to a codex {CODEX_VERSION} binary to skip the install. npm said:\n{}",
        prefix.display(),
        output.status,
        tail.join("\n")
    )))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const PLATFORM: Platform = Platform {
        package: "codex-test-platform",
        triple: "test-triple",
        exe: "codex",
    };

    /// Writes what the npm package would: the binary and its `codex-package.json`.
    fn fake_install(prefix: &Path, version: &str) {
        let vendor = PLATFORM.vendor_dir(prefix);
        std::fs::create_dir_all(vendor.join("bin")).expect("create the vendor dir");
        std::fs::write(vendor.join("bin").join("codex"), "#!/bin/sh\n").expect("write the binary");
        std::fs::write(
            vendor.join("codex-package.json"),
            format!(r#"{{"version": "{version}", "target": "test-triple"}}"#),
        )
        .expect("write the manifest");
    }

    #[test]
    fn an_existing_pinned_install_is_used_as_is() {
        let prefix = tempfile::tempdir().expect("a temp dir");
        fake_install(prefix.path(), CODEX_VERSION);
        let found = locate_or_install(&PLATFORM, prefix.path(), |_| panic!("nothing to install"))
            .expect("found");
        assert_eq!(found, PLATFORM.binary_in(prefix.path()));
    }

    #[test]
    fn another_version_is_replaced_by_the_pinned_one() {
        let prefix = tempfile::tempdir().expect("a temp dir");
        fake_install(prefix.path(), "0.1.0");
        let found = locate_or_install(&PLATFORM, prefix.path(), |prefix| {
            fake_install(prefix, CODEX_VERSION);
            Ok(())
        })
        .expect("installed");
        assert!(found.is_file());
    }

    #[test]
    fn an_install_that_leaves_no_binary_is_an_error() {
        let prefix = tempfile::tempdir().expect("a temp dir");
        let result = locate_or_install(&PLATFORM, prefix.path(), |_| Ok(()));
        let Err(Error::RealCodexUnavailable { reason, .. }) = result else {
            panic!("expected an error, got {result:?}");
        };
        assert!(reason.contains("missing or not version"), "{reason}");
    }

    #[test]
    fn concurrent_callers_install_once() {
        let prefix = tempfile::tempdir().expect("a temp dir");
        let installs = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let callers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        locate_or_install(&PLATFORM, prefix.path(), |prefix| {
                            installs.fetch_add(1, Ordering::SeqCst);
                            fake_install(prefix, CODEX_VERSION);
                            Ok(())
                        })
                    })
                })
                .collect();
            for caller in callers {
                caller.join().expect("no panic").expect("found");
            }
        });
        assert_eq!(installs.load(Ordering::SeqCst), 1);
    }
}
