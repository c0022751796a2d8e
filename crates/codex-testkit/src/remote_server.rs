//! A real `codex app-server --listen ws://127.0.0.1:PORT` as a test peer: the remote end of
//! the SDK's WebSocket transport, started in its own process group with a capability token
//! (`--ws-auth capability-token --ws-token-file`), killed with its whole group on drop.
//!
//! ```no_run
//! use codex_agent_testkit::codex_home::CodexHome;
//! use codex_agent_testkit::mock_server::MockServer;
//! use codex_agent_testkit::remote_server::RemoteAppServer;
//!
//! # async fn demo() -> Result<(), codex_agent_testkit::Error> {
//! let mock = MockServer::start().await?;
//! let home = CodexHome::new(&mock)?;
//! let codex = codex_agent_testkit::real_codex::real_codex()?;
//! let server = RemoteAppServer::start(&codex, &home.env(), Some("tok-1234567890")).await?;
//! println!("connect to {}", server.url());
//! # Ok(())
//! # }
//! ```

use std::ffi::OsString;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use tempfile::TempDir;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::Error;

/// How long a server may take to answer `GET /readyz` after it was started.
const START_LIMIT: Duration = Duration::from_secs(30);
/// How often the start-up wait asks `/readyz` again.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// A running `codex app-server --listen ws://127.0.0.1:PORT`. See the [module docs](self).
#[derive(Debug)]
pub struct RemoteAppServer {
    child: Option<Child>,
    pid: u32,
    port: u16,
    /// Holds the token file and the captured output; removed on drop.
    dir: TempDir,
}

impl RemoteAppServer {
    /// Starts `codex app-server` of the binary `codex` on a free loopback port, with only
    /// `env` (give it `CodexHome::env` plus `PATH` and `HOME`), requiring `token` when one
    /// is given, and waits until `GET /readyz` answers `200`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the token file or the process cannot be created;
    /// [`Error::Timeout`] (with codex's stderr in `what`) when it is not ready in 30 s or
    /// exits first.
    pub async fn start(
        codex: &Path,
        env: &[(OsString, OsString)],
        token: Option<&str>,
    ) -> Result<Self, Error> {
        let dir = tempfile::Builder::new()
            .prefix("codex-testkit-remote.")
            .tempdir()
            .map_err(|source| Error::Io {
                action: "create a temporary directory in",
                path: std::env::temp_dir(),
                source,
            })?;
        let port = free_port()?;
        let mut args: Vec<OsString> = vec![
            "app-server".into(),
            "--listen".into(),
            format!("ws://127.0.0.1:{port}").into(),
        ];
        if let Some(token) = token {
            let file = dir.path().join("token");
            write(&file, token.as_bytes())?;
            args.extend([
                "--ws-auth".into(),
                "capability-token".into(),
                "--ws-token-file".into(),
                file.into_os_string(),
            ]);
        }
        let child = spawn(codex, &args, env, dir.path())?;
        let mut server = Self {
            pid: child.id(),
            child: Some(child),
            port,
            dir,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    /// `ws://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pid of codex, also its process group id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// What codex printed on stderr so far.
    #[must_use]
    pub fn stderr(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(self.dir.path().join("stderr")) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    /// Kills the whole process group (`SIGKILL`) and reaps codex. Idempotent.
    pub fn kill(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        #[cfg(unix)]
        if let Some(group) = i32::try_from(self.pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// The processes still running in its process group (zombies not counted): empty once
    /// it was killed and nothing it started outlived it.
    #[must_use]
    pub fn group_members(&self) -> Vec<u32> {
        crate::process_watch::group_members(self.pid)
    }

    async fn wait_ready(&mut self) -> Result<(), Error> {
        let deadline = tokio::time::Instant::now() + START_LIMIT;
        loop {
            if readyz(self.port).await {
                return Ok(());
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten());
            if exited.is_some() || tokio::time::Instant::now() > deadline {
                let stderr = self.stderr();
                self.kill();
                return Err(Error::Timeout {
                    what: format!(
                        "codex app-server on port {} to answer /readyz ({}); stderr: {stderr}",
                        self.port,
                        exited.map_or_else(|| "still running".to_owned(), |s| s.to_string()),
                    ),
                    waited: START_LIMIT,
                });
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}

impl Drop for RemoteAppServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether `GET /readyz` on the loopback `port` answers `200`.
async fn readyz(port: u16) -> bool {
    let check = async {
        let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        tcp.write_all(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await?;
        let mut answer = Vec::new();
        tcp.take(1024).read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer.starts_with(b"HTTP/1.1 200"))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), check).await,
        Ok(Ok(true))
    )
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16, Error> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(Error::Bind)?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(Error::Bind)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|source| Error::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

#[expect(
    clippy::disallowed_methods,
    reason = "a remote app-server is a test peer started by the test, not by the SDK under test"
)]
fn spawn(
    codex: &Path,
    args: &[OsString],
    env: &[(OsString, OsString)],
    dir: &Path,
) -> Result<Child, Error> {
    let create = |name: &str| {
        let path: PathBuf = dir.join(name);
        std::fs::File::create(&path).map_err(|source| Error::Io {
            action: "create",
            path,
            source,
        })
    };
    let mut command = std::process::Command::new(codex);
    command
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(create("stdout")?)
        .stderr(create("stderr")?);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    command.spawn().map_err(|source| Error::Io {
        action: "spawn",
        path: codex.to_path_buf(),
        source,
    })
}
