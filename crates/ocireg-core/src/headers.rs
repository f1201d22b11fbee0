//! Readers for the registry's response headers, each a small pure function.
//!
//! | header | reader |
//! |---|---|
//! | `Link` (catalog and tag list pages) | [`next_link`] |
//! | `RateLimit-Limit`, `RateLimit-Remaining`, `Docker-RateLimit-Source` | [`RateLimit::from_headers`] |
//! | `Retry-After` | [`retry_after`], with [`parse_http_date`] |
//! | `Content-Range` (ranged blob reads) | [`ContentRange::parse`] |
//! | `Range` (upload progress) | [`upload_range`] |
//! | `OCI-Chunk-Min-Length` | [`chunk_min_length`] |
//! | `Location` | [`location`] |
//! | `Warning` | [`warnings`] |
//!
//! None of them reads a clock: the functions that need the time take `now`.
//! [`RESPONSE_HEADERS`] lists every response header the crate reads.
//!
//! ```
//! use ocireg_core::headers::{next_link, upload_range, ContentRange};
//! use url::Url;
//!
//! let base = Url::parse("http://127.0.0.1:5000/v2/_catalog?n=2").unwrap();
//! let next = next_link(r#"</v2/_catalog?last=b&n=2>; rel="next""#, &base).unwrap();
//! assert_eq!(next.unwrap().as_str(), "http://127.0.0.1:5000/v2/_catalog?last=b&n=2");
//!
//! assert_eq!(upload_range("0-1023"), Some(1024));
//! let range = ContentRange::parse("bytes 0-99/100").unwrap();
//! assert_eq!((range.start, range.end, range.total), (0, 99, Some(100)));
//! ```

use std::time::{Duration, SystemTime};

use http::header::{
    CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LINK, LOCATION, RANGE, RETRY_AFTER, WARNING,
    WWW_AUTHENTICATE,
};
use http::{HeaderMap, HeaderName};
use thiserror::Error;
use url::Url;

/// The lexical pieces of HTTP header grammar (RFC 9110 §5.6) shared by the
/// header readers here and the `WWW-Authenticate` parser.
pub(crate) mod syntax {
    /// `tchar`: the characters of a `token`.
    pub(crate) fn is_tchar(b: u8) -> bool {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            )
    }

    /// The end of the `token` starting at `pos` (`pos` itself when there is
    /// none).
    pub(crate) fn token_end(s: &[u8], pos: usize) -> usize {
        let mut end = pos;
        while s.get(end).is_some_and(|&b| is_tchar(b)) {
            end += 1;
        }
        end
    }

    /// Skips `OWS` (spaces and tabs) from `pos`.
    pub(crate) fn skip_ows(s: &[u8], pos: usize) -> usize {
        let mut end = pos;
        while matches!(s.get(end), Some(b' ' | b'\t')) {
            end += 1;
        }
        end
    }

    /// Why a `quoted-string` is malformed.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum QuotedError {
        /// No closing `"`; the position is the opening one.
        Unterminated,
        /// A control character (other than tab) or DEL; the position is
        /// that character's.
        BadChar,
    }

    /// Whether `c` may appear in a quoted string, raw or after a backslash:
    /// tab, space, visible ASCII, or any non-ASCII character (`obs-text`).
    fn is_quotable(c: char) -> bool {
        c == '\t' || (' '..='~').contains(&c) || !c.is_ascii()
    }

    /// Reads the `quoted-string` whose opening `"` is at `start`, undoing
    /// `\` escapes. Returns the text and the position after the closing `"`.
    pub(crate) fn quoted_string(
        s: &str,
        start: usize,
    ) -> Result<(String, usize), (usize, QuotedError)> {
        debug_assert_eq!(s.as_bytes().get(start), Some(&b'"'));
        let mut out = String::new();
        let body = start + 1;
        let mut chars = s.get(body..).unwrap_or("").char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Ok((out, body + i + 1)),
                '\\' => match chars.next() {
                    Some((_, e)) if is_quotable(e) => out.push(e),
                    Some((j, _)) => return Err((body + j, QuotedError::BadChar)),
                    None => break,
                },
                c if is_quotable(c) => out.push(c),
                _ => return Err((body + i, QuotedError::BadChar)),
            }
        }
        Err((start, QuotedError::Unterminated))
    }

    /// Skips a list element that failed to parse: moves to the next `,`
    /// that is not inside a quoted string (or to the end).
    pub(crate) fn skip_element(s: &[u8], pos: usize) -> usize {
        let mut i = pos;
        let mut quoted = false;
        while let Some(&b) = s.get(i) {
            match (quoted, b) {
                (false, b',') => return i,
                (_, b'"') => quoted = !quoted,
                (true, b'\\') => i += 1,
                _ => {}
            }
            i += 1;
        }
        s.len()
    }
}

use syntax::{quoted_string, skip_element, skip_ows, token_end, QuotedError};

pub use crate::dates::parse_http_date;

// ---------------------------------------------------------------------------
// Names
//
// Constants, not strings: looking a header up by a string parses the name
// at run time, and that parser (a match over every standard header name)
// is one of the largest functions of the wasm build.

pub(crate) const DOCKER_CONTENT_DIGEST: HeaderName =
    HeaderName::from_static("docker-content-digest");
pub(crate) const DOCKER_DISTRIBUTION_API_VERSION: HeaderName =
    HeaderName::from_static("docker-distribution-api-version");
pub(crate) const DOCKER_RATELIMIT_SOURCE: HeaderName =
    HeaderName::from_static("docker-ratelimit-source");
pub(crate) const OCI_CHUNK_MIN_LENGTH: HeaderName = HeaderName::from_static("oci-chunk-min-length");
pub(crate) const OCI_FILTERS_APPLIED: HeaderName = HeaderName::from_static("oci-filters-applied");
pub(crate) const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub(crate) const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");

/// Every response header this crate reads (the readers here and the
/// operations in [`crate::ops`]), lowercase. A transport that has to copy
/// response headers one at a time, as a browser's `fetch` hands them over,
/// may copy only these: the operations see no difference.
pub static RESPONSE_HEADERS: [HeaderName; 16] = [
    CONTENT_LENGTH,
    CONTENT_RANGE,
    CONTENT_TYPE,
    DOCKER_CONTENT_DIGEST,
    DOCKER_DISTRIBUTION_API_VERSION,
    DOCKER_RATELIMIT_SOURCE,
    LINK,
    LOCATION,
    OCI_CHUNK_MIN_LENGTH,
    OCI_FILTERS_APPLIED,
    RANGE,
    RATELIMIT_LIMIT,
    RATELIMIT_REMAINING,
    RETRY_AFTER,
    WARNING,
    WWW_AUTHENTICATE,
];

// ---------------------------------------------------------------------------
// Link

/// Why a `Link` header could not give the next page.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The header does not follow the RFC 8288 grammar.
    #[error("invalid Link header at byte {position}: {expected}")]
    Syntax {
        /// Byte offset of the problem in the header value.
        position: usize,
        /// What the parser expected there.
        expected: &'static str,
    },
    /// The `next` target is not a URL, even relative to the request URL.
    #[error("the Link header's next target is not a valid URL: {0}")]
    InvalidUrl(url::ParseError),
    /// The `next` target is on another origin (scheme, host or port) than
    /// the request; following it could send credentials elsewhere.
    #[error("the Link header's next target is on another origin ({origin}) than the request")]
    CrossOrigin {
        /// The target's origin, such as `https://other.example:443`.
        origin: String,
    },
}

impl LinkError {
    fn syntax(position: usize, expected: &'static str) -> LinkError {
        LinkError::Syntax { position, expected }
    }
}

/// Finds the link with relation type `next` in a `Link` header value
/// (RFC 8288), as registries send it for catalog and tag list pages, and
/// resolves it against `base`, the URL of the request that got the
/// response.
///
/// The value may hold several comma-separated links; `rel` may be quoted or
/// not and may list several space-separated relation types (compared
/// case-insensitively). Only the first `rel` of a link counts, as RFC 8288
/// says; the first link whose `rel` includes `next` wins.
///
/// Returns `Ok(None)` when no link is `next` (the last page). A malformed
/// header is an error rather than "no next page", so a listing is never
/// silently cut short. A target on another origin than `base` is refused.
///
/// ```
/// use ocireg_core::headers::{next_link, LinkError};
/// use url::Url;
///
/// let base = Url::parse("https://r.example/v2/_catalog?n=2").unwrap();
/// let next = next_link(r#"</v2/_catalog?last=a%2Fb&n=2>; rel="next""#, &base).unwrap();
/// assert_eq!(next.unwrap().as_str(), "https://r.example/v2/_catalog?last=a%2Fb&n=2");
///
/// let err = next_link("<https://evil.example/v2/_catalog>; rel=next", &base).unwrap_err();
/// assert!(matches!(err, LinkError::CrossOrigin { .. }));
/// ```
pub fn next_link(value: &str, base: &Url) -> Result<Option<Url>, LinkError> {
    let s = value.as_bytes();
    let mut pos = 0;
    let mut found: Option<&str> = None;
    loop {
        pos = skip_ows(s, pos);
        match s.get(pos) {
            None => break,
            Some(b',') => {
                pos += 1;
                continue;
            }
            Some(_) => {}
        }
        let (target, is_next, end) = link_value(value, pos)?;
        if is_next && found.is_none() {
            found = Some(target);
        }
        pos = skip_ows(s, end);
        match s.get(pos) {
            None => break,
            Some(b',') => pos += 1,
            Some(_) => return Err(LinkError::syntax(pos, "',' between links")),
        }
    }
    let Some(target) = found else {
        return Ok(None);
    };
    let url = base.join(target).map_err(LinkError::InvalidUrl)?;
    if !same_origin(&url, base) {
        return Err(LinkError::CrossOrigin {
            origin: url.origin().ascii_serialization(),
        });
    }
    Ok(Some(url))
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )`.
/// Returns the target, whether the first `rel` includes `next`, and the end.
fn link_value(value: &str, start: usize) -> Result<(&str, bool, usize), LinkError> {
    let s = value.as_bytes();
    if s.get(start) != Some(&b'<') {
        return Err(LinkError::syntax(start, "'<' opening a link target"));
    }
    let Some(len) = s[start + 1..].iter().position(|&b| b == b'>') else {
        return Err(LinkError::syntax(start, "'>' closing the link target"));
    };
    let target = &value[start + 1..start + 1 + len];
    if let Some(bad) = target
        .bytes()
        .position(|b| b.is_ascii_whitespace() || b == b'<')
    {
        return Err(LinkError::syntax(
            start + 1 + bad,
            "a URI reference without spaces",
        ));
    }
    let mut pos = start + 2 + len;
    let mut rel: Option<String> = None;
    loop {
        let after = skip_ows(s, pos);
        if s.get(after) != Some(&b';') {
            break;
        }
        let (name, param_value, end) = link_param(value, skip_ows(s, after + 1))?;
        if name.eq_ignore_ascii_case("rel") && rel.is_none() {
            rel = Some(param_value.unwrap_or_default());
        }
        pos = end;
    }
    let is_next = rel.is_some_and(|r| r.split([' ', '\t']).any(|t| t.eq_ignore_ascii_case("next")));
    Ok((target, is_next, pos))
}

/// `link-param = token BWS [ "=" BWS ( token / quoted-string ) ]`.
fn link_param(value: &str, start: usize) -> Result<(&str, Option<String>, usize), LinkError> {
    let s = value.as_bytes();
    let name_end = token_end(s, start);
    if name_end == start {
        return Err(LinkError::syntax(start, "a link parameter name"));
    }
    let name = &value[start..name_end];
    let eq = skip_ows(s, name_end);
    if s.get(eq) != Some(&b'=') {
        return Ok((name, None, name_end));
    }
    let v = skip_ows(s, eq + 1);
    if s.get(v) == Some(&b'"') {
        let (text, end) = quoted_string(value, v).map_err(|(p, e)| {
            LinkError::syntax(
                p,
                match e {
                    QuotedError::Unterminated => "a closing '\"'",
                    QuotedError::BadChar => "no control characters in a quoted string",
                },
            )
        })?;
        return Ok((name, Some(text), end));
    }
    let end = token_end(s, v);
    if end == v {
        return Err(LinkError::syntax(v, "a link parameter value"));
    }
    Ok((name, Some(value[v..end].to_string()), end))
}

// ---------------------------------------------------------------------------
// Rate limits

/// Docker Hub's pull rate limit, from its response headers:
///
/// ```text
/// ratelimit-limit: 100;w=21600
/// ratelimit-remaining: 76;w=21600
/// docker-ratelimit-source: 1.2.3.4
/// ```
///
/// Each field is `None` when its header is missing or unreadable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window (`ratelimit-limit`).
    pub limit: Option<u64>,
    /// Requests left in the current window (`ratelimit-remaining`).
    pub remaining: Option<u64>,
    /// The window (the `w=` parameter, in seconds; taken from
    /// `ratelimit-limit`, else from `ratelimit-remaining`).
    pub window: Option<Duration>,
    /// Who the limit is counted for (`docker-ratelimit-source`: an IP
    /// address or an account ID).
    pub source: Option<String>,
}

impl RateLimit {
    /// Reads the rate limit headers; `None` when none of them is present.
    /// Garbage in a header leaves its fields `None`.
    ///
    /// Only the first policy of a list (`100;w=21600, 10;w=60`) is read.
    ///
    /// ```
    /// use http::HeaderMap;
    /// use ocireg_core::headers::RateLimit;
    /// use std::time::Duration;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("ratelimit-limit", "100;w=21600".parse().unwrap());
    /// headers.insert("ratelimit-remaining", "76;w=21600".parse().unwrap());
    /// let limit = RateLimit::from_headers(&headers).unwrap();
    /// assert_eq!(limit.remaining, Some(76));
    /// assert_eq!(limit.window, Some(Duration::from_secs(21600)));
    /// assert_eq!(RateLimit::from_headers(&HeaderMap::new()), None);
    /// ```
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimit> {
        let limit = headers.get(RATELIMIT_LIMIT);
        let remaining = headers.get(RATELIMIT_REMAINING);
        let source = headers.get(DOCKER_RATELIMIT_SOURCE);
        if limit.is_none() && remaining.is_none() && source.is_none() {
            return None;
        }
        fn text(v: &http::HeaderValue) -> Option<&str> {
            std::str::from_utf8(v.as_bytes()).ok().map(str::trim)
        }
        let (limit, limit_window) = limit.and_then(text).map(rate_policy).unwrap_or_default();
        let (remaining, remaining_window) = remaining
            .and_then(text)
            .map(rate_policy)
            .unwrap_or_default();
        let source = source
            .and_then(text)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        Some(RateLimit {
            limit,
            remaining,
            window: limit_window.or(remaining_window),
            source,
        })
    }
}

/// `100;w=21600` -> the count and the window. Reads the first list element.
fn rate_policy(value: &str) -> (Option<u64>, Option<Duration>) {
    let first = value.split(',').next().unwrap_or("");
    let mut parts = first.split(';');
    let count = parts.next().and_then(|n| digits(n.trim()));
    let window = parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("w"))
        .and_then(|(_, v)| digits(v.trim()))
        .map(Duration::from_secs);
    (count, window)
}

/// A non-empty run of ASCII digits that fits in a `u64` (no sign, no
/// spaces).
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

// ---------------------------------------------------------------------------
// Retry-After

/// Reads `Retry-After` (RFC 9110 §10.2.3): delta-seconds (`120`) or an
/// HTTP date. A date in the past gives zero. `None` when the value is
/// neither (or the seconds overflow a `u64`).
///
/// The value is what the server asked for; callers should cap it.
///
/// ```
/// use ocireg_core::headers::retry_after;
/// use std::time::{Duration, SystemTime};
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_767); // Sun, 06 Nov 1994 08:49:27 GMT
/// assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(Duration::from_secs(10)));
/// assert_eq!(retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), Some(Duration::ZERO));
/// assert_eq!(retry_after("soon", now), None);
/// ```
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim_matches([' ', '\t']);
    if let Some(seconds) = digits(value) {
        return Some(Duration::from_secs(seconds));
    }
    let date = parse_http_date(value)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

// ---------------------------------------------------------------------------
// Content-Range and the upload Range

/// A `Content-Range` of a partial (206) blob response: `bytes 0-99/100`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentRange {
    /// First byte sent.
    pub start: u64,
    /// Last byte sent (inclusive).
    pub end: u64,
    /// The whole blob's length; `None` for `*` (unknown).
    pub total: Option<u64>,
}

impl ContentRange {
    /// Parses `bytes <start>-<end>/<total>` or `bytes <start>-<end>/*`
    /// (RFC 9110 §14.4). `None` for anything else, for `end < start`, and
    /// for a range that ends beyond `total`. The unsatisfied form
    /// `bytes */100` has no range and gives `None`.
    ///
    /// ```
    /// use ocireg_core::headers::ContentRange;
    ///
    /// let r = ContentRange::parse("bytes 100-199/*").unwrap();
    /// assert_eq!((r.start, r.end, r.total), (100, 199, None));
    /// assert_eq!(ContentRange::parse("bytes 5-4/10"), None);
    /// ```
    pub fn parse(value: &str) -> Option<ContentRange> {
        let value = value.trim_matches([' ', '\t']);
        let (unit, rest) = value.split_once(' ')?;
        if !unit.eq_ignore_ascii_case("bytes") {
            return None;
        }
        let (range, total) = rest.split_once('/')?;
        let (start, end) = range.split_once('-')?;
        let (start, end) = (digits(start)?, digits(end)?);
        let total = match total {
            "*" => None,
            t => Some(digits(t)?),
        };
        if end < start || total.is_some_and(|t| end >= t) {
            return None;
        }
        Some(ContentRange { start, end, total })
    }
}

/// Reads the `Range: 0-<last>` header of an upload response (POST, PATCH,
/// or GET of the upload status) and returns how many bytes the registry
/// holds: `last + 1`. A `bytes=` prefix (in some versions of the spec and
/// some registries) is accepted. `None` for anything else, including a
/// range that does not start at 0.
///
/// `0-0` gives **0**. The header cannot say "nothing yet", and
/// distribution (registry 2.8.2, `registry/handlers/blobupload.go`,
/// `blobUploadResponse`) writes `endRange := buh.Upload.Size(); if
/// endRange > 0 { endRange = endRange - 1 }` then `Range: 0-<endRange>`,
/// so `0-0` means either 0 or 1 byte held. It is what every new upload
/// session (the POST answer) carries, while a 1-byte upload is rare, so it
/// is read as 0. An operation that has sent exactly one byte cannot tell
/// the two apart from this header and should restart that upload.
///
/// ```
/// use ocireg_core::headers::upload_range;
///
/// assert_eq!(upload_range("0-1023"), Some(1024));
/// assert_eq!(upload_range("bytes=0-1023"), Some(1024));
/// assert_eq!(upload_range("0-0"), Some(0));
/// assert_eq!(upload_range("10-20"), None);
/// ```
pub fn upload_range(value: &str) -> Option<u64> {
    let value = value.trim_matches([' ', '\t']);
    let value = match value.get(..6) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bytes=") => &value[6..],
        _ => value,
    };
    let (start, end) = value.split_once('-')?;
    if digits(start)? != 0 {
        return None;
    }
    match digits(end)? {
        0 => Some(0),
        last => last.checked_add(1),
    }
}

/// Reads `Content-Length`: the body's size in bytes. `None` when missing
/// or not a plain decimal number (no sign, no spaces inside).
///
/// ```
/// use http::HeaderMap;
/// use ocireg_core::headers::content_length;
///
/// let mut headers = HeaderMap::new();
/// assert_eq!(content_length(&headers), None);
/// headers.insert("content-length", "1024".parse().unwrap());
/// assert_eq!(content_length(&headers), Some(1024));
/// headers.insert("content-length", "+1024".parse().unwrap());
/// assert_eq!(content_length(&headers), None);
/// ```
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(CONTENT_LENGTH)?.to_str().ok()?;
    digits(value.trim())
}

/// Reads `OCI-Chunk-Min-Length`: the smallest chunk (except the last) the
/// registry wants in a chunked upload. `None` when missing or not a
/// number.
///
/// ```
/// use http::HeaderMap;
/// use ocireg_core::headers::chunk_min_length;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("oci-chunk-min-length", "5242880".parse().unwrap());
/// assert_eq!(chunk_min_length(&headers), Some(5_242_880));
/// ```
pub fn chunk_min_length(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(OCI_CHUNK_MIN_LENGTH)?.to_str().ok()?;
    digits(value.trim())
}

// ---------------------------------------------------------------------------
// Location

/// Why a `Location` header could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LocationError {
    /// The header is empty.
    #[error("the Location header is empty")]
    Empty,
    /// The value is not a URL, even relative to the request URL.
    #[error("the Location header is not a valid URL: {0}")]
    InvalidUrl(url::ParseError),
    /// The URL's scheme is neither `http` nor `https`.
    #[error("the Location header has the unsupported scheme {0:?}")]
    UnsupportedScheme(String),
}

/// Resolves a `Location` header (upload sessions, redirects) against
/// `base`, the request URL. Registry 2.8.2 sends absolute URLs built from
/// the request's Host; others send paths. Only `http` and `https` results
/// are accepted. The origin is not checked: redirects to blob storage are
/// legitimate, and the caller decides which credentials may follow.
///
/// ```
/// use ocireg_core::headers::location;
/// use url::Url;
///
/// let base = Url::parse("http://127.0.0.1:5000/v2/demo/blobs/uploads/").unwrap();
/// let url = location("/v2/demo/blobs/uploads/abc?_state=x", &base).unwrap();
/// assert_eq!(url.as_str(), "http://127.0.0.1:5000/v2/demo/blobs/uploads/abc?_state=x");
/// ```
pub fn location(value: &str, base: &Url) -> Result<Url, LocationError> {
    let value = value.trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err(LocationError::Empty);
    }
    let url = base.join(value).map_err(LocationError::InvalidUrl)?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(LocationError::UnsupportedScheme(other.to_string())),
    }
}

// ---------------------------------------------------------------------------
// Warning

/// One `Warning` (RFC 7234 §5.5), as registries send deprecation notices:
/// `Warning: 299 - "this repository is deprecated"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The three-digit code (registries use 299, "miscellaneous persistent
    /// warning").
    pub code: u16,
    /// Who added it: a host or a pseudonym, `-` when unknown.
    pub agent: String,
    /// The text, unquoted.
    pub text: String,
}

/// Reads every `Warning` header: each value may hold several
/// comma-separated warnings. Malformed warnings are skipped; a trailing
/// date is accepted and ignored.
///
/// ```
/// use http::HeaderMap;
/// use ocireg_core::headers::warnings;
///
/// let mut headers = HeaderMap::new();
/// headers.append("warning", r#"299 - "deprecated, use v2""#.parse().unwrap());
/// headers.append("warning", "garbage".parse().unwrap());
/// let w = warnings(&headers);
/// assert_eq!(w.len(), 1);
/// assert_eq!((w[0].code, w[0].agent.as_str(), w[0].text.as_str()), (299, "-", "deprecated, use v2"));
/// ```
pub fn warnings(headers: &HeaderMap) -> Vec<Warning> {
    let mut out = Vec::new();
    for value in headers.get_all(WARNING) {
        if let Ok(value) = std::str::from_utf8(value.as_bytes()) {
            warning_list(value, &mut out);
        }
    }
    out
}

/// `1#warning-value`, skipping elements that do not parse.
fn warning_list(value: &str, out: &mut Vec<Warning>) {
    let s = value.as_bytes();
    let mut pos = 0;
    loop {
        pos = skip_ows(s, pos);
        match s.get(pos) {
            None => return,
            Some(b',') => {
                pos += 1;
                continue;
            }
            Some(_) => {}
        }
        match warning_value(value, pos) {
            Some((warning, end)) => {
                out.push(warning);
                pos = end;
            }
            None => pos = skip_element(s, pos),
        }
    }
}

/// `warn-code SP warn-agent SP warn-text [ SP warn-date ]`, followed by
/// OWS and a `,` or the end.
fn warning_value(value: &str, start: usize) -> Option<(Warning, usize)> {
    let s = value.as_bytes();
    let code = value.get(start..start + 3)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) || s.get(start + 3) != Some(&b' ') {
        return None;
    }
    let agent_start = start + 4;
    let agent_len = s[agent_start..]
        .iter()
        .position(|&b| !(b.is_ascii_graphic() && b != b',' && b != b'"'))
        .unwrap_or(s.len() - agent_start);
    if agent_len == 0 {
        return None;
    }
    let agent = &value[agent_start..agent_start + agent_len];
    let mut pos = agent_start + agent_len;
    if s.get(pos) != Some(&b' ') || s.get(pos + 1) != Some(&b'"') {
        return None;
    }
    let (text, end) = quoted_string(value, pos + 1).ok()?;
    pos = end;
    if s.get(pos) == Some(&b' ') && s.get(pos + 1) == Some(&b'"') {
        let (_date, end) = quoted_string(value, pos + 1).ok()?;
        pos = end;
    }
    pos = skip_ows(s, pos);
    if !matches!(s.get(pos), None | Some(b',')) {
        return None;
    }
    let warning = Warning {
        code: code.parse().ok()?,
        agent: agent.to_string(),
        text,
    };
    Some((warning, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    // Link

    #[test]
    fn response_headers_are_distinct_and_cover_the_readers() {
        let mut names: Vec<&str> = RESPONSE_HEADERS.iter().map(|h| h.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RESPONSE_HEADERS.len());
        for name in [
            DOCKER_CONTENT_DIGEST,
            DOCKER_DISTRIBUTION_API_VERSION,
            DOCKER_RATELIMIT_SOURCE,
            OCI_CHUNK_MIN_LENGTH,
            OCI_FILTERS_APPLIED,
            RATELIMIT_LIMIT,
            RATELIMIT_REMAINING,
        ] {
            assert!(RESPONSE_HEADERS.contains(&name), "{name}");
        }
    }

    #[test]
    fn next_link_resolves_registry_2_8_relative_link() {
        let base = url("http://127.0.0.1:5000/v2/_catalog?n=2");
        let next = next_link(r#"</v2/_catalog?last=b%2Fc&n=2>; rel="next""#, &base).unwrap();
        assert_eq!(
            next.unwrap().as_str(),
            "http://127.0.0.1:5000/v2/_catalog?last=b%2Fc&n=2"
        );
    }

    #[test]
    fn next_link_accepts_unquoted_and_multi_valued_rel() {
        let base = url("https://r.example/v2/a/tags/list");
        for value in [
            "</v2/a/tags/list?last=x>; rel=next",
            "</v2/a/tags/list?last=x> ; REL = \"prev NEXT\"",
            "</first>; rel=first, </v2/a/tags/list?last=x>;rel=\"next\"",
            "</v2/a/tags/list?last=x>; title=\"a, b; c\"; rel=next, </other>; rel=next",
            ",, </v2/a/tags/list?last=x>; rel=next ,",
            "<https://r.example:443/v2/a/tags/list?last=x>; rel=next",
        ] {
            let next = next_link(value, &base).unwrap().unwrap();
            assert_eq!(
                next.as_str(),
                "https://r.example/v2/a/tags/list?last=x",
                "{value}"
            );
        }
    }

    #[test]
    fn next_link_without_next_is_none() {
        let base = url("https://r.example/v2/_catalog");
        assert_eq!(next_link("", &base), Ok(None));
        assert_eq!(next_link("</x>; rel=prev", &base), Ok(None));
        assert_eq!(next_link("</x>", &base), Ok(None));
        assert_eq!(next_link("</x>; rel=\"nextish\"", &base), Ok(None));
        // Only the first rel of a link counts.
        assert_eq!(next_link("</x>; rel=prev; rel=next", &base), Ok(None));
    }

    #[test]
    fn next_link_refuses_other_origins() {
        let base = url("https://r.example/v2/_catalog");
        for value in [
            "<https://evil.example/v2/_catalog>; rel=next",
            "<//evil.example/v2/_catalog>; rel=next",
            "<http://r.example/v2/_catalog>; rel=next",
            "<https://r.example:8443/v2/_catalog>; rel=next",
            "<data:text/plain,x>; rel=next",
        ] {
            let err = next_link(value, &base).unwrap_err();
            assert!(
                matches!(err, LinkError::CrossOrigin { .. }),
                "{value}: {err}"
            );
        }
        assert_eq!(
            next_link("<https://evil.example/x>; rel=next", &base)
                .unwrap_err()
                .to_string(),
            "the Link header's next target is on another origin (https://evil.example) than the request"
        );
    }

    #[test]
    fn next_link_syntax_errors_have_positions() {
        let base = url("https://r.example/v2/_catalog");
        let cases = [
            ("/v2/_catalog; rel=next", 0, "'<' opening a link target"),
            ("</v2/_catalog; rel=next", 0, "'>' closing the link target"),
            ("</a b>; rel=next", 3, "a URI reference without spaces"),
            ("</a>; =next", 6, "a link parameter name"),
            ("</a>; rel=", 10, "a link parameter value"),
            ("</a>; rel=\"next", 10, "a closing '\"'"),
            ("</a> </b>", 5, "',' between links"),
        ];
        for (value, position, expected) in cases {
            assert_eq!(
                next_link(value, &base),
                Err(LinkError::Syntax { position, expected }),
                "{value}"
            );
        }
        assert_eq!(
            next_link("</a> </b>", &base).unwrap_err().to_string(),
            "invalid Link header at byte 5: ',' between links"
        );
    }

    #[test]
    fn next_link_invalid_url_is_an_error() {
        let base = url("https://r.example/v2/_catalog");
        let err = next_link("<http://[::1>; rel=next", &base).unwrap_err();
        assert!(matches!(err, LinkError::InvalidUrl(_)), "{err}");
    }

    // Rate limits

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, http::HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn rate_limit_reads_docker_hub_headers() {
        let map = headers(&[
            ("ratelimit-limit", "100;w=21600"),
            ("ratelimit-remaining", "76;w=21600"),
            ("docker-ratelimit-source", "1.2.3.4"),
        ]);
        assert_eq!(
            RateLimit::from_headers(&map),
            Some(RateLimit {
                limit: Some(100),
                remaining: Some(76),
                window: Some(Duration::from_secs(21600)),
                source: Some("1.2.3.4".to_string()),
            })
        );
    }

    #[test]
    fn rate_limit_absent_is_none_and_garbage_is_tolerated() {
        assert_eq!(RateLimit::from_headers(&HeaderMap::new()), None);
        let map = headers(&[("ratelimit-remaining", "lots;w=soon")]);
        assert_eq!(RateLimit::from_headers(&map), Some(RateLimit::default()));
        let map = headers(&[("ratelimit-limit", " 200 ; w = 60 , 10;w=1")]);
        let limit = RateLimit::from_headers(&map).unwrap();
        assert_eq!(limit.limit, Some(200));
        assert_eq!(limit.window, Some(Duration::from_secs(60)));
        let map = headers(&[("ratelimit-limit", "-1"), ("docker-ratelimit-source", "")]);
        assert_eq!(RateLimit::from_headers(&map), Some(RateLimit::default()));
        let mut map = HeaderMap::new();
        map.insert(
            "docker-ratelimit-source",
            http::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(RateLimit::from_headers(&map), Some(RateLimit::default()));
    }

    // Retry-After

    #[test]
    fn retry_after_seconds_dates_and_garbage() {
        let now = at(784_111_767);
        assert_eq!(retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:27 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in ["", "-1", "1.5", "+5", "soon", "99999999999999999999999"] {
            assert_eq!(retry_after(bad, now), None, "{bad}");
        }
    }

    // Content-Range and upload Range

    #[test]
    fn content_range_forms() {
        assert_eq!(
            ContentRange::parse("bytes 0-99/100"),
            Some(ContentRange {
                start: 0,
                end: 99,
                total: Some(100)
            })
        );
        assert_eq!(
            ContentRange::parse("Bytes 0-99/*"),
            Some(ContentRange {
                start: 0,
                end: 99,
                total: None
            })
        );
        assert_eq!(
            ContentRange::parse("bytes 7-7/8"),
            Some(ContentRange {
                start: 7,
                end: 7,
                total: Some(8)
            })
        );
        for bad in [
            "",
            "bytes */100",
            "bytes 5-4/10",
            "bytes 0-100/100",
            "bytes 0-99",
            "bytes=0-99/100",
            "items 0-99/100",
            "bytes -1-99/100",
            "bytes 0-+9/100",
            "bytes 0 - 99/100",
            "bytes 0-99/",
            "bytes 0-99/99999999999999999999999",
        ] {
            assert_eq!(ContentRange::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn upload_range_counts_bytes_held() {
        assert_eq!(upload_range("0-1023"), Some(1024));
        assert_eq!(upload_range("bytes=0-1023"), Some(1024));
        assert_eq!(upload_range("0-1"), Some(2));
        // distribution writes 0-0 for both 0 and 1 byte held: read as 0.
        assert_eq!(upload_range("0-0"), Some(0));
        assert_eq!(upload_range(&format!("0-{}", u64::MAX)), None);
        for bad in [
            "",
            "0",
            "1-5",
            "0-",
            "-5",
            "0--1",
            "bytes 0-5",
            "0-5/6",
            "0-x",
        ] {
            assert_eq!(upload_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn chunk_min_length_reads_the_header() {
        assert_eq!(chunk_min_length(&HeaderMap::new()), None);
        let map = headers(&[("OCI-Chunk-Min-Length", "1048576")]);
        assert_eq!(chunk_min_length(&map), Some(1_048_576));
        let map = headers(&[("oci-chunk-min-length", "big")]);
        assert_eq!(chunk_min_length(&map), None);
    }

    // Location

    #[test]
    fn location_resolves_relative_and_absolute() {
        let base = url("http://127.0.0.1:5000/v2/demo/blobs/uploads/");
        assert_eq!(
            location(
                "http://127.0.0.1:5000/v2/demo/blobs/uploads/u?_state=s",
                &base
            )
            .unwrap()
            .as_str(),
            "http://127.0.0.1:5000/v2/demo/blobs/uploads/u?_state=s"
        );
        assert_eq!(
            location("/v2/demo/blobs/uploads/u", &base)
                .unwrap()
                .as_str(),
            "http://127.0.0.1:5000/v2/demo/blobs/uploads/u"
        );
        assert_eq!(
            location("u", &base).unwrap().as_str(),
            "http://127.0.0.1:5000/v2/demo/blobs/uploads/u"
        );
        assert_eq!(
            location("https://s3.example/bucket/blob?sig=1", &base)
                .unwrap()
                .as_str(),
            "https://s3.example/bucket/blob?sig=1"
        );
    }

    #[test]
    fn location_errors() {
        let base = url("http://127.0.0.1:5000/v2/");
        assert_eq!(location(" ", &base), Err(LocationError::Empty));
        assert!(matches!(
            location("http://[::1", &base),
            Err(LocationError::InvalidUrl(_))
        ));
        assert_eq!(
            location("file:///etc/passwd", &base),
            Err(LocationError::UnsupportedScheme("file".to_string()))
        );
        assert_eq!(
            location("javascript:alert(1)", &base)
                .unwrap_err()
                .to_string(),
            "the Location header has the unsupported scheme \"javascript\""
        );
    }

    // Warning

    #[test]
    fn warnings_read_deprecation_notices_and_skip_garbage() {
        let map = headers(&[
            ("warning", r#"299 - "this repository is deprecated""#),
            (
                "warning",
                r#"garbage, 299 registry.example:5000 "a \"quoted\", text" "Sun, 06 Nov 1994 08:49:37 GMT", 199 - "x""#,
            ),
            ("warning", r#"299 - "unterminated"#),
            ("warning", r#"2999 - "x", 299 -"#),
        ]);
        let found = warnings(&map);
        let got: Vec<_> = found
            .iter()
            .map(|w| (w.code, w.agent.as_str(), w.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (299, "-", "this repository is deprecated"),
                (299, "registry.example:5000", "a \"quoted\", text"),
                (199, "-", "x"),
            ]
        );
        assert!(warnings(&HeaderMap::new()).is_empty());
    }

    #[test]
    fn quoted_string_helper() {
        assert_eq!(
            quoted_string(r#""a\"b\\c" rest"#, 0),
            Ok((r#"a"b\c"#.to_string(), 9))
        );
        assert_eq!(
            quoted_string(r#""abc"#, 0),
            Err((0, QuotedError::Unterminated))
        );
        assert_eq!(
            quoted_string("\"a\u{1}\"", 0),
            Err((2, QuotedError::BadChar))
        );
        assert_eq!(
            quoted_string("\"\\\u{7f}\"", 0),
            Err((2, QuotedError::BadChar))
        );
        assert_eq!(quoted_string("\"é\\ü\"", 0), Ok(("éü".to_string(), 7)));
    }
}
