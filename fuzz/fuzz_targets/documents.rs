//! The registry's JSON documents (error bodies, tag lists, catalogs,
//! referrers): parsing never panics and what parses round-trips through
//! serialization.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocireg_core::documents::{parse_referrers, Catalog, ErrorBody, TagList};

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = ErrorBody::parse(data) {
        let json = serde_json::to_vec(&body).expect("serializes");
        assert_eq!(ErrorBody::parse(&json).expect("reparses"), body);
        let _ = body.to_string();
    }
    if let Ok(tags) = TagList::parse(data) {
        let json = serde_json::to_vec(&tags).expect("serializes");
        assert_eq!(TagList::parse(&json).expect("reparses"), tags);
    }
    if let Ok(catalog) = Catalog::parse(data) {
        let json = serde_json::to_vec(&catalog).expect("serializes");
        assert_eq!(Catalog::parse(&json).expect("reparses"), catalog);
    }
    let _ = parse_referrers(data);
});
