//! The content-addressed store: [`Store`], its [`StoreOptions`] and its [`Entry`]s.
//!
//! # Layout
//!
//! ```text
//! <root>/                   0700
//!   lock                    the store's file lock (flock), taken for every change
//!   blobs/<sha256>          the content, 0400: it never changes once committed
//!   manifest/<sha256>.json  size, checksum, media type, original name, times, lifetime
//!   tmp/<creator>…          files being staged, and manifest entries being written
//!   sets/<creator>…/        the read-only views of ephemeral sets (hard links to blobs)
//! ```
//!
//! A blob is *in use* while a view links to it: its link count is above one. Staging streams
//! the input into `tmp/` while hashing it, then takes the lock, and either drops the
//! temporary file (the blob exists: deduplicated) or renames it into `blobs/` and writes its
//! manifest entry, and links it into the set's view, all before releasing the lock, so that
//! no other process can evict or remove a blob between its commit and its first use.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::Error;
use crate::creator;
use crate::sniff;

/// Options of a [`Store`].
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct StoreOptions {
    pub(crate) root: Option<PathBuf>,
    pub(crate) quota: u64,
    pub(crate) max_file_size: u64,
    pub(crate) max_directory_files: usize,
    pub(crate) max_directory_depth: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            root: None,
            quota: 4 << 30,
            max_file_size: 512 << 20,
            max_directory_files: 1000,
            max_directory_depth: 16,
        }
    }
}

impl StoreOptions {
    /// The default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// The store's root directory, created (mode 0700) when missing.
    ///
    /// By default, [`default_root`]: `$XDG_CACHE_HOME/codex-sdk/attachments`, else
    /// `$HOME/.cache/codex-sdk/attachments`, else `codex-sdk-attachments-<uid>` in the
    /// system temporary directory.
    pub fn root(mut self, root: impl Into<PathBuf>) -> Self {
        self.root = Some(root.into());
        self
    }

    /// The most bytes the store's blobs may take together. When staging a new blob would
    /// exceed it, persistent entries not in use are evicted, least recently used first; when
    /// that is not enough, staging fails with [`Error::QuotaExceeded`].
    ///
    /// By default, 4 GiB.
    pub fn quota(mut self, bytes: u64) -> Self {
        self.quota = bytes;
        self
    }

    /// The largest file that may be staged ([`Error::TooLarge`] beyond).
    ///
    /// By default, 512 MiB.
    pub fn max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }

    /// The most files an attached directory may hold, all levels together
    /// ([`Error::DirectoryTooLarge`] beyond).
    ///
    /// By default, 1000.
    pub fn max_directory_files(mut self, files: usize) -> Self {
        self.max_directory_files = files;
        self
    }

    /// The deepest an attached directory may nest ([`Error::DirectoryTooLarge`] beyond); the
    /// directory itself is level 0.
    ///
    /// By default, 16.
    pub fn max_directory_depth(mut self, levels: usize) -> Self {
        self.max_directory_depth = levels;
        self
    }
}

/// The default root of a store: `$XDG_CACHE_HOME/codex-sdk/attachments`, else
/// `$HOME/.cache/codex-sdk/attachments`, else `codex-sdk-attachments-<uid>` in the system
/// temporary directory (relative variables are ignored, as the XDG specification asks).
#[must_use]
pub fn default_root() -> PathBuf {
    let absolute = |name| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(cache) = absolute("XDG_CACHE_HOME") {
        return cache.join("codex-agent-sdk").join("attachments");
    }
    if let Some(home) = absolute("HOME") {
        return home
            .join(".cache")
            .join("codex-agent-sdk")
            .join("attachments");
    }
    let uid = rustix::process::geteuid().as_raw();
    std::env::temp_dir().join(format!("codex-sdk-attachments-{uid}"))
}

/// How long a staged entry lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Lifetime {
    /// As long as the set it was attached to (a turn): removed when the set is dropped, unless
    /// another set still uses it or it is also persistent.
    #[default]
    Ephemeral,
    /// Until [`Store::remove`], or until `ttl` has passed since it was last staged or
    /// attached (checked by [`Store::sweep`], which [`Store::open`] runs), or until the quota
    /// evicts it. `None`: no time limit.
    Persistent {
        /// The time to live, counted from the last use.
        ttl: Option<Duration>,
    },
}

/// One entry of the store's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// The sha256 of the content, lowercase hex; also the blob's file name.
    pub sha256: String,
    /// The size in bytes.
    pub size: u64,
    /// The media type sniffed from the content (`image/png`, `text/plain; charset=utf-8`,
    /// `application/octet-stream`, ...), never from the name.
    pub media_type: String,
    /// The file name it was first staged under.
    pub original_name: String,
    /// When it was first staged.
    pub staged_at: SystemTime,
    /// When it was last staged or attached.
    pub last_used: SystemTime,
    /// Whether it is persistent, and for how long.
    pub lifetime: Lifetime,
}

/// The manifest entry as stored: times in nanoseconds since the Unix epoch (fine enough to
/// order uses for the LRU eviction), the TTL in milliseconds.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    sha256: String,
    size: u64,
    media_type: String,
    original_name: String,
    staged_at_ns: u64,
    last_used_ns: u64,
    persistent: bool,
    ttl_ms: Option<u64>,
}

impl Record {
    fn entry(&self) -> Entry {
        Entry {
            sha256: self.sha256.clone(),
            size: self.size,
            media_type: self.media_type.clone(),
            original_name: self.original_name.clone(),
            staged_at: UNIX_EPOCH + Duration::from_nanos(self.staged_at_ns),
            last_used: UNIX_EPOCH + Duration::from_nanos(self.last_used_ns),
            lifetime: if self.persistent {
                Lifetime::Persistent {
                    ttl: self.ttl_ms.map(Duration::from_millis),
                }
            } else {
                Lifetime::Ephemeral
            },
        }
    }

    /// Widens the lifetime: persistent wins over ephemeral, a longer (or no) TTL over a
    /// shorter one.
    fn widen(&mut self, lifetime: Lifetime) {
        if let Lifetime::Persistent { ttl } = lifetime {
            let ttl_ms = ttl.map(to_ms);
            self.ttl_ms = if self.persistent {
                match (self.ttl_ms, ttl_ms) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                }
            } else {
                ttl_ms
            };
            self.persistent = true;
        }
    }

    fn expired(&self, now_ns: u64) -> bool {
        self.persistent
            && self.ttl_ms.is_some_and(|ttl| {
                self.last_used_ns
                    .saturating_add(ttl.saturating_mul(1_000_000))
                    < now_ns
            })
    }
}

fn to_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// What [`Store::sweep`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SweepReport {
    /// Temporary files of dead processes (interrupted stagings).
    pub temp_files: usize,
    /// Ephemeral sets (views) of dead processes.
    pub sets: usize,
    /// Blobs removed: ephemeral ones no set uses, expired persistent ones, blobs without a
    /// manifest entry.
    pub blobs: usize,
}

/// A content-addressed store of attachments under one root directory, shared safely by every
/// process that opens it. Cheap to clone.
///
/// The methods do blocking file IO; from async code, call them on a blocking thread.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) root: PathBuf,
    pub(crate) options: StoreOptions,
}

/// Distinguishes the names this process gives to temporary files and sets.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique name for an entry this process creates under `tmp/` or `sets/`.
pub(crate) fn unique_name(suffix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}{n}-{nanos:08x}{suffix}", creator::prefix())
}

/// The exclusive file lock of the store, released on drop.
pub(crate) struct Locked {
    _file: File,
}

impl Store {
    /// Opens (creating when missing) the store at the options' root, and sweeps what dead
    /// processes left there (see [`sweep`](Self::sweep)).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the root or its directories cannot be created or locked.
    pub fn open(options: StoreOptions) -> Result<Self, Error> {
        let root = options.root.clone().unwrap_or_else(default_root);
        create_private_dir_all(&root)?;
        for dir in ["blobs", "manifest", "tmp", "sets"] {
            create_private_dir_all(&root.join(dir))?;
        }
        let store = Self {
            inner: Arc::new(Inner { root, options }),
        };
        store.sweep()?;
        Ok(store)
    }

    /// The root directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &StoreOptions {
        &self.inner.options
    }

    /// Where the blob of `sha256` lives (whether or not it exists).
    #[must_use]
    pub fn blob_path(&self, sha256: &str) -> PathBuf {
        self.inner.root.join("blobs").join(sha256)
    }

    fn manifest_path(&self, sha256: &str) -> PathBuf {
        self.inner
            .root
            .join("manifest")
            .join(format!("{sha256}.json"))
    }

    /// Takes the store's exclusive lock (blocking until other processes release it).
    pub(crate) fn lock(&self) -> Result<Locked, Error> {
        let path = self.inner.root.join("lock");
        // A new open file description per acquisition: flock then excludes other threads of
        // this process too, not only other processes.
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::store("open", &path, e))?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| Error::store("lock", &path, e.into()))?;
        Ok(Locked { _file: file })
    }

    /// Stages the file at `path` persistently (see [`Lifetime::Persistent`]) and returns its
    /// entry. Staging bytes the store already holds only refreshes the entry.
    ///
    /// # Errors
    ///
    /// The bad-input errors ([`Error::NotFound`], [`Error::IsDirectory`],
    /// [`Error::NotAFile`], [`Error::TooLarge`], [`Error::Unreadable`], [`Error::DiskFull`],
    /// [`Error::QuotaExceeded`]), each naming `path`; [`Error::Store`].
    pub fn stage(&self, path: impl AsRef<Path>, ttl: Option<Duration>) -> Result<Entry, Error> {
        let path = path.as_ref();
        let (file, _) = open_input(path, self.inner.options.max_file_size)?;
        let staged = self.stage_reader_inner(file, path, &name_of(path))?;
        self.commit(staged, Lifetime::Persistent { ttl }, None)
    }

    /// Stages what `reader` yields, persistently, under the name `name`.
    ///
    /// # Errors
    ///
    /// As [`stage`](Self::stage), with `name` as the path.
    pub fn stage_reader(
        &self,
        reader: impl Read,
        name: &str,
        ttl: Option<Duration>,
    ) -> Result<Entry, Error> {
        let staged = self.stage_reader_inner(reader, Path::new(name), name)?;
        self.commit(staged, Lifetime::Persistent { ttl }, None)
    }

    /// Streams `reader` into a temporary file while hashing and sniffing it.
    pub(crate) fn stage_reader_inner(
        &self,
        mut reader: impl Read,
        source: &Path,
        name: &str,
    ) -> Result<Pending, Error> {
        let limit = self.inner.options.max_file_size;
        let tmp = TempFile::create(&self.inner.root.join("tmp"), source)?;
        let mut hasher = Sha256::new();
        let mut head = Vec::new();
        let mut size: u64 = 0;
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::input(source, e)),
            };
            let chunk = &buf[..n];
            size += n as u64;
            if size > limit {
                return Err(Error::TooLarge {
                    path: source.to_path_buf(),
                    size,
                    limit,
                });
            }
            if head.len() < sniff::SNIFF_LEN {
                let take = (sniff::SNIFF_LEN - head.len()).min(n);
                head.extend_from_slice(&chunk[..take]);
            }
            hasher.update(chunk);
            tmp.file()
                .write_all(chunk)
                .map_err(|e| Error::writing(source, &tmp.path, e))?;
        }
        let sha256 = hex(&hasher.finalize());
        tracing::trace!(target: "codex_agent_files", path = %source.display(), %sha256, size, "hashed");
        Ok(Pending {
            tmp,
            source: source.to_path_buf(),
            record: Record {
                sha256,
                size,
                media_type: sniff::media_type(&head).to_owned(),
                original_name: name.to_owned(),
                staged_at_ns: 0,
                last_used_ns: 0,
                persistent: false,
                ttl_ms: None,
            },
        })
    }

    /// Commits a hashed file under the lock: deduplicates or renames it into `blobs/`, writes
    /// its manifest entry, and links it to `link` (a view path) before unlocking.
    pub(crate) fn commit(
        &self,
        pending: Pending,
        lifetime: Lifetime,
        link: Option<&Path>,
    ) -> Result<Entry, Error> {
        let Pending {
            tmp,
            source,
            mut record,
        } = pending;
        let blob = self.blob_path(&record.sha256);
        let manifest = self.manifest_path(&record.sha256);
        let _lock = self.lock()?;
        let now = now_ns();
        let existing = match fs::symlink_metadata(&blob) {
            Ok(_) => read_record(&manifest),
            Err(_) => None,
        };
        let record = if let Some(mut existing) = existing {
            drop(tmp);
            existing.last_used_ns = now;
            existing.widen(lifetime);
            self.write_record(&existing)?;
            tracing::debug!(
                target: "codex_agent_files",
                event = "deduplicated",
                path = %source.display(),
                sha256 = %existing.sha256,
                size = existing.size,
                "deduplicated"
            );
            existing
        } else {
            self.make_room(&source, record.size)?;
            tmp.file()
                .sync_all()
                .map_err(|e| Error::writing(&source, &tmp.path, e))?;
            fs::set_permissions(&tmp.path, fs::Permissions::from_mode(0o400))
                .map_err(|e| Error::store("chmod", &tmp.path, e))?;
            record.staged_at_ns = now;
            record.last_used_ns = now;
            record.widen(lifetime);
            // The manifest entry first: a blob is never visible without its entry, and an
            // entry without its blob is dropped by the sweep.
            self.write_record(&record)?;
            tmp.persist(&blob)?;
            sync_dir(&self.inner.root.join("blobs"));
            tracing::debug!(
                target: "codex_agent_files",
                event = "staged",
                path = %source.display(),
                sha256 = %record.sha256,
                size = record.size,
                media_type = %record.media_type,
                "staged"
            );
            record
        };
        if let Some(link) = link {
            link_or_copy(&blob, link).map_err(|e| Error::writing(&source, link, e))?;
            tracing::debug!(
                target: "codex_agent_files",
                event = "attached",
                path = %source.display(),
                sha256 = %record.sha256,
                view = %link.display(),
                "attached"
            );
        }
        Ok(record.entry())
    }

    /// Writes a manifest entry atomically (temporary file, then rename).
    fn write_record(&self, record: &Record) -> Result<(), Error> {
        let path = self.manifest_path(&record.sha256);
        let json =
            serde_json::to_vec(record).map_err(|e| Error::store("encode", &path, e.into()))?;
        let tmp = TempFile::create(&self.inner.root.join("tmp"), &path)?;
        tmp.file()
            .write_all(&json)
            .map_err(|e| Error::writing(&path, &tmp.path, e))?;
        tmp.persist(&path)
    }

    /// Evicts persistent entries not in use, least recently used first, until `size` more
    /// bytes fit in the quota. Called under the lock.
    fn make_room(&self, source: &Path, size: u64) -> Result<(), Error> {
        let quota = self.inner.options.quota;
        let mut records = self.records()?;
        let mut total: u64 = records.iter().map(|r| r.size).sum();
        if total.saturating_add(size) <= quota {
            return Ok(());
        }
        records.retain(|r| r.persistent && !self.in_use(&r.sha256));
        records.sort_by_key(|r| r.last_used_ns);
        for record in records {
            if total.saturating_add(size) <= quota {
                break;
            }
            self.remove_blob(&record.sha256, "evicted")?;
            total -= record.size;
        }
        if total.saturating_add(size) <= quota {
            Ok(())
        } else {
            Err(Error::QuotaExceeded {
                path: source.to_path_buf(),
                size,
                quota,
            })
        }
    }

    /// Whether a view links to the blob of `sha256` (its link count is above one).
    pub(crate) fn in_use(&self, sha256: &str) -> bool {
        fs::symlink_metadata(self.blob_path(sha256)).is_ok_and(|m| m.nlink() > 1)
    }

    /// Every manifest entry (unreadable ones are skipped).
    fn records(&self) -> Result<Vec<Record>, Error> {
        let dir = self.inner.root.join("manifest");
        let entries = fs::read_dir(&dir).map_err(|e| Error::store("list", &dir, e))?;
        Ok(entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|e| read_record(&e.path()))
            .collect())
    }

    /// The manifest: every entry of the store, ordered by checksum.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the manifest cannot be listed.
    pub fn entries(&self) -> Result<Vec<Entry>, Error> {
        let _lock = self.lock()?;
        let mut entries: Vec<Entry> = self.records()?.iter().map(Record::entry).collect();
        entries.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        Ok(entries)
    }

    /// The entry of `sha256`, when the store holds it.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the store cannot be locked.
    pub fn entry(&self, sha256: &str) -> Result<Option<Entry>, Error> {
        let _lock = self.lock()?;
        Ok(read_record(&self.manifest_path(sha256)).map(|r| r.entry()))
    }

    /// Removes the entry of `sha256` and its blob, unless a view still uses it (then it
    /// becomes ephemeral, and goes when the last set using it is dropped). Returns whether it
    /// was removed now.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the store cannot be locked or the files cannot be removed.
    pub fn remove(&self, sha256: &str) -> Result<bool, Error> {
        let _lock = self.lock()?;
        let manifest = self.manifest_path(sha256);
        let Some(mut record) = read_record(&manifest) else {
            return Ok(false);
        };
        if self.in_use(sha256) {
            record.persistent = false;
            record.ttl_ms = None;
            self.write_record(&record)?;
            return Ok(false);
        }
        self.remove_blob(sha256, "removed")?;
        Ok(true)
    }

    /// Removes a blob and its manifest entry; `why` is the event's name. Called under the lock.
    pub(crate) fn remove_blob(&self, sha256: &str, why: &'static str) -> Result<(), Error> {
        let blob = self.blob_path(sha256);
        let manifest = self.manifest_path(sha256);
        for path in [&blob, &manifest] {
            match fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::store("remove", path, e)),
            }
        }
        match why {
            "evicted" => {
                tracing::debug!(target: "codex_agent_files", event = "evicted", %sha256, "evicted");
            }
            "swept" => {
                tracing::debug!(target: "codex_agent_files", event = "swept", %sha256, "swept");
            }
            _ => {
                tracing::debug!(target: "codex_agent_files", event = "removed", %sha256, "removed");
            }
        }
        Ok(())
    }

    /// Removes ephemeral blobs of `shas` that no view uses any more (after a set was dropped).
    pub(crate) fn release(&self, shas: &[String]) -> Result<(), Error> {
        let _lock = self.lock()?;
        for sha256 in shas {
            let Some(record) = read_record(&self.manifest_path(sha256)) else {
                continue;
            };
            if !record.persistent && !self.in_use(sha256) {
                self.remove_blob(sha256, "removed")?;
            }
        }
        Ok(())
    }

    /// Collects garbage: temporary files and sets (views) whose creating process is dead
    /// (identified by pid, start time and pid namespace, never by age; other users' entries
    /// are left alone), then ephemeral blobs no view uses, persistent ones whose TTL passed
    /// and no view uses, blobs without a manifest entry and entries without a blob.
    /// [`Store::open`] runs it.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the store cannot be locked or listed.
    pub fn sweep(&self) -> Result<SweepReport, Error> {
        let _lock = self.lock()?;
        let mut report = SweepReport::default();
        let euid = rustix::process::geteuid().as_raw();
        for (dir, is_set) in [("tmp", false), ("sets", true)] {
            let dir = self.inner.root.join(dir);
            let entries = fs::read_dir(&dir).map_err(|e| Error::store("list", &dir, e))?;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                let Ok(meta) = fs::symlink_metadata(&path) else {
                    continue;
                };
                if meta.uid() != euid || !creator::is_dead(&name) {
                    continue;
                }
                let removed = if meta.is_dir() {
                    remove_tree(&path)
                } else {
                    fs::remove_file(&path)
                };
                match removed {
                    Ok(()) => {
                        tracing::debug!(target: "codex_agent_files", event = "swept", path = %path.display(), "swept");
                        if is_set {
                            report.sets += 1;
                        } else {
                            report.temp_files += 1;
                        }
                    }
                    Err(error) => {
                        tracing::debug!(target: "codex_agent_files", path = %path.display(), %error, "could not sweep");
                    }
                }
            }
        }
        let now = now_ns();
        let mut known = std::collections::HashSet::new();
        for record in self.records()? {
            let blob = self.blob_path(&record.sha256);
            let Ok(meta) = fs::symlink_metadata(&blob) else {
                let manifest = self.manifest_path(&record.sha256);
                let _ = fs::remove_file(&manifest);
                continue;
            };
            let unused = meta.nlink() <= 1;
            if unused && (!record.persistent || record.expired(now)) {
                let why = if record.persistent {
                    "removed"
                } else {
                    "swept"
                };
                self.remove_blob(&record.sha256, why)?;
                report.blobs += 1;
            } else {
                known.insert(record.sha256);
            }
        }
        let blobs = self.inner.root.join("blobs");
        let entries = fs::read_dir(&blobs).map_err(|e| Error::store("list", &blobs, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !known.contains(&name) {
                self.remove_blob(&name, "swept")?;
                report.blobs += 1;
            }
        }
        Ok(report)
    }
}

/// A hashed input waiting in `tmp/` for its commit.
pub(crate) struct Pending {
    tmp: TempFile,
    source: PathBuf,
    record: Record,
}

impl Pending {
    pub(crate) fn media_type(&self) -> &str {
        &self.record.media_type
    }
}

/// A file under `tmp/`, removed on drop unless persisted.
struct TempFile {
    path: PathBuf,
    file: Option<File>,
}

impl TempFile {
    fn create(dir: &Path, source: &Path) -> Result<Self, Error> {
        let path = dir.join(unique_name(".part"));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::writing(source, &path, e))?;
        Ok(Self {
            path,
            file: Some(file),
        })
    }

    fn file(&self) -> &File {
        self.file
            .as_ref()
            .expect("the file is open until persisted")
    }

    /// Renames the file to `to` (atomically replacing it).
    fn persist(mut self, to: &Path) -> Result<(), Error> {
        self.file = None;
        let result = fs::rename(&self.path, to).map_err(|e| Error::store("rename", to, e));
        if result.is_ok() {
            self.path = PathBuf::new();
        }
        result
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("source", &self.source)
            .field("sha256", &self.record.sha256)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Locked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Locked")
    }
}

fn read_record(path: &Path) -> Option<Record> {
    let bytes = fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Opens an input file, refusing directories, special files and files over `limit`.
pub(crate) fn open_input(path: &Path, limit: u64) -> Result<(File, fs::Metadata), Error> {
    let meta = fs::metadata(path).map_err(|e| Error::input(path, e))?;
    if meta.is_dir() {
        return Err(Error::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    if !meta.is_file() {
        return Err(Error::NotAFile {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > limit {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
        });
    }
    let file = File::open(path).map_err(|e| Error::input(path, e))?;
    Ok((file, meta))
}

/// The last component of `path`, for the manifest.
pub(crate) fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(
        || "attachment".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Creates `dir` and its missing parents, the ones created with mode 0700.
pub(crate) fn create_private_dir_all(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt as _;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::store("create", dir, e))
}

/// Hard-links `blob` to `link`, or copies it when the file system refuses hard links.
fn link_or_copy(blob: &Path, link: &Path) -> io::Result<()> {
    match fs::hard_link(blob, link) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            fs::copy(blob, link)?;
            fs::set_permissions(link, fs::Permissions::from_mode(0o400))
        }
    }
}

/// Makes a rename in `dir` durable; best effort.
fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// Removes a directory tree, making its directories writable first (views are read-only).
pub(crate) fn remove_tree(dir: &Path) -> io::Result<()> {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            remove_tree(&path)?;
        } else {
            fs::remove_file(&path)?;
        }
    }
    fs::remove_dir(dir)
}

/// Makes the directories of a tree read-only (0500).
pub(crate) fn make_read_only(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            make_read_only(&entry.path())?;
        }
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o500))
}
