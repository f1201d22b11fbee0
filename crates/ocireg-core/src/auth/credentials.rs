//! What the user authenticates with. Secrets never appear in `Debug`.

use std::fmt;

/// Credentials for one registry.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// No credentials: anonymous tokens where the registry hands them out.
    #[default]
    Anonymous,
    /// A user name and password (or personal access token): sent as Basic
    /// auth to registries that use it, and to token servers.
    Basic {
        /// User name.
        username: String,
        /// Password or access token.
        password: String,
    },
    /// A bearer token used as it is, without a token exchange.
    Bearer(String),
    /// An identity (refresh) token, as `docker login` stores it in
    /// `identitytoken`: exchanged with an OAuth2 POST for access tokens.
    IdentityToken {
        /// User name, when known (sent as `client_id` context only).
        username: Option<String>,
        /// The refresh token.
        token: String,
    },
}

impl Credentials {
    /// Basic credentials.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// Whether these are anonymous.
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Credentials::Anonymous)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Credentials::IdentityToken { username, .. } => f
                .debug_struct("IdentityToken")
                .field("username", username)
                .field("token", &"<redacted>")
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let all = [
            Credentials::basic("alice", "s3cret-pass"),
            Credentials::Bearer("s3cret-token".into()),
            Credentials::IdentityToken {
                username: Some("alice".into()),
                token: "s3cret-refresh".into(),
            },
        ];
        for c in all {
            let dbg = format!("{c:?} {c:#?}");
            assert!(!dbg.contains("s3cret"), "{dbg}");
        }
        assert!(format!("{:?}", Credentials::basic("alice", "x")).contains("alice"));
    }
}
