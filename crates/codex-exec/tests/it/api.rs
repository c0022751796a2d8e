//! Properties of the public types.

use codex_exec::{CancelHandle, Error, ExecOptions, ExecStream, ProcessSpec};

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
