//! Pushing a blob: mount if possible, else one monolithic PUT, else
//! chunks; resumable from what the registry says it has.
//!
//! ```text
//!  [HEAD blob --200--> Done(Exists)]            (with check_exists)
//!  [POST ?mount=&from= --201--> Done(Mounted)]  (with mount_from)
//!        \--202: a session--+
//!  POST uploads/ --202 + Location--+
//!                                  v
//!   monolithic: PUT <loc>&digest= (whole blob) --201--> Done(Uploaded)
//!                 \--refused or broken (once)--> new session, chunked
//!   chunked:    PATCH <loc> bytes [offset, offset+chunk) --202 + Range-->
//!               offset = the registry's Range + 1 ... until all sent,
//!               then PUT <loc>&digest= (no body) --201--> Done(Uploaded)
//!                 \--PATCH broken--> GET <loc> --204 + Range--> resume
//! ```
//!
//! The bytes come from the caller's source through the transport
//! ([`RequestBody::Blob`]); the core never holds them. When the digest is
//! not known in advance, the whole source is sent in one PATCH and hashed
//! as it passes ([`Operation::handle_sent`]).

use std::ops::Range;

use http::StatusCode;
use url::Url;

use super::exchange::Exchange;
use super::{fail, unexpected};
use super::{Context, Input, Operation, RequestBody, Response, Step, SMALL_BODY_LIMIT};
use crate::auth::{Scope, Scopes};
use crate::digest::{Algorithm, Digest, Hasher, VerifyError};
use crate::error::{Error, TransportError, TransportErrorKind};
use crate::headers;
use crate::reference::Repository;
use crate::registry::Registry;
use crate::requests;

/// How to send the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushStrategy {
    /// One PUT with the whole blob (fewest round trips), falling back to
    /// chunks if the registry refuses it.
    Monolithic,
    /// PATCH requests of this many bytes (raised to the registry's
    /// `OCI-Chunk-Min-Length`).
    Chunked {
        /// Bytes per PATCH.
        chunk_size: u64,
    },
}

/// Chunk size used when a monolithic upload falls back to chunks.
pub const DEFAULT_CHUNK_SIZE: u64 = 16 << 20;

/// How the blob got there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushOutcome {
    /// The registry already had it (no byte sent).
    Exists,
    /// Mounted from another repository (no byte sent).
    Mounted,
    /// Uploaded.
    Uploaded,
    /// With [`BlobPush::mount_only`]: the registry could not mount it (no
    /// byte sent; push it some other way).
    NotMounted,
}

/// Which request is in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Head,
    Mount,
    Start,
    Put,
    /// A PATCH of this many bytes (0: the rest of the source).
    Patch(u64),
    Status,
    Finish,
}

// A request is a few hundred bytes, moved once per network round trip.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Phase {
    Request(Kind, Exchange),
    Done(Result<(Digest, PushOutcome), Error>),
    Spent,
}

/// The most times an interrupted chunked upload is resumed.
const MAX_RESUMES: u32 = 5;

/// Uploads one blob. `Debug` shows the upload session's `Location`
/// without its query (its `_state` lets the holder continue the upload).
pub struct BlobPush {
    registry: Registry,
    repository: Repository,
    digest: Option<Digest>,
    size: Option<u64>,
    mount_from: Option<Repository>,
    strategy: PushStrategy,
    phase: Phase,
    location: Option<Url>,
    /// Bytes the registry has confirmed.
    offset: u64,
    min_chunk: u64,
    /// Hash of the source when the digest is not known in advance.
    hasher: Option<Hasher>,
    /// Where in the source the bytes of the current request start, and
    /// how many of them were reported sent.
    sent_from: u64,
    sent: u64,
    resumes: u32,
    fell_back: bool,
    mount_only: bool,
}

impl std::fmt::Debug for BlobPush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobPush")
            .field("registry", &self.registry)
            .field("repository", &self.repository)
            .field("digest", &self.digest)
            .field("size", &self.size)
            .field("mount_from", &self.mount_from)
            .field("strategy", &self.strategy)
            .field("phase", &self.phase)
            .field(
                "location",
                &self.location.as_ref().map(crate::redact::Redacted),
            )
            .field("offset", &self.offset)
            .field("min_chunk", &self.min_chunk)
            .field("hasher", &self.hasher)
            .field("sent_from", &self.sent_from)
            .field("sent", &self.sent)
            .field("resumes", &self.resumes)
            .field("fell_back", &self.fell_back)
            .field("mount_only", &self.mount_only)
            .finish()
    }
}

impl BlobPush {
    /// Pushes the blob `digest` of `size` bytes to `repository`.
    pub fn new(
        registry: &Registry,
        repository: &Repository,
        digest: Digest,
        size: u64,
    ) -> BlobPush {
        Self::build(registry, repository, Some(digest), Some(size))
    }

    /// Pushes a blob whose digest and size are not known in advance: the
    /// source is sent whole in one PATCH and hashed (sha256) as it passes.
    pub fn streamed(registry: &Registry, repository: &Repository) -> BlobPush {
        Self::build(registry, repository, None, None)
    }

    fn build(
        registry: &Registry,
        repository: &Repository,
        digest: Option<Digest>,
        size: Option<u64>,
    ) -> BlobPush {
        let mut push = BlobPush {
            registry: registry.clone(),
            repository: repository.clone(),
            digest,
            size,
            mount_from: None,
            strategy: PushStrategy::Monolithic,
            phase: Phase::Spent,
            location: None,
            offset: 0,
            min_chunk: 0,
            hasher: digest.is_none().then(|| Hasher::new(Algorithm::Sha256)),
            sent_from: 0,
            sent: 0,
            resumes: 0,
            fell_back: false,
            mount_only: false,
        };
        push.phase = Phase::Request(Kind::Start, push.start());
        push
    }

    /// First asks whether the registry already has the blob (HEAD).
    pub fn check_exists(mut self) -> BlobPush {
        if let Some(d) = self.digest {
            let req = requests::head_blob(&self.registry, &self.repository, &d);
            self.phase = Phase::Request(
                Kind::Head,
                Exchange::bodyless(&self.registry, self.scopes(), req),
            );
        }
        self
    }

    /// First tries to mount the blob from `repository` of the same
    /// registry.
    pub fn mount_from(mut self, repository: &Repository) -> BlobPush {
        self.mount_from = Some(repository.clone());
        if !matches!(self.phase, Phase::Request(Kind::Head, _)) {
            self.phase = self.mount_or_start();
        }
        self
    }

    /// Stops after the existence check and the mount attempt, reporting
    /// [`PushOutcome::NotMounted`] instead of uploading.
    pub fn mount_only(mut self) -> BlobPush {
        self.mount_only = true;
        self
    }

    /// Chooses how the bytes are sent.
    pub fn strategy(mut self, strategy: PushStrategy) -> BlobPush {
        self.strategy = strategy;
        self
    }

    /// Bytes the registry has confirmed so far.
    pub fn confirmed(&self) -> u64 {
        self.offset
    }

    fn scopes(&self) -> Scopes {
        let mut s: Scopes = [Scope::push(&self.repository)].into_iter().collect();
        if let Some(from) = &self.mount_from {
            s.add(Scope::pull(from));
        }
        s
    }

    fn exchange(&self, req: http::Request<RequestBody>) -> Exchange {
        Exchange::buffered(&self.registry, self.scopes(), req, SMALL_BODY_LIMIT)
    }

    fn start(&self) -> Exchange {
        self.exchange(requests::start_upload(&self.registry, &self.repository))
    }

    fn mount_or_start(&self) -> Phase {
        match (&self.mount_from, &self.digest) {
            (Some(from), Some(d)) => Phase::Request(
                Kind::Mount,
                self.exchange(requests::mount_blob(
                    &self.registry,
                    &self.repository,
                    d,
                    Some(from),
                )),
            ),
            // Nothing to mount from, and told not to upload.
            (None, Some(d)) if self.mount_only => Phase::Done(Ok((*d, PushOutcome::NotMounted))),
            _ => Phase::Request(Kind::Start, self.start()),
        }
    }

    fn chunk_size(&self) -> u64 {
        let wanted = match self.strategy {
            PushStrategy::Chunked { chunk_size } => chunk_size,
            PushStrategy::Monolithic => DEFAULT_CHUNK_SIZE,
        };
        wanted.max(self.min_chunk).max(1)
    }

    /// Reads the session URL (and the registry's progress) from a 202.
    fn take_session(&mut self, ex: &Exchange, resp: &Response) -> Result<(), Error> {
        let loc = resp
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                protocol(
                    ex,
                    "upload response without Location (behind a CORS proxy, Location \
                     must be listed in Access-Control-Expose-Headers)",
                )
            })?;
        self.location =
            Some(headers::location(loc, ex.url()).map_err(|e| protocol(ex, &e.to_string()))?);
        if let Some(min) = headers::chunk_min_length(resp.headers()) {
            self.min_chunk = min;
        }
        Ok(())
    }

    fn server_offset(resp: &Response) -> Option<u64> {
        resp.headers()
            .get(http::header::RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(headers::upload_range)
    }

    /// The next upload request once a session is open.
    fn next_upload(&mut self) -> Phase {
        let Some(location) = self.location.clone() else {
            return Phase::Done(Err(Error::InvalidInput {
                what: "upload",
                message: "no upload session".into(),
            }));
        };
        match (self.digest, self.size, self.strategy) {
            (Some(d), Some(size), PushStrategy::Monolithic)
                if !self.fell_back && self.offset == 0 =>
            {
                self.begin_send(0);
                let body = RequestBody::Blob {
                    offset: 0,
                    len: Some(size),
                };
                Phase::Request(
                    Kind::Put,
                    self.exchange(requests::finish_upload(&location, &d, body)),
                )
            }
            (_, Some(size), _) if self.offset < size => {
                let len = self.chunk_size().min(size - self.offset);
                self.begin_send(self.offset);
                Phase::Request(
                    Kind::Patch(len),
                    self.exchange(requests::patch_upload(&location, self.offset, Some(len))),
                )
            }
            (_, None, _) if self.offset == 0 && self.sent == 0 => {
                self.begin_send(0);
                Phase::Request(
                    Kind::Patch(0),
                    self.exchange(requests::patch_upload(&location, 0, None)),
                )
            }
            _ => {
                let digest = match (self.digest, &self.hasher) {
                    (Some(d), _) => d,
                    (None, Some(h)) => h.clone().finish(),
                    (None, None) => {
                        return Phase::Done(Err(Error::InvalidInput {
                            what: "upload",
                            message: "no digest".into(),
                        }))
                    }
                };
                self.digest = Some(digest);
                Phase::Request(
                    Kind::Finish,
                    self.exchange(requests::finish_upload(
                        &location,
                        &digest,
                        RequestBody::Empty,
                    )),
                )
            }
        }
    }

    fn begin_send(&mut self, from: u64) {
        self.sent_from = from;
        self.sent = 0;
    }

    /// After a broken or refused PATCH: ask the registry where it is.
    fn resync(&mut self, error: Error) -> Phase {
        match &self.location {
            Some(loc) if self.resumes < MAX_RESUMES && self.size.is_some() => {
                self.resumes += 1;
                Phase::Request(Kind::Status, self.exchange(requests::upload_status(loc)))
            }
            _ => Phase::Done(Err(error)),
        }
    }

    /// After a refused or broken monolithic PUT: a new session, in chunks.
    fn fall_back(&mut self, error: Error) -> Phase {
        if self.fell_back {
            return Phase::Done(Err(error));
        }
        self.fell_back = true;
        self.offset = 0;
        self.location = None;
        Phase::Request(Kind::Start, self.start())
    }

    fn uploaded(&self, ex: &Exchange, resp: &Response) -> Result<(Digest, PushOutcome), Error> {
        let Some(digest) = self.digest else {
            return Err(protocol(ex, "finished an upload without a digest"));
        };
        if let Some(claimed) = resp
            .headers()
            .get(headers::DOCKER_CONTENT_DIGEST)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Digest::parse(v.trim()).ok())
        {
            if claimed != digest {
                return Err(Error::Verify(VerifyError::DigestMismatch {
                    expected: digest,
                    actual: claimed,
                }));
            }
        }
        Ok((digest, PushOutcome::Uploaded))
    }

    /// One step of the state machine: what the final response of the
    /// current phase's exchange means.
    fn advance(&mut self, kind: Kind, ex: Exchange, resp: Response) -> Phase {
        let status = resp.status();
        match kind {
            Kind::Head => match (status, self.digest) {
                (StatusCode::OK, Some(d)) => Phase::Done(Ok((d, PushOutcome::Exists))),
                _ => self.mount_or_start(),
            },
            Kind::Mount => match status {
                StatusCode::CREATED => match self.digest {
                    Some(d) => Phase::Done(Ok((d, PushOutcome::Mounted))),
                    None => Phase::Done(Err(protocol(&ex, "mounted without a digest"))),
                },
                _ if self.mount_only => match self.digest {
                    Some(d) => Phase::Done(Ok((d, PushOutcome::NotMounted))),
                    None => Phase::Done(Err(protocol(&ex, "mount without a digest"))),
                },
                StatusCode::ACCEPTED => match self.take_session(&ex, &resp) {
                    Ok(()) => self.next_upload(),
                    Err(e) => Phase::Done(Err(e)),
                },
                // A failed mount (no such blob, no access to the source):
                // upload instead.
                _ => Phase::Request(Kind::Start, self.start()),
            },
            Kind::Start => match status {
                StatusCode::ACCEPTED => match self.take_session(&ex, &resp) {
                    Ok(()) => self.next_upload(),
                    Err(e) => Phase::Done(Err(e)),
                },
                _ => Phase::Done(Err(ex.status_error(&resp))),
            },
            Kind::Put => match status {
                StatusCode::CREATED | StatusCode::NO_CONTENT | StatusCode::OK => {
                    Phase::Done(self.uploaded(&ex, &resp))
                }
                s if s.is_client_error()
                    && s != StatusCode::BAD_REQUEST
                    && s != StatusCode::NOT_FOUND =>
                {
                    self.fall_back(ex.status_error(&resp))
                }
                s if s.is_server_error() => self.fall_back(ex.status_error(&resp)),
                _ => Phase::Done(Err(ex.status_error(&resp))),
            },
            Kind::Patch(len) => match status {
                StatusCode::ACCEPTED | StatusCode::NO_CONTENT => {
                    if let Err(e) = self.take_session(&ex, &resp) {
                        return Phase::Done(Err(e));
                    }
                    self.offset = match (Self::server_offset(&resp), self.size) {
                        (Some(o), _) => o,
                        (None, Some(_)) => self.offset + len,
                        (None, None) => self.sent,
                    };
                    self.next_upload()
                }
                StatusCode::RANGE_NOT_SATISFIABLE => self.resync(ex.status_error(&resp)),
                _ => Phase::Done(Err(ex.status_error(&resp))),
            },
            Kind::Status => match status {
                StatusCode::NO_CONTENT | StatusCode::OK => {
                    if let Err(e) = self.take_session(&ex, &resp) {
                        return Phase::Done(Err(e));
                    }
                    self.offset = Self::server_offset(&resp).unwrap_or(0);
                    self.next_upload()
                }
                _ => Phase::Done(Err(ex.status_error(&resp))),
            },
            Kind::Finish => match status {
                StatusCode::CREATED | StatusCode::NO_CONTENT | StatusCode::OK => {
                    Phase::Done(self.uploaded(&ex, &resp))
                }
                _ => Phase::Done(Err(ex.status_error(&resp))),
            },
        }
    }
}

fn protocol(ex: &Exchange, message: &str) -> Error {
    Error::Protocol {
        url: super::exchange::redact_query(ex.url()),
        message: message.to_string(),
    }
}

impl Operation for BlobPush {
    type Output = (Digest, PushOutcome);

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<(Digest, PushOutcome)> {
        loop {
            match std::mem::replace(&mut self.phase, Phase::Spent) {
                Phase::Done(result) => return Step::Done(result),
                Phase::Spent => {
                    return fail(Error::InvalidInput {
                        what: "drive loop",
                        message: "polled after the push finished".into(),
                    })
                }
                Phase::Request(kind, mut ex) => match ex.poll(cx).into_response() {
                    Err(step) => {
                        self.phase = Phase::Request(kind, ex);
                        return step;
                    }
                    Ok(resp) => self.phase = self.advance(kind, ex, resp),
                },
            }
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        match input {
            Input::Sent(chunk) => self.sent(chunk),
            Input::Error(error) => self.failed(cx, error),
            input => match &mut self.phase {
                Phase::Request(_, ex) => return ex.handle(cx, input),
                _ => self.phase = Phase::Done(Err(unexpected(&input))),
            },
        }
        0..0
    }
}

impl BlobPush {
    /// The request in flight failed: PATCHes and PUTs carry the source,
    /// so the exchange cannot replay them; the upload resyncs or falls
    /// back instead.
    fn failed(&mut self, cx: &mut Context<'_>, error: TransportError) {
        let sending = matches!(
            error.kind(),
            TransportErrorKind::Connect
                | TransportErrorKind::Timeout
                | TransportErrorKind::Interrupted
        );
        self.phase = match std::mem::replace(&mut self.phase, Phase::Spent) {
            Phase::Request(Kind::Patch(_), _) if sending => self.resync(Error::Transport(error)),
            Phase::Request(Kind::Put, _) if sending => self.fall_back(Error::Transport(error)),
            Phase::Request(Kind::Patch(_) | Kind::Put, _) => {
                Phase::Done(Err(Error::Transport(error)))
            }
            Phase::Request(kind, mut ex) => {
                ex.handle(cx, Input::Error(error));
                Phase::Request(kind, ex)
            }
            other => other,
        };
    }

    /// The transport sent these bytes of the source.
    fn sent(&mut self, chunk: &[u8]) {
        let len = chunk.len() as u64;
        let Some(hasher) = &mut self.hasher else {
            self.sent = self.sent.saturating_add(len);
            return;
        };
        // Hash each byte of the source once, even when a resumed request
        // sends some again.
        let start = self.sent_from.saturating_add(self.sent);
        let end = start.saturating_add(len);
        let hashed = hasher.len();
        if end > hashed && start <= hashed {
            let skip = (hashed - start) as usize;
            hasher.update(&chunk[skip..]);
        }
        self.sent = self.sent.saturating_add(len);
    }
}
