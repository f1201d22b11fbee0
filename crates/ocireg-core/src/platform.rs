//! Platforms (`linux/arm64/v8`) and the matcher that picks the right
//! manifest out of an image index.
//!
//! A [`Platform`] reads and writes both forms registries and users speak:
//! the JSON object found in index entries and image configs (with the
//! dotted `os.version` and `os.features` keys) and the short
//! `os/arch[/variant]` string of `--platform` flags.
//!
//! Matching follows containerd's `platforms` package: both sides are
//! [normalized](Platform::normalized) first (`x86_64` is `amd64`, `aarch64`
//! is `arm64/v8`, `armhf` is `arm/v7`), the os and architecture must be
//! equal, and a variant may fall back to an older compatible one (`arm/v7`
//! runs `arm/v6` and `arm/v5`, `amd64/v3` runs `amd64/v2` and plain
//! `amd64`), preferring the newest. The wanted platform is always an input:
//! the core never looks at the machine it runs on.
//!
//! ```
//! use ocireg_core::platform::{best_match, Platform};
//!
//! let wanted: Platform = "linux/arm/v7".parse().unwrap();
//! let entries: Vec<Platform> = ["linux/amd64", "linux/arm/v6", "linux/arm64"]
//!     .iter()
//!     .map(|s| s.parse().unwrap())
//!     .collect();
//! // No exact arm/v7 entry: arm/v6 is the best one this machine can run.
//! assert_eq!(best_match(&wanted, entries.iter().map(Some)), Some(1));
//!
//! let aarch64 = Platform::new("linux", "aarch64");
//! assert_eq!(aarch64.normalized().to_string(), "linux/arm64/v8");
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::manifest::json::null_as_default;

/// The platform an image (or one manifest of an index) is built for.
///
/// Serde uses the OCI JSON object form. Missing `os` or `architecture` read
/// as empty strings (such an entry never matches), and `null` lists read as
/// empty, so an odd index entry does not fail the whole index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// CPU architecture, in Go's `GOARCH` spelling (`amd64`, `arm64`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub architecture: String,
    /// Operating system, in Go's `GOOS` spelling (`linux`, `windows`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub os: String,
    /// Operating system version (JSON `os.version`), e.g. `10.0.17763.5329`
    /// for Windows images.
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    /// Required operating system features (JSON `os.features`), e.g.
    /// `win32k`.
    #[serde(
        rename = "os.features",
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub os_features: Vec<String>,
    /// CPU variant (`v7` for 32-bit arm, `v8` for arm64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// CPU features: a field of Docker manifest lists that OCI reserves.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub features: Vec<String>,
}

impl Platform {
    /// A platform with just an os and an architecture.
    pub fn new(os: impl Into<String>, architecture: impl Into<String>) -> Platform {
        Platform {
            os: os.into(),
            architecture: architecture.into(),
            ..Platform::default()
        }
    }

    /// The one platform chosen when a single image must be picked from an
    /// index and the caller named none: what docker picks, `linux` on the
    /// host's CPU architecture (containers run Linux images even on macOS
    /// and Windows hosts), normalized (`linux/arm64/v8` on aarch64). In a
    /// browser (`wasm32`), where the host's CPU says nothing about where
    /// the image will run, it is `linux/amd64`, the most common.
    ///
    /// ```
    /// use ocireg_core::platform::Platform;
    ///
    /// let p = Platform::default_choice();
    /// assert_eq!(p.os, "linux");
    /// # #[cfg(target_arch = "x86_64")]
    /// assert_eq!(p.to_string(), "linux/amd64");
    /// ```
    pub fn default_choice() -> Platform {
        Platform::new("linux", host_architecture()).normalized()
    }

    /// The same platform with a CPU variant.
    pub fn with_variant(mut self, variant: impl Into<String>) -> Platform {
        self.variant = Some(variant.into());
        self
    }

    /// The canonical spelling, as containerd normalizes it: lowercase,
    /// `macos` is `darwin`, architecture aliases resolved (`x86_64` and
    /// `x86-64` are `amd64`, `aarch64` is `arm64`, `i386` is `386`, `armhf`
    /// is `arm/v7`, `armel` is `arm/v6`), bare variant numbers get their `v`
    /// (`arm/7` is `arm/v7`), and the default variants are filled in
    /// (`arm64` is `arm64/v8`, `arm` is `arm/v7`; `amd64/v1` is plain
    /// `amd64`). Other fields are kept as they are.
    pub fn normalized(&self) -> Platform {
        let mut os = self.os.to_ascii_lowercase();
        if os == "macos" {
            os = "darwin".to_string();
        }
        let arch = self.architecture.to_ascii_lowercase();
        let variant = self.variant.as_deref().map(str::to_ascii_lowercase);
        let (architecture, variant) = normalize_arch(&arch, variant);
        Platform {
            os,
            architecture,
            variant,
            ..self.clone()
        }
    }

    /// Whether an image built for `candidate` can run where `self` is
    /// wanted, after normalizing both (see [`best_match`] for the rules).
    pub fn matches(&self, candidate: &Platform) -> bool {
        rank(&self.normalized(), &candidate.normalized()).is_some()
    }
}

/// Splits `os/arch[/variant]`; does not normalize.
impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Platform, PlatformError> {
        let err = |reason| PlatformError {
            input: s.to_string(),
            reason,
        };
        let parts: Vec<&str> = s.split('/').collect();
        if parts.len() < 2 || parts.len() > 3 {
            return Err(err("expected os/arch or os/arch/variant"));
        }
        for part in &parts {
            if part.is_empty() {
                return Err(err("empty component"));
            }
            let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
            if !part.chars().all(allowed) {
                return Err(err(
                    "components may only hold letters, digits, '_', '-' and '.'",
                ));
            }
        }
        let mut platform = Platform::new(parts[0], parts[1]);
        platform.variant = parts.get(2).map(|v| v.to_string());
        Ok(platform)
    }
}

/// Writes `os/arch` or `os/arch/variant`; `os.version` and the feature
/// lists have no place in that form.
impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// A platform string that is not `os/arch[/variant]`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid platform {input:?}: {reason}")]
pub struct PlatformError {
    input: String,
    reason: &'static str,
}

fn normalize_arch(arch: &str, variant: Option<String>) -> (String, Option<String>) {
    let v = variant.as_deref();
    match arch {
        "i386" | "386" => ("386".to_string(), None),
        "x86_64" | "x86-64" | "amd64" => {
            let variant = match v {
                None | Some("v1") | Some("1") => None,
                Some(v) => Some(with_v(v)),
            };
            ("amd64".to_string(), variant)
        }
        "aarch64" | "arm64" => {
            let variant = match v {
                None | Some("8") | Some("v8") | Some("8.0") | Some("v8.0") => "v8".to_string(),
                Some("9") | Some("9.0") | Some("v9.0") => "v9".to_string(),
                Some(v) => with_v(v),
            };
            ("arm64".to_string(), Some(variant))
        }
        "armhf" => ("arm".to_string(), Some("v7".to_string())),
        "armel" => ("arm".to_string(), Some("v6".to_string())),
        "arm" => {
            let variant = match v {
                None => "v7".to_string(),
                Some(v) => with_v(v),
            };
            ("arm".to_string(), Some(variant))
        }
        _ => (arch.to_string(), variant),
    }
}

/// `7` becomes `v7`; anything not starting with a digit is kept.
fn with_v(variant: &str) -> String {
    if variant.starts_with(|c: char| c.is_ascii_digit()) {
        format!("v{variant}")
    } else {
        variant.to_string()
    }
}

/// How new a normalized variant is, for the architectures whose variants
/// are ordered: a machine runs every variant up to its own.
fn variant_level(arch: &str, variant: Option<&str>) -> Option<u32> {
    match (arch, variant) {
        ("amd64", None) => Some(1),
        ("amd64", Some(v)) => version_number(v)
            .filter(|&(_, minor)| minor == 0)
            .map(|(n, _)| n),
        ("arm", Some(v)) => version_number(v)
            .filter(|&(n, minor)| (5..=8).contains(&n) && minor == 0)
            .map(|(n, _)| n),
        ("arm64", Some(v)) => version_number(v)
            .filter(|&(n, minor)| n >= 8 && minor < 100)
            .map(|(n, minor)| n.saturating_mul(100).saturating_add(minor)),
        _ => None,
    }
}

/// `v8` is `(8, 0)`, `v8.2` is `(8, 2)`.
fn version_number(variant: &str) -> Option<(u32, u32)> {
    let digits = variant.strip_prefix('v')?;
    let (major, minor) = match digits.split_once('.') {
        Some((major, minor)) => (major, minor),
        None => (digits, "0"),
    };
    let number = |s: &str| {
        if !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse::<u32>().ok()
        } else {
            None
        }
    };
    Some((number(major)?, number(minor)?))
}

/// How well a normalized `candidate` fits a normalized `wanted`; `None`
/// when it cannot run there. Higher is better.
fn rank(wanted: &Platform, candidate: &Platform) -> Option<(u32, bool)> {
    if wanted.os != candidate.os || wanted.architecture != candidate.architecture {
        return None;
    }
    let arch = wanted.architecture.as_str();
    let wanted_level = variant_level(arch, wanted.variant.as_deref());
    let candidate_level = variant_level(arch, candidate.variant.as_deref());
    let variant_rank = if wanted.variant == candidate.variant {
        candidate_level.unwrap_or(0)
    } else {
        match (wanted_level, candidate_level) {
            (Some(w), Some(c)) if c <= w => c,
            _ => return None,
        }
    };
    let os_version_exact = wanted.os_version.is_some() && wanted.os_version == candidate.os_version;
    Some((variant_rank, os_version_exact))
}

/// Picks the entry that best fits `wanted` and returns its position.
///
/// `candidates` are the platforms of an index's entries in order (`None`
/// for an entry without one, which never matches). Both sides are
/// normalized; os and architecture must be equal; the variant must be the
/// same or an older compatible one (arm `v8` > `v7` > `v6` > `v5`, amd64
/// `v4` > `v3` > `v2` > plain, arm64 by version), and the newest such wins.
/// Among equals an entry whose `os.version` equals the wanted one is
/// preferred, then the first. `os.features` are not compared. Entries such
/// as BuildKit's `unknown/unknown` attestation manifests never match a real
/// platform.
pub fn best_match<'a, I>(wanted: &Platform, candidates: I) -> Option<usize>
where
    I: IntoIterator<Item = Option<&'a Platform>>,
{
    let wanted = wanted.normalized();
    let mut best: Option<(usize, (u32, bool))> = None;
    for (i, candidate) in candidates.into_iter().enumerate() {
        let Some(candidate) = candidate else { continue };
        let Some(score) = rank(&wanted, &candidate.normalized()) else {
            continue;
        };
        if best.is_none_or(|(_, best_score)| score > best_score) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

/// The host's CPU architecture in OCI's spelling (`amd64` in a browser).
fn host_architecture() -> &'static str {
    if cfg!(target_arch = "wasm32") || cfg!(target_arch = "x86_64") {
        "amd64"
    } else if cfg!(target_arch = "aarch64") {
        "arm64"
    } else if cfg!(target_arch = "arm") {
        "arm"
    } else if cfg!(target_arch = "x86") {
        "386"
    } else if cfg!(all(target_arch = "powerpc64", target_endian = "little")) {
        "ppc64le"
    } else if cfg!(target_arch = "s390x") {
        "s390x"
    } else if cfg!(target_arch = "riscv64") {
        "riscv64"
    } else if cfg!(target_arch = "loongarch64") {
        "loong64"
    } else {
        // An architecture no image index names: amd64, as in a browser.
        "amd64"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_displays_the_short_form() {
        let arm = p("linux/arm64/v8");
        assert_eq!(arm.os, "linux");
        assert_eq!(arm.architecture, "arm64");
        assert_eq!(arm.variant.as_deref(), Some("v8"));
        assert_eq!(arm.to_string(), "linux/arm64/v8");
        assert_eq!(p("linux/amd64").to_string(), "linux/amd64");
        assert_eq!(p("linux/amd64").variant, None);
    }

    #[test]
    fn rejects_malformed_short_forms() {
        for bad in [
            "",
            "linux",
            "linux/",
            "/amd64",
            "linux/arm/v7/x",
            "linux/am d64",
            "linux//v7",
        ] {
            assert!(bad.parse::<Platform>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "linux".parse::<Platform>().unwrap_err().to_string(),
            "invalid platform \"linux\": expected os/arch or os/arch/variant"
        );
    }

    #[test]
    fn json_keeps_os_version_and_features() {
        let json = r#"{"architecture":"amd64","os":"windows","os.version":"10.0.17763.5329",
            "os.features":["win32k"],"features":["sse4"]}"#;
        let platform: Platform = serde_json::from_str(json).unwrap();
        assert_eq!(platform.os_version.as_deref(), Some("10.0.17763.5329"));
        assert_eq!(platform.os_features, ["win32k"]);
        assert_eq!(platform.features, ["sse4"]);
        let back = serde_json::to_string(&platform).unwrap();
        assert_eq!(
            back,
            r#"{"architecture":"amd64","os":"windows","os.version":"10.0.17763.5329","os.features":["win32k"],"features":["sse4"]}"#
        );
        assert_eq!(serde_json::from_str::<Platform>(&back).unwrap(), platform);
    }

    #[test]
    fn json_tolerates_nulls_and_missing_fields() {
        let platform: Platform = serde_json::from_str(
            r#"{"os":"linux","architecture":null,"os.features":null,"features":null}"#,
        )
        .unwrap();
        assert_eq!(platform, Platform::new("linux", ""));
        assert_eq!(
            serde_json::to_string(&Platform::new("linux", "amd64")).unwrap(),
            r#"{"architecture":"amd64","os":"linux"}"#
        );
    }

    /// oci-spec 0.10's `Platform` reads `os_version`/`os_features` keys
    /// instead of the spec's dotted ones, so it silently drops both.
    #[test]
    fn oci_spec_gap_platform_drops_os_version() {
        let json = r#"{"architecture":"amd64","os":"windows","os.version":"10.0.17763.1","os.features":["win32k"]}"#;
        let theirs: oci_spec::image::Platform = serde_json::from_str(json).unwrap();
        assert_eq!(theirs.os_version(), &None);
        assert_eq!(theirs.os_features(), &None);
        let ours: Platform = serde_json::from_str(json).unwrap();
        assert_eq!(ours.os_version.as_deref(), Some("10.0.17763.1"));
        assert_eq!(ours.os_features, ["win32k"]);
    }

    #[test]
    fn normalizes_like_containerd() {
        let n = |s: &str| p(s).normalized().to_string();
        assert_eq!(n("linux/x86_64"), "linux/amd64");
        assert_eq!(n("linux/x86-64"), "linux/amd64");
        assert_eq!(n("linux/amd64/v1"), "linux/amd64");
        assert_eq!(n("linux/amd64/v3"), "linux/amd64/v3");
        assert_eq!(n("linux/aarch64"), "linux/arm64/v8");
        assert_eq!(n("linux/arm64"), "linux/arm64/v8");
        assert_eq!(n("linux/arm64/8"), "linux/arm64/v8");
        assert_eq!(n("linux/arm64/v8.0"), "linux/arm64/v8");
        assert_eq!(n("linux/arm64/9.0"), "linux/arm64/v9");
        assert_eq!(n("linux/armhf"), "linux/arm/v7");
        assert_eq!(n("linux/armel"), "linux/arm/v6");
        assert_eq!(n("linux/arm"), "linux/arm/v7");
        assert_eq!(n("linux/arm/6"), "linux/arm/v6");
        assert_eq!(n("linux/i386"), "linux/386");
        assert_eq!(n("Linux/AMD64"), "linux/amd64");
        assert_eq!(n("macos/arm64"), "darwin/arm64/v8");
        assert_eq!(n("linux/riscv64"), "linux/riscv64");
        assert_eq!(n("linux/ppc64le"), "linux/ppc64le");
    }

    fn pick(wanted: &str, entries: &[&str]) -> Option<usize> {
        let entries: Vec<Platform> = entries.iter().map(|s| p(s)).collect();
        best_match(&p(wanted), entries.iter().map(Some))
    }

    #[test]
    fn os_and_architecture_must_be_equal() {
        assert_eq!(
            pick(
                "linux/amd64",
                &["linux/arm64", "windows/amd64", "linux/amd64"]
            ),
            Some(2)
        );
        assert_eq!(pick("linux/s390x", &["linux/arm64", "linux/amd64"]), None);
        assert_eq!(
            pick("linux/amd64", &["unknown/unknown", "linux/x86_64"]),
            Some(1)
        );
        assert_eq!(
            best_match(&p("linux/amd64"), [None, Some(&p("linux/amd64"))]),
            Some(1)
        );
    }

    #[test]
    fn arm64_matches_no_variant_or_v8() {
        assert_eq!(
            pick("linux/arm64", &["linux/arm/v7", "linux/arm64"]),
            Some(1)
        );
        assert_eq!(pick("linux/arm64", &["linux/arm64/v8"]), Some(0));
        assert_eq!(pick("linux/arm64/v8", &["linux/arm64"]), Some(0));
        assert_eq!(pick("linux/aarch64", &["linux/arm64/v8"]), Some(0));
        assert_eq!(pick("linux/arm64", &["linux/arm64/v9"]), None);
        assert_eq!(
            pick("linux/arm64/v9", &["linux/arm64/v8", "linux/arm64/v9"]),
            Some(1)
        );
        assert_eq!(pick("linux/arm64/v9", &["linux/arm64"]), Some(0));
    }

    #[test]
    fn arm_falls_back_to_the_newest_older_variant() {
        let all = [
            "linux/arm/v5",
            "linux/arm/v6",
            "linux/arm/v7",
            "linux/arm/v8",
        ];
        assert_eq!(pick("linux/arm/v7", &all), Some(2));
        assert_eq!(pick("linux/arm/v7", &all[..2]), Some(1));
        assert_eq!(pick("linux/arm/v7", &all[..1]), Some(0));
        assert_eq!(pick("linux/arm/v6", &all[2..]), None);
        assert_eq!(pick("linux/arm", &["linux/arm/v6", "linux/arm"]), Some(1));
        assert_eq!(pick("linux/armhf", &["linux/arm/v7"]), Some(0));
        assert_eq!(pick("linux/arm/v5", &["linux/arm/v6"]), None);
    }

    #[test]
    fn amd64_levels_fall_back_to_plain() {
        let all = ["linux/amd64", "linux/amd64/v2", "linux/amd64/v3"];
        assert_eq!(pick("linux/amd64", &all), Some(0));
        assert_eq!(pick("linux/amd64/v2", &all), Some(1));
        assert_eq!(pick("linux/amd64/v4", &all), Some(2));
        assert_eq!(pick("linux/amd64", &all[1..]), None);
    }

    #[test]
    fn unordered_variants_must_be_equal() {
        assert_eq!(
            pick("linux/riscv64", &["linux/riscv64/rva22", "linux/riscv64"]),
            Some(1)
        );
        assert_eq!(pick("linux/riscv64/rva22", &["linux/riscv64"]), None);
    }

    #[test]
    fn os_version_prefers_an_exact_match_then_the_first() {
        let windows = |v: &str| Platform {
            os_version: Some(v.to_string()),
            ..Platform::new("windows", "amd64")
        };
        let entries = [windows("10.0.17763.5329"), windows("10.0.20348.2227")];
        let candidates = || entries.iter().map(Some);
        assert_eq!(
            best_match(&windows("10.0.20348.2227"), candidates()),
            Some(1)
        );
        assert_eq!(best_match(&windows("10.0.99999.1"), candidates()), Some(0));
        assert_eq!(
            best_match(&Platform::new("windows", "amd64"), candidates()),
            Some(0)
        );
    }

    #[test]
    fn matches_compares_normalized_platforms() {
        assert!(p("linux/arm/v7").matches(&p("linux/armel")));
        assert!(!p("linux/armel").matches(&p("linux/arm/v7")));
        assert!(p("linux/x86_64").matches(&p("linux/amd64")));
    }
}
