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
//! with npm into `target/codex/<version>` once.
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
