//! Docker image manifest schema 1, read-only: enough to list the layers of
//! an old image. Its signatures are kept as JSON and not verified.

use serde::{Deserialize, Serialize};

use super::json::{null_as_default, schema_version_1};
use crate::digest::Digest;

/// A Docker schema 1 manifest (signed or not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema1Manifest {
    /// Always 1.
    #[serde(deserialize_with = "schema_version_1")]
    pub schema_version: u32,
    /// Repository name the manifest was made for.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Tag the manifest was made for.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tag: String,
    /// CPU architecture.
    #[serde(default, deserialize_with = "null_as_default")]
    pub architecture: String,
    /// The layers, top-most first (the reverse of pull order).
    #[serde(default, deserialize_with = "null_as_default")]
    pub fs_layers: Vec<FsLayer>,
    /// One entry per layer, top-most first, each a v1 image JSON string.
    #[serde(default, deserialize_with = "null_as_default")]
    pub history: Vec<Schema1History>,
    /// JWS signatures of a `prettyjws` manifest, unverified.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub signatures: Vec<serde_json::Value>,
}

/// One layer of a schema 1 manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsLayer {
    /// Digest of the (compressed) layer blob.
    #[serde(rename = "blobSum")]
    pub blob_sum: Digest,
}

/// One history entry of a schema 1 manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema1History {
    /// The v1 image JSON of the layer, as a string.
    #[serde(
        rename = "v1Compatibility",
        default,
        deserialize_with = "null_as_default"
    )]
    pub v1_compatibility: String,
}

impl Schema1Manifest {
    /// The layer digests in pull order, base first (the reverse of
    /// `fsLayers`). Repeats, such as the empty layer, are kept.
    pub fn layers(&self) -> Vec<Digest> {
        self.fs_layers.iter().rev().map(|l| l.blob_sum).collect()
    }

    /// Whether the manifest carries JWS signatures.
    pub fn is_signed(&self) -> bool {
        !self.signatures.is_empty()
    }
}
