//! `PreToolUse` hooks as Rust closures on both transports, against the real codex: a denied
//! command never runs and the model gets the reason; an allowed one runs; an approval handler
//! decides commands on exec through the same hook.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codex_agent_sdk::approval::CommandPrefixPolicy;
use codex_agent_sdk::hooks::{
    HookDecision, HookOutput, Hooks, PostToolUse, PreToolUse, SessionStart, Stop, UserPromptSubmit,
};
use codex_agent_sdk::{ItemDetails, SandboxMode, ThreadEvent, ThreadOptions, Transport, Turn};
use codex_agent_testkit::codex_home::CodexHomeOptions;
use codex_agent_testkit::sse::{self, Sse};
use pretty_assertions::assert_eq;

use crate::support::{Harness, WAIT, run};

const BOTH: [Transport; 2] = [Transport::Exec, Transport::AppServer];

/// Runs one exec turn whose model runs `touch hooked.txt`, with `configure` applied to the
/// thread options; returns the turn, whether the file exists, and the command's output as
/// the model got it.
async fn touch_with(
    configure: impl FnOnce(ThreadOptions) -> ThreadOptions,
) -> (Turn, bool, String) {
    touch_on(Transport::Exec, configure).await
}

/// As [`touch_with`], on `transport`.
async fn touch_on(
    transport: Transport,
    configure: impl FnOnce(ThreadOptions) -> ThreadOptions,
) -> (Turn, bool, String) {
    let h = Harness::with(CodexHomeOptions::default(), move |o, _| {
        o.transport(transport)
    })
    .await;
    h.mock.push(Sse::reply(
        "resp-1",
        [sse::exec_command("call-1", "touch hooked.txt")],
    ));
    h.mock.push(Sse::message("resp-2", "done"));
    let options = configure(h.thread_options().sandbox_mode(SandboxMode::WorkspaceWrite));
    let turn = run(&h.codex.start_thread(options), "make hooked.txt")
        .await
        .expect("the turn completes");
    let output = h.mock.requests()[1]
        .function_call_output("call-1")
        .expect("the command's output goes back to the model");
    h.assert_no_mock_problems();
    (turn, h.workdir.path().join("hooked.txt").exists(), output)
}

/// No error item is left in the turn (codex's warnings about the SDK's trust bypass are
/// removed, and nothing else went wrong).
fn assert_no_error_items(turn: &Turn) {
    let errors: Vec<_> = turn
        .items
        .iter()
        .filter(|item| matches!(item.details, ItemDetails::Error(_)))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[tokio::test]
async fn a_pre_tool_use_deny_keeps_a_command_from_running_and_the_model_gets_the_reason() {
    for transport in BOTH {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let hooks = {
            let seen = Arc::clone(&seen);
            Hooks::new().pre_tool_use("Bash", move |event: PreToolUse| {
                seen.lock().expect("not poisoned").push(event.clone());
                async { HookDecision::deny("hooked files are not allowed here") }
            })
        };
        let (turn, exists, output) = touch_on(transport, |o| o.hooks(hooks)).await;
        assert!(!exists, "{transport:?}: the denied command must not run");
        assert!(
            output.contains("hooked files are not allowed here"),
            "{transport:?}: the model gets the reason: {output}"
        );
        assert_eq!(
            *seen.lock().expect("not poisoned"),
            [PreToolUse::new("Bash", Some("touch hooked.txt".to_owned()))],
            "{transport:?}"
        );
        assert_no_error_items(&turn);
        assert_eq!(turn.final_response, "done");
    }
}

#[tokio::test]
async fn a_pre_tool_use_allow_lets_the_command_run() {
    for transport in BOTH {
        let hooks = Hooks::new().pre_tool_use("*", |_| async { HookDecision::Allow });
        let (turn, exists, _) = touch_on(transport, |o| o.hooks(hooks)).await;
        assert!(
            exists,
            "{transport:?}: the allowed command runs: {:#?}",
            turn.items
        );
        assert_no_error_items(&turn);
    }
}

#[tokio::test]
async fn a_command_prefix_policy_blocks_touch_on_exec() {
    let (turn, exists, output) =
        touch_with(|o| o.approval_handler(CommandPrefixPolicy::new().deny(["touch"]))).await;
    assert!(!exists, "the policy blocks touch");
    assert!(
        output.contains("declined by the approval handler"),
        "the model is told: {output}"
    );
    assert_no_error_items(&turn);
    let (_, exists, _) = touch_with(|o| {
        o.approval_handler(CommandPrefixPolicy::new().allow(["touch"]).deny(["rm"]))
    })
    .await;
    assert!(exists, "the policy lets touch run");
}

/// Whether some request's body holds `text`.
fn sent(request: &codex_agent_testkit::mock_server::CapturedRequest, text: &str) -> bool {
    String::from_utf8_lossy(request.body()).contains(text)
}

#[tokio::test]
async fn session_prompt_post_tool_and_stop_hooks_fire_on_both_transports() {
    for transport in BOTH {
        let h = Harness::with(CodexHomeOptions::default(), move |o, _| {
            o.transport(transport)
        })
        .await;
        h.mock.push(Sse::reply(
            "resp-1",
            [sse::exec_command("call-1", "echo hooked-output")],
        ));
        h.mock.push(Sse::message("resp-2", "first"));
        h.mock.push(Sse::message("resp-3", "done"));
        let fired = Arc::new(Mutex::new(Vec::<String>::new()));
        let log = |fired: &Arc<Mutex<Vec<String>>>, line: String| {
            fired.lock().expect("not poisoned").push(line);
        };
        let hooks = {
            let (f1, f2, f3, f4) = (
                Arc::clone(&fired),
                Arc::clone(&fired),
                Arc::clone(&fired),
                Arc::clone(&fired),
            );
            Hooks::new()
                .session_start(move |event: SessionStart| {
                    log(&f1, format!("SessionStart {}", event.source()));
                    async { HookOutput::add_context("SESSION-CONTEXT-7") }
                })
                .user_prompt_submit(move |event: UserPromptSubmit| {
                    log(&f2, format!("UserPromptSubmit {}", event.prompt()));
                    async { HookOutput::add_context("PROMPT-CONTEXT-7") }
                })
                .post_tool_use("Bash", move |event: PostToolUse| {
                    log(
                        &f3,
                        format!(
                            "PostToolUse {} {:?} {}",
                            event.tool_name(),
                            event.command(),
                            event
                                .response()
                                .is_some_and(|r| r.contains("hooked-output"))
                        ),
                    );
                    async { HookOutput::add_context("POST-CONTEXT-7") }
                })
                .stop(move |event: Stop| {
                    let first = event.last_message() == Some("first");
                    log(&f4, format!("Stop {:?}", event.last_message()));
                    async move {
                        if first {
                            HookOutput::block("KEEP-GOING-7")
                        } else {
                            HookOutput::Proceed
                        }
                    }
                })
        };
        let thread = h.codex.start_thread(
            h.thread_options()
                .sandbox_mode(SandboxMode::WorkspaceWrite)
                .hooks(hooks),
        );
        let turn = run(&thread, "say hi").await.expect("the turn completes");
        let requests = h.mock.requests();
        let fired = fired.lock().expect("not poisoned").clone();
        assert_eq!(
            fired,
            [
                "SessionStart startup".to_owned(),
                "UserPromptSubmit say hi".to_owned(),
                "PostToolUse Bash Some(\"echo hooked-output\") true".to_owned(),
                "Stop Some(\"first\")".to_owned(),
                "Stop Some(\"done\")".to_owned(),
            ],
            "{transport:?}"
        );
        assert_eq!(requests.len(), 3, "{transport:?}");
        assert!(sent(&requests[0], "SESSION-CONTEXT-7"), "{transport:?}");
        assert!(sent(&requests[0], "PROMPT-CONTEXT-7"), "{transport:?}");
        assert!(sent(&requests[1], "POST-CONTEXT-7"), "{transport:?}");
        assert!(sent(&requests[2], "KEEP-GOING-7"), "{transport:?}");
        assert_no_error_items(&turn);
        assert_eq!(turn.final_response, "done", "{transport:?}");
        h.assert_no_mock_problems();
    }
}

#[tokio::test]
async fn a_user_prompt_submit_block_keeps_the_prompt_from_the_model() {
    for transport in BOTH {
        let h = Harness::with(CodexHomeOptions::default(), move |o, _| {
            o.transport(transport)
        })
        .await;
        h.mock.push(Sse::message("resp-1", "never"));
        let hooks = Hooks::new().user_prompt_submit(|event: UserPromptSubmit| async move {
            if event.prompt().contains("secret") {
                HookOutput::block("no secrets in prompts")
            } else {
                HookOutput::Proceed
            }
        });
        let thread = h.codex.start_thread(h.thread_options().hooks(hooks));
        let turn = run(&thread, "tell me the secret")
            .await
            .expect("a blocked prompt ends the turn quietly");
        assert!(
            h.mock.requests().is_empty(),
            "{transport:?}: the prompt never reaches the model"
        );
        assert_eq!(turn.final_response, "", "{transport:?}");
        assert_no_error_items(&turn);
    }
}

#[tokio::test]
async fn the_hook_server_leaves_no_task_behind_on_the_app_server() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let baseline = metrics.num_alive_tasks();
    let fired = Arc::new(Mutex::new(0_u32));
    let hooks = {
        let fired = Arc::clone(&fired);
        Hooks::new().pre_tool_use("Bash", move |_| {
            *fired.lock().expect("not poisoned") += 1;
            async { HookDecision::Allow }
        })
    };
    let (turn, exists, _) = touch_on(Transport::AppServer, |o| o.hooks(hooks)).await;
    assert!(exists, "{:#?}", turn.items);
    assert_eq!(*fired.lock().expect("not poisoned"), 1, "the hook fired");
    // `touch_on` dropped its `Codex`, its thread and the mock: the MCP server's accept loop
    // and connections (which hold its port) must end with them.
    let deadline = Instant::now() + WAIT;
    while metrics.num_alive_tasks() > baseline {
        assert!(
            Instant::now() < deadline,
            "left behind: {} tasks (baseline {baseline})",
            metrics.num_alive_tasks()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Median time between one command's completion and the next one's start, over 4 commands
/// in 4 model responses (under load each command costs codex a second or more: 20 would make
/// the test slow): a model round trip to the mock, plus the `PreToolUse` hook's round trip
/// codex → SDK → codex when `hooked`.
async fn median_command_gap(transport: Transport, hooked: bool) -> Duration {
    const COMMANDS: usize = 4;
    let h = Harness::with(CodexHomeOptions::default(), move |o, _| {
        o.transport(transport)
    })
    .await;
    for i in 0..=COMMANDS {
        h.mock.push(Sse::reply(
            &format!("resp-{i}"),
            [sse::exec_command(&format!("call-{i}"), "true")],
        ));
    }
    h.mock.push(Sse::message("resp-last", "done"));
    let mut options = h.thread_options().sandbox_mode(SandboxMode::WorkspaceWrite);
    if hooked {
        options =
            options.hooks(Hooks::new().pre_tool_use("Bash", |_| async { HookDecision::Allow }));
    }
    let thread = h.codex.start_thread(options);
    let mut stream = thread
        .run_streamed("run true 5 times", codex_agent_sdk::TurnOptions::new())
        .await
        .expect("the turn starts");
    let is_command = |item: &codex_agent_sdk::ThreadItem| {
        matches!(item.details, ItemDetails::CommandExecution(_))
    };
    let mut completed_at = None;
    let mut gaps = Vec::new();
    while let Some(event) = crate::support::next_event(&mut stream).await {
        match event.expect("no error") {
            ThreadEvent::ItemStarted(e) if is_command(&e.item) => {
                if let Some(at) = completed_at.take() {
                    gaps.push(Instant::now().duration_since(at));
                }
            }
            ThreadEvent::ItemCompleted(e) if is_command(&e.item) => {
                completed_at = Some(Instant::now());
            }
            _ => {}
        }
    }
    assert_eq!(gaps.len(), COMMANDS, "{transport}");
    h.assert_no_mock_problems();
    gaps.sort();
    gaps[COMMANDS / 2]
}

/// Reports the round trip of a `PreToolUse` hook on each transport: the median gap between
/// commands with the hook minus the same without it. A measurement, not a speed check (those
/// live in `cargo xtask bench`).
#[tokio::test]
#[expect(clippy::print_stdout, reason = "the measurement is the test's report")]
async fn round_trip_of_a_pre_tool_use_hook() {
    for transport in BOTH {
        let bare = median_command_gap(transport, false).await;
        let hooked = median_command_gap(transport, true).await;
        println!(
            "PreToolUse hook on {transport}: median gap between commands {hooked:?} with the \
             hook, {bare:?} without; hook round trip ≈ {:?}",
            hooked.saturating_sub(bare)
        );
    }
}
