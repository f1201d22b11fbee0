//! Image configurations: decoding never panics; what decodes round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocireg_core::config::{rfc3339_to_unix, ImageConfig};

fuzz_target!(|data: &[u8]| {
    if let Ok(config) = ImageConfig::from_json(data) {
        let json = config.to_json().expect("serializes");
        assert_eq!(ImageConfig::from_json(&json).expect("reparses"), config);
        let _ = config.created_unix();
        let _ = config.layer_history();
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = rfc3339_to_unix(s);
    }
});
