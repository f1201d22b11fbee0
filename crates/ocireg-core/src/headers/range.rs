//! Byte counts: `Content-Range` (ranged blob reads), the upload `Range`
//! (how much of an upload the registry holds), `Content-Length` and
//! `OCI-Chunk-Min-Length`.

use http::header::CONTENT_LENGTH;
use http::HeaderMap;

use super::syntax::digits;
use super::OCI_CHUNK_MIN_LENGTH;

/// A `Content-Range` of a partial (206) blob response: `bytes 0-99/100`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentRange {
    /// First byte sent.
    pub start: u64,
    /// Last byte sent (inclusive).
    pub end: u64,
    /// The whole blob's length; `None` for `*` (unknown).
    pub total: Option<u64>,
}

impl ContentRange {
    /// Parses `bytes <start>-<end>/<total>` or `bytes <start>-<end>/*`
    /// (RFC 9110 §14.4). `None` for anything else, for `end < start`, and
    /// for a range that ends beyond `total`. The unsatisfied form
    /// `bytes */100` has no range and gives `None`.
    ///
    /// ```
    /// use ocireg_core::headers::ContentRange;
    ///
    /// let r = ContentRange::parse("bytes 100-199/*").unwrap();
    /// assert_eq!((r.start, r.end, r.total), (100, 199, None));
    /// assert_eq!(ContentRange::parse("bytes 5-4/10"), None);
    /// ```
    pub fn parse(value: &str) -> Option<ContentRange> {
        let value = value.trim_matches([' ', '\t']);
        let (unit, rest) = value.split_once(' ')?;
        if !unit.eq_ignore_ascii_case("bytes") {
            return None;
        }
        let (range, total) = rest.split_once('/')?;
        let (start, end) = range.split_once('-')?;
        let (start, end) = (digits(start)?, digits(end)?);
        let total = match total {
            "*" => None,
            t => Some(digits(t)?),
        };
        if end < start || total.is_some_and(|t| end >= t) {
            return None;
        }
        Some(ContentRange { start, end, total })
    }
}

/// Reads the `Range: 0-<last>` header of an upload response (POST, PATCH,
/// or GET of the upload status) and returns how many bytes the registry
/// holds: `last + 1`. A `bytes=` prefix (in some versions of the spec and
/// some registries) is accepted. `None` for anything else, including a
/// range that does not start at 0.
///
/// `0-0` gives **0**. The header cannot say "nothing yet", and
/// distribution (registry 2.8.2, `registry/handlers/blobupload.go`,
/// `blobUploadResponse`) writes `endRange := buh.Upload.Size(); if
/// endRange > 0 { endRange = endRange - 1 }` then `Range: 0-<endRange>`,
/// so `0-0` means either 0 or 1 byte held. It is what every new upload
/// session (the POST answer) carries, while a 1-byte upload is rare, so it
/// is read as 0. An operation that has sent exactly one byte cannot tell
/// the two apart from this header and should restart that upload.
///
/// ```
/// use ocireg_core::headers::upload_range;
///
/// assert_eq!(upload_range("0-1023"), Some(1024));
/// assert_eq!(upload_range("bytes=0-1023"), Some(1024));
/// assert_eq!(upload_range("0-0"), Some(0));
/// assert_eq!(upload_range("10-20"), None);
/// ```
pub fn upload_range(value: &str) -> Option<u64> {
    let value = value.trim_matches([' ', '\t']);
    let value = match value.get(..6) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bytes=") => &value[6..],
        _ => value,
    };
    let (start, end) = value.split_once('-')?;
    if digits(start)? != 0 {
        return None;
    }
    match digits(end)? {
        0 => Some(0),
        last => last.checked_add(1),
    }
}

/// Reads `Content-Length`: the body's size in bytes. `None` when missing
/// or not a plain decimal number (no sign, no spaces inside).
///
/// ```
/// use http::HeaderMap;
/// use ocireg_core::headers::content_length;
///
/// let mut headers = HeaderMap::new();
/// assert_eq!(content_length(&headers), None);
/// headers.insert("content-length", "1024".parse().unwrap());
/// assert_eq!(content_length(&headers), Some(1024));
/// headers.insert("content-length", "+1024".parse().unwrap());
/// assert_eq!(content_length(&headers), None);
/// ```
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(CONTENT_LENGTH)?.to_str().ok()?;
    digits(value.trim())
}

/// Reads `OCI-Chunk-Min-Length`: the smallest chunk (except the last) the
/// registry wants in a chunked upload. `None` when missing or not a
/// number.
///
/// ```
/// use http::HeaderMap;
/// use ocireg_core::headers::chunk_min_length;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("oci-chunk-min-length", "5242880".parse().unwrap());
/// assert_eq!(chunk_min_length(&headers), Some(5_242_880));
/// ```
pub fn chunk_min_length(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(OCI_CHUNK_MIN_LENGTH)?.to_str().ok()?;
    digits(value.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::tests::headers;

    #[test]
    fn content_range_forms() {
        assert_eq!(
            ContentRange::parse("bytes 0-99/100"),
            Some(ContentRange {
                start: 0,
                end: 99,
                total: Some(100)
            })
        );
        assert_eq!(
            ContentRange::parse("Bytes 0-99/*"),
            Some(ContentRange {
                start: 0,
                end: 99,
                total: None
            })
        );
        assert_eq!(
            ContentRange::parse("bytes 7-7/8"),
            Some(ContentRange {
                start: 7,
                end: 7,
                total: Some(8)
            })
        );
        for bad in [
            "",
            "bytes */100",
            "bytes 5-4/10",
            "bytes 0-100/100",
            "bytes 0-99",
            "bytes=0-99/100",
            "items 0-99/100",
            "bytes -1-99/100",
            "bytes 0-+9/100",
            "bytes 0 - 99/100",
            "bytes 0-99/",
            "bytes 0-99/99999999999999999999999",
        ] {
            assert_eq!(ContentRange::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn upload_range_counts_bytes_held() {
        assert_eq!(upload_range("0-1023"), Some(1024));
        assert_eq!(upload_range("bytes=0-1023"), Some(1024));
        assert_eq!(upload_range("0-1"), Some(2));
        // distribution writes 0-0 for both 0 and 1 byte held: read as 0.
        assert_eq!(upload_range("0-0"), Some(0));
        assert_eq!(upload_range(&format!("0-{}", u64::MAX)), None);
        for bad in [
            "",
            "0",
            "1-5",
            "0-",
            "-5",
            "0--1",
            "bytes 0-5",
            "0-5/6",
            "0-x",
        ] {
            assert_eq!(upload_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn chunk_min_length_reads_the_header() {
        assert_eq!(chunk_min_length(&HeaderMap::new()), None);
        let map = headers(&[("OCI-Chunk-Min-Length", "1048576")]);
        assert_eq!(chunk_min_length(&map), Some(1_048_576));
        let map = headers(&[("oci-chunk-min-length", "big")]);
        assert_eq!(chunk_min_length(&map), None);
    }
}
