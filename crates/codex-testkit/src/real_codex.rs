//! Finds the real codex binary for tests, installing a supported version once if needed.
//!
//! The SDK supports every version in [`SUPPORTED_CODEX_VERSIONS`]; tests run against one of
//! them at a time, [`DEFAULT_CODEX_VERSION`] unless the environment variable
//! [`CODEX_VERSION_VAR`] (`CODEX_SDK_TEST_CODEX_VERSION`) names another
//! ([`codex_version`]). `cargo xtask verify` runs the real-codex tests once per version.
//!
//! [`real_codex`] looks, in order, at:
//!
//! 1. `CODEX_PATH`, when set: that file, which must exist (whatever its version);
//! 2. `<root>/codex/<version>/node_modules/@openai/codex-<platform>/vendor/<triple>/bin/codex`,
//!    where `<root>` is [`install_root`](crate::install_root) (`<workspace>/target` in a
//!    checkout of this repository),
//!    the native binary of the npm package `@openai/codex@<version>`, when its
//!    `codex-package.json` says that version;
//! 3. otherwise it runs `npm install --prefix <root>/codex/<version>
//!    @openai/codex@<version>` and uses the result.
//!
//! Each version has its own prefix, so both can be installed side by side. The install
//! happens once per version: concurrent test processes serialize on an exclusive file lock
//! (`<root>/codex/<version>/.install.lock`) and re-check after taking it. A test that needs the
//! real CLI calls [`real_codex`] and fails with its error; it never skips, in CI or not.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::Error;

/// Every codex CLI version the SDK supports, oldest first.
///
/// 0.170.0 is left out on purpose: its npm package names darwin and win32 platform packages
/// that were never published, so it installs on Linux only.
pub const SUPPORTED_CODEX_VERSIONS: &[&str] = &["0.169.0", "0.171.0"];

/// The version [`real_codex`] uses unless [`CODEX_VERSION_VAR`] says otherwise: the newest
/// supported one.
pub const DEFAULT_CODEX_VERSION: &str = "0.171.0";

/// The environment variable that selects the codex version of the real-codex tests, one of
/// [`SUPPORTED_CODEX_VERSIONS`]; unset or empty means [`DEFAULT_CODEX_VERSION`].
pub const CODEX_VERSION_VAR: &str = "CODEX_SDK_TEST_CODEX_VERSION";

/// The environment variable that overrides the binary [`real_codex`] returns.
pub const CODEX_PATH_VAR: &str = "CODEX_PATH";

/// The codex version the real-codex tests use: [`CODEX_VERSION_VAR`] when set, otherwise
/// [`DEFAULT_CODEX_VERSION`].
///
/// # Errors
///
/// [`Error::RealCodexUnavailable`] when the variable names a version that is not in
/// [`SUPPORTED_CODEX_VERSIONS`].
pub fn codex_version() -> Result<&'static str, Error> {
    let requested = std::env::var(CODEX_VERSION_VAR).unwrap_or_default();
    select_version(&requested)
}

/// The supported version `requested` names (`""` for the default).
fn select_version(requested: &str) -> Result<&'static str, Error> {
    if requested.is_empty() {
        return Ok(DEFAULT_CODEX_VERSION);
    }
    SUPPORTED_CODEX_VERSIONS
        .iter()
        .copied()
        .find(|version| *version == requested)
        .ok_or_else(|| {
            unavailable(
                requested,
                format!(
                    "{CODEX_VERSION_VAR}={requested} is not a supported codex version; \
                     supported: {}",
                    SUPPORTED_CODEX_VERSIONS.join(", ")
                ),
            )
        })
}

/// The path of the real codex binary of the selected version ([`codex_version`]): see the
/// [module docs](self) for where it comes from.
///
/// Blocking: the first call for a version in a fresh checkout runs `npm install` (tens of
/// seconds).
///
/// # Errors
///
/// [`Error::RealCodexUnavailable`] when `CODEX_PATH` names a missing file, the selected
/// version is not supported, the platform has no codex package, or the install fails (npm
/// missing, no network); the message says what to do.
pub fn real_codex() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os(CODEX_PATH_VAR).filter(|path| !path.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(unavailable(
                "(any)",
                format!(
                    "{CODEX_PATH_VAR} is set to {}, which is not a file",
                    path.display()
                ),
            ))
        };
    }
    real_codex_of(codex_version()?)
}

/// The path of the real codex binary of `version`, one of [`SUPPORTED_CODEX_VERSIONS`],
/// installed into [`install_prefix`] when missing. Unlike [`real_codex`], it ignores
/// `CODEX_PATH` and [`CODEX_VERSION_VAR`].
///
/// Blocking: the first call for a version runs `npm install` (tens of seconds).
///
/// # Errors
///
/// [`Error::RealCodexUnavailable`] when `version` is not supported, the platform has no codex
/// package, or the install fails.
pub fn real_codex_of(version: &str) -> Result<PathBuf, Error> {
    let version = select_version(version)?;
    let platform = Platform::current().ok_or_else(|| {
        unavailable(
            version,
            format!(
                "no @openai/codex platform package for {}-{}; set {CODEX_PATH_VAR}",
                std::env::consts::OS,
                std::env::consts::ARCH
            ),
        )
    })?;
    locate_or_install(&platform, version, &install_prefix(version), npm_install)
}

/// Where `version` is installed: `<root>/codex/<version>` (an npm prefix), `<root>` being
/// [`install_root`](crate::install_root) (`<workspace>/target` in a checkout of this
/// repository).
#[must_use]
pub fn install_prefix(version: &str) -> PathBuf {
    crate::install_root().join("codex").join(version)
}

/// The binary of `version` under `prefix`, installed with `install` (under an exclusive file
/// lock, re-checked once the lock is held) when it is missing.
fn locate_or_install(
    platform: &Platform,
    version: &str,
    prefix: &Path,
    install: impl FnOnce(&Path, &str) -> Result<(), Error>,
) -> Result<PathBuf, Error> {
    let binary = platform.binary_in(prefix);
    if is_installed(platform, prefix, version) {
        return Ok(binary);
    }

    let _lock = lock_install_dir(prefix)?;
    if !is_installed(platform, prefix, version) {
        install(prefix, version)?;
        if !is_installed(platform, prefix, version) {
            return Err(unavailable(
                version,
                format!(
                    "npm install finished but {} is missing or not version {version}",
                    binary.display()
                ),
            ));
        }
    }
    Ok(binary)
}

fn unavailable(version: &str, reason: String) -> Error {
    let reason = if std::env::var_os("CI").is_some() {
        format!("{reason} (CI is set: tests that need the real codex fail rather than skip)")
    } else {
        reason
    };
    Error::RealCodexUnavailable {
        version: version.to_owned(),
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

/// Whether the binary is there and its `codex-package.json` names `version`.
fn is_installed(platform: &Platform, prefix: &Path, version: &str) -> bool {
    if !platform.binary_in(prefix).is_file() {
        return false;
    }
    let manifest = platform.vendor_dir(prefix).join("codex-package.json");
    std::fs::read(manifest)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|json| json.get("version").and_then(|v| v.as_str()) == Some(version))
}

#[expect(
    clippy::disallowed_methods,
    reason = "test support installs a supported codex with npm"
)]
fn npm_install(prefix: &Path, version: &str) -> Result<(), Error> {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let output = std::process::Command::new(npm)
        .arg("install")
        .arg("--prefix")
        .arg(prefix)
        .args(["--no-audit", "--no-fund", "--save-exact"])
        .arg(format!("@openai/codex@{version}"))
        .stdin(Stdio::null())
        .output()
        .map_err(|error| {
            unavailable(
                version,
                format!(
                    "could not run `{npm}` ({error}); install Node.js or set {CODEX_PATH_VAR} \
                     to a codex {version} binary"
                ),
            )
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(unavailable(
        version,
        format!(
            "`npm install --prefix {} @openai/codex@{version}` failed ({}); set \
             {CODEX_PATH_VAR} to a codex {version} binary to skip the install. npm said:\n{}",
            prefix.display(),
            output.status,
            tail.join("\n")
        ),
    ))
}

/// Creates the npm prefix `prefix` and takes its install lock (`.install.lock`), blocking
/// while another test process installs there. The lock is released when the returned file
/// is dropped, or by the OS if this process dies.
pub(crate) fn lock_install_dir(prefix: &Path) -> Result<File, Error> {
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
    lock.lock().map_err(|source| Error::Io {
        action: "lock",
        path: lock_path,
        source,
    })?;
    Ok(lock)
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

    const VERSION: &str = DEFAULT_CODEX_VERSION;

    #[test]
    fn an_existing_install_is_used_as_is() {
        let prefix = tempfile::tempdir().expect("a temp dir");
        fake_install(prefix.path(), VERSION);
        let found = locate_or_install(&PLATFORM, VERSION, prefix.path(), |_, _| {
            panic!("nothing to install")
        })
        .expect("found");
        assert_eq!(found, PLATFORM.binary_in(prefix.path()));
    }

    #[test]
    fn another_version_is_replaced_by_the_requested_one() {
        let prefix = tempfile::tempdir().expect("a temp dir");
        fake_install(prefix.path(), "0.1.0");
        let found = locate_or_install(&PLATFORM, VERSION, prefix.path(), |prefix, version| {
            assert_eq!(version, VERSION);
            fake_install(prefix, version);
            Ok(())
        })
        .expect("installed");
        assert!(found.is_file());
    }

    #[test]
    fn an_install_that_leaves_no_binary_is_an_error() {
        let prefix = tempfile::tempdir().expect("a temp dir");
        let result = locate_or_install(&PLATFORM, VERSION, prefix.path(), |_, _| Ok(()));
        let Err(Error::RealCodexUnavailable { reason, version }) = result else {
            panic!("expected an error, got {result:?}");
        };
        assert!(reason.contains("missing or not version"), "{reason}");
        assert_eq!(version, VERSION);
    }

    #[test]
    fn concurrent_callers_install_once() {
        let prefix = tempfile::tempdir().expect("a temp dir");
        let installs = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let callers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        locate_or_install(&PLATFORM, VERSION, prefix.path(), |prefix, version| {
                            installs.fetch_add(1, Ordering::SeqCst);
                            fake_install(prefix, version);
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

    #[test]
    fn versions_are_selected_from_the_supported_list() {
        assert_eq!(
            select_version("").expect("the default"),
            DEFAULT_CODEX_VERSION
        );
        for version in SUPPORTED_CODEX_VERSIONS {
            assert_eq!(select_version(version).expect("supported"), *version);
        }
        let Err(Error::RealCodexUnavailable { version, reason }) = select_version("0.170.0") else {
            panic!("0.170.0 is not supported");
        };
        assert_eq!(version, "0.170.0");
        assert!(
            reason.contains(CODEX_VERSION_VAR) && reason.contains("0.169.0, 0.171.0"),
            "{reason}"
        );
    }

    #[test]
    fn the_default_is_the_newest_supported_version() {
        assert_eq!(
            SUPPORTED_CODEX_VERSIONS.last(),
            Some(&DEFAULT_CODEX_VERSION)
        );
    }

    #[test]
    fn each_version_has_its_own_prefix() {
        let prefixes: Vec<PathBuf> = SUPPORTED_CODEX_VERSIONS
            .iter()
            .map(|version| install_prefix(version))
            .collect();
        for (prefix, version) in prefixes.iter().zip(SUPPORTED_CODEX_VERSIONS) {
            assert!(
                prefix.ends_with(Path::new("target/codex").join(version)),
                "{prefix:?}"
            );
        }
        assert_ne!(prefixes[0], prefixes[1]);
    }

    /// Every supported version has its app-server schema bundle vendored (codex-agent-protocol's
    /// drift test checks the types against each), and nothing else is vendored.
    #[test]
    fn every_supported_version_has_a_vendored_schema_bundle() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/app-server-schema");
        let mut vendored: Vec<String> = std::fs::read_dir(&dir)
            .expect("fixtures/app-server-schema exists")
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.join("stable").is_dir() && path.join("experimental").is_dir())
            .filter_map(|path| path.file_name()?.to_str().map(str::to_owned))
            .collect();
        vendored.sort();
        assert_eq!(vendored, SUPPORTED_CODEX_VERSIONS);
    }
}
