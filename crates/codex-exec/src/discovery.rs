//! Finding the codex binary: [`Discovery`] and the [`CodexBinary`] handle it returns.
//!
//! Precedence, first match wins:
//!
//! 1. an explicit path ([`Discovery::codex_path`]), used as given, like the TypeScript SDK's
//!    `codexPathOverride`;
//! 2. the `CODEX_PATH` environment variable, which must name an existing file;
//! 3. an executable `codex` (`codex.exe`, `codex.cmd` on Windows) in a directory of `PATH`;
//! 4. an npm install: `node_modules/@openai/codex/package.json` under a search root (by
//!    default the current directory and its ancestors), then its platform package
//!    `@openai/codex-<platform>` (nested in `@openai/codex/node_modules/@openai/` or next to it
//!    in `node_modules/@openai/`), then inside it `vendor/<target-triple>/bin/codex` when
//!    `vendor/<target-triple>/codex-package.json` exists (PATH directory
//!    `vendor/<target-triple>/codex-path`), else the legacy `vendor/<target-triple>/codex/codex`
//!    (PATH directory `vendor/<target-triple>/path`), as the TypeScript SDK resolves it;
//! 5. the `PyPI` runtime wheel `openai-codex-cli-bin`: `codex_cli_bin/bin/codex` next to
//!    `codex_cli_bin/codex-package.json` in a `site-packages` directory (by default those of
//!    the virtualenv in `VIRTUAL_ENV`), PATH directory `codex_cli_bin/codex-path`.
//!
//! A binary found in a package comes with the package's PATH directory (it holds helpers such
//! as `rg`); the command builder prepends it to the child's `PATH`. When nothing is found,
//! [`Error::CodexNotFound`] lists every place that was looked at.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use crate::{Error, Version};

/// The environment variable naming the codex binary, second in precedence.
pub const CODEX_PATH_ENV: &str = "CODEX_PATH";

/// How long [`CodexBinary::version`] waits for `codex --version` by default.
pub const DEFAULT_VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// A platform codex ships native binaries for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// `x86_64-unknown-linux-musl`, npm package `@openai/codex-linux-x64`.
    LinuxX64,
    /// `aarch64-unknown-linux-musl`, npm package `@openai/codex-linux-arm64`.
    LinuxArm64,
    /// `x86_64-apple-darwin`, npm package `@openai/codex-darwin-x64`.
    MacosX64,
    /// `aarch64-apple-darwin`, npm package `@openai/codex-darwin-arm64`.
    MacosArm64,
    /// `x86_64-pc-windows-msvc`, npm package `@openai/codex-win32-x64`.
    WindowsX64,
    /// `aarch64-pc-windows-msvc`, npm package `@openai/codex-win32-arm64`.
    WindowsArm64,
}

impl Target {
    /// The platform this program runs on, or `None` when codex ships no binary for it.
    #[must_use]
    pub const fn current() -> Option<Self> {
        if cfg!(any(target_os = "linux", target_os = "android")) {
            if cfg!(target_arch = "x86_64") {
                return Some(Self::LinuxX64);
            } else if cfg!(target_arch = "aarch64") {
                return Some(Self::LinuxArm64);
            }
        } else if cfg!(target_os = "macos") {
            if cfg!(target_arch = "x86_64") {
                return Some(Self::MacosX64);
            } else if cfg!(target_arch = "aarch64") {
                return Some(Self::MacosArm64);
            }
        } else if cfg!(target_os = "windows") {
            if cfg!(target_arch = "x86_64") {
                return Some(Self::WindowsX64);
            } else if cfg!(target_arch = "aarch64") {
                return Some(Self::WindowsArm64);
            }
        }
        None
    }

    /// The Rust target triple codex is built for (the `vendor/<triple>` directory name).
    #[must_use]
    pub const fn triple(self) -> &'static str {
        match self {
            Self::LinuxX64 => "x86_64-unknown-linux-musl",
            Self::LinuxArm64 => "aarch64-unknown-linux-musl",
            Self::MacosX64 => "x86_64-apple-darwin",
            Self::MacosArm64 => "aarch64-apple-darwin",
            Self::WindowsX64 => "x86_64-pc-windows-msvc",
            Self::WindowsArm64 => "aarch64-pc-windows-msvc",
        }
    }

    /// The npm package holding the binary, without its `@openai/` scope (`codex-linux-x64`).
    #[must_use]
    pub const fn npm_package(self) -> &'static str {
        match self {
            Self::LinuxX64 => "codex-linux-x64",
            Self::LinuxArm64 => "codex-linux-arm64",
            Self::MacosX64 => "codex-darwin-x64",
            Self::MacosArm64 => "codex-darwin-arm64",
            Self::WindowsX64 => "codex-win32-x64",
            Self::WindowsArm64 => "codex-win32-arm64",
        }
    }

    /// Whether binaries for this platform carry the `.exe` suffix.
    #[must_use]
    pub const fn is_windows(self) -> bool {
        matches!(self, Self::WindowsX64 | Self::WindowsArm64)
    }
}

/// Where a [`CodexBinary`] was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BinarySource {
    /// Given explicitly ([`Discovery::codex_path`] or [`CodexBinary::new`]).
    Explicit,
    /// Named by the `CODEX_PATH` environment variable.
    CodexPathEnv,
    /// Found in a directory of `PATH`.
    Path,
    /// Found in an npm install of `@openai/codex`.
    Npm,
    /// Found in the `PyPI` runtime wheel `openai-codex-cli-bin`.
    PyPi,
}

type EnvLookup = Arc<dyn Fn(&str) -> Option<OsString> + Send + Sync>;

/// Finds the codex binary. First match wins: an explicit path, `CODEX_PATH`, `codex` on
/// `PATH`, an npm install (the platform package's `vendor/<triple>/bin/codex`), the `PyPI`
/// runtime wheel; a binary found in a package brings its PATH directory along.
///
/// ```no_run
/// # async fn demo() -> Result<(), codex_agent_exec::Error> {
/// use codex_agent_exec::Discovery;
///
/// let codex = Discovery::from_env().discover()?;
/// println!("{} {}", codex.path().display(), codex.version().await?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use]
pub struct Discovery {
    explicit: Option<PathBuf>,
    env: EnvLookup,
    npm_roots: Option<Vec<PathBuf>>,
    python_roots: Option<Vec<PathBuf>>,
    target: Option<Target>,
    version_timeout: Duration,
}

impl fmt::Debug for Discovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Discovery")
            .field("explicit", &self.explicit)
            .field("npm_roots", &self.npm_roots)
            .field("python_roots", &self.python_roots)
            .field("target", &self.target)
            .field("version_timeout", &self.version_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for Discovery {
    /// Same as [`Discovery::from_env`].
    fn default() -> Self {
        Self::from_env()
    }
}

impl Discovery {
    /// Discovery that reads `CODEX_PATH`, `PATH` and `VIRTUAL_ENV` from this process's
    /// environment and searches the current directory and its ancestors for npm installs.
    pub fn from_env() -> Self {
        Self {
            explicit: None,
            env: Arc::new(|name| std::env::var_os(name)),
            npm_roots: None,
            python_roots: None,
            target: Target::current(),
            version_timeout: DEFAULT_VERSION_TIMEOUT,
        }
    }

    /// Uses this binary and skips every search; no PATH directory is added, as with the
    /// TypeScript SDK's `codexPathOverride`. The path is not checked: spawning reports a
    /// missing file.
    ///
    /// By default, the binary is searched for.
    pub fn codex_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.explicit = Some(path.into());
        self
    }

    /// Reads environment variables (`CODEX_PATH`, `PATH`, `VIRTUAL_ENV`) through `lookup`
    /// instead of the process environment, so tests do not touch the real one.
    ///
    /// By default, the process environment is read.
    pub fn env_lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<OsString> + Send + Sync + 'static,
    ) -> Self {
        self.env = Arc::new(lookup);
        self
    }

    /// Directories searched, in order, for `node_modules/@openai/codex`.
    ///
    /// By default, the current directory and each of its ancestors.
    pub fn npm_search_roots(mut self, roots: impl IntoIterator<Item = impl Into<PathBuf>>) -> Self {
        self.npm_roots = Some(roots.into_iter().map(Into::into).collect());
        self
    }

    /// `site-packages` directories searched, in order, for the `PyPI` wheel's `codex_cli_bin`.
    ///
    /// By default, the `site-packages` directories of the virtualenv named by `VIRTUAL_ENV`
    /// (`lib/python3.*/site-packages`, `Lib/site-packages`), or none.
    pub fn python_search_roots(
        mut self,
        roots: impl IntoIterator<Item = impl Into<PathBuf>>,
    ) -> Self {
        self.python_roots = Some(roots.into_iter().map(Into::into).collect());
        self
    }

    /// The platform whose package layout is searched for.
    ///
    /// By default, [`Target::current`]; with no supported platform, npm installs are skipped.
    pub fn target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    /// How long [`CodexBinary::version`] waits for `codex --version`.
    ///
    /// By default, [`DEFAULT_VERSION_TIMEOUT`] (10 seconds).
    pub fn version_timeout(mut self, timeout: Duration) -> Self {
        self.version_timeout = timeout;
        self
    }

    /// Finds the binary. Only looks at the file system; it runs nothing.
    ///
    /// # Errors
    ///
    /// [`Error::CodexNotFound`] with every place looked at.
    pub fn discover(&self) -> Result<CodexBinary, Error> {
        let found = |path: PathBuf, path_dirs: Vec<PathBuf>, source: BinarySource| {
            tracing::debug!(path = %path.display(), ?source, "found codex");
            CodexBinary::with_details(path, path_dirs, source, self.version_timeout)
        };
        if let Some(path) = &self.explicit {
            // A path that names a file must exist: finding out at the first turn, as a spawn
            // error, is too late. A bare program name is left to the spawn's `PATH` lookup.
            if path.components().count() > 1 {
                not_a_file(path, "the codex path option")?;
            }
            return Ok(found(path.clone(), Vec::new(), BinarySource::Explicit));
        }
        if let Some(path) = (self.env)(CODEX_PATH_ENV).filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            // An explicit setting that does not work is an error, not a cue to run some
            // other codex.
            not_a_file(&path, "`CODEX_PATH`")?;
            return Ok(found(path, Vec::new(), BinarySource::CodexPathEnv));
        }

        let mut searched = Vec::new();
        let windows = self.target.map_or(cfg!(windows), Target::is_windows);
        if let Some(path) = self.search_path(windows, &mut searched) {
            return Ok(found(path, Vec::new(), BinarySource::Path));
        }
        if let Some(target) = self.target {
            for root in self.npm_roots() {
                if let Some((path, dirs)) = search_npm(&root, target, &mut searched) {
                    return Ok(found(path, dirs, BinarySource::Npm));
                }
            }
        }
        for root in self.python_roots() {
            if let Some((path, dirs)) = search_pypi(&root, windows, &mut searched) {
                return Ok(found(path, dirs, BinarySource::PyPi));
            }
        }
        Err(Error::CodexNotFound { searched })
    }

    fn search_path(&self, windows: bool, searched: &mut Vec<PathBuf>) -> Option<PathBuf> {
        let path = (self.env)("PATH")?;
        let names: &[&str] = if windows {
            &["codex.exe", "codex.cmd"]
        } else {
            &["codex"]
        };
        for dir in std::env::split_paths(&path).filter(|d| !d.as_os_str().is_empty()) {
            for name in names {
                let candidate = dir.join(name);
                if is_executable(&candidate) {
                    return Some(candidate);
                }
                searched.push(candidate);
            }
        }
        None
    }

    fn npm_roots(&self) -> Vec<PathBuf> {
        if let Some(roots) = &self.npm_roots {
            return roots.clone();
        }
        std::env::current_dir()
            .map(|cwd| cwd.ancestors().map(Path::to_path_buf).collect())
            .unwrap_or_default()
    }

    fn python_roots(&self) -> Vec<PathBuf> {
        if let Some(roots) = &self.python_roots {
            return roots.clone();
        }
        let Some(venv) = (self.env)("VIRTUAL_ENV").filter(|v| !v.is_empty()) else {
            return Vec::new();
        };
        let venv = PathBuf::from(venv);
        let mut roots = Vec::new();
        if let Ok(entries) = std::fs::read_dir(venv.join("lib")) {
            let mut pythons: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("python"))
                .map(|e| e.path().join("site-packages"))
                .collect();
            pythons.sort();
            roots.extend(pythons);
        }
        roots.push(venv.join("Lib").join("site-packages"));
        roots
    }
}

/// Looks for `@openai/codex` and its platform package under `root/node_modules`.
fn search_npm(
    root: &Path,
    target: Target,
    searched: &mut Vec<PathBuf>,
) -> Option<(PathBuf, Vec<PathBuf>)> {
    let scope = root.join("node_modules").join("@openai");
    let codex_package = scope.join("codex");
    let manifest = codex_package.join("package.json");
    if !manifest.is_file() {
        searched.push(manifest);
        return None;
    }
    // Node resolves the platform package from `@openai/codex` first in its own
    // node_modules, then in the enclosing one.
    let platform_packages = [
        codex_package
            .join("node_modules")
            .join("@openai")
            .join(target.npm_package()),
        scope.join(target.npm_package()),
    ];
    let exe = if target.is_windows() {
        "codex.exe"
    } else {
        "codex"
    };
    for package in platform_packages {
        let triple_dir = package.join("vendor").join(target.triple());
        let binary = triple_dir.join("bin").join(exe);
        if binary.is_file() && triple_dir.join("codex-package.json").is_file() {
            return Some((binary, existing_dir(triple_dir.join("codex-path"))));
        }
        searched.push(binary);
        let legacy = triple_dir.join("codex").join(exe);
        if legacy.is_file() {
            return Some((legacy, existing_dir(triple_dir.join("path"))));
        }
        searched.push(legacy);
    }
    None
}

/// Looks for the `PyPI` wheel's `codex_cli_bin` package in a `site-packages` directory.
fn search_pypi(
    site_packages: &Path,
    windows: bool,
    searched: &mut Vec<PathBuf>,
) -> Option<(PathBuf, Vec<PathBuf>)> {
    let package = site_packages.join("codex_cli_bin");
    let binary = package
        .join("bin")
        .join(if windows { "codex.exe" } else { "codex" });
    if binary.is_file() && package.join("codex-package.json").is_file() {
        return Some((binary, existing_dir(package.join("codex-path"))));
    }
    searched.push(binary);
    None
}

/// [`Error::InvalidCodexPath`] unless `path` (named by `setting`) is a file, or a link to one.
fn not_a_file(path: &Path, setting: &'static str) -> Result<(), Error> {
    let mut inside = None;
    let problem = match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => return Ok(()),
        Ok(meta) if meta.is_dir() => {
            let name = if cfg!(windows) { "codex.exe" } else { "codex" };
            inside = [
                path.join(name),
                path.join("bin").join(name),
                path.join("node_modules").join(".bin").join(name),
            ]
            .into_iter()
            .find(|candidate| is_executable(candidate));
            "is a directory"
        }
        Ok(_) => "is not a regular file",
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => "does not exist",
        Err(_) => "cannot be read",
    };
    Err(Error::InvalidCodexPath {
        path: path.to_path_buf(),
        setting,
        problem,
        inside,
    })
}

/// The end of [`Error::InvalidCodexPath`]'s message: the executable found in the directory.
pub(crate) struct Inside<'a>(pub(crate) Option<&'a Path>);

impl fmt::Display for Inside<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(found) => write!(f, " (this directory has one: `{}`)", found.display()),
            None => Ok(()),
        }
    }
}

/// Formats the places a search looked at, for [`Error::CodexNotFound`].
pub(crate) struct Searched<'a>(pub(crate) &'a [PathBuf]);

impl fmt::Display for Searched<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, path) in self.0.iter().enumerate() {
            f.write_str(if index == 0 { "; looked at " } else { ", " })?;
            write!(f, "{}", path.display())?;
        }
        Ok(())
    }
}

fn existing_dir(dir: PathBuf) -> Vec<PathBuf> {
    if dir.is_dir() { vec![dir] } else { Vec::new() }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// A codex binary: its path, the PATH directories its package wants, and its version, probed
/// once on first use.
///
/// Cloning is cheap and clones share the cached version.
#[derive(Debug, Clone)]
pub struct CodexBinary {
    inner: Arc<BinaryInner>,
}

#[derive(Debug)]
struct BinaryInner {
    path: PathBuf,
    path_dirs: Vec<PathBuf>,
    source: BinarySource,
    version_timeout: Duration,
    version: OnceCell<Version>,
}

impl CodexBinary {
    /// A binary at a known path, without PATH directories; same as
    /// `Discovery::from_env().codex_path(path).discover()`.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self::with_details(
            path.into(),
            Vec::new(),
            BinarySource::Explicit,
            DEFAULT_VERSION_TIMEOUT,
        )
    }

    fn with_details(
        path: PathBuf,
        path_dirs: Vec<PathBuf>,
        source: BinarySource,
        version_timeout: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(BinaryInner {
                path,
                path_dirs,
                source,
                version_timeout,
                version: OnceCell::new(),
            }),
        }
    }

    /// The program to run.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Directories to prepend to the child's `PATH` (the package's `codex-path`); empty unless
    /// the binary came from an npm or `PyPI` package.
    #[must_use]
    pub fn path_dirs(&self) -> &[PathBuf] {
        &self.inner.path_dirs
    }

    /// Where the binary was found.
    #[must_use]
    pub fn source(&self) -> BinarySource {
        self.inner.source
    }

    /// The version, if [`CodexBinary::version`] has already probed it.
    #[must_use]
    pub fn cached_version(&self) -> Option<&Version> {
        self.inner.version.get()
    }

    /// The version reported by `codex --version`, run once and cached; later calls (also on
    /// clones) return the cached value. A failed probe is not cached.
    ///
    /// # Errors
    ///
    /// [`Error::VersionProbe`] when the program cannot be started, exits unsuccessfully, does
    /// not answer within the timeout, or prints no version.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe. Dropping the future kills the probe process; nothing is cached and the next
    /// call probes again.
    pub async fn version(&self) -> Result<&Version, Error> {
        self.inner
            .version
            .get_or_try_init(|| self.probe_version())
            .await
    }

    #[expect(
        clippy::disallowed_methods,
        reason = "codex-agent-exec is the crate that spawns processes"
    )]
    async fn probe_version(&self) -> Result<Version, Error> {
        let path = self.path();
        let failure = |reason: String, source: Option<std::io::Error>| Error::VersionProbe {
            path: path.to_path_buf(),
            reason,
            source,
        };
        let child = tokio::process::Command::new(path)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| failure("it could not be started".to_owned(), Some(e)))?;
        let timeout = self.inner.version_timeout;
        let output = tokio::time::timeout(timeout, child.wait_with_output())
            .await
            .map_err(|_| failure(format!("it did not answer within {timeout:?}"), None))?
            .map_err(|e| failure("its output could not be read".to_owned(), Some(e)))?;
        if !output.status.success() {
            return Err(failure(format!("it exited with {}", output.status), None));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let version = Version::from_version_output(&stdout).ok_or_else(|| {
            let first_line = stdout.lines().next().unwrap_or_default();
            let shown: String = first_line.chars().take(100).collect();
            failure(format!("it printed no version (`{shown}`)"), None)
        })?;
        tracing::debug!(path = %path.display(), %version, "probed codex version");
        Ok(version)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::fs;

    use pretty_assertions::assert_eq;

    use super::*;

    /// A temporary directory tree to build fake installs in.
    struct Tree(tempfile::TempDir);

    impl Tree {
        fn new() -> Self {
            Self(tempfile::tempdir().expect("create temp dir"))
        }

        fn path(&self, rel: &str) -> PathBuf {
            self.0.path().join(rel)
        }

        fn file(&self, rel: &str) -> PathBuf {
            let path = self.path(rel);
            fs::create_dir_all(path.parent().expect("file has a parent")).expect("mkdir");
            fs::write(&path, "").expect("write file");
            path
        }

        #[cfg(unix)]
        fn executable(&self, rel: &str, script: &str) -> PathBuf {
            use std::os::unix::fs::PermissionsExt;
            let path = self.file(rel);
            fs::write(&path, script).expect("write script");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
            path
        }

        fn dir(&self, rel: &str) -> PathBuf {
            let path = self.path(rel);
            fs::create_dir_all(&path).expect("mkdir");
            path
        }
    }

    /// Discovery that sees only `env` and `tree`, never the real environment or cwd.
    fn isolated(tree: &Tree, env: &[(&str, &OsString)]) -> Discovery {
        let env: HashMap<String, OsString> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).clone()))
            .collect();
        Discovery::from_env()
            .env_lookup(move |name| env.get(name).cloned())
            .npm_search_roots([tree.path("app"), tree.path("")])
            .python_search_roots([tree.path("venv/site-packages")])
            .target(Target::LinuxX64)
    }

    const TRIPLE_DIR: &str =
        "node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl";

    fn npm_install(tree: &Tree) -> PathBuf {
        tree.file("node_modules/@openai/codex/package.json");
        tree.file(&format!("{TRIPLE_DIR}/codex-package.json"));
        tree.dir(&format!("{TRIPLE_DIR}/codex-path"));
        tree.file(&format!("{TRIPLE_DIR}/bin/codex"))
    }

    #[test]
    fn explicit_path_wins_and_is_used_as_given() {
        let tree = Tree::new();
        npm_install(&tree);
        let codex_path = OsString::from(tree.file("env/codex"));
        let explicit = tree.file("explicit/codex");
        let found = isolated(&tree, &[("CODEX_PATH", &codex_path)])
            .codex_path(&explicit)
            .discover()
            .expect("explicit path");
        assert_eq!(found.path(), explicit.as_path());
        assert_eq!(found.source(), BinarySource::Explicit);
        assert!(found.path_dirs().is_empty());
        // A bare name is left to the spawn's `PATH` lookup.
        let bare = isolated(&tree, &[]).codex_path("codex").discover();
        assert_eq!(bare.expect("a bare name").path(), Path::new("codex"));
    }

    #[test]
    fn an_explicit_path_that_is_not_a_file_is_not_found() {
        let tree = Tree::new();
        let error = isolated(&tree, &[])
            .codex_path("/does/not/exist/codex")
            .discover()
            .expect_err("missing");
        assert!(
            matches!(&error, Error::InvalidCodexPath { path, setting: "the codex path option", problem: "does not exist", .. } if path == Path::new("/does/not/exist/codex")),
            "{error:?}"
        );
        let folder = isolated(&tree, &[])
            .codex_path(tree.path(""))
            .discover()
            .expect_err("a directory");
        assert!(
            matches!(
                &folder,
                Error::InvalidCodexPath {
                    problem: "is a directory",
                    ..
                }
            ),
            "{folder:?}"
        );
    }

    #[test]
    fn codex_path_env_comes_before_path_and_packages() {
        let tree = Tree::new();
        npm_install(&tree);
        let env_codex = tree.file("env/codex");
        let path = OsString::from(tree.dir("bin"));
        #[cfg(unix)]
        tree.executable("bin/codex", "");
        let found = isolated(
            &tree,
            &[("CODEX_PATH", &env_codex.clone().into()), ("PATH", &path)],
        )
        .discover()
        .expect("CODEX_PATH");
        assert_eq!(
            (found.path(), found.source()),
            (env_codex.as_path(), BinarySource::CodexPathEnv)
        );
    }

    #[test]
    fn codex_path_env_naming_nothing_is_an_error() {
        let tree = Tree::new();
        npm_install(&tree);
        let missing = tree.path("missing/codex");
        let err = isolated(&tree, &[("CODEX_PATH", &missing.clone().into())])
            .discover()
            .expect_err("CODEX_PATH must exist");
        assert!(
            matches!(&err, Error::InvalidCodexPath { path, setting: "`CODEX_PATH`", problem: "does not exist", .. } if *path == missing),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "`CODEX_PATH` names `{}`, which does not exist: it must name the codex executable",
                missing.display()
            )
        );
        // A folder is named as such, not as a failed search.
        let folder = tree.path("missing");
        std::fs::create_dir_all(&folder).expect("mkdir");
        let err = isolated(&tree, &[("CODEX_PATH", &folder.clone().into())])
            .discover()
            .expect_err("CODEX_PATH must be a file");
        assert_eq!(
            err.to_string(),
            format!(
                "`CODEX_PATH` names `{}`, which is a directory: it must name the codex executable",
                folder.display()
            )
        );
        // An npm prefix: the executable in it is pointed out.
        let prefix = tree.path("prefix");
        let bin = prefix.join("node_modules").join(".bin");
        std::fs::create_dir_all(&bin).expect("mkdir");
        std::fs::write(bin.join("codex"), "#!/bin/sh\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(bin.join("codex"), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        let err = isolated(&tree, &[("CODEX_PATH", &prefix.clone().into())])
            .discover()
            .expect_err("CODEX_PATH must be a file");
        assert!(
            matches!(&err, Error::InvalidCodexPath { inside: Some(found), .. } if *found == bin.join("codex")),
            "{err:?}"
        );
        assert!(
            err.to_string().ends_with(&format!(
                "(this directory has one: `{}`)",
                bin.join("codex").display()
            )),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn path_lookup_skips_non_executables_and_comes_before_packages() {
        let tree = Tree::new();
        npm_install(&tree);
        tree.file("a/codex"); // not executable
        let good = tree.executable("b/codex", "");
        let path = std::env::join_paths([tree.path("a"), tree.path("b")]).expect("join PATH");
        let found = isolated(&tree, &[("PATH", &path)])
            .discover()
            .expect("PATH");
        assert_eq!(
            (found.path(), found.source()),
            (good.as_path(), BinarySource::Path)
        );
        assert!(found.path_dirs().is_empty());
    }

    #[test]
    fn npm_new_layout_as_sibling_package() {
        let tree = Tree::new();
        let binary = npm_install(&tree);
        let found = isolated(&tree, &[]).discover().expect("npm install");
        assert_eq!(
            (found.path(), found.source()),
            (binary.as_path(), BinarySource::Npm)
        );
        assert_eq!(
            found.path_dirs(),
            [tree.path(&format!("{TRIPLE_DIR}/codex-path"))]
        );
    }

    #[test]
    fn npm_nested_platform_package_comes_first() {
        let tree = Tree::new();
        npm_install(&tree);
        let nested = "node_modules/@openai/codex/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl";
        tree.file(&format!("{nested}/codex-package.json"));
        let binary = tree.file(&format!("{nested}/bin/codex"));
        let found = isolated(&tree, &[]).discover().expect("nested npm install");
        assert_eq!(found.path(), binary);
        // No codex-path directory in this package: nothing to prepend.
        assert!(found.path_dirs().is_empty());
    }

    #[test]
    fn npm_legacy_layout() {
        let tree = Tree::new();
        tree.file("app/node_modules/@openai/codex/package.json");
        let triple = "app/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl";
        // A bin/codex without codex-package.json is not the new layout.
        tree.file(&format!("{triple}/bin/codex"));
        let binary = tree.file(&format!("{triple}/codex/codex"));
        let path_dir = tree.dir(&format!("{triple}/path"));
        let found = isolated(&tree, &[]).discover().expect("legacy npm install");
        assert_eq!(
            (found.path(), found.path_dirs()),
            (binary.as_path(), &[path_dir][..])
        );
    }

    #[test]
    fn npm_windows_layout_uses_exe() {
        let tree = Tree::new();
        tree.file("node_modules/@openai/codex/package.json");
        let triple = "node_modules/@openai/codex-win32-arm64/vendor/aarch64-pc-windows-msvc";
        tree.file(&format!("{triple}/codex-package.json"));
        let binary = tree.file(&format!("{triple}/bin/codex.exe"));
        let found = isolated(&tree, &[])
            .target(Target::WindowsArm64)
            .discover()
            .expect("windows npm install");
        assert_eq!(found.path(), binary);
    }

    #[test]
    fn pypi_wheel_layout() {
        let tree = Tree::new();
        tree.file("venv/site-packages/codex_cli_bin/codex-package.json");
        let binary = tree.file("venv/site-packages/codex_cli_bin/bin/codex");
        let path_dir = tree.dir("venv/site-packages/codex_cli_bin/codex-path");
        let found = isolated(&tree, &[]).discover().expect("PyPI wheel");
        assert_eq!(
            (found.path(), found.path_dirs(), found.source()),
            (binary.as_path(), &[path_dir][..], BinarySource::PyPi)
        );
    }

    #[test]
    fn pypi_roots_default_to_the_virtualenv() {
        let tree = Tree::new();
        tree.file("venv/lib/python3.12/site-packages/codex_cli_bin/codex-package.json");
        let binary = tree.file("venv/lib/python3.12/site-packages/codex_cli_bin/bin/codex");
        let venv = OsString::from(tree.path("venv"));
        let env: HashMap<&str, OsString> = HashMap::from([("VIRTUAL_ENV", venv)]);
        let found = Discovery::from_env()
            .env_lookup(move |name| env.get(name).cloned())
            .npm_search_roots(Vec::<PathBuf>::new())
            .discover()
            .expect("virtualenv wheel");
        assert_eq!(found.path(), binary);
    }

    #[test]
    fn not_found_lists_every_place_looked_at() {
        let tree = Tree::new();
        tree.file("node_modules/@openai/codex/package.json");
        let path = std::env::join_paths([tree.path("bin1"), tree.path("bin2")]).expect("join");
        let err = isolated(&tree, &[("PATH", &path)])
            .discover()
            .expect_err("nothing installed");
        let Error::CodexNotFound { searched } = &err else {
            panic!("unexpected error {err:?}")
        };
        let nested = "node_modules/@openai/codex/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl";
        let expected: Vec<PathBuf> = [
            "bin1/codex".to_owned(),
            "bin2/codex".to_owned(),
            "app/node_modules/@openai/codex/package.json".to_owned(),
            format!("{nested}/bin/codex"),
            format!("{nested}/codex/codex"),
            format!("{TRIPLE_DIR}/bin/codex"),
            format!("{TRIPLE_DIR}/codex/codex"),
            "venv/site-packages/codex_cli_bin/bin/codex".to_owned(),
        ]
        .iter()
        .map(|rel| tree.path(rel))
        .collect();
        assert_eq!(searched, &expected);
        let message = err.to_string();
        assert!(
            message.starts_with("could not find the codex binary"),
            "{message}"
        );
        assert!(
            message.contains(&tree.path("bin2/codex").display().to_string()),
            "{message}"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn version_is_probed_once_and_cached() {
        let tree = Tree::new();
        let counter = tree.path("calls");
        let script = format!(
            "#!/bin/sh\necho x >> '{}'\necho 'codex-cli 0.169.0'\n",
            counter.display()
        );
        let codex = CodexBinary::new(tree.executable("codex", &script));
        assert_eq!(codex.cached_version(), None);
        assert_eq!(
            codex.version().await.expect("probe"),
            &Version::new(0, 169, 0)
        );
        let clone = codex.clone();
        assert_eq!(
            clone.version().await.expect("cached"),
            &Version::new(0, 169, 0)
        );
        assert_eq!(fs::read_to_string(&counter).expect("counter"), "x\n");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn version_probe_failures_are_typed() {
        let tree = Tree::new();
        let cases = [
            ("#!/bin/sh\necho 'codex-cli' \n", "printed no version"),
            ("#!/bin/sh\nexit 3\n", "exited with"),
            ("#!/bin/sh\nexec sleep 30\n", "did not answer within"),
        ];
        for (index, (script, reason_part)) in cases.into_iter().enumerate() {
            let path = tree.executable(&format!("codex{index}"), script);
            let codex = Discovery::from_env()
                .codex_path(&path)
                .version_timeout(Duration::from_millis(300))
                .discover()
                .expect("explicit");
            let err = codex.version().await.expect_err("probe fails");
            let Error::VersionProbe { reason, .. } = &err else {
                panic!("unexpected {err:?}")
            };
            assert!(reason.contains(reason_part), "{reason}");
            assert_eq!(codex.cached_version(), None);
        }
        let err = CodexBinary::new(tree.path("missing"))
            .version()
            .await
            .expect_err("no program");
        assert!(
            matches!(
                &err,
                Error::VersionProbe {
                    source: Some(_),
                    ..
                }
            ),
            "{err:?}"
        );
    }

    /// The real npm install of the selected supported version that the tests use
    /// (`npm install --prefix target/codex/<version> @openai/codex@<version>`, see
    /// `codex_agent_testkit::real_codex`), found the way an application would find it.
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    #[tokio::test]
    async fn finds_and_probes_the_real_npm_install() {
        use codex_agent_testkit::real_codex::{codex_version, install_prefix, real_codex_of};
        let version = codex_version().unwrap_or_else(|e| panic!("{e}"));
        real_codex_of(version).unwrap_or_else(|e| panic!("{e}"));
        let root = install_prefix(version);
        assert!(
            root.join("node_modules/@openai/codex/package.json")
                .is_file(),
            "the npm package is missing from {}",
            root.display()
        );
        let codex = Discovery::from_env()
            .env_lookup(|_| None)
            .npm_search_roots([&root])
            .discover()
            .expect("real npm install");
        assert_eq!(codex.source(), BinarySource::Npm);
        assert!(
            codex
                .path()
                .ends_with("vendor/x86_64-unknown-linux-musl/bin/codex")
        );
        assert!(codex.path_dirs()[0].ends_with("vendor/x86_64-unknown-linux-musl/codex-path"));
        assert_eq!(
            codex.version().await.expect("probe real codex"),
            &version.parse::<Version>().expect("a release version")
        );
    }
}
