//! The image configuration: the JSON blob an image manifest's `config`
//! points at (`application/vnd.oci.image.config.v1+json`, or Docker's
//! `application/vnd.docker.container.image.v1+json`, which has the same
//! shape plus fields ignored here).
//!
//! It says what the image runs (`Entrypoint`, `Cmd`, `Env`, ...), which
//! platform it is for, the uncompressed digests of its layers (`diff_ids`)
//! and how it was built (`history`). Docker writes `null` for empty lists
//! and maps; every list and map here reads `null` as empty.
//!
//! ```
//! use ocireg_core::config::ImageConfig;
//!
//! let blob = br#"{
//!   "created": "2024-05-01T10:00:00Z",
//!   "architecture": "arm64", "variant": "v8", "os": "linux",
//!   "config": {"Env": null, "Cmd": ["/bin/sh"], "ExposedPorts": {"80/tcp": {}}},
//!   "rootfs": {"type": "layers", "diff_ids": [
//!     "sha256:4a44dc15364204a80fe80e9039455cc1608281820fe2b24f1e5233ade6af1dd5"
//!   ]}
//! }"#;
//! let config = ImageConfig::from_json(blob)?;
//! assert_eq!(config.platform().to_string(), "linux/arm64/v8");
//! let run = config.config.as_ref().unwrap();
//! assert!(run.env.is_empty());
//! assert!(run.exposed_ports.contains("80/tcp"));
//! assert_eq!(config.rootfs.diff_ids.len(), 1);
//! assert_eq!(config.created_unix(), Some(1_714_557_600));
//! # Ok::<(), ocireg_core::config::ConfigError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::de::IgnoredAny;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::digest::Digest;
use crate::manifest::json::null_as_default;
use crate::platform::Platform;

pub use crate::dates::rfc3339_to_unix;

/// An image configuration.
///
/// Unknown fields (Docker's `container_config`, `docker_version`, ...) are
/// ignored, so encoding a decoded config drops them: keep the blob's bytes
/// when its digest matters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// When the image was created, RFC 3339, as written (see
    /// [`ImageConfig::created_unix`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Who made the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// CPU architecture.
    #[serde(default, deserialize_with = "null_as_default")]
    pub architecture: String,
    /// Operating system.
    #[serde(default, deserialize_with = "null_as_default")]
    pub os: String,
    /// Operating system version (JSON `os.version`).
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    /// Required operating system features (JSON `os.features`).
    #[serde(
        rename = "os.features",
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub os_features: Vec<String>,
    /// CPU variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// How to run a container from the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
    /// The layers' uncompressed digests.
    #[serde(default, deserialize_with = "null_as_default")]
    pub rootfs: RootFs,
    /// How each layer was made, oldest first.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub history: Vec<History>,
}

/// The execution parameters of an image (the `config` object).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    /// User (and group) to run as: `name`, `uid`, `uid:gid`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Ports to expose, such as `80/tcp` (a JSON object whose values are
    /// empty objects).
    #[serde(
        default,
        deserialize_with = "set_from_map",
        serialize_with = "set_to_map",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub exposed_ports: BTreeSet<String>,
    /// Environment, `NAME=value` entries.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub env: Vec<String>,
    /// The command's fixed part. `None` (missing or `null`) and an empty
    /// list are kept apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// The command's default arguments. `None` and an empty list are kept
    /// apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// Paths to make volumes of (a JSON object whose values are empty
    /// objects).
    #[serde(
        default,
        deserialize_with = "set_from_map",
        serialize_with = "set_to_map",
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub volumes: BTreeSet<String>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Labels.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    /// Signal that stops the container, such as `SIGTERM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
}

/// The layers' uncompressed digests (the `rootfs` object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    /// Always `layers` in practice.
    #[serde(
        rename = "type",
        default = "layers",
        deserialize_with = "null_as_default"
    )]
    pub fs_type: String,
    /// Digest of each layer's uncompressed tar, base first.
    #[serde(default, deserialize_with = "null_as_default")]
    pub diff_ids: Vec<Digest>,
}

impl Default for RootFs {
    fn default() -> RootFs {
        RootFs {
            fs_type: layers(),
            diff_ids: Vec::new(),
        }
    }
}

fn layers() -> String {
    "layers".to_string()
}

/// One build step (an entry of `history`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// When the step ran, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The command of the step (`/bin/sh -c #(nop) CMD ["sh"]`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Who ran the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// A comment, such as `buildkit.dockerfile.v0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Whether the step made no layer (and so has no `diff_ids` entry).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_false"
    )]
    pub empty_layer: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An image configuration that could not be read or written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid image config: {message}")]
pub struct ConfigError {
    message: String,
}

impl ImageConfig {
    /// Reads a config blob. It must be one JSON object; `diff_ids` must be
    /// digests.
    pub fn from_json(bytes: &[u8]) -> Result<ImageConfig, ConfigError> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return Err(ConfigError {
                message: "expected a JSON object".to_string(),
            });
        }
        serde_json::from_slice(bytes).map_err(|e| ConfigError {
            message: e.to_string(),
        })
    }

    /// Encodes the config as compact JSON.
    pub fn to_json(&self) -> Result<Vec<u8>, ConfigError> {
        serde_json::to_vec(self).map_err(|e| ConfigError {
            message: e.to_string(),
        })
    }

    /// The platform the image is for.
    pub fn platform(&self) -> Platform {
        Platform {
            architecture: self.architecture.clone(),
            os: self.os.clone(),
            os_version: self.os_version.clone(),
            os_features: self.os_features.clone(),
            variant: self.variant.clone(),
            features: Vec::new(),
        }
    }

    /// `created` as seconds since the Unix epoch (fractions dropped), when
    /// it is a valid RFC 3339 timestamp.
    pub fn created_unix(&self) -> Option<i64> {
        self.created.as_deref().and_then(rfc3339_to_unix)
    }

    /// The history entries that made a layer, paired with the layer's
    /// diff ID, base first. Stops at the shorter of the two lists.
    pub fn layer_history(&self) -> Vec<(&History, Digest)> {
        self.history
            .iter()
            .filter(|h| !h.empty_layer)
            .zip(self.rootfs.diff_ids.iter().copied())
            .collect()
    }
}

/// Reads a Go `map[string]struct{}` (`{"80/tcp": {}}`), or `null`, as a set.
fn set_from_map<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeSet<String>, D::Error> {
    let map: Option<BTreeMap<String, IgnoredAny>> = Option::deserialize(deserializer)?;
    Ok(map.unwrap_or_default().into_keys().collect())
}

/// Writes a set as a Go `map[string]struct{}`.
fn set_to_map<S: Serializer>(set: &BTreeSet<String>, serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Empty {}
    let mut map = serializer.serialize_map(Some(set.len()))?;
    for key in set {
        map.serialize_entry(key, &Empty {})?;
    }
    map.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `docker build` (classic builder) writes: nulls, an empty user,
    /// extra fields.
    const DOCKER_CONFIG: &str = r##"{"architecture":"amd64","config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"ExposedPorts":null,"Tty":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"Image":"sha256:3fdba35f04dc8c462986c992bcf875546257113072a909c162f7e470e581e278","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"container":"5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9","container_config":{"Cmd":["/bin/sh","-c","#(nop) ","CMD [\"sh\"]"]},"created":"2023-05-19T20:19:23.711216498Z","docker_version":"20.10.23","history":[{"created":"2023-05-19T20:19:23.537436312Z","created_by":"/bin/sh -c #(nop) ADD file:7e9002edaafd4e4579b65c8f0aaabde1aeb7fd3f8d95579f7fd3443cef785fd1 in / "},{"created":"2023-05-19T20:19:23.711216498Z","created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:4a44dc15364204a80fe80e9039455cc1608281820fe2b24f1e5233ade6af1dd5"]}}"##;

    /// What BuildKit writes for an OCI image.
    const OCI_CONFIG: &str = r#"{
      "architecture": "arm", "variant": "v7", "os": "linux",
      "author": "ocireg tests",
      "config": {
        "User": "1000:1000",
        "ExposedPorts": {"8080/tcp": {}, "443/tcp": {}},
        "Env": ["PATH=/usr/bin", "APP=1"],
        "Entrypoint": ["/app"],
        "Cmd": [],
        "Volumes": {"/data": {}},
        "WorkingDir": "/srv",
        "Labels": {"org.opencontainers.image.source": "https://github.com/o/r"},
        "StopSignal": "SIGINT"
      },
      "created": "2024-05-01T10:00:00Z",
      "history": [
        {"created": "2024-05-01T09:00:00Z", "created_by": "ADD rootfs.tar /", "comment": "buildkit.dockerfile.v0"},
        {"created": "2024-05-01T10:00:00Z", "created_by": "ENV APP=1", "comment": "buildkit.dockerfile.v0", "empty_layer": true},
        {"created": "2024-05-01T10:00:00Z", "created_by": "COPY app /app", "author": "me", "comment": "buildkit.dockerfile.v0"}
      ],
      "rootfs": {"type": "layers", "diff_ids": [
        "sha256:4a44dc15364204a80fe80e9039455cc1608281820fe2b24f1e5233ade6af1dd5",
        "sha256:6b51d431df5d7f141cbececcf79edf3dd861c3b4069f0b11661a3eefacbba918"
      ]}
    }"#;

    #[test]
    fn reads_a_docker_config_with_nulls() {
        let c = ImageConfig::from_json(DOCKER_CONFIG.as_bytes()).unwrap();
        assert_eq!(c.platform().to_string(), "linux/amd64");
        let run = c.config.as_ref().unwrap();
        assert_eq!(run.user.as_deref(), Some(""));
        assert!(run.exposed_ports.is_empty() && run.volumes.is_empty() && run.labels.is_empty());
        assert_eq!(run.cmd.as_deref(), Some(&["sh".to_string()][..]));
        assert_eq!(run.entrypoint, None);
        assert_eq!(c.history.len(), 2);
        assert!(c.history[1].empty_layer);
        assert_eq!(c.layer_history().len(), 1);
        assert_eq!(c.created_unix(), Some(1_684_527_563));
    }

    #[test]
    fn reads_an_oci_config() {
        let c = ImageConfig::from_json(OCI_CONFIG.as_bytes()).unwrap();
        assert_eq!(c.platform().to_string(), "linux/arm/v7");
        assert_eq!(c.author.as_deref(), Some("ocireg tests"));
        let run = c.config.as_ref().unwrap();
        assert_eq!(
            run.exposed_ports.iter().collect::<Vec<_>>(),
            ["443/tcp", "8080/tcp"]
        );
        assert!(run.volumes.contains("/data"));
        assert_eq!(run.cmd, Some(Vec::new()));
        assert_eq!(run.stop_signal.as_deref(), Some("SIGINT"));
        assert_eq!(
            run.labels["org.opencontainers.image.source"],
            "https://github.com/o/r"
        );
        let layers = c.layer_history();
        assert_eq!(layers.len(), 2);
        assert_eq!(layers[1].0.created_by.as_deref(), Some("COPY app /app"));
        assert_eq!(layers[1].1, c.rootfs.diff_ids[1]);
    }

    #[test]
    fn decode_encode_decode_is_stable() {
        for sample in [DOCKER_CONFIG, OCI_CONFIG] {
            let first = ImageConfig::from_json(sample.as_bytes()).unwrap();
            let encoded = first.to_json().unwrap();
            let again = ImageConfig::from_json(&encoded).unwrap();
            assert_eq!(again, first);
            assert_eq!(again.to_json().unwrap(), encoded);
        }
        let encoded = String::from_utf8(
            ImageConfig::from_json(OCI_CONFIG.as_bytes())
                .unwrap()
                .to_json()
                .unwrap(),
        )
        .unwrap();
        assert!(
            encoded.contains(r#""ExposedPorts":{"443/tcp":{},"8080/tcp":{}}"#),
            "{encoded}"
        );
        assert!(encoded.contains(r#""Cmd":[]"#), "{encoded}");
    }

    #[test]
    fn nulls_everywhere_read_as_empty() {
        let c = ImageConfig::from_json(
            br#"{"architecture":null,"os":"linux","os.features":null,"config":null,"rootfs":null,"history":null}"#,
        )
        .unwrap();
        assert_eq!(c.rootfs, RootFs::default());
        assert!(c.config.is_none() && c.history.is_empty() && c.architecture.is_empty());
        let c = ImageConfig::from_json(
            br#"{"rootfs":{"type":null,"diff_ids":null},"history":[{"empty_layer":null}]}"#,
        )
        .unwrap();
        assert!(c.rootfs.diff_ids.is_empty());
        assert!(!c.history[0].empty_layer);
        assert_eq!(
            ImageConfig::from_json(b"{}").unwrap(),
            ImageConfig::default()
        );
    }

    #[test]
    fn bad_configs_give_errors() {
        let bad_diff = br#"{"rootfs":{"type":"layers","diff_ids":["sha256:nothex"]}}"#;
        let msg = ImageConfig::from_json(bad_diff).unwrap_err().to_string();
        assert!(
            msg.starts_with("invalid image config: invalid checksum digest"),
            "{msg}"
        );
        for bad in [
            &b"404 page not found"[..],
            b"",
            b"[]",
            b"{\"config\":[1]}",
            b"{\"history\":{}}",
        ] {
            assert!(
                ImageConfig::from_json(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            ImageConfig::from_json(b"null").unwrap_err().to_string(),
            "invalid image config: expected a JSON object"
        );
    }

    /// oci-spec 0.10's `ImageConfiguration` fails on `"diff_ids": null` and
    /// accepts diff IDs that are not digests.
    #[test]
    fn oci_spec_gap_config_diff_ids() {
        let null_ids =
            r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":null}}"#;
        assert!(serde_json::from_str::<oci_spec::image::ImageConfiguration>(null_ids).is_err());
        assert!(ImageConfig::from_json(null_ids.as_bytes()).is_ok());
        let bad_ids = r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["nope"]}}"#;
        assert!(serde_json::from_str::<oci_spec::image::ImageConfiguration>(bad_ids).is_ok());
        assert!(ImageConfig::from_json(bad_ids.as_bytes()).is_err());
    }
}
