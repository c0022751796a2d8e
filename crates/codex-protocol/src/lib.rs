//! Wire types for the OpenAI Codex CLI.

pub mod app_server;
mod error;
pub mod exec;

pub use error::{MAX_EXCERPT_CHARS, ParseError};
