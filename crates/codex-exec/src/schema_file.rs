//! The temporary `--output-schema` file: [`SchemaFile`].
//!
//! codex reads the JSON schema of the final answer from a file. As the TypeScript SDK does, the
//! schema goes to `schema.json` in a fresh private directory named `codex-output-schema-…`
//! under the system temporary directory. The directory is created with mode 0700, and the
//! guard removes it when dropped, on every exit path including panics.
//!
//! # Directories left by a killed process
//!
//! No guard runs when the process is killed with `SIGKILL`, so its directories stay. On Linux
//! each directory's name records its creator, `codex-output-schema-<pid>-<start>-<pidns>-XXXXXX`:
//! the pid, the process's start time (field 22 of `/proc/<pid>/stat`, in clock ticks since
//! boot, which tells a reused pid apart) and the inode of its pid namespace. The first
//! [`SchemaFile`] a process creates in a directory sweeps that directory once: it removes the
//! entries that carry this prefix, are real directories (not symlinks) owned by the effective
//! user, were created in the same pid namespace, and whose creator is dead (no process with
//! that pid, or one with another start time). Only `schema.json` and then the empty directory
//! are removed, so a directory holding anything else is left alone. Age plays no part: a
//! long turn's directory is kept as long as its process lives.
//!
//! Deliberate absences: directories named without a creator (by older versions, or on other
//! platforms) are never swept, nor are those of another pid namespace, whose processes this
//! one cannot see.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Error;

/// A schema written to a private temporary directory; dropping it removes the directory.
///
/// Keep it alive until the codex process that reads it has exited.
#[derive(Debug)]
pub struct SchemaFile {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl SchemaFile {
    /// Writes `schema` as compact JSON to `<tmp>/codex-output-schema-XXXXXX/schema.json`.
    ///
    /// Writing is synchronous: a schema is small and the file goes to the local temporary
    /// directory.
    ///
    /// # Errors
    ///
    /// [`Error::OutputSchemaNotObject`] when `schema` is not a JSON object (nothing is
    /// written), [`Error::OutputSchemaFile`] when the directory or file cannot be created.
    pub fn create(schema: &Value) -> Result<Self, Error> {
        Self::create_in(&std::env::temp_dir(), schema)
    }

    /// Like [`SchemaFile::create`], in `parent` instead of the system temporary directory.
    ///
    /// # Errors
    ///
    /// As [`SchemaFile::create`].
    pub fn create_in(parent: &Path, schema: &Value) -> Result<Self, Error> {
        check_schema(schema)?;
        let io_error = |source| Error::OutputSchemaFile { source };
        let mut builder = tempfile::Builder::new();
        let prefix = dir_prefix();
        builder.prefix(&prefix);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o700));
        }
        let dir = builder.tempdir_in(parent).map_err(io_error)?;
        let path = dir.path().join("schema.json");
        // If this write fails, `dir` is dropped on return and removes what was created.
        std::fs::write(&path, schema.to_string()).map_err(io_error)?;
        sweep_stale(parent);
        Ok(Self { dir, path })
    }

    /// The schema file, passed as `--output-schema <path>`.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The private directory holding the file.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// The name prefix every schema directory starts with.
const PREFIX: &str = "codex-output-schema-";

/// The name prefix of this process's directories: with its creator where that is known.
fn dir_prefix() -> String {
    #[cfg(target_os = "linux")]
    if let Some(creator) = stale::Creator::current() {
        return creator.prefix();
    }
    PREFIX.to_owned()
}

/// Removes the directories of dead creators in `parent`, once per directory and process.
fn sweep_stale(parent: &Path) {
    #[cfg(target_os = "linux")]
    if let Some(creator) = stale::Creator::current() {
        stale::sweep_once(parent, creator);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = parent;
}

/// Checks that `schema` is a JSON object, as codex and the TypeScript SDK require.
pub(crate) fn check_schema(schema: &Value) -> Result<(), Error> {
    if schema.is_object() {
        Ok(())
    } else {
        Err(Error::OutputSchemaNotObject)
    }
}

/// Finding and removing the directories of dead creators (see the module docs).
#[cfg(target_os = "linux")]
mod stale {
    use std::io;
    use std::os::unix::fs::MetadataExt as _;
    use std::path::{Path, PathBuf};
    use std::sync::{Mutex, OnceLock, PoisonError};

    use super::PREFIX;

    /// The process that created a directory, as its name records it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) struct Creator {
        pub(super) pid: u32,
        /// Start time, in clock ticks after boot.
        pub(super) start: u64,
        /// Inode of the pid namespace.
        pub(super) pid_ns: u64,
    }

    impl Creator {
        /// This process; `None` when `/proc` does not tell.
        pub(super) fn current() -> Option<Self> {
            static CURRENT: OnceLock<Option<Creator>> = OnceLock::new();
            *CURRENT.get_or_init(|| {
                let pid = std::process::id();
                let creator = Self {
                    pid,
                    start: start_time(pid).ok().flatten()?,
                    pid_ns: pid_namespace()?,
                };
                Some(creator)
            })
        }

        /// `codex-output-schema-<pid>-<start>-<pidns>-`.
        pub(super) fn prefix(self) -> String {
            format!("{PREFIX}{}-{}-{}-", self.pid, self.start, self.pid_ns)
        }

        /// Reads the creator out of a directory name made with [`Creator::prefix`].
        pub(super) fn parse(name: &str) -> Option<Self> {
            let mut parts = name.strip_prefix(PREFIX)?.splitn(4, '-');
            let creator = Self {
                pid: parts.next()?.parse().ok()?,
                start: parts.next()?.parse().ok()?,
                pid_ns: parts.next()?.parse().ok()?,
            };
            let suffix = parts.next()?;
            (!suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_alphanumeric()))
                .then_some(creator)
        }

        /// Whether the creator still runs. When `/proc` cannot tell, it counts as running.
        fn is_alive(self) -> bool {
            match start_time(self.pid) {
                Ok(Some(start)) => start == self.start,
                Ok(None) => false,
                Err(_) => true,
            }
        }
    }

    /// The start time of process `pid` (field 22 of `/proc/<pid>/stat`); `None` when there is
    /// no such process.
    pub(super) fn start_time(pid: u32) -> io::Result<Option<u64>> {
        let stat = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => stat,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        };
        parse_start_time(&stat)
            .map(Some)
            .ok_or_else(|| io::Error::other(format!("unexpected /proc/{pid}/stat")))
    }

    /// Field 22 of a `/proc/<pid>/stat` line. The command name (field 2) is in parentheses
    /// and may hold spaces and parentheses itself: fields 3 on follow the last `)`.
    pub(super) fn parse_start_time(stat: &str) -> Option<u64> {
        let after_name = &stat[stat.rfind(')')? + 1..];
        after_name.split_whitespace().nth(22 - 3)?.parse().ok()
    }

    /// The inode of this process's pid namespace (`/proc/self/ns/pid` reads `pid:[<inode>]`).
    fn pid_namespace() -> Option<u64> {
        let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
        link.to_str()?
            .strip_prefix("pid:[")?
            .strip_suffix(']')?
            .parse()
            .ok()
    }

    /// Sweeps `parent`, unless this process already did.
    pub(super) fn sweep_once(parent: &Path, ours: Creator) {
        static SWEPT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
        {
            let mut swept = SWEPT.lock().unwrap_or_else(PoisonError::into_inner);
            if swept.iter().any(|dir| dir == parent) {
                return;
            }
            swept.push(parent.to_path_buf());
        }
        let entries = match std::fs::read_dir(parent) {
            Ok(entries) => entries,
            Err(error) => {
                tracing::debug!(dir = %parent.display(), %error, "cannot list the temporary directory for stale output schema directories");
                return;
            }
        };
        let euid = rustix::process::geteuid().as_raw();
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let Ok(metadata) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let is_dir = metadata.file_type().is_dir();
            if !is_stale(&name, is_dir, metadata.uid(), euid, ours) {
                continue;
            }
            match remove(&path) {
                Ok(()) => {
                    tracing::debug!(dir = %path.display(), "removed the output schema directory of a dead process");
                }
                Err(error) => {
                    tracing::debug!(dir = %path.display(), %error, "could not remove the output schema directory of a dead process");
                }
            }
        }
    }

    /// Whether an entry of the temporary directory is a schema directory whose creator died.
    pub(super) fn is_stale(name: &str, is_dir: bool, owner: u32, euid: u32, ours: Creator) -> bool {
        let Some(creator) = Creator::parse(name) else {
            return false;
        };
        is_dir
            && owner == euid
            && creator.pid_ns == ours.pid_ns
            && creator != ours
            && !creator.is_alive()
    }

    /// Removes what a schema directory holds, then the directory; fails, leaving it, when it
    /// holds anything else.
    fn remove(dir: &Path) -> io::Result<()> {
        match std::fs::remove_file(dir.join("schema.json")) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
        std::fs::remove_dir(dir)
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    #[test]
    fn writes_compact_json_in_a_private_directory() {
        let parent = tempfile::tempdir().expect("parent");
        let schema = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let file = SchemaFile::create_in(parent.path(), &schema).expect("schema file");
        assert_eq!(file.path(), file.dir().join("schema.json"));
        let name = file
            .dir()
            .file_name()
            .expect("dir name")
            .to_string_lossy()
            .into_owned();
        assert!(name.starts_with("codex-output-schema-"), "{name}");
        let written = std::fs::read_to_string(file.path()).expect("read back");
        assert_eq!(written, schema.to_string());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.dir())
                .expect("stat")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let dir = file.dir().to_path_buf();
        drop(file);
        assert!(!dir.exists());
    }

    #[test]
    fn directory_is_removed_when_a_panic_unwinds() {
        let parent = tempfile::tempdir().expect("parent");
        let mut seen = None;
        let result = catch_unwind(AssertUnwindSafe(|| {
            let file = SchemaFile::create_in(parent.path(), &json!({})).expect("schema file");
            seen = Some(file.dir().to_path_buf());
            panic!("boom while the schema file is alive");
        }));
        assert!(result.is_err());
        let dir = seen.expect("the closure ran");
        assert!(!dir.exists(), "{} survived the panic", dir.display());
        assert_eq!(
            std::fs::read_dir(parent.path())
                .expect("list parent")
                .count(),
            0
        );
    }

    #[test]
    fn non_objects_are_rejected_before_anything_is_written() {
        let parent = tempfile::tempdir().expect("parent");
        for schema in [json!(null), json!([]), json!("x"), json!(1), json!(true)] {
            let err = SchemaFile::create_in(parent.path(), &schema).expect_err("not an object");
            assert!(matches!(err, Error::OutputSchemaNotObject), "{err:?}");
            assert_eq!(err.to_string(), "output schema must be a plain JSON object");
        }
        assert_eq!(
            std::fs::read_dir(parent.path())
                .expect("list parent")
                .count(),
            0
        );
    }

    #[cfg(target_os = "linux")]
    mod stale {
        use std::path::Path;

        use pretty_assertions::assert_eq;
        use serde_json::json;

        use super::super::SchemaFile;
        use super::super::stale::{Creator, is_stale, parse_start_time, start_time};

        /// A directory as `creator` would have made it: mode 0700, `schema.json` inside.
        fn plant(parent: &Path, creator: Creator, suffix: &str) -> String {
            use std::os::unix::fs::PermissionsExt;
            let name = format!("{}{suffix}", creator.prefix());
            let dir = parent.join(&name);
            std::fs::create_dir(&dir).expect("create");
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
            std::fs::write(dir.join("schema.json"), "{}").expect("write");
            name
        }

        /// A process that ran and is gone: its pid and start time.
        #[expect(
            clippy::disallowed_methods,
            reason = "the test needs a real process that has died"
        )]
        fn dead_process() -> Creator {
            let mut child = std::process::Command::new("cat")
                .stdin(std::process::Stdio::piped())
                .spawn()
                .expect("spawn cat");
            let pid = child.id();
            let start = start_time(pid)
                .expect("read its stat")
                .expect("it runs until its stdin closes");
            drop(child.stdin.take());
            child.wait().expect("reap cat");
            let ours = Creator::current().expect("/proc tells who we are");
            Creator { pid, start, ..ours }
        }

        fn names(parent: &Path) -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(parent)
                .expect("list")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        }

        #[test]
        fn directories_of_dead_creators_are_swept_and_live_ones_kept() {
            let parent = tempfile::tempdir().expect("parent");
            let ours = Creator::current().expect("/proc tells who we are");
            let parent_pid = std::os::unix::process::parent_id();
            let live = Creator {
                pid: parent_pid,
                start: start_time(parent_pid)
                    .expect("read the parent's stat")
                    .expect("the parent runs"),
                ..ours
            };
            let dead = dead_process();
            // Our pid, but another start time: the creator died and the pid was reused.
            let reused = Creator {
                start: ours.start + 1,
                ..ours
            };
            let dead_elsewhere = Creator {
                pid_ns: ours.pid_ns + 1,
                ..dead
            };
            let stale_dead = plant(parent.path(), dead, "AAAAAA");
            let stale_reused = plant(parent.path(), reused, "BBBBBB");
            let kept_live = plant(parent.path(), live, "CCCCCC");
            let kept_ours = plant(parent.path(), ours, "DDDDDD");
            let kept_other_ns = plant(parent.path(), dead_elsewhere, "EEEEEE");
            let kept_with_more = plant(parent.path(), dead, "FFFFFF");
            std::fs::write(parent.path().join(&kept_with_more).join("notes"), "x").expect("write");
            let kept_old_format = "codex-output-schema-GGGGGG".to_owned();
            std::fs::create_dir(parent.path().join(&kept_old_format)).expect("create");
            let target = tempfile::tempdir().expect("a symlink target");
            std::fs::write(target.path().join("schema.json"), "{}").expect("write");
            let kept_symlink = format!("{}HHHHHH", dead.prefix());
            std::os::unix::fs::symlink(target.path(), parent.path().join(&kept_symlink))
                .expect("symlink");

            let file = SchemaFile::create_in(parent.path(), &json!({})).expect("schema file");

            let own = file
                .dir()
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            assert!(own.starts_with(&ours.prefix()), "{own}");
            let mut expected = vec![
                kept_live,
                kept_ours,
                kept_other_ns,
                kept_with_more,
                kept_old_format,
                kept_symlink,
                own,
            ];
            expected.sort();
            assert_eq!(names(parent.path()), expected);
            assert!(!expected.contains(&stale_dead) && !expected.contains(&stale_reused));
            assert!(target.path().join("schema.json").exists());
        }

        #[test]
        fn each_directory_is_swept_once_per_process() {
            let parent = tempfile::tempdir().expect("parent");
            let first = SchemaFile::create_in(parent.path(), &json!({})).expect("schema file");
            let stale = plant(parent.path(), dead_process(), "AAAAAA");
            let second = SchemaFile::create_in(parent.path(), &json!({})).expect("schema file");
            assert!(parent.path().join(&stale).exists());
            drop((first, second));
            assert_eq!(names(parent.path()), [stale]);
        }

        #[test]
        fn directories_of_other_users_are_not_stale() {
            let ours = Creator::current().expect("/proc tells who we are");
            let dead = dead_process();
            let name = format!("{}AAAAAA", dead.prefix());
            assert!(is_stale(&name, true, 1000, 1000, ours));
            assert!(!is_stale(&name, true, 1001, 1000, ours));
            assert!(!is_stale(&name, false, 1000, 1000, ours));
        }

        #[test]
        fn creators_round_trip_through_names() {
            let creator = Creator {
                pid: 42,
                start: 123_456,
                pid_ns: 4_026_531_836,
            };
            let name = format!("{}a1B2c3", creator.prefix());
            assert_eq!(name, "codex-output-schema-42-123456-4026531836-a1B2c3");
            assert_eq!(Creator::parse(&name), Some(creator));
            for other in [
                "codex-output-schema-a1B2c3",
                "codex-output-schema-42-123456-4026531836-",
                "codex-output-schema-42-123456-4026531836-a-b",
                "codex-output-schema-x-1-2-abc",
                "other-42-123456-4026531836-a1B2c3",
            ] {
                assert_eq!(Creator::parse(other), None, "{other}");
            }
        }

        #[test]
        fn start_time_is_field_22_even_with_odd_command_names() {
            let fields: Vec<String> = (3..=25).map(|n| n.to_string()).collect();
            let fields = format!(" {}", fields.join(" "));
            assert_eq!(parse_start_time(&format!("7 (cat){fields}")), Some(22));
            assert_eq!(parse_start_time(&format!("7 (a) b (c)){fields}")), Some(22));
            assert_eq!(parse_start_time("7 (cat) S 1"), None);
            assert_eq!(parse_start_time("garbage"), None);
        }
    }
}
