//! What the errors of the real codex 0.169.0 say, for failures that need no model.

use std::ffi::OsString;

use codex_agent_exec::{
    CodexBinary, CodexOptions, Error, ExecRequest, ExecStream, Input, ThreadOptions,
};

use crate::support::{self, collect};

#[tokio::test]
async fn outside_a_trusted_directory_the_error_says_so_in_its_first_line() {
    let _lock = support::shared().await;
    let codex = codex_agent_testkit::real_codex::real_codex().unwrap_or_else(|e| panic!("{e}"));
    let home = tempfile::tempdir().expect("a fresh CODEX_HOME");
    let workdir = tempfile::tempdir().expect("an empty working directory");
    let mut env: Vec<(OsString, OsString)> = vec![("CODEX_HOME".into(), home.path().into())];
    for name in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            env.push((name.into(), value));
        }
    }
    let options = CodexOptions::new().env(env);
    let thread = ThreadOptions::new().working_directory(workdir.path());
    let input = Input::from("hi");
    let spec = ExecRequest::new(&input)
        .codex_options(&options)
        .thread_options(&thread)
        .build(&CodexBinary::new(codex))
        .expect("build");
    let mut items = collect(ExecStream::spawn(spec, &support::options()).expect("spawn")).await;
    let error = items.pop().expect("an error").expect_err("an error");
    assert!(matches!(error, Error::Exited { code: 1, .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "codex exited with code 1: Not inside a trusted directory and --skip-git-repo-check was \
         not specified."
    );
    let tail = error.stderr_tail().expect("a tail");
    assert!(tail.contains("Reading prompt from stdin..."), "{tail:?}");
}
