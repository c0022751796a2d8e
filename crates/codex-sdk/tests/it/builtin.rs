//! The built-in `shell` tool, its commands run through codex-agent-exec (feature `builtin`).

#![cfg(feature = "builtin")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use codex_agent_sdk::builtin::{OUTPUT_TRUNCATED, ShellOptions, shell};
use codex_agent_sdk::registry::ToolRegistry;
use codex_agent_sdk::tools::ToolOutput;
use codex_agent_testkit::process_watch::{ProcessState, read_pid, wait_gone};
use serde_json::json;

use crate::support::WAIT;

fn text(output: &ToolOutput) -> String {
    serde_json::to_value(output.items()).expect("json")[0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn call(options: ShellOptions, command: &str, cwd: Option<&str>) -> Result<String, String> {
    let registry = ToolRegistry::new().with(shell(options)).expect("register");
    registry
        .session()
        .call(None, "shell", json!({"command": command, "cwd": cwd}))
        .await
        .map(|output| text(&output))
        .map_err(|error| error.message().to_owned())
}

#[tokio::test]
async fn an_allowed_command_runs_with_its_output_progress_and_exit_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let seen = lines.clone();
    let options = ShellOptions::new(dir.path())
        .allow(["echo"])
        .allow(["ls"])
        .allow(["pwd"])
        .on_progress(move |line| seen.lock().expect("lock").push(line.to_owned()));

    // stderr is merged into the output, in order.
    let output = call(options.clone(), "echo one && ls missing-file", None)
        .await
        .expect("runs");
    assert!(output.starts_with("one\nls: "), "{output}");
    assert!(
        output.contains("missing-file") && output.ends_with("\n[exit code: 2]"),
        "{output}"
    );
    let lines = lines.lock().expect("lock").clone();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0], "one");
    let output = call(options, "pwd", Some("sub")).await.expect("runs");
    assert!(
        output.starts_with(&format!(
            "{}\n",
            dir.path()
                .canonicalize()
                .expect("canonical")
                .join("sub")
                .display()
        )),
        "{output}"
    );
}

#[tokio::test]
async fn denied_and_unlisted_commands_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let marker = dir.path().join("marker");
    std::fs::write(&marker, "keep").expect("write");
    let options = ShellOptions::new(dir.path()).allow([""]).deny(["rm"]);
    for command in ["rm marker", "echo hi && rm marker", "/bin/rm marker"] {
        let error = call(options.clone(), command, None)
            .await
            .expect_err(command);
        assert!(error.contains("is not allowed"), "{command}: {error}");
    }
    let only_echo = ShellOptions::new(dir.path()).allow(["echo"]);
    for command in [
        "touch created",
        "echo $(touch created)",
        "echo hi; touch created",
    ] {
        let error = call(only_echo.clone(), command, None)
            .await
            .expect_err(command);
        assert!(error.contains("is not allowed"), "{command}: {error}");
    }
    assert!(marker.exists() && !dir.path().join("created").exists());
}

#[tokio::test]
async fn the_working_directory_cannot_leave_the_root() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = ShellOptions::new(dir.path()).allow(["pwd"]);
    for cwd in ["..", "/tmp", "a/../../.."] {
        let error = call(options.clone(), "pwd", Some(cwd))
            .await
            .expect_err(cwd);
        assert!(error.contains(cwd), "{cwd}: {error}");
    }
}

#[tokio::test]
async fn the_output_is_capped_with_a_marker() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = ShellOptions::new(dir.path())
        .allow(["seq"])
        .max_output_bytes(100);
    let output = call(options, "seq 1 100000", None).await.expect("runs");
    assert!(output.contains(OUTPUT_TRUNCATED), "{output}");
    assert!(output.ends_with("[exit code: 0]"), "{output}");
    assert!(output.len() < 100 + OUTPUT_TRUNCATED.len() + 40, "{output}");
}

#[tokio::test]
async fn a_timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("spawn.sh"),
        "echo started\nsleep 60 &\necho $! > pid.tmp && mv pid.tmp grandchild.pid\nwait\n",
    )
    .expect("write");
    let options = ShellOptions::new(dir.path())
        .allow(["sh", "spawn.sh"])
        .timeout(Duration::from_millis(1500));

    let error = call(options, "sh spawn.sh", None)
        .await
        .expect_err("times out");

    assert!(
        error.contains("timed out") && error.contains("started"),
        "{error}"
    );
    let pid = read_pid(&dir.path().join("grandchild.pid"), WAIT)
        .await
        .expect("pid");
    assert_eq!(
        wait_gone(pid, WAIT).await,
        ProcessState::Gone,
        "the background sleep is killed"
    );
}

#[tokio::test]
async fn a_cancelled_call_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("spawn.sh"),
        "sleep 60 &\necho $! > pid.tmp && mv pid.tmp grandchild.pid\nwait\n",
    )
    .expect("write");
    let registry = ToolRegistry::new()
        .with(shell(
            ShellOptions::new(dir.path()).allow(["sh", "spawn.sh"]),
        ))
        .expect("register");
    let session = registry.session();
    let call = session.call(
        None,
        "shell",
        json!({"command": "sh spawn.sh", "cwd": null}),
    );
    let pid_file = dir.path().join("grandchild.pid");
    let (pid, result) = tokio::join!(
        async {
            let pid = read_pid(&pid_file, WAIT).await;
            session.cancel();
            pid
        },
        call
    );
    assert!(result.is_err());
    let pid = pid.expect("pid");
    assert_eq!(
        wait_gone(pid, WAIT).await,
        ProcessState::Gone,
        "the background sleep is killed"
    );
}
