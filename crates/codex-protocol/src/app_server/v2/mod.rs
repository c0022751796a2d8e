//! The v2 app-server types of codex 0.169.0, in codex's own names (`ThreadStartParams`,
//! `ThreadItem`, …) with camelCase wire fields.
//!
//! The types are checked against the JSON schema bundles codex generates
//! (`codex app-server generate-json-schema`, vendored under `fixtures/app-server-schema/`) by
//! this crate's drift test: names agree, every schema-required field is modeled as required,
//! every modeled field and enum value exists in the schema.
//!
//! Module map: [`methods`](self#method-enums) (what each method carries), then the payloads —
//! handshake, threads, turns, items, notifications, server requests, status (models, account,
//! MCP servers), shared vocabularies.
//!
//! # Method enums
//!
//! * [`ClientRequest`] / [`ClientRequestResult`] — client → server requests and their results.
//! * [`ClientNotification`] — client → server notifications.
//! * [`ServerRequest`] / [`ServerRequestResult`] — server → client requests and the answers.
//! * [`ServerNotification`] — server → client notifications.

mod common;
mod initialize;
mod item;
mod methods;
mod notification;
mod server_request;
mod status;
mod thread;
mod turn;

pub use common::*;
pub use initialize::*;
pub use item::*;
pub use methods::*;
pub use notification::*;
pub use server_request::*;
pub use status::*;
pub use thread::*;
pub use turn::*;
