//! Attachment staging for codex-sdk-rs.
//!
//! **Status: not yet implemented.** This crate's issue has not come yet; it holds no API.
//!
//! When it lands, this crate will own staging of files handed to codex (images and other
//! attachments): sha256 content addressing, de-duplication, lifecycle and cleanup, so that no
//! temporary file outlives the turn that needed it.
//!
//! It depends on `codex-protocol` only and never spawns processes.
