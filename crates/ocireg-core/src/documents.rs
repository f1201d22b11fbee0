//! The registry's small JSON documents: error bodies, tag lists, the
//! catalog, and the referrers list.
//!
//! Registries differ in what they put in these, so the readers are
//! tolerant: an error code this crate does not know is kept as
//! [`ErrorCode::Other`] instead of failing the body, `detail` may be any
//! JSON, and `null` or missing lists read as empty. A body that is not a
//! JSON object (such as a proxy's plain-text `404 page not found`) is an
//! error, so the caller can fall back to the HTTP status.
//!
//! ```
//! use ocireg_core::documents::{ErrorBody, ErrorCode, TagList};
//!
//! let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v9"}},
//!                            {"code":"QUOTA_EXCEEDED","message":"storage quota exceeded"}]}"#;
//! let errors = ErrorBody::parse(body)?;
//! assert_eq!(errors.errors[0].code, ErrorCode::ManifestUnknown);
//! assert_eq!(errors.errors[1].code, ErrorCode::Other("QUOTA_EXCEEDED".into()));
//! assert!(errors.has_code(&ErrorCode::ManifestUnknown));
//! assert!(ErrorBody::parse(b"404 page not found").is_err());
//!
//! let tags = TagList::parse(br#"{"name":"library/alpine","tags":null}"#)?;
//! assert!(tags.tags.is_empty());
//! # Ok::<(), ocireg_core::documents::DocumentError>(())
//! ```

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::manifest::json::null_as_default;
use crate::manifest::{media_type, ImageIndex, Manifest};

/// A document that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {document}: {message}")]
pub struct DocumentError {
    document: &'static str,
    message: String,
}

impl DocumentError {
    /// Which document was being read (`error body`, `tag list`, ...).
    pub fn document(&self) -> &'static str {
        self.document
    }
}

/// Reads one JSON object as `T`.
pub(crate) fn parse_object<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    document: &'static str,
) -> Result<T, DocumentError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(DocumentError {
            document,
            message: "expected a JSON object".to_string(),
        });
    }
    serde_json::from_slice(bytes).map_err(|e| DocumentError {
        document,
        message: e.to_string(),
    })
}

/// An error code of the distribution spec, or any other code a registry
/// sends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `BLOB_UNKNOWN`: blob unknown to registry.
    BlobUnknown,
    /// `BLOB_UPLOAD_INVALID`: blob upload invalid.
    BlobUploadInvalid,
    /// `BLOB_UPLOAD_UNKNOWN`: blob upload unknown to registry.
    BlobUploadUnknown,
    /// `DIGEST_INVALID`: provided digest did not match uploaded content.
    DigestInvalid,
    /// `MANIFEST_BLOB_UNKNOWN`: manifest references a manifest or blob
    /// unknown to registry.
    ManifestBlobUnknown,
    /// `MANIFEST_INVALID`: manifest invalid.
    ManifestInvalid,
    /// `MANIFEST_UNKNOWN`: manifest unknown to registry.
    ManifestUnknown,
    /// `MANIFEST_UNVERIFIED`: manifest failed signature verification
    /// (Docker schema 1).
    ManifestUnverified,
    /// `NAME_INVALID`: invalid repository name.
    NameInvalid,
    /// `NAME_UNKNOWN`: repository name not known to registry.
    NameUnknown,
    /// `SIZE_INVALID`: provided length did not match content length.
    SizeInvalid,
    /// `TAG_INVALID`: manifest tag did not match URI.
    TagInvalid,
    /// `UNAUTHORIZED`: authentication required.
    Unauthorized,
    /// `DENIED`: requested access to the resource is denied.
    Denied,
    /// `UNSUPPORTED`: the operation is unsupported.
    Unsupported,
    /// `TOOMANYREQUESTS`: too many requests.
    TooManyRequests,
    /// `PAGINATION_NUMBER_INVALID`: invalid number of results requested.
    PaginationNumberInvalid,
    /// `RANGE_INVALID`: invalid content range.
    RangeInvalid,
    /// `UNKNOWN`: unknown error.
    Unknown,
    /// Any other code, exactly as sent (empty when there was none).
    Other(String),
}

impl ErrorCode {
    /// The code as it appears in JSON (`MANIFEST_UNKNOWN`).
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::BlobUnknown => "BLOB_UNKNOWN",
            ErrorCode::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            ErrorCode::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            ErrorCode::DigestInvalid => "DIGEST_INVALID",
            ErrorCode::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            ErrorCode::ManifestInvalid => "MANIFEST_INVALID",
            ErrorCode::ManifestUnknown => "MANIFEST_UNKNOWN",
            ErrorCode::ManifestUnverified => "MANIFEST_UNVERIFIED",
            ErrorCode::NameInvalid => "NAME_INVALID",
            ErrorCode::NameUnknown => "NAME_UNKNOWN",
            ErrorCode::SizeInvalid => "SIZE_INVALID",
            ErrorCode::TagInvalid => "TAG_INVALID",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Denied => "DENIED",
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::TooManyRequests => "TOOMANYREQUESTS",
            ErrorCode::PaginationNumberInvalid => "PAGINATION_NUMBER_INVALID",
            ErrorCode::RangeInvalid => "RANGE_INVALID",
            ErrorCode::Unknown => "UNKNOWN",
            ErrorCode::Other(code) => code,
        }
    }
}

/// Codes are matched exactly (they are uppercase in every registry seen).
impl From<&str> for ErrorCode {
    fn from(code: &str) -> ErrorCode {
        match code {
            "BLOB_UNKNOWN" => ErrorCode::BlobUnknown,
            "BLOB_UPLOAD_INVALID" => ErrorCode::BlobUploadInvalid,
            "BLOB_UPLOAD_UNKNOWN" => ErrorCode::BlobUploadUnknown,
            "DIGEST_INVALID" => ErrorCode::DigestInvalid,
            "MANIFEST_BLOB_UNKNOWN" => ErrorCode::ManifestBlobUnknown,
            "MANIFEST_INVALID" => ErrorCode::ManifestInvalid,
            "MANIFEST_UNKNOWN" => ErrorCode::ManifestUnknown,
            "MANIFEST_UNVERIFIED" => ErrorCode::ManifestUnverified,
            "NAME_INVALID" => ErrorCode::NameInvalid,
            "NAME_UNKNOWN" => ErrorCode::NameUnknown,
            "SIZE_INVALID" => ErrorCode::SizeInvalid,
            "TAG_INVALID" => ErrorCode::TagInvalid,
            "UNAUTHORIZED" => ErrorCode::Unauthorized,
            "DENIED" => ErrorCode::Denied,
            "UNSUPPORTED" => ErrorCode::Unsupported,
            "TOOMANYREQUESTS" => ErrorCode::TooManyRequests,
            "PAGINATION_NUMBER_INVALID" => ErrorCode::PaginationNumberInvalid,
            "RANGE_INVALID" => ErrorCode::RangeInvalid,
            "UNKNOWN" => ErrorCode::Unknown,
            other => ErrorCode::Other(other.to_string()),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Any JSON reads as a code: a string as itself, `null` as an empty
/// [`ErrorCode::Other`], anything else as `Other` of its JSON text.
impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ErrorCode, D::Error> {
        Ok(ErrorCode::from(lenient_string(deserializer)?.as_str()))
    }
}

/// Reads a string as itself, `null` as empty and any other JSON as its
/// text, so one odd field does not fail a whole error body.
fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

fn no_code() -> ErrorCode {
    ErrorCode::Other(String::new())
}

/// One entry of an error body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryError {
    /// The error code.
    #[serde(default = "no_code")]
    pub code: ErrorCode,
    /// A message for people; empty when missing.
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: String,
    /// Extra information, any JSON (`Null` when missing).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

/// A registry's error body: `{"errors": [{"code", "message", "detail"}]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The errors; empty when the list is `null` or missing.
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<RegistryError>,
}

impl ErrorBody {
    /// Reads an error body. Fails when the body is not a JSON object or
    /// `errors` is not a list of objects; unknown codes and odd messages
    /// never fail it.
    pub fn parse(body: &[u8]) -> Result<ErrorBody, DocumentError> {
        parse_object(body, "error body")
    }

    /// The codes, in order.
    pub fn codes(&self) -> impl Iterator<Item = &ErrorCode> {
        self.errors.iter().map(|e| &e.code)
    }

    /// Whether any entry has `code`.
    pub fn has_code(&self, code: &ErrorCode) -> bool {
        self.codes().any(|c| c == code)
    }
}

/// `CODE: message; CODE: message`.
impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// The answer to `GET /v2/<name>/tags/list`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagList {
    /// The repository.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The tags of this page; empty when `null` or missing (as `registry`
    /// answers for a repository whose tags were all deleted).
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
}

impl TagList {
    /// Reads a tag list.
    pub fn parse(body: &[u8]) -> Result<TagList, DocumentError> {
        parse_object(body, "tag list")
    }
}

/// The answer to `GET /v2/_catalog`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// The repositories of this page; empty when `null` or missing.
    #[serde(default, deserialize_with = "null_as_default")]
    pub repositories: Vec<String>,
}

impl Catalog {
    /// Reads a catalog page.
    pub fn parse(body: &[u8]) -> Result<Catalog, DocumentError> {
        parse_object(body, "catalog")
    }
}

/// Reads the answer to `GET /v2/<name>/referrers/<digest>`: an OCI image
/// index whose entries describe the manifests that have that digest as
/// their `subject`. The index's `mediaType` may be missing but must not
/// name another type.
pub fn parse_referrers(body: &[u8]) -> Result<ImageIndex, DocumentError> {
    let invalid = |message: String| DocumentError {
        document: "referrers list",
        message,
    };
    match Manifest::parse(body, Some(media_type::OCI_INDEX)) {
        Ok(Manifest::Index(index)) => Ok(index),
        Ok(other) => Err(invalid(format!("got a {}", other.kind()))),
        Err(e) => Err(invalid(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_error_bodies_of_real_registries() {
        // registry 2.8: detail is an object.
        let body = ErrorBody::parse(
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}"#,
        )
        .unwrap();
        assert_eq!(body.errors[0].code, ErrorCode::ManifestUnknown);
        assert_eq!(body.errors[0].detail["Tag"], "nope");
        assert_eq!(body.to_string(), "MANIFEST_UNKNOWN: manifest unknown");

        // Docker Hub: detail is a list of access entries.
        let body = ErrorBody::parse(
            br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Class":"","Name":"library/nope","Action":"pull"}]}]}"#,
        )
        .unwrap();
        assert_eq!(body.errors[0].code, ErrorCode::Unauthorized);
        assert_eq!(body.errors[0].detail[0]["Action"], "pull");

        // Docker Hub rate limit; ghcr.io denied with no detail.
        let body = ErrorBody::parse(
            br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}"#,
        )
        .unwrap();
        assert!(body.has_code(&ErrorCode::TooManyRequests));
        assert!(body.errors[0].detail.is_null());
        let body = ErrorBody::parse(br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#)
            .unwrap();
        assert_eq!(body.codes().collect::<Vec<_>>(), [&ErrorCode::Denied]);

        // Strings, nulls and empty objects as detail.
        for detail in [r#""blob sha256:abc""#, "null", "{}", "[]", "7"] {
            let json = format!(
                r#"{{"errors":[{{"code":"BLOB_UNKNOWN","message":"blob unknown","detail":{detail}}}]}}"#
            );
            let body = ErrorBody::parse(json.as_bytes()).unwrap();
            assert_eq!(
                body.errors[0].detail,
                serde_json::from_str::<serde_json::Value>(detail).unwrap()
            );
        }
    }

    #[test]
    fn every_spec_code_round_trips() {
        let codes = [
            "BLOB_UNKNOWN",
            "BLOB_UPLOAD_INVALID",
            "BLOB_UPLOAD_UNKNOWN",
            "DIGEST_INVALID",
            "MANIFEST_BLOB_UNKNOWN",
            "MANIFEST_INVALID",
            "MANIFEST_UNKNOWN",
            "MANIFEST_UNVERIFIED",
            "NAME_INVALID",
            "NAME_UNKNOWN",
            "SIZE_INVALID",
            "TAG_INVALID",
            "UNAUTHORIZED",
            "DENIED",
            "UNSUPPORTED",
            "TOOMANYREQUESTS",
            "PAGINATION_NUMBER_INVALID",
            "RANGE_INVALID",
            "UNKNOWN",
        ];
        for code in codes {
            let parsed = ErrorCode::from(code);
            assert!(!matches!(parsed, ErrorCode::Other(_)), "{code}");
            assert_eq!(parsed.as_str(), code);
            assert_eq!(
                serde_json::to_string(&parsed).unwrap(),
                format!("\"{code}\"")
            );
        }
        assert_eq!(
            ErrorCode::from("manifest_unknown"),
            ErrorCode::Other("manifest_unknown".into())
        );
    }

    #[test]
    fn odd_entries_do_not_fail_the_body() {
        let body = ErrorBody::parse(
            br#"{"errors":[{"code":"NOT_FOUND","message":"artifact not found"},{"code":404,"message":null},{"message":["x"]},{}]}"#,
        )
        .unwrap();
        let codes: Vec<&str> = body.codes().map(ErrorCode::as_str).collect();
        assert_eq!(codes, ["NOT_FOUND", "404", "", ""]);
        assert_eq!(body.errors[1].message, "");
        assert_eq!(body.errors[2].message, r#"["x"]"#);
        assert_eq!(
            body.to_string(),
            "NOT_FOUND: artifact not found; 404; : [\"x\"]; "
        );
        for empty in [
            &br#"{"errors":null}"#[..],
            b"{}",
            br#"{"details":"incorrect username or password"}"#,
        ] {
            assert!(ErrorBody::parse(empty).unwrap().errors.is_empty());
        }
    }

    #[test]
    fn error_body_round_trips() {
        let json = br#"{"errors":[{"code":"QUOTA_EXCEEDED","message":"quota","detail":{"limit":1}},{"code":"DENIED","message":"no"}]}"#;
        let body = ErrorBody::parse(json).unwrap();
        assert_eq!(serde_json::to_vec(&body).unwrap(), json);
    }

    #[test]
    fn non_json_bodies_are_errors() {
        for bad in [
            &b"404 page not found\n"[..],
            b"",
            b"  ",
            b"<html><body>Bad Gateway</body></html>",
            b"[]",
            b"null",
        ] {
            let e = ErrorBody::parse(bad).unwrap_err();
            assert_eq!(e.document(), "error body");
        }
        assert_eq!(
            ErrorBody::parse(b"404 page not found")
                .unwrap_err()
                .to_string(),
            "invalid error body: expected a JSON object"
        );
        assert!(ErrorBody::parse(br#"{"errors":"boom"}"#).is_err());
        assert!(ErrorBody::parse(br#"{"errors":["boom"]}"#).is_err());
        assert!(ErrorBody::parse(br#"{"errors":[]"#).is_err());
    }

    /// oci-spec 0.10's `ErrorResponse` fails on any code it does not list,
    /// which includes five codes of the spec itself.
    #[test]
    fn oci_spec_gap_unknown_error_code_fails_the_body() {
        type Theirs = oci_spec::distribution::ErrorResponse;
        let json = r#"{"errors":[{"code":"QUOTA_EXCEEDED","message":"storage quota exceeded"}]}"#;
        assert!(serde_json::from_str::<Theirs>(json).is_err());
        assert!(ErrorBody::parse(json.as_bytes()).is_ok());
        for code in [
            "TAG_INVALID",
            "MANIFEST_UNVERIFIED",
            "PAGINATION_NUMBER_INVALID",
            "RANGE_INVALID",
            "UNKNOWN",
        ] {
            let json = format!(r#"{{"errors":[{{"code":"{code}"}}]}}"#);
            assert!(serde_json::from_str::<Theirs>(&json).is_err(), "{code}");
            assert_eq!(
                ErrorBody::parse(json.as_bytes()).unwrap().errors[0]
                    .code
                    .as_str(),
                code
            );
        }
    }

    #[test]
    fn reads_tag_lists() {
        let tags = TagList::parse(br#"{"name":"library/alpine","tags":["3.19","3.20","latest"]}"#)
            .unwrap();
        assert_eq!(tags.name, "library/alpine");
        assert_eq!(tags.tags, ["3.19", "3.20", "latest"]);
        assert_eq!(
            serde_json::to_string(&tags).unwrap(),
            r#"{"name":"library/alpine","tags":["3.19","3.20","latest"]}"#
        );
        assert!(TagList::parse(br#"{"name":"x"}"#).unwrap().tags.is_empty());
        assert!(TagList::parse(b"404 page not found").is_err());
        assert!(TagList::parse(br#"{"name":"x","tags":[1]}"#).is_err());
    }

    /// oci-spec 0.10's `TagList` fails on `"tags": null` (what `registry`
    /// answers once every tag was deleted) and on a missing `tags`.
    #[test]
    fn oci_spec_gap_null_tags_fail_a_tag_list() {
        type Theirs = oci_spec::distribution::TagList;
        for json in [
            r#"{"name":"library/alpine","tags":null}"#,
            r#"{"name":"library/alpine"}"#,
        ] {
            assert!(serde_json::from_str::<Theirs>(json).is_err());
            let ours = TagList::parse(json.as_bytes()).unwrap();
            assert_eq!(ours.name, "library/alpine");
            assert!(ours.tags.is_empty());
        }
    }

    /// oci-spec 0.10's `RepositoryList` fails on `"repositories": null`.
    #[test]
    fn reads_catalogs_and_oci_spec_gap_null_repositories() {
        let catalog = Catalog::parse(br#"{"repositories":["library/alpine","o/r"]}"#).unwrap();
        assert_eq!(catalog.repositories, ["library/alpine", "o/r"]);
        let null = r#"{"repositories":null}"#;
        assert!(serde_json::from_str::<oci_spec::distribution::RepositoryList>(null).is_err());
        assert!(Catalog::parse(null.as_bytes())
            .unwrap()
            .repositories
            .is_empty());
        assert!(Catalog::parse(b"").is_err());
    }

    #[test]
    fn reads_referrers() {
        let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:6b51d431df5d7f141cbececcf79edf3dd861c3b4069f0b11661a3eefacbba918","size":788,
             "artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","annotations":{"dev.sigstore.bundle.predicateType":"https://slsa.dev/provenance/v1"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:3fdba35f04dc8c462986c992bcf875546257113072a909c162f7e470e581e278","size":541,
             "artifactType":"application/spdx+json"}]}"#;
        let index = parse_referrers(body).unwrap();
        let types: Vec<_> = index
            .manifests()
            .iter()
            .filter_map(|d| d.artifact_type.as_deref())
            .collect();
        assert_eq!(
            types,
            [
                "application/vnd.dev.sigstore.bundle.v0.3+json",
                "application/spdx+json"
            ]
        );
        assert!(parse_referrers(br#"{"schemaVersion":2,"manifests":null}"#)
            .unwrap()
            .manifests()
            .is_empty());

        let list = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}"#;
        let e = parse_referrers(list).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid referrers list: manifest media type mismatch"),
            "{e}"
        );
        assert!(parse_referrers(b"404 page not found").is_err());
    }
}
