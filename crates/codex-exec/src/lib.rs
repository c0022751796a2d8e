//! Process supervision for the OpenAI Codex CLI.
//!
//! This is the only crate of the workspace that spawns processes: binary discovery, argv and
//! environment building, streaming `codex exec --json`, cancellation and time limits.
//!
//! # Process lifetime
//!
//! Every child runs in its own process group. Dropping the stream of a turn, cancelling it
//! through a cancel handle, or hitting a time limit sends `SIGTERM` to the whole group, waits a
//! grace period, sends `SIGKILL` and reaps the child, so neither codex nor the tools it started
//! outlive the turn. When codex exits on its own, whatever it left in its group is killed too.
//! If the Tokio runtime shuts down first, the group gets `SIGKILL` synchronously.
//!
//! There is no `PR_SET_PDEATHSIG`: it must be set between `fork` and `exec`, which takes
//! `unsafe` code this workspace forbids. So if this process itself is killed with `SIGKILL`,
//! its codex children are orphaned; every other way out cleans up.
//!
//! On Windows (compiled, not yet tested) there are no process groups: only codex itself is
//! killed, and there is no grace period.
//!
//! # Supported codex versions
//!
//! The stream format is the one of `codex exec --json` in codex-cli 0.169.0.

mod cancel;
mod command;
mod discovery;
mod error;
mod framing;
mod redact;
mod schema_file;
mod stderr_tail;
mod stream;
mod supervisor;
mod toml_literal;
mod version;

pub use cancel::CancelHandle;
pub use command::{
    API_KEY_ENV, ApprovalPolicy, CodexOptions, CommandSpec, CyberAccessProgram, EnvPlan,
    ExecRequest, Input, ORIGINATOR, ORIGINATOR_ENV, ReasoningEffort, SandboxMode, ThreadOptions,
    TurnOptions, UserInput, WebSearchMode,
};
pub use discovery::{
    BinarySource, CODEX_PATH_ENV, CodexBinary, DEFAULT_VERSION_TIMEOUT, Discovery, Target,
};
pub use error::Error;
pub use schema_file::SchemaFile;
pub use stream::ExecStream;
pub use supervisor::{
    DEFAULT_EXIT_TIMEOUT, DEFAULT_KILL_GRACE, DEFAULT_MAX_LINE_LEN, DEFAULT_STDERR_TAIL_LEN,
    ExecOptions, KeepAlive, ProcessSpec,
};
pub use version::{ParseVersionError, Version};
