//! Copying an image (all its platforms, or some) between repositories and
//! registries: blobs first (mounted within a registry, skipped when the
//! target has them, else streamed from the source straight into the
//! upload), then manifests, children before their index.

use std::collections::HashSet;

use futures_util::future::try_join_all;
use ocireg_core::digest::Digest;
use ocireg_core::manifest::{Descriptor, ImageIndex, Manifest, RawManifest};
use ocireg_core::ops::PushOutcome;
use ocireg_core::platform::Platform;
use ocireg_core::Reference;

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

impl Client {
    /// Copies the image `src` points at to `dst` (a tag, or no tag to keep
    /// only digests). Every byte is verified on the way.
    pub async fn copy(
        &self,
        src: &Reference,
        dst: &Reference,
        options: &CopyOptions,
    ) -> Result<CopyReport, Error> {
        let top = self.get_manifest(src).await?.manifest;
        let mut report = CopyReport {
            digest: top.digest(),
            manifests: 0,
            blobs_uploaded: 0,
            blobs_mounted: 0,
            blobs_existing: 0,
            bytes_uploaded: 0,
        };
        let top = match top.manifest() {
            Manifest::Index(index) | Manifest::DockerList(index) => {
                let keep: Vec<&Descriptor> = index
                    .manifests
                    .iter()
                    .filter(|d| match (&options.platforms, &d.platform) {
                        (None, _) => true,
                        (Some(wanted), Some(p)) => wanted.iter().any(|w| w.matches(p)),
                        (Some(_), None) => false,
                    })
                    .collect();
                if keep.is_empty() {
                    return Err(Error::Registry(ocireg_core::Error::InvalidInput {
                        what: "platforms",
                        message: "no entry of the index matches the wanted platforms".into(),
                    }));
                }
                for child in &keep {
                    let child_src = src.with_digest(child.digest).without_tag_keep_digest();
                    let raw = self.get_manifest(&child_src).await?.manifest;
                    self.copy_image(src, dst, &raw, &mut report).await?;
                    self.put_manifest(
                        &dst.with_digest(child.digest).without_tag_keep_digest(),
                        &raw,
                    )
                    .await?;
                    report.manifests += 1;
                }
                if keep.len() == index.manifests.len() {
                    top
                } else {
                    let mut filtered: ImageIndex = index.clone();
                    filtered.manifests = keep.into_iter().cloned().collect();
                    let manifest = match top.manifest() {
                        Manifest::DockerList(_) => Manifest::DockerList(filtered),
                        _ => Manifest::Index(filtered),
                    };
                    RawManifest::encode(&manifest)?
                }
            }
            _ => {
                self.copy_image(src, dst, &top, &mut report).await?;
                top
            }
        };
        self.put_manifest(dst, &top).await?;
        report.manifests += 1;
        report.digest = top.digest();
        Ok(report)
    }

    /// Copies the blobs of one image manifest, in parallel.
    async fn copy_image(
        &self,
        src: &Reference,
        dst: &Reference,
        raw: &RawManifest,
        report: &mut CopyReport,
    ) -> Result<(), Error> {
        let Some(image) = raw.manifest().as_image() else {
            return Ok(());
        };
        let mut seen = HashSet::new();
        let blobs: Vec<Descriptor> = std::iter::once(&image.config)
            .chain(image.layers.iter())
            .filter(|d| d.urls.is_empty() || !d.media_type.contains("foreign"))
            .filter(|d| seen.insert(d.digest))
            .cloned()
            .collect();
        let same_registry = self.registry(src.domain())? == self.registry(dst.domain())?;
        let jobs = blobs.iter().map(|d| async move {
            let _permit = self.semaphore().acquire_owned().await;
            let outcome = self.copy_blob(src, dst, d, same_registry).await?;
            Ok::<_, Error>((outcome, d.size))
        });
        for (outcome, size) in try_join_all(jobs).await? {
            match outcome {
                PushOutcome::Uploaded => {
                    report.blobs_uploaded += 1;
                    report.bytes_uploaded += size;
                }
                PushOutcome::Mounted => report.blobs_mounted += 1,
                _ => report.blobs_existing += 1,
            }
        }
        Ok(())
    }

    async fn copy_blob(
        &self,
        src: &Reference,
        dst: &Reference,
        d: &Descriptor,
        same_registry: bool,
    ) -> Result<PushOutcome, Error> {
        // Skip what the destination has; within a registry, mount.
        let from = src.repository();
        let mount_from = (same_registry && src.path() != dst.path()).then_some(&from);
        let skipped = self.skip_blob(dst, &d.digest, d.size, mount_from).await?;
        if skipped != PushOutcome::NotMounted {
            return Ok(skipped);
        }
        // Stream the bytes from the source straight into the upload.
        let (mut writer, reader) = tokio::io::duplex(1 << 20);
        let mut source = ReaderSource::new(reader);
        let pull = async {
            let r = self
                .pull_blob(src, &d.digest, Some(d.size), &mut writer)
                .await;
            drop(writer);
            r
        };
        let push = self.push_blob_with(dst, &d.digest, d.size, &mut source, None, false);
        let (pulled, pushed) = futures_util::future::join(pull, push).await;
        // A failed pull is the cause of a failed push: report it first.
        pulled?;
        pushed
    }
}

/// A reference helper: the same repository at a digest only.
trait DigestOnly {
    fn without_tag_keep_digest(&self) -> Reference;
}

impl DigestOnly for Reference {
    fn without_tag_keep_digest(&self) -> Reference {
        match self.digest() {
            Some(d) => self.without_tag_or_digest().with_digest(*d),
            None => self.clone(),
        }
    }
}
