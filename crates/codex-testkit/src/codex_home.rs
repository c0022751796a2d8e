//! A throwaway `CODEX_HOME` whose `config.toml` points codex at a [`MockServer`].
//!
//! With only [`CodexHome::env`] in its environment (plus `PATH` and `HOME`: that is
//! [`CodexHome::child_env`]), a plain
//! `codex exec --json --skip-git-repo-check` talks to the mock and nothing else; no `-c` flags
//! are needed. The written `config.toml`:
//!
//! ```toml
//! model = "gpt-5.5"
//! model_provider = "mock"
//! approval_policy = "never"
//! sandbox_mode = "workspace-write"
//!
//! [model_providers.mock]
//! name = "codex-agent-testkit mock"
//! base_url = "http://127.0.0.1:<port>/v1"
//! wire_api = "responses"
//! env_key = "CODEX_TESTKIT_API_KEY"
//! request_max_retries = 0
//! stream_max_retries = 0
//! supports_websockets = false
//!
//! [features]
//! plugins = false
//!
//! [analytics]
//! enabled = false
//! ```
//!
//! Why these values (codex 0.169.0):
//!
//! - `gpt-5.5` is in codex's bundled model catalog. An unknown slug makes codex print an extra
//!   `error` item ("Model metadata for … not found") and offer a different tool set, without
//!   `apply_patch`.
//! - `env_key` names the variable codex reads the API key from; it sends
//!   `authorization: Bearer <value>`. The value is [`CodexHome::API_KEY`].
//! - Zero retries make a failing request fail at once: with codex's defaults one HTTP 500 turns
//!   into 30 requests over about 25 seconds.
//! - `supports_websockets = false` keeps codex on HTTP; otherwise it may try the Responses
//!   WebSocket first.
//! - `plugins = false` and `analytics.enabled = false` keep codex off the network. With the
//!   defaults, every `codex exec` starts a curated-plugin sync (`git ls-remote
//!   https://github.com/openai/plugins.git`, then `api.github.com` and `chatgpt.com`) and
//!   looks up `ab.chatgpt.com`; offline that only costs failed lookups, but a test must not
//!   depend on the network at all.
//!
//! The directory is removed when the [`CodexHome`] is dropped.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::Error;
use crate::mock_server::MockServer;

/// Options for [`CodexHome::with_options`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct CodexHomeOptions {
    model: Option<String>,
    sandbox_mode: Option<String>,
    approval_policy: Option<String>,
    update_plan: bool,
    retries: Option<(u32, u32)>,
    features: Vec<(String, bool)>,
    mcp_servers: Vec<McpServer>,
    extra_toml: String,
}

#[derive(Debug, Clone)]
struct McpServer {
    name: String,
    command: String,
    args: Vec<String>,
}

impl CodexHomeOptions {
    /// Sets `model`. By default, it is [`CodexHome::MODEL`] (`gpt-5.5`).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets `sandbox_mode` (`read-only`, `workspace-write`, `danger-full-access`). By
    /// default, it is `workspace-write`, so `apply_patch` and commands may write in the
    /// working directory.
    pub fn sandbox_mode(mut self, mode: impl Into<String>) -> Self {
        self.sandbox_mode = Some(mode.into());
        self
    }

    /// Sets `approval_policy` (`never`, `on-request`, `on-failure`, `untrusted`). By default,
    /// it is `never`: `codex exec` cannot answer approval prompts.
    pub fn approval_policy(mut self, policy: impl Into<String>) -> Self {
        self.approval_policy = Some(policy.into());
        self
    }

    /// Offers the model the `update_plan` tool (`tools.update_plan.enabled = true`). By
    /// default, it is off, as in codex 0.169.0.
    pub fn update_plan(mut self, enabled: bool) -> Self {
        self.update_plan = enabled;
        self
    }

    /// Sets the provider's `request_max_retries` and `stream_max_retries`. By default, both
    /// are `0`.
    pub fn retries(mut self, request_max_retries: u32, stream_max_retries: u32) -> Self {
        self.retries = Some((request_max_retries, stream_max_retries));
        self
    }

    /// Sets feature flag `name` in `[features]` (see `codex features list`). By default, only
    /// `plugins = false` is written; setting `plugins` here replaces it.
    pub fn feature(mut self, name: impl Into<String>, enabled: bool) -> Self {
        self.features.push((name.into(), enabled));
        self
    }

    /// Adds a stdio MCP server `[mcp_servers.<name>]` started as `command args…`. By
    /// default, there is none. codex 0.169.0 defers MCP tools: the model reaches them through
    /// `tool_search` or a namespaced call (`namespace: "mcp__<name>"`).
    pub fn mcp_server<I, S>(
        mut self,
        name: impl Into<String>,
        command: impl Into<String>,
        args: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.mcp_servers.push(McpServer {
            name: name.into(),
            command: command.into(),
            args: args.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Appends raw TOML at the end of `config.toml`, after every table the options write: start
    /// it with a table header, and do not repeat a table written already (`[features]`,
    /// `[analytics]`, `[model_providers.mock]`; use the setters for those). By default,
    /// nothing is appended.
    pub fn extra_toml(mut self, toml: impl AsRef<str>) -> Self {
        self.extra_toml.push_str(toml.as_ref());
        if !self.extra_toml.ends_with('\n') {
            self.extra_toml.push('\n');
        }
        self
    }
}

/// A temporary `CODEX_HOME` configured for a [`MockServer`]. See the [module docs](self).
#[derive(Debug)]
pub struct CodexHome {
    dir: TempDir,
}

/// How long dropping a [`CodexHome`] waits for the codex processes still using it to exit
/// after `SIGTERM`, and then after `SIGKILL`.
const DROP_GRACE: [std::time::Duration; 2] = [
    std::time::Duration::from_secs(3),
    std::time::Duration::from_secs(2),
];

impl Drop for CodexHome {
    /// Stops the processes still running on this home before it is removed: an app-server
    /// whose `Codex` was just dropped stops asynchronously, and until it is gone it writes into
    /// the home (its thread database, its writer locks), which left directories such as
    /// `codex-testkit-home.*/thread-writer-locks/` behind in the temp dir. They are found by
    /// their `CODEX_HOME` wherever they were reparented to, sent `SIGTERM` (codex flushes its
    /// exporters then, as when the SDK stops it) and, if still there after three seconds,
    /// `SIGKILL`. The waits poll `/proc` on this thread, without the async runtime, whose
    /// tasks may be blocked by this drop.
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        {
            use rustix::process::{Pid, Signal, kill_process};
            let home = self.dir.path().to_string_lossy().into_owned();
            let mut signals = [Signal::TERM, Signal::KILL].into_iter().zip(DROP_GRACE);
            // Each signal is sent when the previous one's grace ran out (the first at once).
            let mut deadline = std::time::Instant::now();
            loop {
                let pids = crate::process_watch::with_env("CODEX_HOME", &home);
                if pids.is_empty() {
                    return;
                }
                if std::time::Instant::now() >= deadline {
                    let Some((signal, grace)) = signals.next() else {
                        return;
                    };
                    for pid in pids {
                        if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
                            let _ = kill_process(pid, signal);
                        }
                    }
                    deadline = std::time::Instant::now() + grace;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}

/// The variables of this process [`CodexHome::child_env`] hands on.
const INHERITED_VARS: [&str; 2] = ["PATH", "HOME"];

impl CodexHome {
    /// The model written to `config.toml` by default.
    pub const MODEL: &'static str = "gpt-5.5";
    /// The environment variable the mock provider reads its API key from (`env_key`).
    pub const API_KEY_VAR: &'static str = "CODEX_TESTKIT_API_KEY";
    /// The dummy API key [`CodexHome::env`] sets; codex sends it as `Bearer <key>`.
    pub const API_KEY: &'static str = "codex-testkit-dummy-key";
    /// The provider id in `config.toml`.
    pub const PROVIDER_ID: &'static str = "mock";

    /// A fresh `CODEX_HOME` pointing at `mock`, with default options.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the directory or `config.toml` cannot be written.
    pub fn new(mock: &MockServer) -> Result<Self, Error> {
        Self::with_options(mock, CodexHomeOptions::default())
    }

    /// A fresh `CODEX_HOME` pointing at `mock`, with `options`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the directory or `config.toml` cannot be written.
    pub fn with_options(mock: &MockServer, options: CodexHomeOptions) -> Result<Self, Error> {
        Self::for_url(&mock.url(), options)
    }

    /// A fresh `CODEX_HOME` pointing at any Responses API base URL (ending in `/v1`).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the directory or `config.toml` cannot be written.
    pub fn for_url(base_url: &str, options: CodexHomeOptions) -> Result<Self, Error> {
        let dir = tempfile::Builder::new()
            .prefix("codex-testkit-home.")
            .tempdir()
            .map_err(|source| Error::Io {
                action: "create a temporary directory in",
                path: std::env::temp_dir(),
                source,
            })?;
        let home = Self { dir };
        let config = home.config_path();
        std::fs::write(&config, render_config(base_url, options)).map_err(|source| Error::Io {
            action: "write",
            path: config,
            source,
        })?;
        Ok(home)
    }

    /// The directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `<home>/config.toml`.
    #[must_use]
    pub fn config_path(&self) -> PathBuf {
        self.path().join("config.toml")
    }

    /// The variables that point codex at the mock: `CODEX_HOME` and
    /// [`CodexHome::API_KEY_VAR`]. codex also needs `PATH` and `HOME`; nothing else is needed
    /// ([`CodexHome::child_env`] adds them).
    #[must_use]
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        vec![
            (
                OsString::from("CODEX_HOME"),
                self.path().as_os_str().to_owned(),
            ),
            (
                OsString::from(Self::API_KEY_VAR),
                OsString::from(Self::API_KEY),
            ),
        ]
    }

    /// The whole environment to give codex with `CodexOptions::env`: [`CodexHome::env`] plus
    /// this process's `PATH` (codex and the commands it runs need it) and `HOME`, when set.
    /// Nothing else is inherited, so the user's own `CODEX_HOME`, API keys and proxy settings
    /// stay out of the test.
    #[must_use]
    pub fn child_env(&self) -> Vec<(OsString, OsString)> {
        self.child_env_from(|name: &str| std::env::var_os(name))
    }

    /// [`CodexHome::child_env`] with the inherited variables read through `lookup`.
    fn child_env_from(
        &self,
        lookup: impl Fn(&str) -> Option<OsString>,
    ) -> Vec<(OsString, OsString)> {
        let mut env = self.env();
        env.extend(
            INHERITED_VARS
                .iter()
                .filter_map(|name| Some((OsString::from(name), lookup(name)?))),
        );
        env
    }
}

fn render_config(base_url: &str, options: CodexHomeOptions) -> String {
    let CodexHomeOptions {
        model,
        sandbox_mode,
        approval_policy,
        update_plan,
        retries,
        features: feature_overrides,
        mcp_servers,
        extra_toml,
    } = options;
    let model = model.as_deref().unwrap_or(CodexHome::MODEL);
    let sandbox = sandbox_mode.as_deref().unwrap_or("workspace-write");
    let approval = approval_policy.as_deref().unwrap_or("never");
    let (request_retries, stream_retries) = retries.unwrap_or((0, 0));
    let mut toml =
        String::from("# Written by codex-agent-testkit: codex talks to a local mock only.\n");
    // `write!` to a `String` cannot fail.
    let _ = write!(
        toml,
        "model = {model}\n\
         model_provider = {provider}\n\
         approval_policy = {approval}\n\
         sandbox_mode = {sandbox}\n\
         \n\
         [model_providers.{provider_key}]\n\
         name = \"codex-agent-testkit mock\"\n\
         base_url = {base_url}\n\
         wire_api = \"responses\"\n\
         env_key = {env_key}\n\
         request_max_retries = {request_retries}\n\
         stream_max_retries = {stream_retries}\n\
         supports_websockets = false\n",
        model = toml_string(model),
        provider = toml_string(CodexHome::PROVIDER_ID),
        approval = toml_string(approval),
        sandbox = toml_string(sandbox),
        provider_key = toml_key(CodexHome::PROVIDER_ID),
        base_url = toml_string(base_url),
        env_key = toml_string(CodexHome::API_KEY_VAR),
    );
    let mut features: Vec<(&str, bool)> = vec![("plugins", false)];
    for (name, enabled) in &feature_overrides {
        match features.iter_mut().find(|(known, _)| known == name) {
            Some(slot) => slot.1 = *enabled,
            None => features.push((name, *enabled)),
        }
    }
    toml.push_str("\n[features]\n");
    for (name, enabled) in features {
        let _ = writeln!(toml, "{} = {enabled}", toml_key(name));
    }
    toml.push_str("\n[analytics]\nenabled = false\n");
    if update_plan {
        toml.push_str("\n[tools.update_plan]\nenabled = true\n");
    }
    for server in &mcp_servers {
        let args: Vec<String> = server.args.iter().map(|arg| toml_string(arg)).collect();
        let _ = write!(
            toml,
            "\n[mcp_servers.{}]\ncommand = {}\nargs = [{}]\n",
            toml_key(&server.name),
            toml_string(&server.command),
            args.join(", "),
        );
    }
    if !extra_toml.is_empty() {
        toml.push('\n');
        toml.push_str(&extra_toml);
    }
    toml
}

/// A TOML basic string: `"…"` with `"`, `\` and control characters escaped.
fn toml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when it may be, quoted otherwise.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        toml_string(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    #[expect(
        clippy::disallowed_methods,
        reason = "the test starts the processes the drop must stop"
    )]
    fn dropping_a_home_stops_the_processes_still_using_it() {
        use std::io::BufRead as _;
        use std::os::unix::process::ExitStatusExt as _;
        let home = CodexHome::for_url("http://127.0.0.1:9/v1", CodexHomeOptions::default())
            .expect("a home");
        let dir = home.path().to_path_buf();
        let spawn = |script: &str| {
            let mut child = std::process::Command::new("/bin/sh")
                .args(["-c", script])
                .env("CODEX_HOME", &dir)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("sh starts");
            let mut ready = String::new();
            std::io::BufReader::new(child.stdout.take().expect("piped"))
                .read_line(&mut ready)
                .expect("reads");
            assert_eq!(ready, "ready\n");
            child
        };
        // One ends on SIGTERM; one ignores it, and ends on the SIGKILL after the grace period.
        let mut polite = spawn("echo ready; exec sleep 30");
        let mut stubborn = spawn("trap '' TERM; echo ready; while :; do sleep 0.05; done");

        drop(home);

        assert_eq!(polite.wait().expect("reaped").signal(), Some(15));
        assert_eq!(stubborn.wait().expect("reaped").signal(), Some(9));
        assert!(!dir.exists(), "the home is removed");
        assert_eq!(
            crate::process_watch::with_env("CODEX_HOME", &dir.to_string_lossy()),
            Vec::<u32>::new()
        );
    }

    #[test]
    fn child_env_adds_path_and_home_and_nothing_else() {
        let home = CodexHome::for_url("http://127.0.0.1:9/v1", CodexHomeOptions::default())
            .expect("a home");
        let lookup = |name: &str| match name {
            "PATH" => Some(OsString::from("/usr/bin:/bin")),
            "HOME" => Some(OsString::from("/home/user")),
            _ => Some(OsString::from("inherited")),
        };
        let mut expected = home.env();
        expected.push(("PATH".into(), "/usr/bin:/bin".into()));
        expected.push(("HOME".into(), "/home/user".into()));
        assert_eq!(home.child_env_from(lookup), expected);

        // An unset variable is left out, not set empty.
        let only_path = |name: &str| (name == "PATH").then(|| OsString::from("/bin"));
        let mut expected = home.env();
        expected.push(("PATH".into(), "/bin".into()));
        assert_eq!(home.child_env_from(only_path), expected);
    }

    #[test]
    fn default_config_points_at_the_mock() {
        let config = render_config("http://127.0.0.1:9/v1", CodexHomeOptions::default());
        assert_eq!(
            config,
            "# Written by codex-agent-testkit: codex talks to a local mock only.\n\
             model = \"gpt-5.5\"\n\
             model_provider = \"mock\"\n\
             approval_policy = \"never\"\n\
             sandbox_mode = \"workspace-write\"\n\
             \n\
             [model_providers.mock]\n\
             name = \"codex-agent-testkit mock\"\n\
             base_url = \"http://127.0.0.1:9/v1\"\n\
             wire_api = \"responses\"\n\
             env_key = \"CODEX_TESTKIT_API_KEY\"\n\
             request_max_retries = 0\n\
             stream_max_retries = 0\n\
             supports_websockets = false\n\
             \n\
             [features]\n\
             plugins = false\n\
             \n\
             [analytics]\n\
             enabled = false\n"
        );
    }

    #[test]
    fn options_add_tables_and_escape_values() {
        let options = CodexHomeOptions::default()
            .sandbox_mode("read-only")
            .update_plan(true)
            .retries(2, 1)
            .mcp_server("demo", "python3", ["server.py", "--name=\"x\""])
            .mcp_server("odd name", "/bin/srv", Vec::<String>::new())
            .feature("goals", true)
            .feature("plugins", true)
            .extra_toml("[shell_environment_policy]\ninherit = \"core\"");
        let config = render_config("http://127.0.0.1:9/v1", options);
        assert!(config.contains("sandbox_mode = \"read-only\"\n"));
        assert!(config.contains("request_max_retries = 2\nstream_max_retries = 1\n"));
        assert!(config.contains("\n[tools.update_plan]\nenabled = true\n"));
        assert!(config.contains(
            "\n[mcp_servers.demo]\ncommand = \"python3\"\nargs = [\"server.py\", \"--name=\\\"x\\\"\"]\n"
        ));
        assert!(
            config.contains("\n[mcp_servers.\"odd name\"]\ncommand = \"/bin/srv\"\nargs = []\n")
        );
        assert!(config.contains("\n[features]\nplugins = true\ngoals = true\n"));
        assert!(config.ends_with("\n[shell_environment_policy]\ninherit = \"core\"\n"));
    }

    #[test]
    fn toml_strings_escape_controls() {
        assert_eq!(
            toml_string("a\"b\\c\u{1}\u{7f}é"),
            "\"a\\\"b\\\\c\\u0001\\u007Fé\""
        );
    }
}
