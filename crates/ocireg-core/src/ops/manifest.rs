//! Manifests: get, head, put, delete.
//!
//! ```text
//! GetManifest:    GET (full Accept) --200--> verify --> Done(Fetched)
//!                   verify: by digest, the bytes must hash to it; by tag,
//!                   a Docker-Content-Digest header must match the bytes
//! HeadManifest:   HEAD --200 + Docker-Content-Digest--> Done(ManifestHead)
//!                   \--200 without it--> GET, hash the bytes --> Done
//! PutManifest:    PUT (Content-Type) --201--> Done(PutOutcome)
//! Delete: DELETE by digest --202--> Done(())
//! AtDigest:       [HEAD <tag> -->] op(digest): DeleteManifest, ReferrersAt
//! ```

use std::ops::Range;

use http::header::{CONTENT_TYPE, LOCATION};
use http::StatusCode;
use url::Url;

use super::exchange::{redact_query, Exchange};
use super::referrers::Referrers;
use super::{fail, other_step};
use super::{Context, Input, Operation, Response, Step, MANIFEST_LIMIT, SMALL_BODY_LIMIT};
use crate::auth::{Scope, Scopes};
use crate::digest::{Digest, VerifyError};
use crate::error::Error;
use crate::headers::{self, RateLimit};
use crate::manifest::{ManifestKind, RawManifest};
use crate::reference::{grammar, Repository};
use crate::registry::Registry;
use crate::requests;

/// A fetched manifest with what the registry said about it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fetched {
    /// The manifest: exact bytes, media type, digest.
    pub manifest: RawManifest,
    /// Docker Hub's rate-limit headers, when sent.
    pub rate_limit: Option<RateLimit>,
    /// The registry that answered: a mirror, or the reference's own. The
    /// blobs of the same pull come from it first
    /// ([`Registry::candidates_from`]).
    pub registry: Registry,
}

/// The exchange `make` builds, when `reference` is a tag or a digest;
/// otherwise one that fails before sending anything (a tag such as
/// `../../x` or `a?b` would change the request's path or query).
fn checked(reference: &str, registry: &Registry, make: impl FnOnce() -> Exchange) -> Exchange {
    if grammar::is_tag(reference) || Digest::parse(reference).is_ok() {
        make()
    } else {
        Exchange::refused(
            registry,
            Error::InvalidInput {
                what: "manifest reference",
                message: format!("{reference:?} is neither a tag nor a digest"),
            },
        )
    }
}

fn pull_scopes(repository: &Repository) -> Scopes {
    [Scope::pull(repository)].into_iter().collect()
}

fn content_digest(resp: &Response) -> Result<Option<Digest>, Error> {
    match resp.headers().get(headers::DOCKER_CONTENT_DIGEST) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| Digest::parse(s.trim()).ok())
            .map(Some)
            .ok_or_else(|| Error::Protocol {
                url: String::new(),
                message: "malformed Docker-Content-Digest header".into(),
            }),
    }
}

/// Checks fetched manifest bytes against what they were asked by and what
/// the registry claims.
fn verify(raw: &RawManifest, asked: Option<&Digest>, claimed: Option<Digest>) -> Result<(), Error> {
    if let Some(d) = asked {
        raw.verify(*d)?;
    }
    // Schema 1 digests cover the payload without its signatures, so the
    // header cannot match the bytes.
    if let Some(claimed) = claimed {
        if raw.manifest().kind() != ManifestKind::Schema1 {
            raw.verify(claimed)?;
        }
    }
    Ok(())
}

/// `GET /v2/<name>/manifests/<reference>`.
#[derive(Debug)]
pub struct GetManifest {
    ex: Exchange,
    digest: Option<Digest>,
    registry: Registry,
}

impl GetManifest {
    /// The manifest `reference` (a tag or a digest string) of `repository`.
    pub fn new(registry: &Registry, repository: &Repository, reference: &str) -> GetManifest {
        let req = requests::get_manifest(registry, repository, reference);
        GetManifest {
            ex: checked(reference, registry, || {
                Exchange::buffered(registry, pull_scopes(repository), req, MANIFEST_LIMIT)
            }),
            digest: Digest::parse(reference).ok(),
            registry: registry.clone(),
        }
    }

    /// The manifest with `digest`; its bytes are verified against it.
    pub fn by_digest(registry: &Registry, repository: &Repository, digest: &Digest) -> GetManifest {
        GetManifest::new(registry, repository, &digest.to_string())
    }

    fn finish(&self, resp: Response) -> Result<Fetched, Error> {
        if resp.status() != StatusCode::OK {
            return Err(self.ex.status_error(&resp));
        }
        let claimed = content_digest(&resp).map_err(|e| self.at_url(e))?;
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let rate_limit = RateLimit::from_headers(resp.headers());
        let raw = RawManifest::from_bytes(resp.into_body(), content_type.as_deref())?;
        verify(&raw, self.digest.as_ref(), claimed)?;
        Ok(Fetched {
            manifest: raw,
            rate_limit,
            registry: self.registry.clone(),
        })
    }

    fn at_url(&self, e: Error) -> Error {
        match e {
            Error::Protocol { message, .. } => Error::Protocol {
                url: redact_query(self.ex.url()),
                message,
            },
            e => e,
        }
    }
}

impl Operation for GetManifest {
    type Output = Fetched;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<Fetched> {
        match self.ex.poll(cx).into_response() {
            Ok(resp) => Step::Done(self.finish(resp)),
            Err(step) => step,
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        self.ex.handle(cx, input)
    }
}

/// What a HEAD says about a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManifestHead {
    /// The manifest's digest.
    pub digest: Digest,
    /// Its media type, when the registry said.
    pub media_type: Option<String>,
    /// Its size in bytes, when the registry said.
    pub size: Option<u64>,
    /// Docker Hub's rate-limit headers, when sent.
    pub rate_limit: Option<RateLimit>,
}

/// `HEAD /v2/<name>/manifests/<reference>`, falling back to a GET when the
/// registry does not send `Docker-Content-Digest`.
#[derive(Debug)]
pub struct HeadManifest {
    registry: Registry,
    repository: Repository,
    reference: String,
    ex: Exchange,
    fallback: Option<GetManifest>,
}

impl HeadManifest {
    /// A HEAD of `reference` (tag or digest string) in `repository`.
    pub fn new(registry: &Registry, repository: &Repository, reference: &str) -> HeadManifest {
        let req = requests::head_manifest(registry, repository, reference);
        HeadManifest {
            ex: checked(reference, registry, || {
                Exchange::bodyless(registry, pull_scopes(repository), req)
            }),
            registry: registry.clone(),
            repository: repository.clone(),
            reference: reference.to_string(),
            fallback: None,
        }
    }
}

impl Operation for HeadManifest {
    type Output = ManifestHead;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<ManifestHead> {
        if let Some(get) = &mut self.fallback {
            return match other_step(get.poll(cx)) {
                Ok(Ok(f)) => Step::Done(Ok(ManifestHead {
                    digest: f.manifest.digest(),
                    media_type: Some(f.manifest.media_type().to_string()),
                    size: Some(f.manifest.bytes().len() as u64),
                    rate_limit: f.rate_limit,
                })),
                Ok(Err(e)) => fail(e),
                Err(step) => step,
            };
        }
        let resp = match self.ex.poll(cx).into_response() {
            Ok(r) => r,
            Err(step) => return step,
        };
        if resp.status() != StatusCode::OK {
            // A HEAD has no body to explain itself with: the status is
            // what there is.
            return fail(self.ex.status_error(&resp));
        }
        let claimed = content_digest(&resp).unwrap_or_default();
        match claimed {
            Some(digest) => Step::Done(Ok(ManifestHead {
                digest,
                media_type: resp
                    .headers()
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                size: headers::content_length(resp.headers()),
                rate_limit: RateLimit::from_headers(resp.headers()),
            })),
            None => {
                self.fallback = Some(GetManifest::new(
                    &self.registry,
                    &self.repository,
                    &self.reference,
                ));
                self.poll(cx)
            }
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        match &mut self.fallback {
            Some(get) => get.handle(cx, input),
            None => self.ex.handle(cx, input),
        }
    }
}

/// What a manifest PUT produced.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PutOutcome {
    /// The digest of the bytes sent (checked against the registry's
    /// `Docker-Content-Digest` when it sends one).
    pub digest: Digest,
    /// Where the registry says the manifest now is.
    pub location: Option<Url>,
}

/// `PUT /v2/<name>/manifests/<reference>`.
#[derive(Debug)]
pub struct PutManifest {
    ex: Exchange,
    digest: Digest,
}

impl PutManifest {
    /// Pushes `manifest` under `reference` (a tag, or its digest string).
    pub fn new(
        registry: &Registry,
        repository: &Repository,
        reference: &str,
        manifest: &RawManifest,
    ) -> PutManifest {
        let req = requests::put_manifest(
            registry,
            repository,
            reference,
            manifest.media_type(),
            manifest.bytes().to_vec(),
        );
        PutManifest {
            ex: checked(reference, registry, || {
                let scopes = [Scope::push(repository)].into_iter().collect();
                Exchange::buffered(registry, scopes, req, SMALL_BODY_LIMIT)
            }),
            digest: manifest.digest(),
        }
    }
}

impl Operation for PutManifest {
    type Output = PutOutcome;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<PutOutcome> {
        let resp = match self.ex.poll(cx).into_response() {
            Ok(r) => r,
            Err(step) => return step,
        };
        if !resp.status().is_success() {
            return fail(self.ex.status_error(&resp));
        }
        if let Ok(Some(claimed)) = content_digest(&resp) {
            if claimed.algorithm() == self.digest.algorithm() && claimed != self.digest {
                return fail(Error::Verify(VerifyError::DigestMismatch {
                    expected: self.digest,
                    actual: claimed,
                }));
            }
        }
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| headers::location(v, self.ex.url()).ok());
        Step::Done(Ok(PutOutcome {
            digest: self.digest,
            location,
        }))
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        self.ex.handle(cx, input)
    }
}

/// `DELETE` of a manifest or blob by digest. Registries answer 202; a
/// registry with deletion disabled answers 405 `UNSUPPORTED`, reported as
/// [`Error::Registry`].
#[derive(Debug)]
pub struct Delete {
    ex: Exchange,
}

impl Delete {
    /// Deletes the manifest `digest` (and with it every tag pointing at
    /// it).
    pub fn manifest(registry: &Registry, repository: &Repository, digest: &Digest) -> Delete {
        Self::with(
            registry,
            repository,
            requests::delete_manifest(registry, repository, digest),
        )
    }

    /// Deletes the blob `digest` from `repository`.
    pub fn blob(registry: &Registry, repository: &Repository, digest: &Digest) -> Delete {
        Self::with(
            registry,
            repository,
            requests::delete_blob(registry, repository, digest),
        )
    }

    fn with(
        registry: &Registry,
        repository: &Repository,
        req: http::Request<super::RequestBody>,
    ) -> Delete {
        let scopes = [Scope::delete(repository)].into_iter().collect();
        Delete {
            ex: Exchange::buffered(registry, scopes, req, SMALL_BODY_LIMIT),
        }
    }
}

impl Operation for Delete {
    type Output = ();

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<()> {
        match self.ex.poll(cx).into_response() {
            Ok(resp) if resp.status().is_success() => Step::Done(Ok(())),
            Ok(resp) => fail(self.ex.status_error(&resp)),
            Err(step) => step,
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        self.ex.handle(cx, input)
    }
}

/// An operation on a manifest by digest, for a reference that may be a
/// tag: a tag is first resolved with `HEAD` (which costs no pull on Docker
/// Hub), then the operation runs on the digest. Deleting and listing
/// referrers both need a digest; this is the one place that gets it.
///
/// ```text
/// tag:    HEAD manifest <tag> --digest--> op(digest) --> Done((digest, output))
/// digest: op(digest) --> Done((digest, output))
/// ```
pub struct AtDigest<O> {
    head: Option<HeadManifest>,
    make: Option<Box<dyn FnOnce(Digest) -> O + Send>>,
    inner: Option<(Digest, O)>,
}

impl<O: std::fmt::Debug> std::fmt::Debug for AtDigest<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtDigest")
            .field("head", &self.head)
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<O: Operation> AtDigest<O> {
    /// Runs the operation `make` builds for the digest `reference` (a tag
    /// or a digest string) of `repository` names.
    pub fn new(
        registry: &Registry,
        repository: &Repository,
        reference: &str,
        make: impl FnOnce(Digest) -> O + Send + 'static,
    ) -> AtDigest<O> {
        match Digest::parse(reference) {
            Ok(digest) => AtDigest {
                head: None,
                make: None,
                inner: Some((digest, make(digest))),
            },
            Err(_) => AtDigest {
                head: Some(HeadManifest::new(registry, repository, reference)),
                make: Some(Box::new(make)),
                inner: None,
            },
        }
    }
}

/// Deletes the manifest a reference names (a tag is resolved first;
/// registries delete manifests by digest only, and registry 2.8.2
/// answers a `DELETE` by tag with 400 `DIGEST_INVALID`). Deleting a
/// manifest removes every tag that points at it. The output is the digest
/// deleted.
pub type DeleteManifest = AtDigest<Delete>;

impl AtDigest<Delete> {
    /// Deletes what `reference` (a tag or a digest string) of
    /// `repository` points at.
    pub fn delete_manifest(registry: &Registry, repository: &Repository, reference: &str) -> Self {
        let (r, repo) = (registry.clone(), repository.clone());
        AtDigest::new(registry, repository, reference, move |d| {
            Delete::manifest(&r, &repo, &d)
        })
    }
}

/// Lists the referrers of the manifest a reference names (a tag is
/// resolved first; the referrers API and its tag-schema fallback take a
/// digest). The output is the subject's digest and its referrers.
pub type ReferrersAt = AtDigest<Referrers>;

impl AtDigest<Referrers> {
    /// The referrers of what `reference` (a tag or a digest string) of
    /// `repository` points at, only those of `artifact_type` when given.
    pub fn referrers(
        registry: &Registry,
        repository: &Repository,
        reference: &str,
        artifact_type: Option<&str>,
    ) -> Self {
        let (r, repo) = (registry.clone(), repository.clone());
        let artifact_type = artifact_type.map(str::to_string);
        AtDigest::new(registry, repository, reference, move |d| {
            Referrers::new(&r, &repo, d, artifact_type.as_deref())
        })
    }
}

impl<O: Operation> Operation for AtDigest<O> {
    type Output = (Digest, O::Output);

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        if let Some(head) = &mut self.head {
            match other_step(head.poll(cx)) {
                Ok(Ok(found)) => {
                    self.head = None;
                    match self.make.take() {
                        Some(make) => self.inner = Some((found.digest, make(found.digest))),
                        None => return fail(unexpected_poll()),
                    }
                }
                Ok(Err(e)) => return fail(e),
                Err(step) => return step,
            }
        }
        match &mut self.inner {
            Some((digest, op)) => match other_step(op.poll(cx)) {
                Ok(result) => Step::Done(result.map(|out| (*digest, out))),
                Err(step) => step,
            },
            None => fail(unexpected_poll()),
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        match (&mut self.head, &mut self.inner) {
            (Some(head), _) => head.handle(cx, input),
            (None, Some((_, op))) => op.handle(cx, input),
            (None, None) => 0..0,
        }
    }
}

fn unexpected_poll() -> Error {
    Error::InvalidInput {
        what: "drive loop",
        message: "polled after the operation finished".into(),
    }
}

/// `HEAD /v2/<name>/blobs/<digest>`: the blob's size when the registry has
/// it, `None` when it answers 404, an [`Error::Protocol`] when a 200 has no
/// usable `Content-Length`.
#[derive(Debug)]
pub struct HeadBlob {
    ex: Exchange,
}

impl HeadBlob {
    /// Asks whether `repository` has `digest`.
    pub fn new(registry: &Registry, repository: &Repository, digest: &Digest) -> HeadBlob {
        let req = requests::head_blob(registry, repository, digest);
        HeadBlob {
            ex: Exchange::bodyless(registry, pull_scopes(repository), req),
        }
    }
}

impl Operation for HeadBlob {
    type Output = Option<u64>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<Option<u64>> {
        match self.ex.poll(cx).into_response() {
            // A size the registry did not give is an error, not zero.
            Ok(resp) if resp.status() == StatusCode::OK => {
                match headers::content_length(resp.headers()) {
                    Some(size) => Step::Done(Ok(Some(size))),
                    None => fail(
                        self.ex
                            .protocol("the blob's HEAD answered 200 without a Content-Length"),
                    ),
                }
            }
            Ok(resp) if resp.status() == StatusCode::NOT_FOUND => Step::Done(Ok(None)),
            Ok(resp) => fail(self.ex.status_error(&resp)),
            Err(step) => step,
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        self.ex.handle(cx, input)
    }
}
