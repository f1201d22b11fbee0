//! The descriptor: a typed, sized, content-addressed pointer to a blob or
//! a manifest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::json::null_as_default;
use crate::digest::Digest;
use crate::platform::Platform;

/// Points at content by digest and says what it is and how big.
///
/// The digest must parse and the size must be a non-negative integer;
/// everything else is tolerant: media types are kept as strings whatever
/// they are, `null` lists and maps read as empty, unknown fields are
/// ignored. Annotations are kept sorted, so encoding is stable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the content (see [`super::media_type`]). Required by
    /// the specs; read as empty (and then not written) when missing.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub media_type: String,
    /// Digest of the content.
    pub digest: Digest,
    /// Size of the content in bytes.
    pub size: u64,
    /// Other places to fetch the content from (foreign layers).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub urls: Vec<String>,
    /// Free-form metadata.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
    /// The platform a manifest is for, in index entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The artifact type of the manifest pointed to (in referrers lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The content itself, base64-encoded, kept as the string it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

impl Descriptor {
    /// A descriptor with only the required fields.
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type: media_type.into(),
            digest,
            size,
            urls: Vec::new(),
            annotations: BTreeMap::new(),
            platform: None,
            artifact_type: None,
            data: None,
        }
    }

    /// The descriptor of `bytes`: their sha256 digest and length.
    pub fn for_bytes(media_type: impl Into<String>, bytes: &[u8]) -> Descriptor {
        Descriptor::new(media_type, Digest::sha256(bytes), bytes.len() as u64)
    }

    /// The annotation `key`, if set.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:59bf1c3509f33515622619af21ed55bbe26d24913cedbca106468a5fb37a50c3";

    fn parse(json: &str) -> Result<Descriptor, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn reads_every_field() {
        let json = format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{DIGEST}","size":7143,
            "urls":["https://example.com/layer"],"annotations":{{"b":"2","a":"1"}},
            "platform":{{"architecture":"arm64","os":"linux","variant":"v8"}},
            "artifactType":"application/spdx+json","data":"e30=","unknownField":[1,2]}}"#
        );
        let d = parse(&json).unwrap();
        assert_eq!(d.digest.to_string(), DIGEST);
        assert_eq!(d.size, 7143);
        assert_eq!(d.urls, ["https://example.com/layer"]);
        assert_eq!(d.annotation("a"), Some("1"));
        assert_eq!(
            d.platform.as_ref().map(|p| p.to_string()).as_deref(),
            Some("linux/arm64/v8")
        );
        assert_eq!(d.artifact_type.as_deref(), Some("application/spdx+json"));
        assert_eq!(d.data.as_deref(), Some("e30="));
        let back = serde_json::to_string(&d).unwrap();
        assert!(
            back.contains(r#""annotations":{"a":"1","b":"2"}"#),
            "{back}"
        );
        assert_eq!(parse(&back).unwrap(), d);
    }

    #[test]
    fn minimal_descriptor_round_trips_without_empty_fields() {
        let d = Descriptor::for_bytes("application/vnd.oci.empty.v1+json", b"{}");
        assert_eq!(d.size, 2);
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(
            json,
            r#"{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}"#
        );
        assert_eq!(parse(&json).unwrap(), d);
    }

    #[test]
    fn nulls_read_as_empty_and_unknown_media_types_are_kept() {
        let json = format!(
            r#"{{"mediaType":"application/x-custom","digest":"{DIGEST}","size":0,"urls":null,"annotations":null}}"#
        );
        let d = parse(&json).unwrap();
        assert_eq!(d.media_type, "application/x-custom");
        assert!(d.urls.is_empty() && d.annotations.is_empty());
    }

    #[test]
    fn rejects_bad_sizes_and_digests() {
        let with = |digest: &str, size: &str| {
            format!(r#"{{"mediaType":"x","digest":"{digest}","size":{size}}}"#)
        };
        assert!(parse(&with(DIGEST, "-1")).is_err());
        assert!(parse(&with(DIGEST, "1.5")).is_err());
        assert!(parse(&with(DIGEST, "\"12\"")).is_err());
        assert!(parse(&with(DIGEST, "null")).is_err());
        assert!(parse(&with("sha256:abc", "1")).is_err());
        assert!(parse(&with("../../etc/passwd", "1")).is_err());
        assert!(parse(r#"{"mediaType":"x","size":1}"#).is_err());
        let msg = parse(&with("sha256:abc", "1")).unwrap_err().to_string();
        assert!(msg.contains("invalid checksum digest length"), "{msg}");
    }
}
