//! [`Client::summary`]: what a registry UI shows for a tag, in as few
//! round trips as the protocol allows.
//!
//! ```text
//! GET manifest <tag>
//!   image manifest -> [GET config]                       -> summary
//!   index          -> for every child, at most max_parallel at once:
//!                       GET manifest <child digest> (verified)
//!                       [GET config] (image configs only)
//!                                                        -> summary
//! ```
//!
//! Every child of an index is summarized (attestation manifests too, with
//! their annotations), not only the first or the host's platform.

use futures_util::stream::{self, StreamExt};
use ocireg_core::manifest::{Descriptor, RawManifest};
use ocireg_core::summary::{is_image_config, ImageSummary, PlatformSummary};
use ocireg_core::Repository;

use crate::{Client, Error};

impl Client {
    /// A summary of `reference` (tag or digest) for a UI: digest, total
    /// compressed size, creation date, every platform with its config and
    /// layers. Fetches children and configs with at most
    /// [`ClientBuilder::max_parallel`](crate::ClientBuilder::max_parallel)
    /// requests in flight; [`ocireg_core::summary`] assembles the result.
    pub async fn summary(
        &self,
        repository: &Repository,
        reference: &str,
    ) -> Result<ImageSummary, Error> {
        let root = self.get_manifest(repository, reference).await?.manifest;
        let platforms: Vec<PlatformSummary> = match root.manifest().as_index() {
            Some(index) => stream::iter(index.manifests.iter().cloned())
                .map(|entry| self.summarize_entry(repository, entry))
                .buffered(self.max_parallel())
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<_, Error>>()?,
            None => vec![self.summarize_manifest(repository, &root, None).await?],
        };
        Ok(ImageSummary::assemble(&root, platforms))
    }

    /// Fetches an index entry (verified against its digest) and
    /// summarizes it.
    async fn summarize_entry(
        &self,
        repository: &Repository,
        entry: Descriptor,
    ) -> Result<PlatformSummary, Error> {
        let fetched = self
            .get_manifest(repository, &entry.digest.to_string())
            .await?;
        self.summarize_manifest(repository, &fetched.manifest, Some(entry))
            .await
    }

    /// One platform's summary, with its config fetched when it is an image.
    async fn summarize_manifest(
        &self,
        repository: &Repository,
        raw: &RawManifest,
        entry: Option<Descriptor>,
    ) -> Result<PlatformSummary, Error> {
        let config = match raw.manifest().config() {
            Some(c) if is_image_config(c) => Some(self.get_config(repository, c).await?),
            _ => None,
        };
        Ok(PlatformSummary::new(raw, entry.as_ref(), config.as_ref()))
    }
}
