//! Image references: `ubuntu`, `localhost:5000/team/app:v1`,
//! `ghcr.io/o/r@sha256:...`, `[::1]:5000/x:latest`.
//!
//! [`Reference::parse`] accepts exactly what docker accepts and normalizes
//! it the same way: it is a hand-written port of
//! `github.com/distribution/reference` v0.6 `ParseNormalizedNamed`,
//! including its domain detection (the first component is a domain when it
//! contains `.` or `:`, is `localhost`, or has an uppercase letter), Docker
//! Hub normalization (`ubuntu` -> `docker.io/library/ubuntu`,
//! `index.docker.io` -> `docker.io`), bracketed IPv6 hosts, the lowercase
//! rule, the 255-byte path limit, the refusal of bare 64-hex identifiers,
//! and digest validation with go-digest's rules.
//!
//! ```
//! use ocireg_core::reference::{Reference, ReferenceErrorKind};
//!
//! let r: Reference = "localhost:5000/team/app:v1".parse().unwrap();
//! assert_eq!(r.domain(), "localhost:5000");
//! assert_eq!(r.path(), "team/app");
//! assert_eq!(r.tag(), Some("v1"));
//!
//! let hub: Reference = "redis".parse().unwrap();
//! assert_eq!(hub.to_string(), "docker.io/library/redis");
//! assert_eq!(hub.familiar(), "redis");
//! assert_eq!(hub.with_default_tag().to_string(), "docker.io/library/redis:latest");
//!
//! let err = "Ubuntu/App".parse::<Reference>().unwrap_err();
//! assert_eq!(err.kind(), ReferenceErrorKind::NameNotLowercase);
//! ```
//!
//! The sub-grammars are available in [`grammar`] for callers that need to
//! validate one part (a tag, a domain) on its own.

pub mod grammar;
mod repository;

pub use repository::Repository;

use std::fmt;
use std::str::FromStr;

use crate::digest::{Digest, DigestErrorKind};

/// The domain docker uses for Docker Hub in normalized names.
pub const DOCKER_HUB_DOMAIN: &str = "docker.io";
/// Docker Hub's legacy domain, normalized to [`DOCKER_HUB_DOMAIN`].
pub const DOCKER_HUB_LEGACY_DOMAIN: &str = "index.docker.io";
/// The host that serves Docker Hub's registry API.
pub const DOCKER_HUB_REGISTRY_HOST: &str = "registry-1.docker.io";
/// The namespace of Docker Hub's official images.
pub const OFFICIAL_REPO_PREFIX: &str = "library/";
/// The tag docker assumes when a reference has neither tag nor digest.
pub const DEFAULT_TAG: &str = "latest";
/// The longest repository path (without domain) docker accepts, in bytes.
pub const PATH_MAX_LEN: usize = 255;

/// Why a string is not a valid reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReferenceErrorKind {
    /// The string does not follow the reference grammar.
    InvalidFormat,
    /// The repository name has uppercase letters.
    NameNotLowercase,
    /// The repository path is longer than 255 bytes.
    NameTooLong,
    /// The whole string is a 64-hex-digit identifier, not a name.
    NameIsIdentifier,
    /// The name is empty.
    NameEmpty,
    /// The digest's algorithm is well-formed but not supported.
    DigestUnsupportedAlgorithm,
    /// The digest's hex part has the wrong length for its algorithm.
    DigestInvalidLength,
    /// The digest is malformed (for example uppercase hex).
    DigestInvalidFormat,
}

impl ReferenceErrorKind {
    /// A stable snake_case name, as printed by `ocireg ref`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReferenceErrorKind::InvalidFormat => "invalid_format",
            ReferenceErrorKind::NameNotLowercase => "name_not_lowercase",
            ReferenceErrorKind::NameTooLong => "name_too_long",
            ReferenceErrorKind::NameIsIdentifier => "name_is_identifier",
            ReferenceErrorKind::NameEmpty => "name_empty",
            ReferenceErrorKind::DigestUnsupportedAlgorithm => "digest_unsupported_algorithm",
            ReferenceErrorKind::DigestInvalidLength => "digest_invalid_length",
            ReferenceErrorKind::DigestInvalidFormat => "digest_invalid_format",
        }
    }

    fn message(self) -> &'static str {
        match self {
            ReferenceErrorKind::InvalidFormat => "invalid reference format",
            ReferenceErrorKind::NameNotLowercase => {
                "invalid reference format: repository name must be lowercase"
            }
            ReferenceErrorKind::NameTooLong => {
                "repository name must not be more than 255 characters"
            }
            ReferenceErrorKind::NameIsIdentifier => {
                "invalid repository name: cannot specify 64-byte hexadecimal strings"
            }
            ReferenceErrorKind::NameEmpty => "repository name must have at least one component",
            ReferenceErrorKind::DigestUnsupportedAlgorithm => "unsupported digest algorithm",
            ReferenceErrorKind::DigestInvalidLength => "invalid checksum digest length",
            ReferenceErrorKind::DigestInvalidFormat => "invalid checksum digest format",
        }
    }
}

impl From<DigestErrorKind> for ReferenceErrorKind {
    fn from(k: DigestErrorKind) -> Self {
        match k {
            DigestErrorKind::UnsupportedAlgorithm => ReferenceErrorKind::DigestUnsupportedAlgorithm,
            DigestErrorKind::InvalidLength => ReferenceErrorKind::DigestInvalidLength,
            DigestErrorKind::InvalidFormat => ReferenceErrorKind::DigestInvalidFormat,
        }
    }
}

/// A string that is not a valid reference: what is wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceError {
    kind: ReferenceErrorKind,
    position: Option<usize>,
}

impl ReferenceError {
    fn new(kind: ReferenceErrorKind) -> Self {
        ReferenceError {
            kind,
            position: None,
        }
    }

    fn at(kind: ReferenceErrorKind, position: usize) -> Self {
        ReferenceError {
            kind,
            position: Some(position),
        }
    }

    /// What is wrong.
    pub fn kind(&self) -> ReferenceErrorKind {
        self.kind
    }

    /// The byte offset in the input of the first byte the grammar could not
    /// accept, for [`ReferenceErrorKind::InvalidFormat`].
    pub fn position(&self) -> Option<usize> {
        self.position
    }
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.message())?;
        if let Some(p) = self.position {
            write!(f, " at byte {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ReferenceError {}

/// A parsed, normalized image reference.
///
/// It owns one string, the normalized form
/// (`domain/path[:tag][@digest]`), and knows where each part lies in it.
/// `Display` prints that normalized form; serde uses it too.
#[derive(Clone)]
pub struct Reference {
    repr: Box<str>,
    /// `repr[..domain_end]` is the domain (possibly empty).
    domain_end: usize,
    /// Where the path starts (`domain_end + 1`, or 0 without a domain).
    path_start: usize,
    path_end: usize,
    /// `repr[path_end..tag_end]` is `:tag`, or empty.
    tag_end: usize,
    digest: Option<Digest>,
}

/// How the string that is matched is made from the input: a synthesized
/// `head` followed by `input[cut..]`.
struct Normalization {
    head: &'static str,
    cut: usize,
}

/// Go's `splitDockerDomain`, expressed as how the input is rewritten.
fn split_docker_domain(s: &str, first_slash: Option<usize>) -> Normalization {
    const HUB: &str = "docker.io/";
    const HUB_LIBRARY: &str = "docker.io/library/";
    let Some(slash) = first_slash else {
        return Normalization {
            head: HUB_LIBRARY,
            cut: 0,
        };
    };
    let (first, rest) = (&s[..slash], &s[slash + 1..]);
    let hub = |cut: usize| Normalization {
        head: if rest.contains('/') { HUB } else { HUB_LIBRARY },
        cut,
    };
    if first == "localhost" {
        Normalization { head: "", cut: 0 }
    } else if first == DOCKER_HUB_LEGACY_DOMAIN {
        hub(slash + 1)
    } else if first.bytes().any(|c| c == b'.' || c == b':') || changes_when_lowercased(first) {
        if first == DOCKER_HUB_DOMAIN {
            hub(slash + 1)
        } else {
            Normalization { head: "", cut: 0 }
        }
    } else {
        // The whole input is the remote name, which has a '/'.
        Normalization { head: HUB, cut: 0 }
    }
}

/// Go's `strings.ToLower(s) != s`.
fn changes_when_lowercased(s: &str) -> bool {
    if s.is_ascii() {
        return s.bytes().any(|c| c.is_ascii_uppercase());
    }
    s.chars().any(|c| {
        if c.is_ascii() {
            c.is_ascii_uppercase()
        } else {
            let mut l = c.to_lowercase();
            !(l.len() == 1 && l.next() == Some(c))
        }
    })
}

impl Reference {
    /// Parses and normalizes a reference as docker does
    /// (`ParseNormalizedNamed`).
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        if grammar::is_identifier(s) {
            return Err(ReferenceError::new(ReferenceErrorKind::NameIsIdentifier));
        }
        let first_slash = s.bytes().position(|c| c == b'/');
        let norm = split_docker_domain(s, first_slash);
        let remainder_start = if norm.head.is_empty() {
            first_slash.map_or(0, |i| i + 1)
        } else {
            norm.cut
        };
        let remainder = &s[remainder_start..];
        let remote = match remainder.bytes().position(|c| c == b':') {
            Some(i) => &remainder[..i],
            None => remainder,
        };
        if changes_when_lowercased(remote) {
            return Err(ReferenceError::new(ReferenceErrorKind::NameNotLowercase));
        }
        Self::parse_rewritten(s, norm)
    }

    /// Parses a reference exactly as written, without Docker Hub
    /// normalization (Go's `Parse`): `ubuntu` has domain `""` and path
    /// `ubuntu`, and a first component is a domain only when it is a valid
    /// one. Use [`Reference::parse`] for what users type.
    ///
    /// ```
    /// use ocireg_core::Reference;
    /// let r = Reference::parse_unnormalized("ubuntu:22.04").unwrap();
    /// assert_eq!((r.domain(), r.path(), r.tag()), ("", "ubuntu", Some("22.04")));
    /// ```
    pub fn parse_unnormalized(s: &str) -> Result<Reference, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::new(ReferenceErrorKind::NameEmpty));
        }
        Self::parse_rewritten(s, Normalization { head: "", cut: 0 })
    }

    /// Go's `Parse` applied to `norm.head + s[norm.cut..]`.
    fn parse_rewritten(s: &str, norm: Normalization) -> Result<Reference, ReferenceError> {
        // Match `head + s[cut..]`. A synthesized head is a valid domain and
        // path component, so only the tail needs matching then.
        let tail = &s[norm.cut..];
        let matched = if norm.head.is_empty() {
            grammar::reference_spans(s.as_bytes(), false)
        } else {
            grammar::rest_spans(tail.as_bytes(), 0, false)
        };
        let spans = match matched {
            Ok(sp) => sp,
            Err(at) => return Err(Self::mismatch(s, &norm, at)),
        };

        let head_path_len = norm.head.len() - norm.head.find('/').map_or(0, |i| i + 1);
        let path_len = head_path_len + spans.path_end - spans.path_start;
        if path_len > PATH_MAX_LEN {
            return Err(ReferenceError::new(ReferenceErrorKind::NameTooLong));
        }
        let digest = match spans.digest_start {
            Some(d) => {
                Some(Digest::parse(&tail[d..]).map_err(|e| ReferenceError::new(e.kind().into()))?)
            }
            None => None,
        };

        let mut repr = String::with_capacity(norm.head.len() + tail.len());
        repr.push_str(norm.head);
        repr.push_str(tail);
        let shift = norm.head.len();
        let (domain_end, path_start) = if norm.head.is_empty() {
            match spans.domain_end {
                Some(d) => (d, spans.path_start),
                None => (0, 0),
            }
        } else {
            (DOCKER_HUB_DOMAIN.len(), DOCKER_HUB_DOMAIN.len() + 1)
        };
        let path_end = spans.path_end + shift;
        Ok(Reference {
            repr: repr.into_boxed_str(),
            domain_end,
            path_start,
            path_end,
            tag_end: spans.tag.map_or(path_end, |(_, e)| e + shift),
            digest,
        })
    }

    /// The error for an input whose normalized form does not match the
    /// grammar: Go retries the match on the lowercased string and calls
    /// the reference "not lowercase" if that succeeds.
    fn mismatch(s: &str, norm: &Normalization, at: usize) -> ReferenceError {
        let matched_from = if norm.head.is_empty() { 0 } else { norm.cut };
        let invalid = ReferenceError {
            kind: ReferenceErrorKind::InvalidFormat,
            position: Some(matched_from + at),
        };
        let tail = &s[matched_from..];
        // The matcher reads left to right and lowercasing only changes its
        // decisions at uppercase (or non-ASCII) bytes: with none up to the
        // failure, the lowercased string fails at the same byte.
        let upto = (at + 1).min(tail.len());
        if tail.as_bytes()[..upto]
            .iter()
            .all(|c| c.is_ascii() && !c.is_ascii_uppercase())
        {
            return invalid;
        }
        let match_lowered = |t: &[u8]| {
            if norm.head.is_empty() {
                grammar::reference_spans(t, true).is_ok()
            } else {
                grammar::rest_spans(t, 0, true).is_ok()
            }
        };
        let lowered_matches = if tail.is_ascii() {
            tail.bytes().any(|c| c.is_ascii_uppercase()) && match_lowered(tail.as_bytes())
        } else {
            // Only two non-ASCII letters lowercase (by Go's simple case
            // mapping) to ASCII: KELVIN SIGN to `k` and LATIN CAPITAL
            // LETTER I WITH DOT ABOVE to `i`. Anything else stays
            // non-ASCII and cannot match the ASCII grammar.
            let mut lowered = String::with_capacity(tail.len());
            for c in tail.chars() {
                match c {
                    '\u{212A}' => lowered.push('k'),
                    '\u{0130}' => lowered.push('i'),
                    c if c.is_ascii() => lowered.push(c),
                    _ => return invalid,
                }
            }
            match_lowered(lowered.as_bytes())
        };
        if lowered_matches {
            ReferenceError::new(ReferenceErrorKind::NameNotLowercase)
        } else {
            invalid
        }
    }

    /// The registry domain, with port if any (`docker.io`,
    /// `localhost:5000`, `[::1]:5000`). Empty in the rare case where the
    /// first component looked like a domain to docker's heuristic but is
    /// not a valid one (`my_host.com/app` has path `my_host.com/app`).
    pub fn domain(&self) -> &str {
        &self.repr[..self.domain_end]
    }

    /// The repository path within the registry (`library/ubuntu`).
    pub fn path(&self) -> &str {
        &self.repr[self.path_start..self.path_end]
    }

    /// The repository path as the [`Repository`] operations take.
    pub fn repository(&self) -> Repository {
        Repository::trusted(self.path())
    }

    /// `domain/path`: the name without tag or digest.
    pub fn name(&self) -> &str {
        &self.repr[..self.path_end]
    }

    /// The tag, if the reference has one.
    pub fn tag(&self) -> Option<&str> {
        (self.tag_end > self.path_end).then(|| &self.repr[self.path_end + 1..self.tag_end])
    }

    /// The digest, if the reference has one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// Whether the reference has neither tag nor digest.
    pub fn is_name_only(&self) -> bool {
        self.tag_end == self.path_end && self.digest.is_none()
    }

    /// The normalized form as a string slice (what `Display` prints).
    pub fn as_str(&self) -> &str {
        &self.repr
    }

    /// The familiar form docker shows: Docker Hub's `docker.io/` and
    /// `library/` prefixes removed (`docker.io/library/ubuntu:22.04` ->
    /// `ubuntu:22.04`, `docker.io/grafana/grafana` -> `grafana/grafana`).
    pub fn familiar(&self) -> &str {
        &self.repr[self.familiar_start()..]
    }

    /// The familiar name, without tag or digest.
    pub fn familiar_name(&self) -> &str {
        &self.repr[self.familiar_start()..self.path_end]
    }

    fn familiar_start(&self) -> usize {
        if self.domain() != DOCKER_HUB_DOMAIN {
            return 0;
        }
        let path = self.path();
        match path.strip_prefix(OFFICIAL_REPO_PREFIX) {
            Some(rest) if !rest.contains('/') => self.path_start + OFFICIAL_REPO_PREFIX.len(),
            _ => self.path_start,
        }
    }

    /// The reference with the default tag `latest` added when it has
    /// neither tag nor digest (Go's `TagNameOnly`); otherwise a clone.
    pub fn with_default_tag(&self) -> Reference {
        if self.is_name_only() {
            self.with_tag(DEFAULT_TAG)
                .expect("the default tag is a valid tag")
        } else {
            self.clone()
        }
    }

    /// The same repository with `tag`, keeping any digest.
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        if !grammar::is_tag(tag) {
            let mut e = ReferenceError::new(ReferenceErrorKind::InvalidFormat);
            e.position = Some(grammar_fail_offset_tag(tag));
            return Err(e);
        }
        let mut repr = String::with_capacity(self.path_end + 1 + tag.len() + 72);
        repr.push_str(self.name());
        repr.push(':');
        repr.push_str(tag);
        let tag_end = repr.len();
        if let Some(d) = &self.digest {
            repr.push('@');
            repr.push_str(&d.to_string());
        }
        Ok(Reference {
            repr: repr.into_boxed_str(),
            tag_end,
            ..self.clone()
        })
    }

    /// The same repository pinned to `digest`, keeping any tag.
    pub fn with_digest(&self, digest: Digest) -> Reference {
        let mut repr = self.repr[..self.tag_end].to_string();
        repr.push('@');
        repr.push_str(&digest.to_string());
        Reference {
            repr: repr.into_boxed_str(),
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// The same repository with neither tag nor digest.
    pub fn without_tag_or_digest(&self) -> Reference {
        Reference {
            repr: self.name().into(),
            tag_end: self.path_end,
            digest: None,
            ..self.clone()
        }
    }

    /// The host (and port) that serves this reference's registry API:
    /// `registry-1.docker.io` for Docker Hub, the domain otherwise.
    pub fn registry_host(&self) -> &str {
        registry_host(self.domain())
    }
}

/// The host that serves the registry API for a reference domain: Docker
/// Hub's `docker.io` (and the empty domain docker leaves for names it
/// cannot place) is served by `registry-1.docker.io`; any other domain
/// serves itself.
pub fn registry_host(domain: &str) -> &str {
    match domain {
        "" | DOCKER_HUB_DOMAIN | DOCKER_HUB_LEGACY_DOMAIN => DOCKER_HUB_REGISTRY_HOST,
        d => d,
    }
}

fn grammar_fail_offset_tag(tag: &str) -> usize {
    tag.bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')))
        .unwrap_or(if tag.is_empty() {
            0
        } else {
            tag.len().min(128)
        })
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({:?})", &*self.repr)
    }
}

impl PartialEq for Reference {
    fn eq(&self, other: &Self) -> bool {
        self.repr == other.repr
    }
}
impl Eq for Reference {}

impl std::hash::Hash for Reference {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.repr.hash(state)
    }
}

impl PartialOrd for Reference {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Reference {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.repr.cmp(&other.repr)
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

impl TryFrom<&str> for Reference {
    type Error = ReferenceError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Reference::parse(s)
    }
}

impl serde::Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.repr)
    }
}

impl<'de> serde::Deserialize<'de> for Reference {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Reference;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an image reference string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Reference, E> {
                Reference::parse(v).map_err(|e| E::custom(format_args!("{e}: {v:?}")))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> (String, String, Option<String>, Option<String>) {
        let r = Reference::parse(s).unwrap();
        (
            r.domain().into(),
            r.path().into(),
            r.tag().map(Into::into),
            r.digest().map(|d| d.to_string()),
        )
    }

    #[test]
    fn normalizes_docker_hub_names() {
        assert_eq!(
            Reference::parse("ubuntu").unwrap().as_str(),
            "docker.io/library/ubuntu"
        );
        assert_eq!(
            Reference::parse("index.docker.io/ubuntu:1")
                .unwrap()
                .as_str(),
            "docker.io/library/ubuntu:1"
        );
        assert_eq!(
            Reference::parse("docker.io/grafana/grafana")
                .unwrap()
                .as_str(),
            "docker.io/grafana/grafana"
        );
        assert_eq!(
            Reference::parse("grafana/grafana:10").unwrap().familiar(),
            "grafana/grafana:10"
        );
        assert_eq!(
            Reference::parse("docker.io/library/a/b")
                .unwrap()
                .familiar(),
            "library/a/b"
        );
        let r = Reference::parse("ubuntu:22.04").unwrap();
        assert_eq!(r.familiar_name(), "ubuntu");
        assert_eq!(r.name(), "docker.io/library/ubuntu");
    }

    #[test]
    fn splits_parts() {
        assert_eq!(
            parts("[::1]:5000/a/b:t"),
            ("[::1]:5000".into(), "a/b".into(), Some("t".into()), None)
        );
        assert_eq!(
            parts("my_host.com/app"),
            ("".into(), "my_host.com/app".into(), None, None)
        );
        assert_eq!(parts("Foo/bar").0, "Foo");
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let (_, _, t, dg) = parts(&format!("localhost/x:y@{d}"));
        assert_eq!((t.as_deref(), dg.as_deref()), (Some("y"), Some(d)));
    }

    #[test]
    fn error_kinds() {
        let kind = |s: &str| Reference::parse(s).unwrap_err().kind();
        use ReferenceErrorKind::*;
        assert_eq!(kind(""), InvalidFormat);
        assert_eq!(kind(&"a".repeat(64)), NameIsIdentifier);
        assert_eq!(kind("Ubuntu"), NameNotLowercase);
        assert_eq!(kind("\u{212A}/x"), NameNotLowercase);
        assert_eq!(kind("a/\u{212A}"), NameNotLowercase);
        assert_eq!(kind("日本"), InvalidFormat);
        assert_eq!(kind(&format!("a/{}", "b".repeat(254))), NameTooLong);
        assert!(Reference::parse(&format!("a/{}", "b".repeat(253))).is_ok());
        assert_eq!(
            kind("x@sha256:abcdabcdabcdabcdabcdabcdabcdabcd"),
            DigestInvalidLength
        );
        assert_eq!(
            kind("x@blake3:abcdabcdabcdabcdabcdabcdabcdabcd"),
            DigestUnsupportedAlgorithm
        );
        assert_eq!(
            kind("x:t@Blake3:abcdabcdabcdabcdabcdabcdabcdabcd"),
            DigestInvalidFormat
        );
        // Go checks case up to the first colon, which may be inside the digest.
        assert_eq!(
            kind("x@Blake3:abcdabcdabcdabcdabcdabcdabcdabcd"),
            NameNotLowercase
        );
    }

    #[test]
    fn error_positions_are_input_offsets() {
        let e = Reference::parse("foo bar").unwrap_err();
        assert_eq!(
            (e.kind(), e.position()),
            (ReferenceErrorKind::InvalidFormat, Some(3))
        );
        assert_eq!(e.to_string(), "invalid reference format at byte 3");
        let e = Reference::parse("index.docker.io/a:-x").unwrap_err();
        assert_eq!(e.position(), Some(18));
        let e = Reference::parse("localhost:5000/a b").unwrap_err();
        assert_eq!(e.position(), Some(16));
    }

    #[test]
    fn builders_keep_parts_consistent() {
        let r = Reference::parse("localhost:5000/app").unwrap();
        assert!(r.is_name_only());
        let t = r.with_default_tag();
        assert_eq!(t.as_str(), "localhost:5000/app:latest");
        assert_eq!(t.tag(), Some("latest"));
        let d = Digest::sha256(b"x");
        let td = t.with_digest(d);
        assert_eq!(td, Reference::parse(td.as_str()).unwrap());
        assert_eq!(td.with_tag("v2").unwrap().tag(), Some("v2"));
        assert_eq!(td.with_tag("v2").unwrap().digest(), Some(&d));
        assert_eq!(td.without_tag_or_digest(), r);
        assert!(r.with_tag("-bad").is_err());
        assert_eq!(td.with_default_tag(), td);
    }

    #[test]
    fn serde_and_registry_host() {
        let r = Reference::parse("nginx").unwrap();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            "\"docker.io/library/nginx\""
        );
        let back: Reference = serde_json::from_str("\"nginx\"").unwrap();
        assert_eq!(back, r);
        assert!(serde_json::from_str::<Reference>("\"NGINX\"").is_err());
        assert_eq!(r.registry_host(), "registry-1.docker.io");
        assert_eq!(
            Reference::parse("ghcr.io/o/r").unwrap().registry_host(),
            "ghcr.io"
        );
    }
}
