//! The dependency direction of the workspace, as data, checked against `cargo metadata`.
//!
//! `codex-agent-protocol` ← `codex-agent-exec`, `codex-agent-tools`, `codex-agent-files`, `codex-agent-telemetry`,
//! `codex-agent-testkit` ← `codex-agent-sdk` ← `codex-agent-batch`. Siblings do not depend on each other, `codex-agent-testkit` is
//! only ever a dev-dependency, and `codex-agent-protocol` stays free of tokio. The rules live in
//! [`RULES`]; a workspace crate without a rule is itself a violation, so a new crate cannot
//! slip past the check.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::cmd;

/// Which workspace crates a crate may use as normal or build dependencies.
enum Allowed {
    /// Exactly these workspace crates.
    Only(&'static [&'static str]),
    /// Any workspace crate (tools that are not part of the SDK).
    Any,
}

/// The dependency rule of one workspace crate.
struct Rule {
    krate: &'static str,
    /// Workspace crates allowed as normal and build dependencies. Dev-dependencies may use
    /// these plus [`DEV_ANYWHERE`].
    allowed: Allowed,
    /// External crates that must not be normal or build dependencies.
    forbidden_external: &'static [&'static str],
}

/// Workspace crates every crate may use as a dev-dependency.
const DEV_ANYWHERE: &[&str] = &["codex-agent-testkit"];

const PROTOCOL_ONLY: Allowed = Allowed::Only(&["codex-agent-protocol"]);

/// The dependency direction, one row per workspace crate.
const RULES: &[Rule] = &[
    Rule {
        krate: "codex-agent-protocol",
        allowed: Allowed::Only(&[]),
        forbidden_external: &["tokio", "tokio-util", "tracing-subscriber"],
    },
    Rule {
        krate: "codex-agent-exec",
        allowed: PROTOCOL_ONLY,
        forbidden_external: &[],
    },
    Rule {
        krate: "codex-agent-tools",
        allowed: PROTOCOL_ONLY,
        forbidden_external: &[],
    },
    Rule {
        krate: "codex-agent-files",
        allowed: PROTOCOL_ONLY,
        forbidden_external: &[],
    },
    Rule {
        krate: "codex-agent-telemetry",
        allowed: PROTOCOL_ONLY,
        forbidden_external: &[],
    },
    Rule {
        krate: "codex-agent-testkit",
        allowed: PROTOCOL_ONLY,
        forbidden_external: &[],
    },
    Rule {
        krate: "codex-agent-sdk",
        allowed: Allowed::Only(&[
            "codex-agent-protocol",
            "codex-agent-exec",
            "codex-agent-tools",
            "codex-agent-files",
            "codex-agent-telemetry",
        ]),
        forbidden_external: &[],
    },
    Rule {
        krate: "codex-agent-batch",
        allowed: Allowed::Only(&["codex-agent-sdk"]),
        forbidden_external: &[],
    },
    Rule {
        krate: "xtask",
        allowed: Allowed::Any,
        forbidden_external: &[],
    },
];

/// Runs `cargo metadata` on the workspace and fails naming every offending edge.
pub(crate) fn check() -> Result<(), String> {
    let json = cmd::output(&mut cmd::cargo([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
    ]))?;
    let violations = violations(&json)?;
    if violations.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "dependency direction violated:\n  {}",
            violations.join("\n  ")
        ))
    }
}

/// Every rule violation in `cargo metadata --format-version 1 --no-deps` output, one line
/// each, naming the edge as `from -> to`.
fn violations(metadata: &str) -> Result<Vec<String>, String> {
    let metadata: Value = serde_json::from_str(metadata)
        .map_err(|err| format!("cargo metadata printed invalid JSON: {err}"))?;
    let packages = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata output has no `packages` array")?;
    let members: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();

    let mut violations = Vec::new();
    for package in packages {
        let name = package["name"].as_str().unwrap_or("<unnamed>");
        let Some(rule) = RULES.iter().find(|rule| rule.krate == name) else {
            violations.push(format!(
                "workspace crate `{name}` has no dependency rule; add one to RULES in xtask/src/deps.rs"
            ));
            continue;
        };
        let dependencies = package["dependencies"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        for dependency in dependencies {
            let target = dependency["name"].as_str().unwrap_or("<unnamed>");
            let kind = dependency["kind"].as_str().unwrap_or("normal");
            if let Some(reason) = edge_violation(rule, &members, target, kind) {
                violations.push(format!("{name} -> {target} ({kind} dependency): {reason}"));
            }
        }
    }
    Ok(violations)
}

/// Why the edge `rule.krate -> target` of `kind` breaks the rule, if it does.
fn edge_violation(
    rule: &Rule,
    members: &BTreeSet<&str>,
    target: &str,
    kind: &str,
) -> Option<String> {
    let dev = kind == "dev";
    if !members.contains(target) {
        let forbidden = !dev && rule.forbidden_external.contains(&target);
        return forbidden.then(|| format!("{} must not depend on {target}", rule.krate));
    }
    match rule.allowed {
        Allowed::Any => None,
        Allowed::Only(list)
            if list.contains(&target) || (dev && DEV_ANYWHERE.contains(&target)) =>
        {
            None
        }
        Allowed::Only([]) => Some(format!(
            "{} must not depend on any workspace crate",
            rule.krate
        )),
        Allowed::Only(list) => Some(format!(
            "{} may depend only on {}",
            rule.krate,
            list.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic `cargo metadata` output: `(package, [(dependency, kind)])`.
    fn metadata(packages: &[(&str, &[(&str, &str)])]) -> String {
        let packages: Vec<Value> = packages
            .iter()
            .map(|(name, deps)| {
                let deps: Vec<Value> = deps
                    .iter()
                    .map(|(dep, kind)| {
                        let kind = if *kind == "normal" {
                            Value::Null
                        } else {
                            Value::from(*kind)
                        };
                        serde_json::json!({ "name": dep, "kind": kind })
                    })
                    .collect();
                serde_json::json!({ "name": name, "dependencies": deps })
            })
            .collect();
        serde_json::json!({ "packages": packages }).to_string()
    }

    #[test]
    fn good_layering_passes() {
        let json = metadata(&[
            (
                "codex-agent-protocol",
                &[
                    ("serde", "normal"),
                    ("tokio", "dev"),
                    ("codex-agent-testkit", "dev"),
                ],
            ),
            (
                "codex-agent-exec",
                &[
                    ("codex-agent-protocol", "normal"),
                    ("tokio", "normal"),
                    ("codex-agent-testkit", "dev"),
                ],
            ),
            ("codex-agent-testkit", &[("codex-agent-protocol", "normal")]),
            (
                "codex-agent-sdk",
                &[
                    ("codex-agent-exec", "normal"),
                    ("codex-agent-protocol", "build"),
                    ("codex-agent-testkit", "dev"),
                ],
            ),
            (
                "xtask",
                &[
                    ("codex-agent-sdk", "normal"),
                    ("codex-agent-testkit", "normal"),
                ],
            ),
        ]);
        assert_eq!(violations(&json), Ok(vec![]));
    }

    #[test]
    fn bad_edges_are_named() {
        let json = metadata(&[
            (
                "codex-agent-protocol",
                &[("codex-agent-exec", "normal"), ("tokio", "normal")],
            ),
            (
                "codex-agent-exec",
                &[
                    ("codex-agent-protocol", "normal"),
                    ("codex-agent-tools", "build"),
                ],
            ),
            (
                "codex-agent-tools",
                &[
                    ("codex-agent-protocol", "normal"),
                    ("codex-agent-sdk", "dev"),
                ],
            ),
            ("codex-agent-sdk", &[("codex-agent-testkit", "normal")]),
            ("codex-agent-testkit", &[("codex-agent-protocol", "normal")]),
            ("codex-new", &[]),
        ]);
        let expected = vec![
            "codex-agent-protocol -> codex-agent-exec (normal dependency): codex-agent-protocol must not depend on any workspace crate",
            "codex-agent-protocol -> tokio (normal dependency): codex-agent-protocol must not depend on tokio",
            "codex-agent-exec -> codex-agent-tools (build dependency): codex-agent-exec may depend only on codex-agent-protocol",
            "codex-agent-tools -> codex-agent-sdk (dev dependency): codex-agent-tools may depend only on codex-agent-protocol",
            "codex-agent-sdk -> codex-agent-testkit (normal dependency): codex-agent-sdk may depend only on codex-agent-protocol, \
             codex-agent-exec, codex-agent-tools, codex-agent-files, codex-agent-telemetry",
            "workspace crate `codex-new` has no dependency rule; add one to RULES in xtask/src/deps.rs",
        ];
        assert_eq!(
            violations(&json),
            Ok(expected.into_iter().map(String::from).collect())
        );
    }

    #[test]
    fn invalid_metadata_is_an_error() {
        assert_eq!(
            violations("{}"),
            Err("cargo metadata output has no `packages` array".to_owned())
        );
    }

    #[test]
    fn workspace_follows_the_dependency_direction() {
        assert_eq!(check(), Ok(()));
    }
}
