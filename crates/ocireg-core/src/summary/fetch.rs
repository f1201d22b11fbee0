//! [`SummaryFetch`]: one [`SummaryJob`] as an operation, so that a driver
//! of a [`SummaryPlan`](super::SummaryPlan) only runs operations and
//! reports what they produce.

use std::ops::Range;

use super::SummaryJob;
use crate::digest::Digest;
use crate::manifest::RawManifest;
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
    Config(BlobPull),
}

/// Runs one [`SummaryJob`] against a repository: `GET` the manifest by
/// its digest, or stream the config blob (verified) into memory, keeping
/// at most the descriptor's size. The blob's bytes stay inside the
/// operation: a transport's sink gets nothing.
#[derive(Debug)]
pub struct SummaryFetch {
    digest: Digest,
    /// The most config bytes kept.
    size: u64,
    fetch: Fetch,
    bytes: Vec<u8>,
}

impl SummaryFetch {
    /// The operation for `job` in `repository` of `registry` (the one
    /// that served the top manifest).
    pub fn new(registry: &Registry, repository: &Repository, job: SummaryJob) -> SummaryFetch {
        let (fetch, descriptor) = match job {
            SummaryJob::FetchManifest { descriptor } => (
                Fetch::Manifest(GetManifest::by_digest(
                    registry,
                    repository,
                    &descriptor.digest,
                )),
                descriptor,
            ),
            SummaryJob::FetchConfig { descriptor } => (
                Fetch::Config(BlobPull::new(
                    registry,
                    repository,
                    descriptor.digest,
                    Some(descriptor.size),
                )),
                descriptor,
            ),
        };
        SummaryFetch {
            digest: descriptor.digest,
            size: descriptor.size,
            fetch,
            bytes: Vec::new(),
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
            Fetch::Config(op) => other_step(op.poll(cx)).map(|r| {
                r.map(|_| SummaryFetched::Config {
                    digest,
                    bytes: std::mem::take(&mut self.bytes),
                })
            }),
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
            Fetch::Config(op) => {
                let chunk = match &input {
                    Input::Chunk(chunk) => Some(*chunk),
                    _ => None,
                };
                let keep = op.handle(cx, input);
                if let Some(part) = chunk.and_then(|c| c.get(keep)) {
                    // A registry sending more than the size fails the
                    // pull at its next poll; keep no more than the size.
                    let room = usize::try_from(self.size)
                        .unwrap_or(usize::MAX)
                        .saturating_sub(self.bytes.len());
                    self.bytes.extend_from_slice(&part[..part.len().min(room)]);
                }
                0..0
            }
        }
    }
}
