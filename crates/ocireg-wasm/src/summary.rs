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

use std::collections::{BTreeMap, HashMap};

use futures_util::stream::{self, StreamExt};
use ocireg_core::config::{rfc3339_to_unix, ImageConfig};
use ocireg_core::manifest::{Descriptor, RawManifest};
use serde::Serialize;

use crate::{Client, Error};

/// A tag (or digest) at a glance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ImageSummary {
    /// The manifest's digest.
    pub digest: String,
    /// The manifest's media type.
    pub media_type: String,
    /// Whether it is an index (multi-platform image).
    pub is_index: bool,
    /// Compressed size of every distinct config and layer blob, over all
    /// platforms.
    pub total_size: u64,
    /// The newest `created` date among the platforms' configs (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// One entry per manifest: the image itself, or every child of the
    /// index, in the index's order.
    pub platforms: Vec<PlatformSummary>,
}

/// One image manifest of a tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PlatformSummary {
    /// `os/architecture[/variant]`, from the index entry or the config.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The manifest's digest.
    pub digest: String,
    /// The manifest's media type.
    pub media_type: String,
    /// Compressed size of its config and layers.
    pub size: u64,
    /// Number of layers.
    pub layers: usize,
    /// The artifact type, for artifacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The index entry's annotations (attestations are marked there).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The image configuration, for images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigSummary>,
}

/// What an image configuration says, in short.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConfigSummary {
    /// Creation date (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Operating system.
    pub os: String,
    /// CPU architecture.
    pub architecture: String,
    /// CPU variant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// User to run as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Entrypoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Default command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// Environment (`NAME=value`).
    pub env: Vec<String>,
    /// Working directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Exposed ports (`80/tcp`).
    pub exposed_ports: Vec<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Number of history entries.
    pub history: usize,
}

impl From<&ImageConfig> for ConfigSummary {
    fn from(c: &ImageConfig) -> ConfigSummary {
        let container = c.config.clone().unwrap_or_default();
        ConfigSummary {
            created: c.created.clone(),
            author: c.author.clone(),
            os: c.os.clone(),
            architecture: c.architecture.clone(),
            variant: c.variant.clone(),
            user: container.user.filter(|u| !u.is_empty()),
            entrypoint: container.entrypoint,
            cmd: container.cmd,
            env: container.env,
            working_dir: container.working_dir.filter(|w| !w.is_empty()),
            exposed_ports: container.exposed_ports.into_iter().collect(),
            labels: container.labels,
            history: c.history.len(),
        }
    }
}

impl Client {
    /// A summary of `reference` (tag or digest) for a UI: digest, total
    /// compressed size, creation date, every platform with its config.
    /// Fetches children and configs with at most
    /// [`ClientBuilder::max_parallel`](crate::ClientBuilder::max_parallel)
    /// requests in flight.
    pub async fn summary(&self, repository: &str, reference: &str) -> Result<ImageSummary, Error> {
        let root = self.get_manifest(repository, reference).await?.manifest;
        let children: Vec<(PlatformSummary, Vec<Descriptor>)> = match root.manifest().as_index() {
            Some(index) => stream::iter(index.manifests.iter().cloned())
                .map(|entry| self.summarize_entry(repository, entry))
                .buffered(self.max_parallel())
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<_, Error>>()?,
            None => vec![self.summarize_manifest(repository, &root, None).await?],
        };
        let mut platforms = Vec::with_capacity(children.len());
        // Platforms share layers (and sometimes configs): count each blob once.
        let mut blobs: HashMap<ocireg_core::Digest, u64> = HashMap::new();
        for (platform, platform_blobs) in children {
            blobs.extend(platform_blobs.into_iter().map(|d| (d.digest, d.size)));
            platforms.push(platform);
        }
        let created = platforms
            .iter()
            .filter_map(|p| p.config.as_ref()?.created.clone())
            .max_by_key(|c| rfc3339_to_unix(c).unwrap_or(i64::MIN));
        Ok(ImageSummary {
            digest: root.digest().to_string(),
            media_type: root.media_type().to_string(),
            is_index: root.manifest().kind().is_index(),
            total_size: blobs.values().sum(),
            created,
            platforms,
        })
    }

    /// Fetches an index entry (verified against its digest) and
    /// summarizes it.
    async fn summarize_entry(
        &self,
        repository: &str,
        entry: Descriptor,
    ) -> Result<(PlatformSummary, Vec<Descriptor>), Error> {
        let fetched = self
            .get_manifest(repository, &entry.digest.to_string())
            .await?;
        self.summarize_manifest(repository, &fetched.manifest, Some(entry))
            .await
    }

    /// One platform's summary, and the blobs (config and layers) it uses.
    async fn summarize_manifest(
        &self,
        repository: &str,
        raw: &RawManifest,
        entry: Option<Descriptor>,
    ) -> Result<(PlatformSummary, Vec<Descriptor>), Error> {
        let manifest = raw.manifest();
        let blobs: Vec<Descriptor> = match manifest.as_image() {
            Some(m) => std::iter::once(&m.config)
                .chain(&m.layers)
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        let layers = match manifest.as_image() {
            Some(m) => m.layers.len(),
            None => manifest.layer_digests().len(),
        };
        let config = match manifest.config() {
            Some(c) if Client::is_image_config(c) => {
                Some(ConfigSummary::from(&self.get_config(repository, c).await?))
            }
            _ => None,
        };
        let platform = entry
            .as_ref()
            .and_then(|d| d.platform.as_ref())
            .map(|p| p.to_string())
            .or_else(|| {
                config.as_ref().map(|c| match &c.variant {
                    Some(v) => format!("{}/{}/{v}", c.os, c.architecture),
                    None => format!("{}/{}", c.os, c.architecture),
                })
            });
        let summary = PlatformSummary {
            platform,
            digest: raw.digest().to_string(),
            media_type: raw.media_type().to_string(),
            size: blobs.iter().map(|d| d.size).sum(),
            layers,
            artifact_type: manifest.artifact_type().map(str::to_string),
            annotations: entry.map(|d| d.annotations).unwrap_or_default(),
            config,
        };
        Ok((summary, blobs))
    }
}
