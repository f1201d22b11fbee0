//! Operations: every registry interaction as a state machine that a
//! transport drives with one loop.
//!
//! An operation (ping, list tags, get a manifest, pull a blob, push a
//! blob, ...) is a plain value. It never does I/O: it tells the transport
//! what to do next ([`Step`]), and the transport feeds back what happened.
//!
//! # The drive loop
//!
//! Every transport writes this loop once, generically over [`Operation`]:
//!
//! ```text
//! loop {
//!     match op.poll(&mut cx) {                        // cx: now + the shared Session
//!         Step::Send(request) => match transport.send(request) {
//!             Ok(response) => op.handle_response(&mut cx, response),
//!             Err(error)   => op.handle_error(&mut cx, error),
//!         },
//!         Step::Read => match transport.next_chunk() {   // streamed bodies only
//!             Ok(Some(bytes)) => { let keep = op.handle_chunk(&bytes); sink.write(&bytes[keep]) }
//!             Ok(None)        => op.handle_end(),
//!             Err(error)      => op.handle_error(&mut cx, error),
//!         },
//!         Step::Sleep(duration) => transport.sleep(duration),
//!         Step::Done(result) => return result,
//!     }
//! }
//! ```
//!
//! The transport's whole job is in that loop: send a [`Request`] (reading
//! the response body the way [`Request::read_mode`] says), read streamed
//! chunks, read the blob source for [`RequestBody::Blob`] bodies (telling
//! the operation what it sent with [`Operation::handle_sent`]), and sleep.
//! It follows no redirect, retries nothing and adds no header: those are
//! protocol decisions, made here.
//!
//! Here is the loop, run against a scripted "registry" that answers every
//! request with a canned response:
//!
//! ```
//! use std::time::SystemTime;
//! use ocireg_core::auth::Session;
//! use ocireg_core::http;
//! use ocireg_core::ops::{Context, Operation, Ping, Step};
//! use ocireg_core::registry::{Registry, Scheme};
//!
//! let mut session = Session::default();
//! let mut op = Ping::new(Registry::new(Scheme::Http, "localhost:5000"));
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
//!             op.handle_response(&mut cx, response);
//!         }
//!         Step::Done(result) => break result,
//!         _ => unreachable!("a ping only sends"),
//!     }
//! };
//! assert!(result.unwrap().api_version_ok);
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
mod list;
mod manifest;
mod pager;
mod ping;
mod referrers;
mod resolve;

use std::time::{Duration, SystemTime};

use url::Url;

pub use blob_pull::{BlobPull, PullProgress};
pub use blob_push::{BlobPush, PushOutcome, PushStrategy};
pub use fallback::Fallback;
pub use list::{ListAll, ListPage, Listing, Page, PAGE_LIMIT};
pub use manifest::{
    Delete, Fetched, GetManifest, HeadBlob, HeadManifest, ManifestHead, PutManifest, PutOutcome,
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

/// What an operation wants the transport to do next.
// A request is a few hundred bytes, moved once per network round trip.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[non_exhaustive]
pub enum Step<T> {
    /// Send this request and report the response (or the failure).
    Send(Request),
    /// Read the next chunk of the streamed response body and give it to
    /// [`Operation::handle_chunk`] (or report its end or failure).
    Read,
    /// Wait this long, then poll again (backoff, `Retry-After`).
    Sleep(Duration),
    /// The operation is finished.
    Done(Result<T, Error>),
}

/// The body of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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

/// How the transport reads a response body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadMode {
    /// Read the whole body into memory, failing with
    /// [`TransportErrorKind::BodyTooLarge`] past `limit` bytes.
    Buffer {
        /// Most bytes to read.
        limit: u64,
    },
    /// Hand the response over with an empty body, then stream the body in
    /// chunks on [`Step::Read`].
    Stream,
}

/// A request for the transport to send exactly as it is.
#[derive(Debug)]
pub struct Request {
    inner: http::Request<RequestBody>,
    url: Url,
    limit: u64,
    stream: bool,
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
/// body is empty and follows through [`Operation::handle_chunk`].
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

    /// The response to the last [`Step::Send`].
    fn handle_response(&mut self, cx: &mut Context<'_>, response: Response);

    /// The last [`Step::Send`] or [`Step::Read`] failed.
    fn handle_error(&mut self, cx: &mut Context<'_>, error: TransportError);

    /// The next chunk of a streamed body. Returns the part of `chunk` the
    /// transport must deliver to its sink (a resumed download may repeat
    /// bytes already delivered).
    fn handle_chunk(&mut self, chunk: &[u8]) -> std::ops::Range<usize> {
        0..chunk.len()
    }

    /// The streamed body ended.
    fn handle_end(&mut self) {}

    /// The transport sent these bytes of the blob source (in order).
    fn handle_sent(&mut self, chunk: &[u8]) {
        let _ = chunk;
    }
}

/// Turns an exchange poll into either its final response or the step the
/// operation must return now.
pub(crate) fn forward<T>(poll: exchange::Poll) -> Result<Response, Step<T>> {
    match poll {
        exchange::Poll::Send(r) => Err(Step::Send(r)),
        exchange::Poll::Sleep(d) => Err(Step::Sleep(d)),
        exchange::Poll::Failed(e) => Err(Step::Done(Err(e))),
        exchange::Poll::Response(r) => Ok(r),
    }
}

/// A `Done(Err)` step.
pub(crate) fn fail<T>(e: Error) -> Step<T> {
    Step::Done(Err(e))
}

/// Re-types a non-`Done` step of an inner operation.
pub(crate) fn other_step<A, B>(step: Step<A>) -> Step<B> {
    match step {
        Step::Send(r) => Step::Send(r),
        Step::Read => Step::Read,
        Step::Sleep(d) => Step::Sleep(d),
        Step::Done(_) => unreachable_done(),
    }
}

fn unreachable_done<B>() -> Step<B> {
    fail(Error::InvalidInput {
        what: "operation",
        message: "internal: a finished step was forwarded".into(),
    })
}
