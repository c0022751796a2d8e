//! Properties of the public types.

use codex_agent_exec::{CancelHandle, Error, ExecOptions, ExecStream, ProcessSpec};

fn send_sync<T: Send + Sync>(_: &T) {}
fn send<T: Send>(_: &T) {}

#[test]
fn public_handles_and_futures_are_send_and_sync() {
    fn types<T: Send + Sync>() {}
    types::<ExecStream>();
    types::<CancelHandle>();
    types::<ExecOptions>();
    types::<Error>();
    let handle = CancelHandle::new();
    send_sync(&handle.cancelled());
    // The keep-alive guard is only `Send`, so the spec is too.
    send(&ProcessSpec::new("codex"));
}

#[test]
fn options_debug_hides_secrets() {
    let options = ExecOptions::new().redact("hunter2-very-secret");
    let debug = format!("{options:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
}

#[test]
fn spec_debug_hides_environment_values() {
    let spec = ProcessSpec::new("codex").env("CODEX_API_KEY", "sk-abcdefghijklmnop");
    let debug = format!("{spec:?}");
    assert!(debug.contains("CODEX_API_KEY"), "{debug}");
    assert!(!debug.contains("sk-abcdefghijklmnop"), "{debug}");
}

#[test]
fn spec_debug_hides_secrets_in_config_overrides() {
    let spec = ProcessSpec::new("codex").args([
        "exec",
        "--config",
        r#"model_providers.p.http_headers.Authorization="Bearer hdr-secret-1""#,
        "-c",
        r#"openai_base_url="https://user:url-secret-2@proxy/v1?api-key=url-secret-3""#,
        r#"--config=mcp_servers.gh.env.GITHUB_TOKEN="env-secret-4""#,
        "--config",
        r#"model_providers.p={ name = "p", experimental_bearer_token = "tbl-secret-5" }"#,
        "--config",
        r#"model="gpt-5.5""#,
    ]);
    let debug = format!("{spec:?}");
    assert!(!debug.contains("secret-"), "{debug}");
    assert!(
        debug.contains("https://user:[REDACTED]@proxy/v1?api-key=[REDACTED]"),
        "{debug}"
    );
    assert!(debug.contains(r#"model=\"gpt-5.5\""#), "{debug}");
    assert!(
        debug.contains("mcp_servers.gh.env.GITHUB_TOKEN=[REDACTED]"),
        "{debug}"
    );
}
