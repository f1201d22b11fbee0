//! Manifests: OCI image manifests and indexes, Docker schema 2 manifests
//! and manifest lists, and Docker schema 1 (read-only).
//!
//! A manifest's digest is the hash of the exact bytes the registry stores,
//! so [`RawManifest`] keeps those bytes next to the parsed [`Manifest`] and
//! the digest computed from them; re-encoding parsed JSON would give other
//! bytes and another digest.
//!
//! The kind of a manifest comes from the `Content-Type` header when it
//! names a manifest type (parameters and case are ignored), else from the
//! document's `mediaType`, else from its shape: a `manifests` array is an
//! OCI index, `config` and `layers` an OCI image manifest, `fsLayers` or
//! `schemaVersion: 1` Docker schema 1. A header and a `mediaType` that
//! disagree are an error.
//!
//! ```
//! use ocireg_core::manifest::{media_type, Manifest, RawManifest};
//! use ocireg_core::Digest;
//!
//! let body = br#"{
//!   "schemaVersion": 2,
//!   "mediaType": "application/vnd.oci.image.manifest.v1+json",
//!   "config": {
//!     "mediaType": "application/vnd.oci.image.config.v1+json",
//!     "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
//!     "size": 2
//!   },
//!   "layers": []
//! }"#;
//! let raw = RawManifest::from_bytes(body.to_vec(), Some("application/vnd.oci.image.manifest.v1+json"))?;
//! assert_eq!(raw.digest(), Digest::sha256(body));
//! assert_eq!(raw.media_type(), media_type::OCI_MANIFEST);
//! let Manifest::Image(image) = raw.manifest() else { panic!("not an image manifest") };
//! assert_eq!(image.total_size(), 2);
//!
//! // Encoding gives new bytes, and with them a new digest.
//! let encoded = raw.manifest().to_raw()?;
//! assert_eq!(encoded.manifest(), raw.manifest());
//! assert_ne!(encoded.digest(), raw.digest());
//! # Ok::<(), ocireg_core::manifest::ManifestError>(())
//! ```

use std::fmt;

use serde::de::IgnoredAny;
use serde::Deserialize;

mod descriptor;
mod image;
mod index;
pub(crate) mod json;
pub mod media_type;
mod schema1;

pub use descriptor::Descriptor;
pub use image::ImageManifest;
pub use index::ImageIndex;
pub use schema1::{FsLayer, Schema1History, Schema1Manifest};

use crate::digest::{Algorithm, Digest, Verifier, VerifyError};

/// The kinds of manifest this crate understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ManifestKind {
    /// OCI image manifest.
    Image,
    /// OCI image index.
    Index,
    /// Docker image manifest, schema 2.
    DockerV2,
    /// Docker manifest list.
    DockerList,
    /// Docker image manifest, schema 1 (signed or not).
    Schema1,
}

impl ManifestKind {
    /// The kind named by a media type or `Content-Type` value (parameters
    /// and case ignored); `None` for anything else.
    pub fn from_media_type(media_type: &str) -> Option<ManifestKind> {
        match media_type::essence(media_type).as_str() {
            media_type::OCI_MANIFEST => Some(ManifestKind::Image),
            media_type::OCI_INDEX => Some(ManifestKind::Index),
            media_type::DOCKER_MANIFEST => Some(ManifestKind::DockerV2),
            media_type::DOCKER_MANIFEST_LIST => Some(ManifestKind::DockerList),
            media_type::DOCKER_SCHEMA1 | media_type::DOCKER_SCHEMA1_SIGNED => {
                Some(ManifestKind::Schema1)
            }
            _ => None,
        }
    }

    /// The media type of this kind (for schema 1, the signed one).
    pub fn media_type(self) -> &'static str {
        match self {
            ManifestKind::Image => media_type::OCI_MANIFEST,
            ManifestKind::Index => media_type::OCI_INDEX,
            ManifestKind::DockerV2 => media_type::DOCKER_MANIFEST,
            ManifestKind::DockerList => media_type::DOCKER_MANIFEST_LIST,
            ManifestKind::Schema1 => media_type::DOCKER_SCHEMA1_SIGNED,
        }
    }

    /// Whether manifests of this kind list other manifests.
    pub fn is_index(self) -> bool {
        matches!(self, ManifestKind::Index | ManifestKind::DockerList)
    }

    /// The `schemaVersion` documents of this kind have.
    pub fn schema_version(self) -> u32 {
        match self {
            ManifestKind::Schema1 => 1,
            _ => 2,
        }
    }
}

impl fmt::Display for ManifestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ManifestKind::Image => "OCI image manifest",
            ManifestKind::Index => "OCI image index",
            ManifestKind::DockerV2 => "Docker schema 2 manifest",
            ManifestKind::DockerList => "Docker manifest list",
            ManifestKind::Schema1 => "Docker schema 1 manifest",
        })
    }
}

/// A manifest that could not be read or written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The bytes are not one well-formed JSON object.
    #[error("manifest is not a well-formed JSON object: {0}")]
    Syntax(String),
    /// The document's `mediaType` is not a manifest type this crate reads.
    #[error("unsupported manifest media type {0}")]
    UnsupportedMediaType(String),
    /// The `Content-Type` header and the document's `mediaType` disagree,
    /// or (when encoding) the variant and its `media_type` field do.
    #[error("manifest media type mismatch: {declared} declared, {found} in the document")]
    MediaTypeMismatch {
        /// The media type the header or the variant says.
        declared: String,
        /// The media type the document says.
        found: String,
    },
    /// No media type names a known kind, and the document's shape does not
    /// tell either.
    #[error("cannot tell the manifest type: no known media type and no manifests, config and layers, or fsLayers field")]
    UnknownKind,
    /// `schemaVersion` is missing or wrong for the kind.
    #[error("{kind} must have schemaVersion {expected}, found {found}")]
    SchemaVersion {
        /// The kind the manifest was read as.
        kind: ManifestKind,
        /// The schema version that kind has.
        expected: u32,
        /// The JSON found instead (`missing` when absent).
        found: String,
    },
    /// The document does not fit its kind: a bad digest, a negative size,
    /// a missing required field, a wrong JSON type.
    #[error("invalid {kind}: {message}")]
    Invalid {
        /// The kind the manifest was read as.
        kind: ManifestKind,
        /// What serde found wrong, with line and column.
        message: String,
    },
    /// Schema 1 manifests can be read, not written.
    #[error("Docker schema 1 manifests are read-only")]
    Schema1ReadOnly,
}

/// A parsed manifest of any supported kind.
///
/// OCI and Docker manifests share their structs and differ by variant.
/// To keep the bytes and the digest, use [`RawManifest`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Manifest {
    /// OCI image manifest.
    Image(ImageManifest),
    /// OCI image index.
    Index(ImageIndex),
    /// Docker image manifest, schema 2.
    DockerV2(ImageManifest),
    /// Docker manifest list.
    DockerList(ImageIndex),
    /// Docker image manifest, schema 1 (read-only).
    Schema1(Schema1Manifest),
}

/// Just enough of any manifest to tell its kind.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "schemaVersion", default)]
    schema_version: Option<serde_json::Value>,
    #[serde(rename = "mediaType", default)]
    media_type: Option<serde_json::Value>,
    #[serde(default)]
    manifests: Option<IgnoredAny>,
    #[serde(default)]
    config: Option<IgnoredAny>,
    #[serde(default)]
    layers: Option<IgnoredAny>,
    #[serde(rename = "fsLayers", default)]
    fs_layers: Option<IgnoredAny>,
}

impl Probe {
    fn sniff(&self) -> Option<ManifestKind> {
        if self.manifests.is_some() {
            Some(ManifestKind::Index)
        } else if self.config.is_some() && self.layers.is_some() {
            Some(ManifestKind::Image)
        } else if self.fs_layers.is_some()
            || self.schema_version.as_ref().and_then(|v| v.as_u64()) == Some(1)
        {
            Some(ManifestKind::Schema1)
        } else {
            None
        }
    }
}

impl Manifest {
    /// Parses a manifest; `content_type` is the response's `Content-Type`
    /// header, if any. A header that names no manifest type (such as
    /// `application/json`) is ignored.
    pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Manifest, ManifestError> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return Err(ManifestError::Syntax("expected a JSON object".to_string()));
        }
        let probe: Probe =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::Syntax(e.to_string()))?;

        let declared = content_type.and_then(ManifestKind::from_media_type);
        let found = match &probe.media_type {
            None => None,
            Some(serde_json::Value::String(s)) => match ManifestKind::from_media_type(s) {
                Some(kind) => Some(kind),
                None => return Err(ManifestError::UnsupportedMediaType(s.clone())),
            },
            Some(other) => return Err(ManifestError::UnsupportedMediaType(other.to_string())),
        };
        let kind = match (declared, found) {
            (Some(d), Some(f)) if d != f => {
                return Err(ManifestError::MediaTypeMismatch {
                    declared: d.media_type().to_string(),
                    found: f.media_type().to_string(),
                })
            }
            (Some(kind), _) | (None, Some(kind)) => kind,
            (None, None) => probe.sniff().ok_or(ManifestError::UnknownKind)?,
        };

        let expected = kind.schema_version();
        let version = probe.schema_version.as_ref();
        if version.and_then(|v| v.as_u64()) != Some(u64::from(expected)) {
            return Err(ManifestError::SchemaVersion {
                kind,
                expected,
                found: version.map_or("missing".to_string(), |v| v.to_string()),
            });
        }

        let invalid = |e: serde_json::Error| ManifestError::Invalid {
            kind,
            message: e.to_string(),
        };
        Ok(match kind {
            ManifestKind::Image => Manifest::Image(serde_json::from_slice(bytes).map_err(invalid)?),
            ManifestKind::Index => Manifest::Index(serde_json::from_slice(bytes).map_err(invalid)?),
            ManifestKind::DockerV2 => {
                Manifest::DockerV2(serde_json::from_slice(bytes).map_err(invalid)?)
            }
            ManifestKind::DockerList => {
                Manifest::DockerList(serde_json::from_slice(bytes).map_err(invalid)?)
            }
            ManifestKind::Schema1 => {
                Manifest::Schema1(serde_json::from_slice(bytes).map_err(invalid)?)
            }
        })
    }

    /// The kind of manifest.
    pub fn kind(&self) -> ManifestKind {
        match self {
            Manifest::Image(_) => ManifestKind::Image,
            Manifest::Index(_) => ManifestKind::Index,
            Manifest::DockerV2(_) => ManifestKind::DockerV2,
            Manifest::DockerList(_) => ManifestKind::DockerList,
            Manifest::Schema1(_) => ManifestKind::Schema1,
        }
    }

    /// The media type to send it with: the kind's, and for schema 1 the
    /// signed or unsigned one as the manifest is.
    pub fn media_type(&self) -> &'static str {
        match self {
            Manifest::Schema1(m) if !m.is_signed() => media_type::DOCKER_SCHEMA1,
            _ => self.kind().media_type(),
        }
    }

    /// The image manifest, OCI or Docker schema 2.
    pub fn as_image(&self) -> Option<&ImageManifest> {
        match self {
            Manifest::Image(m) | Manifest::DockerV2(m) => Some(m),
            _ => None,
        }
    }

    /// The index, OCI or Docker manifest list.
    pub fn as_index(&self) -> Option<&ImageIndex> {
        match self {
            Manifest::Index(m) | Manifest::DockerList(m) => Some(m),
            _ => None,
        }
    }

    /// The schema 1 manifest.
    pub fn as_schema1(&self) -> Option<&Schema1Manifest> {
        match self {
            Manifest::Schema1(m) => Some(m),
            _ => None,
        }
    }

    /// The config descriptor of an image manifest.
    pub fn config(&self) -> Option<&Descriptor> {
        self.as_image().map(ImageManifest::config)
    }

    /// The layer digests in pull order (base first), for image manifests of
    /// every schema; empty for an index.
    pub fn layer_digests(&self) -> Vec<Digest> {
        match self {
            Manifest::Image(m) | Manifest::DockerV2(m) => {
                m.layers.iter().map(|l| l.digest).collect()
            }
            Manifest::Schema1(m) => m.layers(),
            Manifest::Index(_) | Manifest::DockerList(_) => Vec::new(),
        }
    }

    /// The manifest this one refers to, for artifacts.
    pub fn subject(&self) -> Option<&Descriptor> {
        match self {
            Manifest::Image(m) | Manifest::DockerV2(m) => m.subject.as_ref(),
            Manifest::Index(m) | Manifest::DockerList(m) => m.subject.as_ref(),
            Manifest::Schema1(_) => None,
        }
    }

    /// The declared artifact type, if any.
    pub fn artifact_type(&self) -> Option<&str> {
        match self {
            Manifest::Image(m) | Manifest::DockerV2(m) => m.artifact_type.as_deref(),
            Manifest::Index(m) | Manifest::DockerList(m) => m.artifact_type.as_deref(),
            Manifest::Schema1(_) => None,
        }
    }

    /// Encodes the manifest as compact JSON. Fails for schema 1, for a
    /// `schemaVersion` other than 2, and for a `media_type` field that
    /// names another kind than the variant.
    pub fn encode(&self) -> Result<Vec<u8>, ManifestError> {
        let kind = self.kind();
        let (schema_version, field) = match self {
            Manifest::Image(m) | Manifest::DockerV2(m) => (m.schema_version, &m.media_type),
            Manifest::Index(m) | Manifest::DockerList(m) => (m.schema_version, &m.media_type),
            Manifest::Schema1(_) => return Err(ManifestError::Schema1ReadOnly),
        };
        if schema_version != 2 {
            return Err(ManifestError::SchemaVersion {
                kind,
                expected: 2,
                found: schema_version.to_string(),
            });
        }
        if let Some(found) = field {
            if ManifestKind::from_media_type(found) != Some(kind) {
                return Err(ManifestError::MediaTypeMismatch {
                    declared: kind.media_type().to_string(),
                    found: found.clone(),
                });
            }
        }
        let encoded = match self {
            Manifest::Image(m) | Manifest::DockerV2(m) => serde_json::to_vec(m),
            Manifest::Index(m) | Manifest::DockerList(m) => serde_json::to_vec(m),
            Manifest::Schema1(_) => return Err(ManifestError::Schema1ReadOnly),
        };
        // Serializing these plain structs cannot fail; map it all the same.
        encoded.map_err(|e| ManifestError::Invalid {
            kind,
            message: e.to_string(),
        })
    }

    /// Encodes the manifest and keeps the bytes with their digest.
    pub fn to_raw(&self) -> Result<RawManifest, ManifestError> {
        RawManifest::encode(self)
    }
}

/// A manifest with the exact bytes it came as (or was encoded to), their
/// media type and their sha256 digest.
///
/// The fields are private so the three always agree.
#[derive(Clone, PartialEq, Eq)]
pub struct RawManifest {
    bytes: Vec<u8>,
    media_type: String,
    digest: Digest,
    manifest: Manifest,
}

impl RawManifest {
    /// Reads a manifest from a response body and its `Content-Type` header
    /// (see [`Manifest::parse`]). The bytes are kept exactly.
    pub fn from_bytes(
        bytes: impl Into<Vec<u8>>,
        content_type: Option<&str>,
    ) -> Result<RawManifest, ManifestError> {
        let bytes = bytes.into();
        let manifest = Manifest::parse(&bytes, content_type)?;
        // A header naming this kind says exactly which media type the
        // registry stored (for schema 1, signed or not); keep that.
        let media_type = match content_type {
            Some(ct) if ManifestKind::from_media_type(ct) == Some(manifest.kind()) => {
                media_type::essence(ct)
            }
            _ => manifest.media_type().to_string(),
        };
        Ok(RawManifest {
            digest: Digest::sha256(&bytes),
            bytes,
            media_type,
            manifest,
        })
    }

    /// Encodes `manifest` (see [`Manifest::encode`]).
    pub fn encode(manifest: &Manifest) -> Result<RawManifest, ManifestError> {
        let bytes = manifest.encode()?;
        Ok(RawManifest {
            digest: Digest::sha256(&bytes),
            bytes,
            media_type: manifest.media_type().to_string(),
            manifest: manifest.clone(),
        })
    }

    /// The exact bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes, giving up the rest.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The media type, lowercase and without parameters: what to send as
    /// `Content-Type` when pushing.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The sha256 digest of the bytes.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The digest of the bytes with another algorithm.
    pub fn digest_with(&self, algorithm: Algorithm) -> Digest {
        if algorithm == self.digest.algorithm() {
            self.digest
        } else {
            Digest::compute(algorithm, &self.bytes)
        }
    }

    /// Checks the bytes against the digest they were requested by, hashing
    /// with that digest's algorithm.
    pub fn verify(&self, expected: Digest) -> Result<(), VerifyError> {
        let mut verifier = Verifier::new(expected);
        verifier.update(&self.bytes);
        verifier.finish().map(|_| ())
    }

    /// A descriptor of this manifest (media type, digest, size), for an
    /// index entry or a `subject`.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            self.media_type.clone(),
            self.digest,
            self.bytes.len() as u64,
        )
    }

    /// The parsed manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The parsed manifest, giving up the rest.
    pub fn into_manifest(self) -> Manifest {
        self.manifest
    }
}

impl fmt::Debug for RawManifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawManifest")
            .field("media_type", &self.media_type)
            .field("digest", &self.digest)
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
