//! Rate limit headers: arbitrary header values (split at newlines into
//! `ratelimit-limit`, `ratelimit-remaining`, `docker-ratelimit-source` and
//! `oci-chunk-min-length`) never make the readers panic; the result is
//! `None` exactly when no rate limit header is present.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use ocireg_core::headers::{chunk_min_length, RateLimit};

const NAMES: [&str; 4] = [
    "ratelimit-limit",
    "ratelimit-remaining",
    "docker-ratelimit-source",
    "oci-chunk-min-length",
];

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for (name, value) in NAMES.iter().zip(data.split(|&b| b == b'\n')) {
        // An empty part leaves the header out.
        if value.is_empty() {
            continue;
        }
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(*name, value);
        }
    }
    let present = NAMES[..3].iter().any(|n| headers.contains_key(*n));
    let limit = RateLimit::from_headers(&headers);
    assert_eq!(limit.is_some(), present);
    if let Some(limit) = limit {
        let _ = format!("{limit:?}");
        if let Some(source) = &limit.source {
            assert!(!source.is_empty());
        }
    }
    let _ = chunk_min_length(&headers);
});
