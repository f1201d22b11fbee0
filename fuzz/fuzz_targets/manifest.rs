//! Manifests and indexes: decoding never panics; the digest is of the exact
//! bytes; whatever decodes encodes to bytes that decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocireg_core::digest::Digest;
use ocireg_core::manifest::{Manifest, RawManifest};

const CONTENT_TYPES: [Option<&str>; 6] = [
    None,
    Some("application/vnd.oci.image.manifest.v1+json"),
    Some("application/vnd.oci.image.index.v1+json"),
    Some("application/vnd.docker.distribution.manifest.v2+json"),
    Some("application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8"),
    Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[selector as usize % CONTENT_TYPES.len()];
    let parsed = Manifest::parse(body, content_type);
    let Ok(raw) = RawManifest::from_bytes(body.to_vec(), content_type) else {
        assert!(parsed.is_err(), "RawManifest and Manifest disagree");
        return;
    };
    assert_eq!(raw.bytes(), body);
    assert_eq!(raw.digest(), Digest::sha256(body));
    assert_eq!(Ok(raw.manifest()), parsed.as_ref());
    if let Ok(encoded) = raw.manifest().encode() {
        let again = Manifest::parse(&encoded, Some(raw.media_type()))
            .expect("an encoded manifest decodes");
        assert_eq!(&again, raw.manifest());
    }
});
