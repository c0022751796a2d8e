//! Attachments and the per-turn sets that hold them: [`Attachment`], [`AttachmentSet`],
//! [`Attached`].

use std::fs;
use std::path::{Path, PathBuf};

use crate::store::{self, Entry, Lifetime, Store};
use crate::{Error, sniff};

/// What to attach to a turn: a file, an image or a directory, ephemeral unless made
/// [`persistent`](Self::persistent).
///
/// Only [`image`](Self::image)s reach the model as images. Files and directories are placed in
/// the turn's read-only view and listed in the prompt by path: the agent reads them with its
/// tools (a command such as `cat`), so the model sees what those tools print, never the file
/// itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Attachment {
    path: PathBuf,
    kind: AttachmentKind,
    lifetime: Lifetime,
}

/// The kind of an [`Attachment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttachmentKind {
    /// A regular file, read by the agent from the view.
    File,
    /// A PNG, JPEG, GIF or WebP image (sniffed from the content), sent to the model as an
    /// image.
    Image,
    /// A directory, attached recursively within the store's limits.
    Directory,
}

impl Attachment {
    /// A file the agent can read: it is placed in the turn's read-only view and listed in the
    /// prompt by path.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::new(path, AttachmentKind::File)
    }

    /// An image sent to the model as an image (`--image` on exec, a `localImage` input on the
    /// app-server). Anything whose content is not a PNG, JPEG, GIF or WebP image is refused
    /// with [`Error::NotAnImage`].
    pub fn image(path: impl Into<PathBuf>) -> Self {
        Self::new(path, AttachmentKind::Image)
    }

    /// A directory, attached recursively: its files are placed in the view under the
    /// directory's name, keeping their relative paths. Symlinks are followed when they stay
    /// inside the directory and refused ([`Error::SymlinkEscape`]) when they leave it.
    pub fn directory(path: impl Into<PathBuf>) -> Self {
        Self::new(path, AttachmentKind::Directory)
    }

    fn new(path: impl Into<PathBuf>, kind: AttachmentKind) -> Self {
        Self {
            path: path.into(),
            kind,
            lifetime: Lifetime::Ephemeral,
        }
    }

    /// Keeps the staged content in the store after the turn, for `ttl` (or until removed, for
    /// `None`); the view itself still goes with the turn.
    ///
    /// By default, attachments are ephemeral: gone when the turn ends, however it ends.
    pub fn persistent(mut self, ttl: Option<std::time::Duration>) -> Self {
        self.lifetime = Lifetime::Persistent { ttl };
        self
    }

    /// The attached path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> AttachmentKind {
        self.kind
    }

    /// The lifetime of the staged content.
    #[must_use]
    pub fn lifetime(&self) -> Lifetime {
        self.lifetime
    }
}

/// One staged file of an [`Attached`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttachedFile {
    /// Its read-only path in the view, the one codex is given.
    pub path: PathBuf,
    /// Its entry in the store.
    pub entry: Entry,
}

/// An attachment once staged into a set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attached {
    /// The path the user attached.
    pub source: PathBuf,
    /// The kind.
    pub kind: AttachmentKind,
    /// Its path in the view: the file, or the directory's root.
    pub path: PathBuf,
    /// The staged files: one for a file or an image, every file of a directory.
    pub files: Vec<AttachedFile>,
}

/// The ephemeral set of one turn: a read-only view directory under the store's `sets/`, holding
/// a link to each attached file. Dropping it removes the view and, under the store's lock, every
/// ephemeral blob no other set uses.
///
/// A set of a process killed before it could drop it is removed by the next
/// [`Store::sweep`], which recognizes it by the creator recorded in its name.
#[derive(Debug)]
pub struct AttachmentSet {
    store: Store,
    dir: PathBuf,
    attached: Vec<Attached>,
    /// Every blob this set linked, including those of an attachment that failed part way.
    shas: Vec<String>,
}

impl Store {
    /// Starts an empty ephemeral set (one per turn).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when its directory cannot be created.
    pub fn new_set(&self) -> Result<AttachmentSet, Error> {
        let dir = self.root().join("sets").join(store::unique_name(""));
        store::create_private_dir_all(&dir)?;
        Ok(AttachmentSet {
            store: self.clone(),
            dir,
            attached: Vec::new(),
            shas: Vec::new(),
        })
    }
}

impl AttachmentSet {
    /// The view directory, read-only, to give codex access to.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What was attached so far, in order.
    #[must_use]
    pub fn attached(&self) -> &[Attached] {
        &self.attached
    }

    /// Stages `attachment` and places it in the view, under a directory of its own
    /// (`<view>/<n>/<name>`), so that equal names never collide.
    ///
    /// Directories are checked whole before anything is staged (limits, escaping symlinks).
    /// When staging fails part way, what this call staged stays in the set and goes with it.
    ///
    /// # Errors
    ///
    /// The bad-input errors of [`Error`], each naming the offending path; [`Error::Store`].
    pub fn attach(&mut self, attachment: &Attachment) -> Result<&Attached, Error> {
        let slot = self.dir.join(self.attached.len().to_string());
        fs::set_permissions(
            &self.dir,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .map_err(|e| Error::store("chmod", &self.dir, e))?;
        store::create_private_dir_all(&slot)?;
        let mut linked = Vec::new();
        let result = self.attach_into(attachment, &slot, &mut linked);
        self.shas.extend(linked);
        let sealed =
            store::make_read_only(&self.dir).map_err(|e| Error::store("chmod", &self.dir, e));
        let attached = result?;
        sealed?;
        let index = self.attached.len();
        self.attached.push(attached);
        Ok(&self.attached[index])
    }

    fn attach_into(
        &self,
        attachment: &Attachment,
        slot: &Path,
        linked: &mut Vec<String>,
    ) -> Result<Attached, Error> {
        let source = attachment.path();
        let limit = self.store.options().max_file_size;
        let name = store::name_of(source);
        match attachment.kind() {
            AttachmentKind::File | AttachmentKind::Image => {
                let (file, _) = store::open_input(source, limit)?;
                let pending = self.store.stage_reader_inner(file, source, &name)?;
                if attachment.kind() == AttachmentKind::Image
                    && !sniff::is_image(pending.media_type())
                {
                    return Err(Error::NotAnImage {
                        path: source.to_path_buf(),
                        media_type: pending.media_type().to_owned(),
                    });
                }
                let path = slot.join(&name);
                let entry = self
                    .store
                    .commit(pending, attachment.lifetime(), Some(&path))?;
                linked.push(entry.sha256.clone());
                Ok(Attached {
                    source: source.to_path_buf(),
                    kind: attachment.kind(),
                    path: path.clone(),
                    files: vec![AttachedFile { path, entry }],
                })
            }
            AttachmentKind::Directory => {
                let files = self.walk(source)?;
                let root = slot.join(&name);
                let mut attached = Vec::with_capacity(files.len());
                for (file, relative) in files {
                    let target = root.join(&relative);
                    if let Some(parent) = target.parent() {
                        store::create_private_dir_all(parent)?;
                    }
                    let (handle, _) = store::open_input(&file, limit)?;
                    let pending =
                        self.store
                            .stage_reader_inner(handle, &file, &store::name_of(&file))?;
                    let entry = self
                        .store
                        .commit(pending, attachment.lifetime(), Some(&target))?;
                    linked.push(entry.sha256.clone());
                    attached.push(AttachedFile {
                        path: target,
                        entry,
                    });
                }
                Ok(Attached {
                    source: source.to_path_buf(),
                    kind: AttachmentKind::Directory,
                    path: root,
                    files: attached,
                })
            }
        }
    }

    /// The files of directory `dir` with their paths relative to it, sorted, checked against
    /// the limits and for escaping symlinks before anything is staged.
    fn walk(&self, dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, Error> {
        let meta = fs::metadata(dir).map_err(|e| Error::input(dir, e))?;
        if !meta.is_dir() {
            return Err(Error::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        let root = dir.canonicalize().map_err(|e| Error::input(dir, e))?;
        let options = self.store.options();
        let mut files = Vec::new();
        let mut stack = vec![(dir.to_path_buf(), PathBuf::new(), 0_usize)];
        while let Some((current, relative, depth)) = stack.pop() {
            if depth > options.max_directory_depth {
                return Err(Error::DirectoryTooLarge {
                    path: dir.to_path_buf(),
                    what: "levels",
                    limit: options.max_directory_depth,
                });
            }
            let mut entries: Vec<_> = fs::read_dir(&current)
                .map_err(|e| Error::input(&current, e))?
                .collect::<Result<_, _>>()
                .map_err(|e| Error::input(&current, e))?;
            entries.sort_by_key(fs::DirEntry::file_name);
            for entry in entries {
                let path = entry.path();
                let rel = relative.join(entry.file_name());
                let link = fs::symlink_metadata(&path).map_err(|e| Error::input(&path, e))?;
                if link.file_type().is_symlink() {
                    let target = path.canonicalize().map_err(|e| Error::input(&path, e))?;
                    if !target.starts_with(&root) {
                        return Err(Error::SymlinkEscape { path, root });
                    }
                }
                let meta = fs::metadata(&path).map_err(|e| Error::input(&path, e))?;
                if meta.is_dir() {
                    stack.push((path, rel, depth + 1));
                } else if meta.is_file() {
                    if meta.len() > options.max_file_size {
                        return Err(Error::TooLarge {
                            path,
                            size: meta.len(),
                            limit: options.max_file_size,
                        });
                    }
                    files.push((path, rel));
                    if files.len() > options.max_directory_files {
                        return Err(Error::DirectoryTooLarge {
                            path: dir.to_path_buf(),
                            what: "files",
                            limit: options.max_directory_files,
                        });
                    }
                } else {
                    return Err(Error::NotAFile { path });
                }
            }
        }
        files.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(files)
    }
}

impl Drop for AttachmentSet {
    fn drop(&mut self) {
        if let Err(error) = store::remove_tree(&self.dir) {
            tracing::warn!(target: "codex_agent_files", view = %self.dir.display(), %error, "could not remove an attachment view; the next sweep will");
            return;
        }
        if let Err(error) = self.store.release(&self.shas) {
            tracing::warn!(target: "codex_agent_files", %error, "could not release attachments; the next sweep will");
        }
    }
}
