//! References: parsing never panics; a parsed reference prints in a form
//! that parses back to an equal value with the same parts; the familiar
//! form parses back to the same reference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocireg_core::Reference;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = Reference::parse(s) {
        let again = Reference::parse(&r.to_string()).expect("normalized form parses");
        assert_eq!(again, r);
        assert_eq!(again.domain(), r.domain());
        assert_eq!(again.path(), r.path());
        assert_eq!(again.tag(), r.tag());
        assert_eq!(again.digest(), r.digest());
        // The familiar form is what docker prints; it must mean the same.
        // (A reference with an empty domain has no separate familiar form.)
        // Docker's familiar form is lossy when Docker Hub's first path
        // component looks like a domain (`docker.io/a.b/c` -> `a.b/c`).
        let fam_first = r.familiar().split_once('/').map(|(first, _)| first);
        // It is also lossy for `library/<64 hex>`, whose familiar form is
        // a bare identifier that docker refuses as a name.
        let ambiguous = fam_first.is_some_and(|f| f.contains(['.', ':']) || f == "localhost")
            || ocireg_core::reference::grammar::is_identifier(r.familiar_name());
        if !r.domain().is_empty() && !ambiguous {
            let fam = Reference::parse(r.familiar()).expect("familiar form parses");
            assert_eq!(fam, r);
        }
        let tagged = r.with_default_tag();
        assert!(tagged.tag().is_some() || tagged.digest().is_some());
        assert_eq!(Reference::parse(tagged.as_str()).unwrap(), tagged);
    }
    if let Ok(r) = Reference::parse_unnormalized(s) {
        assert_eq!(r.as_str(), s, "Parse keeps the input as it is");
    }
    // The grammar's own matcher agrees with the parser on syntax.
    let _ = ocireg_core::reference::grammar::match_reference(s);
});
