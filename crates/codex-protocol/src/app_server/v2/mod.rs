//! The v2 app-server types of codex 0.169.0 to 0.171.0, in codex's own names
//! (`ThreadStartParams`, `ThreadItem`, …) with camelCase wire fields.
//!
//! The types are checked against the JSON schema bundles codex generates
//! (`codex app-server generate-json-schema`, one per supported version, vendored under
//! `fixtures/app-server-schema/<version>/`) by this crate's drift test: names agree, every
//! field a version requires is modeled as required unless another version leaves it optional,
//! every modeled field and enum value exists in at least one version's schema, and every
//! value of every version is modeled. Fields a later version added are optional, and a type
//! whose shape changed parses both shapes (see [`AgentMessageDisplay`]).
//!
//! Module map: [`methods`](self#method-enums) (what each method carries), then the payloads —
//! handshake, threads, turns, items and their moderation, notifications, server requests,
//! status (models, account, MCP servers), shared vocabularies.
//!
//! # Method enums
//!
//! * [`ClientRequest`] / [`ClientRequestResult`] — client → server requests and their results.
//! * [`ClientNotification`] — client → server notifications.
//! * [`ServerRequest`] / [`ServerRequestResult`] — server → client requests and the answers.
//! * [`ServerNotification`] — server → client notifications.

mod common;
mod goal;
mod initialize;
mod item;
mod methods;
mod moderation;
mod notification;
mod server_request;
mod status;
mod thread;
mod turn;

pub use common::*;
pub use goal::*;
pub use initialize::*;
pub use item::*;
pub use methods::*;
pub use moderation::*;
pub use notification::*;
pub use server_request::*;
pub use status::*;
pub use thread::*;
pub use turn::*;
