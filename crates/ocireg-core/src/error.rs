//! The one error type of the protocol layer.

use std::fmt;

use crate::digest::{Digest, VerifyError};
use crate::documents::ErrorBody;
use crate::manifest::ManifestError;

/// Why a transport could not complete a request. Transports build these;
/// the core decides what they mean (retry, resume, fail).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
}

/// The kinds of transport failure the core tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, DNS, TLS handshake).
    Connect,
    /// The request or response timed out.
    Timeout,
    /// The connection broke while the response body was being read.
    Interrupted,
    /// The response body was larger than the request's limit.
    BodyTooLarge,
    /// The blob source could not be read.
    Source,
    /// A browser refused the request or hid the response (CORS, mixed
    /// content, a network error it does not describe).
    Blocked,
    /// Anything else.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "connection failed",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Interrupted => "connection interrupted",
            TransportErrorKind::BodyTooLarge => "response too large",
            TransportErrorKind::Source => "cannot read the blob source",
            TransportErrorKind::Blocked => "blocked by the browser",
            TransportErrorKind::Other => "transport error",
        })
    }
}

impl TransportError {
    /// A transport error of `kind` with a description. Every URL in the
    /// description loses its query and user info
    /// ([`redact::urls_in`](crate::redact::urls_in)): HTTP libraries print
    /// the URL they failed on, and a pre-signed one carries a signature.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> TransportError {
        let message = message.into();
        let message = match crate::redact::urls_in(&message) {
            std::borrow::Cow::Borrowed(_) => message,
            std::borrow::Cow::Owned(redacted) => redacted,
        };
        TransportError { kind, message }
    }

    /// The kind.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The transport's description.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Everything an operation can fail with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller asked for something invalid.
    #[error("invalid {what}: {message}")]
    InvalidInput {
        /// Which input.
        what: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The registry answered with an error status.
    #[error("{method} {url}: {status}{}", registry_codes(.errors))]
    Registry {
        /// Request method.
        method: String,
        /// Request URL.
        url: String,
        /// Response status.
        status: u16,
        /// The registry's error body (empty when it sent none or no JSON).
        errors: ErrorBody,
    },
    /// Authentication failed or was refused.
    #[error("unauthorized: {message}")]
    Unauthorized {
        /// The scopes that were asked for, space-separated.
        scopes: String,
        /// What happened.
        message: String,
    },
    /// Content did not match its digest or size.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A response body was over the limit the core sets for it.
    #[error("response from {url} is larger than the {limit}-byte limit")]
    TooLarge {
        /// Request URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A descriptor declares more bytes than the core fetches for what it
    /// describes (an image config over
    /// [`CONFIG_LIMIT`](crate::summary::CONFIG_LIMIT)); nothing was
    /// fetched.
    #[error("{what} {digest} is {size} bytes, over the {limit}-byte limit")]
    DescriptorTooLarge {
        /// What the descriptor points at (`image config`, ...).
        what: &'static str,
        /// Its digest.
        digest: Digest,
        /// The size it declares.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// There are more of something than a bound the caller or the core
    /// sets allows (distinct items of a listing, pages of a listing,
    /// manifests of an image graph).
    #[error("more than {limit} {what}")]
    TooMany {
        /// What was counted (`items in the listing`, ...).
        what: &'static str,
        /// The bound.
        limit: u64,
    },
    /// The server broke the protocol (a missing header, a malformed
    /// document, a redirect loop).
    #[error("protocol error from {url}: {message}")]
    Protocol {
        /// Request URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// A manifest could not be read.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The transport failed, after any retries.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A chain of manifests (an index listing an index listing ...) is
    /// longer than the limit.
    #[error("image graph is deeper than {limit} levels of manifests")]
    TooDeep {
        /// The most manifests allowed on one path from the top manifest
        /// down, the top one included.
        limit: usize,
    },
    /// A job was reported done that was never handed out, or that was
    /// reported already (see [`crate::plan`]).
    #[error("no {job} job for {digest} is waiting for a report")]
    NotPending {
        /// The kind of job (`manifest fetch`, `blob`, `manifest put`).
        job: &'static str,
        /// The digest the report named.
        digest: Digest,
    },
}

impl From<crate::reference::ReferenceError> for Error {
    /// A malformed reference or repository name is invalid input.
    fn from(e: crate::reference::ReferenceError) -> Error {
        Error::InvalidInput {
            what: "reference",
            message: e.to_string(),
        }
    }
}

fn registry_codes(errors: &ErrorBody) -> String {
    if errors.errors.is_empty() {
        String::new()
    } else {
        format!(" ({errors})")
    }
}

impl Error {
    /// The HTTP status when the registry answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Registry { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the registry said the thing does not exist (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_messages_lose_url_queries() {
        let e = TransportError::new(
            TransportErrorKind::Connect,
            "error sending request for url (https://s3.example/b?X-Amz-Signature=f00d): refused",
        );
        assert_eq!(
            e.to_string(),
            "connection failed: error sending request for url (https://s3.example/b): refused"
        );
        assert!(!format!("{e:?}").contains("f00d"));
        let plain = TransportError::new(TransportErrorKind::Other, "no url");
        assert_eq!(plain.message(), "no url");
    }

    #[test]
    fn too_many_message_is_pinned() {
        let e = Error::TooMany {
            what: "items in the listing",
            limit: 1_000_000,
        };
        assert_eq!(e.to_string(), "more than 1000000 items in the listing");
        assert_eq!(e.status(), None);
    }

    #[test]
    fn descriptor_too_large_message_is_pinned() {
        let e = Error::DescriptorTooLarge {
            what: "image config",
            digest: Digest::sha256(b""),
            size: 9 << 20,
            limit: 8 << 20,
        };
        assert_eq!(
            e.to_string(),
            "image config sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 \
             is 9437184 bytes, over the 8388608-byte limit"
        );
    }

    #[test]
    fn graph_errors_display() {
        assert_eq!(
            Error::TooDeep { limit: 8 }.to_string(),
            "image graph is deeper than 8 levels of manifests"
        );
        assert_eq!(
            Error::TooMany {
                what: "manifests in the image graph",
                limit: 10_000
            }
            .to_string(),
            "more than 10000 manifests in the image graph"
        );
        let digest = Digest::sha256(b"");
        assert_eq!(
            Error::NotPending {
                job: "blob",
                digest
            }
            .to_string(),
            "no blob job for sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 is waiting for a report"
        );
    }
}
