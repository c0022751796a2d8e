//! One run of one scenario on one SDK, and everything observed about it.
//!
//! Each run gets a fresh world: a `MockServer` with the scenario's scripted replies, a
//! `CODEX_HOME` pointing at it, a working directory with the scenario's files, and an
//! argv-recording shim in front of the real codex. The driver (node for the TypeScript SDK,
//! `xtask __parity-driver` for codex-agent-sdk) starts from a cleared environment holding only
//! [`Context::base_env`] and the home's variables, with the working directory as its current
//! directory, and uses the shim as its codex path.
//!
//! The shim is a `/bin/sh` script that appends `$#`, its arguments and `env -0` to a log, then
//! `exec`s the real codex in the same process, so codex runs exactly as the SDK started it.
//! `/bin/sh` exports `PWD` itself, so `PWD` is dropped from the recorded environment.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use codex_agent_testkit::codex_home::CodexHome;
use codex_agent_testkit::mock_server::{CapturedRequest, Gate, MockServer};
use serde_json::{Map, Value, json};
use tokio::io::AsyncWriteExt as _;

use super::normalize::Normalizer;
use super::scenario::{Mode, Scenario, substitute};

/// How long one driver run may take; a real turn against the mock takes about a second.
const RUN_TIMEOUT: Duration = Duration::from_mins(2);
/// How long a held reply may take to reach its gate.
const GATE_TIMEOUT: Duration = Duration::from_mins(1);
/// Headers derived from the body or the connection, not chosen by the SDK.
const VOLATILE_HEADERS: &[&str] = &["content-length"];

/// An SDK under comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sdk {
    /// `@openai/codex-sdk`, through `xtask/parity/driver.mjs`.
    Ts,
    /// codex-agent-sdk, through `xtask __parity-driver`.
    Rs,
}

impl Sdk {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Ts => "ts",
            Self::Rs => "rs",
        }
    }
}

/// What does not change between runs.
#[derive(Debug)]
pub(crate) struct Context {
    /// The real codex (the version `parity` runs, see its module docs).
    pub(crate) codex: PathBuf,
    /// `@openai/codex-sdk`'s `dist/index.js`.
    pub(crate) sdk_js: PathBuf,
    /// `xtask/parity/driver.mjs`.
    pub(crate) driver_mjs: PathBuf,
    /// This executable: the Rust driver and the MCP server.
    pub(crate) xtask: PathBuf,
    /// The environment both drivers start from (besides the home's variables).
    pub(crate) base_env: Vec<(String, String)>,
}

/// What one run produced.
#[derive(Debug)]
pub(crate) struct Observation {
    /// The normalized, compared part: `turns` (the driver's output), `invocations` (argv and
    /// environment of every codex start), `requests` (what the mock received).
    pub(crate) value: Value,
    /// Requests the mock had no reply for, and unknown routes.
    pub(crate) mock_problems: Vec<String>,
    /// The driver's stderr.
    pub(crate) stderr: String,
}

/// Runs `scenario` in `mode` on `sdk`.
pub(crate) async fn observe(
    context: &Context,
    scenario: &Scenario,
    mode: Mode,
    sdk: Sdk,
) -> Result<Observation, String> {
    let mock = MockServer::start().await.map_err(|e| e.to_string())?;
    let mut gates = Vec::new();
    for response in &scenario.responses {
        let (response, gate) = response.mock()?;
        mock.push(response);
        gates.extend(gate);
    }
    let mcp_server = (
        context.xtask.to_string_lossy().into_owned(),
        vec!["__mcp-echo-server".to_owned()],
    );
    let home = CodexHome::with_options(&mock, scenario.home.options(&mcp_server))
        .map_err(|e| e.to_string())?;
    let run_dir = tempfile::Builder::new()
        .prefix("parity.")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let workdir = run_dir.path().join("work");
    std::fs::create_dir(&workdir)
        .map_err(|e| format!("cannot create {}: {e}", workdir.display()))?;
    scenario.setup.apply(&workdir)?;
    let log = run_dir.path().join("invocations");
    let shim = write_shim(run_dir.path(), &log, &context.codex)?;

    let job_path = run_dir.path().join("job.json");
    let mut run_env: Vec<(String, String)> = context.base_env.clone();
    run_env.extend(home.env().into_iter().map(|(k, v)| {
        (
            k.to_string_lossy().into_owned(),
            v.to_string_lossy().into_owned(),
        )
    }));
    let job = job(context, scenario, mode, &shim, &workdir, &run_env);
    std::fs::write(&job_path, job.to_string())
        .map_err(|e| format!("cannot write {}: {e}", job_path.display()))?;

    let held_aborts = scenario
        .turns
        .iter()
        .filter(|turn| turn.abort.as_ref().is_some_and(|abort| abort.when_held))
        .count();
    let (driver, stderr) = run_driver(
        context,
        sdk,
        &job_path,
        &run_env,
        &workdir,
        (&gates, held_aborts),
    )
    .await?;
    let invocations = read_invocations(&log)?;
    let requests: Vec<Value> = mock.requests().iter().map(request_json).collect();
    let mock_problems = mock.problems();
    drop(mock);

    let mut literals = Vec::new();
    for (path, placeholder) in [
        (workdir.as_path(), "<WORKDIR>"),
        (home.path(), "<CODEX_HOME>"),
        (shim.as_path(), "<SHIM>"),
        (context.codex.as_path(), "<CODEX>"),
        (run_dir.path(), "<RUN_DIR>"),
    ] {
        literals.push((path.to_string_lossy().into_owned(), placeholder));
        if let Ok(canonical) = path.canonicalize() {
            literals.push((canonical.to_string_lossy().into_owned(), placeholder));
        }
    }
    let mut normalizer = Normalizer::new(literals);
    let value = normalizer.value(&json!({
        "turns": driver["turns"],
        "invocations": invocations,
        "requests": requests,
    }));
    Ok(Observation {
        value,
        mock_problems,
        stderr,
    })
}

/// Runs the driver of `sdk` on the job and returns its output and stderr. When the scenario
/// aborts `held.1` turns once their reply is held, the driver is told on stdin as each of the
/// gates `held.0` is reached.
async fn run_driver(
    context: &Context,
    sdk: Sdk,
    job_path: &Path,
    run_env: &[(String, String)],
    workdir: &Path,
    held: (&[Gate], usize),
) -> Result<(Value, String), String> {
    let mut command = match sdk {
        Sdk::Ts => {
            let mut command = tokio::process::Command::new("node");
            command.arg(&context.driver_mjs);
            command
        }
        Sdk::Rs => {
            let mut command = tokio::process::Command::new(&context.xtask);
            command.arg("__parity-driver");
            command
        }
    };
    command
        .arg(job_path)
        .env_clear()
        .envs(run_env.iter().map(|(k, v)| (k, v)))
        .current_dir(workdir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start the {} driver: {e}", sdk.as_str()))?;
    let stdin = child.stdin.take();
    let signaller = tokio::spawn(signal_when_held(stdin, held.0.to_vec(), held.1));
    let output = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| {
            format!(
                "the {} driver did not finish within {RUN_TIMEOUT:?}",
                sdk.as_str()
            )
        })?
        .map_err(|e| format!("the {} driver failed: {e}", sdk.as_str()))?;
    signaller.abort();
    for gate in held.0 {
        gate.release();
    }
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&output.stdout);
    match serde_json::from_str(stdout.trim()) {
        Ok(value) if output.status.success() => Ok((value, stderr)),
        _ => Err(format!(
            "the {} driver failed ({}); stdout: {}; stderr: {}",
            sdk.as_str(),
            output.status,
            stdout.trim(),
            stderr.trim()
        )),
    }
}

/// Once the model's reply is held, writes one line per held abort to the driver's stdin.
/// Without held aborts, stdin is closed at once.
async fn signal_when_held(
    stdin: Option<tokio::process::ChildStdin>,
    gates: Vec<Gate>,
    aborts: usize,
) {
    let Some(mut stdin) = stdin else { return };
    if aborts == 0 {
        return;
    }
    for gate in gates.iter().take(aborts) {
        if gate.wait_reached(GATE_TIMEOUT).await.is_err() {
            return;
        }
        if stdin.write_all(b"abort\n").await.is_err() || stdin.flush().await.is_err() {
            return;
        }
    }
    // Keep stdin open until the driver exits: the node driver reads it until then.
    std::future::pending::<()>().await;
}

/// The job both drivers read.
///
/// A scenario's `codex.env` replaces codex's environment, so it is completed with the run's
/// own variables it does not set (`PATH`, `HOME`, `CODEX_HOME`, the mock's API key): codex
/// must still reach the mock.
fn job(
    context: &Context,
    scenario: &Scenario,
    mode: Mode,
    shim: &Path,
    workdir: &Path,
    run_env: &[(String, String)],
) -> Value {
    let mut codex = scenario.codex.clone();
    if let Some(Value::Object(env)) = codex.get_mut("env") {
        for (name, value) in run_env {
            env.entry(name.clone())
                .or_insert_with(|| value.clone().into());
        }
    }
    let turns: Vec<Value> = scenario
        .turns
        .iter()
        .map(|turn| {
            let mut out = Map::new();
            out.insert("input".to_owned(), substitute(&turn.input, workdir));
            out.insert(
                "turn".to_owned(),
                substitute(&Value::Object(turn.turn.clone()), workdir),
            );
            if let Some(thread) = &turn.thread {
                out.insert("thread".to_owned(), thread.clone().into());
            }
            if let Some(abort) = &turn.abort {
                out.insert(
                    "abort".to_owned(),
                    json!({"after_events": abort.after_events, "when_held": abort.when_held}),
                );
            }
            Value::Object(out)
        })
        .collect();
    json!({
        "sdk": context.sdk_js,
        "codexPath": shim,
        "mode": mode.as_str(),
        "codex": substitute(&Value::Object(codex), workdir),
        "thread": scenario.thread_options(workdir),
        "turns": turns,
    })
}

/// Writes the argv-recording shim (see the [module docs](self)) and returns its path.
fn write_shim(dir: &Path, log: &Path, codex: &Path) -> Result<PathBuf, String> {
    let quote = |path: &Path| {
        let text = path.to_string_lossy();
        if text.contains('\'') {
            Err(format!("cannot quote {text} for the shim"))
        } else {
            Ok(format!("'{text}'"))
        }
    };
    let script = format!(
        "#!/bin/sh\n\
         # cargo xtask parity: records argv and environment, then runs the real codex in place.\n\
         {{ printf '%s\\0' \"$#\" \"$@\"; env -0; printf '\\0'; }} >> {log}\n\
         exec {codex} \"$@\"\n",
        log = quote(log)?,
        codex = quote(codex)?,
    );
    let path = dir.join("codex");
    std::fs::write(&path, script).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    set_executable(&path)?;
    Ok(path)
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot make {} executable: {e}", path.display()))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> Result<(), String> {
    Err("cargo xtask parity runs on Unix only".to_owned())
}

/// The shim's log as `[{argv, env}]`.
fn read_invocations(log: &Path) -> Result<Vec<Value>, String> {
    let bytes = match std::fs::read(log) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", log.display())),
    };
    parse_invocations(&bytes).ok_or_else(|| format!("{} is not a shim log", log.display()))
}

fn parse_invocations(bytes: &[u8]) -> Option<Vec<Value>> {
    let mut fields = bytes
        .split(|b| *b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut invocations = Vec::new();
    while let Some(count) = fields.next() {
        if count.is_empty() {
            // The split after the last terminator.
            break;
        }
        let count: usize = count.parse().ok()?;
        let (argv, blanked) = split_blanked(fields.by_ref().take(count).collect());
        let mut env = Map::new();
        for entry in fields.by_ref() {
            if entry.is_empty() {
                break;
            }
            let (name, value) = entry.split_once('=')?;
            if name != "PWD" {
                env.insert(name.to_owned(), value.into());
            }
        }
        let mut invocation = json!({ "argv": argv, "env": env });
        if !blanked.is_empty() {
            invocation["blanked_in_commands"] = json!(blanked);
        }
        invocations.push(invocation);
    }
    Some(invocations)
}

/// codex-agent-sdk's `--config shell_environment_policy.set.<NAME>=""` pairs (the secret variables
/// it blanks in the agent's commands, a deliberate difference from the TypeScript SDK) taken
/// out of `argv`, so that the rest of the argv is still compared position by position: the
/// argv without them, and the blanked names, compared as `blanked_in_commands`.
fn split_blanked(argv: Vec<String>) -> (Vec<String>, Vec<String>) {
    let mut kept = Vec::with_capacity(argv.len());
    let mut blanked = Vec::new();
    let mut remaining = argv.into_iter().peekable();
    while let Some(arg) = remaining.next() {
        if arg == "--config"
            && let Some(name) = remaining.peek().and_then(|value| {
                value
                    .strip_prefix("shell_environment_policy.set.")
                    .and_then(|tail| tail.strip_suffix("=\"\""))
            })
        {
            blanked.push(name.to_owned());
            remaining.next();
            continue;
        }
        kept.push(arg);
    }
    (kept, blanked)
}

/// A captured request: method, path, query, headers (lowercase names, repeated ones joined
/// with `, `, [`VOLATILE_HEADERS`] left out) and the body (JSON when it parses).
fn request_json(request: &CapturedRequest) -> Value {
    let mut headers = Map::new();
    for (name, value) in request.headers() {
        if VOLATILE_HEADERS.contains(&name.as_str()) {
            continue;
        }
        match headers.get_mut(name) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(value);
            }
            _ => {
                headers.insert(name.clone(), value.clone().into());
            }
        }
    }
    let body = request
        .json()
        .cloned()
        .unwrap_or_else(|| Value::String(String::from_utf8_lossy(request.body()).into_owned()));
    json!({
        "method": request.method(),
        "path": request.path(),
        "query": request.query(),
        "headers": headers,
        "body": body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shim_log_parses_into_invocations() {
        let first = b"3\0exec\0a b\0\0PATH=/bin\0X=1=2\0PWD=/tmp\0\0";
        let second = b"1\0exec\0Y=\n\0\0";
        assert_eq!(
            parse_invocations(&[&first[..], &second[..]].concat()),
            Some(vec![
                json!({"argv": ["exec", "a b", ""], "env": {"PATH": "/bin", "X": "1=2"}}),
                json!({"argv": ["exec"], "env": {"Y": "\n"}}),
            ])
        );
        assert_eq!(parse_invocations(b""), Some(vec![]));
        assert_eq!(parse_invocations(b"x\0"), None);
    }

    #[test]
    fn blanked_secret_variables_are_taken_out_of_argv() {
        let argv = [
            "exec",
            "--config",
            "shell_environment_policy.set.CODEX_API_KEY=\"\"",
            "--config",
            "model=\"m\"",
            "--config",
            "shell_environment_policy.set.OTHER=\"x\"",
        ];
        let (kept, blanked) = split_blanked(argv.iter().map(|a| (*a).to_owned()).collect());
        assert_eq!(
            kept,
            [
                "exec",
                "--config",
                "model=\"m\"",
                "--config",
                "shell_environment_policy.set.OTHER=\"x\""
            ]
        );
        assert_eq!(blanked, ["CODEX_API_KEY"]);
    }
}
