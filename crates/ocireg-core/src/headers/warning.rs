//! `Warning` (RFC 7234 §5.5), as registries send deprecation notices.

use http::header::WARNING;
use http::HeaderMap;

use super::syntax::{quoted_string, skip_element, skip_ows};

/// One `Warning` (RFC 7234 §5.5), as registries send deprecation notices:
/// `Warning: 299 - "this repository is deprecated"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The three-digit code (registries use 299, "miscellaneous persistent
    /// warning").
    pub code: u16,
    /// Who added it: a host or a pseudonym, `-` when unknown.
    pub agent: String,
    /// The text, unquoted.
    pub text: String,
}

/// Reads every `Warning` header: each value may hold several
/// comma-separated warnings. Malformed warnings are skipped; a trailing
/// date is accepted and ignored.
///
/// ```
/// use http::HeaderMap;
/// use ocireg_core::headers::warnings;
///
/// let mut headers = HeaderMap::new();
/// headers.append("warning", r#"299 - "deprecated, use v2""#.parse().unwrap());
/// headers.append("warning", "garbage".parse().unwrap());
/// let w = warnings(&headers);
/// assert_eq!(w.len(), 1);
/// assert_eq!((w[0].code, w[0].agent.as_str(), w[0].text.as_str()), (299, "-", "deprecated, use v2"));
/// ```
pub fn warnings(headers: &HeaderMap) -> Vec<Warning> {
    let mut out = Vec::new();
    for value in headers.get_all(WARNING) {
        if let Ok(value) = std::str::from_utf8(value.as_bytes()) {
            warning_list(value, &mut out);
        }
    }
    out
}

/// `1#warning-value`, skipping elements that do not parse.
fn warning_list(value: &str, out: &mut Vec<Warning>) {
    let s = value.as_bytes();
    let mut pos = 0;
    loop {
        pos = skip_ows(s, pos);
        match s.get(pos) {
            None => return,
            Some(b',') => {
                pos += 1;
                continue;
            }
            Some(_) => {}
        }
        match warning_value(value, pos) {
            Some((warning, end)) => {
                out.push(warning);
                pos = end;
            }
            None => pos = skip_element(s, pos),
        }
    }
}

/// `warn-code SP warn-agent SP warn-text [ SP warn-date ]`, followed by
/// OWS and a `,` or the end.
fn warning_value(value: &str, start: usize) -> Option<(Warning, usize)> {
    let s = value.as_bytes();
    let code = value.get(start..start + 3)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) || s.get(start + 3) != Some(&b' ') {
        return None;
    }
    let agent_start = start + 4;
    let agent_len = s[agent_start..]
        .iter()
        .position(|&b| !(b.is_ascii_graphic() && b != b',' && b != b'"'))
        .unwrap_or(s.len() - agent_start);
    if agent_len == 0 {
        return None;
    }
    let agent = &value[agent_start..agent_start + agent_len];
    let mut pos = agent_start + agent_len;
    if s.get(pos) != Some(&b' ') || s.get(pos + 1) != Some(&b'"') {
        return None;
    }
    let (text, end) = quoted_string(value, pos + 1).ok()?;
    pos = end;
    if s.get(pos) == Some(&b' ') && s.get(pos + 1) == Some(&b'"') {
        let (_date, end) = quoted_string(value, pos + 1).ok()?;
        pos = end;
    }
    pos = skip_ows(s, pos);
    if !matches!(s.get(pos), None | Some(b',')) {
        return None;
    }
    let warning = Warning {
        code: code.parse().ok()?,
        agent: agent.to_string(),
        text,
    };
    Some((warning, pos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::tests::headers;

    #[test]
    fn warnings_read_deprecation_notices_and_skip_garbage() {
        let map = headers(&[
            ("warning", r#"299 - "this repository is deprecated""#),
            (
                "warning",
                r#"garbage, 299 registry.example:5000 "a \"quoted\", text" "Sun, 06 Nov 1994 08:49:37 GMT", 199 - "x""#,
            ),
            ("warning", r#"299 - "unterminated"#),
            ("warning", r#"2999 - "x", 299 -"#),
        ]);
        let found = warnings(&map);
        let got: Vec<_> = found
            .iter()
            .map(|w| (w.code, w.agent.as_str(), w.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (299, "-", "this repository is deprecated"),
                (299, "registry.example:5000", "a \"quoted\", text"),
                (199, "-", "x"),
            ]
        );
        assert!(warnings(&HeaderMap::new()).is_empty());
    }
}
