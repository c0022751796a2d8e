//! `grep` and `list_files`, on ripgrep's crates.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{BinaryDetection, Searcher, SearcherBuilder, Sink, SinkMatch};
use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};
use schemars::JsonSchema;
use serde::Deserialize;

use super::resolve_within;
use crate::tools::{Tool, ToolError};

/// The most characters of one matching line kept in the output.
const MAX_LINE_CHARS: usize = 400;

/// Limits of the [`grep`] tool.
#[derive(Debug, Clone)]
#[must_use]
#[non_exhaustive]
pub struct GrepOptions {
    max_matches: usize,
    max_bytes: usize,
}

impl Default for GrepOptions {
    fn default() -> Self {
        Self {
            max_matches: 200,
            max_bytes: 32 * 1024,
        }
    }
}

impl GrepOptions {
    /// The defaults described on each setter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The most matching lines reported; the search stops there. By default, 200.
    pub fn max_matches(mut self, matches: usize) -> Self {
        self.max_matches = matches;
        self
    }

    /// The most bytes of output; the search stops there. By default, 32 KiB.
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }
}

/// What the model asks [`grep`] for.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct GrepRequest {
    /// A regular expression (Rust regex syntax, as ripgrep's).
    pub pattern: String,
    /// A directory or file to search, relative to the root; by default the root itself.
    pub path: Option<String>,
    /// Match without regard to case.
    pub ignore_case: Option<bool>,
    /// Only search files whose path matches this glob (such as `*.rs`).
    pub glob: Option<String>,
}

impl GrepRequest {
    /// A search for `pattern` under the whole root.
    #[must_use]
    pub fn new(pattern: impl Into<String>) -> Self {
        Self {
            pattern: pattern.into(),
            path: None,
            ignore_case: None,
            glob: None,
        }
    }
}

/// One matching line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct GrepMatch {
    /// The file, relative to the root.
    pub path: String,
    /// The line number (1-based).
    pub line: u64,
    /// The line, without its terminator, cut at 400 characters.
    pub text: String,
}

/// What a search found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GrepOutput {
    /// The matches, sorted by path and line.
    pub matches: Vec<GrepMatch>,
    /// The search stopped at a cap; there may be more.
    pub truncated: bool,
}

impl GrepOutput {
    /// `path:line:text` lines, as ripgrep prints them, and a last line saying when the output
    /// was cut.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        for found in &self.matches {
            let _ = writeln!(out, "{}:{}:{}", found.path, found.line, found.text);
        }
        if self.matches.is_empty() {
            out.push_str("no matches\n");
        }
        if self.truncated {
            out.push_str("[… more matches not shown: the output reached its limit]\n");
        }
        out
    }
}

/// A searcher over one root directory.
#[derive(Debug, Clone)]
pub struct Grep {
    root: PathBuf,
    options: GrepOptions,
}

impl Grep {
    /// Searches under `root` with `options`.
    #[must_use]
    pub fn new(root: impl Into<PathBuf>, options: GrepOptions) -> Self {
        Self {
            root: root.into(),
            options,
        }
    }

    /// Runs one search (blocking; in parallel over the files, like ripgrep).
    ///
    /// # Errors
    ///
    /// A [`ToolError`] naming the pattern when it does not compile, or the path when it is
    /// outside the root or missing, or the glob when it is invalid.
    pub fn search(&self, request: &GrepRequest) -> Result<GrepOutput, ToolError> {
        let start = resolve_within(&self.root, request.path.as_deref())?;
        let root = resolve_within(&self.root, None)?;
        let matcher = RegexMatcherBuilder::new()
            .case_insensitive(request.ignore_case.unwrap_or(false))
            .line_terminator(Some(b'\n'))
            .build(&request.pattern)
            .map_err(|error| {
                ToolError::new(format!(
                    "the pattern `{}` does not compile: {error}",
                    request.pattern
                ))
            })?;
        let walk = walker(&start, request.glob.as_deref())?;
        let state = Collected {
            found: Mutex::new((Vec::new(), 0)),
            full: AtomicBool::new(false),
            max_matches: self.options.max_matches,
            max_bytes: self.options.max_bytes,
        };
        walk.build_parallel().run(|| {
            let matcher = matcher.clone();
            let state = &state;
            let root = &root;
            let mut searcher = SearcherBuilder::new()
                .binary_detection(BinaryDetection::quit(0))
                .line_number(true)
                .build();
            Box::new(move |entry| {
                if state.full.load(Ordering::Relaxed) {
                    return WalkState::Quit;
                }
                let Ok(entry) = entry else {
                    return WalkState::Continue;
                };
                if !entry.file_type().is_some_and(|kind| kind.is_file()) {
                    return WalkState::Continue;
                }
                search_file(&mut searcher, &matcher, entry.path(), root, state)
            })
        });
        let (mut found, _) = state
            .found
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        found.sort();
        Ok(GrepOutput {
            matches: found,
            truncated: state.full.into_inner(),
        })
    }
}

/// A walker over `start`: `.gitignore` (also outside Git repositories), `.ignore`, hidden
/// files skipped, optionally one glob.
fn walker(start: &Path, glob: Option<&str>) -> Result<WalkBuilder, ToolError> {
    let mut walk = WalkBuilder::new(start);
    walk.require_git(false);
    if let Some(glob) = glob {
        let mut overrides = OverrideBuilder::new(start);
        overrides
            .add(glob)
            .map_err(|error| ToolError::new(format!("the glob `{glob}` is invalid: {error}")))?;
        let overrides = overrides
            .build()
            .map_err(|error| ToolError::new(format!("the glob `{glob}` is invalid: {error}")))?;
        walk.overrides(overrides);
    }
    Ok(walk)
}

/// The matches so far (and their bytes), shared by the walker's threads.
struct Collected {
    found: Mutex<(Vec<GrepMatch>, usize)>,
    full: AtomicBool,
    max_matches: usize,
    max_bytes: usize,
}

fn search_file(
    searcher: &mut Searcher,
    matcher: &RegexMatcher,
    path: &Path,
    root: &Path,
    state: &Collected,
) -> WalkState {
    let mut sink = FileSink::default();
    if searcher.search_path(matcher, path, &mut sink).is_err()
        || sink.binary
        || sink.lines.is_empty()
    {
        return WalkState::Continue;
    }
    let relative = path
        .strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned();
    let mut found = state.found.lock().unwrap_or_else(PoisonError::into_inner);
    for (line, text) in sink.lines {
        let size = relative.len() + text.len() + 24;
        if found.0.len() >= state.max_matches || found.1 + size > state.max_bytes {
            state.full.store(true, Ordering::Relaxed);
            return WalkState::Quit;
        }
        found.1 += size;
        found.0.push(GrepMatch {
            path: relative.clone(),
            line,
            text,
        });
    }
    WalkState::Continue
}

/// One file's matching lines; dropped whole when the file turns out to be binary.
#[derive(Default)]
struct FileSink {
    lines: Vec<(u64, String)>,
    binary: bool,
}

impl Sink for FileSink {
    type Error = io::Error;

    fn matched(&mut self, _: &Searcher, found: &SinkMatch<'_>) -> Result<bool, io::Error> {
        let text = String::from_utf8_lossy(found.bytes());
        let text = text.trim_end_matches(['\n', '\r']);
        let text: String = text.chars().take(MAX_LINE_CHARS).collect();
        self.lines
            .push((found.line_number().unwrap_or_default(), text));
        Ok(true)
    }

    fn binary_data(&mut self, _: &Searcher, _: u64) -> Result<bool, io::Error> {
        self.binary = true;
        Ok(false)
    }
}

/// The `grep` tool: searches the files under `root` for a regex, `.gitignore` respected,
/// binary files skipped, the output capped by `options`.
pub fn grep(root: impl Into<PathBuf>, options: GrepOptions) -> Tool {
    let grep = Arc::new(Grep::new(root, options));
    Tool::typed(
        "grep",
        "Search the files of the workspace for a regular expression (ripgrep syntax). \
         Respects .gitignore, skips binary and hidden files. Returns `path:line:text` lines.",
        move |request: GrepRequest| {
            let grep = grep.clone();
            async move {
                let output = tokio::task::spawn_blocking(move || grep.search(&request))
                    .await
                    .map_err(|error| ToolError::new(format!("the search failed: {error}")))??;
                Ok::<_, ToolError>(output.render())
            }
        },
    )
    .read_only(true)
}

/// Limits of the [`list_files`] tool.
#[derive(Debug, Clone)]
#[must_use]
#[non_exhaustive]
pub struct ListFilesOptions {
    max_entries: usize,
}

impl Default for ListFilesOptions {
    fn default() -> Self {
        Self { max_entries: 1000 }
    }
}

impl ListFilesOptions {
    /// The defaults described on each setter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The most paths listed. By default, 1000.
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries;
        self
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ListRequest {
    /// A directory relative to the root; by default the root itself.
    path: Option<String>,
    /// Only list files whose path matches this glob (such as `*.rs`).
    glob: Option<String>,
}

/// The `list_files` tool: the files under `root` (relative paths, sorted), `.gitignore`
/// respected, hidden files skipped, at most `max_entries`.
pub fn list_files(root: impl Into<PathBuf>, options: &ListFilesOptions) -> Tool {
    let root: Arc<Path> = Arc::from(root.into());
    let max = options.max_entries;
    Tool::typed(
        "list_files",
        "List the files of the workspace (relative paths), respecting .gitignore.",
        move |request: ListRequest| {
            let root = root.clone();
            async move {
                tokio::task::spawn_blocking(move || list(&root, &request, max))
                    .await
                    .map_err(|error| ToolError::new(format!("listing failed: {error}")))?
            }
        },
    )
    .read_only(true)
}

fn list(root: &Path, request: &ListRequest, max: usize) -> Result<String, ToolError> {
    let start = resolve_within(root, request.path.as_deref())?;
    let base = resolve_within(root, None)?;
    let mut paths = Vec::new();
    let mut truncated = false;
    for entry in walker(&start, request.glob.as_deref())?.build().flatten() {
        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
            continue;
        }
        if paths.len() == max {
            truncated = true;
            break;
        }
        paths.push(
            entry
                .path()
                .strip_prefix(&base)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .into_owned(),
        );
    }
    paths.sort();
    let mut out = paths.join("\n");
    if truncated {
        let _ = write!(
            out,
            "\n[… more files not shown: the list reached its limit of {max}]"
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use pretty_assertions::assert_eq;

    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        fs::create_dir_all(root.join("src")).expect("mkdir");
        fs::write(root.join("src/a.rs"), "fn main() {}\nlet needle = 1;\n").expect("write");
        fs::write(root.join("src/b.txt"), "no match\nNEEDLE upper\n").expect("write");
        fs::write(root.join("ignored.log"), "needle in an ignored file\n").expect("write");
        fs::write(root.join(".gitignore"), "*.log\n").expect("write");
        fs::write(root.join("blob.bin"), b"needle\0\x01\x02binary").expect("write");
        dir
    }

    fn found(output: &GrepOutput) -> Vec<(&str, u64)> {
        output
            .matches
            .iter()
            .map(|found| (found.path.as_str(), found.line))
            .collect()
    }

    #[test]
    fn gitignored_and_binary_files_are_skipped() {
        let dir = tree();
        let grep = Grep::new(dir.path(), GrepOptions::new());
        let output = grep.search(&GrepRequest::new("needle")).expect("search");
        assert_eq!(found(&output), [("src/a.rs", 2)]);
        assert!(!output.truncated);
        assert_eq!(output.render(), "src/a.rs:2:let needle = 1;\n");
    }

    #[test]
    fn case_globs_and_paths_narrow_the_search() {
        let dir = tree();
        let grep = Grep::new(dir.path(), GrepOptions::new());
        let mut request = GrepRequest::new("needle");
        request.ignore_case = Some(true);
        assert_eq!(
            found(&grep.search(&request).expect("search")),
            [("src/a.rs", 2), ("src/b.txt", 2)]
        );
        request.glob = Some("*.txt".to_owned());
        assert_eq!(
            found(&grep.search(&request).expect("search")),
            [("src/b.txt", 2)]
        );
        request.glob = None;
        request.path = Some("src".to_owned());
        assert_eq!(grep.search(&request).expect("search").matches.len(), 2);
    }

    #[test]
    fn the_caps_stop_the_search_and_say_so() {
        let dir = tempfile::tempdir().expect("temp dir");
        for i in 0..20 {
            fs::write(dir.path().join(format!("{i}.txt")), "hit\nhit\nhit\n").expect("write");
        }
        let output = Grep::new(dir.path(), GrepOptions::new().max_matches(5))
            .search(&GrepRequest::new("hit"))
            .expect("search");
        assert_eq!(output.matches.len(), 5);
        assert!(output.truncated);
        assert!(output.render().ends_with("the output reached its limit]\n"));
        let output = Grep::new(dir.path(), GrepOptions::new().max_bytes(100))
            .search(&GrepRequest::new("hit"))
            .expect("search");
        assert!(output.truncated && output.render().len() < 200);
    }

    #[test]
    fn a_bad_pattern_is_a_tool_error_naming_it() {
        let dir = tree();
        let error = Grep::new(dir.path(), GrepOptions::new())
            .search(&GrepRequest::new("a(b"))
            .expect_err("does not compile");
        assert!(
            error
                .message()
                .starts_with("the pattern `a(b` does not compile"),
            "{error}"
        );
    }

    #[test]
    fn paths_outside_the_root_are_refused() {
        let dir = tree();
        let grep = Grep::new(dir.path().join("src"), GrepOptions::new());
        for path in ["..", "/etc", "../ignored.log"] {
            let mut request = GrepRequest::new("needle");
            request.path = Some(path.to_owned());
            let error = grep.search(&request).expect_err(path);
            assert!(error.message().contains(path), "{error}");
        }
    }

    #[tokio::test]
    async fn list_files_respects_gitignore_and_its_cap() {
        let dir = tree();
        let registry = crate::registry::ToolRegistry::new()
            .with(list_files(dir.path(), &ListFilesOptions::new()))
            .and_then(|registry| {
                registry.with(
                    list_files(dir.path(), &ListFilesOptions::new().max_entries(1))
                        .namespace("capped"),
                )
            })
            .expect("register");
        let session = registry.session();
        let listed = session
            .call(
                None,
                "list_files",
                serde_json::json!({"path": null, "glob": null}),
            )
            .await
            .expect("list");
        assert_eq!(
            listed.items(),
            crate::tools::ToolOutput::text("blob.bin\nsrc/a.rs\nsrc/b.txt").items()
        );
        let capped = session
            .call(
                Some("capped"),
                "list_files",
                serde_json::json!({"path": null, "glob": null}),
            )
            .await
            .expect("list");
        let capped = serde_json::to_string(capped.items()).expect("json");
        assert!(capped.contains("more files not shown"), "{capped}");
    }
}
