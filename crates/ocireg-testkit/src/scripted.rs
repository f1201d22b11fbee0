//! A scripted HTTP/1.1 server: it answers each `METHOD path` with the
//! reply a test set, and records every request. For what a real registry
//! will not do (2.8.2 refuses `sha512` manifests) or for counting exactly
//! which requests a client sends.
//!
//! Connections are kept alive (clients reuse them, as against a real
//! registry); a path without a reply gets a registry-style
//! `404 MANIFEST_UNKNOWN`/`BLOB_UNKNOWN` body. Request bodies are read and
//! dropped.
//!
//! ```no_run
//! use ocireg_testkit::{Reply, ScriptedServer};
//!
//! let server = ScriptedServer::start()?;
//! server.reply("GET", "/v2/", Reply::new(200, b"{}".to_vec()));
//! let r = ocireg_testkit::http::get(&format!("{}/v2/", server.url()))?;
//! assert_eq!(r.status, 200);
//! assert_eq!(server.requests().len(), 1);
//! # Ok::<(), std::io::Error>(())
//! ```

use crate::accept::AcceptLoop;
use crate::fault::RecordedRequest;
use crate::http::{self, Head};
use crate::lock;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

/// What the server answers to one `METHOD path`.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Headers besides `Content-Length` (added).
    pub headers: Vec<(String, String)>,
    /// The body (a `HEAD` gets the headers of the same reply, no body).
    pub body: Vec<u8>,
}

impl Reply {
    /// A reply with `status` and `body`, no other header.
    pub fn new(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

#[derive(Debug, Default)]
struct Shared {
    /// Replies by `METHOD path` (the target without its query).
    replies: Mutex<HashMap<String, Reply>>,
    requests: Mutex<Vec<RecordedRequest>>,
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
        lock(&self.shared.replies).insert(format!("{method} {path}"), reply);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }
}

/// Answers the requests of one connection until the client closes it.
fn serve(mut client: TcpStream, shared: &Shared) -> io::Result<()> {
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
        lock(&shared.requests).push(RecordedRequest {
            method: method.clone(),
            target: target.clone(),
            headers: head.headers.clone(),
            cut: false,
        });
        let path = target.split('?').next().unwrap_or(target);
        let reply = lock(&shared.replies)
            .get(&format!("{method} {path}"))
            .cloned()
            .unwrap_or_else(|| not_found(path));
        let mut out = format!("HTTP/1.1 {} Scripted\r\n", reply.status);
        for (name, value) in &reply.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", reply.body.len()));
        client.write_all(out.as_bytes())?;
        if method != "HEAD" {
            client.write_all(&reply.body)?;
        }
        client.flush()?;
        let closing = head
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        if closing {
            break;
        }
    }
    Ok(())
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
