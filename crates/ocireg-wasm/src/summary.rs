//! [`Client::summary`]: what a registry UI shows for a tag, in as few
//! round trips as the protocol allows.
//!
//! ```text
//! GET manifest <tag>
//!   image manifest -> [GET config]                       -> summary
//!   index          -> at most max_parallel at once:
//!                       GET manifest <child digest>, each distinct child once
//!                       [GET config] (image configs only, each once)
//!                                                        -> summary
//! ```
//!
//! Every child of an index is summarized (attestation manifests too, with
//! their annotations), not only the first or the host's platform. The
//! core's [`SummaryPlan`] decides what to fetch and checks what comes
//! back; this file only keeps `max_parallel` of its jobs running.

use futures_util::future::Either;
use futures_util::stream::{FuturesUnordered, StreamExt};
use ocireg_core::ops::GetManifest;
use ocireg_core::summary::{GetConfig, ImageSummary, SummaryJob, SummaryPlan};
use ocireg_core::Repository;

use crate::{Client, Error};

impl Client {
    /// A summary of `reference` (tag or digest) for a UI: digest, total
    /// compressed size, creation date, every platform with its config and
    /// layers. Fetches children and configs with at most
    /// [`ClientBuilder::max_parallel`](crate::ClientBuilder::max_parallel)
    /// requests in flight.
    pub async fn summary(
        &self,
        repository: &Repository,
        reference: &str,
    ) -> Result<ImageSummary, Error> {
        let root = self.get_manifest(repository, reference).await?.manifest;
        let mut plan = SummaryPlan::new(root)?;
        let mut running = FuturesUnordered::new();
        loop {
            let room = self.max_parallel().saturating_sub(running.len());
            // The plan's jobs as the operations the client runs anyway
            // (`get_manifest`, `imageConfig`): no third type of operation
            // in the module.
            for job in plan.next_jobs_up_to(room) {
                let registry = self.registry();
                running.push(match job {
                    SummaryJob::FetchManifest { descriptor } => {
                        let op = GetManifest::by_digest(registry, repository, &descriptor.digest);
                        let digest = descriptor.digest;
                        Either::Left(async move { (digest, Either::Left(self.run(op).await)) })
                    }
                    SummaryJob::FetchConfig { descriptor } => {
                        let op = GetConfig::new(registry, repository, &descriptor);
                        let digest = descriptor.digest;
                        Either::Right(async move { (digest, Either::Right(self.run(op).await)) })
                    }
                });
            }
            let Some((digest, fetched)) = running.next().await else {
                break;
            };
            match fetched {
                Either::Left(manifest) => plan.manifest_fetched(&digest, manifest?.manifest)?,
                Either::Right(config) => plan.config_fetched(&digest, &config?)?,
            }
        }
        Ok(plan.finish()?)
    }
}
