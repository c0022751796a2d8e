//! The one error type of codex-agent-files: [`Error`].

use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong while staging, attaching or collecting attachments.
///
/// Every variant about an input names its path; when staging fails, nothing of that input is
/// left in the store (its temporary file is removed on every error path).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The attached path does not exist.
    #[error("attachment {} does not exist", path.display())]
    NotFound {
        /// The attached path.
        path: PathBuf,
    },
    /// A directory was given where a file is expected ([`Attachment::file`] or
    /// [`Attachment::image`]; use [`Attachment::directory`] for directories).
    ///
    /// [`Attachment::file`]: crate::Attachment::file
    /// [`Attachment::image`]: crate::Attachment::image
    /// [`Attachment::directory`]: crate::Attachment::directory
    #[error("attachment {} is a directory, not a file", path.display())]
    IsDirectory {
        /// The attached path.
        path: PathBuf,
    },
    /// [`Attachment::directory`](crate::Attachment::directory) was given something else.
    #[error("attachment {} is not a directory", path.display())]
    NotADirectory {
        /// The attached path.
        path: PathBuf,
    },
    /// The path is neither a regular file nor a directory (a FIFO, a socket, a device).
    #[error("attachment {} is not a regular file", path.display())]
    NotAFile {
        /// The attached path.
        path: PathBuf,
    },
    /// A symlink inside an attached directory points outside of it.
    #[error("symlink {} escapes the attached directory {}", path.display(), root.display())]
    SymlinkEscape {
        /// The symlink.
        path: PathBuf,
        /// The attached directory.
        root: PathBuf,
    },
    /// A file is larger than [`StoreOptions::max_file_size`](crate::StoreOptions::max_file_size).
    #[error("attachment {} is over the size limit of {limit} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size, or the bytes read when it grew past the limit while being staged.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// An attached directory holds more files, or is deeper, than the limits allow
    /// ([`StoreOptions::max_directory_files`](crate::StoreOptions::max_directory_files),
    /// [`max_directory_depth`](crate::StoreOptions::max_directory_depth)).
    #[error("attached directory {} is over the limit of {limit} {what}", path.display())]
    DirectoryTooLarge {
        /// The attached directory.
        path: PathBuf,
        /// `"files"` or `"levels"`.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// [`Attachment::image`](crate::Attachment::image) was given a file whose content is not
    /// a PNG, JPEG, GIF or WebP image.
    #[error("attachment {} is not an image (its content reads as {media_type})", path.display())]
    NotAnImage {
        /// The file.
        path: PathBuf,
        /// The media type sniffed from its content.
        media_type: String,
    },
    /// The file cannot be read (permissions, an I/O error of its device).
    #[error("attachment {} cannot be read", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The error of the read.
        source: io::Error,
    },
    /// The store's device is full; what was being staged was removed again.
    #[error("no space left in the attachment store while staging {}", path.display())]
    DiskFull {
        /// The file being staged.
        path: PathBuf,
    },
    /// Staging the file would exceed the store's quota even after evicting every persistent
    /// entry not in use.
    #[error("staging {} would exceed the attachment store's quota of {quota} bytes", path.display())]
    QuotaExceeded {
        /// The file being staged.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The quota.
        quota: u64,
    },
    /// The store itself failed: a directory, lock or manifest entry under its root could not
    /// be created, read or written.
    #[error("attachment store operation failed: {operation} {}", path.display())]
    Store {
        /// What was being done (`"create"`, `"lock"`, `"write"`, ...).
        operation: &'static str,
        /// The path inside the store.
        path: PathBuf,
        /// The error of the operation.
        source: io::Error,
    },
}

impl Error {
    /// The path the error is about, when it is about one.
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Self::NotFound { path }
            | Self::IsDirectory { path }
            | Self::NotADirectory { path }
            | Self::NotAFile { path }
            | Self::SymlinkEscape { path, .. }
            | Self::TooLarge { path, .. }
            | Self::DirectoryTooLarge { path, .. }
            | Self::NotAnImage { path, .. }
            | Self::Unreadable { path, .. }
            | Self::DiskFull { path }
            | Self::QuotaExceeded { path, .. }
            | Self::Store { path, .. } => path,
        }
    }

    /// An error of the store's own files.
    pub(crate) fn store(operation: &'static str, path: &Path, source: io::Error) -> Self {
        Self::Store {
            operation,
            path: path.to_path_buf(),
            source,
        }
    }

    /// An error opening or reading an input, classified by its kind.
    pub(crate) fn input(path: &Path, source: io::Error) -> Self {
        let path = path.to_path_buf();
        match source.kind() {
            io::ErrorKind::NotFound => Self::NotFound { path },
            io::ErrorKind::IsADirectory => Self::IsDirectory { path },
            _ => Self::Unreadable { path, source },
        }
    }

    /// An error writing into the store while staging `input`: a full device is its own
    /// variant, anything else is a store error.
    pub(crate) fn writing(input: &Path, store_path: &Path, source: io::Error) -> Self {
        if is_disk_full(&source) {
            Self::DiskFull {
                path: input.to_path_buf(),
            }
        } else {
            Self::store("write", store_path, source)
        }
    }
}

/// Whether `error` says the device (or the user's disk quota) is full.
pub(crate) fn is_disk_full(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    ) || error.raw_os_error() == Some(rustix::io::Errno::NOSPC.raw_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_classified_by_kind() {
        let path = Path::new("/in/put");
        let cases = [
            (io::ErrorKind::NotFound, "attachment /in/put does not exist"),
            (
                io::ErrorKind::IsADirectory,
                "attachment /in/put is a directory, not a file",
            ),
            (
                io::ErrorKind::PermissionDenied,
                "attachment /in/put cannot be read",
            ),
        ];
        for (kind, shown) in cases {
            let error = Error::input(path, io::Error::from(kind));
            assert_eq!(error.to_string(), shown);
            assert_eq!(error.path(), path);
        }
    }

    #[test]
    fn a_full_device_is_disk_full_naming_the_input() {
        let cases = [
            io::Error::from(io::ErrorKind::StorageFull),
            io::Error::from_raw_os_error(rustix::io::Errno::NOSPC.raw_os_error()),
            io::Error::from(io::ErrorKind::QuotaExceeded),
        ];
        for source in cases {
            let error = Error::writing(Path::new("/in/put"), Path::new("/store/tmp/x"), source);
            assert!(
                matches!(&error, Error::DiskFull { path } if path == Path::new("/in/put")),
                "{error:?}"
            );
        }
        let other = Error::writing(
            Path::new("/in/put"),
            Path::new("/store/tmp/x"),
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        assert_eq!(
            other.to_string(),
            "attachment store operation failed: write /store/tmp/x"
        );
    }
}
