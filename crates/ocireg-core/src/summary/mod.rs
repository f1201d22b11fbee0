//! What a UI or `inspect` shows for a tag: digest, total compressed size,
//! creation date, and every platform with its config, assembled from the
//! manifests and configs a transport fetched. No I/O: [`SummaryPlan`]
//! says what to fetch (the index's children, each once, and their image
//! configs, bounded by [`CONFIG_LIMIT`]) and checks what comes back; the
//! transports fetch, with bounded concurrency, and report.
//!
//! [`GetConfig`] reads one image config the same way (bounded by
//! [`CONFIG_LIMIT`], verified), for drivers that show a config by itself.
//!
//! ```
//! use ocireg_core::manifest::RawManifest;
//! use ocireg_core::summary::{ImageSummary, PlatformSummary};
//!
//! let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
//!   "config":{"mediaType":"application/vnd.oci.image.config.v1+json",
//!     "digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},
//!   "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",
//!     "digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}]}"#;
//! let raw = RawManifest::from_bytes(body.to_vec(), None).unwrap();
//! let summary = ImageSummary::assemble(&raw, vec![PlatformSummary::new(&raw, None, None)]);
//! // The config and the layer are the same blob: counted once.
//! assert_eq!(summary.total_size, 2);
//! assert_eq!(summary.platforms[0].layers, 1);
//! ```

mod fetch;
mod plan;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::config::ImageConfig;
use crate::dates::rfc3339_to_unix;
use crate::digest::Digest;
use crate::manifest::{media_type, Descriptor, RawManifest};

pub use fetch::{GetConfig, SummaryFetch, SummaryFetched};
pub use plan::{SummaryJob, SummaryPlan, CONFIG_LIMIT};

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
    /// platforms; `u64::MAX` when the sizes the manifests declare add up
    /// to more (saturated, never wrapped).
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
    /// Compressed size of its config and layers (saturated at
    /// `u64::MAX`).
    pub size: u64,
    /// Number of layers.
    pub layers: usize,
    /// Each layer: digest, size, media type.
    pub layer_details: Vec<LayerSummary>,
    /// The artifact type, for artifacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The index entry's annotations (attestations are marked there).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The image configuration, for images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigSummary>,
    /// The blobs (config and layers) this manifest uses.
    #[serde(skip)]
    blobs: Vec<(Digest, u64)>,
}

/// One layer of an image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LayerSummary {
    /// The layer's digest.
    pub digest: String,
    /// Its compressed size.
    pub size: u64,
    /// Its media type.
    pub media_type: String,
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

/// Whether a manifest's config descriptor is an image configuration (and
/// worth fetching for a summary), not an artifact's config.
pub fn is_image_config(descriptor: &Descriptor) -> bool {
    matches!(
        descriptor.media_type.as_str(),
        media_type::OCI_CONFIG | media_type::DOCKER_CONFIG
    )
}

impl PlatformSummary {
    /// The summary of one image manifest; `entry` is its descriptor in the
    /// index (for the platform and annotations), `config` its image
    /// configuration when fetched.
    pub fn new(
        raw: &RawManifest,
        entry: Option<&Descriptor>,
        config: Option<&ImageConfig>,
    ) -> PlatformSummary {
        let manifest = raw.manifest();
        let (blobs, layer_details): (Vec<(Digest, u64)>, Vec<LayerSummary>) =
            match manifest.as_image() {
                Some(m) => (
                    std::iter::once(&m.config)
                        .chain(&m.layers)
                        .map(|d| (d.digest, d.size))
                        .collect(),
                    m.layers
                        .iter()
                        .map(|l| LayerSummary {
                            digest: l.digest.to_string(),
                            size: l.size,
                            media_type: l.media_type.clone(),
                        })
                        .collect(),
                ),
                None => (Vec::new(), Vec::new()),
            };
        let layers = match manifest.as_image() {
            Some(m) => m.layers.len(),
            None => manifest.layer_digests().len(),
        };
        let config = config.map(ConfigSummary::from);
        let platform = entry
            .and_then(|d| d.platform.as_ref())
            .map(|p| p.to_string())
            .or_else(|| {
                config.as_ref().map(|c| match &c.variant {
                    Some(v) => format!("{}/{}/{v}", c.os, c.architecture),
                    None => format!("{}/{}", c.os, c.architecture),
                })
            });
        PlatformSummary {
            platform,
            digest: raw.digest().to_string(),
            media_type: raw.media_type().to_string(),
            size: saturating_sum(blobs.iter().map(|(_, s)| *s)),
            layers,
            layer_details,
            artifact_type: manifest.artifact_type().map(str::to_string),
            annotations: entry.map(|d| d.annotations.clone()).unwrap_or_default(),
            config,
            blobs,
        }
    }
}

impl ImageSummary {
    /// The summary of `root` (an image manifest or an index) from the
    /// summaries of its image manifests, in order.
    pub fn assemble(root: &RawManifest, platforms: Vec<PlatformSummary>) -> ImageSummary {
        // Platforms share layers (and sometimes configs): count each blob once.
        let blobs: HashMap<Digest, u64> = platforms
            .iter()
            .flat_map(|p| p.blobs.iter().copied())
            .collect();
        let created = platforms
            .iter()
            .filter_map(|p| p.config.as_ref()?.created.clone())
            .max_by_key(|c| rfc3339_to_unix(c).unwrap_or(i64::MIN));
        ImageSummary {
            digest: root.digest().to_string(),
            media_type: root.media_type().to_string(),
            is_index: root.manifest().kind().is_index(),
            total_size: saturating_sum(blobs.values().copied()),
            created,
            platforms,
        }
    }
}

/// The sum of sizes a registry declared, saturated at `u64::MAX`: two
/// layers of 2^63 bytes add up to "too many", not to 0.
fn saturating_sum(sizes: impl IntoIterator<Item = u64>) -> u64 {
    sizes.into_iter().fold(0, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ImageManifest, Manifest};

    #[test]
    fn sizes_saturate_instead_of_wrapping() {
        let config = Descriptor::for_bytes(media_type::OCI_CONFIG, b"{}");
        let layer = |seed: &[u8]| {
            let mut d = Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, seed);
            d.size = 1 << 63;
            d
        };
        let m = ImageManifest::new(
            media_type::OCI_MANIFEST,
            config,
            vec![layer(b"a"), layer(b"b")],
        );
        let raw = RawManifest::encode(&Manifest::Image(m)).unwrap();
        let platform = PlatformSummary::new(&raw, None, None);
        assert_eq!(platform.size, u64::MAX);
        let summary = ImageSummary::assemble(&raw, vec![platform]);
        assert_eq!(summary.total_size, u64::MAX);
        assert_eq!(summary.platforms[0].layer_details[1].size, 1 << 63);
    }
}
