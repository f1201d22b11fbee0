//! Real servers for ocireg's integration tests, on free loopback ports.
//!
//! Every piece starts a real peer on `127.0.0.1` and stops it when dropped;
//! nothing here is a mock:
//!
//! - [`Registry`]: Debian's `/usr/bin/docker-registry` (distribution 2.8.2)
//!   with no auth, htpasswd basic auth, or token auth ([`Auth`]).
//! - [`TokenServer`]: a small token server written here, issuing ES256 JWTs
//!   that the registry accepts, with a configurable [`TokenPolicy`]
//!   (per-repository grants, short expiry, refresh tokens, request counts).
//! - [`FaultProxy`]: a TCP proxy that cuts chosen responses after N body
//!   bytes, and records the requests it forwarded.
//! - [`CorsProxy`]: Debian's nginx in front of the registry (and token
//!   server) answering CORS the way registry UIs deploy it.
//! - [`write_oci_layout`] and [`skopeo_copy`]: deterministic test images
//!   without internet, pushed with skopeo.
//! - [`ScriptedServer`]: an HTTP server answering each path with the reply
//!   a test set, recording every request (for what a real registry will
//!   not serve, and for counting requests); replies can misbehave
//!   ([`Fault`]: no answer, stalls, drips, endless bodies), which makes it
//!   the hostile registry of the CLI's hostile suite.
//! - [`served`]: image manifests that declare whatever a test needs,
//!   and the routes that serve them from a [`ScriptedServer`].
//! - [`Watch`]: runs a program (the real `ocireg` binary) with a wall-time
//!   and a peak-memory limit, and reports its exit, peak RSS and output.
//! - [`http`]: a tiny blocking HTTP/1.1 client for looking at raw responses.
//!
//! The API is blocking and runtime-agnostic (plain threads, `std::net`,
//! `std::process`), so sync tests and tokio tests can both use it. Starting
//! a piece whose program is missing fails with an error naming the apt
//! package to install (`docker-registry`, `skopeo`, `nginx`).
//!
//! Set `OCIREG_TESTKIT_KEEP=1` to keep the temporary directories (configs,
//! logs, registry storage) for a look after the test.
//!
//! # Example
//!
//! ```no_run
//! use ocireg_testkit::{skopeo_copy, write_oci_layout, Auth, ImageSpec, Registry};
//!
//! let registry = Registry::start(Auth::htpasswd("alice", "secret"))?;
//! let dir = std::env::temp_dir().join("example-layout");
//! let image = write_oci_layout(&dir, &ImageSpec::new(7))?;
//! skopeo_copy(
//!     &image.oci_ref(),
//!     &format!("docker://{}/demo/hello:v1", registry.host()),
//!     &["--dest-creds", "alice:secret"],
//! )?;
//! let ping = ocireg_testkit::http::get(&format!("{}/v2/", registry.url()))?;
//! assert_eq!(ping.status, 401);
//! # Ok::<(), std::io::Error>(())
//! ```

mod accept;
mod cors;
mod fault;
pub mod graph;
pub mod http;
mod image;
mod registry;
mod scripted;
pub mod served;
mod token;
mod watch;

pub use cors::{CorsOptions, CorsProxy};
pub use fault::{FaultProxy, RecordedRequest};
pub use image::{
    skopeo, skopeo_copy, write_oci_layout, BlobInfo, ImageInfo, ImageSpec, ManifestInfo,
    PlatformSpec,
};
pub use registry::{Auth, Options, Registry};
pub use scripted::{Fault, Reply, ScriptedServer};
pub use token::{Access, Grant, TokenPolicy, TokenRequest, TokenServer, TokenUser};
pub use watch::{vm_hwm_kib, Ending, Watch, Watched, STDOUT_KEPT};

use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A free TCP port on 127.0.0.1, found by binding port 0 and releasing it.
///
/// Another process may take it before it is used again; the starters that
/// rely on it ([`Registry`], [`CorsProxy`]) retry with a new port when the
/// bind fails.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Finds `program` on `PATH`, or fails naming the apt package that has it.
pub fn require_binary(program: &str, apt_package: &str) -> io::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "`{program}` not found on PATH: install it with \
                     `apt-get install -y {apt_package}`"
                ),
            )
        })
}

/// A fresh directory under the system temp dir, removed on drop (unless
/// `OCIREG_TESTKIT_KEEP` is set).
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(what: &str) -> io::Result<TempDir> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "ocireg-testkit-{what}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("OCIREG_TESTKIT_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The last `lines` lines of a log file, for error messages.
pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A child process that is killed and reaped on drop.
#[derive(Debug)]
pub(crate) struct ChildGuard(pub(crate) std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `url` until it answers one of `ok` statuses, the child exits, or
/// `timeout` passes. Returns `Ok(false)` if the child exited.
pub(crate) fn wait_ready(
    child: &mut std::process::Child,
    url: &str,
    ok: &[u16],
    timeout: std::time::Duration,
) -> io::Result<bool> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if child.try_wait()?.is_some() {
            return Ok(false);
        }
        if let Ok(response) = http::get(url) {
            if ok.contains(&response.status) {
                return Ok(true);
            }
        }
        if std::time::Instant::now() > deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{url} did not answer {ok:?} within {timeout:?}"),
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
}

/// Locks a mutex, also after a panic in another thread (the servers keep
/// serving the test that is still running).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    #[test]
    fn handles_can_move_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<super::Registry>();
        send_sync::<super::TokenServer>();
        send_sync::<super::FaultProxy>();
        send_sync::<super::CorsProxy>();
        send_sync::<super::ScriptedServer>();
    }

    #[test]
    fn missing_binaries_name_their_package() {
        let err = super::require_binary("ocireg-no-such-program", "some-package").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(
            err.to_string(),
            "`ocireg-no-such-program` not found on PATH: install it with \
             `apt-get install -y some-package`"
        );
    }
}
