//! No secret reaches a log record: what codex prints on stdout and stderr is redacted with the
//! process's secrets (the API key, the configured ones) before it is logged.

use codex_agent_exec::app_server::{AppServer, AppServerOptions};
use codex_agent_exec::{CodexBinary, CodexOptions};
use codex_agent_testkit::fake_codex::{SCRIPT_ENV, Script};

use crate::support::{self, API_KEY, LogCapture, Scratch, fake_program};

#[tokio::test]
async fn a_spawned_app_server_s_malformed_lines_and_stderr_are_logged_redacted() {
    let _lock = support::shared().await;
    let (capture, _guard) = LogCapture::install();
    let scratch = Scratch::new();
    // A secret no built-in pattern knows: only the process's redactor can hide it.
    let literal = "plain-literal-value-42";
    let script = Script::new()
        .skip_stdin()
        .line(format!("not JSON-RPC: {literal} and {API_KEY}"))
        .line(format!(
            r#"{{"id": 0, "method": "item/fileChange/requestApproval", "params": {{"threadId": "{literal}"}}}}"#
        ))
        .stderr(format!("stderr with {literal}\n"))
        .hang();
    let script_path = script.write_to(scratch.dir.path()).expect("script");
    let codex = CodexOptions::new()
        .api_key(API_KEY)
        .env([(SCRIPT_ENV, script_path.as_os_str())]);
    let options = AppServerOptions::new().process(support::options().redact(literal));
    let spawning = tokio::spawn(async move {
        AppServer::spawn(&CodexBinary::new(fake_program()), &codex, options).await
    });
    capture.wait_for("no JSON-RPC message").await;
    capture.wait_for("malformed request").await;
    capture.wait_for("codex stderr").await;
    // Dropping the handshake stops the fake.
    spawning.abort();
    let _ = spawning.await;
    let records = capture.records();
    for record in &records {
        assert!(!record.contains(literal), "{record}");
        assert!(!record.contains("SECRET"), "{record}");
    }
    assert!(
        records
            .iter()
            .any(|r| r.contains("not JSON-RPC: [REDACTED] and [REDACTED]")),
        "{records:#?}"
    );
}
