//! [`SummaryFetch`]: one [`SummaryJob`] as an operation, so that a driver
//! of a [`SummaryPlan`](super::SummaryPlan) only runs operations and
//! reports what they produce; [`GetConfig`]: one image config by itself,
//! on the same fetch and within the same limit.

use std::ops::Range;

use super::plan::within_config_limit;
use super::SummaryJob;
use crate::digest::Digest;
use crate::error::Error;
use crate::manifest::{Descriptor, RawManifest};
use crate::ops::{fail, other_step};
use crate::ops::{BlobPull, Context, GetManifest, Input, Operation, Step};
use crate::reference::Repository;
use crate::registry::Registry;

/// What a [`SummaryFetch`] got, for [`SummaryPlan::report`](super::SummaryPlan::report).
// A manifest is about a kilobyte (its bytes are on the heap), handed over
// once per network round trip: not worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SummaryFetched {
    /// The manifest a [`SummaryJob::FetchManifest`] asked for.
    Manifest {
        /// The digest it was asked by.
        digest: Digest,
        /// The manifest.
        manifest: RawManifest,
    },
    /// The bytes of the config a [`SummaryJob::FetchConfig`] asked for.
    Config {
        /// The digest it was asked by.
        digest: Digest,
        /// The config blob (at most the descriptor's size).
        bytes: Vec<u8>,
    },
}

// A request is a few hundred bytes, moved once per network round trip.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Fetch {
    Manifest(GetManifest),
    Config(GetConfig),
}

/// Runs one [`SummaryJob`] against a repository: `GET` the manifest by
/// its digest ([`GetManifest`]), or the config into memory
/// ([`GetConfig`]). A driver that would rather not have one more
/// operation type (a browser build counts its bytes) runs those two
/// directly and reports with [`SummaryPlan::manifest_fetched`] and
/// [`SummaryPlan::config_fetched`](super::SummaryPlan::config_fetched).
///
/// [`SummaryPlan::manifest_fetched`]: super::SummaryPlan::manifest_fetched
#[derive(Debug)]
pub struct SummaryFetch {
    digest: Digest,
    fetch: Fetch,
}

impl SummaryFetch {
    /// The operation for `job` in `repository` of `registry` (the one
    /// that served the top manifest).
    pub fn new(registry: &Registry, repository: &Repository, job: SummaryJob) -> SummaryFetch {
        match job {
            SummaryJob::FetchManifest { descriptor } => SummaryFetch {
                digest: descriptor.digest,
                fetch: Fetch::Manifest(GetManifest::by_digest(
                    registry,
                    repository,
                    &descriptor.digest,
                )),
            },
            SummaryJob::FetchConfig { descriptor } => SummaryFetch {
                digest: descriptor.digest,
                fetch: Fetch::Config(GetConfig::new(registry, repository, &descriptor)),
            },
        }
    }
}

impl Operation for SummaryFetch {
    type Output = SummaryFetched;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<SummaryFetched> {
        let digest = self.digest;
        let done = match &mut self.fetch {
            Fetch::Manifest(op) => other_step(op.poll(cx)).map(|r| {
                r.map(|fetched| SummaryFetched::Manifest {
                    digest,
                    manifest: fetched.manifest,
                })
            }),
            Fetch::Config(op) => other_step(op.poll(cx))
                .map(|r| r.map(|bytes| SummaryFetched::Config { digest, bytes })),
        };
        match done {
            Ok(Ok(fetched)) => Step::Done(Ok(fetched)),
            Ok(Err(e)) => fail(e),
            Err(step) => step,
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        match &mut self.fetch {
            Fetch::Manifest(op) => op.handle(cx, input),
            Fetch::Config(op) => op.handle(cx, input),
        }
    }
}

/// Fetches an image config into memory, verified against the digest and
/// size of its descriptor: how a driver reads a config to show it (the
/// CLI's `config`, npm's `imageConfig`). A descriptor that declares more
/// than [`CONFIG_LIMIT`](super::CONFIG_LIMIT) bytes fails the first poll
/// with [`Error::DescriptorTooLarge`], before any request; no more bytes
/// than the descriptor declares are kept, and a registry that sends more
/// fails the fetch.
///
/// ```
/// use std::time::SystemTime;
/// use ocireg_core::auth::Session;
/// use ocireg_core::manifest::{media_type, Descriptor};
/// use ocireg_core::ops::{Context, Operation, Step};
/// use ocireg_core::registry::{Registry, Scheme};
/// use ocireg_core::summary::{GetConfig, CONFIG_LIMIT};
/// use ocireg_core::Error;
///
/// let registry = Registry::new(Scheme::Http, "localhost:5000")?;
/// let mut huge = Descriptor::for_bytes(media_type::OCI_CONFIG, b"{}");
/// huge.size = 1_500_000_000;
/// let mut op = GetConfig::new(&registry, &"app".parse()?, &huge);
/// let mut session = Session::default();
/// let mut cx = Context::new(SystemTime::now(), &mut session);
/// match op.poll(&mut cx) {
///     Step::Done(Err(Error::DescriptorTooLarge { limit, .. })) => assert_eq!(limit, CONFIG_LIMIT),
///     _ => unreachable!("refused before any request"),
/// }
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct GetConfig {
    pull: BlobPull,
    /// The most bytes kept (the descriptor's size).
    size: u64,
    bytes: Vec<u8>,
    /// The refusal the first poll returns.
    refused: Option<Error>,
}

impl GetConfig {
    /// The fetch of the config `descriptor` names, from `repository` of
    /// `registry`.
    pub fn new(registry: &Registry, repository: &Repository, descriptor: &Descriptor) -> GetConfig {
        GetConfig {
            pull: BlobPull::new(
                registry,
                repository,
                descriptor.digest,
                Some(descriptor.size),
            ),
            size: descriptor.size,
            bytes: Vec::new(),
            refused: within_config_limit(descriptor).err(),
        }
    }
}

impl Operation for GetConfig {
    type Output = Vec<u8>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<Vec<u8>> {
        if let Some(refused) = self.refused.take() {
            return fail(refused);
        }
        match other_step(self.pull.poll(cx)) {
            Ok(Ok(_)) => Step::Done(Ok(std::mem::take(&mut self.bytes))),
            Ok(Err(e)) => fail(e),
            Err(step) => step,
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        let chunk = match &input {
            Input::Chunk(chunk) => Some(*chunk),
            _ => None,
        };
        let keep = self.pull.handle(cx, input);
        if let Some(part) = chunk.and_then(|c| c.get(keep)) {
            // A registry sending more than the size fails the pull at its
            // next poll; keep no more than the size.
            let room = usize::try_from(self.size)
                .unwrap_or(usize::MAX)
                .saturating_sub(self.bytes.len());
            self.bytes.extend_from_slice(&part[..part.len().min(room)]);
        }
        // The bytes stay here: a transport's sink gets nothing.
        0..0
    }
}
