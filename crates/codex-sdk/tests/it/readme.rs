//! The README's Rust snippets. Each is copied below verbatim (inside `#[rustfmt::skip]` items,
//! so formatting keeps it so), and `every_readme_snippet_is_in_this_file` fails when the README
//! and this file drift apart: the README's snippets compile, and the "Without an API key" one
//! runs, a new user's first program against the scripted mock model.
//!
//! The README's tables are checked too: every row has as many cells as its header.

use std::path::Path;

#[rustfmt::skip]
#[expect(
    dead_code,
    clippy::print_stdout,
    reason = "the README's quickstart, compiled but not run (it needs a login); clippy's \
              `result_large_err` must stay quiet on it, as it does in a user's crate"
)]
mod quickstart {
use codex_agent_sdk::{Codex, CodexOptions, ThreadOptions, TurnOptions};

#[tokio::main]
async fn main() -> Result<(), codex_agent_sdk::Error> {
    // codex comes from CODEX_PATH, PATH or an npm install; your ~/.codex config and login apply.
    let codex = Codex::new(CodexOptions::new())?;
    let thread = codex.start_thread(ThreadOptions::new().skip_git_repo_check(true));

    let turn = thread.run("Diagnose the failing test", TurnOptions::new()).await?;
    println!("{}", turn.final_response);

    // The thread keeps the conversation: this turn resumes it.
    let turn = thread.run("Fix it", TurnOptions::new()).await?;
    println!("{} items, thread {:?}, usage {:?}", turn.items.len(), thread.id(), turn.usage);
    Ok(())
}
}

#[rustfmt::skip]
#[expect(dead_code, clippy::print_stdout, reason = "the README's remote snippet, compiled but not run: it needs remote servers")]
mod remote {
use codex_agent_sdk::{RemoteEndpoint, RemotePool};

async fn next_endpoint() -> Result<(), Box<dyn std::error::Error>> {
    let pool = RemotePool::new([
        RemoteEndpoint::new("ws://10.0.0.1:4500")?.token(std::env::var("TOKEN_1")?),
        RemoteEndpoint::new("ws://10.0.0.2:4500")?.token(std::env::var("TOKEN_2")?),
    ])?;
    let lease = pool.acquire().await?; // the least-loaded healthy endpoint
    println!("next turn on {}", lease.endpoint().url());
    Ok(())
}
}

#[rustfmt::skip]
mod mock {
use codex_agent_sdk::{Codex, CodexOptions, ThreadOptions, TurnOptions};
use codex_agent_testkit::codex_home::CodexHome;
use codex_agent_testkit::mock_server::MockServer;
use codex_agent_testkit::real_codex::real_codex;
use codex_agent_testkit::sse::Sse;

pub(super) async fn readme_snippet() -> Result<(), Box<dyn std::error::Error>> {
let mock = MockServer::start().await?;                     // 127.0.0.1, random port
mock.push(Sse::message("resp-1", "Hello from the mock.")); // the model's next answer
let home = CodexHome::new(&mock)?;                         // a throwaway CODEX_HOME
let codex = Codex::new(
    CodexOptions::new()
        .env(home.child_env())     // CODEX_HOME, a dummy key, PATH and HOME: nothing else
        .codex_path(real_codex()?), // the pinned codex the tests use (npm install, once)
)?;
let turn = codex
    .start_thread(ThreadOptions::new().skip_git_repo_check(true))
    .run("say hi", TurnOptions::new())
    .await?;
assert_eq!(turn.final_response, "Hello from the mock.");
    Ok(())
}
}

#[tokio::test]
async fn the_readme_mock_snippet_runs() {
    tokio::time::timeout(crate::support::WAIT, mock::readme_snippet())
        .await
        .expect("in time")
        .expect("the snippet works");
}

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The non-empty lines of `text`, each with its whitespace runs collapsed to one space.
fn normalized(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect()
}

/// The bodies of the README's code blocks whose info string starts with `rust`.
fn rust_snippets(readme: &str) -> Vec<String> {
    let mut snippets = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match &mut current {
            None if line.starts_with("```rust") => current = Some(String::new()),
            Some(_) if line.starts_with("```") => snippets.extend(current.take()),
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "an unclosed code block in the README");
    snippets
}

/// Where the paragraphs of `needle` (its runs of non-blank lines) occur in `haystack`, in
/// order and each as a contiguous run of lines; `None` when one does not.
fn find_paragraphs(haystack: &[String], needle: &str) -> Option<usize> {
    let mut from = 0;
    for paragraph in needle.split("\n\n") {
        let lines = normalized(paragraph);
        if lines.is_empty() {
            continue;
        }
        let at = haystack[from..]
            .windows(lines.len())
            .position(|window| window == lines.as_slice())?;
        from += at + lines.len();
    }
    Some(from)
}

#[test]
fn every_readme_snippet_is_in_this_file() {
    let this_file = normalized(include_str!("readme.rs"));
    let snippets = rust_snippets(&readme());
    assert_eq!(
        snippets.len(),
        3,
        "the README's Rust snippets: {snippets:#?}"
    );
    for snippet in snippets {
        assert!(
            !normalized(&snippet)
                .iter()
                .any(|line| line == "#" || line.starts_with("# ")),
            "a README snippet with rustdoc's hidden lines, which Markdown shows:\n{snippet}"
        );
        assert!(
            find_paragraphs(&this_file, &snippet).is_some(),
            "this README snippet is not in tests/it/readme.rs verbatim; copy it there:\n{snippet}"
        );
    }
}

#[test]
fn a_changed_line_is_not_found() {
    let file = normalized("mod a {\nuse x;\n\nfn f() {\n    let a = 1;\n    g(a);\n}\n}\n");
    assert!(find_paragraphs(&file, "use x;\n\nlet a = 1;\ng(a);\n").is_some());
    assert!(find_paragraphs(&file, "use x;\n\nlet a = 2;\ng(a);\n").is_none());
    // Paragraphs out of order are not the snippet.
    assert!(find_paragraphs(&file, "let a = 1;\n\nuse x;\n").is_none());
}

/// The cells of a Markdown table row: split on `|` not escaped with a backslash.
fn cells(row: &str) -> usize {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut count = 1;
    let mut after_backslash = false;
    for c in row.chars() {
        if c == '|' && !after_backslash {
            count += 1;
        }
        after_backslash = c == '\\' && !after_backslash;
    }
    count
}

#[test]
fn every_readme_table_row_has_as_many_cells_as_its_header() {
    let readme = readme();
    let mut header: Option<(usize, &str)> = None;
    let mut bad = Vec::new();
    for line in readme.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        match header {
            None => header = Some((cells(line), line)),
            Some((expected, head)) => {
                if cells(line) != expected {
                    bad.push(format!(
                        "{} cells, not {expected} as in {head}:\n{line}",
                        cells(line)
                    ));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
}

#[test]
fn the_cell_counter_honours_escaped_pipes() {
    assert_eq!(cells("| a | b |"), 2);
    assert_eq!(cells("| `export <id> --format md\\|json` | b |"), 2);
    assert_eq!(cells("|---|---|---|"), 3);
}
