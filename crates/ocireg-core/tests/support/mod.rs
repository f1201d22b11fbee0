//! A scripted transport for transcript tests: it runs the drive loop of
//! `ocireg_core::ops` against a list of expected requests and canned
//! replies, checks each request the core emits, and records what happened.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use ocireg_core::auth::Session;
use ocireg_core::error::{TransportError, TransportErrorKind};
use ocireg_core::ops::{Context, Input, Operation, ReadMode, RequestBody, Step};
use ocireg_core::{http, Error};

/// A repository path the test knows is valid.
pub fn repo(path: &str) -> ocireg_core::Repository {
    path.parse().unwrap()
}

/// A fixed "now" for tests: 2024-01-01T00:00:00Z.
pub fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200)
}

/// What the next request must look like.
#[derive(Clone, Debug)]
pub struct Expect {
    pub method: String,
    pub url: String,
    pub has: Vec<(String, Option<String>)>,
    pub lacks: Vec<String>,
    pub body: Option<Vec<u8>>,
}

/// `method url`, exactly.
pub fn req(method: &str, url: &str) -> Expect {
    Expect {
        method: method.into(),
        url: url.into(),
        has: vec![],
        lacks: vec![],
        body: None,
    }
}

impl Expect {
    /// The request has this header with this value.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.has
            .push((name.to_ascii_lowercase(), Some(value.into())));
        self
    }
    /// The request has this header, whatever its value.
    pub fn has(mut self, name: &str) -> Self {
        self.has.push((name.to_ascii_lowercase(), None));
        self
    }
    /// The request does not have this header.
    pub fn lacks(mut self, name: &str) -> Self {
        self.lacks.push(name.to_ascii_lowercase());
        self
    }
    /// The request's body (bytes, or the bytes read from the blob source).
    pub fn body(mut self, body: &[u8]) -> Self {
        self.body = Some(body.to_vec());
        self
    }
}

/// What the scripted server does.
#[derive(Clone, Debug)]
pub enum Reply {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A streamed body in these chunks; `broken` cuts the connection after
    /// the last one.
    Stream {
        status: u16,
        headers: Vec<(String, String)>,
        chunks: Vec<Vec<u8>>,
        broken: bool,
    },
    Fail(TransportErrorKind),
}

/// A response with `status`.
pub fn resp(status: u16) -> Reply {
    Reply::Response {
        status,
        headers: vec![],
        body: vec![],
    }
}

impl Reply {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match &mut self {
            Reply::Response { headers, .. } | Reply::Stream { headers, .. } => {
                headers.push((name.into(), value.into()))
            }
            Reply::Fail(_) => panic!("a failure has no headers"),
        }
        self
    }
    pub fn body(mut self, bytes: &[u8]) -> Self {
        if let Reply::Response { body, .. } = &mut self {
            *body = bytes.to_vec();
        }
        self
    }
    pub fn json(self, value: serde_json::Value) -> Self {
        self.header("Content-Type", "application/json")
            .body(value.to_string().as_bytes())
    }
}

/// A streamed reply.
pub fn stream(status: u16, chunks: &[&[u8]], broken: bool) -> Reply {
    Reply::Stream {
        status,
        headers: vec![],
        chunks: chunks.iter().map(|c| c.to_vec()).collect(),
        broken,
    }
}

/// A transport failure.
pub fn fail(kind: TransportErrorKind) -> Reply {
    Reply::Fail(kind)
}

/// A small OCI image manifest (no layers).
pub fn manifest_body() -> Vec<u8> {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2},
        "layers": []
    })
    .to_string()
    .into_bytes()
}

/// A 200 with [`manifest_body`] and its media type.
pub fn manifest_reply() -> Reply {
    resp(200)
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .body(&manifest_body())
}

/// What a run did.
#[derive(Debug)]
pub struct Run<T> {
    pub result: Result<T, Error>,
    pub sleeps: Vec<Duration>,
    pub sink: Vec<u8>,
    pub sent: Vec<String>,
}

impl<T: std::fmt::Debug> Run<T> {
    pub fn ok(self) -> T {
        match self.result {
            Ok(v) => v,
            Err(e) => panic!("operation failed: {e}\nrequests: {:#?}", self.sent),
        }
    }
    pub fn err(self) -> Error {
        match self.result {
            Ok(v) => panic!("operation succeeded: {v:?}"),
            Err(e) => e,
        }
    }
}

fn response(status: u16, headers: &[(String, String)], body: Vec<u8>) -> http::Response<Vec<u8>> {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(body).unwrap()
}

/// Drives `op` through `script` with `session`, starting at `now`; `source`
/// is the blob source for uploads.
pub fn drive<O: Operation>(
    op: &mut O,
    session: &mut Session,
    mut now: SystemTime,
    script: Vec<(Expect, Reply)>,
    source: &[u8],
) -> Run<O::Output> {
    let mut script: VecDeque<(Expect, Reply)> = script.into();
    let mut sleeps = Vec::new();
    let mut sink = Vec::new();
    let mut sent = Vec::new();
    let mut streaming: VecDeque<Vec<u8>> = VecDeque::new();
    let mut broken = false;
    for _ in 0..10_000 {
        let mut cx = Context::new(now, session);
        match op.poll(&mut cx) {
            Step::Send(request) => {
                let line = format!("{} {}", request.method(), request.url());
                sent.push(line.clone());
                let Some((expect, reply)) = script.pop_front() else {
                    panic!("unexpected request {line}\nafter: {sent:#?}");
                };
                assert_eq!(
                    line,
                    format!("{} {}", expect.method, expect.url),
                    "request #{}",
                    sent.len()
                );
                for (name, value) in &expect.has {
                    let got = request.headers().get(name.as_str());
                    assert!(
                        got.is_some(),
                        "{line}: missing header {name}\nheaders: {:?}",
                        request.headers()
                    );
                    if let Some(v) = value {
                        assert_eq!(got.unwrap().to_str().unwrap(), v, "{line}: header {name}");
                    }
                }
                for name in &expect.lacks {
                    assert!(
                        request.headers().get(name.as_str()).is_none(),
                        "{line}: header {name} must not be sent"
                    );
                }
                let body: Vec<u8> = match request.body() {
                    RequestBody::Empty => vec![],
                    RequestBody::Bytes(b) => b.clone(),
                    RequestBody::Blob { offset, len } => {
                        let start = *offset as usize;
                        let end = len.map_or(source.len(), |l| start + l as usize);
                        let bytes = source[start..end].to_vec();
                        for piece in bytes.chunks(7) {
                            let mut cx = Context::new(now, session);
                            let kept = op.handle(&mut cx, Input::Sent(piece));
                            assert!(kept.is_empty(), "{line}: sent bytes are not delivered");
                        }
                        bytes
                    }
                };
                if let Some(want) = &expect.body {
                    assert_eq!(&body, want, "{line}: body");
                }
                let mut cx = Context::new(now, session);
                match reply {
                    Reply::Response {
                        status,
                        headers,
                        body,
                    } => match request.read_mode(status) {
                        ReadMode::Buffer { limit } if body.len() as u64 > limit => {
                            op.handle(
                                &mut cx,
                                Input::Error(TransportError::new(
                                    TransportErrorKind::BodyTooLarge,
                                    "over the limit",
                                )),
                            );
                        }
                        ReadMode::Stream => {
                            op.handle(&mut cx, Input::Response(response(status, &headers, vec![])));
                            streaming = vec![body].into();
                            broken = false;
                        }
                        ReadMode::Buffer { .. } => {
                            op.handle(&mut cx, Input::Response(response(status, &headers, body)));
                        }
                    },
                    Reply::Stream {
                        status,
                        headers,
                        chunks,
                        broken: b,
                    } => {
                        assert_eq!(
                            request.read_mode(status),
                            ReadMode::Stream,
                            "{line}: not streamed"
                        );
                        op.handle(&mut cx, Input::Response(response(status, &headers, vec![])));
                        streaming = chunks.into();
                        broken = b;
                    }
                    Reply::Fail(kind) => {
                        let e = TransportError::new(kind, "scripted failure");
                        op.handle(&mut cx, Input::Error(e));
                    }
                }
            }
            Step::Read => match streaming.pop_front() {
                Some(chunk) => {
                    let mut cx = Context::new(now, session);
                    let keep = op.handle(&mut cx, Input::Chunk(&chunk));
                    sink.extend_from_slice(&chunk[keep]);
                }
                None if broken => {
                    broken = false;
                    let mut cx = Context::new(now, session);
                    let e = TransportError::new(TransportErrorKind::Interrupted, "cut");
                    op.handle(&mut cx, Input::Error(e));
                }
                None => {
                    let mut cx = Context::new(now, session);
                    op.handle(&mut cx, Input::End);
                }
            },
            Step::Sleep(d) => {
                sleeps.push(d);
                now += d;
            }
            Step::Done(result) => {
                assert!(
                    script.is_empty(),
                    "requests not made: {:#?}",
                    script
                        .iter()
                        .map(|(e, _)| format!("{} {}", e.method, e.url))
                        .collect::<Vec<_>>()
                );
                return Run {
                    result,
                    sleeps,
                    sink,
                    sent,
                };
            }
        }
    }
    panic!("the operation never finished");
}
