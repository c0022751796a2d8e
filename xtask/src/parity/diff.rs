//! Structural differences between two normalized observations, and the allow-list
//! (`fixtures/parity/allowlist.json`) that explains the intentional ones.
//!
//! A [`Difference`] is a path (`turns[0].events[2].item.text`,
//! `invocations[0].env.CODEX_INTERNAL_ORIGINATOR_OVERRIDE`, `requests[1].headers.originator`)
//! with the TypeScript and the Rust value, `None` when that side has nothing there. An
//! [`Entry`] of the allow-list matches a difference by scenario, mode, path and (optionally) the
//! two values, with `*` matching any run of characters; each entry states why the difference
//! is intended.

use serde::Deserialize;
use serde_json::Value;

/// One difference between the TypeScript and the Rust observation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Difference {
    /// Where, e.g. `requests[0].headers.originator`.
    pub(crate) path: String,
    /// The TypeScript SDK's value, if it has one there.
    pub(crate) ts: Option<Value>,
    /// codex-agent-sdk's value, if it has one there.
    pub(crate) rs: Option<Value>,
}

/// Every difference between `ts` and `rs`, in walk order.
pub(crate) fn diff(ts: &Value, rs: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    walk(String::new(), Some(ts), Some(rs), &mut out);
    out
}

fn walk(path: String, ts: Option<&Value>, rs: Option<&Value>, out: &mut Vec<Difference>) {
    match (ts, rs) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(child, a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                walk(format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(Difference {
            path,
            ts: a.cloned(),
            rs: b.cloned(),
        }),
    }
}

/// The allow-list file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Allowlist {
    /// What the file is, for its readers.
    #[serde(rename = "$comment", default)]
    pub(crate) _comment: Vec<String>,
    /// The entries.
    pub(crate) entries: Vec<Entry>,
}

/// One intended difference.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    /// A short name, shown in the report.
    pub(crate) id: String,
    /// Scenario name patterns; `["*"]` by default.
    #[serde(default = "everything")]
    pub(crate) scenarios: Vec<String>,
    /// Mode patterns (`streamed`, `run`); `["*"]` by default.
    #[serde(default = "everything")]
    pub(crate) modes: Vec<String>,
    /// The path pattern.
    pub(crate) path: String,
    /// The TypeScript value pattern (strings as they are, other values as JSON, `<missing>`
    /// when absent); any value when not given.
    #[serde(default)]
    pub(crate) ts: Option<String>,
    /// The Rust value pattern, as for `ts`.
    #[serde(default)]
    pub(crate) rs: Option<String>,
    /// Why the difference is intended.
    pub(crate) reason: String,
}

fn everything() -> Vec<String> {
    vec!["*".to_owned()]
}

impl Entry {
    /// Whether this entry explains `difference` in `scenario`'s `mode` run.
    pub(crate) fn matches(&self, scenario: &str, mode: &str, difference: &Difference) -> bool {
        self.scenarios.iter().any(|p| glob(p, scenario))
            && self.modes.iter().any(|p| glob(p, mode))
            && glob(&self.path, &difference.path)
            && self
                .ts
                .as_deref()
                .is_none_or(|p| glob(p, &render(difference.ts.as_ref())))
            && self
                .rs
                .as_deref()
                .is_none_or(|p| glob(p, &render(difference.rs.as_ref())))
    }
}

impl Allowlist {
    /// Reads and checks the file: ids must be unique and reasons present.
    pub(crate) fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let list: Self = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a valid allow-list: {e}", path.display()))?;
        let mut ids: Vec<&str> = list.entries.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        let duplicate = ids.windows(2).find_map(|pair| match pair {
            [a, b] if a == b => Some(*a),
            _ => None,
        });
        if let Some(id) = duplicate {
            return Err(format!("{}: duplicate id `{id}`", path.display()));
        }
        if let Some(entry) = list.entries.iter().find(|e| e.reason.trim().is_empty()) {
            return Err(format!(
                "{}: entry `{}` has no reason",
                path.display(),
                entry.id
            ));
        }
        Ok(list)
    }

    /// The first entry explaining `difference`.
    pub(crate) fn explain(
        &self,
        scenario: &str,
        mode: &str,
        difference: &Difference,
    ) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|entry| entry.matches(scenario, mode, difference))
    }
}

/// A value as allow-list patterns see it.
pub(crate) fn render(value: Option<&Value>) -> String {
    match value {
        None => "<missing>".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters (even none) and
/// everything else matches itself.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Classic wildcard matching with backtracking to the last star.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn differences_name_paths_and_missing_sides() {
        let ts = json!({"a": [1, 2, 3], "b": {"x": "ts"}, "same": true});
        let rs = json!({"a": [1, 5], "b": {"x": "rs", "y": null}, "same": true});
        assert_eq!(
            diff(&ts, &rs),
            vec![
                Difference {
                    path: "a[1]".into(),
                    ts: Some(json!(2)),
                    rs: Some(json!(5))
                },
                Difference {
                    path: "a[2]".into(),
                    ts: Some(json!(3)),
                    rs: None
                },
                Difference {
                    path: "b.x".into(),
                    ts: Some(json!("ts")),
                    rs: Some(json!("rs"))
                },
                Difference {
                    path: "b.y".into(),
                    ts: None,
                    rs: Some(json!(null))
                },
            ]
        );
    }

    #[test]
    fn globs_match_runs_of_anything() {
        assert!(glob("*", ""));
        assert!(glob(
            "requests[*].headers.originator",
            "requests[12].headers.originator"
        ));
        assert!(glob(
            "Codex Exec exited with code *",
            "Codex Exec exited with code 1: boom"
        ));
        assert!(glob("a*b*c", "aXXbYYbc"));
        assert!(!glob("a*b", "a"));
        assert!(!glob("requests[*].body", "requests[0].headers"));
    }

    #[test]
    fn the_committed_allowlist_loads() {
        let path = crate::project_root().join("fixtures/parity/allowlist.json");
        let list = Allowlist::load(&path).expect("the allow-list loads");
        assert!(!list.entries.is_empty());
    }

    #[test]
    fn entries_match_on_scenario_mode_path_and_values() {
        let entry: Entry = serde_json::from_value(json!({
            "id": "originator",
            "scenarios": ["plain", "resume*"],
            "path": "*.env.CODEX_INTERNAL_ORIGINATOR_OVERRIDE",
            "ts": "codex_sdk_ts",
            "rs": "codex_sdk_rs",
            "reason": "each SDK names itself",
        }))
        .expect("an entry");
        let difference = Difference {
            path: "invocations[0].env.CODEX_INTERNAL_ORIGINATOR_OVERRIDE".into(),
            ts: Some(json!("codex_sdk_ts")),
            rs: Some(json!("codex_sdk_rs")),
        };
        assert!(entry.matches("resume-by-id", "run", &difference));
        assert!(!entry.matches("images", "run", &difference));
        let other = Difference {
            rs: Some(json!("my_app")),
            ..difference
        };
        assert!(!entry.matches("plain", "streamed", &other));
    }
}
