//! Exports of a [`ThreadRecord`]: Markdown for people ([`to_markdown`]), versioned JSON for
//! programs ([`ThreadExport`]).

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ThreadRecord, TurnRecordStatus};
use crate::exec::{ItemDetails, PatchChangeKind};

/// The version of the JSON export format ([`ThreadExport::version`]).
pub const EXPORT_VERSION: u32 = 1;

/// The JSON export of a thread: `{"format": "codex-sdk-thread", "version": 1, "thread": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ThreadExport {
    /// Always `codex-sdk-thread`.
    pub format: String,
    /// The format version, [`EXPORT_VERSION`] for what this crate writes.
    pub version: u32,
    /// The thread.
    pub thread: ThreadRecord,
}

impl ThreadExport {
    /// The export of `thread` in the current format version.
    #[must_use]
    pub fn new(thread: ThreadRecord) -> Self {
        Self {
            format: "codex-sdk-thread".to_owned(),
            version: EXPORT_VERSION,
            thread,
        }
    }
}

/// The fence that safely wraps `text`: three backticks, or more when the text has a run of
/// backticks of its own.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat(longest.max(2) + 1)
}

fn block(out: &mut String, info: &str, text: &str) {
    let fence = fence(text);
    let _ = writeln!(out, "{fence}{info}");
    out.push_str(text);
    if !text.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}\n");
}

fn quote(out: &mut String, text: &str) {
    for line in text.lines() {
        if line.is_empty() {
            out.push_str(">\n");
        } else {
            let _ = writeln!(out, "> {line}");
        }
    }
    out.push('\n');
}

/// The thread as Markdown: a title and metadata table, then per turn the prompt (quoted), the
/// answers, reasoning, commands with their output, patches, tool calls and usage. Renders on
/// GitHub; code spans are fenced so that nothing in them is read as Markdown.
#[must_use]
pub fn to_markdown(thread: &ThreadRecord) -> String {
    let s = &thread.summary;
    let mut out = String::new();
    let title = s.name.as_deref().unwrap_or(&s.id);
    let _ = writeln!(out, "# Thread {title}\n");
    out.push_str("| | |\n|---|---|\n");
    let _ = writeln!(out, "| id | `{}` |", s.id);
    if let Some(from) = &s.forked_from_id {
        let _ = writeln!(out, "| forked from | `{from}` |");
    }
    let _ = writeln!(out, "| working directory | `{}` |", s.cwd);
    let _ = writeln!(out, "| codex | {} |", s.cli_version);
    let _ = writeln!(out, "| turns | {} |\n", thread.turns.len());
    for (n, turn) in thread.turns.iter().enumerate() {
        let _ = writeln!(out, "## Turn {}\n", n + 1);
        if !turn.prompt.is_empty() {
            out.push_str("**User**\n\n");
            quote(&mut out, &turn.prompt);
        }
        for item in &turn.items {
            item_markdown(&mut out, &item.details);
        }
        match turn.status {
            TurnRecordStatus::Completed => {}
            TurnRecordStatus::Interrupted => out.push_str("*Interrupted.*\n\n"),
            TurnRecordStatus::Failed => {
                let _ = writeln!(
                    out,
                    "*Failed: {}*\n",
                    turn.error.as_deref().unwrap_or("no message")
                );
            }
            _ => out.push_str("*Did not end.*\n\n"),
        }
        if let Some(usage) = &turn.usage {
            let _ = writeln!(
                out,
                "<sub>Tokens: {} in ({} cached), {} out ({} reasoning)</sub>\n",
                usage.input_tokens,
                usage.cached_input_tokens,
                usage.output_tokens,
                usage.reasoning_output_tokens
            );
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn item_markdown(out: &mut String, details: &ItemDetails) {
    match details {
        ItemDetails::AgentMessage(m) => {
            out.push_str("**Codex**\n\n");
            out.push_str(m.text.trim_end());
            out.push_str("\n\n");
        }
        ItemDetails::Reasoning(r) => {
            out.push_str("<details><summary>Reasoning</summary>\n\n");
            out.push_str(r.text.trim_end());
            out.push_str("\n\n</details>\n\n");
        }
        ItemDetails::CommandExecution(c) => {
            let code = c
                .exit_code
                .map_or_else(|| c.status.as_str().to_owned(), |c| format!("exit {c}"));
            let _ = writeln!(out, "**Command** ({code})\n");
            block(out, "sh", &c.command);
            if !c.aggregated_output.is_empty() {
                block(out, "text", &c.aggregated_output);
            }
        }
        ItemDetails::FileChange(f) => {
            let _ = writeln!(out, "**Patch** ({})\n", f.status.as_str());
            for change in &f.changes {
                let verb = match change.kind {
                    PatchChangeKind::Add => "add",
                    PatchChangeKind::Delete => "delete",
                    PatchChangeKind::Update => "update",
                    _ => change.kind.as_str(),
                };
                let _ = writeln!(out, "- {verb} `{}`", change.path);
            }
            out.push('\n');
            for change in &f.changes {
                if let Some(diff) = change.diff.as_deref().filter(|d| !d.is_empty()) {
                    block(out, "diff", diff);
                }
            }
        }
        ItemDetails::McpToolCall(m) => {
            let _ = writeln!(
                out,
                "**Tool call** `{}.{}` ({})\n",
                m.server,
                m.tool,
                m.status.as_str()
            );
        }
        ItemDetails::DynamicToolCall(d) => {
            let _ = writeln!(out, "**Tool call** `{}` ({})\n", d.tool, d.status.as_str());
        }
        ItemDetails::WebSearch(w) => {
            let _ = writeln!(out, "**Web search** {}\n", w.query);
        }
        ItemDetails::TodoList(t) => {
            out.push_str("**Plan**\n\n");
            for todo in &t.items {
                let mark = if todo.completed { "x" } else { " " };
                let _ = writeln!(out, "- [{mark}] {}", todo.text);
            }
            out.push('\n');
        }
        ItemDetails::Error(e) => {
            let _ = writeln!(out, "**Error** {}\n", e.message);
        }
        other => {
            let _ = writeln!(out, "*({} item)*\n", other.item_type());
        }
    }
}
