//! The drive loop of `ocireg_core::ops` over reqwest and tokio. It moves
//! bytes and sleeps; every decision (auth, redirects, retries, resumes,
//! verification) comes from the operation.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use ocireg_core::auth::Session;
use ocireg_core::error::{TransportError, TransportErrorKind};
use ocireg_core::ops::{Context, Input, Operation, ReadMode, RequestBody, Step};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::source::BlobSource;
use crate::stall::Stall;
use crate::Error;

/// Where streamed bytes go and where uploaded bytes come from.
pub(crate) struct Io<'a> {
    pub sink: Option<&'a mut (dyn AsyncWrite + Unpin + Send)>,
    pub source: Option<&'a mut (dyn BlobSource + 'a)>,
    pub progress: Option<&'a (dyn Fn(u64) + Send + Sync)>,
}

impl Io<'_> {
    pub(crate) fn none() -> Io<'static> {
        Io {
            sink: None,
            source: None,
            progress: None,
        }
    }
}

type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, TransportError>> + Send>>;

/// Sends requests for operations.
#[derive(Clone)]
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    pub(crate) unverified: reqwest::Client,
    pub(crate) session: Arc<Mutex<Session>>,
    /// The stall timeout: the longest an attempt may go without progress.
    pub(crate) stall_timeout: Duration,
}

impl Transport {
    fn with_cx<R>(&self, f: impl FnOnce(&mut Context<'_>) -> R) -> R {
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let mut cx = Context::new(SystemTime::now(), &mut session);
        f(&mut cx)
    }

    /// Runs `op` to completion: the one drive loop of this crate.
    pub(crate) async fn run<O: Operation>(
        &self,
        op: &mut O,
        io: &mut Io<'_>,
    ) -> Result<O::Output, Error> {
        let mut body: Option<BodyStream> = None;
        let stall = Stall::new(self.stall_timeout);
        loop {
            match self.with_cx(|cx| op.poll(cx)) {
                Step::Send(request) => {
                    body = None;
                    match self.send(op, request, io, &stall).await {
                        Ok((response, stream)) => {
                            body = stream;
                            self.with_cx(|cx| op.handle(cx, Input::Response(response)));
                        }
                        Err(e) => {
                            self.with_cx(|cx| op.handle(cx, Input::Error(e)));
                        }
                    }
                }
                Step::Read => {
                    let next = match body.as_mut() {
                        Some(b) => b.next().await,
                        None => None,
                    };
                    match next {
                        Some(Ok(chunk)) => {
                            let keep = self.with_cx(|cx| op.handle(cx, Input::Chunk(&chunk)));
                            let part = &chunk[keep];
                            if let Some(sink) = io.sink.as_mut() {
                                sink.write_all(part).await.map_err(Error::Sink)?;
                            }
                            if let Some(p) = io.progress {
                                p(part.len() as u64);
                            }
                        }
                        Some(Err(e)) => {
                            body = None;
                            self.with_cx(|cx| op.handle(cx, Input::Error(e)));
                        }
                        None => {
                            body = None;
                            self.with_cx(|cx| op.handle(cx, Input::End));
                        }
                    }
                }
                Step::Sleep(d) => tokio::time::sleep(d).await,
                Step::Done(result) => {
                    if let Some(sink) = io.sink.as_mut() {
                        sink.flush().await.map_err(Error::Sink)?;
                    }
                    return result.map_err(Error::Registry);
                }
            }
        }
    }

    /// Sends one request; for a streamed response returns the body stream
    /// next to the (empty-bodied) response.
    async fn send<O: Operation>(
        &self,
        op: &mut O,
        request: ocireg_core::ops::Request,
        io: &mut Io<'_>,
        stall: &Stall,
    ) -> Result<(ocireg_core::http::Response<Vec<u8>>, Option<BodyStream>), TransportError> {
        stall.start(&request);
        let url = request.url().clone();
        let (http_req, plan) = request.into_parts();
        let (parts, body) = http_req.into_parts();
        let client = if self.is_unverified(&url) {
            &self.unverified
        } else {
            &self.http
        };
        let mut builder = client
            .request(parts.method, url.as_str())
            .headers(parts.headers);

        let response = match body {
            RequestBody::Empty => stall.guard(builder.send()).await?,
            RequestBody::Bytes(b) => stall.guard(builder.body(b).send()).await?,
            RequestBody::Blob { offset, len } => {
                let Some(source) = io.source.as_mut() else {
                    return Err(TransportError::new(
                        TransportErrorKind::Source,
                        "no blob source for an upload",
                    ));
                };
                if let Some(len) = len {
                    builder = builder.header(ocireg_core::http::header::CONTENT_LENGTH, len);
                }
                // The body is a channel; a pump next to the request reads
                // the source into it and tells the operation what passed.
                let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
                let body = reqwest::Body::wrap_stream(ReceiverStream(rx, stall.clone()));
                let send = builder.body(body).send();
                let progress = io.progress;
                let pump = async {
                    let mut stream = source.read_at(offset, len);
                    while let Some(item) = stream.next().await {
                        match item {
                            Ok(chunk) => {
                                self.with_cx(|cx| op.handle(cx, Input::Sent(&chunk)));
                                if let Some(p) = progress {
                                    p(chunk.len() as u64);
                                }
                                if tx.send(Ok(chunk)).await.is_err() {
                                    return Ok(());
                                }
                            }
                            Err(e) => {
                                let msg = e.to_string();
                                let _ = tx.send(Err(e)).await;
                                return Err(msg);
                            }
                        }
                    }
                    drop(tx);
                    Ok(())
                };
                let (sent, pumped) = stall.guard(futures_util::future::join(send, pump)).await?;
                if let Err(msg) = pumped {
                    return Err(TransportError::new(TransportErrorKind::Source, msg));
                }
                sent
            }
        }
        .map_err(classify)?;
        stall.head();

        let status = response.status().as_u16();
        let mut head = ocireg_core::http::Response::builder().status(status);
        if let Some(h) = head.headers_mut() {
            *h = response.headers().clone();
        }
        match plan.read_mode(status) {
            ReadMode::Stream => {
                let head = head.body(Vec::new()).map_err(other)?;
                Ok((head, Some(Box::pin(stall.body(response.bytes_stream())))))
            }
            ReadMode::Buffer { limit } => {
                let body = read_limited(response, limit, stall).await?;
                Ok((head.body(body).map_err(other)?, None))
            }
        }
    }

    fn is_unverified(&self, url: &ocireg_core::url::Url) -> bool {
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => return false,
        };
        let session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        session.config().is_tls_unverified(&host)
    }
}

/// Reads a body into memory, failing past `limit` bytes without reading
/// further.
async fn read_limited(
    response: reqwest::Response,
    limit: u64,
    stall: &Stall,
) -> Result<Vec<u8>, TransportError> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(TransportError::new(
            TransportErrorKind::BodyTooLarge,
            format!("Content-Length over {limit}"),
        ));
    }
    let mut out = Vec::new();
    let mut stream = stall.body(response.bytes_stream());
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if out.len() as u64 + chunk.len() as u64 > limit {
            return Err(TransportError::new(
                TransportErrorKind::BodyTooLarge,
                format!("body over {limit} bytes"),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn other(e: impl std::fmt::Display) -> TransportError {
    TransportError::new(TransportErrorKind::Other, e.to_string())
}

/// Sorts a reqwest error into the kinds the core tells apart.
fn classify(e: reqwest::Error) -> TransportError {
    let kind = if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_body() || e.is_request() {
        TransportErrorKind::Interrupted
    } else {
        TransportErrorKind::Other
    };
    // reqwest names the URL with its query, and a pre-signed blob URL's
    // query is a signature: name it without. (`TransportError::new` also
    // strips the query of any URL left in the text.)
    let url = e.url().map(ocireg_core::redact::url);
    let e = e.without_url();
    let mut msg = e.to_string();
    if let Some(url) = url {
        msg.push_str(" for url (");
        msg.push_str(&url);
        msg.push(')');
    }
    // The full chain says why (refused, TLS, reset).
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    TransportError::new(kind, msg)
}

/// A `Stream` over a tokio channel receiver: an upload's body, each chunk
/// hyper takes counted as progress of the stall watch.
struct ReceiverStream(mpsc::Receiver<io::Result<Bytes>>, Stall);

impl Stream for ReceiverStream {
    type Item = io::Result<Bytes>;
    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let next = self.0.poll_recv(cx);
        if let std::task::Poll::Ready(Some(Ok(chunk))) = &next {
            self.1.progress(chunk.len());
        }
        next
    }
}
