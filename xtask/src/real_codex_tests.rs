//! The real-codex test tier as data: which tests run the real codex CLI, so that `verify` can
//! run them once more under every supported codex version besides the default one.
//!
//! The tests find the binary through `codex_agent_testkit::real_codex`, which installs the version
//! `CODEX_SDK_TEST_CODEX_VERSION` names (0.171.0 when unset). `verify`'s `test` step runs the
//! whole workspace with the default version; its `test-codex-versions` step runs [`TIER`]
//! again with the variable set to each other supported version.
//!
//! The list is kept complete by `tidy`: a source file whose code calls the testkit's locator
//! (`real_codex(…)`, `real_codex_of(…)`) must lie under one of the [`TIER`] paths
//! ([`uncovered`]), and every path must exist. The check is textual: a test that reaches the
//! real codex only through a helper defined in another file is covered when that file's
//! binary or module is in the tier, as the whole `codex-agent-sdk` integration binary is.

use std::collections::BTreeSet;
use std::path::Path;

/// Tests that run the real codex: where they live, and how nextest selects them.
pub(crate) struct Entry {
    /// A file, or a directory ending in `/`, relative to the workspace root.
    pub(crate) path: &'static str,
    /// The package the tests belong to, for the `cargo test -p` fallback without nextest.
    pub(crate) package: &'static str,
    /// The nextest filterset expression that selects them.
    pub(crate) filter: &'static str,
}

/// Every place a test runs the real codex.
pub(crate) const TIER: &[Entry] = &[
    // The facade's integration tests drive the real codex almost throughout (`support.rs`),
    // including `remote.rs`: real `codex app-server --listen ws://127.0.0.1:PORT` peers with
    // token auth (testkit's `remote_server`), a pool of two, a killed server.
    Entry {
        path: "crates/codex-sdk/tests/it/",
        package: "codex-agent-sdk",
        filter: "binary_id(codex-agent-sdk::it)",
    },
    Entry {
        path: "crates/codex-exec/tests/it/app_server.rs",
        package: "codex-agent-exec",
        filter: "binary_id(codex-agent-exec::it) & test(/^app_server::/)",
    },
    Entry {
        path: "crates/codex-exec/tests/it/real_errors.rs",
        package: "codex-agent-exec",
        filter: "binary_id(codex-agent-exec::it) & test(/^real_errors::/)",
    },
    Entry {
        path: "crates/codex-exec/src/app_server/capabilities.rs",
        package: "codex-agent-exec",
        filter: "binary_id(codex-agent-exec) & test(/^app_server::capabilities::/)",
    },
    Entry {
        path: "crates/codex-exec/src/discovery.rs",
        package: "codex-agent-exec",
        filter: "binary_id(codex-agent-exec) & test(/^discovery::/)",
    },
    Entry {
        path: "crates/codex-testkit/tests/it/real_codex_smoke.rs",
        package: "codex-agent-testkit",
        filter: "binary_id(codex-agent-testkit::it) & test(/^real_codex_smoke::/)",
    },
    // The batch runner's integration tests run real codex turns (`support.rs`).
    Entry {
        path: "crates/codex-batch/tests/it/",
        package: "codex-agent-batch",
        filter: "binary_id(codex-agent-batch::it)",
    },
];

/// Files that may call the locator without being tests: its own definition.
const NOT_TESTS: &[&str] = &["crates/codex-testkit/src/real_codex.rs", "xtask/"];

/// The nextest filterset that selects the whole tier.
pub(crate) fn filter() -> String {
    TIER.iter()
        .map(|entry| format!("({})", entry.filter))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The packages of the tier, for `cargo test -p` when nextest is missing.
pub(crate) fn packages() -> BTreeSet<&'static str> {
    TIER.iter().map(|entry| entry.package).collect()
}

/// Whether `code` (comments and literals blanked) calls the testkit's real-codex locator.
fn calls_real_codex(code: &str) -> bool {
    code.contains("real_codex(") || code.contains("real_codex_of(")
}

/// The problem with the file `shown` (relative, `/`-separated) whose blanked code is `code`:
/// it calls the locator but no [`TIER`] path covers it.
pub(crate) fn uncovered(shown: &str, code: &str) -> Option<String> {
    let covered = TIER.iter().any(|entry| shown.starts_with(entry.path))
        || NOT_TESTS.iter().any(|path| shown.starts_with(path));
    (!covered && calls_real_codex(code)).then(|| {
        format!(
            "{shown}: calls the real codex but is not in the real-codex tier \
             (xtask/src/real_codex_tests.rs), so verify would not run it under every \
             supported codex version"
        )
    })
}

/// The [`TIER`] paths that do not exist under `root`.
pub(crate) fn missing_paths(root: &Path) -> Vec<String> {
    TIER.iter()
        .filter(|entry| !root.join(entry.path).exists())
        .map(|entry| {
            format!(
                "xtask/src/real_codex_tests.rs: {} does not exist",
                entry.path
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_joins_every_entry() {
        let filter = filter();
        assert!(
            filter.starts_with("(binary_id(codex-agent-sdk::it)) | ("),
            "{filter}"
        );
        assert_eq!(filter.matches(") | (").count(), TIER.len() - 1);
        assert_eq!(
            packages().into_iter().collect::<Vec<_>>(),
            [
                "codex-agent-batch",
                "codex-agent-exec",
                "codex-agent-sdk",
                "codex-agent-testkit"
            ]
        );
    }

    #[test]
    fn callers_outside_the_tier_are_reported() {
        let call = "let codex = real_codex().expect(\"x\");";
        assert_eq!(uncovered("crates/codex-sdk/tests/it/tools.rs", call), None);
        assert_eq!(uncovered("crates/codex-exec/src/discovery.rs", call), None);
        assert_eq!(
            uncovered("crates/codex-testkit/src/real_codex.rs", call),
            None
        );
        assert_eq!(
            uncovered("crates/codex-exec/tests/it/cancel.rs", "fake()"),
            None
        );
        let problem = uncovered("crates/codex-exec/tests/it/cancel.rs", call);
        assert!(
            problem.is_some_and(|p| p.contains("not in the real-codex tier")),
            "a new caller must be listed"
        );
        assert!(uncovered("crates/codex-files/src/lib.rs", "real_codex_of(v)").is_some());
    }

    /// `.ci/run` installs exactly the supported versions before `verify` runs.
    #[test]
    fn ci_installs_every_supported_version() {
        let script = std::fs::read_to_string(crate::project_root().join(".ci/run"))
            .expect(".ci/run is readable");
        let line = script
            .lines()
            .find_map(|line| line.strip_prefix("CODEX_VERSIONS=("))
            .expect(".ci/run sets CODEX_VERSIONS=(...)");
        let versions: Vec<&str> = line.trim_end_matches(')').split_whitespace().collect();
        assert_eq!(
            versions,
            codex_agent_testkit::real_codex::SUPPORTED_CODEX_VERSIONS
        );
    }

    #[test]
    fn every_tier_path_exists() {
        assert_eq!(missing_paths(&crate::project_root()), Vec::<String>::new());
    }
}
