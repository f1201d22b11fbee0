//! Platforms: `os/arch[/variant]` strings and JSON objects parse without
//! panics and round-trip; matching an index never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocireg_core::platform::{best_match, Platform};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = s.parse::<Platform>() {
        assert_eq!(p.to_string().parse::<Platform>().expect("reparses"), p);
        let n = p.normalized();
        assert_eq!(n.normalized(), n, "normalizing is idempotent");
    }
    if let Ok(p) = serde_json::from_str::<Platform>(s) {
        let json = serde_json::to_string(&p).expect("serializes");
        assert_eq!(serde_json::from_str::<Platform>(&json).expect("reparses"), p);
        let candidates: Vec<Platform> = s.split(',').filter_map(|c| c.parse().ok()).collect();
        if let Some(i) = best_match(&p, candidates.iter().map(Some)) {
            assert!(p.matches(&candidates[i]));
        }
    }
});
