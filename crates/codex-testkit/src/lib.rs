//! Test support for codex-sdk-rs, shipped as a crate.
//!
//! It holds a fake `codex` binary that replays fixture transcripts with scripted faults
//! ([`fake_codex`]), a scripted mock of the OpenAI Responses API (SSE) on `127.0.0.1`
//! ([`mock_server`], [`sse`]), a throwaway `CODEX_HOME` writer ([`codex_home`]), a tiny stdio
//! MCP server with `echo` and `add` tools ([`mcp_server`]), the locator of the real
//! codex ([`real_codex`]), record/replay transports for app-server clients ([`replay`]) and a
//! synthetic exec stream of any length for benchmarks ([`synthetic`]), and a real
//! `codex app-server --listen ws://…` as a remote peer ([`remote_server`]). Other crates use it as a
//! dev-dependency only.
//!
//! # Driving the real codex against a mock model
//!
//! [`mock_server::MockServer`] is a scripted OpenAI Responses API on `127.0.0.1`: queue SSE
//! bodies built with [`sse`] (or HTTP errors, delays, gates, cut-off streams), and read back
//! every request codex made. [`codex_home::CodexHome`] writes a throwaway `CODEX_HOME` whose
//! `config.toml` points codex at the mock, so `codex exec --json --skip-git-repo-check` needs no
//! flags and no network. [`real_codex::real_codex`] finds the codex binary of the
//! selected supported version ([`real_codex::SUPPORTED_CODEX_VERSIONS`]: 0.169.0 and 0.171.0,
//! 0.171.0 by default, `CODEX_SDK_TEST_CODEX_VERSION=0.169.0` for the other), installing it
//! with npm once into `codex/<version>` under [`install_root`]: the workspace's `target/` in a
//! checkout of this repository, a per-user cache for the crate from a registry,
//! `CODEX_SDK_TEST_INSTALL_DIR` when set.
//!
//! ```no_run
//! use codex_agent_testkit::codex_home::CodexHome;
//! use codex_agent_testkit::mock_server::MockServer;
//! use codex_agent_testkit::sse::Sse;
//!
//! # async fn demo() -> Result<(), codex_agent_testkit::Error> {
//! let mock = MockServer::start().await?;
//! mock.push(Sse::message("resp-1", "Hi there!"));
//! let home = CodexHome::new(&mock)?;
//! let codex = codex_agent_testkit::real_codex::real_codex()?;
//! // Spawn `codex exec --json --skip-git-repo-check` with `home.env()` plus PATH and HOME,
//! // write the prompt to its stdin, close it, and read the JSONL from stdout.
//! # let _ = (home, codex);
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod built_binary;
pub mod codex_home;
mod error;
pub mod fake_codex;
pub mod mcp_everything;
pub mod mcp_server;
pub mod mock_server;
pub mod mutate;
pub mod process_watch;
pub mod real_codex;
pub mod remote_server;
pub mod replay;
pub mod spans;
pub mod sse;
pub mod synthetic;

pub use error::Error;

/// The workspace's root directory (two levels above this crate's manifest), without `..` in
/// the path, so that paths under it read well in messages.
#[must_use]
pub fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(std::path::Path::parent)
        .map_or_else(|| manifest.join("../.."), std::path::Path::to_path_buf)
}

/// The environment variable that names the directory [`install_root`] returns.
pub const INSTALL_DIR_VAR: &str = "CODEX_SDK_TEST_INSTALL_DIR";

/// Where the testkit installs the npm packages it runs (the real codex, MCP peers), each in a
/// directory of its own below:
///
/// 1. [`INSTALL_DIR_VAR`] (`CODEX_SDK_TEST_INSTALL_DIR`), when set and not empty (a relative
///    path is taken from the current directory);
/// 2. in a checkout of this repository, the workspace's `target/` (where `cargo xtask` and CI
///    expect `target/codex/<version>`);
/// 3. otherwise (the crate from a registry, whose sources cargo keeps read-only in its own
///    cache), a per-user cache: `$XDG_CACHE_HOME/codex-agent-testkit`, else
///    `$HOME/.cache/codex-agent-testkit`, else `codex-agent-testkit` in the temporary
///    directory.
#[must_use]
pub fn install_root() -> std::path::PathBuf {
    install_root_from(&|name| std::env::var_os(name), &workspace_root())
}

/// [`install_root`] with the environment read through `var` and the workspace at `workspace`.
fn install_root_from(
    var: &dyn Fn(&str) -> Option<std::ffi::OsString>,
    workspace: &std::path::Path,
) -> std::path::PathBuf {
    use std::path::{Path, PathBuf};
    let set = |name: &str| var(name).filter(|value| !value.is_empty());
    if let Some(dir) = set(INSTALL_DIR_VAR) {
        let dir = PathBuf::from(dir);
        return std::path::absolute(&dir).unwrap_or(dir);
    }
    // This crate's own sources where the workspace keeps them: a checkout, not a package.
    if workspace.join("Cargo.toml").is_file()
        && workspace.join("crates/codex-testkit/Cargo.toml").is_file()
    {
        return workspace.join("target");
    }
    set("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| set("HOME").map(|home| Path::new(&home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("codex-agent-testkit")
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::path::Path;

    use super::*;

    fn root(vars: &[(&str, &str)], workspace: &Path) -> std::path::PathBuf {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), OsString::from(value)))
            .collect();
        install_root_from(
            &|name| {
                vars.iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, value)| value.clone())
            },
            workspace,
        )
    }

    #[test]
    fn this_checkout_installs_under_its_target_directory() {
        assert_eq!(
            install_root_from(&|_| None, &workspace_root()),
            workspace_root().join("target")
        );
    }

    #[test]
    fn the_variable_wins_and_a_package_installs_into_the_users_cache() {
        let checkout = tempfile::tempdir().expect("a directory");
        std::fs::create_dir_all(checkout.path().join("crates/codex-testkit")).expect("mkdir");
        std::fs::write(checkout.path().join("Cargo.toml"), "").expect("written");
        std::fs::write(checkout.path().join("crates/codex-testkit/Cargo.toml"), "")
            .expect("written");
        // A registry's source directory: no workspace around the crate.
        let registry = tempfile::tempdir().expect("a directory");
        let registry = registry.path();
        let home = [("HOME", "/home/u")];

        assert_eq!(root(&[], checkout.path()), checkout.path().join("target"));
        assert_eq!(
            root(
                &[(INSTALL_DIR_VAR, "/opt/kit"), ("HOME", "/home/u")],
                checkout.path()
            ),
            Path::new("/opt/kit")
        );
        assert_eq!(
            root(&[(INSTALL_DIR_VAR, "rel")], registry),
            std::env::current_dir()
                .expect("a current directory")
                .join("rel")
        );
        assert_eq!(
            root(&home, registry),
            Path::new("/home/u/.cache/codex-agent-testkit")
        );
        assert_eq!(
            root(&[("XDG_CACHE_HOME", "/xdg"), ("HOME", "/home/u")], registry),
            Path::new("/xdg/codex-agent-testkit")
        );
        // Empty or relative values are not directories to use.
        assert_eq!(
            root(
                &[
                    (INSTALL_DIR_VAR, ""),
                    ("XDG_CACHE_HOME", "cache"),
                    ("HOME", "/home/u")
                ],
                registry
            ),
            Path::new("/home/u/.cache/codex-agent-testkit")
        );
        assert_eq!(
            root(&[], registry),
            std::env::temp_dir().join("codex-agent-testkit")
        );
    }
}
