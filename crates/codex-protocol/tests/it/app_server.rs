//! App-server protocol tests: every live transcript parses strictly and round-trips, the
//! modeled types agree with codex's vendored JSON schema bundles, synthetic
//! forward-compatibility cases, and no-panic properties.

mod drift;
mod properties;
mod synthetic;
mod transcripts;

use crate::fixtures;
