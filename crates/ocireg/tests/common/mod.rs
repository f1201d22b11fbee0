//! Helpers shared by the integration tests against the real registry
//! (Debian's docker-registry 2.8.2, started by `ocireg-testkit`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use bytes::Bytes;
use ocireg::ocireg_core::manifest::{media_type, Descriptor, ImageManifest, Manifest};
use ocireg::{Client, Credentials, Digest, RawManifest, Reference};
use ocireg_testkit::{skopeo_copy, write_oci_layout, ImageInfo, ImageSpec, Registry};

/// Parses a reference; panics on a typo in a test.
pub fn r(s: &str) -> Reference {
    s.parse().unwrap()
}

/// Parses a digest.
pub fn d(s: &str) -> Digest {
    s.parse().unwrap()
}

/// A client for `registry` that ignores the machine's docker config and
/// logs in as the registry's user, if it has one.
pub fn client_for(registry: &Registry) -> Client {
    builder_for(registry).build().unwrap()
}

/// The builder [`client_for`] uses, for tests that add settings.
pub fn builder_for(registry: &Registry) -> ocireg::ClientBuilder {
    let b = Client::builder().use_docker_config(false);
    with_creds(b, registry, &registry.host())
}

/// Adds `registry`'s credentials (if any) under `host` (the registry's own
/// host, or a proxy in front of it).
pub fn with_creds(
    b: ocireg::ClientBuilder,
    registry: &Registry,
    host: &str,
) -> ocireg::ClientBuilder {
    match (registry.user(), registry.password()) {
        (Some(u), Some(p)) => b.credentials(host, Credentials::basic(u, p)),
        _ => b,
    }
}

/// Writes the layout for `spec` into `dir` and pushes it with skopeo to
/// `<registry>/<repo_tag>` (every platform; `extra` adds skopeo flags such
/// as `--format v2s2`).
pub fn seed_with_skopeo(
    registry: &Registry,
    dir: &Path,
    spec: &ImageSpec,
    repo_tag: &str,
    extra: &[&str],
) -> ImageInfo {
    let image = write_oci_layout(dir, spec).unwrap();
    let mut args = vec!["--all"];
    args.extend_from_slice(extra);
    let creds = registry.creds();
    if let Some(c) = &creds {
        args.push("--dest-creds");
        args.push(c);
    }
    skopeo_copy(
        &image.oci_ref(),
        &format!("docker://{}/{repo_tag}", registry.host()),
        &args,
    )
    .unwrap();
    image
}

/// Deterministic, incompressible bytes.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    ocireg_testkit::graph::noise(len, seed)
}

/// A tiny OCI image config, different per `seed`.
pub fn tiny_config(seed: u64) -> Vec<u8> {
    format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"config":{{"Labels":{{"seed":"{seed}"}}}}}}"#
    )
    .into_bytes()
}

/// An OCI image manifest with `config` and no layers.
pub fn tiny_manifest(config: &[u8]) -> RawManifest {
    let m = ImageManifest::new(
        media_type::OCI_MANIFEST,
        Descriptor::for_bytes(media_type::OCI_CONFIG, config),
        Vec::new(),
    );
    RawManifest::encode(&Manifest::Image(m)).unwrap()
}

/// Pushes a tiny image (a config blob and a layer-less manifest) to
/// `reference` with ocireg; returns the manifest.
pub async fn push_tiny_image(client: &Client, reference: &Reference, seed: u64) -> RawManifest {
    let config = tiny_config(seed);
    client
        .push_blob_bytes(reference, Bytes::from(config.clone()))
        .await
        .unwrap();
    let manifest = tiny_manifest(&config);
    client.put_manifest(reference, &manifest).await.unwrap();
    manifest
}

/// Where registry 2.8.2's filesystem driver keeps a blob's bytes.
pub fn blob_data_path(registry: &Registry, digest: &Digest) -> PathBuf {
    let hex = digest.hex();
    registry
        .storage_dir()
        .join("docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(&hex)
        .join("data")
}

/// Every blob file of an OCI layout at `dir`, with its name as a digest.
pub fn layout_blobs(dir: &Path) -> Vec<(Digest, PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.join("blobs/sha256")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        out.push((d(&format!("sha256:{name}")), path));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// Asserts that every blob file of the layout at `dir` hashes to its name;
/// returns how many there are.
pub fn assert_layout_blobs_verify(dir: &Path) -> usize {
    let blobs = layout_blobs(dir);
    for (digest, path) in &blobs {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(Digest::sha256(&bytes), *digest, "{}", path.display());
    }
    blobs.len()
}
