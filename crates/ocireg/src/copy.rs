//! Copying an image graph (every platform, or some) between repositories
//! and registries. The core's [`GraphPlan`] decides everything: which
//! manifests and blobs, mount (within a registry), skip (the same
//! repository) or stream (another registry), the order of puts. This
//! driver runs its jobs: child manifests and blobs come from the registry
//! that served the top manifest (a Docker Hub mirror, say), then the later
//! candidates; streamed blobs go from the source straight into the upload.

use ocireg_core::digest::Digest;
use ocireg_core::manifest::{Descriptor, RawManifest};
use ocireg_core::ops::PushOutcome;
use ocireg_core::plan::{
    BlobAction, BlobJob, BlobOutcome, Destination, GraphOptions, GraphPlan, GraphReport, PutJob,
};
use ocireg_core::platform::Platform;
use ocireg_core::Reference;

use crate::graph::{self, JobRunner, PullSource};
use crate::source::ReaderSource;
use crate::{Client, Error};

/// What to copy.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct CopyOptions {
    /// Only these platforms of an index (`None`: every entry, so the
    /// index keeps its digest). A filtered index is rewritten and gets a
    /// new digest.
    pub platforms: Option<Vec<Platform>>,
}

impl CopyOptions {
    /// Copies only `platforms` of an index.
    pub fn platforms(mut self, platforms: Vec<Platform>) -> Self {
        self.platforms = Some(platforms);
        self
    }
}

/// What a copy did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyReport {
    /// The digest of the top manifest at the destination.
    pub digest: Digest,
    /// Manifests written.
    pub manifests: usize,
    /// Blobs uploaded byte by byte.
    pub blobs_uploaded: usize,
    /// Blobs mounted from the source repository (no byte moved).
    pub blobs_mounted: usize,
    /// Blobs the destination already had.
    pub blobs_existing: usize,
    /// Bytes uploaded.
    pub bytes_uploaded: u64,
}

impl From<GraphReport> for CopyReport {
    fn from(report: GraphReport) -> CopyReport {
        CopyReport {
            digest: report.root,
            manifests: report.manifests_put,
            blobs_uploaded: report.streamed.count,
            blobs_mounted: report.mounted.count,
            blobs_existing: report.skipped.count,
            bytes_uploaded: report.bytes_transferred,
        }
    }
}

impl Client {
    /// Copies the image graph `src` points at (indexes to any depth) to
    /// `dst` (a tag, or no tag to keep only digests). Every byte is
    /// verified on the way.
    pub async fn copy(
        &self,
        src: &Reference,
        dst: &Reference,
        options: &CopyOptions,
    ) -> Result<CopyReport, Error> {
        let top = self.get_manifest(src).await?;
        let destination = if self.registry(src.domain())? != self.registry(dst.domain())? {
            Destination::OtherRegistry
        } else if src.path() == dst.path() {
            Destination::SameRepository
        } else {
            Destination::SameRegistry {
                source_repository: src.repository(),
            }
        };
        let mut graph_options =
            GraphOptions::new(destination).root_algorithm(graph::root_algorithm(&[dst, src]));
        if let Some(platforms) = &options.platforms {
            graph_options = graph_options.platforms(platforms.clone());
        }
        let tag = dst.tag().map(str::to_string);
        let mut plan = GraphPlan::new(top.manifest, tag, graph_options)?;
        graph::check_destination_digest(dst, &plan)?;
        let runner = CopyJobs {
            client: self,
            source: PullSource::new(self, src, &top.registry)?,
            dst,
        };
        let report = graph::run(self, &mut plan, &runner).await?;
        Ok(report.into())
    }
}

/// The jobs of a copy to a registry.
struct CopyJobs<'a> {
    client: &'a Client,
    source: PullSource<'a>,
    dst: &'a Reference,
}

impl JobRunner for CopyJobs<'_> {
    async fn fetch_manifest(&self, descriptor: Descriptor) -> Result<RawManifest, Error> {
        self.source.manifest(&descriptor).await
    }

    async fn blob(&self, job: BlobJob) -> Result<BlobOutcome, Error> {
        let BlobJob { descriptor, action } = job;
        let mount_from = match &action {
            BlobAction::Skip => return Ok(BlobOutcome::Skipped),
            BlobAction::Mount { from } => Some(from),
            BlobAction::Stream => None,
        };
        // What the destination has, or can mount, moves no byte.
        let (digest, size) = (&descriptor.digest, descriptor.size);
        match self
            .client
            .skip_blob(self.dst, digest, size, mount_from)
            .await?
        {
            PushOutcome::Exists => Ok(BlobOutcome::Skipped),
            PushOutcome::Mounted => Ok(BlobOutcome::Mounted),
            _ => self.stream(&descriptor).await,
        }
    }

    async fn put_manifest(&self, job: PutJob) -> Result<(), Error> {
        let target = graph::put_target(self.dst, &job)?;
        self.client.put_manifest(&target, &job.manifest).await?;
        Ok(())
    }
}

impl CopyJobs<'_> {
    /// Streams a blob from the source straight into an upload.
    async fn stream(&self, descriptor: &Descriptor) -> Result<BlobOutcome, Error> {
        let (mut writer, reader) = tokio::io::duplex(1 << 20);
        let pull = async {
            let pulled = self.source.blob_into(descriptor, &mut writer).await;
            drop(writer);
            pulled
        };
        // The reader goes when the upload ends, so a refused upload ends
        // the download too (its writes fail) instead of filling the pipe.
        let push = async {
            let mut source = ReaderSource::new(reader);
            let (digest, size) = (&descriptor.digest, descriptor.size);
            self.client
                .push_blob_with(self.dst, digest, size, &mut source, None, false)
                .await
        };
        let (pulled, pushed) = futures_util::future::join(pull, push).await;
        match (pulled, pushed) {
            // The upload failed first; the download only lost its reader.
            (Err(Error::Sink(_)), Err(pushed)) => Err(pushed),
            // A failed download is the cause of a failed upload.
            (Err(pulled), _) => Err(pulled),
            (Ok(_), pushed) => match pushed? {
                PushOutcome::Exists => Ok(BlobOutcome::Skipped),
                PushOutcome::Mounted => Ok(BlobOutcome::Mounted),
                _ => Ok(BlobOutcome::Streamed(descriptor.size)),
            },
        }
    }
}
