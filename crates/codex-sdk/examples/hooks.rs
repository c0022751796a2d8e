//! Runs one turn with a hook on every event codex has a closure for, and prints one line per
//! hook that fires; commands that start with a `--deny` prefix are blocked before they run
//! (the model is told why). Prints the final response last.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example hooks -- --deny rm --deny "git push" "Tidy up this directory"
//! cargo run -p codex-agent-sdk --example hooks -- --transport app-server --deny touch "Create a.txt"
//! ```
//!
//! The hooks are Rust closures; codex calls them through `mcp_tool` hook handlers pointed at
//! the SDK's in-process MCP server, on both transports. codex names its shell tool `Bash` in
//! hooks. codex is found through `CODEX_PATH`, then `PATH`, then an npm install, and inherits
//! this process's environment, so your `CODEX_HOME/config.toml` and login apply. The turn runs
//! in the current directory with the `workspace-write` sandbox.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::process::ExitCode;
use std::sync::Arc;

use codex_agent_sdk::hooks::{
    HookDecision, HookOutput, Hooks, PostToolUse, PreToolUse, SessionStart, Stop, UserPromptSubmit,
};
use codex_agent_sdk::{Codex, CodexOptions, SandboxMode, ThreadOptions, Transport, TurnOptions};

mod cli;

#[tokio::main]
async fn main() -> ExitCode {
    let Some((transport, args)) = cli::args() else {
        return usage();
    };
    let Some((deny, prompt)) = parse(args) else {
        return usage();
    };
    match run(transport, deny, &prompt).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error.report());
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: hooks {} [--deny <command prefix>]... <prompt>",
        cli::TRANSPORT_USAGE
    );
    ExitCode::from(2)
}

/// The `--deny` prefixes and the prompt.
fn parse(args: Vec<String>) -> Option<(Vec<String>, String)> {
    let mut deny = Vec::new();
    let mut prompt = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--deny" {
            deny.push(args.next()?);
        } else if prompt.replace(arg).is_some() {
            return None;
        }
    }
    Some((deny, prompt?))
}

fn hooks(deny: Vec<String>) -> Hooks {
    let deny = Arc::new(deny);
    Hooks::new()
        .session_start(|event: SessionStart| async move {
            println!("SessionStart source={}", event.source());
            HookOutput::Proceed
        })
        .user_prompt_submit(|event: UserPromptSubmit| async move {
            println!("UserPromptSubmit prompt={:?}", event.prompt());
            HookOutput::Proceed
        })
        .pre_tool_use("*", move |event: PreToolUse| {
            let deny = Arc::clone(&deny);
            async move {
                let command = event.command().unwrap_or_default();
                let denied = deny
                    .iter()
                    .find(|prefix| command.starts_with(prefix.as_str()));
                let decision = match denied {
                    Some(prefix) => HookDecision::deny(format!(
                        "commands starting with {prefix:?} are not allowed here"
                    )),
                    None => HookDecision::Allow,
                };
                println!(
                    "PreToolUse {} {command:?} -> {}",
                    event.tool_name(),
                    if denied.is_some() {
                        "denied"
                    } else {
                        "allowed"
                    }
                );
                decision
            }
        })
        .post_tool_use("*", |event: PostToolUse| async move {
            println!(
                "PostToolUse {} {:?}",
                event.tool_name(),
                event.command().unwrap_or_default()
            );
            HookOutput::Proceed
        })
        .stop(|_: Stop| async {
            println!("Stop");
            HookOutput::Proceed
        })
}

async fn run(
    transport: Transport,
    deny: Vec<String>,
    prompt: &str,
) -> Result<(), codex_agent_sdk::Error> {
    let codex = Codex::new(CodexOptions::new().transport(transport))?;
    let thread = codex.start_thread(
        ThreadOptions::new()
            .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into()))
            .skip_git_repo_check(true)
            .sandbox_mode(SandboxMode::WorkspaceWrite)
            .hooks(hooks(deny)),
    );
    let turn = thread.run(prompt, TurnOptions::new()).await?;
    println!("{}", turn.final_response);
    Ok(())
}
