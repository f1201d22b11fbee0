//! Operations: every registry interaction as a state machine that a
//! transport drives with one loop.
//!
//! An operation (ping, list tags, get a manifest, pull a blob, push a
//! blob, ...) is a plain value. It never does I/O: it tells the transport
//! what to do next ([`Step`]), and the transport feeds back what happened.
//!
//! # The drive loop
//!
//! An operation has two methods: [`Operation::poll`] says what to do next
//! and [`Operation::handle`] takes what happened, as one [`Input`]. Every
//! transport writes this loop once, generically over [`Operation`]:
//!
//! ```text
//! loop {
//!     match op.poll(&mut cx) {                        // cx: now + the shared Session
//!         Step::Send(request) => match transport.send(request) {   // reads body per read_mode
//!             Ok(response) => op.handle(&mut cx, Input::Response(response)),
//!             Err(error)   => op.handle(&mut cx, Input::Error(error)),
//!         },
//!         Step::Read => match transport.next_chunk() {   // streamed bodies only
//!             Ok(Some(bytes)) => { let keep = op.handle(&mut cx, Input::Chunk(&bytes));
//!                                  sink.write(&bytes[keep]) }
//!             Ok(None)        => op.handle(&mut cx, Input::End),
//!             Err(error)      => op.handle(&mut cx, Input::Error(error)),
//!         },
//!         Step::Sleep(duration) => transport.sleep(duration),
//!         Step::Done(result) => return result,
//!     }
//! }
//! ```
//!
//! While it sends a [`RequestBody::Blob`], the transport reads the caller's
//! blob source and reports every piece that goes out with
//! [`Input::Sent`], in order. [`Step`], [`Input`], [`RequestBody`] and
//! [`ReadMode`] are exhaustive on purpose: a new variant breaks every
//! driver at compile time instead of reaching a run-time "unknown step".
//!
//! Every wait for the network (the response head, each chunk, bytes of an
//! upload going out) is watched for stalls with a
//! [`StallMeter`](crate::stall::StallMeter): an attempt that makes no
//! progress for the window ends as an [`Input::Error`] of kind
//! [`TransportErrorKind::Timeout`], which the operation retries or resumes
//! like any timeout.
//!
//! The native transport (reqwest) sends each [`Request`] exactly as it is:
//! it follows no redirect, retries nothing and adds no header but
//! `User-Agent`; those are protocol decisions, made here. A browser's
//! `fetch` cannot be told as much: it follows redirects itself (the core
//! then sees only the final response), adds its own headers (`Origin`,
//! `User-Agent`, `Accept-Language`; a CORS preflight), refuses to set
//! `Content-Length`, and hides every response header that the registry's
//! CORS setup does not expose. The core copes with each of those (a
//! missing `Link` falls back to `last=`, a missing `Docker-Content-Digest`
//! to hashing the body).
//!
//! Here is the loop, run against a scripted "registry" that answers every
//! request with a canned response:
//!
//! ```
//! use std::time::SystemTime;
//! use ocireg_core::auth::Session;
//! use ocireg_core::http;
//! use ocireg_core::ops::{Context, Input, Operation, Ping, Step};
//! use ocireg_core::registry::{Registry, Scheme};
//!
//! let mut session = Session::default();
//! let mut op = Ping::new(Registry::new(Scheme::Http, "localhost:5000").unwrap());
//! let result = loop {
//!     let mut cx = Context::new(SystemTime::now(), &mut session);
//!     match op.poll(&mut cx) {
//!         Step::Send(request) => {
//!             assert_eq!(request.url().as_str(), "http://localhost:5000/v2/");
//!             let response = http::Response::builder()
//!                 .status(200)
//!                 .header("Docker-Distribution-API-Version", "registry/2.0")
//!                 .body(Vec::new())
//!                 .unwrap();
//!             op.handle(&mut cx, Input::Response(response));
//!         }
//!         Step::Done(result) => break result,
//!         Step::Read | Step::Sleep(_) => unreachable!("a ping only sends"),
//!     }
//! };
//! assert!(result.unwrap().api_version_ok);
//! ```
//!
//! # Writing an operation
//!
//! An embedder can build an operation the core lacks on the same
//! [`Exchange`] every operation here uses: it brings credentials, the
//! token dance, redirects, retries and body limits. This one asks an
//! upload session how many bytes the registry has (`GET <Location>`,
//! answered `204` with `Range: 0-<last>`):
//!
//! ```
//! use std::ops::Range;
//! use ocireg_core::auth::{Scope, Scopes};
//! use ocireg_core::ops::{Context, Exchange, Input, Operation, Step};
//! use ocireg_core::registry::Registry;
//! use ocireg_core::{headers, requests, url::Url, Error, Repository};
//!
//! struct UploadStatus {
//!     ex: Exchange,
//! }
//!
//! impl UploadStatus {
//!     fn new(registry: &Registry, repository: &Repository, location: &Url) -> UploadStatus {
//!         let scopes: Scopes = [Scope::push(repository)].into_iter().collect();
//!         let request = requests::upload_status(location);
//!         UploadStatus { ex: Exchange::bodyless(registry, scopes, request) }
//!     }
//! }
//!
//! impl Operation for UploadStatus {
//!     type Output = u64;
//!
//!     fn poll(&mut self, cx: &mut Context<'_>) -> Step<u64> {
//!         let response = match self.ex.poll(cx).into_response() {
//!             Ok(response) => response,
//!             Err(step) => return step, // send, sleep or fail: pass it on
//!         };
//!         if response.status() != 204 {
//!             return Step::Done(Err(self.ex.status_error(&response)));
//!         }
//!         let received = response
//!             .headers()
//!             .get("range")
//!             .and_then(|v| v.to_str().ok())
//!             .and_then(headers::upload_range)
//!             .unwrap_or(0);
//!         Step::Done(Ok(received))
//!     }
//!
//!     fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
//!         self.ex.handle(cx, input)
//!     }
//! }
//!
//! # use std::time::SystemTime;
//! # use ocireg_core::{auth::Session, http, registry::Scheme};
//! # let registry = Registry::new(Scheme::Http, "localhost:5000").unwrap();
//! # let location: Url = "http://localhost:5000/v2/app/blobs/uploads/u1?_state=s".parse().unwrap();
//! # let mut op = UploadStatus::new(&registry, &"app".parse().unwrap(), &location);
//! # let mut session = Session::default();
//! # let received = loop {
//! #     let mut cx = Context::new(SystemTime::now(), &mut session);
//! #     match op.poll(&mut cx) {
//! #         Step::Send(request) => {
//! #             assert_eq!(request.url(), &location);
//! #             let response = http::Response::builder().status(204)
//! #                 .header("Range", "0-1023").body(Vec::new()).unwrap();
//! #             op.handle(&mut cx, Input::Response(response));
//! #         }
//! #         Step::Done(result) => break result.unwrap(),
//! #         Step::Read | Step::Sleep(_) => unreachable!(),
//! #     }
//! # };
//! # assert_eq!(received, 1024);
//! ```
//!
//! # What every operation shares
//!
//! Each request goes through one exchange layer (`exchange.rs`) that
//! attaches credentials for the scopes it needs, answers a `401` by
//! fetching a token and retrying once (a second refusal is an error that
//! names the scope), follows redirects without ever carrying the
//! `Authorization` header to another host, retries what is safe to retry
//! with backoff (honouring `Retry-After`), and bounds every buffered body.
//!
//! ```text
//!            +-------+   401 + challenge   +-------------+
//!  start --> | send  | ------------------> | fetch token |--+
//!            +-------+ <------------------ +-------------+  | refused
//!             |  ^  |     retry with token                  v
//!      3xx    |  |  | 429/5xx/conn. error            Unauthorized
//!   (same or  v  |  v
//!   dropped  redirect  sleep(backoff | Retry-After)
//!   auth)       |
//!               +--> other status: handed to the operation
//! ```

mod blob_pull;
mod blob_push;
mod exchange;
mod fallback;
mod items;
mod list;
mod manifest;
mod pager;
mod ping;
mod referrers;
mod resolve;

use std::fmt;
use std::ops::Range;
use std::time::{Duration, SystemTime};

use url::Url;

pub use blob_pull::{BlobPull, PullProgress};
pub use blob_push::{BlobPush, PushOutcome, PushStrategy};
pub use exchange::{Exchange, Exchanged};
pub use fallback::Fallback;
pub use items::{IntoIter as ItemsIntoIter, Items, Iter as ItemsIter};
pub use list::{ListAll, ListPage, Listing, Page, DEFAULT_PAGE_SIZE, PAGE_LIMIT};
pub use manifest::{
    AtDigest, Delete, DeleteManifest, Fetched, GetManifest, HeadBlob, HeadManifest, ManifestHead,
    PutManifest, PutOutcome, ReferrersAt,
};
pub use pager::{Pager, DEFAULT_MAX_ITEMS, MAX_PAGES};
pub use ping::{Ping, PingInfo};
pub use referrers::Referrers;
pub use resolve::{Resolve, Resolved};

use crate::auth::Session;
pub use crate::error::{Error, TransportError, TransportErrorKind};

/// The largest manifest the core accepts (4 MiB, as registries enforce).
pub const MANIFEST_LIMIT: u64 = 4 << 20;
/// The largest error body or token response the core reads (1 MiB).
pub const SMALL_BODY_LIMIT: u64 = 1 << 20;

/// What an operation wants the transport to do next. Exhaustive: drivers
/// match every variant.
// A request is a few hundred bytes, moved once per network round trip.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Step<T> {
    /// Send this request and report the response ([`Input::Response`])
    /// or the failure ([`Input::Error`]).
    Send(Request),
    /// Read the next chunk of the streamed response body and report it
    /// ([`Input::Chunk`]), its end ([`Input::End`]) or the failure
    /// ([`Input::Error`]).
    Read,
    /// Wait this long, then poll again (backoff, `Retry-After`).
    Sleep(Duration),
    /// The operation is finished.
    Done(Result<T, Error>),
}

/// What happened after a [`Step`]: the one thing a transport tells an
/// operation, through [`Operation::handle`]. Exhaustive, like [`Step`].
///
/// `Debug` shows a response's status, header names and body length, and
/// the length of chunks: a token server's body is a token, a redirect's
/// `Location` may be a signed URL.
pub enum Input<'a> {
    /// The response to the last [`Step::Send`]; for a streamed response
    /// ([`ReadMode::Stream`]) the body is empty and follows as chunks.
    Response(Response),
    /// The last [`Step::Send`] or [`Step::Read`] failed.
    Error(TransportError),
    /// The next chunk of a streamed body, after a [`Step::Read`].
    Chunk(&'a [u8]),
    /// The streamed body ended, after a [`Step::Read`].
    End,
    /// These bytes of the blob source went out with the request being
    /// sent ([`RequestBody::Blob`]), in order.
    Sent(&'a [u8]),
}

impl From<Result<Response, TransportError>> for Input<'_> {
    /// What a send came to: its response, or why there is none.
    fn from(sent: Result<Response, TransportError>) -> Self {
        match sent {
            Ok(response) => Input::Response(response),
            Err(error) => Input::Error(error),
        }
    }
}

impl<'a> From<Result<Option<&'a [u8]>, TransportError>> for Input<'a> {
    /// What a read of a streamed body came to: a chunk, the end, or why
    /// it broke off.
    fn from(read: Result<Option<&'a [u8]>, TransportError>) -> Self {
        match read {
            Ok(Some(chunk)) => Input::Chunk(chunk),
            Ok(None) => Input::End,
            Err(error) => Input::Error(error),
        }
    }
}

impl fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Response(r) => f.debug_tuple("Response").field(&ResponseDebug(r)).finish(),
            Input::Error(e) => f.debug_tuple("Error").field(e).finish(),
            Input::Chunk(c) => write!(f, "Chunk({} bytes)", c.len()),
            Input::End => f.write_str("End"),
            Input::Sent(c) => write!(f, "Sent({} bytes)", c.len()),
        }
    }
}

/// A response as `Debug` output shows it: status, header names, body
/// length.
pub(crate) struct ResponseDebug<'a>(pub(crate) &'a Response);

impl fmt::Debug for ResponseDebug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.headers().keys().map(|n| n.as_str()).collect();
        f.debug_struct("Response")
            .field("status", &self.0.status().as_u16())
            .field("headers", &names)
            .field("body_len", &self.0.body().len())
            .finish()
    }
}

/// The body of a request. Exhaustive: transports send every kind.
///
/// `Debug` shows the length of a [`RequestBody::Bytes`], not the bytes (a
/// token refresh's form carries the refresh token).
#[derive(Clone, PartialEq, Eq)]
pub enum RequestBody {
    /// No body.
    Empty,
    /// These bytes.
    Bytes(Vec<u8>),
    /// Bytes of the blob being pushed, read by the transport from the
    /// caller's source: `len` bytes from `offset`, or everything from
    /// `offset` to the end of the source when `len` is `None`.
    Blob {
        /// Where in the blob to start.
        offset: u64,
        /// How many bytes; `None` for "to the end".
        len: Option<u64>,
    },
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestBody::Empty => f.write_str("Empty"),
            RequestBody::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            RequestBody::Blob { offset, len } => f
                .debug_struct("Blob")
                .field("offset", offset)
                .field("len", len)
                .finish(),
        }
    }
}

/// How the transport reads a response body. Exhaustive: transports
/// handle every mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadMode {
    /// Read the whole body into memory, failing with
    /// [`TransportErrorKind::BodyTooLarge`] past `limit` bytes.
    Buffer {
        /// Most bytes to read.
        limit: u64,
    },
    /// Hand the response over with an empty body, then stream the body in
    /// chunks, one per [`Step::Read`].
    Stream,
}

/// A request for the transport to send exactly as it is.
///
/// `Debug` and `Display` (`GET https://host/v2/...`) show the URL without
/// its query (a pre-signed URL carries a signature); `Authorization`
/// values are sensitive and print as `Sensitive`.
pub struct Request {
    inner: http::Request<RequestBody>,
    url: Url,
    limit: u64,
    stream: bool,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", self.inner.method())
            .field("url", &crate::redact::Redacted(&self.url))
            .field("headers", self.inner.headers())
            .field("body", self.inner.body())
            .field("limit", &self.limit)
            .field("stream", &self.stream)
            .finish()
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.inner.method(),
            crate::redact::Redacted(&self.url)
        )
    }
}

impl Request {
    pub(crate) fn new(
        inner: http::Request<RequestBody>,
        url: Url,
        limit: u64,
        stream: bool,
    ) -> Self {
        Request {
            inner,
            url,
            limit,
            stream,
        }
    }

    /// The method.
    pub fn method(&self) -> &http::Method {
        self.inner.method()
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The headers to send (and no others).
    pub fn headers(&self) -> &http::HeaderMap {
        self.inner.headers()
    }

    /// The body.
    pub fn body(&self) -> &RequestBody {
        self.inner.body()
    }

    /// How to read the body of a response with `status`: blob downloads
    /// stream their 200/206 bodies; everything else, error bodies
    /// included, is buffered up to a limit.
    pub fn read_mode(&self, status: u16) -> ReadMode {
        self.read_plan().read_mode(status)
    }

    /// The reading rules of this request, kept by a transport once it has
    /// handed the request itself to its HTTP client.
    pub fn read_plan(&self) -> ReadPlan {
        ReadPlan {
            limit: self.limit,
            stream: self.stream,
        }
    }

    /// The request as an `http::Request` and its reading rules.
    pub fn into_parts(self) -> (http::Request<RequestBody>, ReadPlan) {
        let plan = self.read_plan();
        (self.inner, plan)
    }

    /// The request as an `http::Request`.
    pub fn into_http(self) -> http::Request<RequestBody> {
        self.inner
    }
}

/// How to read the response to one request (see [`Request::read_mode`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadPlan {
    limit: u64,
    stream: bool,
}

impl ReadPlan {
    /// How to read the body of a response with `status`.
    pub fn read_mode(&self, status: u16) -> ReadMode {
        if self.stream && (status == 200 || status == 206) {
            ReadMode::Stream
        } else if self.stream || !(200..300).contains(&status) {
            ReadMode::Buffer {
                limit: SMALL_BODY_LIMIT,
            }
        } else {
            ReadMode::Buffer { limit: self.limit }
        }
    }
}

/// A response as the transport received it; for streamed responses the
/// body is empty and follows as [`Input::Chunk`]s.
pub type Response = http::Response<Vec<u8>>;

/// What an operation sees of the world for one call: the time and the
/// shared authentication state.
#[derive(Debug)]
pub struct Context<'a> {
    now: SystemTime,
    session: &'a mut Session,
}

impl<'a> Context<'a> {
    /// A context for one call; `now` is the wall-clock time (the core
    /// never reads a clock).
    pub fn new(now: SystemTime, session: &'a mut Session) -> Self {
        Context { now, session }
    }

    /// The time.
    pub fn now(&self) -> SystemTime {
        self.now
    }

    /// The session.
    pub fn session(&mut self) -> &mut Session {
        self.session
    }
}

/// A registry operation, driven as the module documentation shows.
pub trait Operation {
    /// What the operation produces.
    type Output;

    /// What to do next. After [`Step::Done`] the operation is spent.
    fn poll(&mut self, cx: &mut Context<'_>) -> Step<Self::Output>;

    /// What happened after the last step. For an [`Input::Chunk`] it
    /// returns the part of the chunk the transport must deliver to its
    /// sink (a resumed download may repeat bytes already delivered); for
    /// every other input an empty range.
    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize>;
}

/// Re-types a non-`Done` step of an inner operation; hands a `Done` back.
pub(crate) fn other_step<A, B>(step: Step<A>) -> Result<Result<A, Error>, Step<B>> {
    match step {
        Step::Send(r) => Err(Step::Send(r)),
        Step::Read => Err(Step::Read),
        Step::Sleep(d) => Err(Step::Sleep(d)),
        Step::Done(result) => Ok(result),
    }
}

/// A `Done(Err)` step.
pub(crate) fn fail<T>(e: Error) -> Step<T> {
    Step::Done(Err(e))
}

/// The error for an input an operation did not ask for (a chunk while no
/// body streams, a response while nothing was sent): a driver bug,
/// reported instead of ignored.
pub(crate) fn unexpected(input: &Input<'_>) -> Error {
    let what = match input {
        Input::Response(_) => "a response",
        Input::Error(_) => "a transport error",
        Input::Chunk(_) => "a body chunk",
        Input::End => "the end of a body",
        Input::Sent(_) => "sent bytes",
    };
    Error::InvalidInput {
        what: "drive loop",
        message: format!("{what} arrived where the operation asked for none"),
    }
}
