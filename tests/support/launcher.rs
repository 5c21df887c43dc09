//! The real `samskriv` binary as a child process, for tests and benches that need the server in
//! a process of its own: to kill it with SIGKILL, to run several nodes, or to measure it apart
//! from its clients. (Tests that only need a server start it in their own process:
//! `TestApp` in `tests/api/helpers.rs`.)

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

use super::client::collab_url;

/// Longest the server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The database URL of a SQLite file.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// `samskriv serve` running as a child process, on `127.0.0.1` and a port of its own.
///
/// `kill_on_drop` is the drop guard: if a test or bench panics or returns early with an error,
/// the child gets SIGKILL when this value is dropped instead of outliving it.
pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// The samskriv binary on `database_url`, configured by nothing but the flags the caller
    /// adds: settings left in the environment (`SAMSKRIV_COMPACT_AFTER`, …) would silently
    /// change what is tested or measured.
    pub fn command(database_url: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_samskriv"));
        command
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn");
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("SAMSKRIV_") {
                command.env_remove(key);
            }
        }
        command
    }

    /// Starts the server on `database_url`; `args` are further `serve` flags. Editing is open:
    /// the clients of these tests and benches are anonymous, and everyone may edit; and they
    /// measure the live protocol with scratch types (`t`, `m`, …) outside a plan's layout.
    pub async fn start(database_url: &str, args: &[&str]) -> Result<ServerProcess> {
        let mut child = Self::command(database_url)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(["--open-editing", "true"])
            .args(["--free-form-roots", "true"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // Server warnings show up in the output, where they explain a failure.
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start the samskriv binary")?;
        let stdout = child
            .stdout
            .take()
            .context("the server's stdout is not piped")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(START_TIMEOUT, read_address(&mut lines))
            .await
            .with_context(|| {
                format!("the server did not print its address within {START_TIMEOUT:?}")
            })??;
        // Keep draining stdout so a later line can never block the server on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(ServerProcess { child, addr })
    }

    /// The live connection of `plan` on this server.
    pub fn ws_url(&self, plan: impl std::fmt::Display) -> String {
        collab_url(self.addr, plan)
    }

    /// SIGKILL: no shutdown work at all, so the database stays exactly as committed.
    pub async fn kill(mut self) -> Result<()> {
        self.child.kill().await.context("cannot kill the server")
    }
}

/// Reads the server's start-up line, `… http://localhost:PORT/`.
async fn read_address(lines: &mut tokio::io::Lines<BufReader<ChildStdout>>) -> Result<SocketAddr> {
    while let Some(line) = lines
        .next_line()
        .await
        .context("cannot read the server's stdout")?
    {
        if let Some(rest) = line.split("http://").nth(1) {
            // Printed as http://localhost:PORT; the server listens on 127.0.0.1.
            let addr = rest
                .trim_end_matches('/')
                .replacen("localhost", "127.0.0.1", 1);
            return addr
                .parse()
                .with_context(|| format!("the server printed an unreadable address {addr:?}"));
        }
    }
    bail!("the server exited before printing its address (its stderr is above)")
}
