//! The image manifest: one config and a list of layers. OCI image
//! manifests and Docker schema 2 manifests share this shape.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::descriptor::Descriptor;
use super::json::{null_as_default, schema_version_2};

/// An OCI image manifest or a Docker schema 2 manifest (the two differ
/// only in media types; [`super::Manifest`] tells them apart).
///
/// Deserializing requires `schemaVersion` 2 and a `config`; `layers` may
/// be missing or `null` (read as empty, written as `[]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    #[serde(deserialize_with = "schema_version_2")]
    pub schema_version: u32,
    /// The manifest's own media type. Optional in OCI manifests, required
    /// in Docker ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// What kind of artifact this is, when it is not a container image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The image configuration blob (or the empty descriptor).
    pub config: Descriptor,
    /// The layers, base first.
    #[serde(default, deserialize_with = "null_as_default")]
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (signatures, SBOMs, attestations).
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

impl ImageManifest {
    /// A manifest of schema version 2 with the given media type (written
    /// into the document), config and layers.
    pub fn new(media_type: &str, config: Descriptor, layers: Vec<Descriptor>) -> ImageManifest {
        ImageManifest {
            schema_version: 2,
            media_type: Some(media_type.to_string()),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    /// The config descriptor.
    pub fn config(&self) -> &Descriptor {
        &self.config
    }

    /// The layer descriptors, base first (the order to pull and apply).
    pub fn layers(&self) -> &[Descriptor] {
        &self.layers
    }

    /// Bytes to download for the whole image: the config plus every layer
    /// as stored (compressed). Saturates instead of overflowing on absurd
    /// sizes.
    pub fn total_size(&self) -> u64 {
        self.layers.iter().fold(self.config.size, |sum, layer| {
            sum.saturating_add(layer.size)
        })
    }

    /// The annotation `key`, if set.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::media_type;

    const CONFIG: &str = "sha256:9c7a54a9a43cca047013b82af109fe963fde787f63f9e016fdc3384500c2823d";
    const LAYER: &str = "sha256:59bf1c3509f33515622619af21ed55bbe26d24913cedbca106468a5fb37a50c3";

    fn manifest_json(schema_version: &str, size: &str) -> String {
        format!(
            r#"{{"schemaVersion":{schema_version},"config":{{"mediaType":"{}","digest":"{CONFIG}","size":1469}},
            "layers":[{{"mediaType":"{}","digest":"{LAYER}","size":{size}}}]}}"#,
            media_type::OCI_CONFIG,
            media_type::OCI_LAYER_GZIP
        )
    }

    #[test]
    fn helpers_give_config_layers_and_total_size() {
        let m: ImageManifest = serde_json::from_str(&manifest_json("2", "2818413")).unwrap();
        assert_eq!(m.config().digest.to_string(), CONFIG);
        assert_eq!(m.layers().len(), 1);
        assert_eq!(m.total_size(), 1469 + 2818413);
        assert_eq!(m.media_type, None);
        let huge: ImageManifest =
            serde_json::from_str(&manifest_json("2", &u64::MAX.to_string())).unwrap();
        assert_eq!(huge.total_size(), u64::MAX);
    }

    #[test]
    fn schema_version_must_be_2() {
        for bad in ["1", "3", "-2", "2.0", "\"2\"", "null"] {
            let err = serde_json::from_str::<ImageManifest>(&manifest_json(bad, "1"));
            assert!(err.is_err(), "{bad}");
        }
        let msg = serde_json::from_str::<ImageManifest>(&manifest_json("3", "1"))
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("schemaVersion must be 2, found 3"), "{msg}");
        let missing = manifest_json("2", "1").replace(r#""schemaVersion":2,"#, "");
        assert!(serde_json::from_str::<ImageManifest>(&missing).is_err());
    }

    #[test]
    fn null_layers_read_as_empty_and_are_written_as_a_list() {
        let json = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"{}","digest":"{CONFIG}","size":2}},"layers":null}}"#,
            media_type::OCI_EMPTY
        );
        let m: ImageManifest = serde_json::from_str(&json).unwrap();
        assert!(m.layers.is_empty());
        let back = serde_json::to_string(&m).unwrap();
        assert!(back.ends_with(r#""layers":[]}"#), "{back}");
    }
}
