//! The crate's error type.

/// Everything the client can fail with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller passed something unusable (a registry URL with a path,
    /// a malformed digest or platform).
    #[error("invalid {what}: {message}")]
    InvalidInput {
        /// Which input.
        what: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A manifest could not be read or written.
    #[error(transparent)]
    Manifest(#[from] ocireg_core::manifest::ManifestError),
    /// The registry protocol failed: the registry said no, authentication
    /// failed, content did not verify, the browser blocked a request. See
    /// [`ocireg_core::Error`].
    #[error(transparent)]
    Registry(#[from] ocireg_core::Error),
    /// A reference did not parse.
    #[error(transparent)]
    Reference(#[from] ocireg_core::ReferenceError),
}

impl Error {
    pub(crate) fn invalid(what: &'static str, message: impl Into<String>) -> Error {
        Error::InvalidInput {
            what,
            message: message.into(),
        }
    }

    /// The protocol error, when the registry protocol failed.
    pub fn registry_error(&self) -> Option<&ocireg_core::Error> {
        match self {
            Error::Registry(e) => Some(e),
            _ => None,
        }
    }

    /// The registry's HTTP status, when it answered with an error.
    pub fn status(&self) -> Option<u16> {
        self.registry_error().and_then(ocireg_core::Error::status)
    }

    /// Whether the registry said the thing does not exist.
    pub fn is_not_found(&self) -> bool {
        self.registry_error()
            .is_some_and(ocireg_core::Error::is_not_found)
    }
}
