//! The native driver of [`GraphPlan`]: it runs the plan's jobs, several at
//! once within the client's transfer limit, and reports each back. Every
//! decision (what to fetch, which blobs, mount, skip or stream, the order
//! of puts, platforms) is the plan's; a [`JobRunner`] only says how one
//! job is done for its source and destination (a registry, a layout).

use std::future::Future;

use futures_util::stream::{FuturesUnordered, StreamExt};
use ocireg_core::digest::Digest;
use ocireg_core::manifest::{Descriptor, RawManifest};
use ocireg_core::plan::{BlobJob, BlobOutcome, GraphPlan, GraphReport, Job, PutJob};
use ocireg_core::registry::Registry;
use ocireg_core::{Reference, Repository};
use tokio::io::AsyncWrite;
use tokio::sync::OwnedSemaphorePermit;

use crate::{Client, Error};

/// How the jobs of one kind of copy are done.
pub(crate) trait JobRunner: Sync {
    /// Gets the manifest `descriptor` names from the source (the plan
    /// verifies it).
    fn fetch_manifest(
        &self,
        descriptor: Descriptor,
    ) -> impl Future<Output = Result<RawManifest, Error>> + Send;

    /// Gets a blob to the destination, as `job.action` advises.
    fn blob(&self, job: BlobJob) -> impl Future<Output = Result<BlobOutcome, Error>> + Send;

    /// Puts (or writes) a manifest.
    fn put_manifest(&self, job: PutJob) -> impl Future<Output = Result<(), Error>> + Send;
}

/// A job done, ready to be reported to the plan.
enum Finished {
    Fetched(Digest, Box<RawManifest>),
    Blob(Digest, BlobOutcome),
    Put(Digest),
}

/// Runs `plan` to the end with `runner`: as many jobs at once as the
/// client's transfer limit lets through, asking the plan for more each
/// time one is reported. The first failure stops the run (jobs still
/// running are dropped).
pub(crate) async fn run<R: JobRunner>(
    client: &Client,
    plan: &mut GraphPlan,
    runner: &R,
) -> Result<GraphReport, Error> {
    let limit = client.semaphore();
    let mut running = FuturesUnordered::new();
    loop {
        // One permit per job: the limit is shared with everything else
        // the client does at the same time.
        while let Ok(permit) = limit.clone().try_acquire_owned() {
            let Some(job) = plan.next_jobs_up_to(1).pop() else {
                break;
            };
            running.push(run_job(runner, job, permit));
        }
        if running.is_empty() {
            if plan.is_done() {
                return Ok(plan.report());
            }
            // Every permit is taken by other work of this client: wait
            // for one.
            let permit = limit
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| Error::Setup(e.to_string()))?;
            match plan.next_jobs_up_to(1).pop() {
                Some(job) => running.push(run_job(runner, job, permit)),
                None => return Err(stalled()),
            }
            continue;
        }
        match running.next().await {
            Some(finished) => report(plan, finished?)?,
            None => return Err(stalled()),
        }
    }
}

async fn run_job<R: JobRunner>(
    runner: &R,
    job: Job,
    _permit: OwnedSemaphorePermit,
) -> Result<Finished, Error> {
    match job {
        Job::FetchManifest(descriptor) => {
            let digest = descriptor.digest;
            let manifest = runner.fetch_manifest(descriptor).await?;
            tracing::debug!(%digest, "manifest fetched");
            Ok(Finished::Fetched(digest, Box::new(manifest)))
        }
        Job::Blob(job) => {
            let digest = job.descriptor.digest;
            let outcome = runner.blob(job).await?;
            tracing::debug!(%digest, ?outcome, "blob done");
            Ok(Finished::Blob(digest, outcome))
        }
        Job::PutManifest(job) => {
            let digest = job.digest;
            runner.put_manifest(*job).await?;
            tracing::debug!(%digest, "manifest put");
            Ok(Finished::Put(digest))
        }
    }
}

fn report(plan: &mut GraphPlan, finished: Finished) -> Result<(), Error> {
    match finished {
        Finished::Fetched(digest, manifest) => plan.manifest_fetched(&digest, *manifest)?,
        Finished::Blob(digest, outcome) => plan.blob_done(&digest, outcome)?,
        Finished::Put(digest) => plan.manifest_put(&digest)?,
    }
    Ok(())
}

/// A plan with no job ready and none running that is not done: a bug in
/// the planner, reported instead of waiting forever.
fn stalled() -> Error {
    Error::Registry(ocireg_core::Error::InvalidInput {
        what: "image graph",
        message: "the plan has no job ready, none running, and is not done".to_string(),
    })
}

/// Where the rest of a pull comes from: the registry that served its top
/// manifest, then the later candidates (mirrors, upstream), asked only
/// for what the earlier ones do not have.
pub(crate) struct PullSource<'a> {
    client: &'a Client,
    repository: Repository,
    registries: Vec<Registry>,
}

impl<'a> PullSource<'a> {
    /// The source of a pull of `reference` whose top manifest `serving`
    /// answered.
    pub(crate) fn new(
        client: &'a Client,
        reference: &Reference,
        serving: &Registry,
    ) -> Result<Self, Error> {
        Ok(PullSource {
            client,
            repository: reference.repository(),
            registries: client.pull_candidates(serving, reference.domain())?,
        })
    }

    /// A child manifest, by its digest.
    pub(crate) async fn manifest(&self, descriptor: &Descriptor) -> Result<RawManifest, Error> {
        self.client
            .get_manifest_from(&self.registries, &self.repository, &descriptor.digest)
            .await
    }

    /// A blob into `writer`, verified.
    pub(crate) async fn blob_into<W: AsyncWrite + Unpin + Send>(
        &self,
        descriptor: &Descriptor,
        writer: &mut W,
    ) -> Result<Digest, Error> {
        let Descriptor { digest, size, .. } = descriptor;
        self.client
            .pull_blob_from(
                &self.registries,
                &self.repository,
                digest,
                Some(*size),
                writer,
            )
            .await
    }

    /// A blob into the file `path`, through `partial` until it verifies.
    pub(crate) async fn blob_to_file(
        &self,
        descriptor: &Descriptor,
        path: &std::path::Path,
        partial: &std::path::Path,
    ) -> Result<Digest, Error> {
        let Descriptor { digest, size, .. } = descriptor;
        let (registries, repository) = (&self.registries, &self.repository);
        self.client
            .pull_blob_to_file_from(registries, repository, digest, Some(*size), (path, partial))
            .await
    }
}

/// The reference a put job goes to in `destination`'s repository: the
/// job's tag (the top manifest's), else its own digest.
pub(crate) fn put_target(destination: &Reference, job: &PutJob) -> Result<Reference, Error> {
    let repository = destination.without_tag_or_digest();
    match &job.tag {
        Some(tag) => Ok(repository.with_tag(tag)?),
        None => Ok(repository.with_digest(job.digest)),
    }
}

/// Fails when `destination` names a digest the plan's top manifest does
/// not have (a platform filter rewrote it, or the reference is wrong):
/// nothing is copied then.
pub(crate) fn check_destination_digest(
    destination: &Reference,
    plan: &GraphPlan,
) -> Result<(), Error> {
    match destination.digest() {
        Some(wanted) if *wanted != plan.root() => {
            Err(Error::Registry(ocireg_core::Error::InvalidInput {
                what: "destination",
                message: format!(
                    "{destination} names {wanted}, but the image to put is {}",
                    plan.root()
                ),
            }))
        }
        _ => Ok(()),
    }
}

/// The algorithm a top manifest is addressed by: the one `reference`'s
/// digest uses, if it names one.
pub(crate) fn root_algorithm(references: &[&Reference]) -> ocireg_core::Algorithm {
    references
        .iter()
        .find_map(|r| r.digest())
        .map_or(ocireg_core::Algorithm::Sha256, Digest::algorithm)
}
