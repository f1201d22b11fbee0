//! Image documents for a [`ScriptedServer`] to serve: manifests whose
//! descriptors say whatever a test needs (a config of 1.5 GB, layers of
//! 2^63 bytes, a digest with `../` in it), and the routes that serve them
//! the way a registry does.
//!
//! ```no_run
//! use ocireg_testkit::served::{self, Blob};
//! use ocireg_testkit::{Reply, ScriptedServer};
//!
//! let server = ScriptedServer::start()?;
//! let config = br#"{"architecture":"amd64","os":"linux"}"#;
//! let layer = Blob::of(b"layer bytes");
//! let manifest = served::image_manifest(&Blob::config(config), &[layer.clone()]);
//! served::serve_manifest(&server, "app", "v1", &manifest);
//! served::serve_blob(&server, "app", &layer.digest, Reply::new(200, b"layer bytes".to_vec()));
//! # Ok::<(), std::io::Error>(())
//! ```

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::scripted::{Reply, ScriptedServer};
use crate::token::hex;

/// The OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The OCI image config media type.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// The OCI gzip layer media type.
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// A descriptor as a manifest states it: any digest string, any size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// The media type.
    pub media_type: String,
    /// The digest, as written (not checked).
    pub digest: String,
    /// The size the descriptor declares.
    pub size: u64,
}

impl Blob {
    /// A layer descriptor of `bytes`.
    pub fn of(bytes: &[u8]) -> Blob {
        Blob::new(OCI_LAYER, &sha256(bytes), bytes.len() as u64)
    }

    /// An image config descriptor of `bytes`.
    pub fn config(bytes: &[u8]) -> Blob {
        Blob::new(OCI_CONFIG, &sha256(bytes), bytes.len() as u64)
    }

    /// A descriptor that says exactly this.
    pub fn new(media_type: &str, digest: &str, size: u64) -> Blob {
        Blob {
            media_type: media_type.to_string(),
            digest: digest.to_string(),
            size,
        }
    }

    /// The same descriptor declaring another size.
    pub fn sized(mut self, size: u64) -> Blob {
        self.size = size;
        self
    }

    fn json(&self) -> Value {
        json!({"mediaType": self.media_type, "digest": self.digest, "size": self.size})
    }
}

/// The bytes of an OCI image manifest with `config` and `layers`.
pub fn image_manifest(config: &Blob, layers: &[Blob]) -> Vec<u8> {
    let layers: Vec<Value> = layers.iter().map(Blob::json).collect();
    let m = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                   "config": config.json(), "layers": layers});
    serde_json::to_vec(&m).unwrap_or_default()
}

/// Serves `bytes` as an OCI image manifest at `GET`/`HEAD
/// /v2/<repo>/manifests/<reference>` and under its own digest, with
/// `Content-Type` and `Docker-Content-Digest`. Returns the digest.
pub fn serve_manifest(
    server: &ScriptedServer,
    repo: &str,
    reference: &str,
    bytes: &[u8],
) -> String {
    let digest = sha256(bytes);
    for at in [reference, digest.as_str()] {
        for method in ["GET", "HEAD"] {
            let reply = Reply::new(200, bytes.to_vec())
                .header("Content-Type", OCI_MANIFEST)
                .header("Docker-Content-Digest", &digest);
            server.reply(method, &format!("/v2/{repo}/manifests/{at}"), reply);
        }
    }
    digest
}

/// Answers `GET /v2/<repo>/blobs/<digest>` with `reply`.
pub fn serve_blob(server: &ScriptedServer, repo: &str, digest: &str, reply: Reply) {
    server.reply("GET", &format!("/v2/{repo}/blobs/{digest}"), reply);
}

/// The first byte a request's `Range: bytes=<first>-` asks for (0
/// without one).
pub fn range_start(request: &crate::RecordedRequest) -> u64 {
    request
        .header("range")
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split('-').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
