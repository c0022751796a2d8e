//! The reference MCP peer of the integration tests: `@modelcontextprotocol/server-everything`
//! from npm, installed like the real codex (`npm install --prefix
//! <root>/mcp/server-everything/<version>`, once, under an exclusive file lock; `<root>` is
//! [`install_root`](crate::install_root), `<workspace>/target` in a checkout of this
//! repository).
//!
//! A test that needs it calls [`server_everything`] and fails with its error; it never skips.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::Error;

/// The pinned version of `@modelcontextprotocol/server-everything`.
pub const SERVER_EVERYTHING_VERSION: &str = "2026.8.31";

/// Where the pinned version is installed (an npm prefix).
#[must_use]
pub fn install_prefix() -> PathBuf {
    crate::install_root()
        .join("mcp")
        .join("server-everything")
        .join(SERVER_EVERYTHING_VERSION)
}

/// The server's entry point (`dist/index.js`; run it as `node <path> stdio` or
/// `node <path> streamableHttp` with `PORT` set), installed first when missing.
///
/// Blocking: the first call runs `npm install` (seconds to tens of seconds).
///
/// # Errors
///
/// [`Error::McpServerUnavailable`] when npm is missing or the install fails.
pub fn server_everything() -> Result<PathBuf, Error> {
    let prefix = install_prefix();
    let entry = prefix.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    if entry.is_file() {
        return Ok(entry);
    }
    let _lock = crate::real_codex::lock_install_dir(&prefix)?;
    if !entry.is_file() {
        npm_install(&prefix)?;
    }
    if entry.is_file() {
        Ok(entry)
    } else {
        Err(unavailable(format!(
            "npm install finished but {} is missing",
            entry.display()
        )))
    }
}

fn unavailable(reason: String) -> Error {
    let reason = if std::env::var_os("CI").is_some() {
        format!("{reason} (CI is set: tests that need it fail rather than skip)")
    } else {
        reason
    };
    Error::McpServerUnavailable { reason }
}

#[expect(
    clippy::disallowed_methods,
    reason = "test support installs the reference MCP server with npm"
)]
fn npm_install(prefix: &Path) -> Result<(), Error> {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let package = format!("@modelcontextprotocol/server-everything@{SERVER_EVERYTHING_VERSION}");
    let output = std::process::Command::new(npm)
        .arg("install")
        .arg("--prefix")
        .arg(prefix)
        .args(["--no-audit", "--no-fund", "--save-exact"])
        .arg(&package)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| {
            unavailable(format!("could not run `{npm}` ({error}); install Node.js"))
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(unavailable(format!(
        "`npm install --prefix {} {package}` failed ({}); npm said:\n{}",
        prefix.display(),
        output.status,
        tail.join("\n")
    )))
}
