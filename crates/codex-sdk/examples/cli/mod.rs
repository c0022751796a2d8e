//! The command line the examples share: `--transport exec|app-server` (or
//! `--transport=app-server`) anywhere among the arguments selects the transport, `exec` by
//! default; the other arguments are the example's own.

use codex_agent_sdk::Transport;

/// The `--transport` part of every usage line.
pub(crate) const TRANSPORT_USAGE: &str = "[--transport exec|app-server]";

/// This process's arguments, without the program name and the `--transport` flag, and the
/// transport the flag chose. `None` when the flag has no value or names no transport.
pub(crate) fn args() -> Option<(Transport, Vec<String>)> {
    let mut transport = Transport::Exec;
    let mut rest = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.strip_prefix("--transport") {
            Some("") => args.next()?,
            Some(value) if value.starts_with('=') => value[1..].to_owned(),
            _ => {
                rest.push(arg);
                continue;
            }
        };
        transport = match value.as_str() {
            "exec" => Transport::Exec,
            "app-server" => Transport::AppServer,
            _ => return None,
        };
    }
    Some((transport, rest))
}
