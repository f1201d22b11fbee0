//! Token endpoint responses: parsing never panics; what parses serializes
//! to JSON that parses back to an equal value; the lifetime is at least 60
//! seconds and expiry never panics; and `Debug` never shows the token or
//! the refresh token.
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use ocireg_core::auth::token::TokenResponse;

const OTHER_TOKEN: &str = "0123456789abcdefghij";
const OTHER_REFRESH: &str = "klmnopqrstuvwxyz9876";

fuzz_target!(|data: &[u8]| {
    let Ok(r) = TokenResponse::parse(data) else {
        return;
    };
    let json = serde_json::to_vec(&r).expect("serializes");
    assert_eq!(TokenResponse::parse(&json).expect("reparses"), r);

    assert!(r.lifetime() >= Duration::from_secs(60));
    for now in [0, 1_700_000_000, 4_000_000_000, 1 << 40] {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now);
        let expires = r.expires_at(now);
        if expires > now {
            assert!(expires.duration_since(now).unwrap() <= r.lifetime());
        }
    }

    // Debug is the same whatever the secrets are...
    let debug = format!("{r:?}");
    let mut other: serde_json::Value = serde_json::from_slice(&json).unwrap();
    other["token"] = OTHER_TOKEN.into();
    if r.refresh_token().is_some() {
        other["refresh_token"] = OTHER_REFRESH.into();
    }
    let other = TokenResponse::parse(&serde_json::to_vec(&other).unwrap()).unwrap();
    let other_debug = format!("{other:?}");
    assert_eq!(debug, other_debug);
    assert!(!other_debug.contains(OTHER_TOKEN) && !other_debug.contains(OTHER_REFRESH));
    // ...so it shows a long secret only when the secret is a piece of the
    // fixed text itself (a token such as `TokenResponse`).
    for secret in [Some(r.token()), r.refresh_token()]
        .into_iter()
        .flatten()
        .map(|s| s.expose())
    {
        if secret.len() > 8 && debug.contains(secret) {
            let fixed = other_debug
                .replace(OTHER_TOKEN, "")
                .replace(OTHER_REFRESH, "");
            assert!(fixed.contains(secret), "Debug shows a secret: {debug}");
        }
    }
});
