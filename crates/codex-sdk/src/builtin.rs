//! Opt-in built-in tools (feature `builtin`), each a normal [`Tool`] to register:
//! [`grep`] and [`list_files`] (ripgrep's crates: `.gitignore` respected, binary files
//! skipped, capped output) and [`shell`] (allow and deny lists of command prefixes, a root it
//! cannot leave, a timeout, an output cap, progress lines; spawned through codex-agent-exec, so
//! the process group is killed on timeout and cancel).

use std::sync::Arc;

pub use codex_agent_tools::builtin::{
    Grep, GrepMatch, GrepOptions, GrepOutput, GrepRequest, ListFilesOptions, OUTPUT_TRUNCATED,
    ShellOptions, grep, list_files,
};

use crate::tools::Tool;

/// The `shell` tool, its commands started by codex-agent-exec (see
/// [`codex_agent_tools::builtin::shell`] for what it checks and how it runs them).
#[must_use]
pub fn shell(options: ShellOptions) -> Tool {
    codex_agent_tools::builtin::shell(Arc::new(crate::launcher::ExecLauncher), options)
}
