//! The temporary `--output-schema` file: [`SchemaFile`].
//!
//! codex reads the JSON schema of the final answer from a file. As the TypeScript SDK does, the
//! schema goes to `schema.json` in a fresh private directory named `codex-output-schema-…`
//! under the system temporary directory. The directory is created with mode 0700, and the
//! guard removes it when dropped, on every exit path including panics.

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
        builder.prefix("codex-output-schema-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o700));
        }
        let dir = builder.tempdir_in(parent).map_err(io_error)?;
        let path = dir.path().join("schema.json");
        // If this write fails, `dir` is dropped on return and removes what was created.
        std::fs::write(&path, schema.to_string()).map_err(io_error)?;
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

/// Checks that `schema` is a JSON object, as codex and the TypeScript SDK require.
pub(crate) fn check_schema(schema: &Value) -> Result<(), Error> {
    if schema.is_object() {
        Ok(())
    } else {
        Err(Error::OutputSchemaNotObject)
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
}
