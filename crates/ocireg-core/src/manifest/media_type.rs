//! Media type strings of manifests, configs and layers, OCI and Docker.
//!
//! Descriptors keep their media type as a plain string, so a type that is
//! not listed here is carried along unchanged.

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image configuration.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// OCI empty descriptor: the two-byte blob `{}`, used as the config of
/// artifacts that have none.
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// OCI layer, uncompressed tar.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// OCI layer, gzip-compressed tar.
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// OCI layer, zstd-compressed tar.
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// OCI non-distributable layer, uncompressed tar (deprecated by OCI).
pub const OCI_LAYER_NONDISTRIBUTABLE_TAR: &str =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
/// OCI non-distributable layer, gzip-compressed tar (deprecated by OCI).
pub const OCI_LAYER_NONDISTRIBUTABLE_GZIP: &str =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
/// OCI non-distributable layer, zstd-compressed tar (deprecated by OCI).
pub const OCI_LAYER_NONDISTRIBUTABLE_ZSTD: &str =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list (the multi-platform index).
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker container image configuration.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Docker layer, gzip-compressed tar.
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Docker layer, zstd-compressed tar (as containerd and BuildKit write it).
pub const DOCKER_LAYER_ZSTD: &str = "application/vnd.docker.image.rootfs.diff.tar.zstd";
/// Docker layer, uncompressed tar.
pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
/// Docker foreign layer (Windows base layers), gzip-compressed: the blob
/// lives at the descriptor's `urls`, not in the registry.
pub const DOCKER_FOREIGN_LAYER_GZIP: &str =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
/// Docker foreign layer, uncompressed tar.
pub const DOCKER_FOREIGN_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar";

/// Docker image manifest, schema 1, unsigned (read-only here).
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
/// Docker image manifest, schema 1, signed with JWS (read-only here).
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The manifest types this crate reads, newest first: what to send in an
/// `Accept` header when fetching a manifest.
pub const ACCEPTED_MANIFESTS: &[&str] = &[
    OCI_INDEX,
    OCI_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_MANIFEST,
    DOCKER_SCHEMA1_SIGNED,
    DOCKER_SCHEMA1,
];

/// The media type of a `Content-Type` header value: parameters such as
/// `; charset=utf-8` dropped, surrounding spaces trimmed, lowercased.
///
/// ```
/// use ocireg_core::manifest::media_type::essence;
///
/// assert_eq!(
///     essence("Application/VND.OCI.image.index.v1+json; charset=utf-8"),
///     "application/vnd.oci.image.index.v1+json"
/// );
/// ```
pub fn essence(content_type: &str) -> String {
    let end = content_type.find(';').unwrap_or(content_type.len());
    content_type[..end].trim().to_ascii_lowercase()
}

/// Whether `media_type` is a layer type of this module whose blob is
/// a tar, plain or compressed (foreign and non-distributable included).
pub fn is_layer(media_type: &str) -> bool {
    matches!(
        media_type,
        OCI_LAYER_TAR
            | OCI_LAYER_GZIP
            | OCI_LAYER_ZSTD
            | OCI_LAYER_NONDISTRIBUTABLE_TAR
            | OCI_LAYER_NONDISTRIBUTABLE_GZIP
            | OCI_LAYER_NONDISTRIBUTABLE_ZSTD
            | DOCKER_LAYER_GZIP
            | DOCKER_LAYER_ZSTD
            | DOCKER_LAYER_TAR
            | DOCKER_FOREIGN_LAYER_GZIP
            | DOCKER_FOREIGN_LAYER_TAR
    )
}

/// Whether a layer of this type may be missing from the registry because it
/// is fetched from its descriptor's `urls` (Docker foreign layers and OCI
/// non-distributable layers).
pub fn is_foreign_layer(media_type: &str) -> bool {
    matches!(
        media_type,
        OCI_LAYER_NONDISTRIBUTABLE_TAR
            | OCI_LAYER_NONDISTRIBUTABLE_GZIP
            | OCI_LAYER_NONDISTRIBUTABLE_ZSTD
            | DOCKER_FOREIGN_LAYER_GZIP
            | DOCKER_FOREIGN_LAYER_TAR
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essence_drops_parameters_and_case() {
        assert_eq!(essence(OCI_MANIFEST), OCI_MANIFEST);
        assert_eq!(
            essence(" application/JSON ; charset=utf-8"),
            "application/json"
        );
        assert_eq!(essence(""), "");
        assert_eq!(essence(";"), "");
    }

    #[test]
    fn layer_predicates() {
        assert!(is_layer(OCI_LAYER_GZIP));
        assert!(is_layer(DOCKER_FOREIGN_LAYER_GZIP));
        assert!(!is_layer(OCI_CONFIG));
        assert!(is_foreign_layer(DOCKER_FOREIGN_LAYER_GZIP));
        assert!(!is_foreign_layer(DOCKER_LAYER_GZIP));
    }
}
