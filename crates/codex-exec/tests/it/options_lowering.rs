//! Every option reaches both transports or is refused: one row per public setter of
//! [`CodexOptions`], [`ThreadOptions`] and [`TurnOptions`], with what it changes on each
//! transport compared with the default options.
//!
//! For `codex exec` the difference is taken on the [`CommandSpec`] of
//! [`ExecRequest::build`] (argv of a new thread and of a resumed one, environment, secrets);
//! for the app-server on the [`CommandSpec`] of [`AppServer::command`] (the process that
//! [`AppServer::spawn`] runs) and on the JSON of `thread/start`, `thread/resume` and
//! `turn/start` ([`ThreadOptions::thread_start_params`],
//! [`ThreadOptions::thread_resume_params`], [`TurnOptions::turn_start_params`]). A row
//! expects either that exact difference, which must not be empty, or
//! [`Error::Unsupported`], or an explicit "not applicable" with the reason. A setter added
//! without a lowering therefore fails [`every_setter_reaches_both_transports_or_is_refused`],
//! and a setter added without a row fails [`every_setter_has_a_row`], which reads the setters
//! out of `src/command.rs`.
//!
//! `UPDATE_EXPECT=1` rewrites the expected differences.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;

use codex_agent_exec::app_server::AppServer;
use codex_agent_exec::{
    ApprovalPolicy, CodexBinary, CodexOptions, CommandSpec, CyberAccessProgram, Error, ExecRequest,
    Input, ReasoningEffort, SandboxMode, ThreadOptions, TurnOptions, WebSearchMode,
};
use codex_agent_protocol::app_server::UserInput;
use expect_test::{Expect, expect};
use serde_json::{Value, json};

/// The source the setters are read from, for the completeness guard.
const COMMAND_RS: &str = include_str!("../../src/command.rs");

/// The option types whose setters must all have a row.
const OPTION_TYPES: [&str; 3] = ["CodexOptions", "ThreadOptions", "TurnOptions"];

const THREAD_ID: &str = "thread-1";
const PROMPT: &str = "row prompt";
const SCHEMA_PLACEHOLDER: &str = "<schema.json>";

/// One public setter, applied with a non-default value to the default options.
#[derive(Clone, Copy)]
enum Setter {
    Codex(fn(CodexOptions) -> CodexOptions),
    Thread(fn(ThreadOptions) -> ThreadOptions),
    Turn(fn(TurnOptions) -> TurnOptions),
}

impl Setter {
    fn type_name(self) -> &'static str {
        match self {
            Self::Codex(_) => "CodexOptions",
            Self::Thread(_) => "ThreadOptions",
            Self::Turn(_) => "TurnOptions",
        }
    }
}

/// What a setter does to one transport.
#[derive(Debug)]
enum Lowering {
    /// This exact, non-empty difference from the default options.
    Changes(Expect),
    /// Refused with [`Error::Unsupported`] naming this transport.
    Unsupported,
    /// Deliberately no difference at all, for the reason given: the transport has nothing the
    /// option could change. Checked: the difference must be empty.
    NotApplicable(&'static str),
}

struct Row {
    /// The setter's name in `src/command.rs`.
    name: &'static str,
    setter: Setter,
    exec: Lowering,
    app_server: Lowering,
}

fn row(name: &'static str, setter: Setter, exec: Lowering, app_server: Lowering) -> Row {
    Row {
        name,
        setter,
        exec,
        app_server,
    }
}

use Lowering::{Changes, NotApplicable, Unsupported};
use Setter::{Codex, Thread, Turn};

#[expect(
    clippy::too_many_lines,
    reason = "the table has one row per setter and grows with the options"
)]
fn rows() -> Vec<Row> {
    vec![
        row(
            "config",
            Codex(|o| {
                let config = json!({"model_provider": "row", "tools": {"view_image": false}});
                o.config(config.as_object().cloned().expect("an object"))
            }),
            Changes(expect![[r#"
                argv: + --config model_provider="row" --config tools.view_image=false"#]]),
            Changes(expect![[r#"
                argv: + --config model_provider="row" --config tools.view_image=false"#]]),
        ),
        row(
            "config_entry",
            Codex(|o| o.config_entry("row_key", "row")),
            Changes(expect![[r#"
                argv: + --config row_key="row""#]]),
            Changes(expect![[r#"
                argv: + --config row_key="row""#]]),
        ),
        row(
            "config_overrides",
            Codex(|o| o.config_overrides(["row.raw=1"])),
            Changes(expect![[r"
                argv: + --config row.raw=1"]]),
            Changes(expect![[r"
                argv: + --config row.raw=1"]]),
        ),
        row(
            "base_url",
            Codex(|o| o.base_url("http://127.0.0.1:9/v1")),
            Changes(expect![[r#"
                argv: + --config openai_base_url="http://127.0.0.1:9/v1""#]]),
            Changes(expect![[r#"
                argv: + --config openai_base_url="http://127.0.0.1:9/v1""#]]),
        ),
        row(
            "api_key",
            Codex(|o| o.api_key("sk-row-api-key-0001")),
            Changes(expect![[r#"
                argv: + --config shell_environment_policy.set.CODEX_API_KEY=""
                env: + CODEX_API_KEY=sk-row-api-key-0001
                secrets: + sk-row-api-key-0001"#]]),
            Changes(expect![[r#"
                argv: + --config shell_environment_policy.set.CODEX_API_KEY=""
                env: + CODEX_API_KEY=sk-row-api-key-0001
                secrets: + sk-row-api-key-0001"#]]),
        ),
        row(
            "secret",
            Codex(|o| o.secret("row-secret-value-0002")),
            Changes(expect![[r"
                secrets: + row-secret-value-0002"]]),
            Changes(expect![[r"
                secrets: + row-secret-value-0002"]]),
        ),
        row(
            "secret_env_var",
            Codex(|o| o.secret_env_var("ROW_TOKEN_VAR", "row-secret-var-0004")),
            Changes(expect![[r#"
                argv: + --config shell_environment_policy.set.ROW_TOKEN_VAR=""
                env: + ROW_TOKEN_VAR=row-secret-var-0004
                secrets: + row-secret-var-0004"#]]),
            Changes(expect![[r#"
                argv: + --config shell_environment_policy.set.ROW_TOKEN_VAR=""
                env: + ROW_TOKEN_VAR=row-secret-var-0004
                secrets: + row-secret-var-0004"#]]),
        ),
        row(
            "secret_env",
            Codex(|o| o.secret_env("ROW_SECRET")),
            Changes(expect![[r#"
                argv: + --config shell_environment_policy.set.ROW_SECRET=""
                secrets: + row-secret-env-0003"#]]),
            Changes(expect![[r#"
                argv: + --config shell_environment_policy.set.ROW_SECRET=""
                secrets: + row-secret-env-0003"#]]),
        ),
        row(
            "share_secrets_with_commands",
            Codex(|o| o.share_secrets_with_commands(true)),
            Changes(expect![[r#"
                argv: - --config shell_environment_policy.set.OPENAI_API_KEY="""#]]),
            Changes(expect![[r#"
                argv: - --config shell_environment_policy.set.OPENAI_API_KEY="""#]]),
        ),
        row(
            "env",
            Codex(|o| o.env([("HOME", "/row-home")])),
            Changes(expect![[r#"
                argv: - --config shell_environment_policy.set.OPENAI_API_KEY=""
                env: ~ HOME=/row-home
                env: - OPENAI_API_KEY
                env: - PATH
                env: - ROW_SECRET
                secrets: - sk-base-openai-key-0000"#]]),
            Changes(expect![[r#"
                argv: - --config shell_environment_policy.set.OPENAI_API_KEY=""
                env: ~ HOME=/row-home
                env: - OPENAI_API_KEY
                env: - PATH
                env: - ROW_SECRET
                secrets: - sk-base-openai-key-0000"#]]),
        ),
        row(
            "env_var",
            Codex(|o| o.env_var("ROW_EXTRA", "1")),
            Changes(expect!["env: + ROW_EXTRA=1"]),
            Changes(expect!["env: + ROW_EXTRA=1"]),
        ),
        row(
            "model",
            Thread(|o| o.model("gpt-row")),
            Changes(expect![[r"
                argv: + --model gpt-row"]]),
            Changes(expect![[r#"
                thread/start: + /model = "gpt-row""#]]),
        ),
        row(
            "thread_source",
            Thread(|o| o.thread_source("row-source")),
            Changes(expect![[r"
                argv: + --thread-source row-source
                argv on resume: no change"]]),
            Changes(expect![[r#"
                thread/start: + /threadSource = "row-source"
                thread/resume: no change"#]]),
        ),
        row(
            "sandbox_mode",
            Thread(|o| o.sandbox_mode(SandboxMode::WorkspaceWrite)),
            Changes(expect![[r"
                argv: + --sandbox workspace-write"]]),
            Changes(expect![[r#"
                thread/start: + /sandbox = "workspace-write""#]]),
        ),
        row(
            "working_directory",
            Thread(|o| o.working_directory("/row/cwd")),
            Changes(expect![[r"
                argv: + --cd /row/cwd"]]),
            Changes(expect![[r#"
                thread/start: + /cwd = "/row/cwd""#]]),
        ),
        row(
            "additional_directories",
            Thread(|o| o.additional_directories(["/row/a", "/row/b"])),
            Changes(expect![[r"
                argv: + --add-dir /row/a --add-dir /row/b"]]),
            Changes(expect![[r#"
                thread/start: + /config = {"sandbox_workspace_write":{"writable_roots":["/row/a","/row/b"]}}"#]]),
        ),
        row(
            "skip_git_repo_check",
            Thread(|o| o.skip_git_repo_check(true)),
            Changes(expect![[r"
                argv: + --skip-git-repo-check"]]),
            NotApplicable(
                "the app-server never checks whether its threads run in a Git repository, so \
                 there is no check to skip",
            ),
        ),
        row(
            "model_reasoning_effort",
            Thread(|o| o.model_reasoning_effort(ReasoningEffort::High)),
            Changes(expect![[r#"
                argv: + --config model_reasoning_effort="high""#]]),
            Changes(expect![[r#"
                thread/start: + /config = {"model_reasoning_effort":"high"}"#]]),
        ),
        row(
            "network_access_enabled",
            Thread(|o| o.network_access_enabled(true)),
            Changes(expect![[r"
                argv: + --config sandbox_workspace_write.network_access=true"]]),
            Changes(expect![[r#"
                thread/start: + /config = {"sandbox_workspace_write":{"network_access":true}}"#]]),
        ),
        row(
            "web_search_mode",
            Thread(|o| o.web_search_mode(WebSearchMode::Cached)),
            Changes(expect![[r#"
                argv: + --config web_search="cached""#]]),
            Changes(expect![[r#"
                thread/start: + /config = {"web_search":"cached"}"#]]),
        ),
        row(
            "web_search_enabled",
            Thread(|o| o.web_search_enabled(false)),
            Changes(expect![[r#"
                argv: + --config web_search="disabled""#]]),
            Changes(expect![[r#"
                thread/start: + /config = {"web_search":"disabled"}"#]]),
        ),
        row(
            "approval_policy",
            Thread(|o| o.approval_policy(ApprovalPolicy::OnRequest)),
            Changes(expect![[r#"
                argv: + --config approval_policy="on-request""#]]),
            Changes(expect![[r#"
                thread/start: + /approvalPolicy = "on-request""#]]),
        ),
        row(
            "base_instructions",
            Thread(|o| o.base_instructions("row-base")),
            Unsupported,
            Changes(expect![[r#"
                thread/start: + /baseInstructions = "row-base""#]]),
        ),
        row(
            "developer_instructions",
            Thread(|o| o.developer_instructions("row-developer")),
            Changes(expect![[r#"
                argv: + --config developer_instructions="row-developer""#]]),
            Changes(expect![[r#"
                thread/start: + /developerInstructions = "row-developer""#]]),
        ),
        row(
            "output_schema",
            Turn(|o| o.output_schema(json!({"type": "object"}))),
            Changes(expect![[r"
                argv: + --output-schema <schema.json>"]]),
            Changes(expect![[r#"
                turn/start: + /outputSchema = {"type":"object"}"#]]),
        ),
        row(
            "cyber_access_program",
            Turn(|o| o.cyber_access_program(CyberAccessProgram::DaybreakBlue)),
            Changes(expect![[r"
                argv: + --cyber-access-program daybreak_blue"]]),
            Changes(expect![[r#"
                turn/start: + /cyberAccessProgram = "daybreak_blue""#]]),
        ),
    ]
}

#[test]
fn every_setter_reaches_both_transports_or_is_refused() {
    for row in rows() {
        check(&row);
    }
}

#[test]
fn every_setter_has_a_row() {
    let in_source = setters_in_source();
    let in_table: BTreeSet<(String, String)> = rows()
        .iter()
        .map(|row| (row.setter.type_name().to_owned(), row.name.to_owned()))
        .collect();
    pretty_assertions::assert_eq!(
        in_table,
        in_source,
        "every public setter of {OPTION_TYPES:?} in src/command.rs needs one row in \
         `rows()`, under the type it belongs to"
    );
}

/// Values that count as unset: neither transport changes anything for them.
#[test]
fn empty_values_count_as_unset_on_both_transports() {
    let rows: [(&str, Setter); 8] = [
        ("base_url", Codex(|o| o.base_url(""))),
        ("api_key", Codex(|o| o.api_key(""))),
        ("model", Thread(|o| o.model(""))),
        ("working_directory", Thread(|o| o.working_directory(""))),
        (
            "sandbox_mode",
            Thread(|o| o.sandbox_mode(SandboxMode::from(""))),
        ),
        (
            "model_reasoning_effort",
            Thread(|o| o.model_reasoning_effort(ReasoningEffort::from(""))),
        ),
        (
            "web_search_mode",
            Thread(|o| o.web_search_mode(WebSearchMode::from(""))),
        ),
        (
            "approval_policy",
            Thread(|o| o.approval_policy(ApprovalPolicy::from(""))),
        ),
    ];
    for (name, setter) in rows {
        for (transport, effect) in [
            ("exec", exec_effect(setter)),
            ("app-server", app_server_effect(setter)),
        ] {
            let effect = effect.unwrap_or_else(|e| panic!("{name}(\"\") on {transport}: {e}"));
            assert_eq!(effect, "", "{name}(\"\") on {transport} is not unset");
        }
    }
}

/// Checks one row against both transports.
fn check(row: &Row) {
    check_transport(row.name, "exec", exec_effect(row.setter), &row.exec);
    check_transport(
        row.name,
        "app-server",
        app_server_effect(row.setter),
        &row.app_server,
    );
}

fn check_transport(
    name: &str,
    transport: &str,
    effect: Result<String, Error>,
    expected: &Lowering,
) {
    match (expected, effect) {
        (Changes(expect), Ok(effect)) => {
            assert!(
                !effect.is_empty(),
                "`{name}` changes nothing on the {transport} transport: lower it, refuse it \
                 with Error::Unsupported, or declare it NotApplicable with the reason"
            );
            expect.assert_eq(&effect);
        }
        (
            Unsupported,
            Err(Error::Unsupported {
                transport: refused, ..
            }),
        ) => {
            assert_eq!(
                refused, transport,
                "`{name}` refused by the wrong transport"
            );
        }
        (NotApplicable(why), Ok(effect)) => assert_eq!(
            effect, "",
            "`{name}` is declared not applicable on the {transport} transport ({why}), but \
             changes something"
        ),
        (expected, effect) => {
            panic!("`{name}` on the {transport} transport: expected {expected:?}, got {effect:?}")
        }
    }
}

/// The options every row starts from: the defaults, except for a fixed environment (so
/// nothing depends on the test process's) that holds one secret the SDK knows by name
/// (`OPENAI_API_KEY`) and one it only knows through [`CodexOptions::secret_env`].
struct Options {
    codex: CodexOptions,
    thread: ThreadOptions,
    turn: TurnOptions,
}

impl Options {
    fn base() -> Self {
        Self {
            codex: CodexOptions::new().env([
                ("HOME", "/nonexistent-home"),
                ("PATH", "/usr/bin"),
                ("OPENAI_API_KEY", "sk-base-openai-key-0000"),
                ("ROW_SECRET", "row-secret-env-0003"),
            ]),
            thread: ThreadOptions::new(),
            turn: TurnOptions::new(),
        }
    }

    fn with(setter: Setter) -> Self {
        let Self {
            codex,
            thread,
            turn,
        } = Self::base();
        match setter {
            Codex(set) => Self {
                codex: set(codex),
                thread,
                turn,
            },
            Thread(set) => Self {
                codex,
                thread: set(thread),
                turn,
            },
            Turn(set) => Self {
                codex,
                thread,
                turn: set(turn),
            },
        }
    }

    fn exec(&self, resume: bool) -> Result<CommandSpec, Error> {
        let input = Input::from(PROMPT);
        let mut request = ExecRequest::new(&input)
            .codex_options(&self.codex)
            .thread_options(&self.thread)
            .turn_options(&self.turn);
        if resume {
            request = request.resume(THREAD_ID);
        }
        request.build(&binary())
    }

    fn app_server(&self) -> Result<CommandSpec, Error> {
        AppServer::command(&binary(), &self.codex)
    }

    fn thread_start(&self) -> Value {
        to_json(&self.thread.thread_start_params())
    }

    fn thread_resume(&self) -> Value {
        to_json(&self.thread.thread_resume_params(THREAD_ID))
    }

    fn turn_start(&self) -> Result<Value, Error> {
        let params = self
            .turn
            .turn_start_params(THREAD_ID, vec![UserInput::text(PROMPT)])?;
        Ok(to_json(&params))
    }
}

fn binary() -> CodexBinary {
    CodexBinary::new("/row/bin/codex")
}

fn to_json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("params serialize")
}

/// What `setter` changes in the `codex exec` command, or why it is refused.
fn exec_effect(setter: Setter) -> Result<String, Error> {
    let base = Options::base();
    let with = Options::with(setter);
    let base_new = base.exec(false).expect("the base options build");
    let base_resume = base.exec(true).expect("the base options build");
    let new = with.exec(false)?;
    let resume = with.exec(true)?;
    let mut out = Effect::default();
    let argv = argv_diff(&base_new, &new);
    out.section("argv", &argv);
    let argv_resume = argv_diff(&base_resume, &resume);
    if argv_resume != argv {
        out.section_or_no_change("argv on resume", &argv_resume);
    }
    out.section("env", &env_diff(&base_new, &new));
    out.section("secrets", &secrets_diff(&base_new, &new));
    Ok(out.finish())
}

/// What `setter` changes in the app-server process and requests, or why it is refused.
fn app_server_effect(setter: Setter) -> Result<String, Error> {
    let base = Options::base();
    let with = Options::with(setter);
    let base_process = base.app_server().expect("the base options build");
    let process = with.app_server()?;
    let turn_start = with.turn_start()?;
    let mut out = Effect::default();
    out.section("argv", &argv_diff(&base_process, &process));
    out.section("env", &env_diff(&base_process, &process));
    out.section("secrets", &secrets_diff(&base_process, &process));
    let start = json_diff(&base.thread_start(), &with.thread_start());
    out.section("thread/start", &start);
    let resume = json_diff(&base.thread_resume(), &with.thread_resume());
    if resume != start {
        out.section_or_no_change("thread/resume", &resume);
    }
    let base_turn = base.turn_start().expect("the base options build");
    out.section("turn/start", &json_diff(&base_turn, &turn_start));
    Ok(out.finish())
}

/// The rendered difference: one `section: change` line per change.
#[derive(Default)]
struct Effect(Vec<String>);

impl Effect {
    fn section(&mut self, name: &str, changes: &[String]) {
        self.0
            .extend(changes.iter().map(|change| format!("{name}: {change}")));
    }

    fn section_or_no_change(&mut self, name: &str, changes: &[String]) {
        if changes.is_empty() {
            self.0.push(format!("{name}: no change"));
        } else {
            self.section(name, changes);
        }
    }

    fn finish(self) -> String {
        self.0.join("\n")
    }
}

/// The arguments removed (`- …`) and added (`+ …`), one line per run of consecutive
/// arguments, along a longest common subsequence. The output schema's temporary path is
/// replaced by a placeholder.
fn argv_diff(base: &CommandSpec, with: &CommandSpec) -> Vec<String> {
    let a = args(base);
    let b = args(with);
    // lcs[i][j]: the length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0_usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    // One step per argument: `None` keeps it, `Some(sign)` removes or adds it. Of the
    // alignments of the same length, the one that adds and removes as early as possible is
    // taken, so that an added `--config k=v` shows as such and not as `k=v --config` when
    // another `--config` follows it.
    let mut steps: Vec<(Option<char>, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if j < b.len() && lcs[i][j + 1] == lcs[i][j] {
            steps.push((Some('+'), &b[j]));
            j += 1;
        } else if i < a.len() && lcs[i + 1][j] == lcs[i][j] {
            steps.push((Some('-'), &a[i]));
            i += 1;
        } else {
            steps.push((None, &a[i]));
            i += 1;
            j += 1;
        }
    }
    steps
        .chunk_by(|x, y| x.0 == y.0)
        .filter_map(|run| {
            let sign = run[0].0?;
            let args: Vec<&str> = run.iter().map(|(_, arg)| *arg).collect();
            Some(format!("{sign} {}", args.join(" ")))
        })
        .collect()
}

fn args(spec: &CommandSpec) -> Vec<String> {
    let schema = spec.schema_file().map(|file| file.path().as_os_str());
    spec.args()
        .iter()
        .map(|arg| {
            if Some(arg.as_os_str()) == schema {
                SCHEMA_PLACEHOLDER.to_owned()
            } else {
                arg.to_string_lossy().into_owned()
            }
        })
        .collect()
}

/// The variables added (`+ K=V`), changed (`~ K=V`) and removed (`- K`), by name.
fn env_diff(base: &CommandSpec, with: &CommandSpec) -> Vec<String> {
    let vars = |spec: &CommandSpec| -> BTreeMap<String, String> {
        spec.env()
            .iter()
            .map(|(k, v)| (lossy(k), lossy(v)))
            .collect()
    };
    let (a, b) = (vars(base), vars(with));
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| match (a.get(name), b.get(name)) {
            (None, Some(value)) => Some(format!("+ {name}={value}")),
            (Some(_), None) => Some(format!("- {name}")),
            (Some(old), Some(new)) if old != new => Some(format!("~ {name}={new}")),
            _ => None,
        })
        .collect()
}

/// The secrets to redact added (`+ …`) and removed (`- …`).
fn secrets_diff(base: &CommandSpec, with: &CommandSpec) -> Vec<String> {
    let secrets = |spec: &CommandSpec| -> BTreeSet<String> {
        spec.secrets()
            .iter()
            .map(|secret| secret.expose().to_owned())
            .collect()
    };
    let (a, b) = (secrets(base), secrets(with));
    let removed = a.difference(&b).map(|s| format!("- {s}"));
    let added = b.difference(&a).map(|s| format!("+ {s}"));
    removed.chain(added).collect()
}

/// The members added (`+ /pointer = value`), changed (`~ /pointer = value`) and removed
/// (`- /pointer`), descending into objects present on both sides.
fn json_diff(base: &Value, with: &Value) -> Vec<String> {
    fn walk(pointer: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => {
                let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                for key in keys {
                    let inner = format!("{pointer}/{key}");
                    match (a.get(key), b.get(key)) {
                        (Some(a), Some(b)) => walk(&inner, a, b, out),
                        (None, Some(b)) => out.push(format!("+ {inner} = {b}")),
                        (Some(_), None) => out.push(format!("- {inner}")),
                        (None, None) => {}
                    }
                }
            }
            (a, b) if a != b => out.push(format!("~ {pointer} = {b}")),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", base, with, &mut out);
    out
}

fn lossy(text: &OsStr) -> String {
    text.to_string_lossy().into_owned()
}

/// The `(type, setter)` pairs of `src/command.rs`: every `pub fn` taking `mut self` in an
/// inherent `impl` block of one of [`OPTION_TYPES`].
fn setters_in_source() -> BTreeSet<(String, String)> {
    let mut setters = BTreeSet::new();
    for block in COMMAND_RS.split("\nimpl ").skip(1) {
        let Some((header, body)) = block.split_once(" {\n") else {
            continue;
        };
        if !OPTION_TYPES.contains(&header) {
            continue;
        }
        let body = body.split("\n}\n").next().unwrap_or(body);
        for item in body.split("pub fn ").skip(1) {
            let Some((name, rest)) = item.split_once('(') else {
                continue;
            };
            let name = name.split('<').next().unwrap_or(name);
            if rest.trim_start().starts_with("mut self") {
                setters.insert((header.to_owned(), name.to_owned()));
            }
        }
    }
    assert!(
        OPTION_TYPES
            .iter()
            .all(|ty| setters.iter().any(|(found, _)| found == ty)),
        "no setters found for some of {OPTION_TYPES:?} in src/command.rs: has its layout \
         changed? found {setters:?}"
    );
    setters
}
