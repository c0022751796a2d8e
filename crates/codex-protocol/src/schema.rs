//! JSON Schemas of this crate's public types, as written by `cargo xtask schema` into
//! `fixtures/schema/`.

use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::exec;

/// Every public type whose JSON Schema is committed under `fixtures/schema/`, by file stem.
#[must_use]
pub fn schemas() -> Vec<(&'static str, Schema)> {
    fn one<T: JsonSchema>(name: &'static str) -> (&'static str, Schema) {
        (name, SchemaGenerator::default().into_root_schema_for::<T>())
    }
    vec![
        one::<exec::ThreadEvent>("exec.ThreadEvent"),
        one::<exec::ThreadItem>("exec.ThreadItem"),
        one::<exec::Usage>("exec.Usage"),
        one::<crate::app_server::ServerMessage>("app_server.ServerMessage"),
        one::<crate::app_server::ClientMessage>("app_server.ClientMessage"),
    ]
}
