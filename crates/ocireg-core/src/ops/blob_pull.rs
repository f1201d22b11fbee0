//! Pulling a blob: streamed, verified, resumable.
//!
//! ```text
//! send GET (Range: bytes=<offset>- when resuming)
//!   --200/206--> Read, Read, ... (each chunk hashed, then written by the
//!                transport) --end--> verify size and digest --> Done
//!   --stream breaks--> send GET from the offset reached (up to 5 times)
//!   --other status--> Done(Err)
//! ```
//!
//! A registry that ignores `Range` answers 200 with the whole blob: the
//! bytes already delivered are skipped, so the sink still sees each byte
//! once. Nothing is reported as done before the digest matches.
//!
//! With a known size, no byte past it reaches the sink, fresh or resumed:
//! the chunk that crosses the size is cut there, and the pull fails with
//! a size mismatch at the next poll instead of reading on.

use std::ops::Range;

use http::StatusCode;

use super::exchange::Exchange;
use super::{fail, unexpected};
use super::{Context, Input, Operation, Response, Step};
use crate::auth::{Scope, Scopes};
use crate::digest::{Digest, Verifier};
use crate::error::{Error, TransportErrorKind};
use crate::headers::{ContentRange, RateLimit};
use crate::reference::Repository;
use crate::registry::Registry;
use crate::requests;

/// How far a pull is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PullProgress {
    /// Bytes verified and delivered so far.
    pub done: u64,
    /// The blob's size, when known.
    pub total: Option<u64>,
}

// A request is a few hundred bytes, moved once per network round trip.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Phase {
    Request(Exchange),
    Streaming,
    Finished(Result<Digest, Error>),
    Spent,
}

/// The most times a broken download is resumed.
const MAX_RESUMES: u32 = 5;

/// Downloads a blob, verifying it against its digest (and size).
#[derive(Debug)]
pub struct BlobPull {
    registry: Registry,
    repository: Repository,
    digest: Digest,
    size: Option<u64>,
    verifier: Verifier,
    phase: Phase,
    /// Bytes of the current response to drop before delivering (a 200
    /// answered to a ranged request).
    skip: u64,
    resumes: u32,
    delivered: u64,
    /// Bytes a registry sent past the known size (the pull then fails).
    excess: u64,
    rate_limit: Option<RateLimit>,
    /// Registries to try next when this one does not have the blob or
    /// fails (the mirrors after the one that served the manifest, then
    /// upstream).
    fallbacks: std::collections::VecDeque<Registry>,
}

impl BlobPull {
    /// Pulls `digest` from `repository`; `size`, when known (from a
    /// descriptor), is checked too.
    pub fn new(
        registry: &Registry,
        repository: &Repository,
        digest: Digest,
        size: Option<u64>,
    ) -> BlobPull {
        Self::resume_from(registry, repository, digest, size, 0, Verifier::new(digest))
    }

    /// Resumes a pull of which `verifier` has seen the first bytes (for a
    /// partial file: feed its bytes to a fresh [`Verifier`] first).
    pub fn resume_from(
        registry: &Registry,
        repository: &Repository,
        digest: Digest,
        size: Option<u64>,
        offset: u64,
        verifier: Verifier,
    ) -> BlobPull {
        let verifier = match size {
            Some(s) => verifier.with_expected_size(s),
            None => verifier,
        };
        let mut pull = BlobPull {
            registry: registry.clone(),
            repository: repository.clone(),
            digest,
            size,
            verifier,
            phase: Phase::Spent,
            skip: 0,
            resumes: 0,
            delivered: offset,
            excess: 0,
            rate_limit: None,
            fallbacks: Default::default(),
        };
        pull.phase = pull.request_from(offset);
        pull
    }

    /// Registries to try, in order, when the first does not have the blob
    /// (404) or fails: the pull moves on from the bytes it has verified,
    /// so every byte still reaches the sink once. A digest or size
    /// mismatch is not retried elsewhere: the bytes were delivered.
    ///
    /// Pulls that follow a manifest give the registry that served it
    /// first (see [`Registry::candidates_from`]), as docker does with
    /// mirrors.
    pub fn with_fallbacks(mut self, registries: impl IntoIterator<Item = Registry>) -> BlobPull {
        self.fallbacks.extend(registries);
        self
    }

    /// The registry being asked now.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The next request, from `offset`; none when every byte is there
    /// already (a complete partial file): then only verification is left,
    /// and a `Range` past the end would only get a 416.
    fn request_from(&mut self, offset: u64) -> Phase {
        if offset > 0 && self.size == Some(offset) {
            let verifier = std::mem::replace(&mut self.verifier, Verifier::new(self.digest));
            return Phase::Finished(verifier.finish().map_err(Error::Verify));
        }
        Phase::Request(self.exchange(offset))
    }

    fn exchange(&self, offset: u64) -> Exchange {
        let scopes: Scopes = [Scope::pull(&self.repository)].into_iter().collect();
        let req = requests::get_blob(&self.registry, &self.repository, &self.digest, offset);
        Exchange::streamed(&self.registry, scopes, req)
    }

    /// Bytes delivered so far, and the total when known.
    pub fn progress(&self) -> PullProgress {
        PullProgress {
            done: self.delivered,
            total: self.size,
        }
    }

    /// Docker Hub's rate-limit headers from the last response, if any.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }

    /// Hashes the new part of `chunk`, up to the known size, and says
    /// which part that is; bytes past the size are counted, not taken.
    fn accept_chunk(&mut self, chunk: &[u8]) -> Range<usize> {
        let skip = self.skip.min(chunk.len() as u64) as usize;
        self.skip -= skip as u64;
        let mut end = chunk.len();
        if let Some(size) = self.size {
            let room = size.saturating_sub(self.verifier.len());
            let room = usize::try_from(room).unwrap_or(usize::MAX);
            if end - skip > room {
                end = skip + room;
                self.excess = self.excess.saturating_add((chunk.len() - end) as u64);
            }
        }
        self.verifier.update(&chunk[skip..end]);
        self.delivered = self.delivered.saturating_add((end - skip) as u64);
        skip..end
    }

    fn on_head(&mut self, resp: Response) -> Result<(), Error> {
        let offset = self.verifier.len();
        self.rate_limit = RateLimit::from_headers(resp.headers()).or(self.rate_limit.take());
        match resp.status() {
            StatusCode::OK => {
                // The whole blob: skip what was already delivered.
                self.skip = offset;
                Ok(())
            }
            StatusCode::PARTIAL_CONTENT => {
                let range = resp
                    .headers()
                    .get(http::header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(ContentRange::parse);
                match range {
                    Some(r) if r.start == offset => {
                        self.skip = 0;
                        Ok(())
                    }
                    _ => Err(Error::Protocol {
                        url: String::new(),
                        message: format!(
                            "206 for a request from byte {offset} without a matching Content-Range"
                        ),
                    }),
                }
            }
            _ => Err(Error::Registry {
                method: "GET".into(),
                url: format!("/v2/{}/blobs/{}", self.repository, self.digest),
                status: resp.status().as_u16(),
                errors: crate::documents::ErrorBody::parse(resp.body()).unwrap_or_default(),
            }),
        }
    }
}

impl Operation for BlobPull {
    type Output = Digest;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<Digest> {
        loop {
            let failure = match std::mem::replace(&mut self.phase, Phase::Spent) {
                Phase::Request(mut ex) => match ex.poll(cx).into_response::<Digest>() {
                    Ok(resp) => match self.on_head(resp) {
                        Ok(()) => {
                            self.phase = Phase::Streaming;
                            return Step::Read;
                        }
                        Err(e) => e,
                    },
                    Err(Step::Done(Err(e))) => e,
                    Err(step) => {
                        self.phase = Phase::Request(ex);
                        return step;
                    }
                },
                Phase::Streaming if self.excess > 0 => {
                    return fail(Error::Verify(crate::digest::VerifyError::SizeMismatch {
                        digest: self.digest,
                        expected: self.size.unwrap_or(0),
                        actual: self.verifier.len().saturating_add(self.excess),
                    }))
                }
                Phase::Streaming => {
                    self.phase = Phase::Streaming;
                    return Step::Read;
                }
                Phase::Finished(Ok(digest)) => return Step::Done(Ok(digest)),
                Phase::Finished(Err(e)) => e,
                Phase::Spent => {
                    return fail(Error::InvalidInput {
                        what: "drive loop",
                        message: "polled after the pull finished".into(),
                    })
                }
            };
            // The current registry failed: move on to the next, from the
            // bytes verified so far (not after a mismatch: those bytes
            // were delivered).
            match self.fallbacks.pop_front() {
                Some(next) if !matches!(failure, Error::Verify(_)) => {
                    self.registry = next;
                    self.resumes = 0;
                    self.skip = 0;
                    self.phase = self.request_from(self.verifier.len());
                }
                _ => return fail(failure),
            }
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        match (input, &mut self.phase) {
            (Input::Chunk(chunk), Phase::Streaming) => return self.accept_chunk(chunk),
            (Input::End, Phase::Streaming) => {
                let verifier = std::mem::replace(&mut self.verifier, Verifier::new(self.digest));
                self.phase = Phase::Finished(verifier.finish().map_err(Error::Verify));
            }
            (Input::Error(error), Phase::Streaming) => {
                let resumable = matches!(
                    error.kind(),
                    TransportErrorKind::Interrupted
                        | TransportErrorKind::Timeout
                        | TransportErrorKind::Connect
                );
                self.phase = if resumable && self.resumes < MAX_RESUMES {
                    self.resumes = self.resumes.saturating_add(1);
                    self.request_from(self.verifier.len())
                } else {
                    Phase::Finished(Err(Error::Transport(error)))
                };
            }
            (input, Phase::Request(ex)) => return ex.handle(cx, input),
            (input, _) => {
                self.phase = Phase::Finished(Err(unexpected(&input)));
            }
        }
        0..0
    }
}
