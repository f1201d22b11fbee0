//! Docker Hub's pull rate limit: `RateLimit-Limit`, `RateLimit-Remaining`
//! and `Docker-RateLimit-Source`.

use std::time::Duration;

use http::HeaderMap;

use super::syntax::digits;
use super::{DOCKER_RATELIMIT_SOURCE, RATELIMIT_LIMIT, RATELIMIT_REMAINING};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::tests::headers;

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
}
