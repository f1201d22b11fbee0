//! Digests: parsing never panics and round-trips; the streaming hasher
//! gives the same digest however the input is chunked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocireg_core::digest::{Algorithm, Digest, Hasher, Verifier};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(d) = Digest::parse(s) {
            assert_eq!(d.to_string(), s, "a valid digest is already canonical");
            assert_eq!(Digest::parse(&d.to_string()), Ok(d));
        }
    }
    let split = data.first().map_or(0, |&b| b as usize).min(data.len());
    for alg in [Algorithm::Sha256, Algorithm::Sha512] {
        let whole = Digest::compute(alg, data);
        let mut h = Hasher::new(alg);
        h.update(&data[..split]);
        h.update(&data[split..]);
        assert_eq!(h.finish(), whole);
        let mut v = Verifier::with_size(whole, data.len() as u64);
        v.update(data);
        assert_eq!(v.finish(), Ok(whole));
    }
});
