//! The reference grammar of `github.com/distribution/reference`, written as
//! hand-made matchers over bytes instead of regular expressions.
//!
//! Each public function answers the same question as one of the Go
//! package's anchored regular expressions, with the same captures:
//!
//! | Go                         | here                    |
//! |----------------------------|-------------------------|
//! | `ReferenceRegexp`          | [`match_reference`]     |
//! | anchored `NameRegexp`      | [`split_name`]          |
//! | anchored `DomainRegexp`    | [`is_domain`]           |
//! | anchored `TagRegexp`       | [`is_tag`]              |
//! | anchored `DigestRegexp`    | [`is_digest`]           |
//! | anchored `IdentifierRegexp`| [`is_identifier`]       |
//!
//! The productions, from the Go source:
//!
//! ```text
//! reference      := name [ ":" tag ] [ "@" digest ]
//! name           := [domain "/"] remote-name
//! domain         := host [":" port-number]
//! host           := domain-name | "[" [a-fA-F0-9:]+ "]"
//! domain-name    := component ("." component)*
//! component      := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//! port-number    := [0-9]+
//! remote-name    := path-component ("/" path-component)*
//! path-component := [a-z0-9]+ (separator [a-z0-9]+)*
//! separator      := [_.] | "__" | "-"+
//! tag            := [\w][\w.-]{0,127}
//! digest         := algorithm ":" [0-9a-fA-F]{32,}
//! algorithm      := alg-part ([-_+.] alg-part)*
//! alg-part       := [A-Za-z][A-Za-z0-9]*
//! identifier     := [a-f0-9]{64}
//! ```
//!
//! A regex engine may backtrack between "the first segment is a domain" and
//! "the first segment is a path component". Both readings constrain the rest
//! of the string identically and the domain cannot contain `/`, so the
//! matcher decides once: the text before the first `/` is the domain when it
//! is a valid domain (the regex prefers that branch), else a path component.

/// Byte ranges of a reference string, as the captures of `ReferenceRegexp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Spans {
    /// End of the domain (exclusive), when there is one; the path then
    /// starts one byte later, after the `/`.
    pub domain_end: Option<usize>,
    pub path_start: usize,
    pub path_end: usize,
    /// `tag_start..tag_end` (the `:` is at `tag_start - 1`).
    pub tag: Option<(usize, usize)>,
    /// Start of the digest (after the `@`); it runs to the end.
    pub digest_start: Option<usize>,
}

/// Where a match failed: the byte offset of the first byte the grammar
/// could not take.
pub(crate) type Fail = usize;

// Byte classes, one bit each, looked up in a table so every grammar loop
// tests one byte with one load and one mask.
const LOWER: u8 = 1; // [a-z0-9]
const UPPER: u8 = 2; // [A-Z]
const WORD: u8 = 4; // [A-Za-z0-9_]
const TAG: u8 = 8; // [A-Za-z0-9_.-]
const HEX: u8 = 16; // [0-9a-fA-F]
const ALNUM: u8 = 32; // [A-Za-z0-9]
const ALPHA: u8 = 64; // [A-Za-z]

const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut k = 0;
        if b.is_ascii_lowercase() || b.is_ascii_digit() {
            k |= LOWER;
        }
        if b.is_ascii_uppercase() {
            k |= UPPER;
        }
        if b.is_ascii_alphanumeric() {
            k |= ALNUM | WORD | TAG;
        }
        if b.is_ascii_alphabetic() {
            k |= ALPHA;
        }
        if b == b'_' {
            k |= WORD | TAG;
        }
        if b == b'.' || b == b'-' {
            k |= TAG;
        }
        if b.is_ascii_hexdigit() {
            k |= HEX;
        }
        t[c] = k;
        c += 1;
    }
    t
};

#[inline(always)]
fn class(s: &[u8], i: usize) -> u8 {
    match s.get(i) {
        Some(&b) => CLASS[b as usize],
        None => 0,
    }
}

/// Matches a whole reference. With `fold`, ASCII uppercase letters count as
/// their lowercase forms (Go's "does it match once lowercased" retry).
pub(crate) fn reference_spans(s: &[u8], fold: bool) -> Result<Spans, Fail> {
    let (domain_end, path_start) = match s.iter().position(|&c| c == b'/') {
        Some(slash) if domain_ok(&s[..slash]) => (Some(slash), slash + 1),
        _ => (None, 0),
    };
    rest_spans(s, path_start, fold).map(|mut sp| {
        sp.domain_end = domain_end;
        sp
    })
}

/// Matches `remote-name [":" tag] ["@" digest]` from `start` to the end.
pub(crate) fn rest_spans(s: &[u8], start: usize, fold: bool) -> Result<Spans, Fail> {
    let path_end = remote_name(s, start, fold)?;
    let mut i = path_end;
    let mut tag = None;
    if s.get(i) == Some(&b':') {
        let end = tag_end(s, i + 1)?;
        tag = Some((i + 1, end));
        i = end;
    }
    let mut digest_start = None;
    if s.get(i) == Some(&b'@') {
        digest_at(s, i + 1)?;
        digest_start = Some(i + 1);
        i = s.len();
    }
    if i != s.len() {
        return Err(i);
    }
    Ok(Spans {
        domain_end: None,
        path_start: start,
        path_end,
        tag,
        digest_start,
    })
}

/// `path-component ("/" path-component)*` from `i`; returns its end.
fn remote_name(s: &[u8], mut i: usize, fold: bool) -> Result<usize, Fail> {
    loop {
        i = path_component(s, i, fold)?;
        if s.get(i) == Some(&b'/') {
            i += 1;
        } else {
            return Ok(i);
        }
    }
}

/// `[a-z0-9]+ (separator [a-z0-9]+)*` from `i`; returns its end.
fn path_component(s: &[u8], mut i: usize, fold: bool) -> Result<usize, Fail> {
    let alnum = if fold { LOWER | UPPER } else { LOWER };
    loop {
        // One alphanumeric run.
        let run = i;
        while class(s, i) & alnum != 0 {
            i += 1;
        }
        if i == run {
            return Err(i);
        }
        // An optional separator, which must be followed by another run.
        match s.get(i) {
            Some(b'.') => i += 1,
            Some(b'_') if s.get(i + 1) == Some(&b'_') => i += 2,
            Some(b'_') => i += 1,
            Some(b'-') => {
                i += 1;
                while s.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return Ok(i),
        }
    }
}

/// `[\w][\w.-]{0,127}` from `i`, running until `@` or the end.
fn tag_end(s: &[u8], start: usize) -> Result<usize, Fail> {
    if class(s, start) & WORD == 0 {
        return Err(start);
    }
    let mut i = start + 1;
    while class(s, i) & TAG != 0 {
        if i - start == 128 {
            return Err(i);
        }
        i += 1;
    }
    Ok(i)
}

/// The digest pattern from `start` to the end of `s`.
fn digest_at(s: &[u8], start: usize) -> Result<(), Fail> {
    let mut i = start;
    // algorithm := alg-part ([-_+.] alg-part)*
    loop {
        if class(s, i) & ALPHA == 0 {
            return Err(i);
        }
        i += 1;
        while class(s, i) & ALNUM != 0 {
            i += 1;
        }
        match s.get(i) {
            Some(b'-' | b'_' | b'+' | b'.') => i += 1,
            Some(b':') => break,
            _ => return Err(i),
        }
    }
    i += 1;
    let hex = i;
    while class(s, i) & HEX != 0 {
        i += 1;
    }
    if i != s.len() {
        return Err(i);
    }
    if i - hex < 32 {
        return Err(hex);
    }
    Ok(())
}

/// `host [":" port]` over all of `d`.
fn domain_ok(d: &[u8]) -> bool {
    let mut i = 0;
    if d.first() == Some(&b'[') {
        // "[" [a-fA-F0-9:]+ "]"
        i = 1;
        while class(d, i) & HEX != 0 || d.get(i) == Some(&b':') {
            i += 1;
        }
        if i == 1 || d.get(i) != Some(&b']') {
            return false;
        }
        i += 1;
    } else {
        // component ("." component)*, where a component is alphanumeric
        // runs joined by '-' that starts and ends alphanumeric.
        loop {
            if class(d, i) & ALNUM == 0 {
                return false;
            }
            while class(d, i) & ALNUM != 0 || d.get(i) == Some(&b'-') {
                i += 1;
            }
            if d[i - 1] == b'-' {
                return false;
            }
            if d.get(i) == Some(&b'.') {
                i += 1;
            } else {
                break;
            }
        }
    }
    match &d[i..] {
        [] => true,
        [b':', port @ ..] => !port.is_empty() && port.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// The captures of Go's `ReferenceRegexp` on a full match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReferenceCaptures<'a> {
    /// The name: optional domain, `/`, and the remote name.
    pub name: &'a str,
    /// The tag, or `""` when absent (as Go reports it).
    pub tag: &'a str,
    /// The digest, or `""` when absent.
    pub digest: &'a str,
}

/// Go's `ReferenceRegexp.FindStringSubmatch`: `None` when `s` is not a
/// reference in the grammar (this checks syntax only, not digest
/// algorithms, lengths or the name length limit).
pub fn match_reference(s: &str) -> Option<ReferenceCaptures<'_>> {
    let sp = reference_spans(s.as_bytes(), false).ok()?;
    Some(ReferenceCaptures {
        name: &s[..sp.path_end],
        tag: sp.tag.map_or("", |(a, b)| &s[a..b]),
        digest: sp.digest_start.map_or("", |d| &s[d..]),
    })
}

/// Go's anchored name regexp: splits `[domain "/"] remote-name` into
/// `(domain, path)`, with `""` for a missing domain.
pub fn split_name(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let (domain_end, start) = match b.iter().position(|&c| c == b'/') {
        Some(slash) if domain_ok(&b[..slash]) => (slash, slash + 1),
        _ => (0, 0),
    };
    let end = remote_name(b, start, false).ok()?;
    (end == b.len()).then(|| (&s[..domain_end], &s[start..]))
}

/// Checks that all of `s` is a repository path (`path-component ("/"
/// path-component)*`); the error is the offset of the first byte that
/// does not fit.
pub(crate) fn path_end(s: &str) -> Result<(), usize> {
    match remote_name(s.as_bytes(), 0, false) {
        Ok(end) if end == s.len() => Ok(()),
        Ok(end) => Err(end),
        Err(at) => Err(at),
    }
}

/// Whether all of `s` is a domain with optional port (`DomainRegexp`).
pub fn is_domain(s: &str) -> bool {
    domain_ok(s.as_bytes())
}

/// Whether all of `s` is a tag (`TagRegexp`).
pub fn is_tag(s: &str) -> bool {
    tag_end(s.as_bytes(), 0) == Ok(s.len())
}

/// Whether all of `s` has the shape of a digest in a reference
/// (`DigestRegexp`; algorithm support and hex length are not checked).
pub fn is_digest(s: &str) -> bool {
    digest_at(s.as_bytes(), 0).is_ok()
}

/// Whether `s` is a 64-hex-digit identifier (`IdentifierRegexp`), which
/// docker refuses as a repository name.
pub fn is_identifier(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_component_separators() {
        let ok = |s: &str| path_component(s.as_bytes(), 0, false) == Ok(s.len());
        for good in ["a", "a0", "a.b", "a_b", "a__b", "a-b", "a---b", "a.b-c__d"] {
            assert!(ok(good), "{good}");
        }
        for bad in ["a..b", "a___b", "a._b", "a-", "a.", "-a", "_a", "a-.b", "A"] {
            assert!(!ok(bad), "{bad}");
        }
        assert_eq!(path_component(b"A", 0, true), Ok(1));
    }

    #[test]
    fn domains() {
        for good in [
            "localhost",
            "localhost:5000",
            "a.b.c",
            "Example.COM:8080",
            "[::1]",
            "[2001:db8::1]:443",
            "1.2.3.4:65536",
            "xn--bcher-kva.example",
        ] {
            assert!(is_domain(good), "{good}");
        }
        for bad in [
            "",
            "-bad.com",
            "bad-.com",
            "a..b",
            "host:",
            "host:abc",
            "[]",
            "[::1",
            "[fe80::1%eth0]:5000",
            "::1",
            "my_host.com",
            "[::1]x",
        ] {
            assert!(!is_domain(bad), "{bad}");
        }
    }

    #[test]
    fn tags_are_at_most_128_bytes() {
        assert!(is_tag(&"a".repeat(128)));
        assert!(!is_tag(&"a".repeat(129)));
        assert!(is_tag("_x"));
        assert!(!is_tag("-x"));
        assert!(!is_tag(".x"));
        assert!(!is_tag(""));
    }

    #[test]
    fn failure_offsets_point_at_the_bad_byte() {
        assert_eq!(reference_spans(b"foo bar", false), Err(3));
        assert_eq!(reference_spans(b"foo:", false), Err(4));
        assert_eq!(reference_spans(b"foo@sha256:abc", false), Err(11));
        assert_eq!(reference_spans(b"a/B", false), Err(2));
    }
}
