//! Tool items: commands, patches, plans and MCP calls, run for real by codex.

use codex_agent_sdk::{
    CommandExecutionItem, CommandExecutionStatus, ItemDetails, McpToolCallStatus,
};
use codex_agent_testkit::codex_home::CodexHomeOptions;
use codex_agent_testkit::sse::{self, Sse, StepStatus};
use pretty_assertions::assert_eq;
use serde_json::json;

use crate::support::{Harness, items_json, run};

/// The one `command_execution` item of a turn whose model ran one command.
fn the_command(turn: &codex_agent_sdk::Turn) -> &CommandExecutionItem {
    let commands: Vec<&CommandExecutionItem> = turn
        .items
        .iter()
        .filter_map(|item| match &item.details {
            ItemDetails::CommandExecution(command) => Some(command),
            _ => None,
        })
        .collect();
    assert_eq!(commands.len(), 1, "{:#?}", turn.items);
    commands[0]
}

#[tokio::test]
async fn a_command_that_succeeds() {
    let h = Harness::new().await;
    h.mock.push(Sse::reply(
        "resp-1",
        [sse::exec_command("call-1", "echo hello-from-sdk")],
    ));
    h.mock.push(Sse::message("resp-2", "ran it"));

    let turn = run(&h.start_thread(), "run echo")
        .await
        .expect("the turn completes");

    let command = the_command(&turn);
    assert_eq!(command.command, "/bin/bash -lc 'echo hello-from-sdk'");
    // `bash -lc` runs the login profile, which may print its own lines first.
    assert!(
        command.aggregated_output.ends_with("hello-from-sdk\n"),
        "{:?}",
        command.aggregated_output
    );
    assert_eq!(
        (command.exit_code, &command.status),
        (Some(0), &CommandExecutionStatus::Completed)
    );
    assert_eq!(
        turn.items
            .iter()
            .map(codex_agent_sdk::ThreadItem::item_type)
            .collect::<Vec<_>>(),
        ["command_execution", "agent_message"]
    );
    assert_eq!(turn.final_response, "ran it");
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn a_command_that_fails() {
    let h = Harness::new().await;
    h.mock.push(Sse::reply(
        "resp-1",
        [sse::exec_command("call-1", "echo out; exit 3")],
    ));
    h.mock.push(Sse::message("resp-2", "it failed"));

    let turn = run(&h.start_thread(), "run it")
        .await
        .expect("a failing command does not fail the turn");

    let command = the_command(&turn);
    assert_eq!(
        (command.exit_code, &command.status),
        (Some(3), &CommandExecutionStatus::Failed)
    );
    assert!(command.aggregated_output.ends_with("out\n"));
    let output = h.mock.requests()[1]
        .function_call_output("call-1")
        .expect("the command's output goes back to the model");
    assert!(output.contains("Process exited with code 3"), "{output}");
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn apply_patch_is_a_file_change_and_writes_the_file() {
    let h = Harness::new().await;
    h.mock.push(Sse::reply(
        "resp-1",
        [sse::apply_patch(
            "call-1",
            "*** Begin Patch\n*** Add File: hello.txt\n+hello world\n*** End Patch\n",
        )],
    ));
    h.mock.push(Sse::message("resp-2", "patched"));

    let turn = run(&h.start_thread(), "create hello.txt")
        .await
        .expect("the turn completes");

    let path = h.workdir().join("hello.txt");
    assert_eq!(
        items_json(&turn),
        json!([
            {
                "id": "item_0",
                "type": "file_change",
                "changes": [{"path": path.to_str().expect("UTF-8 path"), "kind": "add"}],
                "status": "completed",
            },
            {"id": "item_1", "type": "agent_message", "text": "patched"},
        ])
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("hello.txt exists"),
        "hello world\n"
    );
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn update_plan_is_a_todo_list() {
    let h = Harness::with(CodexHomeOptions::default().update_plan(true), |o, _| o).await;
    h.mock.push(Sse::reply(
        "resp-1",
        [sse::update_plan(
            "call-1",
            "starting",
            &[
                ("Inspect repo", StepStatus::Completed),
                ("Write fix", StepStatus::InProgress),
                ("Run tests", StepStatus::Pending),
            ],
        )],
    ));
    h.mock.push(Sse::message("resp-2", "planned"));

    let turn = run(&h.start_thread(), "make a plan")
        .await
        .expect("the turn completes");

    // The to-do list completes at the end of the turn, after the message.
    assert_eq!(
        items_json(&turn),
        json!([
            {"id": "item_1", "type": "agent_message", "text": "planned"},
            {"id": "item_0", "type": "todo_list", "items": [
                {"text": "Inspect repo", "completed": true},
                {"text": "Write fix", "completed": false},
                {"text": "Run tests", "completed": false},
            ]},
        ])
    );
    assert_eq!(turn.final_response, "planned");
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn mcp_tool_calls_reach_the_stdio_server() {
    let server = codex_agent_testkit::mcp_server::locate("sdk-mcp-echo-server");
    let server = server.to_str().expect("UTF-8 path");
    let h = Harness::with(
        CodexHomeOptions::default().mcp_server("kit", server, Vec::<String>::new()),
        |o, _| o,
    )
    .await;
    h.mock.push(Sse::reply(
        "resp-1",
        [sse::mcp_tool_call(
            "call-1",
            "kit",
            "echo",
            &json!({"text": "ping"}),
        )],
    ));
    h.mock.push(Sse::reply(
        "resp-2",
        [sse::mcp_tool_call(
            "call-2",
            "kit",
            "add",
            &json!({"a": 2, "b": 3}),
        )],
    ));
    h.mock.push(Sse::message("resp-3", "MCP calls done."));

    let turn = run(&h.start_thread(), "use the tools")
        .await
        .expect("the turn completes");

    assert_eq!(
        items_json(&turn),
        json!([
            {
                "id": "item_0", "type": "mcp_tool_call", "server": "kit", "tool": "echo",
                "arguments": {"text": "ping"},
                "result": {"content": [{"type": "text", "text": "echo: ping"}], "structured_content": null},
                "error": null, "status": "completed",
            },
            {
                "id": "item_1", "type": "mcp_tool_call", "server": "kit", "tool": "add",
                "arguments": {"a": 2, "b": 3},
                "result": {"content": [{"type": "text", "text": "5"}], "structured_content": {"sum": 5}},
                "error": null, "status": "completed",
            },
            {"id": "item_2", "type": "agent_message", "text": "MCP calls done."},
        ])
    );
    let statuses: Vec<&McpToolCallStatus> = turn
        .items
        .iter()
        .filter_map(|item| match &item.details {
            ItemDetails::McpToolCall(call) => Some(&call.status),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [&McpToolCallStatus::Completed, &McpToolCallStatus::Completed]
    );
    let output = h.mock.requests()[2]
        .function_call_output("call-2")
        .expect("the add result goes back to the model");
    assert!(output.contains('5'), "{output}");
    h.assert_no_mock_problems();
}
