//! Opt-in built-in tools (feature `builtin`), each a normal [`Tool`](crate::tools::Tool) to
//! register in a [`ToolRegistry`](crate::registry::ToolRegistry):
//!
//! - [`grep`]: regex search over a directory with ripgrep's own crates (`.gitignore` and
//!   hidden files respected, binary files skipped, caps on matches and bytes);
//! - [`list_files`]: the files under a directory, `.gitignore` respected;
//! - [`shell`]: a command line run under a root directory, with allow and deny lists of
//!   command prefixes, a timeout, an output cap and progress lines; it runs through a
//!   [`ProcessLauncher`](crate::process::ProcessLauncher) (codex-agent-sdk's
//!   `builtin::shell` passes codex-agent-exec's), so the process group is killed on timeout
//!   and cancel.
//!
//! Every path argument is relative to the tool's root and may not leave it.

mod grep;
mod shell;

use std::path::{Component, Path, PathBuf};

pub use grep::{
    Grep, GrepMatch, GrepOptions, GrepOutput, GrepRequest, ListFilesOptions, grep, list_files,
};
pub use shell::{OUTPUT_TRUNCATED, ShellOptions, shell};

use crate::tools::ToolError;

/// `relative` under `root`, refused when it is absolute or climbs out with `..`, or when it
/// resolves (symlinks followed) outside `root`.
pub(crate) fn resolve_within(root: &Path, relative: Option<&str>) -> Result<PathBuf, ToolError> {
    let root = root.canonicalize().map_err(|error| {
        ToolError::new(format!(
            "the tool's root {} is not usable: {error}",
            root.display()
        ))
    })?;
    let Some(relative) = relative.filter(|relative| !relative.is_empty() && *relative != ".")
    else {
        return Ok(root);
    };
    let path = Path::new(relative);
    if path
        .components()
        .any(|component| !matches!(component, Component::Normal(_) | Component::CurDir))
    {
        return Err(ToolError::new(format!(
            "path `{relative}` must be relative to the tool's root and stay inside it"
        )));
    }
    let joined = root.join(path);
    let resolved = joined
        .canonicalize()
        .map_err(|error| ToolError::new(format!("path `{relative}`: {error}")))?;
    if resolved.starts_with(&root) {
        Ok(resolved)
    } else {
        Err(ToolError::new(format!(
            "path `{relative}` leads outside the tool's root"
        )))
    }
}
