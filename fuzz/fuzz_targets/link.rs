//! `Link` headers: parsing never panics and a returned next-page URL always
//! has the request URL's origin (scheme, host, port). `Location` resolution
//! of the same bytes never panics and gives only http(s) URLs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocireg_core::headers::{location, next_link};
use url::Url;

const BASES: [&str; 4] = [
    "http://127.0.0.1:5000/v2/_catalog?n=2",
    "https://registry.example/v2/library/ubuntu/tags/list",
    "https://[::1]:8443/v2/a/b/tags/list?n=10&last=x",
    "http://r.example/v2/",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = std::str::from_utf8(rest) else {
        return;
    };
    let base = Url::parse(BASES[usize::from(pick) % BASES.len()]).unwrap();
    match next_link(value, &base) {
        Ok(Some(next)) => {
            assert_eq!(next.scheme(), base.scheme());
            assert_eq!(next.host(), base.host());
            assert_eq!(next.port_or_known_default(), base.port_or_known_default());
        }
        Ok(None) => {}
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Ok(url) = location(value, &base) {
        assert!(matches!(url.scheme(), "http" | "https"));
    }
});
