//! Small, valid, deterministic OCI image layouts, and skopeo.

use crate::require_binary;
use crate::token::hex;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// An image platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformSpec {
    /// `linux`.
    pub os: String,
    /// `amd64`, `arm64`, ...
    pub architecture: String,
    /// `v8`, `v7`, ...
    pub variant: Option<String>,
}

impl PlatformSpec {
    /// `linux/<architecture>[/<variant>]`.
    pub fn linux(architecture: &str, variant: Option<&str>) -> PlatformSpec {
        PlatformSpec {
            os: "linux".into(),
            architecture: architecture.into(),
            variant: variant.map(String::from),
        }
    }

    fn to_json(&self) -> serde_json::Value {
        let mut v = json!({"os": self.os, "architecture": self.architecture});
        if let Some(variant) = &self.variant {
            v["variant"] = json!(variant);
        }
        v
    }
}

/// What to generate. The same spec always gives the same bytes.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// Seeds every file's content.
    pub seed: u64,
    /// The tag (`org.opencontainers.image.ref.name`) in the layout.
    pub tag: String,
    /// One manifest per platform; several make an image index.
    pub platforms: Vec<PlatformSpec>,
    /// Layers per manifest.
    pub layers: usize,
    /// Pseudo-random (incompressible) bytes per layer, so a compressed
    /// layer blob is a little larger than this.
    pub layer_size: usize,
    /// Make an image index even for a single platform.
    pub force_index: bool,
}

impl ImageSpec {
    /// `linux/amd64`, two layers of 4 KiB, tag `latest`.
    pub fn new(seed: u64) -> ImageSpec {
        ImageSpec {
            seed,
            tag: "latest".into(),
            platforms: vec![PlatformSpec::linux("amd64", None)],
            layers: 2,
            layer_size: 4096,
            force_index: false,
        }
    }

    /// An index of `linux/amd64` and `linux/arm64/v8`.
    pub fn multi_platform(seed: u64) -> ImageSpec {
        ImageSpec {
            platforms: vec![
                PlatformSpec::linux("amd64", None),
                PlatformSpec::linux("arm64", Some("v8")),
            ],
            ..ImageSpec::new(seed)
        }
    }

    /// With this tag.
    pub fn tag(mut self, tag: &str) -> ImageSpec {
        self.tag = tag.into();
        self
    }

    /// With `layers` layers of `layer_size` random bytes each.
    pub fn layers(mut self, layers: usize, layer_size: usize) -> ImageSpec {
        self.layers = layers;
        self.layer_size = layer_size;
        self
    }
}

/// A blob of the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// `sha256:<hex>`.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type.
    pub media_type: String,
}

/// One platform's manifest and its blobs.
#[derive(Debug, Clone)]
pub struct ManifestInfo {
    /// The platform.
    pub platform: PlatformSpec,
    /// The manifest blob.
    pub manifest: BlobInfo,
    /// The config blob.
    pub config: BlobInfo,
    /// The (gzip'd) layer blobs.
    pub layers: Vec<BlobInfo>,
    /// `sha256` of each uncompressed layer tar.
    pub diff_ids: Vec<String>,
}

/// What [`write_oci_layout`] wrote.
#[derive(Debug, Clone)]
pub struct ImageInfo {
    /// The layout directory.
    pub dir: PathBuf,
    /// The tag in the layout.
    pub tag: String,
    /// What the tag points to: the image index when there is one, else the
    /// manifest.
    pub root: BlobInfo,
    /// The manifests, in platform order.
    pub manifests: Vec<ManifestInfo>,
}

impl ImageInfo {
    /// `oci:<dir>:<tag>`, the skopeo source name.
    pub fn oci_ref(&self) -> String {
        format!("oci:{}:{}", self.dir.display(), self.tag)
    }

    /// Whether the root is an image index.
    pub fn is_index(&self) -> bool {
        self.root.media_type == INDEX
    }

    /// Reads a blob of the layout by digest.
    pub fn read_blob(&self, digest: &str) -> io::Result<Vec<u8>> {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        fs::read(self.dir.join("blobs/sha256").join(hex))
    }
}

/// Writes an OCI image layout for `spec` into `dir` (created if needed;
/// `index.json` is replaced, so it holds this one tag).
pub fn write_oci_layout(dir: &Path, spec: &ImageSpec) -> io::Result<ImageInfo> {
    fs::create_dir_all(dir.join("blobs/sha256"))?;
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let created = "2024-01-01T00:00:00Z";
    let mut manifests = Vec::new();
    for (p, platform) in spec.platforms.iter().enumerate() {
        let (mut layers, mut diff_ids) = (Vec::new(), Vec::new());
        for l in 0..spec.layers {
            let mut rng = SplitMix(spec.seed ^ ((p as u64) << 32) ^ (l as u64));
            let tar = layer_tar(spec, platform, l, &mut rng)?;
            diff_ids.push(format!("sha256:{}", hex(&Sha256::digest(&tar))));
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&tar)?;
            layers.push(write_blob(dir, &gz.finish()?, LAYER)?);
        }
        let mut config = json!({
            "created": created,
            "architecture": platform.architecture,
            "os": platform.os,
            "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": (0..spec.layers).map(|l| json!({
                "created": created,
                "created_by": format!("ocireg-testkit seed {} layer {l}", spec.seed),
            })).collect::<Vec<_>>(),
        });
        if let Some(variant) = &platform.variant {
            config["variant"] = json!(variant);
        }
        let config = write_blob(dir, &serde_json::to_vec(&config)?, CONFIG)?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": descriptor(&config),
            "layers": layers.iter().map(descriptor).collect::<Vec<_>>(),
        });
        let manifest = write_blob(dir, &serde_json::to_vec(&manifest)?, MANIFEST)?;
        manifests.push(ManifestInfo {
            platform: platform.clone(),
            manifest,
            config,
            layers,
            diff_ids,
        });
    }
    let root = if manifests.len() == 1 && !spec.force_index {
        manifests[0].manifest.clone()
    } else {
        let index = json!({
            "schemaVersion": 2,
            "mediaType": INDEX,
            "manifests": manifests.iter().map(|m| {
                let mut d = descriptor(&m.manifest);
                d["platform"] = m.platform.to_json();
                d
            }).collect::<Vec<_>>(),
        });
        write_blob(dir, &serde_json::to_vec(&index)?, INDEX)?
    };
    let mut entry = descriptor(&root);
    entry["annotations"] = json!({"org.opencontainers.image.ref.name": spec.tag});
    let layout_index = json!({"schemaVersion": 2, "manifests": [entry]});
    fs::write(dir.join("index.json"), serde_json::to_vec(&layout_index)?)?;
    Ok(ImageInfo {
        dir: dir.to_path_buf(),
        tag: spec.tag.clone(),
        root,
        manifests,
    })
}

fn descriptor(blob: &BlobInfo) -> serde_json::Value {
    json!({"mediaType": blob.media_type, "digest": blob.digest, "size": blob.size})
}

fn write_blob(dir: &Path, data: &[u8], media_type: &str) -> io::Result<BlobInfo> {
    let hex = hex(&Sha256::digest(data));
    fs::write(dir.join("blobs/sha256").join(&hex), data)?;
    Ok(BlobInfo {
        digest: format!("sha256:{hex}"),
        size: data.len() as u64,
        media_type: media_type.into(),
    })
}

/// A tar with a text file naming the layer and `layer_size` random bytes.
fn layer_tar(
    spec: &ImageSpec,
    platform: &PlatformSpec,
    layer: usize,
    rng: &mut SplitMix,
) -> io::Result<Vec<u8>> {
    let text = format!(
        "ocireg-testkit seed={} platform={}/{} layer={layer}\n",
        spec.seed, platform.os, platform.architecture
    );
    let mut data = vec![0u8; spec.layer_size];
    for chunk in data.chunks_mut(8) {
        let n = chunk.len();
        chunk.copy_from_slice(&rng.next().to_le_bytes()[..n]);
    }
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in [
        (format!("layer{layer}/info.txt"), text.as_bytes()),
        (format!("layer{layer}/data.bin"), &data[..]),
    ] {
        let mut header = tar::Header::new_ustar();
        header.set_path(&name)?;
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_704_067_200);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        builder.append(&header, content)?;
    }
    builder.into_inner()
}

/// splitmix64: tiny, fast, and the same everywhere.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Runs `skopeo --insecure-policy ARGS...` and returns its stdout; on
/// failure the error carries skopeo's stderr.
pub fn skopeo(args: &[&str]) -> io::Result<String> {
    let program = require_binary("skopeo", "skopeo")?;
    let output = Command::new(program)
        .arg("--insecure-policy")
        .args(args)
        .output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "skopeo {} failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `skopeo copy` over plain HTTP (`--src-tls-verify=false
/// --dest-tls-verify=false`), with `extra_args` (e.g. `--dest-creds u:p`,
/// `--format v2s2`, `--all`) before the two names.
pub fn skopeo_copy(src: &str, dst: &str, extra_args: &[&str]) -> io::Result<()> {
    let mut args = vec![
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
    ];
    args.extend_from_slice(extra_args);
    args.extend([src, dst]);
    skopeo(&args).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_are_deterministic() {
        let base = std::env::temp_dir().join(format!("ocireg-testkit-det-{}", std::process::id()));
        let spec = ImageSpec::multi_platform(42).layers(3, 1000);
        let a = write_oci_layout(&base.join("a"), &spec).unwrap();
        let b = write_oci_layout(&base.join("b"), &spec).unwrap();
        let c = write_oci_layout(&base.join("c"), &ImageSpec { seed: 43, ..spec }).unwrap();
        assert_eq!(a.root, b.root);
        assert_ne!(a.root, c.root);
        assert!(a.is_index());
        assert_eq!(a.manifests.len(), 2);
        assert_ne!(a.manifests[0].layers[0], a.manifests[1].layers[0]);
        let config: serde_json::Value =
            serde_json::from_slice(&a.read_blob(&a.manifests[1].config.digest).unwrap()).unwrap();
        assert_eq!(config["variant"], "v8");
        assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 3);
        fs::remove_dir_all(base).unwrap();
    }
}
