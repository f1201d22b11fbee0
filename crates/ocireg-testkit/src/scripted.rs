//! A scripted HTTP/1.1 server: it answers each `METHOD path` with the
//! reply a test set, and records every request. For what a real registry
//! will not do (2.8.2 refuses `sha512` manifests), for counting exactly
//! which requests a client sends, and for registries that misbehave.
//!
//! Connections are kept alive (clients reuse them, as against a real
//! registry); a path without a reply gets the [fallback](ScriptedServer::fallback)
//! or else a registry-style `404 MANIFEST_UNKNOWN`/`BLOB_UNKNOWN` body.
//! Request bodies are read and dropped.
//!
//! A reply can misbehave ([`Fault`]): never answer, stall after the head
//! or part of the body, close the connection part way through it, drip
//! the body a byte at a time, or follow it with an endless stream. A reply can also be computed per request
//! ([`ScriptedServer::respond`]), from its target and headers (a `Range`,
//! a `last=`). Every request's headers are recorded, so a test can tell
//! which `Authorization` values reached this port
//! ([`ScriptedServer::authorizations`]). Connections a fault holds open
//! are released when the client goes away or the server is dropped.
//!
//! ```no_run
//! use ocireg_testkit::{Fault, Reply, ScriptedServer};
//!
//! let server = ScriptedServer::start()?;
//! server.reply("GET", "/v2/", Reply::new(200, b"{}".to_vec()));
//! let r = ocireg_testkit::http::get(&format!("{}/v2/", server.url()))?;
//! assert_eq!(r.status, 200);
//! assert_eq!(server.requests().len(), 1);
//!
//! // A blob whose body stops after 10 bytes and never ends.
//! let stalled = Reply::new(200, vec![0; 100]).fault(Fault::StallAfter(10));
//! server.reply("GET", "/v2/app/blobs/sha256:abc", stalled);
//! # Ok::<(), std::io::Error>(())
//! ```

use crate::accept::AcceptLoop;
use crate::fault::RecordedRequest;
use crate::http::{self, Head};
use crate::lock;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server answers to one `METHOD path`.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Headers besides `Content-Length` (added, except for
    /// [`Fault::Endless`]).
    pub headers: Vec<(String, String)>,
    /// The body (a `HEAD` gets the headers of the same reply, no body).
    pub body: Vec<u8>,
    /// How sending it goes wrong ([`Fault::None`]: it does not).
    pub fault: Fault,
}

/// How a reply misbehaves. The connections a fault holds open are
/// released when the client closes them or the server is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Fault {
    /// The reply is sent as it is.
    #[default]
    None,
    /// The request is read and never answered.
    NoAnswer,
    /// The head (with the body's `Content-Length`) and this many body
    /// bytes go out, then nothing more: `StallAfter(0)` is "headers, then
    /// a stall".
    StallAfter(usize),
    /// The head (with the body's `Content-Length`) and this many body
    /// bytes go out, then the connection is closed: a download cut off.
    CutAfter(usize),
    /// The body goes out one byte per interval.
    Drip(Duration),
    /// The head goes out without `Content-Length` (the body ends when the
    /// connection closes), then the body, then zero bytes without end.
    Endless,
}

impl Reply {
    /// A reply with `status` and `body`, no other header.
    pub fn new(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body,
            fault: Fault::None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sends it with `fault`.
    pub fn fault(mut self, fault: Fault) -> Reply {
        self.fault = fault;
        self
    }

    /// A redirect (`307`) to `location`.
    pub fn redirect(location: &str) -> Reply {
        Reply::new(307, Vec::new()).header("Location", location)
    }
}

/// Computes the reply to one request.
type Responder = Arc<dyn Fn(&RecordedRequest) -> Reply + Send + Sync>;

#[derive(Default)]
struct Shared {
    /// Responders by `METHOD path` (the target without its query).
    replies: Mutex<HashMap<String, Responder>>,
    /// For the requests no responder matches.
    fallback: Mutex<Option<Responder>>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// Set on drop: faults let their connections go.
    stopped: AtomicBool,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("requests", &lock(&self.requests).len())
            .finish_non_exhaustive()
    }
}

/// A running scripted server; stops accepting on drop.
#[derive(Debug)]
pub struct ScriptedServer {
    accept: AcceptLoop,
    shared: Arc<Shared>,
}

impl ScriptedServer {
    /// Starts a server with no replies on a free loopback port.
    pub fn start() -> io::Result<ScriptedServer> {
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        let accept = AcceptLoop::start(move |client| {
            let _ = serve(client, &serving);
        })?;
        Ok(ScriptedServer { accept, shared })
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.accept.port())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    /// Answers `method path` (`path` without a query) with `reply` from
    /// now on.
    pub fn reply(&self, method: &str, path: &str, reply: Reply) {
        self.respond(method, path, move |_| reply.clone());
    }

    /// Answers `method path` (`path` without a query) with what
    /// `responder` makes of each request (its target has the query, its
    /// headers a `Range`, say).
    pub fn respond(
        &self,
        method: &str,
        path: &str,
        responder: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    ) {
        lock(&self.shared.replies).insert(format!("{method} {path}"), Arc::new(responder));
    }

    /// Answers every request that no [`reply`](ScriptedServer::reply) or
    /// [`respond`](ScriptedServer::respond) matches with what `responder`
    /// makes of it (instead of a 404).
    pub fn fallback(&self, responder: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static) {
        *lock(&self.shared.fallback) = Some(Arc::new(responder));
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// The distinct `Authorization` values this port received, in the
    /// order they first came.
    pub fn authorizations(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for request in lock(&self.shared.requests).iter() {
            if let Some(value) = request.header("authorization") {
                if !seen.iter().any(|s| s == value) {
                    seen.push(value.to_string());
                }
            }
        }
        seen
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
    }
}

/// Answers the requests of one connection until the client closes it.
fn serve(mut client: TcpStream, shared: &Shared) -> io::Result<()> {
    // Faults wake up this often to see whether to let go.
    client.set_write_timeout(Some(TICK))?;
    let mut buf = Vec::new();
    while let Some(end) = http::read_head(&mut client, &mut buf)? {
        let head = Head::parse(&buf[..end]).ok_or_else(|| http::invalid("bad request head"))?;
        let body_len: usize = head
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        // Drop the body: what is buffered after the head, then the rest.
        let buffered = (buf.len() - end).min(body_len);
        io::copy(
            &mut (&mut client).take((body_len - buffered) as u64),
            &mut io::sink(),
        )?;
        let rest = buf.split_off(end + buffered);
        buf = rest;

        let [method, target, _] = &head.parts;
        let request = RecordedRequest {
            method: method.clone(),
            target: target.clone(),
            headers: head.headers.clone(),
            cut: false,
        };
        lock(&shared.requests).push(request.clone());
        let path = target.split('?').next().unwrap_or(target);
        let responder = lock(&shared.replies)
            .get(&format!("{method} {path}"))
            .cloned()
            .or_else(|| lock(&shared.fallback).clone());
        let reply = match responder {
            Some(respond) => respond(&request),
            None => not_found(path),
        };
        let with_body = method != "HEAD";
        if !send(&mut client, &reply, with_body, shared)? {
            break;
        }
        let closing = head
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        if closing {
            break;
        }
    }
    Ok(())
}

/// How often a fault that holds a connection looks at the server's state.
const TICK: Duration = Duration::from_millis(100);

/// Sends `reply` as its fault says; `Ok(false)` when the connection is
/// done with (a fault ran to its end).
fn send(
    client: &mut TcpStream,
    reply: &Reply,
    with_body: bool,
    shared: &Shared,
) -> io::Result<bool> {
    let mut head = format!("HTTP/1.1 {} Scripted\r\n", reply.status);
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match reply.fault {
        Fault::NoAnswer => {
            hold(client, shared);
            return Ok(false);
        }
        Fault::Endless => head.push_str("Connection: close\r\n\r\n"),
        _ => head.push_str(&format!("Content-Length: {}\r\n\r\n", reply.body.len())),
    }
    write_patiently(client, head.as_bytes(), shared)?;
    let body: &[u8] = if with_body { &reply.body } else { &[] };
    match reply.fault {
        Fault::None | Fault::NoAnswer => write_patiently(client, body, shared)?,
        Fault::StallAfter(n) => {
            write_patiently(client, &body[..n.min(body.len())], shared)?;
            hold(client, shared);
            return Ok(false);
        }
        Fault::CutAfter(n) => {
            write_patiently(client, &body[..n.min(body.len())], shared)?;
            client.flush()?;
            return Ok(false);
        }
        Fault::Drip(interval) => {
            for byte in body {
                write_patiently(client, std::slice::from_ref(byte), shared)?;
                if !pause(interval, shared) {
                    return Ok(false);
                }
            }
        }
        Fault::Endless => {
            write_patiently(client, body, shared)?;
            let zeros = [0u8; 64 << 10];
            while with_body && !shared.stopped.load(Ordering::SeqCst) {
                write_patiently(client, &zeros, shared)?;
            }
            return Ok(false);
        }
    }
    client.flush()?;
    Ok(true)
}

/// Writes all of `data`, waiting for a slow reader as long as the server
/// runs; an error once the client is gone or the server stopped.
fn write_patiently(client: &mut TcpStream, mut data: &[u8], shared: &Shared) -> io::Result<()> {
    while !data.is_empty() {
        match client.write(data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if shared.stopped.load(Ordering::SeqCst) {
                    return Err(e);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Keeps the connection open, sending nothing, until the client closes it
/// or the server stops.
fn hold(client: &mut TcpStream, shared: &Shared) {
    if client.set_read_timeout(Some(TICK)).is_err() {
        return;
    }
    let mut sink = [0u8; 4096];
    while !shared.stopped.load(Ordering::SeqCst) {
        match client.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// Sleeps `d` in ticks; `false` if the server stopped meanwhile.
fn pause(d: Duration, shared: &Shared) -> bool {
    let deadline = std::time::Instant::now() + d;
    loop {
        if shared.stopped.load(Ordering::SeqCst) {
            return false;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(TICK));
    }
}

/// The registry's answer to a path it has nothing at.
fn not_found(path: &str) -> Reply {
    let code = if path.contains("/blobs/") {
        "BLOB_UNKNOWN"
    } else {
        "MANIFEST_UNKNOWN"
    };
    let body = format!(r#"{{"errors":[{{"code":"{code}","message":"unknown","detail":null}}]}}"#);
    Reply::new(404, body.into_bytes()).header("Content-Type", "application/json")
}
