//! Attachment staging for codex-sdk-rs: files and images handed to codex are staged once in a
//! content-addressed store, placed in a read-only view for the turn, and never left behind.
//!
//! # The store
//!
//! A [`Store`] lives under one root directory (by default [`default_root`], under the user's
//! cache directory) and may be shared by any number of processes. Every file is hashed with
//! sha256 while it is streamed into a temporary file (never read whole into memory) and
//! stored once, as `blobs/<sha256>`; writes are atomic (temporary file, `fsync`, rename) and
//! private (directories 0700, files 0600, blobs 0400 since their content never changes). A
//! manifest entry per blob records its size, checksum, media type (sniffed from the content,
//! not the name), original name, when it was staged and when it was last used.
//!
//! Every change happens under the store's file lock (`flock` on `<root>/lock`), so processes
//! staging the same bytes at once end with one blob: the second finds the first's blob under
//! the lock and drops its own temporary file.
//!
//! # Lifecycle
//!
//! - **Ephemeral** attachments (the default) belong to an [`AttachmentSet`], one per turn:
//!   dropping the set removes its view and every blob no other set uses, however the turn
//!   ended (success, error, timeout, a dropped stream).
//! - **Persistent** ones ([`Attachment::persistent`], [`Store::stage`]) stay until
//!   [`Store::remove`], until their TTL passed since their last use, or until the quota
//!   ([`StoreOptions::quota`]) evicts them, least recently used first, when no set uses them.
//! - **Garbage of crashed processes**: temporary files and sets are named after their creating
//!   process (pid, start time, pid namespace); [`Store::sweep`], which [`Store::open`] runs,
//!   removes those whose creator is dead, never by age alone, then every ephemeral blob no set
//!   uses any more.
//!
//! # What reaches the model
//!
//! Only images ([`Attachment::image`]) reach the model as images. Files and directories are
//! put in the turn's view and listed in the prompt by path; the agent reads them with its
//! tools, and the model sees only what those print.
//!
//! ```
//! use codex_agent_files::{Attachment, Store, StoreOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let notes = dir.path().join("notes.txt");
//! # std::fs::write(&notes, "remember the milk")?;
//! let store = Store::open(StoreOptions::new().root(dir.path().join("store")))?;
//! let mut set = store.new_set()?;
//! let attached = set.attach(&Attachment::file(&notes))?;
//! assert_eq!(std::fs::read_to_string(&attached.path)?, "remember the milk");
//! assert_eq!(attached.files[0].entry.media_type, "text/plain; charset=utf-8");
//! drop(set); // the view and the ephemeral blob are gone
//! assert!(store.entries()?.is_empty());
//! # Ok(()) }
//! ```
//!
//! # Events
//!
//! Each change is a `tracing` event at `DEBUG` with target `codex_agent_files` and a field `event`:
//! `staged`, `deduplicated`, `attached`, `evicted`, `removed`, `swept`, with the checksum and
//! the paths involved.
//!
//! # Rotating the store
//!
//! To move the store, point [`StoreOptions::root`] at the new directory; the old one can be
//! deleted once no process uses it (persistent entries are not carried over: stage them
//! again). Deleting `blobs/`, `manifest/` and `sets/` while processes use the store breaks
//! their running turns; deleting `tmp/` entries of live processes makes their stagings fail.
//!
//! Unix only (hard links, `flock`, permissions); the sweep of dead processes' leftovers needs
//! Linux's `/proc`. It depends on `codex-agent-protocol` only among the workspace crates and never
//! spawns processes.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod creator;
mod error;
mod set;
mod sniff;
mod store;

pub use error::Error;
pub use set::{Attached, AttachedFile, Attachment, AttachmentKind, AttachmentSet};
pub use store::{Entry, Lifetime, Store, StoreOptions, SweepReport, default_root};
