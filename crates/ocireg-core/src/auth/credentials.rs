//! What the user authenticates with. Passwords and tokens are
//! [`Secret`]s: they never appear in `Debug`.

use super::secret::Secret;

/// Credentials for one registry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
        password: Secret,
    },
    /// A bearer token used as it is, without a token exchange.
    Bearer(Secret),
    /// An identity (refresh) token, as `docker login` stores it in
    /// `identitytoken`: exchanged with an OAuth2 POST for access tokens.
    IdentityToken {
        /// User name, when known (sent as `client_id` context only).
        username: Option<String>,
        /// The refresh token.
        token: Secret,
    },
}

impl Credentials {
    /// Basic credentials.
    pub fn basic(username: impl Into<String>, password: impl Into<Secret>) -> Credentials {
        Credentials::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// A bearer token sent as it is.
    pub fn bearer(token: impl Into<Secret>) -> Credentials {
        Credentials::Bearer(token.into())
    }

    /// An identity (refresh) token.
    pub fn identity_token(username: Option<String>, token: impl Into<Secret>) -> Credentials {
        Credentials::IdentityToken {
            username,
            token: token.into(),
        }
    }

    /// Whether these are anonymous.
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Credentials::Anonymous)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let all = [
            Credentials::basic("alice", "s3cret-pass"),
            Credentials::bearer("s3cret-token"),
            Credentials::identity_token(Some("alice".into()), "s3cret-refresh"),
        ];
        for c in all {
            let dbg = format!("{c:?} {c:#?}");
            assert!(!dbg.contains("s3cret"), "{dbg}");
        }
        assert!(format!("{:?}", Credentials::basic("alice", "x")).contains("alice"));
    }
}
