//! Registries as network endpoints: which scheme and host serve a
//! reference's domain, given docker's defaults and the user's settings
//! (insecure registries, Docker Hub mirrors).
//!
//! Like docker, a registry on `localhost`, on `127.0.0.0/8` or on `::1` is
//! spoken to over plain HTTP; so is any host configured insecure; every
//! other registry over HTTPS. Docker Hub's `docker.io` is served by
//! `registry-1.docker.io`.
//!
//! ```
//! use ocireg_core::registry::{Registry, RegistryConfig, Scheme};
//!
//! let config = RegistryConfig::default();
//! let local = Registry::for_domain("localhost:5000", &config).unwrap();
//! assert_eq!(local.base_url().as_str(), "http://localhost:5000/");
//! let hub = Registry::for_domain("docker.io", &config).unwrap();
//! assert_eq!(hub.base_url().as_str(), "https://registry-1.docker.io/");
//!
//! let config = RegistryConfig::default().with_insecure("registry.lan:5000");
//! assert_eq!(Registry::for_domain("registry.lan:5000", &config).unwrap().scheme(), Scheme::Http);
//! ```

use std::fmt;
use std::net::IpAddr;

use url::Url;

use crate::error::Error;
use crate::reference::{grammar, registry_host, DOCKER_HUB_DOMAIN};

/// HTTP or HTTPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Plain HTTP: local and explicitly insecure registries only.
    Http,
    /// HTTPS.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// The user's registry settings, as docker's `daemon.json` has them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryConfig {
    insecure: Vec<String>,
    unverified_tls: Vec<String>,
    mirrors: Vec<Url>,
    mirror_registries: Vec<Registry>,
}

impl RegistryConfig {
    /// Marks a registry (`host` or `host:port`, as in a reference) as
    /// insecure: spoken to over plain HTTP.
    pub fn with_insecure(mut self, host: impl Into<String>) -> Self {
        self.insecure.push(host.into().to_ascii_lowercase());
        self
    }

    /// Marks a registry as HTTPS without certificate verification (a
    /// self-signed registry the user chose to trust blindly). Transports
    /// ask [`RegistryConfig::is_tls_unverified`].
    pub fn with_unverified_tls(mut self, host: impl Into<String>) -> Self {
        self.unverified_tls.push(host.into().to_ascii_lowercase());
        self
    }

    /// Whether certificate verification is off for `host[:port]`.
    pub fn is_tls_unverified(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let bare = strip_port(&host);
        self.unverified_tls.iter().any(|h| *h == host || *h == bare)
    }

    /// Adds a Docker Hub mirror (`https://mirror.example.com`), tried in
    /// the order added before Docker Hub itself. Like docker, a mirror is
    /// an origin: a URL with a path, query, fragment or user info, or a
    /// scheme other than http and https, is an [`Error::InvalidInput`].
    ///
    /// ```
    /// use ocireg_core::registry::RegistryConfig;
    ///
    /// let ok = RegistryConfig::default().with_mirror("https://mirror.gcr.io".parse().unwrap());
    /// assert!(ok.is_ok());
    /// let path = RegistryConfig::default().with_mirror("https://m.example/hub".parse().unwrap());
    /// assert!(path.is_err());
    /// ```
    pub fn with_mirror(mut self, url: Url) -> Result<Self, Error> {
        let invalid = |why: &str| Error::InvalidInput {
            what: "registry mirror",
            message: format!("{}: {why}", crate::redact::Redacted(&url)),
        };
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(invalid("the scheme is neither http nor https")),
        };
        if url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(invalid(
                "a mirror is an origin: no path, query or user info",
            ));
        }
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => return Err(invalid("no host")),
        };
        let registry = Registry::new(scheme, host)?;
        self.mirrors.push(url);
        self.mirror_registries.push(registry);
        Ok(self)
    }

    /// The configured Docker Hub mirrors.
    pub fn mirrors(&self) -> &[Url] {
        &self.mirrors
    }

    /// Whether `host` (with optional port) is configured insecure. A
    /// configured host without a port covers every port of that host.
    pub fn is_insecure(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let bare = strip_port(&host);
        self.insecure.iter().any(|h| *h == host || *h == bare)
    }

    /// The scheme for a registry host: HTTP for loopback hosts and
    /// configured insecure ones, HTTPS otherwise.
    pub fn scheme_for(&self, host: &str) -> Scheme {
        if is_loopback(host) || self.is_insecure(host) {
            Scheme::Http
        } else {
            Scheme::Https
        }
    }
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Whether a host (with optional port) is `localhost`, in `127.0.0.0/8`,
/// or `::1`.
pub fn is_loopback(host: &str) -> bool {
    let bare = strip_port(host);
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// One registry endpoint: scheme and `host[:port]`, always a valid URL
/// origin (the constructors refuse anything else).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Registry {
    scheme: Scheme,
    host: String,
    base: Url,
}

impl Registry {
    /// The endpoint serving a reference domain (`docker.io`,
    /// `localhost:5000`, `[::1]:5000`), with the scheme `config` gives it.
    /// Fails on a string that is not a domain with an optional port.
    pub fn for_domain(domain: &str, config: &RegistryConfig) -> Result<Registry, Error> {
        let host = registry_host(domain).to_ascii_lowercase();
        Registry::new(config.scheme_for(&host), host)
    }

    /// An endpoint with an explicit scheme. `host` is a domain or address
    /// with an optional port, as in a reference (`ghcr.io`,
    /// `localhost:5000`, `[::1]:5000`); anything else (a path, a query,
    /// user info, a host a URL cannot carry) is an
    /// [`Error::InvalidInput`].
    ///
    /// ```
    /// use ocireg_core::registry::{Registry, Scheme};
    ///
    /// let r = Registry::new(Scheme::Https, "GHCR.io").unwrap();
    /// assert_eq!(r.base_url().as_str(), "https://ghcr.io/");
    /// assert!(Registry::new(Scheme::Https, "evil.com/x?").is_err());
    /// assert!(Registry::new(Scheme::Https, "999.999.999.999:5000").is_err());
    /// ```
    pub fn new(scheme: Scheme, host: impl Into<String>) -> Result<Registry, Error> {
        let host = host.into().to_ascii_lowercase();
        let invalid = |why: &str| Error::InvalidInput {
            what: "registry host",
            message: format!("{host:?}: {why}"),
        };
        if !grammar::is_domain(&host) {
            return Err(invalid("not a domain or address with an optional port"));
        }
        let base = Url::parse(&format!("{}://{host}/", scheme.as_str()))
            .map_err(|e| invalid(&e.to_string()))?;
        Ok(Registry { scheme, host, base })
    }

    /// The endpoints to try for a domain, in order: for Docker Hub the
    /// configured mirrors then Docker Hub; for any other domain, itself.
    pub fn candidates(domain: &str, config: &RegistryConfig) -> Result<Vec<Registry>, Error> {
        let mut out = Vec::new();
        if domain.is_empty() || domain == DOCKER_HUB_DOMAIN {
            out.extend(config.mirror_registries.iter().cloned());
        }
        out.push(Registry::for_domain(domain, config)?);
        Ok(out)
    }

    /// The endpoints to fetch the blobs of a pull from, after `serving`
    /// answered its manifest: `serving` first, then the candidates after
    /// it (later mirrors, then upstream). A mirror that served the
    /// manifest serves the whole pull; the others are asked only for a
    /// blob it does not have, as docker does.
    pub fn candidates_from(
        serving: &Registry,
        domain: &str,
        config: &RegistryConfig,
    ) -> Result<Vec<Registry>, Error> {
        let mut all = Registry::candidates(domain, config)?;
        Ok(match all.iter().position(|r| r == serving) {
            Some(i) => all.split_off(i),
            None => vec![serving.clone()],
        })
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// `host[:port]`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `scheme://host[:port]/`.
    pub fn base_url(&self) -> Url {
        self.base.clone()
    }

    /// Whether a URL points at this registry (same scheme, host and port).
    pub fn is_same_origin(&self, url: &Url) -> bool {
        same_origin(&self.base, url)
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)
    }
}

/// Whether two URLs have the same scheme, host and (effective) port.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_mirror_is_named_without_its_secrets() {
        let url: Url = "https://user:hunter2@mirror.example/?token=t0k3n"
            .parse()
            .unwrap();
        let err = RegistryConfig::default().with_mirror(url).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("https://mirror.example/"), "{text}");
        assert!(
            !text.contains("hunter2") && !text.contains("t0k3n"),
            "{text}"
        );
    }

    #[test]
    fn loopback_hosts_are_plain_http() {
        for host in [
            "localhost",
            "localhost:5000",
            "LOCALHOST:5000",
            "127.0.0.1",
            "127.1.2.3:5000",
            "[::1]",
            "[::1]:5000",
        ] {
            assert!(is_loopback(host), "{host}");
            let r = Registry::for_domain(host, &RegistryConfig::default()).unwrap();
            assert_eq!(r.scheme(), Scheme::Http, "{host}");
        }
        for host in [
            "example.com",
            "128.0.0.1",
            "[::2]:5000",
            "localhost.example.com",
            "10.0.0.1:5000",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn insecure_hosts_match_with_or_without_port() {
        let c = RegistryConfig::default()
            .with_insecure("reg.lan")
            .with_insecure("other.lan:5000");
        assert_eq!(c.scheme_for("reg.lan:443"), Scheme::Http);
        assert_eq!(c.scheme_for("REG.lan"), Scheme::Http);
        assert_eq!(c.scheme_for("other.lan:5000"), Scheme::Http);
        assert_eq!(c.scheme_for("other.lan:5001"), Scheme::Https);
        assert_eq!(c.scheme_for("ghcr.io"), Scheme::Https);
    }

    #[test]
    fn docker_hub_goes_through_mirrors_first() {
        let c = RegistryConfig::default()
            .with_mirror(Url::parse("https://mirror.gcr.io").unwrap())
            .unwrap()
            .with_mirror(Url::parse("http://10.0.0.5:5000/").unwrap())
            .unwrap();
        let hosts: Vec<String> = Registry::candidates("docker.io", &c)
            .unwrap()
            .iter()
            .map(|r| r.to_string())
            .collect();
        assert_eq!(
            hosts,
            [
                "https://mirror.gcr.io",
                "http://10.0.0.5:5000",
                "https://registry-1.docker.io"
            ]
        );
        assert_eq!(Registry::candidates("ghcr.io", &c).unwrap().len(), 1);
    }

    #[test]
    fn ipv6_base_url() {
        let r = Registry::for_domain("[::1]:5000", &RegistryConfig::default()).unwrap();
        assert_eq!(r.base_url().as_str(), "http://[::1]:5000/");
        assert!(r.is_same_origin(&Url::parse("http://[::1]:5000/v2/").unwrap()));
        assert!(!r.is_same_origin(&Url::parse("https://[::1]:5000/v2/").unwrap()));
    }
}
