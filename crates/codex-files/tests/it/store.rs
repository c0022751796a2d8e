//! The store in one process: staging, de-duplication, the manifest, permissions, sets and
//! their cleanup, persistence, the quota, TTLs, and every bad input.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use codex_agent_files::{Attachment, AttachmentKind, Error, Lifetime, Store, StoreOptions};
use pretty_assertions::assert_eq;
use sha2::{Digest as _, Sha256};
use tempfile::TempDir;

/// A 1×1 PNG.
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0xc9, 0xfe, 0x92, 0xef, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A store in a fresh directory, and a directory for inputs.
pub(crate) struct Fixture {
    pub(crate) dir: TempDir,
    pub(crate) store: Store,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        Self::with(StoreOptions::new())
    }

    pub(crate) fn with(options: StoreOptions) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(options.root(dir.path().join("store"))).expect("open the store");
        std::fs::create_dir(dir.path().join("in")).expect("the input directory");
        Self { dir, store }
    }

    /// Writes an input file and returns its path.
    pub(crate) fn input(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.dir.path().join("in").join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("input parent");
        }
        std::fs::write(&path, content).expect("write the input");
        path
    }

    /// The names under `<root>/<sub>`, sorted.
    pub(crate) fn names(&self, sub: &str) -> Vec<String> {
        names(&self.store.root().join(sub))
    }

    /// Asserts that the store holds exactly the blobs `shas`, each with its manifest entry,
    /// and nothing being staged or attached.
    pub(crate) fn assert_holds(&self, shas: &[&str]) {
        let mut shas: Vec<String> = shas.iter().map(|s| (*s).to_owned()).collect();
        shas.sort();
        assert_eq!(self.names("blobs"), shas, "blobs");
        let manifest: Vec<String> = shas.iter().map(|s| format!("{s}.json")).collect();
        assert_eq!(self.names("manifest"), manifest, "manifest");
        assert_eq!(self.names("tmp"), Vec::<String>::new(), "tmp");
        assert_eq!(self.names("sets"), Vec::<String>::new(), "sets");
    }
}

pub(crate) fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

pub(crate) fn sha256(content: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(content)
        .iter()
        .fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn staging_twice_keeps_one_blob_with_its_manifest_entry() {
    let f = Fixture::new();
    let a = f.input("a.md", b"# notes\n");
    let copy = f.input("copy.txt", b"# notes\n");
    let first = f.store.stage(&a, None).expect("stage");
    let second = f
        .store
        .stage(&copy, Some(Duration::from_mins(1)))
        .expect("stage again");
    let sha = sha256(b"# notes\n");
    assert_eq!(
        (
            first.sha256.as_str(),
            first.size,
            first.media_type.as_str(),
            first.original_name.as_str()
        ),
        (sha.as_str(), 8, "text/plain; charset=utf-8", "a.md")
    );
    // The same bytes are the same entry: its first name and staging time stay, its last use
    // moves, and persistence without a limit wins over a TTL.
    assert_eq!(second.original_name, "a.md");
    assert_eq!(second.staged_at, first.staged_at);
    assert!(second.last_used > first.last_used);
    assert_eq!(second.lifetime, Lifetime::Persistent { ttl: None });
    assert_eq!(f.store.entries().expect("entries"), vec![second]);
    f.assert_holds(&[&sha]);
    let blob = f.store.blob_path(&sha);
    assert_eq!(std::fs::read(&blob).expect("blob"), b"# notes\n");
    let modes = [
        mode(f.store.root()),
        mode(&f.store.root().join("blobs")),
        mode(&f.store.root().join("manifest")),
        mode(&f.store.root().join("tmp")),
        mode(&f.store.root().join("sets")),
        mode(&blob),
        mode(&f.store.root().join("manifest").join(format!("{sha}.json"))),
        mode(&f.store.root().join("lock")),
    ];
    assert_eq!(
        modes,
        [0o700, 0o700, 0o700, 0o700, 0o700, 0o400, 0o600, 0o600]
    );
    assert!(f.store.remove(&sha).expect("remove"));
    f.assert_holds(&[]);
}

#[test]
fn media_types_come_from_the_content_not_the_name() {
    let f = Fixture::new();
    let cases: [(&str, &[u8], &str); 4] = [
        ("looks-like-text.txt", PNG, "image/png"),
        ("picture.png", b"not a picture", "text/plain; charset=utf-8"),
        ("data.bin", b"\x00\x01\x02", "application/octet-stream"),
        ("doc", b"%PDF-1.4\n", "application/pdf"),
    ];
    let mut seen = Vec::new();
    for (name, content, _) in cases {
        let entry = f.store.stage(f.input(name, content), None).expect("stage");
        seen.push((name, entry.media_type));
    }
    let expected: Vec<(&str, String)> = cases
        .iter()
        .map(|(n, _, t)| (*n, (*t).to_owned()))
        .collect();
    assert_eq!(seen, expected);
    for entry in f.store.entries().expect("entries") {
        assert!(f.store.remove(&entry.sha256).expect("remove"));
    }
    f.assert_holds(&[]);
}

#[test]
fn a_set_holds_a_read_only_view_and_takes_its_blobs_along() {
    let f = Fixture::new();
    let notes = f.input("notes.txt", b"remember the milk\n");
    let image = f.input("pixel.png", PNG);
    f.input("tree/a.txt", b"a\n");
    f.input("tree/sub/b.txt", b"b\n");
    f.input("tree/sub/same-as-notes.txt", b"remember the milk\n");
    std::os::unix::fs::symlink("sub/b.txt", f.dir.path().join("in/tree/link-to-b"))
        .expect("symlink inside");
    let mut set = f.store.new_set().expect("a set");
    let view = set.dir().to_path_buf();
    let attached: Vec<(AttachmentKind, Vec<(String, String)>)> = [
        Attachment::file(&notes),
        Attachment::image(&image),
        Attachment::directory(f.dir.path().join("in/tree")),
        Attachment::file(&notes),
    ]
    .iter()
    .map(|a| {
        let attached = set.attach(a).expect("attach");
        let files = attached
            .files
            .iter()
            .map(|file| {
                let relative = file.path.strip_prefix(&view).expect("in the view");
                (relative.display().to_string(), file.entry.sha256.clone())
            })
            .collect();
        (attached.kind, files)
    })
    .collect();
    let milk = sha256(b"remember the milk\n");
    let b = sha256(b"b\n");
    let expected = vec![
        (
            AttachmentKind::File,
            vec![("0/notes.txt".to_owned(), milk.clone())],
        ),
        (
            AttachmentKind::Image,
            vec![("1/pixel.png".to_owned(), sha256(PNG))],
        ),
        (
            AttachmentKind::Directory,
            vec![
                ("2/tree/a.txt".to_owned(), sha256(b"a\n")),
                ("2/tree/link-to-b".to_owned(), b.clone()),
                ("2/tree/sub/b.txt".to_owned(), b.clone()),
                ("2/tree/sub/same-as-notes.txt".to_owned(), milk.clone()),
            ],
        ),
        (
            AttachmentKind::File,
            vec![("3/notes.txt".to_owned(), milk.clone())],
        ),
    ];
    assert_eq!(attached, expected);
    assert_eq!(
        std::fs::read_to_string(view.join("2/tree/sub/same-as-notes.txt")).expect("read"),
        "remember the milk\n"
    );
    // Read-only: the view's directories are 0500, its files 0400.
    assert_eq!(
        [
            mode(&view),
            mode(&view.join("2/tree/sub")),
            mode(&view.join("0/notes.txt"))
        ],
        [0o500, 0o500, 0o400]
    );
    assert_eq!(f.store.entries().expect("entries").len(), 4);
    drop(set);
    f.assert_holds(&[]);
}

#[test]
fn persistent_attachments_outlive_their_set_and_in_use_blobs_are_kept() {
    let f = Fixture::new();
    let kept = f.input("kept.txt", b"kept\n");
    let gone = f.input("gone.txt", b"gone\n");
    let mut first = f.store.new_set().expect("a set");
    first
        .attach(&Attachment::file(&kept).persistent(None))
        .expect("attach kept");
    first.attach(&Attachment::file(&gone)).expect("attach gone");
    // A second set uses the ephemeral blob too: dropping the first must keep it.
    let mut second = f.store.new_set().expect("a second set");
    second
        .attach(&Attachment::file(&gone))
        .expect("attach gone again");
    drop(first);
    let kept_sha = sha256(b"kept\n");
    let gone_sha = sha256(b"gone\n");
    assert_eq!(f.names("blobs"), sorted([&kept_sha, &gone_sha]));
    // Removing a persistent entry a set uses only makes it ephemeral.
    let mut third = f.store.new_set().expect("a third set");
    third.attach(&Attachment::file(&kept)).expect("attach kept");
    assert!(!f.store.remove(&kept_sha).expect("remove in use"));
    drop(third);
    drop(second);
    f.assert_holds(&[]);
}

fn sorted<const N: usize>(names: [&String; N]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|s| (*s).clone()).collect();
    names.sort();
    names
}

#[test]
fn the_quota_evicts_the_least_recently_used_entry_not_in_use() {
    let fx = Fixture::with(StoreOptions::new().quota(10));
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|name| fx.input(name, name.repeat(4).as_bytes()));
    fx.store.stage(&a, None).expect("a");
    fx.store.stage(&b, None).expect("b");
    fx.store
        .stage(&a, None)
        .expect("a again: now b is the least recently used");
    fx.store.stage(&c, None).expect("c evicts b");
    assert_eq!(
        fx.names("blobs"),
        sorted([&sha256(b"aaaa"), &sha256(b"cccc")])
    );
    // In use, neither can go: d does not fit, and nothing is left of it.
    let mut set = fx.store.new_set().expect("a set");
    set.attach(&Attachment::file(&a)).expect("a in use");
    set.attach(&Attachment::file(&c)).expect("c in use");
    let error = fx.store.stage(&d, None).expect_err("over quota");
    assert!(
        matches!(&error, Error::QuotaExceeded { path, size: 4, quota: 10 } if *path == d),
        "{error:?}"
    );
    drop(set);
    assert_eq!(fx.names("tmp"), Vec::<String>::new());
    for sha in [sha256(b"aaaa"), sha256(b"cccc")] {
        assert!(fx.store.remove(&sha).expect("remove"));
    }
    fx.assert_holds(&[]);
}

#[test]
fn expired_persistent_entries_are_swept() {
    let f = Fixture::new();
    let short = f.input("short", b"short");
    let long = f.input("long", b"long");
    f.store.stage(&short, Some(Duration::ZERO)).expect("short");
    f.store
        .stage(&long, Some(Duration::from_hours(1)))
        .expect("long");
    let report = f.store.sweep().expect("sweep");
    assert_eq!(report.blobs, 1);
    f.assert_holds(&[&sha256(b"long")]);
    assert!(f.store.remove(&sha256(b"long")).expect("remove"));
    f.assert_holds(&[]);
}

/// What a bad input must produce: the error's variant name and its path.
type Check = fn(&Error) -> bool;

#[test]
#[expect(clippy::too_many_lines, reason = "one row per bad input")]
fn bad_inputs_are_typed_errors_naming_the_path_and_leave_nothing() {
    let f = Fixture::with(StoreOptions::new().max_file_size(16).max_directory_files(2));
    let dir = f.dir.path().join("in");
    f.input("small.txt", b"small");
    f.input("big.txt", &[b'x'; 17]);
    f.input("escape/ok.txt", b"ok");
    std::os::unix::fs::symlink("/etc/hostname", dir.join("escape/out")).expect("symlink");
    f.input("many/1", b"1");
    f.input("many/2", b"2");
    f.input("many/3", b"3");
    f.input("deep/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/file", b"deep");
    f.input("big-inside/ok", b"ok");
    f.input("big-inside/big", &[b'x'; 17]);
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        dir.join("fifo"),
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .expect("fifo");
    let cases: Vec<(Attachment, PathBuf, Check)> = vec![
        (
            Attachment::file(dir.join("missing")),
            dir.join("missing"),
            |e| matches!(e, Error::NotFound { .. }),
        ),
        (Attachment::file(&dir), dir.clone(), |e| {
            matches!(e, Error::IsDirectory { .. })
        }),
        (Attachment::image(&dir), dir.clone(), |e| {
            matches!(e, Error::IsDirectory { .. })
        }),
        (
            Attachment::directory(dir.join("small.txt")),
            dir.join("small.txt"),
            |e| matches!(e, Error::NotADirectory { .. }),
        ),
        (
            Attachment::directory(dir.join("escape")),
            dir.join("escape/out"),
            |e| matches!(e, Error::SymlinkEscape { .. }),
        ),
        (
            Attachment::file(dir.join("big.txt")),
            dir.join("big.txt"),
            |e| {
                matches!(
                    e,
                    Error::TooLarge {
                        size: 17,
                        limit: 16,
                        ..
                    }
                )
            },
        ),
        (
            Attachment::directory(dir.join("big-inside")),
            dir.join("big-inside/big"),
            |e| matches!(e, Error::TooLarge { .. }),
        ),
        (
            Attachment::directory(dir.join("many")),
            dir.join("many"),
            |e| {
                matches!(
                    e,
                    Error::DirectoryTooLarge {
                        what: "files",
                        limit: 2,
                        ..
                    }
                )
            },
        ),
        (
            Attachment::directory(dir.join("deep")),
            dir.join("deep"),
            |e| {
                matches!(
                    e,
                    Error::DirectoryTooLarge {
                        what: "levels",
                        limit: 16,
                        ..
                    }
                )
            },
        ),
        (
            Attachment::image(dir.join("small.txt")),
            dir.join("small.txt"),
            |e| matches!(e, Error::NotAnImage { media_type, .. } if media_type == "text/plain; charset=utf-8"),
        ),
        (Attachment::file(dir.join("fifo")), dir.join("fifo"), |e| {
            matches!(e, Error::NotAFile { .. })
        }),
        // Reading /proc/self/mem at offset 0 fails with EIO: an unreadable file, even for root.
        (
            Attachment::file("/proc/self/mem"),
            PathBuf::from("/proc/self/mem"),
            |e| matches!(e, Error::Unreadable { .. }),
        ),
    ];
    for (attachment, path, check) in cases {
        let mut set = f.store.new_set().expect("a set");
        let error = set.attach(&attachment).expect_err("a bad input");
        assert!(check(&error), "{attachment:?}: {error:?}");
        assert_eq!(error.path(), path, "{attachment:?}: {error}");
        assert!(
            error.to_string().contains(&path.display().to_string()),
            "{error}"
        );
        drop(set);
        f.assert_holds(&[]);
    }
}
