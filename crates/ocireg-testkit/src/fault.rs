//! A TCP proxy that breaks chosen responses mid-stream.
//!
//! Each client connection carries exactly one request: the proxy reads the
//! request head, records it, replaces any `Connection` header with
//! `Connection: close` (so the upstream answers once and closes, and the
//! client does not reuse the connection), and then copies bytes both ways.
//! Everything else, `Host` included, is forwarded as the client sent it, so
//! the registry builds upload `Location`s that point at the proxy.
//!
//! A rule from [`FaultProxy::cut_after`] matches a request whose target
//! contains a substring; the response to a matching request is cut (both
//! sockets closed) after its head and `bytes` bytes of body. (An interim
//! `100 Continue` would count as that head; the registry only sends one to
//! clients that ask with `Expect: 100-continue`.)
//!
//! The cost of one request per connection: clients cannot reuse
//! connections through the proxy. Tests of connection reuse talk to the
//! registry directly.

use crate::accept::AcceptLoop;
use crate::http::{self, Head};
use crate::lock;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};

/// A request that went through the proxy.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The method.
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// The headers as the client sent them.
    pub headers: Vec<(String, String)>,
    /// Whether a cut rule applied to its response.
    pub cut: bool,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
struct Rule {
    path_contains: String,
    bytes: usize,
    times: usize,
}

#[derive(Debug, Default)]
struct Shared {
    rules: Mutex<Vec<Rule>>,
    requests: Mutex<Vec<RecordedRequest>>,
}

/// A running fault proxy; stops accepting on drop.
#[derive(Debug)]
pub struct FaultProxy {
    accept: AcceptLoop,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port forwarding to `upstream`
    /// (`127.0.0.1:PORT` or `http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> io::Result<FaultProxy> {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let shared = Arc::new(Shared::default());
        let proxying = shared.clone();
        let accept = AcceptLoop::start(move |client| {
            let _ = proxy_one(client, &upstream, &proxying);
        })?;
        Ok(FaultProxy { accept, shared })
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.accept.port())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    /// For the next `times` requests whose target contains `path_contains`,
    /// close the connection after the response head and `bytes` body bytes.
    pub fn cut_after(&self, path_contains: &str, bytes: usize, times: usize) {
        lock(&self.shared.rules).push(Rule {
            path_contains: path_contains.into(),
            bytes,
            times,
        });
    }

    /// Removes every rule not yet used up.
    pub fn clear_rules(&self) {
        lock(&self.shared.rules).clear();
    }

    /// Every request forwarded so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }
}

fn proxy_one(mut client: TcpStream, upstream: &str, shared: &Shared) -> io::Result<()> {
    let mut buf = Vec::new();
    let Some(end) = http::read_head(&mut client, &mut buf)? else {
        return Ok(());
    };
    let head = Head::parse(&buf[..end]).ok_or_else(|| http::invalid("bad request head"))?;
    let cut = {
        let mut rules = lock(&shared.rules);
        let rule = rules
            .iter_mut()
            .find(|r| r.times > 0 && head.parts[1].contains(&r.path_contains));
        rule.map(|r| {
            r.times -= 1;
            r.bytes
        })
    };
    lock(&shared.requests).push(RecordedRequest {
        method: head.parts[0].clone(),
        target: head.parts[1].clone(),
        headers: head.headers.clone(),
        cut: cut.is_some(),
    });

    let mut forwarded = format!("{} {} {}\r\n", head.parts[0], head.parts[1], head.parts[2]);
    for (name, value) in &head.headers {
        let hop = ["connection", "keep-alive", "proxy-connection"];
        if !hop.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            forwarded.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    forwarded.push_str("Connection: close\r\n\r\n");

    let mut server = TcpStream::connect(upstream)?;
    server.write_all(forwarded.as_bytes())?;
    server.write_all(&buf[end..])?;

    // Request body: client -> server until the client stops sending.
    let (mut from_client, mut to_server) = (client.try_clone()?, server.try_clone()?);
    let upload = std::thread::spawn(move || {
        let _ = io::copy(&mut from_client, &mut to_server);
        let _ = to_server.shutdown(Shutdown::Write);
    });

    let result = copy_response(&mut server, &mut client, cut);
    // Done (or cut): close both sides, which also ends the upload copy.
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
    let _ = upload.join();
    result
}

/// Copies the response; with `cut`, stops after the head and that many body
/// bytes.
fn copy_response(
    server: &mut TcpStream,
    client: &mut TcpStream,
    cut: Option<usize>,
) -> io::Result<()> {
    let Some(limit) = cut else {
        io::copy(server, client)?;
        return Ok(());
    };
    let mut buf = Vec::new();
    let Some(end) = http::read_head(server, &mut buf)? else {
        return client.write_all(&buf);
    };
    let mut remaining = limit;
    let first = (buf.len() - end).min(remaining);
    client.write_all(&buf[..end + first])?;
    remaining -= first;
    let mut chunk = [0u8; 16 * 1024];
    while remaining > 0 {
        let n = server.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        let take = n.min(remaining);
        client.write_all(&chunk[..take])?;
        remaining -= take;
    }
    client.flush()
}
