//! The small header readers (Retry-After, HTTP dates, Content-Range, the
//! upload Range, Content-Length, Warning) never panic and keep their promises: a date in
//! the future gives exactly the time until it, ranges are ordered.
//! The first 8 bytes are the time `now`; the rest is the header value.
#![no_main]

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use ocireg_core::headers::{
    content_length, parse_http_date, retry_after, upload_range, warnings, ContentRange,
};

fuzz_target!(|data: &[u8]| {
    let Some((now, rest)) = data.split_first_chunk::<8>() else {
        return;
    };
    // Up to about 500 years after 1970.
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from_le_bytes(*now) % (1 << 34));
    let Ok(value) = std::str::from_utf8(rest) else {
        return;
    };

    let date = parse_http_date(value);
    let wait = retry_after(value, now);
    if let Some(date) = date {
        let expected = date.duration_since(now).unwrap_or(Duration::ZERO);
        assert_eq!(wait, Some(expected));
    }

    if let Some(range) = ContentRange::parse(value) {
        assert!(range.start <= range.end);
        if let Some(total) = range.total {
            assert!(range.end < total);
        }
    }

    if let Some(held) = upload_range(value) {
        assert!(held == 0 || value.contains(&(held - 1).to_string()));
    }

    // Content-Length: a length read back prints as the value it came from.
    if let Ok(v) = HeaderValue::from_str(value) {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_LENGTH, v);
        if let Some(n) = content_length(&headers) {
            assert_eq!(
                n.to_string().trim_start_matches('0'),
                value.trim().trim_start_matches('0')
            );
        }
    }

    let mut headers = HeaderMap::new();
    for part in rest.split(|&b| b == b'\n') {
        if let Ok(v) = HeaderValue::from_bytes(part) {
            headers.append(http::header::WARNING, v);
        }
    }
    for w in warnings(&headers) {
        assert!(w.code <= 999);
        assert!(!w.agent.is_empty());
    }
});
