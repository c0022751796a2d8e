//! The threads codex keeps on disk, for the exec transport: the rollout files under
//! `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<timestamp>-<thread id>.jsonl` (and
//! `$CODEX_HOME/archived_sessions/` for archived ones), found and read here and parsed by
//! codex-agent-protocol's [`rollout`](codex_agent_protocol::rollout) reader.
//!
//! Only reading is offered: codex also indexes its threads in a database under `CODEX_HOME`,
//! so moving, renaming or rewriting rollout files behind its back would leave that index
//! wrong. Changing a stored thread goes through the app-server.

use std::path::{Path, PathBuf};

use codex_agent_protocol::history::{ThreadRecord, ThreadSummary};
use codex_agent_protocol::rollout::parse_rollout;

use crate::Error;

/// The stored threads of one `CODEX_HOME`.
#[derive(Debug, Clone)]
pub struct SessionStore {
    home: PathBuf,
}

impl SessionStore {
    /// The store of this `CODEX_HOME`.
    #[must_use]
    pub fn new(codex_home: impl Into<PathBuf>) -> Self {
        Self {
            home: codex_home.into(),
        }
    }

    /// The `CODEX_HOME`.
    #[must_use]
    pub fn codex_home(&self) -> &Path {
        &self.home
    }

    fn dir(&self, archived: bool) -> PathBuf {
        self.home.join(if archived {
            "archived_sessions"
        } else {
            "sessions"
        })
    }

    /// Every stored thread (archived ones when `archived`), newest update first. Blocking IO:
    /// call it from `spawn_blocking` in async code, or use [`SessionStore::list_async`].
    ///
    /// # Errors
    ///
    /// [`Error::Sessions`] when a directory or file cannot be read (a missing directory is no
    /// thread, not an error).
    pub fn list(&self, archived: bool) -> Result<Vec<ThreadSummary>, Error> {
        let mut summaries = Vec::new();
        for path in rollout_files(&self.dir(archived))? {
            let record = read_record(&path)?;
            if record.summary.id.is_empty() {
                continue;
            }
            summaries.push(record.summary);
        }
        summaries.sort_by(|a, b| {
            (b.updated_at, &b.created_at, &b.path).cmp(&(a.updated_at, &a.created_at, &a.path))
        });
        Ok(summaries)
    }

    /// The stored thread `id`, archived or not, with its turns. A line that cannot be read
    /// is listed in [`ThreadRecord::problems`] (naming its line) and the rest is read.
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotFound`] when no rollout file has this id, [`Error::Sessions`] when
    /// one cannot be read.
    pub fn read(&self, id: &str) -> Result<ThreadRecord, Error> {
        let suffix = format!("-{id}.jsonl");
        for archived in [false, true] {
            for path in rollout_files(&self.dir(archived))? {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                if name.starts_with("rollout-") && name.ends_with(&suffix) {
                    return read_record(&path);
                }
            }
        }
        Err(Error::ThreadNotFound {
            id: id.to_owned(),
            codex_home: self.home.clone(),
        })
    }

    /// [`SessionStore::list`] on tokio's blocking pool.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the listing to finish on the blocking pool, unobserved.
    ///
    /// # Errors
    ///
    /// As [`SessionStore::list`].
    pub async fn list_async(&self, archived: bool) -> Result<Vec<ThreadSummary>, Error> {
        let store = self.clone();
        blocking(move || store.list(archived), &self.home).await
    }

    /// [`SessionStore::read`] on tokio's blocking pool.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the read to finish on the blocking pool, unobserved.
    ///
    /// # Errors
    ///
    /// As [`SessionStore::read`].
    pub async fn read_async(&self, id: &str) -> Result<ThreadRecord, Error> {
        let store = self.clone();
        let id = id.to_owned();
        blocking(move || store.read(&id), &self.home).await
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
    home: &Path,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|join| Error::Sessions {
            path: home.to_owned(),
            source: std::io::Error::other(join.to_string()),
        })?
}

fn read_record(path: &Path) -> Result<ThreadRecord, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Sessions {
        path: path.to_owned(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let mut record = parse_rollout(&text).record();
    record.summary.path = Some(path.display().to_string());
    Ok(record)
}

/// Every `rollout-*.jsonl` under `dir`, sorted by path; none when `dir` does not exist.
fn rollout_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(Error::Sessions { path: dir, source }),
        };
        for entry in entries {
            let entry = entry.map_err(|source| Error::Sessions {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl")
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("rollout-"))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_home_has_no_threads_and_an_unknown_id_is_named() {
        let store = SessionStore::new("/nonexistent/codex-home");
        assert!(
            store
                .list(false)
                .expect("no directory, no threads")
                .is_empty()
        );
        let error = store.read("abc").expect_err("no such thread");
        assert_eq!(
            error.to_string(),
            "no thread `abc` in `/nonexistent/codex-home`"
        );
    }
}
