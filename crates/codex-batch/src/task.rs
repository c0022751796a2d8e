//! Task sets: a JSONL file, one task per line, validated up front, with a manifest.
//!
//! A line is a JSON object with these fields (anything else is an error):
//!
//! | field | type | meaning |
//! | --- | --- | --- |
//! | `id` | string, required | unique in the file; names the task in results |
//! | `prompt` | string or non-empty list of strings, required | one turn per prompt, on one thread |
//! | `expected` | any JSON | the reference answer, kept for metrics |
//! | `output_schema` | object | a JSON Schema: the last turn's answer is structured |
//! | `images` | list of paths | attached to the first turn as images |
//! | `files` | list of paths | attached to the first turn as files |
//! | `cwd` | path | run in this directory as it is (shared, not isolated) |
//! | `workspace` | path | a template directory copied afresh for every attempt |
//! | `thread` | object | `model`, `sandbox_mode`, `reasoning_effort`, `developer_instructions`, `network_access` |
//! | `metadata` | any JSON | copied to the result untouched |
//!
//! Relative paths are relative to the task file's directory. Blank lines are skipped.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, LineProblem};

/// The longest task id accepted, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// One or several prompts: several make a multi-turn task (one thread, one turn each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Prompt {
    /// One turn.
    One(String),
    /// One turn per prompt, in order, on the same thread.
    Turns(Vec<String>),
}

impl Prompt {
    /// The prompts in turn order.
    #[must_use]
    pub fn turns(&self) -> &[String] {
        match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Turns(many) => many,
        }
    }
}

/// Per-task thread options (the subset that makes sense per task).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskThread {
    /// The model; by default codex's configured one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `read-only`, `workspace-write` or `danger-full-access`; by default codex's config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_mode: Option<String>,
    /// `minimal` … `xhigh`; by default codex's config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Extra developer instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_instructions: Option<String>,
    /// Network access for the agent's commands; by default codex's config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_access: Option<bool>,
}

/// One validated task. Paths are absolute (resolved against the task file's directory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// Unique id within the task set.
    pub id: String,
    /// The prompt or prompts.
    pub prompt: Prompt,
    /// The reference answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    /// JSON Schema of the structured answer of the last turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    /// Images for the first turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<PathBuf>,
    /// Files for the first turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<PathBuf>,
    /// A directory to run in as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// A template directory copied afresh for every attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<PathBuf>,
    /// Thread options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<TaskThread>,
    /// Free-form metadata, copied to the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// The fingerprint of a task file, stored with a run to detect a changed file on resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The task file as given.
    pub path: PathBuf,
    /// sha256 of the whole file, lowercase hex.
    pub sha256: String,
    /// The file's size in bytes.
    pub bytes: u64,
    /// Byte offset of each task's line, in file order.
    pub line_offsets: Vec<u64>,
}

/// A validated task file: its tasks in file order and its manifest.
#[derive(Debug, Clone)]
pub struct TaskSet {
    /// The tasks, in file order.
    pub tasks: Vec<Task>,
    /// The file's manifest.
    pub manifest: Manifest,
}

const FIELDS: &[&str] = &[
    "id",
    "prompt",
    "expected",
    "output_schema",
    "images",
    "files",
    "cwd",
    "workspace",
    "thread",
    "metadata",
];

impl TaskSet {
    /// Reads and validates a task file; every bad line is reported, nothing is half-loaded.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read, [`Error::InvalidTasks`] listing every
    /// problem (line, field, reason) when any line is bad.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let base = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Self::parse(path, &bytes, &base)
    }

    /// Validates the bytes of a task file; relative paths are resolved against `base`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTasks`] listing every problem when any line is bad.
    pub fn parse(path: &Path, bytes: &[u8], base: &Path) -> Result<Self, Error> {
        let mut problems = Vec::new();
        let mut tasks = Vec::new();
        let mut offsets = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut offset = 0u64;
        for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let line_no = index as u64 + 1;
            let start = offset;
            offset += raw.len() as u64 + 1;
            let Ok(text) = std::str::from_utf8(raw) else {
                problems.push(problem(line_no, "(line)", "not valid UTF-8"));
                continue;
            };
            if text.trim().is_empty() {
                continue;
            }
            let before = problems.len();
            let Some(task) = parse_line(line_no, text, base, &mut problems) else {
                continue;
            };
            if let Some(first) = seen.get(&task.id) {
                problems.push(problem(
                    line_no,
                    "id",
                    &format!("duplicate id {:?} (first on line {first})", task.id),
                ));
                continue;
            }
            seen.insert(task.id.clone(), line_no);
            if problems.len() == before {
                offsets.push(start);
                tasks.push(task);
            }
        }
        if tasks.is_empty() && problems.is_empty() {
            problems.push(problem(1, "(file)", "the task file has no tasks"));
        }
        if !problems.is_empty() {
            return Err(Error::InvalidTasks {
                path: path.to_path_buf(),
                problems,
            });
        }
        Ok(Self {
            tasks,
            manifest: Manifest {
                path: path.to_path_buf(),
                sha256: sha256_hex(bytes),
                bytes: bytes.len() as u64,
                line_offsets: offsets,
            },
        })
    }
}

/// sha256 of `bytes` in lowercase hex.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

fn problem(line: u64, field: &str, reason: &str) -> LineProblem {
    LineProblem {
        line,
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Parses one line; pushes its problems and returns the task only when it has none.
fn parse_line(line: u64, text: &str, base: &Path, problems: &mut Vec<LineProblem>) -> Option<Task> {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => {
            problems.push(problem(line, "(line)", &format!("not valid JSON: {e}")));
            return None;
        }
    };
    let Value::Object(mut object) = value else {
        problems.push(problem(line, "(line)", "not a JSON object"));
        return None;
    };
    let before = problems.len();
    for key in object.keys() {
        if !FIELDS.contains(&key.as_str()) {
            problems.push(problem(
                line,
                key,
                &format!("unknown field (expected one of {})", FIELDS.join(", ")),
            ));
        }
    }
    check_id(line, object.get("id"), problems);
    check_prompt(line, object.get("prompt"), problems);
    if object
        .get("output_schema")
        .is_some_and(|schema| !schema.is_object())
    {
        problems.push(problem(
            line,
            "output_schema",
            "must be a JSON object (a JSON Schema)",
        ));
    }
    for field in ["images", "files"] {
        resolve_list(line, field, &mut object, base, problems);
    }
    for field in ["cwd", "workspace"] {
        resolve_dir(line, field, &mut object, base, problems);
    }
    if object.contains_key("cwd") && object.contains_key("workspace") {
        problems.push(problem(
            line,
            "workspace",
            "give either cwd or workspace, not both",
        ));
    }
    if let Some(thread) = object.get("thread") {
        check_thread(line, thread, problems);
    }
    if problems.len() > before {
        return None;
    }
    match serde_json::from_value::<Task>(Value::Object(object)) {
        Ok(task) => Some(task),
        Err(e) => {
            problems.push(problem(line, "(line)", &e.to_string()));
            None
        }
    }
}

fn check_id(line: u64, id: Option<&Value>, problems: &mut Vec<LineProblem>) {
    let reason = match id {
        None => "missing (every task needs a unique string id)",
        Some(Value::String(id)) if id.trim().is_empty() => "must not be empty",
        Some(Value::String(id)) if id.len() > MAX_ID_LEN => "longer than 256 bytes",
        Some(Value::String(id)) if id.chars().any(char::is_control) => {
            "must not contain control characters"
        }
        Some(Value::String(_)) => return,
        Some(_) => "must be a string",
    };
    problems.push(problem(line, "id", reason));
}

fn check_prompt(line: u64, prompt: Option<&Value>, problems: &mut Vec<LineProblem>) {
    let reason = match prompt {
        None => "missing (a string, or a list of strings for several turns)",
        Some(Value::String(p)) if p.trim().is_empty() => "must not be empty",
        Some(Value::String(_)) => return,
        Some(Value::Array(list)) if list.is_empty() => "the list of turns must not be empty",
        Some(Value::Array(list)) => {
            match list
                .iter()
                .position(|p| p.as_str().is_none_or(|p| p.trim().is_empty()))
            {
                Some(i) => {
                    problems.push(problem(
                        line,
                        "prompt",
                        &format!("turn {} must be a non-empty string", i + 1),
                    ));
                    return;
                }
                None => return,
            }
        }
        Some(_) => "must be a string or a list of strings",
    };
    problems.push(problem(line, "prompt", reason));
}

fn check_thread(line: u64, thread: &Value, problems: &mut Vec<LineProblem>) {
    match serde_json::from_value::<TaskThread>(thread.clone()) {
        Ok(t) => {
            if t.sandbox_mode.as_deref().is_some_and(|mode| {
                !["read-only", "workspace-write", "danger-full-access"].contains(&mode)
            }) {
                problems.push(problem(
                    line,
                    "thread.sandbox_mode",
                    "must be read-only, workspace-write or danger-full-access",
                ));
            }
        }
        Err(e) => problems.push(problem(line, "thread", &e.to_string())),
    }
}

fn resolve_path(base: &Path, text: &str) -> PathBuf {
    let path = Path::new(text);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

fn resolve_list(
    line: u64,
    field: &str,
    object: &mut Map<String, Value>,
    base: &Path,
    problems: &mut Vec<LineProblem>,
) {
    let Some(value) = object.get_mut(field) else {
        return;
    };
    let Value::Array(list) = value else {
        problems.push(problem(line, field, "must be a list of paths"));
        return;
    };
    for (i, entry) in list.iter_mut().enumerate() {
        let Some(text) = entry.as_str() else {
            problems.push(problem(
                line,
                &format!("{field}[{i}]"),
                "must be a path string",
            ));
            continue;
        };
        let path = resolve_path(base, text);
        if !path.is_file() {
            problems.push(problem(
                line,
                &format!("{field}[{i}]"),
                &format!("no such file: {}", path.display()),
            ));
            continue;
        }
        *entry = Value::String(path.to_string_lossy().into_owned());
    }
}

fn resolve_dir(
    line: u64,
    field: &str,
    object: &mut Map<String, Value>,
    base: &Path,
    problems: &mut Vec<LineProblem>,
) {
    let Some(value) = object.get_mut(field) else {
        return;
    };
    let Some(text) = value.as_str() else {
        problems.push(problem(line, field, "must be a directory path string"));
        return;
    };
    let path = resolve_path(base, text);
    if !path.is_dir() {
        problems.push(problem(
            line,
            field,
            &format!("no such directory: {}", path.display()),
        ));
        return;
    }
    *value = Value::String(path.to_string_lossy().into_owned());
}

/// Parameters of a deterministic seeded split (`--split NAME --seed N --ratios a,b,c`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitSpec {
    /// The seed: the same seed gives the same split.
    pub seed: u64,
    /// The share of each split, summing to 1.
    pub ratios: Vec<f64>,
    /// The split names, one per ratio.
    pub names: Vec<String>,
}

impl SplitSpec {
    /// A split with the default names: `train,test` for two ratios, `train,val,test` for
    /// three, `split0…` otherwise.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSplit`] when a ratio is negative or not finite, or they do not sum to 1.
    pub fn new(seed: u64, ratios: Vec<f64>) -> Result<Self, Error> {
        let names = match ratios.len() {
            2 => vec!["train".to_owned(), "test".to_owned()],
            3 => vec!["train".to_owned(), "val".to_owned(), "test".to_owned()],
            n => (0..n).map(|i| format!("split{i}")).collect(),
        };
        Self::with_names(seed, ratios, names)
    }

    /// A split with explicit names.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSplit`] when the ratios are bad or the names do not match them.
    pub fn with_names(seed: u64, ratios: Vec<f64>, names: Vec<String>) -> Result<Self, Error> {
        let invalid = |reason: String| Err(Error::InvalidSplit { reason });
        if ratios.is_empty() {
            return invalid("no ratios given".to_owned());
        }
        if names.len() != ratios.len() {
            return invalid(format!("{} names for {} ratios", names.len(), ratios.len()));
        }
        if let Some(r) = ratios.iter().find(|r| !r.is_finite() || **r < 0.0) {
            return invalid(format!("ratio {r} is not a non-negative number"));
        }
        let sum: f64 = ratios.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            return invalid(format!("the ratios sum to {sum}, not 1"));
        }
        Ok(Self {
            seed,
            ratios,
            names,
        })
    }

    /// The split name of every id, in input order. Each id lands in exactly one split; the
    /// sizes follow the ratios (largest remainder), and the assignment depends only on the
    /// seed and the set of ids, not on their order.
    #[must_use]
    pub fn assign<'a>(&self, ids: &[&'a str]) -> BTreeMap<&'a str, &str> {
        let mut keyed: Vec<([u8; 32], &str)> = ids
            .iter()
            .map(|id| {
                let mut h = Sha256::new();
                h.update(self.seed.to_le_bytes());
                h.update(id.as_bytes());
                (h.finalize().into(), *id)
            })
            .collect();
        keyed.sort_unstable();
        let counts = self.counts(ids.len());
        let mut out = BTreeMap::new();
        let mut iter = keyed.into_iter();
        for (name, count) in self.names.iter().zip(counts) {
            for (_, id) in iter.by_ref().take(count) {
                out.insert(id, name.as_str());
            }
        }
        out
    }

    /// How many of `n` tasks each split gets (largest remainder, summing to `n`).
    #[must_use]
    pub fn counts(&self, n: usize) -> Vec<usize> {
        #[expect(clippy::cast_precision_loss, reason = "task counts are far below 2^52")]
        let exact: Vec<f64> = self.ratios.iter().map(|r| r * n as f64).collect();
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "non-negative and at most n"
        )]
        let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
        let mut left = n.saturating_sub(counts.iter().sum());
        let mut order: Vec<usize> = (0..counts.len()).collect();
        order.sort_by(|&a, &b| {
            let ra = exact[a] - exact[a].floor();
            let rb = exact[b] - exact[b].floor();
            rb.total_cmp(&ra).then(a.cmp(&b))
        });
        for i in order.into_iter().cycle() {
            if left == 0 {
                break;
            }
            counts[i] += 1;
            left -= 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use proptest::prelude::*;

    fn parse(text: &str) -> Result<TaskSet, Error> {
        TaskSet::parse(Path::new("tasks.jsonl"), text.as_bytes(), Path::new("/"))
    }

    fn problems(text: &str) -> Vec<String> {
        match parse(text) {
            Err(Error::InvalidTasks { problems, .. }) => {
                problems.iter().map(ToString::to_string).collect()
            }
            other => panic!("expected InvalidTasks, got {other:?}"),
        }
    }

    #[test]
    fn good_lines_parse_with_manifest() {
        let text = "{\"id\":\"a\",\"prompt\":\"hi\"}\n\n{\"id\":\"b\",\"prompt\":[\"one\",\"two\"],\"expected\":\"x\",\"metadata\":{\"k\":1}}\n";
        let set = parse(text).expect("valid");
        assert_eq!(set.tasks.len(), 2);
        assert_eq!(set.tasks[1].prompt.turns(), ["one", "two"]);
        assert_eq!(set.manifest.line_offsets, vec![0, 26]);
        assert_eq!(set.manifest.sha256, sha256_hex(text.as_bytes()));
    }

    #[test]
    fn every_bad_line_is_reported() {
        let text = concat!(
            "{\"id\":\"a\",\"prompt\":\"hi\"}\n",
            "not json\n",
            "{\"id\":\"a\",\"prompt\":\"again\"}\n",
            "{\"id\":\"c\",\"prompt\":\"x\",\"colour\":1}\n",
            "{\"id\":\"d\"}\n",
            "{\"id\":5,\"prompt\":[]}\n",
            "{\"id\":\"e\",\"prompt\":\"x\",\"images\":[\"/nope.png\"],\"thread\":{\"sandbox_mode\":\"x\"}}\n",
        );
        let got = problems(text);
        assert_eq!(got.len(), 8, "{got:#?}");
        assert!(
            got[0].starts_with("line 2: (line): not valid JSON"),
            "{got:#?}"
        );
        assert_eq!(got[1], "line 3: id: duplicate id \"a\" (first on line 1)");
        assert!(
            got[2].starts_with("line 4: colour: unknown field"),
            "{got:#?}"
        );
        assert_eq!(
            got[3],
            "line 5: prompt: missing (a string, or a list of strings for several turns)"
        );
        assert_eq!(got[4], "line 6: id: must be a string");
        assert_eq!(
            got[5],
            "line 6: prompt: the list of turns must not be empty"
        );
        assert_eq!(got[6], "line 7: images[0]: no such file: /nope.png");
        assert_eq!(
            got[7],
            "line 7: thread.sandbox_mode: must be read-only, workspace-write or danger-full-access"
        );
    }

    #[test]
    fn an_empty_file_is_an_error() {
        assert_eq!(
            problems("\n\n"),
            vec!["line 1: (file): the task file has no tasks"]
        );
    }

    #[test]
    fn bad_ratios_are_refused() {
        assert!(SplitSpec::new(1, vec![0.5, 0.4]).is_err());
        assert!(SplitSpec::new(1, vec![-0.5, 1.5]).is_err());
        assert!(SplitSpec::new(1, vec![]).is_err());
        assert!(SplitSpec::new(1, vec![0.8, 0.1, 0.1]).is_ok());
    }

    proptest! {
        #[test]
        fn splits_lose_and_duplicate_nothing(
            n in 0usize..300,
            seed in any::<u64>(),
            a in 0u32..100,
            b in 0u32..100,
        ) {
            let total = f64::from(a + b + 1);
            let ratios = vec![f64::from(a) / total, f64::from(b) / total, 1.0 / total];
            let spec = SplitSpec::new(seed, ratios).expect("valid ratios");
            let ids: Vec<String> = (0..n).map(|i| format!("task-{i}")).collect();
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            let split = spec.assign(&refs);
            prop_assert_eq!(split.len(), n);
            let counts = spec.counts(n);
            prop_assert_eq!(counts.iter().sum::<usize>(), n);
            for (name, count) in spec.names.iter().zip(&counts) {
                prop_assert_eq!(split.values().filter(|s| *s == name).count(), *count);
            }
            // Same seed, any order: the same split.
            let mut reversed = refs.clone();
            reversed.reverse();
            prop_assert_eq!(spec.assign(&reversed), split);
        }
    }
}
