//! URLs as messages and logs show them: without their query, fragment
//! and user info.
//!
//! A URL's query can be a credential: a pre-signed blob URL from S3 or a
//! CDN carries `X-Amz-Signature=...`, and an upload session's `_state=...`
//! lets its holder continue the upload. Every URL in an error message,
//! `Debug` output or log line of the core goes through [`url()`]; text that
//! a transport or a library wrote (a reqwest error prints the full URL)
//! goes through [`urls_in`].
//!
//! ```
//! use ocireg_core::redact;
//!
//! let signed: ocireg_core::url::Url =
//!     "https://s3.example/b/sha256/ab?X-Amz-Signature=f00d&X-Amz-Expires=60".parse().unwrap();
//! assert_eq!(redact::url(&signed), "https://s3.example/b/sha256/ab");
//! assert_eq!(
//!     redact::urls_in("error sending request for url (https://u:pw@s3.example/b?X-Amz-Signature=f00d)"),
//!     "error sending request for url (https://s3.example/b)"
//! );
//! ```

use std::borrow::Cow;
use std::fmt;

use url::{Position, Url};

/// `url` without its query, fragment, user name and password.
pub fn url(url: &Url) -> String {
    // `scheme://` then `host[:port]/path`, skipping `user:password@`.
    let mut out = url[..Position::BeforeUsername].to_string();
    out.push_str(&url[Position::BeforeHost..Position::AfterPath]);
    out
}

/// A URL that displays (and debugs) as [`url()`] shows it, for messages and
/// `Debug` implementations that must not copy the URL first.
#[derive(Clone, Copy)]
pub struct Redacted<'a>(pub &'a Url);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&url(self.0))
    }
}

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&url(self.0), f)
    }
}

/// `text` with the query, fragment and user info of every URL in it
/// (anything after a `scheme://`) removed. A URL runs to the next white
/// space, quote or angle bracket; closing brackets and punctuation at its
/// very end stay (they belong to the sentence around it).
pub fn urls_in(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
            .unwrap_or(tail.len());
        // Trailing `)`, `]`, `.`, `,`, `;`, `:` are the sentence's.
        let url = tail[..end].trim_end_matches([')', ']', '.', ',', ';', ':']);
        let host_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        let host_start = url[..host_end].rfind('@').map_or(0, |i| i + 1);
        let path_end = url.find(['?', '#']).unwrap_or(url.len()).max(host_start);
        out.push_str(&url[host_start..path_end]);
        rest = &tail[url.len()..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_drops_query_fragment_and_user_info() {
        let u: Url = "https://user:pw@h.example:8443/v2/a/blobs/x?X-Amz-Signature=s#frag"
            .parse()
            .unwrap();
        assert_eq!(url(&u), "https://h.example:8443/v2/a/blobs/x");
        assert_eq!(
            format!("{}", Redacted(&u)),
            "https://h.example:8443/v2/a/blobs/x"
        );
        assert_eq!(
            format!("{:?}", Redacted(&u)),
            "\"https://h.example:8443/v2/a/blobs/x\""
        );
        let plain: Url = "http://127.0.0.1:5000/v2/".parse().unwrap();
        assert_eq!(url(&plain), "http://127.0.0.1:5000/v2/");
    }

    #[test]
    fn urls_in_text() {
        for (text, want) in [
            ("no url here", "no url here"),
            (
                "error sending request for url (http://127.0.0.1:9/blob?X-Amz-Signature=abc&b=c): connection refused",
                "error sending request for url (http://127.0.0.1:9/blob): connection refused",
            ),
            (
                "HTTPS://H/P?sig=1 and http://u:p@h2/?x=y.",
                "HTTPS://H/P and http://h2/.",
            ),
            ("see <https://h/a?b>", "see <https://h/a>"),
            ("\"http://h?q\"", "\"http://h\""),
            ("http://h/p?a=b)c=d", "http://h/p"),
            ("http://[::1]:5000/v2/?n=1]", "http://[::1]:5000/v2/]"),
            ("http://h#frag rest", "http://h rest"),
            ("http://", "http://"),
            ("trailing https://", "trailing https://"),
            ("http://token@h/x", "http://h/x"),
            ("é http://h/é?é=é é", "é http://h/é é"),
        ] {
            assert_eq!(urls_in(text), want, "{text}");
        }
        assert!(matches!(urls_in("nothing"), Cow::Borrowed(_)));
    }
}
