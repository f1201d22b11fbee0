//! The image index: a list of manifests, usually one per platform. OCI
//! image indexes and Docker manifest lists share this shape, and so does
//! the referrers API's response.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::descriptor::Descriptor;
use super::json::{null_as_default, schema_version_2};
use crate::platform::{best_match, Platform};

/// An OCI image index or a Docker manifest list.
///
/// Deserializing requires `schemaVersion` 2; `manifests` may be missing or
/// `null` (read as empty, written as `[]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Always 2.
    #[serde(deserialize_with = "schema_version_2")]
    pub schema_version: u32,
    /// The index's own media type. Optional in OCI indexes, required in
    /// Docker lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// What kind of artifact this is, when it is not an image index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The child manifests.
    #[serde(default, deserialize_with = "null_as_default")]
    pub manifests: Vec<Descriptor>,
    /// The manifest this one refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Free-form metadata.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
}

impl ImageIndex {
    /// An index of schema version 2 with the given media type (written into
    /// the document) and children.
    pub fn new(media_type: &str, manifests: Vec<Descriptor>) -> ImageIndex {
        ImageIndex {
            schema_version: 2,
            media_type: Some(media_type.to_string()),
            artifact_type: None,
            manifests,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    /// The child descriptors, in document order.
    pub fn manifests(&self) -> &[Descriptor] {
        &self.manifests
    }

    /// The position of the child that best fits `wanted`, by the rules of
    /// [`best_match`]. Children without a platform never match.
    pub fn platform_position(&self, wanted: &Platform) -> Option<usize> {
        best_match(wanted, self.manifests.iter().map(|d| d.platform.as_ref()))
    }

    /// The child that best fits `wanted`, by the rules of [`best_match`].
    pub fn select_platform(&self, wanted: &Platform) -> Option<&Descriptor> {
        self.platform_position(wanted)
            .and_then(|i| self.manifests.get(i))
    }

    /// The annotation `key`, if set.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_or_missing_manifests_read_as_empty() {
        for json in [
            r#"{"schemaVersion":2,"manifests":null}"#,
            r#"{"schemaVersion":2}"#,
        ] {
            let index: ImageIndex = serde_json::from_str(json).unwrap();
            assert!(index.manifests().is_empty());
            assert_eq!(
                serde_json::to_string(&index).unwrap(),
                r#"{"schemaVersion":2,"manifests":[]}"#
            );
        }
    }

    #[test]
    fn schema_version_must_be_2() {
        assert!(
            serde_json::from_str::<ImageIndex>(r#"{"schemaVersion":1,"manifests":[]}"#).is_err()
        );
        assert!(serde_json::from_str::<ImageIndex>(r#"{"manifests":[]}"#).is_err());
    }
}
