//! Typed, forward-compatible wire types for the OpenAI Codex CLI.
//!
//! This crate is pure: it knows nothing about processes, async runtimes or IO. It turns what
//! the codex CLI writes into typed values and back, without losing data and without panicking:
//!
//! - [`exec`]: the JSONL events of `codex exec --json` ([`exec::ThreadEvent`]);
//! - [`app_server`]: the JSON-RPC messages of `codex app-server`
//!   ([`app_server::parse_server_message`], [`app_server::parse_client_message`]);
//! - [`projection`]: the app-server model projected onto the exec model
//!   ([`projection::item`], [`projection::TurnProjection`]), so that both transports yield
//!   the same events and items.
//!
//! Supported codex versions: 0.169.0 through 0.171.0, except 0.170.0, whose npm package is
//! broken (it names platform packages that were never published). The transcripts in
//! `fixtures/codex-0.169.0/` are live captures of 0.169.0, whose `codex exec --json` output
//! 0.171.0 repeats; the app-server types are checked against the schema bundles of both
//! versions and parse what either sends, including the two shapes of
//! [`app_server::AgentMessageDisplay`]. Newer versions parse too: every event, item, method,
//! status and kind enum is `#[non_exhaustive]` and has an `Unknown` variant that keeps the raw
//! JSON, and unknown fields on known types are kept in `extra` maps. Strict parsers
//! ([`exec::parse_event_strict`], [`app_server::parse_server_message_strict`]) reject unknowns
//! instead, for tests.
//!
//! ```
//! use codex_agent_protocol::exec::{parse_event, ThreadEvent};
//!
//! let line = r#"{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"Hi there!"}}"#;
//! let event = parse_event(line)?;
//! assert_eq!(event.event_type(), "item.completed");
//! assert_eq!(event.item().map(|i| i.item_type()), Some("agent_message"));
//! # Ok::<(), codex_agent_protocol::ParseError>(())
//! ```
//!
//! Errors are [`ParseError`]s: they name the line (when known) and the reason, and hold a
//! bounded excerpt of at most [`MAX_EXCERPT_CHARS`] characters, never the whole line.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod app_server;
mod error;
pub mod exec;
mod fast_json;
pub mod history;
pub mod projection;
mod raw_json;
pub mod rollout;
mod schema;
pub mod secret;
pub mod structured;
mod wire;

/// Entry points for the fuzz targets in `fuzz/` (built only with `--cfg fuzzing`, which
/// `cargo fuzz` sets).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    /// Checks the fast JSON path against `serde_json` on `data` (see the `exec_line` fuzz
    /// target).
    ///
    /// # Panics
    ///
    /// When the fast path returns a value `serde_json` does not, which is the bug the fuzzer
    /// looks for.
    pub fn fast_json(data: &[u8]) {
        if let Ok(text) = std::str::from_utf8(data) {
            crate::fast_json::check_against_serde(text);
        }
    }
}

pub use error::{MAX_EXCERPT_CHARS, ParseError};
pub use raw_json::RawJson;
pub use schema::schemas;
pub use secret::{REDACTED, Redactor, Secret};
pub use wire::Unknowns;
