//! Content digests (`sha256:<hex>`) and the streaming hasher and verifier
//! that every transport feeds pulled and pushed bytes through.
//!
//! Parsing follows `github.com/opencontainers/go-digest` exactly: the
//! algorithm is one of `sha256`, `sha384` or `sha512`, the encoded part is
//! lowercase hex of exactly twice the hash size, and an algorithm that is
//! well-formed but unknown (`blake3:...`) is reported as unsupported rather
//! than malformed.
//!
//! ```
//! use ocireg_core::digest::{Algorithm, Digest, Verifier};
//!
//! let d: Digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
//!     .parse()
//!     .unwrap();
//! assert_eq!(d.algorithm(), Algorithm::Sha256);
//! assert_eq!(Digest::compute(Algorithm::Sha256, b"hello"), d);
//!
//! // Streaming verification, chunk by chunk:
//! let mut v = Verifier::new(d);
//! v.update(b"hel");
//! v.update(b"lo");
//! assert!(v.finish().is_ok());
//! ```

use std::fmt;
use std::str::FromStr;

use sha2::Digest as _;

/// A digest algorithm this library can compute and verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-256, the algorithm registries use for nearly everything.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Algorithm {
    /// The name used in digest strings (`sha256`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// The algorithm for an exact name; names are case-sensitive.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "sha256" => Some(Algorithm::Sha256),
            "sha384" => Some(Algorithm::Sha384),
            "sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }

    /// Length of the raw hash in bytes.
    pub const fn size(self) -> usize {
        match self {
            Algorithm::Sha256 => 32,
            Algorithm::Sha384 => 48,
            Algorithm::Sha512 => 64,
        }
    }

    /// Length of the hex-encoded hash.
    pub const fn hex_len(self) -> usize {
        self.size() * 2
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::from_name(s).ok_or(DigestError {
            kind: DigestErrorKind::UnsupportedAlgorithm,
        })
    }
}

/// What is wrong with a digest string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestErrorKind {
    /// Not `algorithm:encoded`, or the encoded part is not lowercase hex.
    InvalidFormat,
    /// A well-formed algorithm name that this library does not support.
    UnsupportedAlgorithm,
    /// The hex part is not exactly twice the algorithm's hash size.
    InvalidLength,
}

impl DigestErrorKind {
    /// A stable snake_case name (`digest_invalid_format`, ...), as used by
    /// the `ocireg ref` command.
    pub const fn as_str(self) -> &'static str {
        match self {
            DigestErrorKind::InvalidFormat => "digest_invalid_format",
            DigestErrorKind::UnsupportedAlgorithm => "digest_unsupported_algorithm",
            DigestErrorKind::InvalidLength => "digest_invalid_length",
        }
    }
}

/// A digest string that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", match .kind {
    DigestErrorKind::InvalidFormat => "invalid checksum digest format",
    DigestErrorKind::UnsupportedAlgorithm => "unsupported digest algorithm",
    DigestErrorKind::InvalidLength => "invalid checksum digest length",
})]
pub struct DigestError {
    kind: DigestErrorKind,
}

impl DigestError {
    /// What is wrong.
    pub fn kind(&self) -> DigestErrorKind {
        self.kind
    }
}

/// A validated content digest such as `sha256:e3b0c442...`.
///
/// The value is small and `Copy`: it holds the decoded hash, not a string.
/// `Display` gives the canonical `algorithm:hex` form, and serde uses it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    bytes: [u8; 64],
}

impl Digest {
    /// Parses `algorithm:hex` with the rules of go-digest's `Parse`.
    pub fn parse(s: &str) -> Result<Digest, DigestError> {
        let err = |kind| DigestError { kind };
        let colon = match s.find(':') {
            Some(i) if i > 0 && i + 1 < s.len() => i,
            _ => return Err(err(DigestErrorKind::InvalidFormat)),
        };
        let (name, encoded) = (&s[..colon], &s[colon + 1..]);
        let Some(algorithm) = Algorithm::from_name(name) else {
            return Err(err(if is_go_digest_shape(s.as_bytes(), colon) {
                DigestErrorKind::UnsupportedAlgorithm
            } else {
                DigestErrorKind::InvalidFormat
            }));
        };
        if encoded.len() != algorithm.hex_len() {
            return Err(err(DigestErrorKind::InvalidLength));
        }
        let mut bytes = [0u8; 64];
        for (i, pair) in encoded.as_bytes().chunks_exact(2).enumerate() {
            match (lower_hex(pair[0]), lower_hex(pair[1])) {
                (Some(hi), Some(lo)) => bytes[i] = hi << 4 | lo,
                _ => return Err(err(DigestErrorKind::InvalidFormat)),
            }
        }
        Ok(Digest { algorithm, bytes })
    }

    /// A digest from a raw hash value; `None` when `hash` has the wrong
    /// length for `algorithm`.
    pub fn from_hash(algorithm: Algorithm, hash: &[u8]) -> Option<Digest> {
        if hash.len() != algorithm.size() {
            return None;
        }
        let mut bytes = [0u8; 64];
        bytes[..hash.len()].copy_from_slice(hash);
        Some(Digest { algorithm, bytes })
    }

    /// Hashes `data` in one go.
    pub fn compute(algorithm: Algorithm, data: &[u8]) -> Digest {
        let mut h = Hasher::new(algorithm);
        h.update(data);
        h.finish()
    }

    /// The sha256 digest of `data`.
    pub fn sha256(data: &[u8]) -> Digest {
        Digest::compute(Algorithm::Sha256, data)
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The raw hash bytes.
    pub fn hash(&self) -> &[u8] {
        &self.bytes[..self.algorithm.size()]
    }

    /// The lowercase hex of the hash (the part after the colon).
    pub fn hex(&self) -> String {
        let mut s = String::with_capacity(self.algorithm.hex_len());
        for b in self.hash() {
            s.push(HEX[(b >> 4) as usize] as char);
            s.push(HEX[(b & 15) as usize] as char);
        }
        s
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn lower_hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// go-digest's `DigestRegexp`, anchored:
/// `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`, where `colon` is the
/// first `:` of `s`.
fn is_go_digest_shape(s: &[u8], colon: usize) -> bool {
    let alg = &s[..colon];
    let comp = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut prev_sep = true;
    for &c in alg {
        if comp(c) {
            prev_sep = false;
        } else if matches!(c, b'.' | b'+' | b'_' | b'-') && !prev_sep {
            prev_sep = true;
        } else {
            return false;
        }
    }
    !prev_sep
        && s[colon + 1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'=' | b'_' | b'-'))
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.algorithm.as_str())?;
        f.write_str(":")?;
        let mut buf = [0u8; 128];
        for (i, b) in self.hash().iter().enumerate() {
            buf[2 * i] = HEX[(b >> 4) as usize];
            buf[2 * i + 1] = HEX[(b & 15) as usize];
        }
        let hex = &buf[..self.algorithm.hex_len()];
        // Only ASCII hex digits were written.
        f.write_str(std::str::from_utf8(hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse(s)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Digest;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a digest string such as sha256:<64 hex digits>")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Digest, E> {
                Digest::parse(v).map_err(|e| E::custom(format_args!("{e}: {v:?}")))
            }
        }
        d.deserialize_str(V)
    }
}

#[derive(Clone)]
enum HashState {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

/// Computes a digest over bytes fed in any number of chunks.
#[derive(Clone)]
pub struct Hasher {
    state: HashState,
    len: u64,
}

impl Hasher {
    /// A hasher for `algorithm`.
    pub fn new(algorithm: Algorithm) -> Hasher {
        let state = match algorithm {
            Algorithm::Sha256 => HashState::Sha256(sha2::Sha256::new()),
            Algorithm::Sha384 => HashState::Sha384(sha2::Sha384::new()),
            Algorithm::Sha512 => HashState::Sha512(sha2::Sha512::new()),
        };
        Hasher { state, len: 0 }
    }

    /// Feeds the next chunk.
    pub fn update(&mut self, data: &[u8]) {
        self.len = self.len.saturating_add(data.len() as u64);
        match &mut self.state {
            HashState::Sha256(h) => h.update(data),
            HashState::Sha384(h) => h.update(data),
            HashState::Sha512(h) => h.update(data),
        }
    }

    /// How many bytes were fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no byte was fed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self.state {
            HashState::Sha256(_) => Algorithm::Sha256,
            HashState::Sha384(_) => Algorithm::Sha384,
            HashState::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Digest {
        let mut bytes = [0u8; 64];
        let algorithm = self.algorithm();
        match self.state {
            HashState::Sha256(h) => bytes[..32].copy_from_slice(&h.finalize()),
            HashState::Sha384(h) => bytes[..48].copy_from_slice(&h.finalize()),
            HashState::Sha512(h) => bytes[..64].copy_from_slice(&h.finalize()),
        }
        Digest { algorithm, bytes }
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("algorithm", &self.algorithm())
            .field("len", &self.len)
            .finish()
    }
}

/// Content that did not match what it was supposed to be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The bytes hash to another digest.
    #[error("digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The digest the content was asked for by.
        expected: Digest,
        /// The digest of the bytes actually received.
        actual: Digest,
    },
    /// More or fewer bytes than the descriptor's size.
    #[error("size mismatch for {digest}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// The digest the content was asked for by.
        digest: Digest,
        /// The size the descriptor gives.
        expected: u64,
        /// Bytes received (when too many, counted up to the first excess chunk).
        actual: u64,
    },
}

/// Checks streamed content against the digest (and optionally the size) it
/// was requested by. Nothing may be reported as done until
/// [`Verifier::finish`] says so.
#[derive(Clone, Debug)]
pub struct Verifier {
    expected: Digest,
    expected_size: Option<u64>,
    hasher: Hasher,
}

impl Verifier {
    /// Verifies against `expected`.
    pub fn new(expected: Digest) -> Verifier {
        Verifier {
            expected,
            expected_size: None,
            hasher: Hasher::new(expected.algorithm()),
        }
    }

    /// Verifies against `expected` and an exact size in bytes.
    pub fn with_size(expected: Digest, size: u64) -> Verifier {
        Verifier {
            expected_size: Some(size),
            ..Verifier::new(expected)
        }
    }

    /// The same verifier, checking an exact size too: for a resumed
    /// download whose first bytes were fed before the size was known.
    pub fn with_expected_size(mut self, size: u64) -> Verifier {
        self.expected_size = Some(size);
        self
    }

    /// The digest being verified against.
    pub fn expected(&self) -> Digest {
        self.expected
    }

    /// Bytes fed so far: the offset to resume a broken download from.
    pub fn len(&self) -> u64 {
        self.hasher.len()
    }

    /// Whether nothing was fed yet.
    pub fn is_empty(&self) -> bool {
        self.hasher.is_empty()
    }

    /// Feeds the next chunk.
    pub fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
    }

    /// Whether more bytes arrived than the expected size allows: a caller
    /// can stop reading early.
    pub fn overflowed(&self) -> bool {
        matches!(self.expected_size, Some(n) if self.hasher.len() > n)
    }

    /// Checks size and digest.
    pub fn finish(self) -> Result<Digest, VerifyError> {
        let len = self.hasher.len();
        if let Some(expected) = self.expected_size {
            if len != expected {
                return Err(VerifyError::SizeMismatch {
                    digest: self.expected,
                    expected,
                    actual: len,
                });
            }
        }
        let actual = self.hasher.finish();
        if actual != self.expected {
            return Err(VerifyError::DigestMismatch {
                expected: self.expected,
                actual,
            });
        }
        Ok(actual)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_and_displays_canonical_form() {
        let d = Digest::parse(EMPTY).unwrap();
        assert_eq!(d.to_string(), EMPTY);
        assert_eq!(d, Digest::sha256(b""));
        assert_eq!(format!("{d:?}"), format!("Digest({EMPTY})"));
        let sha512 = Digest::compute(Algorithm::Sha512, b"abc");
        assert_eq!(Digest::parse(&sha512.to_string()).unwrap(), sha512);
        assert!(sha512.to_string().starts_with("sha512:ddaf35a193617aba"));
        let sha384 = Digest::compute(Algorithm::Sha384, b"abc");
        assert!(sha384.to_string().starts_with("sha384:cb00753f45a35e8b"));
    }

    #[test]
    fn errors_follow_go_digest() {
        let kind = |s: &str| Digest::parse(s).unwrap_err().kind();
        use DigestErrorKind::*;
        assert_eq!(kind(""), InvalidFormat);
        assert_eq!(kind(":abc"), InvalidFormat);
        assert_eq!(kind("sha256:"), InvalidFormat);
        assert_eq!(kind("sha256"), InvalidFormat);
        assert_eq!(kind("sha256:abc"), InvalidLength);
        assert_eq!(kind(&EMPTY.to_uppercase()), InvalidFormat);
        assert_eq!(kind(&EMPTY.replace("e3b0", "E3B0")), InvalidFormat);
        assert_eq!(kind(&EMPTY.replace("e3b0", "g3b0")), InvalidFormat);
        assert_eq!(kind("blake3:abcd"), UnsupportedAlgorithm);
        assert_eq!(
            kind("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"),
            UnsupportedAlgorithm
        );
        assert_eq!(kind("sha512+b64u:abc"), UnsupportedAlgorithm);
        assert_eq!(kind("Blake3:abcd"), InvalidFormat);
        assert_eq!(kind("blake3:ab/cd"), InvalidFormat);
        assert_eq!(kind("blake3.:abcd"), InvalidFormat);
        assert_eq!(
            Digest::parse("sha256:abc").unwrap_err().to_string(),
            "invalid checksum digest length"
        );
    }

    #[test]
    fn serde_uses_the_string_form() {
        let d = Digest::sha256(b"x");
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, format!("\"{d}\""));
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
        let err = serde_json::from_str::<Digest>("\"sha256:zz\"").unwrap_err();
        assert!(err.to_string().contains("invalid checksum digest length"));
    }

    #[test]
    fn verifier_checks_digest_and_size() {
        let d = Digest::sha256(b"hello world");
        let mut v = Verifier::with_size(d, 11);
        for chunk in b"hello world".chunks(3) {
            v.update(chunk);
        }
        assert_eq!(v.len(), 11);
        assert_eq!(v.finish().unwrap(), d);

        let mut v = Verifier::new(d);
        v.update(b"hello wOrld");
        match v.finish().unwrap_err() {
            VerifyError::DigestMismatch { expected, actual } => {
                assert_eq!(expected, d);
                assert_eq!(actual, Digest::sha256(b"hello wOrld"));
            }
            e => panic!("unexpected {e:?}"),
        }

        let mut v = Verifier::with_size(d, 11);
        v.update(b"hello world!");
        assert!(v.overflowed());
        assert!(matches!(
            v.finish(),
            Err(VerifyError::SizeMismatch {
                expected: 11,
                actual: 12,
                ..
            })
        ));
        let mut v = Verifier::with_size(d, 11);
        v.update(b"hello");
        let msg = v.finish().unwrap_err().to_string();
        assert!(msg.contains("expected 11 bytes, got 5"), "{msg}");
    }

    #[test]
    fn from_hash_checks_length() {
        let d = Digest::sha256(b"x");
        assert_eq!(Digest::from_hash(Algorithm::Sha256, d.hash()), Some(d));
        assert_eq!(Digest::from_hash(Algorithm::Sha512, d.hash()), None);
        assert_eq!(d.hex().len(), 64);
    }
}
