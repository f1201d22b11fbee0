//! Resolving a URL reference a registry sent (a `Location`, a `Link`
//! target, a token realm) against the request URL, with the host it
//! names checked before `url` parses it.
//!
//! `url` hands every host that is not plain ASCII (after percent-decoding)
//! to IDNA processing, and `idna_adapter` 1.0 (the variant without ICU)
//! meets a debug assertion on hosts that mix non-ASCII and uppercase
//! letters; release builds go on with a host that was never lowercased.
//! No registry needs such a host: here a host must be a domain of the
//! reference grammar (ASCII letters, digits, `-` and `.`, an optional
//! port) or a bracketed IPv6 address, and user info is refused. Such a
//! host never takes `url`'s IDNA path.

use std::borrow::Cow;

use url::{ParseError, Url};

use crate::reference::grammar;

/// `base.join(value)`, refusing with [`ParseError::InvalidDomainCharacter`]
/// a value whose host (when it names one) is outside the reference
/// grammar's domains, or which carries user info.
pub(crate) fn join_checked(base: &Url, value: &str) -> Result<Url, ParseError> {
    match named_host(value) {
        Some(authority) if !authority_ok(&authority) => Err(ParseError::InvalidDomainCharacter),
        _ => base.join(value),
    }
}

/// Whether an authority (`host[:port]`, no user info) is one the
/// reference grammar accepts.
fn authority_ok(authority: &str) -> bool {
    !authority.contains('@') && grammar::is_domain(authority)
}

/// The authority that `value`, resolved against an `http(s)` base, would
/// take its host from, if any. It follows the WHATWG URL parser's
/// preprocessing (leading and trailing C0 controls and spaces dropped,
/// tabs and newlines removed anywhere) and treats `\` as `/`, as that
/// parser does for special schemes. It errs towards finding an authority:
/// after any special scheme (`http:`, `https:`, `ws:`, `wss:`, `ftp:`,
/// `file:`) the text past the slashes counts as one, even where `url`
/// would read a path (`http:x` against an `http` base).
fn named_host(value: &str) -> Option<String> {
    let trimmed = value.trim_matches(|c: char| c <= ' ');
    let cleaned: Cow<'_, str> = if trimmed.contains(['\t', '\n', '\r']) {
        Cow::Owned(trimmed.replace(['\t', '\n', '\r'], ""))
    } else {
        Cow::Borrowed(trimmed)
    };
    let is_slash = |c: char| c == '/' || c == '\\';
    let after_scheme = match scheme_end(&cleaned) {
        Some(colon) => {
            let scheme = cleaned[..colon].to_ascii_lowercase();
            if !matches!(
                scheme.as_str(),
                "http" | "https" | "ws" | "wss" | "ftp" | "file"
            ) {
                // A non-special scheme: its host is opaque to `url` (no
                // IDNA), and no caller accepts such a URL anyway.
                return None;
            }
            colon + 1
        }
        None => {
            let mut chars = cleaned.chars();
            let two_slashes =
                chars.next().is_some_and(is_slash) && chars.next().is_some_and(is_slash);
            if !two_slashes {
                return None;
            }
            0
        }
    };
    let rest = cleaned[after_scheme..].trim_start_matches(is_slash);
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// Where a URL scheme ends (the `:`), if `s` starts with one: an ASCII
/// letter, then letters, digits, `+`, `-` or `.`.
fn scheme_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let len = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))?;
    (b[len] == b':').then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::tests::url;

    #[test]
    fn finds_the_host_a_reference_names() {
        let cases = [
            ("/v2/a/tags/list?last=x", None),
            ("u?_state=s", None),
            ("?n=2", None),
            ("//evil.example/x", Some("evil.example")),
            ("/\\evil.example/x", Some("evil.example")),
            ("\\\\evil.example?x", Some("evil.example")),
            (" \t//ev\til.example#x", Some("evil.example")),
            ("https://s3.example:443/b?sig=1", Some("s3.example:443")),
            ("HTTP:///x.example/", Some("x.example")),
            ("http:relative", Some("relative")),
            ("https://u:p@h.example/", Some("u:p@h.example")),
            ("data:text/plain,x", None),
            ("mailto:a@b", None),
        ];
        for (value, host) in cases {
            assert_eq!(named_host(value).as_deref(), host, "{value:?}");
        }
    }

    #[test]
    fn refuses_hosts_outside_the_domain_grammar() {
        let base = url("http://r.example/v2/");
        for value in [
            "//%C6%92X.example/",
            "//ƒX.example/",
            "http://ƒ.example/",
            "https://u:p@h.example/",
            "//h.example:/",
            "//a_b.example/",
            "//[::1%25eth0]/",
        ] {
            assert_eq!(
                join_checked(&base, value),
                Err(ParseError::InvalidDomainCharacter),
                "{value:?}"
            );
        }
        for (value, joined) in [
            ("/v2/x", "http://r.example/v2/x"),
            ("//Other.Example:8080/y", "http://other.example:8080/y"),
            ("https://[::1]:5000/v2/", "https://[::1]:5000/v2/"),
            ("https://127.0.0.1/v2/", "https://127.0.0.1/v2/"),
            // Non-ASCII outside the host is `url`'s to percent-encode.
            ("/v2/ƒ", "http://r.example/v2/%C6%92"),
        ] {
            assert_eq!(join_checked(&base, value).unwrap().as_str(), joined);
        }
    }

    #[test]
    fn the_fuzzer_input_that_reached_the_idna_assertion() {
        // fuzz/seeds/link/idna-uppercase-host: `/\` opens an authority
        // whose host (after the user info) mixes `X` and `ƒ`.
        let value =
            "/\\\"bytes \u{2}\0\0\0\0ƒ;\u{1f}\0\0\0\0\0e\u{2} s\0@0Xƒ;\u{1f}\u{2}\0\0a2\0\0\0\0";
        let base = url("http://r.example/v2/");
        assert_eq!(
            join_checked(&base, value),
            Err(ParseError::InvalidDomainCharacter)
        );
    }
}
