//! `Location`: where an upload session continues, or where a redirect
//! points.

use thiserror::Error;
use url::Url;

/// Why a `Location` header could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LocationError {
    /// The header is empty.
    #[error("the Location header is empty")]
    Empty,
    /// The value is not a URL, even relative to the request URL.
    #[error("the Location header is not a valid URL: {0}")]
    InvalidUrl(url::ParseError),
    /// The URL's scheme is neither `http` nor `https`.
    #[error("the Location header has the unsupported scheme {0:?}")]
    UnsupportedScheme(String),
}

/// Resolves a `Location` header (upload sessions, redirects) against
/// `base`, the request URL. Registry 2.8.2 sends absolute URLs built from
/// the request's Host; others send paths. Only `http` and `https` results
/// are accepted. The origin is not checked: redirects to blob storage are
/// legitimate, and the caller decides which credentials may follow.
///
/// ```
/// use ocireg_core::headers::location;
/// use url::Url;
///
/// let base = Url::parse("http://127.0.0.1:5000/v2/demo/blobs/uploads/").unwrap();
/// let url = location("/v2/demo/blobs/uploads/abc?_state=x", &base).unwrap();
/// assert_eq!(url.as_str(), "http://127.0.0.1:5000/v2/demo/blobs/uploads/abc?_state=x");
/// ```
pub fn location(value: &str, base: &Url) -> Result<Url, LocationError> {
    let value = value.trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err(LocationError::Empty);
    }
    let url = super::target::join_checked(base, value).map_err(LocationError::InvalidUrl)?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(LocationError::UnsupportedScheme(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::tests::url;

    #[test]
    fn location_resolves_relative_and_absolute() {
        let base = url("http://127.0.0.1:5000/v2/demo/blobs/uploads/");
        assert_eq!(
            location(
                "http://127.0.0.1:5000/v2/demo/blobs/uploads/u?_state=s",
                &base
            )
            .unwrap()
            .as_str(),
            "http://127.0.0.1:5000/v2/demo/blobs/uploads/u?_state=s"
        );
        assert_eq!(
            location("/v2/demo/blobs/uploads/u", &base)
                .unwrap()
                .as_str(),
            "http://127.0.0.1:5000/v2/demo/blobs/uploads/u"
        );
        assert_eq!(
            location("u", &base).unwrap().as_str(),
            "http://127.0.0.1:5000/v2/demo/blobs/uploads/u"
        );
        assert_eq!(
            location("https://s3.example/bucket/blob?sig=1", &base)
                .unwrap()
                .as_str(),
            "https://s3.example/bucket/blob?sig=1"
        );
    }

    #[test]
    fn location_errors() {
        let base = url("http://127.0.0.1:5000/v2/");
        assert_eq!(location(" ", &base), Err(LocationError::Empty));
        assert!(matches!(
            location("http://[::1", &base),
            Err(LocationError::InvalidUrl(_))
        ));
        assert_eq!(
            location("file:///etc/passwd", &base),
            Err(LocationError::UnsupportedScheme("file".to_string()))
        );
        assert_eq!(
            location("javascript:alert(1)", &base)
                .unwrap_err()
                .to_string(),
            "the Location header has the unsupported scheme \"javascript\""
        );
        // A host outside the domain grammar never reaches `url`'s IDNA
        // path (the link fuzzer's idna_adapter assertion).
        assert_eq!(
            location("/\\ev@0Xƒ/", &base),
            Err(LocationError::InvalidUrl(
                url::ParseError::InvalidDomainCharacter
            ))
        );
    }
}
