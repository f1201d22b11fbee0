//! The real `ocireg` binary against registries that stop responding: one
//! that accepts and never answers, one that sends a head and stalls, ones
//! that stall in the middle of a manifest or a blob, one that drips a byte
//! a second. With `--timeout 5` each command fails well within a minute
//! and says that the registry stopped responding; `--deadline` ends a
//! whole command; a credential helper that never answers is killed.
//!
//! The server is a few lines of `std::net` written here: it serves one
//! small image and misbehaves on the paths a test chooses.
//!
//! `OCIREG_STALLS_BIN=/path/to/ocireg` runs the tests against another
//! build (an older one, to see them fail).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ocireg_core::Digest;
use tempfile::TempDir;

/// The window the stall tests give: `--timeout 5`.
const WINDOW: &str = "5";
/// What every stalled command must print.
const STOPPED: &str = "the registry stopped responding (no progress for 5 s)";
/// The bound on a stalled command (the acceptance criterion).
const UNDER: Duration = Duration::from_secs(60);
/// When a test stops waiting and kills the command (it hung).
const HUNG: Duration = Duration::from_secs(90);

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

// ---------------------------------------------------------------------------
// The server.

/// How the server answers one path.
#[derive(Clone)]
struct Answer {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    /// Read the request, answer nothing.
    silent: bool,
    /// Read the request's head and nothing more (an upload's body stays
    /// unread), answer nothing.
    deaf: bool,
    /// A `Location` header.
    location: Option<&'static str>,
    /// Body bytes past this offset (of the whole body, whatever range
    /// was asked for) never come: the connection stays open and quiet.
    stop_at: Option<usize>,
    /// Each response stops this many bytes after where it starts.
    stop_after: Option<usize>,
    /// The body comes a byte at a time, this far apart.
    drip: Option<Duration>,
}

impl Answer {
    fn ok(content_type: &'static str, body: Vec<u8>) -> Answer {
        Answer {
            status: 200,
            content_type,
            body,
            silent: false,
            deaf: false,
            location: None,
            stop_at: None,
            stop_after: None,
            drip: None,
        }
    }

    fn silent() -> Answer {
        Answer {
            silent: true,
            ..Answer::ok("text/plain", Vec::new())
        }
    }

    fn deaf() -> Answer {
        Answer {
            deaf: true,
            ..Answer::ok("text/plain", Vec::new())
        }
    }

    fn stop_at(mut self, offset: usize) -> Answer {
        self.stop_at = Some(offset);
        self
    }

    fn stop_after(mut self, bytes: usize) -> Answer {
        self.stop_after = Some(bytes);
        self
    }

    fn drip(mut self, every: Duration) -> Answer {
        self.drip = Some(every);
        self
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    range: Option<String>,
}

#[derive(Default)]
struct Routes {
    answers: Mutex<HashMap<String, Answer>>,
    seen: Mutex<Vec<Seen>>,
    /// The answer to every path without one (else a 404).
    fallback: Mutex<Option<Answer>>,
}

/// A registry on a loopback port; stops accepting when dropped.
struct Server {
    port: u16,
    routes: Arc<Routes>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes = Arc::new(Routes::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (routes.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let r = r.clone();
                if let Ok(conn) = conn {
                    thread::spawn(move || serve(conn, &r));
                }
            }
        });
        Server { port, routes, stop }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn answer(&self, path: &str, answer: Answer) {
        lock(&self.routes.answers).insert(path.to_string(), answer);
    }

    fn answer_everything(&self, answer: Answer) {
        *lock(&self.routes.fallback) = Some(answer);
    }

    fn seen(&self, path: &str) -> Vec<Seen> {
        lock(&self.routes.seen)
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Answers one request, then closes (or, stalled, waits for the client
/// to give up).
fn serve(mut conn: TcpStream, routes: &Routes) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let target = head.split(' ').nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or(target).to_string();
    let range = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("range")
            .then(|| value.trim().to_string())
    });
    lock(&routes.seen).push(Seen {
        path: path.clone(),
        range: range.clone(),
    });
    let answer = lock(&routes.answers)
        .get(&path)
        .cloned()
        .or_else(|| lock(&routes.fallback).clone());
    let Some(a) = answer else {
        let _ = conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    if a.deaf {
        // Until the test is over; the client's socket buffers fill.
        return thread::sleep(HUNG);
    }
    if a.silent {
        return hold(conn);
    }
    // Blobs honour `Range: bytes=N-`, as registries do.
    let from = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n < a.body.len());
    let len = a.body.len();
    let (status, start, mut extra) = match from {
        Some(n) => (
            206,
            n,
            format!("Content-Range: bytes {n}-{}/{len}\r\n", len - 1),
        ),
        None => (a.status, 0, String::new()),
    };
    if let Some(location) = a.location {
        extra.push_str(&format!("Location: {location}\r\n"));
    }
    let reply = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        a.content_type,
        len - start
    );
    if conn.write_all(reply.as_bytes()).is_err() {
        return;
    }
    let end = a
        .stop_at
        .unwrap_or(len)
        .min(a.stop_after.map_or(len, |n| start + n))
        .clamp(start, len);
    let body = &a.body[start..end];
    let sent = match a.drip {
        Some(every) => body.iter().all(|b| {
            thread::sleep(every);
            conn.write_all(&[*b]).is_ok()
        }),
        None => conn.write_all(body).is_ok(),
    };
    if sent && end < len {
        hold(conn);
    }
}

/// Keeps a connection open and silent until the client closes it.
fn hold(mut conn: TcpStream) {
    let mut sink = [0u8; 1024];
    while matches!(conn.read(&mut sink), Ok(n) if n > 0) {}
}

/// A small image: its manifest, config and a 256 KiB layer.
struct Image {
    manifest: Vec<u8>,
    config: Vec<u8>,
    layer: Vec<u8>,
}

impl Image {
    fn new() -> Image {
        let config =
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
                .to_vec();
        let layer: Vec<u8> = (0..256u32 << 10).map(|i| (i * 7 % 251) as u8).collect();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": Digest::sha256(&config).to_string(),
                "size": config.len(),
            },
            "layers": [{
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": Digest::sha256(&layer).to_string(),
                "size": layer.len(),
            }],
        });
        Image {
            manifest: serde_json::to_vec(&manifest).unwrap(),
            config,
            layer,
        }
    }

    fn layer_path(&self) -> String {
        format!("/v2/app/blobs/{}", Digest::sha256(&self.layer))
    }

    /// Serves the image as `app:v1`, the manifest answered by `manifest`
    /// (given the manifest's bytes).
    fn serve(&self, server: &Server, manifest: impl FnOnce(Vec<u8>) -> Answer) {
        server.answer("/v2/", Answer::ok("application/json", b"{}".to_vec()));
        server.answer("/v2/app/manifests/v1", manifest(self.manifest.clone()));
        let config_path = format!("/v2/app/blobs/{}", Digest::sha256(&self.config));
        let config = Answer::ok("application/octet-stream", self.config.clone());
        server.answer(&config_path, config);
        self.serve_layer(server, |whole| whole);
    }

    /// Answers the layer with `layer` (given the well-behaved answer).
    fn serve_layer(&self, server: &Server, layer: impl FnOnce(Answer) -> Answer) {
        let whole = Answer::ok("application/octet-stream", self.layer.clone());
        server.answer(&self.layer_path(), layer(whole));
    }
}

// ---------------------------------------------------------------------------
// Running the binary.

struct Run {
    code: Option<i32>,
    elapsed: Duration,
    stderr: String,
}

fn binary() -> PathBuf {
    std::env::var_os("OCIREG_STALLS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_ocireg").into())
}

/// Runs `ocireg args` with `env`, killing it (and failing the test) if it
/// is still running after [`HUNG`].
fn ocireg(args: &[&str], env: &[(&str, &str)]) -> Run {
    let started = Instant::now();
    let mut child = Command::new(binary())
        .args(args)
        .env_remove("OCIREG_USERNAME")
        .env_remove("OCIREG_PASSWORD")
        .env("DOCKER_CONFIG", "/nonexistent-ocireg-test")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stderr.take().unwrap();
    let stderr = thread::spawn(move || {
        let mut s = String::new();
        let _ = pipe.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HUNG {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "ocireg {args:?} still running after {HUNG:?}: killed; stderr so far: {}",
                stderr.join().unwrap()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        elapsed: started.elapsed(),
        stderr: stderr.join().unwrap(),
    }
}

/// Checks that `run` failed (exit code 1) with a wall time in `wall`, and
/// that its stderr says `needle`.
fn failed(run: &Run, needle: &str, wall: std::ops::Range<Duration>) {
    let what = format!(
        "exit {:?} after {:?}\nstderr: {}",
        run.code, run.elapsed, run.stderr
    );
    assert_eq!(run.code, Some(1), "{what}");
    assert!(run.stderr.contains(needle), "{what}");
    assert!(wall.contains(&run.elapsed), "{what}");
    eprintln!("{what}");
}

/// `ocireg --timeout 5 args` fails, in under a minute but not before the
/// window, saying that the registry stopped responding.
fn stalls(args: &[&str]) {
    let mut all = vec!["--timeout", WINDOW];
    all.extend(args);
    failed(&ocireg(&all, &[]), STOPPED, Duration::from_secs(5)..UNDER);
}

fn manifest_of(server: &Server) -> String {
    format!("{}/app:v1", server.host())
}

/// `ocireg --timeout 5 manifest` of a manifest answered by `answer`
/// (given the manifest's bytes) stalls.
fn manifest_stalls(answer: impl FnOnce(Vec<u8>) -> Answer) {
    let server = Server::start();
    Image::new().serve(&server, answer);
    stalls(&["manifest", &manifest_of(&server)]);
}

/// A server with the image, its layer answered by `layer`, and the layout
/// directory to pull it into.
fn layer_case(layer: impl FnOnce(Answer) -> Answer) -> (Server, Image, PathBuf, TempDir) {
    let (server, image) = (Server::start(), Image::new());
    image.serve(&server, |m| Answer::ok(OCI_MANIFEST, m));
    image.serve_layer(&server, layer);
    let tmp = tempfile::tempdir().unwrap();
    (server, image, tmp.path().join("layout"), tmp)
}

// ---------------------------------------------------------------------------
// The cases.

#[test]
fn a_registry_that_accepts_and_never_answers() {
    let server = Server::start();
    server.answer_everything(Answer::silent());
    stalls(&["manifest", &manifest_of(&server)]);
    // Each attempt was given up and retried (GET is safe to repeat).
    assert_eq!(server.seen("/v2/app/manifests/v1").len(), 4);
}

#[test]
fn a_registry_that_sends_headers_then_stalls() {
    manifest_stalls(|m| Answer::ok(OCI_MANIFEST, m).stop_at(0));
}

#[test]
fn a_manifest_that_stalls_mid_body() {
    manifest_stalls(|m| {
        let half = m.len() / 2;
        Answer::ok(OCI_MANIFEST, m).stop_at(half)
    });
}

#[test]
fn a_blob_that_stalls_mid_body() {
    let (server, image, dir, _tmp) = layer_case(|whole| whole.stop_at(100 << 10));
    stalls(&["pull", &manifest_of(&server), dir.to_str().unwrap()]);
    // The download resumed from what it had, with Range, until the
    // resumes ran out.
    let seen = server.seen(&image.layer_path());
    assert!(seen.len() > 1, "{seen:?}");
    assert!(
        seen[1..]
            .iter()
            .all(|s| s.range.as_deref() == Some("bytes=102400-")),
        "{seen:?}"
    );
    assert_no_layer(&dir, &image);
}

#[test]
fn a_manifest_that_drips_a_byte_a_second() {
    manifest_stalls(|m| Answer::ok(OCI_MANIFEST, m).drip(Duration::from_secs(1)));
}

/// A stall is not the end of a download: the next attempt resumes where
/// the last one stopped, and the pull completes.
#[test]
fn a_blob_pull_resumes_after_stalls() {
    // Every response stops 100 KiB after where it starts.
    let (server, image, dir, _tmp) = layer_case(|whole| whole.stop_after(100 << 10));
    let layer = image.layer_path();
    let pull = ocireg(
        &[
            "--timeout",
            "1",
            "pull",
            &manifest_of(&server),
            dir.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(pull.code, Some(0), "{}", pull.stderr);
    let ranges: Vec<_> = server.seen(&layer).into_iter().map(|s| s.range).collect();
    assert_eq!(
        ranges,
        [
            None,
            Some("bytes=102400-".into()),
            Some("bytes=204800-".into())
        ]
    );
    let blob = dir
        .join("blobs/sha256")
        .join(Digest::sha256(&image.layer).hex());
    assert_eq!(std::fs::read(blob).unwrap(), image.layer);
}

/// An upload that the registry stops reading fails after the window: its
/// 16 MiB layer is more than the socket buffers take, so the body stops
/// going out; the small config goes out whole and waits for a head.
#[test]
fn a_push_the_registry_stops_reading_stalls() {
    let server = Server::start();
    let session = Answer {
        status: 202,
        location: Some("/v2/app/blobs/uploads/u1"),
        ..Answer::ok("text/plain", Vec::new())
    };
    server.answer("/v2/app/blobs/uploads/", session);
    server.answer("/v2/app/blobs/uploads/u1", Answer::deaf());
    let tmp = tempfile::tempdir().unwrap();
    let spec = ocireg_testkit::ImageSpec::new(3).layers(1, 16 << 20);
    ocireg_testkit::write_oci_layout(tmp.path(), &spec).unwrap();
    let layout = tmp.path().to_str().unwrap();
    let args = ["--timeout", "2", "push", layout, &manifest_of(&server)];
    let message = "the registry stopped responding (no progress for 2 s)";
    failed(&ocireg(&args, &[]), message, Duration::from_secs(2)..UNDER);
}

#[test]
fn a_deadline_ends_a_whole_command() {
    let server = Server::start();
    server.answer_everything(Answer::silent());
    let run = ocireg(&["--deadline", "3", "manifest", &manifest_of(&server)], &[]);
    let message = "the command did not finish within its deadline (3 s)";
    failed(
        &run,
        message,
        Duration::from_secs(3)..Duration::from_secs(15),
    );
}

/// A credential helper that never answers is killed and named (its 30 s
/// shortened through the CLI's test knob).
#[test]
fn a_credential_helper_that_never_answers_is_killed() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start();
    Image::new().serve(&server, |m| Answer::ok(OCI_MANIFEST, m));
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let helper = bin.join("docker-credential-sleepy");
    let pid_file = tmp.path().join("helper.pid");
    let script = format!(
        "#!/bin/sh\necho $$ > {}\nexec sleep 120\n",
        pid_file.display()
    );
    std::fs::write(&helper, script).unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(tmp.path().join("config.json"), r#"{"credsStore":"sleepy"}"#).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let config = tmp.path().to_str().unwrap();
    let run = ocireg(
        &["manifest", &manifest_of(&server)],
        &[
            ("PATH", &path),
            ("DOCKER_CONFIG", config),
            ("OCIREG_CREDENTIAL_HELPER_TIMEOUT_MS", "1500"),
        ],
    );
    let message = "docker-credential-sleepy did not answer within 1.5 s";
    failed(
        &run,
        message,
        Duration::from_millis(1500)..Duration::from_secs(15),
    );
    // Nothing was asked of the registry without credentials.
    assert!(server.seen("/v2/app/manifests/v1").is_empty());
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(!running(pid.trim()), "the helper (pid {pid}) still runs");
}

/// Whether process `pid` runs (exists and is not a zombie).
fn running(pid: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(") ")?.1.chars().next());
        if !matches!(state, Some(c) if c != 'Z') {
            return false;
        }
        if Instant::now() > deadline {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// The layer is not in the layout (it never verified).
fn assert_no_layer(dir: &Path, image: &Image) {
    let blob = dir
        .join("blobs/sha256")
        .join(Digest::sha256(&image.layer).hex());
    assert!(!blob.exists(), "{}", blob.display());
}
