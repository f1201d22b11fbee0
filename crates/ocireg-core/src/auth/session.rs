//! What operations share about authentication: the credentials for each
//! registry, what each registry asked for (Basic or a token server), and
//! the token cache. One `Session` serves any number of operations, also
//! concurrent ones: a transport keeps it behind a lock and hands it to an
//! operation for the duration of one `poll` or `handle_*` call.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use url::Url;

use super::credentials::Credentials;
use super::scope::Scopes;
use super::secret::Secret;
use crate::registry::RegistryConfig;

/// How a registry host authenticates, as learned from its challenges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HostAuth {
    /// Basic auth on every request.
    Basic,
    /// Bearer tokens from a token server.
    Bearer { realm: Url, service: Option<String> },
}

#[derive(Clone)]
struct CachedToken {
    service: Option<String>,
    scopes: Scopes,
    token: Secret,
    expires_at: SystemTime,
}

/// Tokens are dropped this long before they expire, so a token is not
/// sent just as it runs out.
const EXPIRY_MARGIN: Duration = Duration::from_secs(5);

/// Shared authentication state for operations.
#[derive(Clone, Default)]
pub struct Session {
    config: RegistryConfig,
    credentials: HashMap<String, Credentials>,
    hosts: HashMap<String, HostAuth>,
    tokens: HashMap<String, Vec<CachedToken>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("config", &self.config)
            .field("credentials", &self.credentials)
            .field("hosts", &self.hosts)
            .field(
                "cached_tokens",
                &self.tokens.values().map(Vec::len).sum::<usize>(),
            )
            .finish()
    }
}

impl Session {
    /// A session with the given registry settings.
    pub fn new(config: RegistryConfig) -> Session {
        Session {
            config,
            ..Session::default()
        }
    }

    /// The registry settings.
    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// Sets the credentials for a registry host (`host[:port]` as in a
    /// registry URL, e.g. `registry-1.docker.io` or `localhost:5000`).
    pub fn set_credentials(&mut self, host: &str, credentials: Credentials) {
        let host = host.to_ascii_lowercase();
        self.tokens.remove(&host);
        self.hosts.remove(&host);
        self.credentials.insert(host, credentials);
    }

    /// The credentials for a registry host.
    pub fn credentials(&self, host: &str) -> &Credentials {
        static ANONYMOUS: Credentials = Credentials::Anonymous;
        self.credentials
            .get(&host.to_ascii_lowercase())
            .unwrap_or(&ANONYMOUS)
    }

    pub(crate) fn host_auth(&self, host: &str) -> Option<&HostAuth> {
        self.hosts.get(host)
    }

    pub(crate) fn learn_host_auth(&mut self, host: &str, auth: HostAuth) {
        self.hosts.insert(host.to_string(), auth);
    }

    /// A cached, unexpired token for `host` covering `scopes`.
    pub(crate) fn token(
        &mut self,
        host: &str,
        scopes: &Scopes,
        now: SystemTime,
    ) -> Option<&Secret> {
        let list = self.tokens.get_mut(host)?;
        list.retain(|t| t.expires_at > now + EXPIRY_MARGIN);
        list.iter()
            .find(|t| t.scopes.covers(scopes))
            .map(|t| &t.token)
    }

    pub(crate) fn store_token(
        &mut self,
        host: &str,
        service: Option<String>,
        scopes: Scopes,
        token: Secret,
        expires_at: SystemTime,
    ) {
        let list = self.tokens.entry(host.to_string()).or_default();
        list.retain(|t| !(t.service == service && t.scopes == scopes));
        list.push(CachedToken {
            service,
            scopes,
            token,
            expires_at,
        });
    }

    /// Forgets a token the registry rejected.
    pub(crate) fn forget_token(&mut self, host: &str, token: &Secret) {
        if let Some(list) = self.tokens.get_mut(host) {
            list.retain(|t| t.token != *token);
        }
    }

    /// How many unexpired tokens are cached (for tests and diagnostics).
    pub fn cached_tokens(&self, now: SystemTime) -> usize {
        self.tokens
            .values()
            .flatten()
            .filter(|t| t.expires_at > now + EXPIRY_MARGIN)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::scope::Scope;

    #[test]
    fn tokens_expire_and_cover_scopes() {
        let mut s = Session::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let push: Scopes = [Scope::push("a")].into_iter().collect();
        s.store_token("h", None, push, "tok".into(), t0 + Duration::from_secs(60));
        let pull: Scopes = [Scope::pull("a")].into_iter().collect();
        assert_eq!(s.token("h", &pull, t0).map(Secret::expose), Some("tok"));
        assert_eq!(s.token("other", &pull, t0), None);
        let pull_b: Scopes = [Scope::pull("b")].into_iter().collect();
        assert_eq!(s.token("h", &pull_b, t0), None);
        assert_eq!(s.token("h", &pull, t0 + Duration::from_secs(56)), None);
        assert_eq!(s.cached_tokens(t0), 0);
    }

    #[test]
    fn debug_shows_no_secret() {
        let mut s = Session::default();
        s.set_credentials("h", Credentials::basic("u", "s3cret"));
        s.store_token(
            "h",
            None,
            Scopes::new(),
            "t0ken-s3cret".into(),
            SystemTime::UNIX_EPOCH,
        );
        assert!(!format!("{s:?}").contains("s3cret"));
    }
}
