//! The argv builder's `CommandSpec` runs through the supervisor: argv, prompt, environment
//! and the output-schema file guard.

use codex_agent_exec::{
    CodexBinary, CodexOptions, Error, ExecRequest, ExecStream, Input, ThreadOptions, TurnOptions,
};
use codex_agent_testkit::fake_codex::{SCRIPT_ENV, Script};
use pretty_assertions::assert_eq;
use serde_json::json;

use crate::support::{self, API_KEY, Scratch, assert_no_secret, collect, fake_program};

#[tokio::test]
async fn a_built_request_runs_and_its_schema_dir_goes_with_the_process() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let record = scratch.path("record.json");
    let script = Script::new()
        .record(&record)
        .line(r#"{"type":"turn.started"}"#)
        .stderr(format!("401 for key {API_KEY}\n"))
        .exit(1);
    let script_path = script.write_to(scratch.dir.path()).expect("script");
    let codex = CodexOptions::new()
        .api_key(API_KEY)
        .env([(SCRIPT_ENV, script_path.as_os_str())]);
    let thread = ThreadOptions::new().skip_git_repo_check(true);
    let turn = TurnOptions::new().output_schema(json!({"type": "object", "properties": {}}));
    let input = Input::from("say hi");
    let spec = ExecRequest::new(&input)
        .codex_options(&codex)
        .thread_options(&thread)
        .turn_options(&turn)
        .build(&CodexBinary::new(fake_program()))
        .expect("build");
    let schema_dir = spec.schema_file().expect("a schema file").dir().to_owned();
    let built_args: Vec<String> = spec
        .args()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();

    let items = collect(ExecStream::spawn(spec, &support::options()).expect("spawn")).await;
    assert_eq!(items.len(), 2);
    let Err(error @ Error::Exited { code: 1, stderr }) = &items[1] else {
        panic!("expected Exited, got {:?}", items[1])
    };
    assert_eq!(stderr, "401 for key [REDACTED]\n");
    assert_no_secret(error);
    assert!(!schema_dir.exists(), "schema dir left behind");

    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).expect("record")).expect("json");
    let recorded_argv: Vec<String> =
        serde_json::from_value(recorded["argv"].clone()).expect("argv");
    assert_eq!(recorded_argv[1..], built_args[..]);
    assert_eq!(recorded["stdin"], "say hi");
    assert_eq!(recorded["env"]["CODEX_API_KEY"], API_KEY);
}
