//! `Link` (RFC 8288): the next page of a catalog or tag list.

use thiserror::Error;
use url::Url;

use super::syntax::{quoted_string, skip_ows, token_end, QuotedError};

/// Why a `Link` header could not give the next page.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The header does not follow the RFC 8288 grammar.
    #[error("invalid Link header at byte {position}: {expected}")]
    Syntax {
        /// Byte offset of the problem in the header value.
        position: usize,
        /// What the parser expected there.
        expected: &'static str,
    },
    /// The `next` target is not a URL, even relative to the request URL.
    #[error("the Link header's next target is not a valid URL: {0}")]
    InvalidUrl(url::ParseError),
    /// The `next` target is on another origin (scheme, host or port) than
    /// the request; following it could send credentials elsewhere.
    #[error("the Link header's next target is on another origin ({origin}) than the request")]
    CrossOrigin {
        /// The target's origin, such as `https://other.example:443`.
        origin: String,
    },
}

impl LinkError {
    fn syntax(position: usize, expected: &'static str) -> LinkError {
        LinkError::Syntax { position, expected }
    }
}

/// Finds the link with relation type `next` in a `Link` header value
/// (RFC 8288), as registries send it for catalog and tag list pages, and
/// resolves it against `base`, the URL of the request that got the
/// response.
///
/// The value may hold several comma-separated links; `rel` may be quoted or
/// not and may list several space-separated relation types (compared
/// case-insensitively). Only the first `rel` of a link counts, as RFC 8288
/// says; the first link whose `rel` includes `next` wins.
///
/// Returns `Ok(None)` when no link is `next` (the last page). A malformed
/// header is an error rather than "no next page", so a listing is never
/// silently cut short. A target on another origin than `base` is refused.
///
/// ```
/// use ocireg_core::headers::{next_link, LinkError};
/// use url::Url;
///
/// let base = Url::parse("https://r.example/v2/_catalog?n=2").unwrap();
/// let next = next_link(r#"</v2/_catalog?last=a%2Fb&n=2>; rel="next""#, &base).unwrap();
/// assert_eq!(next.unwrap().as_str(), "https://r.example/v2/_catalog?last=a%2Fb&n=2");
///
/// let err = next_link("<https://evil.example/v2/_catalog>; rel=next", &base).unwrap_err();
/// assert!(matches!(err, LinkError::CrossOrigin { .. }));
/// ```
pub fn next_link(value: &str, base: &Url) -> Result<Option<Url>, LinkError> {
    let s = value.as_bytes();
    let mut pos = 0;
    let mut found: Option<&str> = None;
    loop {
        pos = skip_ows(s, pos);
        match s.get(pos) {
            None => break,
            Some(b',') => {
                pos += 1;
                continue;
            }
            Some(_) => {}
        }
        let (target, is_next, end) = link_value(value, pos)?;
        if is_next && found.is_none() {
            found = Some(target);
        }
        pos = skip_ows(s, end);
        match s.get(pos) {
            None => break,
            Some(b',') => pos += 1,
            Some(_) => return Err(LinkError::syntax(pos, "',' between links")),
        }
    }
    let Some(target) = found else {
        return Ok(None);
    };
    let url = super::target::join_checked(base, target).map_err(LinkError::InvalidUrl)?;
    if !same_origin(&url, base) {
        return Err(LinkError::CrossOrigin {
            origin: url.origin().ascii_serialization(),
        });
    }
    Ok(Some(url))
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )`.
/// Returns the target, whether the first `rel` includes `next`, and the end.
fn link_value(value: &str, start: usize) -> Result<(&str, bool, usize), LinkError> {
    let s = value.as_bytes();
    if s.get(start) != Some(&b'<') {
        return Err(LinkError::syntax(start, "'<' opening a link target"));
    }
    let Some(len) = s[start + 1..].iter().position(|&b| b == b'>') else {
        return Err(LinkError::syntax(start, "'>' closing the link target"));
    };
    let target = &value[start + 1..start + 1 + len];
    if let Some(bad) = target
        .bytes()
        .position(|b| b.is_ascii_whitespace() || b == b'<')
    {
        return Err(LinkError::syntax(
            start + 1 + bad,
            "a URI reference without spaces",
        ));
    }
    let mut pos = start + 2 + len;
    let mut rel: Option<String> = None;
    loop {
        let after = skip_ows(s, pos);
        if s.get(after) != Some(&b';') {
            break;
        }
        let (name, param_value, end) = link_param(value, skip_ows(s, after + 1))?;
        if name.eq_ignore_ascii_case("rel") && rel.is_none() {
            rel = Some(param_value.unwrap_or_default());
        }
        pos = end;
    }
    let is_next = rel.is_some_and(|r| r.split([' ', '\t']).any(|t| t.eq_ignore_ascii_case("next")));
    Ok((target, is_next, pos))
}

/// `link-param = token BWS [ "=" BWS ( token / quoted-string ) ]`.
fn link_param(value: &str, start: usize) -> Result<(&str, Option<String>, usize), LinkError> {
    let s = value.as_bytes();
    let name_end = token_end(s, start);
    if name_end == start {
        return Err(LinkError::syntax(start, "a link parameter name"));
    }
    let name = &value[start..name_end];
    let eq = skip_ows(s, name_end);
    if s.get(eq) != Some(&b'=') {
        return Ok((name, None, name_end));
    }
    let v = skip_ows(s, eq + 1);
    if s.get(v) == Some(&b'"') {
        let (text, end) = quoted_string(value, v).map_err(|(p, e)| {
            LinkError::syntax(
                p,
                match e {
                    QuotedError::Unterminated => "a closing '\"'",
                    QuotedError::BadChar => "no control characters in a quoted string",
                },
            )
        })?;
        return Ok((name, Some(text), end));
    }
    let end = token_end(s, v);
    if end == v {
        return Err(LinkError::syntax(v, "a link parameter value"));
    }
    Ok((name, Some(value[v..end].to_string()), end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::tests::url;

    #[test]
    fn next_link_resolves_registry_2_8_relative_link() {
        let base = url("http://127.0.0.1:5000/v2/_catalog?n=2");
        let next = next_link(r#"</v2/_catalog?last=b%2Fc&n=2>; rel="next""#, &base).unwrap();
        assert_eq!(
            next.unwrap().as_str(),
            "http://127.0.0.1:5000/v2/_catalog?last=b%2Fc&n=2"
        );
    }

    #[test]
    fn next_link_accepts_unquoted_and_multi_valued_rel() {
        let base = url("https://r.example/v2/a/tags/list");
        for value in [
            "</v2/a/tags/list?last=x>; rel=next",
            "</v2/a/tags/list?last=x> ; REL = \"prev NEXT\"",
            "</first>; rel=first, </v2/a/tags/list?last=x>;rel=\"next\"",
            "</v2/a/tags/list?last=x>; title=\"a, b; c\"; rel=next, </other>; rel=next",
            ",, </v2/a/tags/list?last=x>; rel=next ,",
            "<https://r.example:443/v2/a/tags/list?last=x>; rel=next",
        ] {
            let next = next_link(value, &base).unwrap().unwrap();
            assert_eq!(
                next.as_str(),
                "https://r.example/v2/a/tags/list?last=x",
                "{value}"
            );
        }
    }

    #[test]
    fn next_link_without_next_is_none() {
        let base = url("https://r.example/v2/_catalog");
        assert_eq!(next_link("", &base), Ok(None));
        assert_eq!(next_link("</x>; rel=prev", &base), Ok(None));
        assert_eq!(next_link("</x>", &base), Ok(None));
        assert_eq!(next_link("</x>; rel=\"nextish\"", &base), Ok(None));
        // Only the first rel of a link counts.
        assert_eq!(next_link("</x>; rel=prev; rel=next", &base), Ok(None));
    }

    #[test]
    fn next_link_refuses_other_origins() {
        let base = url("https://r.example/v2/_catalog");
        for value in [
            "<https://evil.example/v2/_catalog>; rel=next",
            "<//evil.example/v2/_catalog>; rel=next",
            "<http://r.example/v2/_catalog>; rel=next",
            "<https://r.example:8443/v2/_catalog>; rel=next",
            "<data:text/plain,x>; rel=next",
        ] {
            let err = next_link(value, &base).unwrap_err();
            assert!(
                matches!(err, LinkError::CrossOrigin { .. }),
                "{value}: {err}"
            );
        }
        assert_eq!(
            next_link("<https://evil.example/x>; rel=next", &base)
                .unwrap_err()
                .to_string(),
            "the Link header's next target is on another origin (https://evil.example) than the request"
        );
    }

    #[test]
    fn next_link_syntax_errors_have_positions() {
        let base = url("https://r.example/v2/_catalog");
        let cases = [
            ("/v2/_catalog; rel=next", 0, "'<' opening a link target"),
            ("</v2/_catalog; rel=next", 0, "'>' closing the link target"),
            ("</a b>; rel=next", 3, "a URI reference without spaces"),
            ("</a>; =next", 6, "a link parameter name"),
            ("</a>; rel=", 10, "a link parameter value"),
            ("</a>; rel=\"next", 10, "a closing '\"'"),
            ("</a> </b>", 5, "',' between links"),
        ];
        for (value, position, expected) in cases {
            assert_eq!(
                next_link(value, &base),
                Err(LinkError::Syntax { position, expected }),
                "{value}"
            );
        }
        assert_eq!(
            next_link("</a> </b>", &base).unwrap_err().to_string(),
            "invalid Link header at byte 5: ',' between links"
        );
    }

    #[test]
    fn next_link_invalid_url_is_an_error() {
        let base = url("https://r.example/v2/_catalog");
        let err = next_link("<http://[::1>; rel=next", &base).unwrap_err();
        assert!(matches!(err, LinkError::InvalidUrl(_)), "{err}");
    }
}
