//! The integration tests of codex-exec, one module per area, in one binary so the build stays
//! fast.

mod argv_golden;
