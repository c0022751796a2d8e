//! Tool registry, MCP and approval policies for codex-sdk-rs.
//!
//! **Status: not yet implemented.** This crate's issue has not come yet; it holds no API.
//!
//! When it lands, this crate will own:
//!
//! - a registry of typed tools whose JSON Schemas are derived from Rust types (schemars),
//!   dispatched when codex's app-server sends `item/tool/call`;
//! - MCP integration through the official `rmcp` crate, behind the `mcp` cargo feature;
//! - approval policies (always decline, always accept, allow/deny lists on command prefixes).
//!
//! It depends on `codex-protocol` only and never spawns processes.
