//! App-server protocol tests: every live transcript parses strictly and round-trips, the
//! modeled types agree with codex's vendored JSON schema bundles, synthetic
//! forward-compatibility cases, and no-panic properties.

mod drift;
mod properties;
mod synthetic;
mod transcripts;

use std::path::{Path, PathBuf};

/// The repository's `fixtures/` directory.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}
