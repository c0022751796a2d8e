//! The README's "Without an API key" snippet, verbatim apart from the function around it: a
//! new user's first program against the scripted mock model must keep working.

use codex_agent_sdk::{Codex, CodexOptions, ThreadOptions, TurnOptions};
use codex_agent_testkit::codex_home::CodexHome;
use codex_agent_testkit::mock_server::MockServer;
use codex_agent_testkit::sse::Sse;

async fn readme_snippet() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start().await?; // 127.0.0.1, random port
    mock.push(Sse::message("resp-1", "Hello from the mock.")); // the model's next answer
    let home = CodexHome::new(&mock)?; // a throwaway CODEX_HOME
    let mut env = home.env(); // points codex at the mock
    env.extend(
        ["PATH", "HOME"]
            .into_iter()
            .filter_map(|k| Some((k.into(), std::env::var_os(k)?))),
    );
    let codex = Codex::new(
        CodexOptions::new()
            .env(env)
            // Only in this test: the codex under test, wherever the test tooling put it.
            .codex_path(crate::support::real_codex()),
    )?;
    let dir = tempfile::tempdir()?;
    let turn = codex
        .start_thread(
            ThreadOptions::new()
                .skip_git_repo_check(true)
                .working_directory(dir.path()),
        )
        .run("say hi", TurnOptions::new())
        .await?;
    assert_eq!(turn.final_response, "Hello from the mock.");
    Ok(())
}

#[tokio::test]
async fn the_readme_mock_snippet_runs() {
    tokio::time::timeout(crate::support::WAIT, readme_snippet())
        .await
        .expect("in time")
        .expect("the snippet works");
}
