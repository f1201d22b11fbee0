//! The client's error type.

use std::io;
use std::time::Duration;

use ocireg_core::stall::Seconds;

/// Everything the client can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The registry protocol failed: the registry said no, authentication
    /// failed, content did not verify, the connection failed after
    /// retries. See [`ocireg_core::Error`].
    #[error(transparent)]
    Registry(#[from] ocireg_core::Error),
    /// A reference did not parse.
    #[error(transparent)]
    Reference(#[from] ocireg_core::ReferenceError),
    /// Writing pulled bytes failed.
    #[error("cannot write the download: {0}")]
    Sink(#[source] io::Error),
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// Docker's configuration or a credential helper failed.
    #[error("credentials: {0}")]
    Credentials(String),
    /// A credential helper named in docker's `config.json` (`credsStore`,
    /// `credHelpers`) was refused and not run: a helper name is a plain
    /// name (ASCII letters, digits, `.`, `-`, `_`; no path separator, no
    /// `..`), and only `docker-credential-<name>` found in an absolute
    /// `PATH` directory is run.
    #[error(
        "credentials: refused credential helper {helper:?}: a helper is a plain name \
         (letters, digits, '.', '-', '_') run as docker-credential-<name> from PATH"
    )]
    CredentialHelperRefused {
        /// The helper name as the configuration gives it.
        helper: String,
    },
    /// A credential helper did not answer in time
    /// ([`ClientBuilder::credential_helper_timeout`](crate::ClientBuilder::credential_helper_timeout),
    /// 30 s by default) and was killed.
    #[error(
        "credentials: docker-credential-{helper} did not answer within {}; it was stopped",
        Seconds(*after)
    )]
    CredentialHelperTimeout {
        /// The helper name as the configuration gives it.
        helper: String,
        /// How long it was given.
        after: Duration,
    },
    /// The HTTP client could not be built (a bad CA certificate, ...).
    #[error("client setup: {0}")]
    Setup(String),
    /// A manifest could not be read or written.
    #[error(transparent)]
    Manifest(#[from] ocireg_core::manifest::ManifestError),
}

impl Error {
    /// The registry's HTTP status, when it answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Registry(e) => e.status(),
            _ => None,
        }
    }

    /// Whether the registry said the thing does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}
