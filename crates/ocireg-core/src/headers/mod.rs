//! Readers for the registry's response headers, each a small pure function.
//!
//! | header | reader | source file |
//! |---|---|---|
//! | `Link` (catalog and tag list pages) | [`next_link`] | `headers/link.rs` |
//! | `RateLimit-Limit`, `RateLimit-Remaining`, `Docker-RateLimit-Source` | [`RateLimit::from_headers`] | `headers/rate_limit.rs` |
//! | `Retry-After` | [`retry_after`], with [`parse_http_date`] | `headers/retry.rs`, `dates.rs` |
//! | `Content-Range` (ranged blob reads) | [`ContentRange::parse`] | `headers/range.rs` |
//! | `Range` (upload progress) | [`upload_range`] | `headers/range.rs` |
//! | `Content-Length` | [`content_length`] | `headers/range.rs` |
//! | `OCI-Chunk-Min-Length` | [`chunk_min_length`] | `headers/range.rs` |
//! | `Location` | [`location`](fn@location) | `headers/location.rs` |
//! | `Warning` | [`warnings`] | `headers/warning.rs` |
//!
//! `headers/syntax.rs` holds the grammar pieces (tokens, quoted strings,
//! digits) that the readers share with the `WWW-Authenticate` parser of
//! [`auth`](crate::auth); `dates.rs` reads HTTP dates and RFC 3339 with one
//! calendar. This file holds the header names and re-exports the readers.
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

use http::header::{
    CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LINK, LOCATION, RANGE, RETRY_AFTER, WARNING,
    WWW_AUTHENTICATE,
};
use http::HeaderName;

mod link;
mod location;
mod range;
mod rate_limit;
mod retry;
pub(crate) mod syntax;
mod target;
mod warning;

pub use crate::dates::parse_http_date;
pub use link::{next_link, LinkError};
pub use location::{location, LocationError};
pub use range::{chunk_min_length, content_length, upload_range, ContentRange};
pub use rate_limit::RateLimit;
pub use retry::retry_after;
pub(crate) use target::join_checked;
pub use warning::{warnings, Warning};

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

#[cfg(test)]
mod tests {
    use http::HeaderMap;
    use url::Url;

    use super::*;

    /// A URL for the readers' tests (the submodules share these helpers).
    pub(super) fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    /// A header map of `pairs`, appended in order (a name may repeat).
    pub(super) fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, http::HeaderValue::from_str(value).unwrap());
        }
        map
    }

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
}
