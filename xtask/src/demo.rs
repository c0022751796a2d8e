//! `cargo xtask demo`: one turn of the real codex CLI, driven through the `codex-agent-sdk` facade,
//! against a scripted model on `127.0.0.1`. No API key, no network.
//!
//! It finds the default supported codex, 0.171.0 (installing `@openai/codex` into
//! `target/codex/<version>` with npm the first time; `CODEX_SDK_TEST_CODEX_VERSION` selects
//! another supported version, see `codex_agent_testkit::real_codex`), starts `codex_agent_testkit`'s mock Responses API
//! with a scripted reply (reasoning, a shell command, an `apply_patch` edit, an answer),
//! writes a throwaway `CODEX_HOME` pointing at it, and runs one streamed turn in a temporary
//! workspace. The events are rendered as they arrive: on a terminal, a spinner redraws one
//! line while codex works; otherwise only plain lines are printed.
//!
//! Everything it starts is stopped when it ends, Ctrl-C included: dropping the turn's stream
//! kills codex's process group, and the mock server and temporary directories are dropped.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use codex_agent_sdk::{
    Codex, CodexOptions, CommandExecutionStatus, ItemDetails, ThreadEvent, ThreadItem,
    ThreadOptions, TurnOptions, Usage,
};
use codex_agent_testkit::codex_home::CodexHome;
use codex_agent_testkit::mock_server::{MockResponse, MockServer};
use codex_agent_testkit::sse::{self, Sse};
use futures::StreamExt as _;

/// The prompt of the demo turn.
const PROMPT: &str = "Fix the typo in greeting.txt.";
/// The file the scripted model fixes, and its content before and after.
const FILE: &str = "greeting.txt";
const BEFORE: &str = "Hello, wrold!\n";
const AFTER: &str = "Hello, world!\n";
/// How long each scripted model reply "thinks" before it starts, so the demo reads live.
const THINKING: Duration = Duration::from_millis(700);
/// The whole turn takes a few seconds; anything longer is a hang.
const TURN_TIMEOUT: Duration = Duration::from_mins(1);
/// The spinner's frames and redraw interval.
const FRAMES: &[char] = &['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TICK: Duration = Duration::from_millis(80);
/// Command output lines shown under a finished command (the last ones).
const OUTPUT_LINES: usize = 3;

/// `cargo xtask demo`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    match args {
        [] => {}
        [one] if one == "batch" => return crate::demo_batch::run(),
        [arg, ..] => return Err(format!("`demo` takes no argument or `batch`, got `{arg}`")),
    }
    println!("codex-agent-sdk demo: one turn of the real codex CLI against a scripted local model");
    println!("(no API key, no network)\n");
    // Blocking: the first run installs codex with npm.
    let codex = codex_agent_testkit::real_codex::real_codex().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(demo(codex))
}

async fn demo(codex_path: PathBuf) -> Result<(), String> {
    let mock = MockServer::start()
        .await
        .map_err(|e| format!("cannot start the mock model: {e}"))?;
    script(&mock);
    let home = CodexHome::new(&mock).map_err(|e| format!("cannot write CODEX_HOME: {e}"))?;
    let workspace = tempfile::Builder::new()
        .prefix("codex-sdk-demo.")
        .tempdir()
        .map_err(|e| format!("cannot create the demo workspace: {e}"))?;
    let file = workspace.path().join(FILE);
    std::fs::write(&file, BEFORE).map_err(|e| format!("cannot write {}: {e}", file.display()))?;

    // codex sees only the throwaway home, the mock's key, PATH and HOME: a user's own
    // configuration and credentials play no part.
    let mut env: Vec<(OsString, OsString)> = home.env();
    for name in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            env.push((name.into(), value));
        }
    }
    let codex = Codex::new(CodexOptions::new().codex_path(&codex_path).env(env))
        .map_err(|e| format!("cannot use codex at {}: {e}", codex_path.display()))?;
    let mut ui = Ui::new(workspace.path());
    let shown = codex_path.canonicalize().unwrap_or(codex_path.clone());
    ui.line("▸", &format!("codex    {}", shown.display()));
    ui.line("▸", &format!("model    {} (mock)", mock.url()));
    ui.line("▸", &format!("workdir  {}", workspace.path().display()));
    ui.line("▸", &format!("prompt   {PROMPT}"));
    ui.blank();

    let thread = codex.start_thread(
        ThreadOptions::new()
            .working_directory(workspace.path())
            .skip_git_repo_check(true),
    );
    let started = Instant::now();
    let stream = thread
        .run_streamed(PROMPT, TurnOptions::new().turn_timeout(TURN_TIMEOUT))
        .await
        .map_err(|e| format!("cannot start the turn: {e}"))?;
    let outcome = drive(stream, &mut ui).await;
    ui.clear_spinner();
    let (answer, usage) = outcome?;

    ui.blank();
    ui.heading("final answer");
    println!("{answer}");
    ui.blank();
    if let Some(usage) = usage {
        ui.line("Σ", &usage_line(&usage));
    }
    let now = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    ui.line("✓", &format!("{FILE} now reads {:?}", now.trim_end()));
    ui.line(
        "⏱",
        &format!("done in {:.1}s", started.elapsed().as_secs_f64()),
    );
    if now != AFTER {
        return Err(format!("{FILE} was not fixed: it reads {now:?}"));
    }
    let problems = mock.problems();
    if !problems.is_empty() {
        return Err(format!(
            "the mock model saw unexpected requests: {}",
            problems.join("; ")
        ));
    }
    Ok(())
}

/// Queues the model's side of the turn: three replies, each answering the request codex sends
/// after running the previous reply's tool.
fn script(mock: &MockServer) {
    let patch = format!(
        "*** Begin Patch\n*** Update File: {FILE}\n@@\n-{}\n+{}\n*** End Patch\n",
        BEFORE.trim_end(),
        AFTER.trim_end()
    );
    let replies = [
        Sse::reply_with_usage(
            "resp-1",
            [
                sse::reasoning(
                    "rs-1",
                    &["Looking at the workspace first to find greeting.txt."],
                ),
                sse::exec_command("call-ls", &format!("ls -l && cat {FILE}")),
            ],
            &sse::Usage::new(1450, 60).cached(1024).reasoning(24),
        ),
        Sse::reply_with_usage(
            "resp-2",
            [
                sse::reasoning("rs-2", &["\"wrold\" should be \"world\"; patching it."]),
                sse::apply_patch("call-patch", &patch),
            ],
            &sse::Usage::new(1720, 80).cached(1408).reasoning(16),
        ),
        Sse::reply_with_usage(
            "resp-3",
            [sse::assistant_message(
                "msg-1",
                "Fixed the typo: greeting.txt now says \"Hello, world!\".",
            )],
            &sse::Usage::new(1890, 30).cached(1664),
        ),
    ];
    mock.push_all(
        replies
            .into_iter()
            .map(|reply| MockResponse::sse(reply).delay(THINKING)),
    );
}

/// Renders the turn's events until it ends; returns the final answer and the usage.
///
/// Ctrl-C drops the stream, which kills codex, and fails the demo.
async fn drive(
    mut stream: codex_agent_sdk::TurnStream,
    ui: &mut Ui,
) -> Result<(String, Option<Usage>), String> {
    let mut answer = String::new();
    let mut usage = None;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            biased;
            _ = &mut ctrl_c => {
                drop(stream);
                ui.clear_spinner();
                ui.line("✗", "interrupted: codex was stopped");
                return Err("interrupted".to_owned());
            }
            event = stream.next() => {
                let Some(event) = event else { break };
                let event = event.map_err(|e| describe(&e))?;
                match event {
                    ThreadEvent::ThreadStarted(started) => {
                        ui.line("·", &format!("thread {}", started.thread_id));
                    }
                    ThreadEvent::ItemStarted(started) => ui.started(&started.item),
                    ThreadEvent::ItemCompleted(completed) => {
                        if let ItemDetails::AgentMessage(message) = &completed.item.details {
                            answer.clone_from(&message.text);
                        }
                        ui.completed(&completed.item);
                    }
                    ThreadEvent::TurnCompleted(completed) => usage = Some(completed.usage),
                    ThreadEvent::TurnFailed(failed) => {
                        return Err(format!("the turn failed: {}", failed.error.message));
                    }
                    ThreadEvent::Error(error) => ui.line("⚠", &error.message),
                    _ => {}
                }
            }
            _ = ticker.tick() => ui.tick(),
        }
    }
    Ok((answer, usage))
}

/// An SDK error with its causes and codex's stderr tail.
fn describe(error: &codex_agent_sdk::Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(source) = cause {
        // Writing to a `String` cannot fail.
        let _ = write!(text, ": {source}");
        cause = source.source();
    }
    if let Some(tail) = error.stderr_tail().filter(|tail| !tail.is_empty()) {
        let _ = write!(text, "\ncodex stderr:\n{tail}");
    }
    text
}

fn usage_line(usage: &Usage) -> String {
    format!(
        "tokens   {} input ({} cached), {} output ({} reasoning)",
        usage.input_tokens,
        usage.cached_input_tokens,
        usage.output_tokens,
        usage.reasoning_output_tokens
    )
}

/// The terminal: plain lines, plus a spinner line redrawn in place when stdout is a terminal.
struct Ui {
    tty: bool,
    /// What the spinner says: what codex is doing, or "thinking" while the model works.
    activity: String,
    frame: usize,
    spinner_shown: bool,
    workspace: Vec<PathBuf>,
}

impl Ui {
    fn new(workspace: &Path) -> Self {
        // codex reports canonical paths; the temporary directory may sit behind a symlink.
        let mut roots = vec![workspace.to_path_buf()];
        if let Ok(canonical) = workspace.canonicalize() {
            roots.push(canonical);
        }
        Self {
            tty: std::io::stdout().is_terminal(),
            activity: "thinking".to_owned(),
            frame: 0,
            spinner_shown: false,
            workspace: roots,
        }
    }

    fn dim(&self, text: &str) -> String {
        if self.tty {
            format!("\x1b[2m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn line(&mut self, icon: &str, text: &str) {
        self.clear_spinner();
        println!("{icon} {text}");
    }

    fn blank(&mut self) {
        self.clear_spinner();
        println!();
    }

    fn heading(&mut self, text: &str) {
        self.clear_spinner();
        if self.tty {
            println!("\x1b[1m{text}\x1b[0m");
        } else {
            println!("{text}");
        }
    }

    /// Redraws the spinner (terminals only).
    fn tick(&mut self) {
        if !self.tty {
            return;
        }
        let frame = FRAMES[self.frame % FRAMES.len()];
        self.frame += 1;
        print!(
            "\r\x1b[2K{frame} {}",
            self.dim(&format!("{}…", self.activity))
        );
        let _ = std::io::stdout().flush();
        self.spinner_shown = true;
    }

    fn clear_spinner(&mut self) {
        if self.spinner_shown {
            print!("\r\x1b[2K");
            let _ = std::io::stdout().flush();
            self.spinner_shown = false;
        }
    }

    fn started(&mut self, item: &ThreadItem) {
        self.activity = match &item.details {
            ItemDetails::CommandExecution(command) => {
                format!("running {}", shell_command(&command.command))
            }
            ItemDetails::FileChange(_) => "applying a patch".to_owned(),
            ItemDetails::McpToolCall(call) => format!("calling {}/{}", call.server, call.tool),
            ItemDetails::WebSearch(search) => format!("searching the web for {}", search.query),
            _ => return,
        };
        self.tick();
    }

    fn completed(&mut self, item: &ThreadItem) {
        match &item.details {
            ItemDetails::Reasoning(reasoning) => {
                let first = reasoning.text.lines().next().unwrap_or_default();
                self.line("💭", first);
            }
            ItemDetails::CommandExecution(command) => {
                let status = command.exit_code.map_or_else(
                    || command.status.as_str().to_owned(),
                    |code| format!("exit {code}"),
                );
                let ok = command.status == CommandExecutionStatus::Completed
                    && command.exit_code == Some(0);
                let icon = if ok { "✓" } else { "✗" };
                let text = format!("$ {}  {}", shell_command(&command.command), status);
                self.line(icon, &text);
                // The last lines: a login shell may print its own noise first.
                let lines: Vec<&str> = command.aggregated_output.lines().collect();
                let skipped = lines.len().saturating_sub(OUTPUT_LINES);
                if skipped > 0 {
                    println!("    {}", self.dim(&format!("… {skipped} earlier lines")));
                }
                for output in &lines[skipped..] {
                    println!("    {}", self.dim(output));
                }
            }
            ItemDetails::FileChange(change) => {
                for file in &change.changes {
                    let text = format!(
                        "{} {}  ({})",
                        file.kind.as_str(),
                        self.relative(&file.path),
                        change.status.as_str()
                    );
                    self.line("✎", &text);
                }
            }
            ItemDetails::AgentMessage(message) => {
                let first = message.text.lines().next().unwrap_or_default();
                self.line("💬", first);
            }
            ItemDetails::McpToolCall(call) => {
                let text = format!("{}/{}  {}", call.server, call.tool, call.status.as_str());
                self.line("🔧", &text);
            }
            ItemDetails::WebSearch(search) => self.line("🔎", &search.query),
            ItemDetails::TodoList(list) => {
                let done = list.items.iter().filter(|todo| todo.completed).count();
                self.line("☐", &format!("plan: {done}/{} done", list.items.len()));
            }
            ItemDetails::Error(error) => self.line("⚠", &error.message),
            _ => self.line("·", item.item_type()),
        }
        "thinking".clone_into(&mut self.activity);
    }

    /// `path` relative to the workspace when it lies inside it.
    fn relative(&self, path: &str) -> String {
        self.workspace
            .iter()
            .find_map(|root| Path::new(path).strip_prefix(root).ok())
            .map_or_else(|| path.to_owned(), |rel| rel.display().to_string())
    }
}

/// The command codex ran, without the `<shell> -lc '…'` wrapper it adds.
fn shell_command(command: &str) -> &str {
    let inner = command
        .split_once(" -lc ")
        .filter(|(shell, _)| shell.ends_with("sh"))
        .map_or(command, |(_, inner)| inner);
    inner
        .strip_prefix('\'')
        .and_then(|quoted| quoted.strip_suffix('\''))
        .filter(|unquoted| !unquoted.contains('\''))
        .unwrap_or(inner)
}

#[cfg(test)]
mod tests {
    use super::shell_command;

    #[test]
    fn shell_wrappers_are_removed() {
        assert_eq!(shell_command("/bin/bash -lc 'ls -l'"), "ls -l");
        assert_eq!(shell_command("bash -lc ls"), "ls");
        assert_eq!(shell_command("/bin/zsh -lc 'echo hi'"), "echo hi");
        assert_eq!(shell_command("ls -l"), "ls -l");
        assert_eq!(
            shell_command("/bin/bash -lc 'echo '\\''x'\\'''"),
            "'echo '\\''x'\\'''"
        );
    }
}
