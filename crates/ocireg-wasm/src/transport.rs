//! The drive loop of `ocireg_core::ops` over fetch. It moves bytes and
//! sleeps; every decision (auth, retries, pagination, resumes,
//! verification) comes from the operation.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use gloo_net::http::{Method, RequestBuilder};
use js_sys::{Reflect, Uint8Array};
use ocireg_core::auth::Session;
use ocireg_core::headers::RESPONSE_HEADERS;
use ocireg_core::http;
use ocireg_core::ops::{
    Context, Input, Operation, ReadMode, Request, RequestBody, Response, Step, TransportError,
    TransportErrorKind,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, RequestCache};

use crate::io::{each_piece, js_message, BlobSource, Sink};
use crate::stall::Stall;
use crate::{clock, Error};

/// Where streamed bytes go, where uploaded bytes come from, and who hears
/// of progress (bytes moved since the last call). `Io::default()` is none
/// of them.
#[derive(Default)]
pub(crate) struct Io<'a> {
    pub sink: Option<&'a mut dyn Sink>,
    pub source: Option<&'a BlobSource>,
    pub progress: Option<&'a dyn Fn(u64)>,
}

/// Sends requests for operations. Clones share the session (credentials,
/// what each host asked for, the token cache).
#[derive(Clone)]
pub(crate) struct Transport {
    pub(crate) session: Rc<RefCell<Session>>,
    /// The stall timeout: the longest an attempt may go without progress.
    pub(crate) stall_timeout: Duration,
}

impl Transport {
    /// Lends the session to the operation for one call. Never held across
    /// an `await`, so concurrent operations share it safely.
    fn with_cx<R>(&self, f: impl FnOnce(&mut Context<'_>) -> R) -> R {
        f(&mut Context::new(
            clock::now(),
            &mut self.session.borrow_mut(),
        ))
    }

    /// Runs `op` to completion.
    pub(crate) async fn run<O: Operation>(
        &self,
        op: &mut O,
        io: &mut Io<'_>,
    ) -> Result<O::Output, Error> {
        let mut erased = Erase { op, output: None };
        let driven = self.drive(&mut erased, io).await;
        match erased.output {
            Some(output) => output.map_err(Error::Registry),
            None => Err(driven.err().unwrap_or_else(|| {
                Error::Registry(ocireg_core::Error::InvalidInput {
                    what: "drive loop",
                    message: "the operation finished without a result".into(),
                })
            })),
        }
    }

    /// The one drive loop of this crate, compiled once for every
    /// operation (see [`Erased`]).
    async fn drive(&self, op: &mut dyn Erased, io: &mut Io<'_>) -> Result<(), Error> {
        let mut body: Option<BodyReader> = None;
        let mut buf = Vec::new();
        let mut stall = Stall::new(self.stall_timeout);
        loop {
            match self.with_cx(|cx| op.poll(cx)) {
                Step::Send(request) => {
                    if let Some(old) = body.take() {
                        old.cancel();
                    }
                    let mut sent = |bytes: &[u8]| {
                        self.with_cx(|cx| op.handle(cx, Input::Sent(bytes)));
                    };
                    let response = send(request, io, &mut sent, &mut stall).await;
                    let response = response.map(|(head, reader)| {
                        body = reader;
                        head
                    });
                    self.with_cx(|cx| op.handle(cx, response.into()));
                }
                Step::Read => {
                    let next = match body.as_mut() {
                        Some(b) => stall.guard(b.next()).await.and_then(|read| read),
                        None => Ok(None),
                    };
                    // A chunk is copied out of JavaScript memory for the
                    // operation; the sink takes the JS view of its kept part.
                    let js = match &next {
                        Ok(Some(chunk)) => {
                            stall.progress(chunk.length());
                            buf.resize(chunk.length() as usize, 0);
                            chunk.copy_to(&mut buf);
                            Some(chunk.clone())
                        }
                        _ => {
                            body = None;
                            None
                        }
                    };
                    let read = next.map(|c| c.map(|_| buf.as_slice()));
                    let keep = self.with_cx(|cx| op.handle(cx, read.into()));
                    if let Some(js) = js {
                        if let Some(sink) = io.sink.as_mut() {
                            let part = js.subarray(keep.start as u32, keep.end as u32);
                            sink.write(&buf[keep.clone()], &part);
                        }
                        if let Some(p) = io.progress {
                            p(keep.len() as u64);
                        }
                    }
                }
                Step::Sleep(d) => clock::sleep(d).await,
                Step::Done(result) => return result.map_err(Error::Registry),
            }
        }
    }
}

/// An [`Operation`] with its output type erased: `Done` leaves the output
/// in [`Erase::output`]. The drive loop is the largest async function of
/// the module; generic over the operation it would be compiled once per
/// operation.
trait Erased {
    fn poll(&mut self, cx: &mut Context<'_>) -> Step<()>;
    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> std::ops::Range<usize>;
}

struct Erase<'a, O: Operation> {
    op: &'a mut O,
    output: Option<Result<O::Output, ocireg_core::Error>>,
}

impl<O: Operation> Erased for Erase<'_, O> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Step<()> {
        match self.op.poll(cx) {
            Step::Send(request) => Step::Send(request),
            Step::Read => Step::Read,
            Step::Sleep(d) => Step::Sleep(d),
            Step::Done(result) => {
                self.output = Some(result);
                Step::Done(Ok(()))
            }
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> std::ops::Range<usize> {
        self.op.handle(cx, input)
    }
}

/// Sends one request; for a streamed response returns the body reader
/// next to the (empty-bodied) response. Not generic: one copy serves every
/// operation (`sent` hears of uploaded bytes).
async fn send(
    request: Request,
    io: &Io<'_>,
    sent: &mut dyn FnMut(&[u8]),
    stall: &mut Stall,
) -> Result<(Response, Option<BodyReader>), TransportError> {
    let signal = stall.start(&request);
    let plan = request.read_plan();
    let head_request = request.method() == http::Method::HEAD;
    let url = request.url().to_string();
    let (req, _) = request.into_parts();
    let (parts, body) = req.into_parts();
    // Every request skips the HTTP cache: a cached manifest fetched
    // with another Accept, or a stale tag list, must never answer.
    let mut builder = RequestBuilder::new(&url)
        .method(method(&parts.method)?)
        .cache(RequestCache::NoStore)
        .abort_signal(signal.as_ref());
    for (name, value) in &parts.headers {
        if FORBIDDEN.contains(&name.as_str()) {
            continue;
        }
        let value = value
            .to_str()
            .map_err(|_| other(format!("header {name} is not visible ASCII")))?;
        builder = builder.header(name.as_str(), value);
    }
    let body: Option<JsValue> = match body {
        RequestBody::Empty => None,
        RequestBody::Bytes(b) => {
            stall.sending(b.len() as u64);
            Some(Uint8Array::from(b.as_slice()).into())
        }
        RequestBody::Blob { offset, len } => {
            let Some(source) = io.source else {
                return Err(TransportError::new(
                    TransportErrorKind::Source,
                    "no blob source for an upload",
                ));
            };
            let bytes = source.read(offset, len).await?;
            // fetch sends the body whole: tell the operation (which
            // hashes when the digest was not known) what goes out.
            let mut piece = Vec::new();
            each_piece(&bytes, &mut piece, |p| sent(p));
            if let Some(p) = io.progress {
                p(u64::from(bytes.length()));
            }
            stall.sending(u64::from(bytes.length()));
            Some(bytes.into())
        }
    };
    let request = match body {
        Some(b) => builder.body(b),
        None => builder.build(),
    }
    .map_err(|e| other(e.to_string()))?;
    // gloo-net's `send` keeps only the error's name and message; the
    // raw error also has Node's `cause.code`.
    let raw: web_sys::Request = request.into();
    let response: gloo_net::http::Response = stall
        .guard(JsFuture::from(fetch(&raw)))
        .await?
        .map_err(classify)?
        .dyn_into::<web_sys::Response>()
        .map_err(|_| other("fetch resolved to something that is not a Response"))?
        .into();
    stall.head();

    let status = response.status();
    let mut head = http::Response::builder().status(status);
    // Only the headers the core reads: a name from a string would go
    // through `http`'s header name parser, a large function the module
    // does not need otherwise. `fetch` gives names in lowercase.
    for (name, value) in response.headers().entries() {
        if let Some(name) = RESPONSE_HEADERS.iter().find(|h| h.as_str() == name) {
            head = head.header(name, value);
        }
    }
    match plan.read_mode(status) {
        ReadMode::Stream => {
            let reader = response.body().map(BodyReader::new);
            Ok((head.body(Vec::new()).map_err(other)?, reader))
        }
        // A HEAD response has no body, whatever its Content-Length says.
        ReadMode::Buffer { .. } if head_request => {
            Ok((head.body(Vec::new()).map_err(other)?, None))
        }
        ReadMode::Buffer { limit } => {
            let body = read_limited(&response, limit, stall).await?;
            Ok((head.body(body).map_err(other)?, None))
        }
    }
}

/// Request headers a page may not set: the browser sets them itself (and
/// Node's fetch would reject a wrong `Content-Length`).
const FORBIDDEN: &[&str] = &[
    "content-length",
    "host",
    "connection",
    "transfer-encoding",
    "user-agent",
];

fn method(m: &http::Method) -> Result<Method, TransportError> {
    Ok(match m.as_str() {
        "GET" => Method::GET,
        "HEAD" => Method::HEAD,
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        "OPTIONS" => Method::OPTIONS,
        other_method => return Err(other(format!("unsupported method {other_method}"))),
    })
}

/// A response body as a `ReadableStream` reader.
struct BodyReader {
    reader: ReadableStreamDefaultReader,
}

impl BodyReader {
    fn new(stream: web_sys::ReadableStream) -> BodyReader {
        BodyReader {
            reader: stream.get_reader().unchecked_into(),
        }
    }

    /// The next chunk, or `None` at the end.
    async fn next(&mut self) -> Result<Option<Uint8Array>, TransportError> {
        let result = JsFuture::from(self.reader.read())
            .await
            .map_err(|e| TransportError::new(TransportErrorKind::Interrupted, js_message(&e)))?;
        let done = Reflect::get(&result, &"done".into()).map_or(true, |v| v.is_truthy());
        if done {
            return Ok(None);
        }
        let value = Reflect::get(&result, &"value".into()).unwrap_or(JsValue::UNDEFINED);
        value
            .dyn_into::<Uint8Array>()
            .map(Some)
            .map_err(|_| other("a response body chunk that is not bytes"))
    }

    /// Stops reading (the rest of the body is not wanted).
    fn cancel(self) {
        // The promise only says when cancelling is done.
        let _ = self.reader.cancel();
    }
}

/// Reads a body into memory, failing past `limit` bytes without reading
/// further.
async fn read_limited(
    response: &gloo_net::http::Response,
    limit: u64,
    stall: &mut Stall,
) -> Result<Vec<u8>, TransportError> {
    let too_large = || {
        TransportError::new(
            TransportErrorKind::BodyTooLarge,
            format!("body over {limit} bytes"),
        )
    };
    let declared = response
        .headers()
        .get("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let Some(stream) = response.body() else {
        return Ok(Vec::new());
    };
    let mut reader = BodyReader::new(stream);
    let mut out = Vec::new();
    while let Some(chunk) = stall.guard(reader.next()).await?? {
        stall.progress(chunk.length());
        let start = out.len();
        if start as u64 + u64::from(chunk.length()) > limit {
            reader.cancel();
            return Err(too_large());
        }
        out.resize(start + chunk.length() as usize, 0);
        chunk.copy_to(&mut out[start..]);
    }
    Ok(out)
}

fn other(e: impl std::fmt::Display) -> TransportError {
    TransportError::new(TransportErrorKind::Other, e.to_string())
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    // The global `fetch` of windows, workers and Node alike.
    #[wasm_bindgen(js_name = fetch)]
    fn fetch(request: &web_sys::Request) -> js_sys::Promise;
}

/// Sorts a failed fetch into the kinds the core tells apart. A browser
/// describes no network failure (CORS, refused, DNS and mixed content are
/// all "Failed to fetch"); Node names the system error in `cause.code`.
fn classify(e: JsValue) -> TransportError {
    let code = Reflect::get(&e, &"cause".into())
        .ok()
        .filter(|c| c.is_object())
        .and_then(|c| Reflect::get(&c, &"code".into()).ok())
        .and_then(|c| c.as_string());
    let name = Reflect::get(&e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    let kind = match code.as_deref() {
        Some("ECONNREFUSED" | "ENOTFOUND" | "EAI_AGAIN" | "EHOSTUNREACH" | "ENETUNREACH") => {
            TransportErrorKind::Connect
        }
        Some("ECONNRESET" | "EPIPE" | "UND_ERR_SOCKET" | "UND_ERR_CLOSED") => {
            TransportErrorKind::Interrupted
        }
        Some("ETIMEDOUT" | "UND_ERR_CONNECT_TIMEOUT" | "UND_ERR_HEADERS_TIMEOUT") => {
            TransportErrorKind::Timeout
        }
        Some(_) => TransportErrorKind::Other,
        None if name == "AbortError" => TransportErrorKind::Other,
        None => TransportErrorKind::Blocked,
    };
    let mut message = js_message(&e);
    if kind == TransportErrorKind::Blocked {
        message.push_str(
            " (a browser gives no reason: the registry may be down, or its CORS setup does \
             not allow this origin, method or header)",
        );
    }
    TransportError::new(kind, message)
}
