//! Image graphs written and pushed by hand: manifests built as JSON here,
//! pushed to a real registry with plain HTTP ([`crate::http`]) and hashed
//! with `sha2`, so that a test of ocireg's pulls and pushes checks them
//! against nothing of ocireg's own.

use std::path::Path;

use serde_json::{json, Value};
use sha2::Digest as _;

use crate::http;
use crate::Registry;

/// OCI media types the graphs use.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// An OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// An OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// A gzip'd OCI layer.
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&sha2::Sha256::digest(bytes)))
}

/// `sha512:<hex>` of `bytes`.
pub fn sha512(bytes: &[u8]) -> String {
    format!("sha512:{}", hex(&sha2::Sha512::digest(bytes)))
}

/// Deterministic, incompressible bytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A descriptor of `bytes` under `digest`.
pub fn descriptor(media_type: &str, digest: &str, bytes: &[u8]) -> Value {
    json!({"mediaType": media_type, "digest": digest, "size": bytes.len()})
}

/// An OCI image manifest.
pub fn image_manifest(config: Value, layers: Vec<Value>) -> Vec<u8> {
    let m =
        json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers});
    serde_json::to_vec(&m).unwrap_or_default()
}

/// An OCI index.
pub fn index(children: Vec<Value>) -> Vec<u8> {
    let i = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children});
    serde_json::to_vec(&i).unwrap_or_default()
}

/// A small linux/amd64 image config, different per `seed`.
pub fn config(seed: u64) -> Vec<u8> {
    format!(r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"config":{{"Labels":{{"seed":"{seed}"}}}}}}"#).into_bytes()
}

/// `POST` an upload, then `PUT` the bytes at its `Location`; the digest.
pub fn upload_blob(registry: &Registry, repo: &str, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let started = http::request(
        "POST",
        &format!("{}/v2/{repo}/blobs/uploads/", registry.url()),
        &[],
        b"",
    )
    .expect("POST an upload");
    assert_eq!(started.status, 202, "{}", started.text());
    let location = started.header("location").unwrap_or_default().to_string();
    let separator = if location.contains('?') { '&' } else { '?' };
    let done = http::request(
        "PUT",
        &format!("{location}{separator}digest={digest}"),
        &[("Content-Type", "application/octet-stream")],
        bytes,
    )
    .expect("PUT the blob");
    assert_eq!(done.status, 201, "{}", done.text());
    digest
}

/// `PUT` a manifest under `reference`.
pub fn put_manifest(
    registry: &Registry,
    repo: &str,
    reference: &str,
    media_type: &str,
    bytes: &[u8],
) {
    let put = http::request(
        "PUT",
        &format!("{}/v2/{repo}/manifests/{reference}", registry.url()),
        &[("Content-Type", media_type)],
        bytes,
    )
    .expect("PUT a manifest");
    assert_eq!(put.status, 201, "{reference}: {}", put.text());
}

/// `GET` a manifest, accepting OCI indexes and images.
pub fn get_manifest(registry: &Registry, repo: &str, reference: &str) -> http::Response {
    http::request(
        "GET",
        &format!("{}/v2/{repo}/manifests/{reference}", registry.url()),
        &[("Accept", &format!("{OCI_INDEX}, {OCI_MANIFEST}"))],
        b"",
    )
    .expect("GET a manifest")
}

/// The bytes of a manifest the registry has.
pub fn get_manifest_bytes(registry: &Registry, repo: &str, reference: &str) -> Vec<u8> {
    let got = get_manifest(registry, repo, reference);
    assert_eq!(got.status, 200, "{reference}: {}", got.text());
    got.body
}

/// Every file under an OCI layout's `blobs/`, hashed with the algorithm
/// its directory names and checked against its file name; returns the
/// digests, sorted. Also checks that the layout holds nothing but
/// `oci-layout`, `index.json` and `blobs/` (no partial download left).
pub fn verify_layout(dir: &Path) -> Vec<String> {
    let names = |dir: &Path| -> Vec<(String, std::path::PathBuf)> {
        let mut out: Vec<_> = std::fs::read_dir(dir)
            .expect("read a layout directory")
            .map(|e| {
                let e = e.expect("a directory entry");
                (e.file_name().to_string_lossy().into_owned(), e.path())
            })
            .collect();
        out.sort();
        out
    };
    let top: Vec<String> = names(dir).into_iter().map(|(n, _)| n).collect();
    assert_eq!(top, ["blobs", "index.json", "oci-layout"]);
    let mut digests = Vec::new();
    for (algorithm, path) in names(&dir.join("blobs")) {
        for (file, path) in names(&path) {
            let bytes = std::fs::read(&path).expect("read a blob file");
            let actual = match algorithm.as_str() {
                "sha256" => sha256(&bytes),
                "sha512" => sha512(&bytes),
                other => panic!("unexpected algorithm directory {other}"),
            };
            let expected = format!("{algorithm}:{file}");
            assert_eq!(actual, expected, "{}", path.display());
            digests.push(expected);
        }
    }
    digests.sort();
    digests
}

/// What a nested graph is made of, by digest.
#[derive(Clone, Debug)]
pub struct Nested {
    /// The top index.
    pub root: String,
    /// Every manifest, children before their index, the top last.
    pub manifests: Vec<String>,
    /// Every config and layer.
    pub blobs: Vec<String>,
}

impl Nested {
    /// Every manifest and blob digest, sorted (what [`verify_layout`]
    /// returns for a complete layout of the graph).
    pub fn digests(&self) -> Vec<String> {
        let mut all: Vec<String> = self.manifests.iter().chain(&self.blobs).cloned().collect();
        all.sort();
        all
    }
}

/// index -> index -> index -> two images (linux/amd64, linux/arm64)
/// sharing a layer, pushed to `repo` (the top as tag `tag`) with plain
/// HTTP, children first.
pub fn push_nested_graph(registry: &Registry, repo: &str, tag: &str) -> Nested {
    let base = noise(40_000, 1);
    let (amd, arm) = (noise(30_000, 2), noise(20_000, 3));
    let (amd_config, arm_config) = (config(1), config(2));
    let mut blobs = Vec::new();
    for bytes in [&base, &amd, &arm, &amd_config, &arm_config] {
        blobs.push(upload_blob(registry, repo, bytes));
    }
    let layer = |bytes: &[u8]| descriptor(OCI_LAYER, &sha256(bytes), bytes);
    let cfg = |bytes: &[u8]| descriptor(OCI_CONFIG, &sha256(bytes), bytes);
    let amd_image = image_manifest(cfg(&amd_config), vec![layer(&base), layer(&amd)]);
    let arm_image = image_manifest(cfg(&arm_config), vec![layer(&base), layer(&arm)]);
    let with_platform = |bytes: &[u8], arch: &str| {
        let mut d = descriptor(OCI_MANIFEST, &sha256(bytes), bytes);
        d["platform"] = json!({"os": "linux", "architecture": arch});
        d
    };
    let level3 = index(vec![
        with_platform(&amd_image, "amd64"),
        with_platform(&arm_image, "arm64"),
    ]);
    let level2 = index(vec![descriptor(OCI_INDEX, &sha256(&level3), &level3)]);
    let level1 = index(vec![descriptor(OCI_INDEX, &sha256(&level2), &level2)]);
    let mut manifests = Vec::new();
    for (bytes, media_type) in [
        (&amd_image, OCI_MANIFEST),
        (&arm_image, OCI_MANIFEST),
        (&level3, OCI_INDEX),
        (&level2, OCI_INDEX),
    ] {
        let digest = sha256(bytes);
        put_manifest(registry, repo, &digest, media_type, bytes);
        manifests.push(digest);
    }
    put_manifest(registry, repo, tag, OCI_INDEX, &level1);
    let root = sha256(&level1);
    manifests.push(root.clone());
    Nested {
        root,
        manifests,
        blobs,
    }
}
